"""What the benchmark scripts share: where results go, the argument parser every script starts from,
and the resumable loop that measures only the cases a results file does not hold yet."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pie_embed.benchmark.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def script_parser(doc: str | None, results: str | None = None) -> argparse.ArgumentParser:
    """A script's parser: its docstring as the help, and (``results`` named) ``--json``, defaulting to
    ``benchmarks/results/<results>.json``, and ``--markdown`` to print saved results and stop."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if results is not None:
        parser.add_argument("--json", type=Path, default=RESULTS / f"{results}.json")
        parser.add_argument(
            "--markdown", action="store_true", help="print the saved results as a table and stop"
        )
    return parser


def _names(row: dict[str, Any], case: dict[str, Any]) -> bool:
    return all(row.get(key) == value for key, value in case.items())


def run_missing(
    json_path: Path, cases: list[dict[str, Any]], run: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows of ``json_path`` after measuring every case (the fields that name a row) that has no
    successful row (``status`` 0) there yet; the file is rewritten after each row, so a stopped run
    resumes. Each row gets the date and the machine it was measured on."""
    results = json.loads(json_path.read_text()) if json_path.exists() else []
    for case in cases:
        if any(_names(row, case) and row["status"] == 0 for row in results):
            continue
        row = {**run(case), "date": time.strftime("%Y-%m-%d"), "machine": machine_info()}
        results = [r for r in results if not _names(r, case)] + [row]
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps({k: v for k, v in row.items() if k != "machine"}), flush=True)
    return results


def saved_rows(json_path: Path) -> list[dict[str, Any]]:
    """The rows a run wrote to ``json_path``, or a one-line exit when there are none yet."""
    if not json_path.exists():
        raise SystemExit(f"{json_path}: no results yet; run without --markdown first")
    return json.loads(json_path.read_text())


def parse_args(parser: argparse.ArgumentParser, render: Callable[[Any], str]) -> argparse.Namespace:
    """The script's arguments; with ``--markdown``, the saved results printed through ``render``, and
    the script ends there."""
    args = parser.parse_args()
    if args.markdown:
        print(render(saved_rows(args.json)))
        raise SystemExit(0)
    return args


def interleaved_speeds(
    runners: dict[str, Callable[[list[str]], Any]], texts: list[str], rounds: int, warm: int = 64
) -> dict[str, list[float]]:
    """Texts per second of each runner over ``texts``, ``rounds`` times, the runners taking turns in
    every round (this machine's speed drifts); each is warmed up on ``warm`` texts first."""
    for run in runners.values():
        run(texts[:warm])
    speeds: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            started = time.perf_counter()
            run(texts)
            speeds[name].append(len(texts) / (time.perf_counter() - started))
    return speeds


def run_watched(
    command: list[str], limit_s: float, env: dict[str, str] | None = None
) -> tuple[int, float, int, str]:
    """Run ``command``, sampling the resident memory of its whole process tree every 0.2 s, killed after
    ``limit_s`` seconds: its exit status, seconds, peak resident bytes and output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        if time.perf_counter() - started > limit_s:
            process.kill()
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    log = process.stdout.read() if process.stdout else ""
    process.wait()
    return process.returncode, seconds, peak, log


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    total, todo = 0, [pid]
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total
