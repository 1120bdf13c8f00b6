"""A real `pie serve` process on a free loopback port, with a tiny model, a task bank and an index."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PIE = str(Path(sys.executable).with_name("pie"))
POOL = [
    {
        "instruction": "Translate the sentence into French.",
        "input": "Good morning",
        "output": "Bonjour",
        "label": "translate",
    },
    {
        "instruction": "Translate this phrase to German.",
        "input": "Thank you",
        "output": "Danke",
        "label": "translate",
    },
    {
        "instruction": "Summarize the article in one line.",
        "input": "Long text",
        "output": "Short",
        "label": "summarize",
    },
    {
        "instruction": "Write a short summary of the report.",
        "input": "Report",
        "output": "Summary",
        "label": "summarize",
    },
    {"instruction": "Solve the equation for x.", "input": "2x = 4", "output": "x = 2", "label": "solve"},
    {"instruction": "Compute the sum of the numbers.", "input": "1, 2", "output": "3", "label": "solve"},
]


class RunningServer:
    """`pie serve ARGS --port 0`, started and waited for; the port comes from its start-up line."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._log_stream = open(log, "w")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [PIE, "serve", "--port", "0", "--no-access-log", *args],
            stdout=subprocess.PIPE,
            stderr=self._log_stream,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True
        ).start()
        self.url = ""
        deadline = time.monotonic() + 180
        while not self.url:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pie serve did not start:\n{log.read_text()}")
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line.startswith("listening on "):
                self.url = line.split()[2]
        while time.monotonic() < deadline:  # the socket listens before uvicorn has started the app
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pie serve never became healthy:\n{log.read_text()}")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        self._log_stream.close()
        return status


@pytest.fixture(scope="session")
def serve_files(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> dict[str, Path]:
    """A labeled task bank and a demonstration index built with the tiny model."""
    from pie_embed.embedding.embedder import InstructionEmbedder
    from pie_embed.tools.retrieve import DemonstrationIndex

    folder = tmp_path_factory.mktemp("serve")
    pool = folder / "pool.jsonl"
    pool.write_text("".join(json.dumps(row) + "\n" for row in POOL))
    bank = folder / "bank.jsonl"
    bank.write_text(
        "".join(json.dumps({"instruction": r["instruction"], "label": r["label"]}) + "\n" for r in POOL)
    )
    index = DemonstrationIndex.build(pool, embedder=InstructionEmbedder(str(tiny_encoder_dir))).save(
        folder / "pool.index"
    )
    return {"pool": pool, "bank": bank, "index": index, "model": tiny_encoder_dir}


def start(tmp_path_factory: pytest.TempPathFactory, args: list[str], **kwargs: object) -> RunningServer:
    return RunningServer(args, tmp_path_factory.mktemp("serve-log") / "server.log", **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, serve_files: dict[str, Path]) -> Iterator[RunningServer]:
    """The tiny model with an index and a task bank (no spaCy labeler), small limits to test against."""
    running = start(
        tmp_path_factory,
        [
            "--model", str(serve_files["model"]),
            "--index", str(serve_files["index"]),
            "--bank", str(serve_files["bank"]),
            "--no-labeler",
            "--served-model-name", "tiny",
            "--max-inputs", "50",
            "--max-chars", "2000",
            "--max-body-bytes", "20000",
            "--max-queue", "5000",
        ],
    )  # fmt: skip
    yield running
    running.stop()
