"""Load test of `pie serve` on loopback: micro-batching against one request per model call.

    .venv/bin/python benchmarks/serve_load.py                  # -> benchmarks/results/serve_load.json
    .venv/bin/python benchmarks/serve_load.py --requests 2000  # a quicker run
    .venv/bin/python benchmarks/serve_load.py --markdown       # the BENCHMARKS.md table

For each mode the script starts its own server (`pie serve --port 0`, loopback only, no access log),
waits for /health, sends a warm-up, then sends --requests POST /v1/embeddings requests, each one IEB
instruction (eft_test + ift_test, cycled), from --concurrency asyncio workers (aiohttp), base64-encoded
as the openai client asks for them. Every answer is checked against its request: status 200, one row,
and the decoded vector equal (cosine > 0.9999) to the library's vector for that very instruction.
The run stops by itself after the requests or --max-seconds, whichever comes first, and the server is
shut down with SIGTERM.

Modes: "batched" is the default server (--max-batch 64 --batch-wait-ms 2); "one-per-call" is
--max-batch 1 --batch-wait-ms 0, each request its own model call. Client and server share the
machine's cores, so the client's own CPU time is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from common import parse_args, script_parser

from pie_embed.benchmark.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODES = {
    "batched": ["--max-batch", "64", "--batch-wait-ms", "2"],
    "one-per-call": ["--max-batch", "1", "--batch-wait-ms", "0"],
}


def instructions() -> list[str]:
    from pie_embed.benchmark.ieb import read_labeled

    ieb = ROOT.parent / "shared" / "ieb"
    texts: list[str] = []
    for name in ("eft_test.json", "ift_test.json"):
        texts += read_labeled(ieb / name).texts
    return list(dict.fromkeys(t for t in texts if t.strip()))


class Server:
    def __init__(self, model: str, extra: list[str]) -> None:
        pie = str(Path(sys.executable).with_name("pie"))
        command = [pie, "serve", "--model", model, "--port", "0", "--no-identify", "--no-access-log", *extra]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in self.process.stdout:  # type: ignore[union-attr]
            if line.startswith("listening on "):
                self.url = line.split()[2]
                break
        else:
            raise RuntimeError("pie serve exited before listening")
        for _ in range(600):
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("pie serve never became healthy")

    def metrics(self) -> dict[str, float]:
        text = httpx.get(f"{self.url}/metrics").text
        wanted = ("pie_batch_size_sum", "pie_batch_size_count", "pie_batch_duration_seconds_sum")
        found = {}
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name in wanted:
                found[name] = float(value)
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


async def load(
    url: str,
    model: str,
    texts: list[str],
    expected: np.ndarray,
    requests: int,
    concurrency: int,
    max_seconds: float,
) -> dict[str, Any]:
    import aiohttp  # httpx's async pool tops out near 250 req/s here at 64 connections; aiohttp does 5,000+

    latencies: list[float] = []
    errors: list[str] = []
    next_request = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        base_url=url, connector=connector, timeout=aiohttp.ClientTimeout(120)
    ) as http:

        async def worker() -> None:
            nonlocal next_request
            while next_request < requests:
                i = next_request
                next_request += 1
                text_id = i % len(texts)
                body = {"input": texts[text_id], "model": model, "encoding_format": "base64", "user": f"r{i}"}
                started = time.perf_counter()
                try:
                    async with http.post("/v1/embeddings", json=body) as response:
                        status = response.status
                        payload = await response.read()
                except aiohttp.ClientError as error:
                    errors.append(f"request {i}: {type(error).__name__}")
                    continue
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(f"request {i}: HTTP {status}")
                    continue
                data = json.loads(payload)["data"]
                vector = np.frombuffer(base64.b64decode(data[0]["embedding"]), dtype="<f4")
                if len(data) != 1 or float(vector @ expected[text_id]) < 0.9999:
                    errors.append(f"request {i}: answer does not match its instruction")

        started = time.perf_counter()
        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        _, pending = await asyncio.wait(tasks, timeout=max_seconds)
        for task in pending:
            task.cancel()
        seconds = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "stopped_early": bool(pending),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
    }


def measure(mode: str, args: argparse.Namespace, texts: list[str], expected: np.ndarray) -> dict[str, Any]:
    """One server in ``mode``: warm-up, the timed run, and what the server's metrics say about it."""
    server = Server(args.model, MODES[mode])
    try:
        asyncio.run(load(server.url, args.model, texts, expected, 200, args.concurrency, 120))  # warm-up
        before = server.metrics()
        server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
        row = asyncio.run(
            load(server.url, args.model, texts, expected, args.requests, args.concurrency, args.max_seconds)
        )
        after = server.metrics()
        row["server_cpu_s"] = round(server.cpu_seconds() - server_cpu, 1)
        row["client_cpu_s"] = round(time.process_time() - client_cpu, 1)
        calls = after["pie_batch_size_count"] - before["pie_batch_size_count"]
        row["model_calls"] = int(calls)
        row["mean_batch"] = round((after["pie_batch_size_sum"] - before["pie_batch_size_sum"]) / calls, 1)
        model_seconds = after["pie_batch_duration_seconds_sum"] - before["pie_batch_duration_seconds_sum"]
        row["model_busy"] = round(model_seconds / row["seconds"], 2)  # share of the run in model calls
    finally:
        status = server.stop()
    return {"mode": mode, **row, "server_exit": status}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from pie_embed import InstructionEmbedder

    texts = instructions()
    embedder = InstructionEmbedder(args.model)
    expected = embedder.encode(texts)
    results: dict[str, Any] = {
        "machine": machine_info(),
        "command": " ".join(["benchmarks/serve_load.py", *sys.argv[1:]]),
        "model": embedder.model_name,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "unique_instructions": len(texts),
        "runs": [],
    }
    # Modes alternate round by round: this machine's speed drifts by up to 2x over minutes, and a
    # ratio is only fair between runs taken close together.
    for round_number in range(1, args.rounds + 1):
        for mode in args.modes:
            row = {"round": round_number, **measure(mode, args, texts, expected)}
            results["runs"].append(row)
            print(json.dumps(row), flush=True)
    summary: dict[str, Any] = {}
    for mode in args.modes:
        rows = [r for r in results["runs"] if r["mode"] == mode]
        summary[mode] = {
            key: float(np.median([r[key] for r in rows]))
            for key in ("requests_per_s", "p50_ms", "p99_ms", "mean_batch")
        }
        summary[mode]["errors"] = sum(r["errors"] for r in rows)
    results["summary"] = summary
    if {"batched", "one-per-call"} <= set(args.modes):
        ratios = [
            b["requests_per_s"] / o["requests_per_s"]
            for b, o in zip(
                [r for r in results["runs"] if r["mode"] == "batched"],
                [r for r in results["runs"] if r["mode"] == "one-per-call"],
                strict=True,
            )
        ]
        results["speedup_per_round"] = [round(r, 2) for r in ratios]
        results["speedup"] = round(float(np.median(ratios)), 2)
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| round | server | requests | errors | req/s | p50 (ms) | p99 (ms) | model calls | mean batch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["runs"]:
        lines.append(
            f"| {row['round']} | {row['mode']} | {row['requests']:,} | {row['errors']} | "
            f"{row['requests_per_s']} | {row['p50_ms']} | {row['p99_ms']} | {row['model_calls']:,} | "
            f"{row['mean_batch']} |"
        )
    if "speedup" in results:
        rounds = ", ".join(f"{r}x" for r in results["speedup_per_round"])
        lines.append(f"\nMicro-batching speed-up: **{results['speedup']}x** (median; per round {rounds}).")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "serve_load")
    parser.add_argument("--model", default="default")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="Rounds of all modes, alternating.")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--max-seconds", type=float, default=600, help="Stop a mode's run after this long.")
    args = parse_args(parser, markdown)
    results = run(args)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
