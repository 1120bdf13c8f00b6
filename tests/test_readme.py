"""The README's examples keep working: every ``pie`` command in it parses against the CLI as it is now
(options, arguments and their types), and every Python example runs as written."""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import typer

from pie_embed.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PIE = str(Path(sys.executable).with_name("pie"))


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, flags=re.M | re.S)


def shell_commands() -> list[list[str]]:
    """Every ``pie`` command of the bash blocks, as the shell would split it (comments, line
    continuations, brace lists and variables resolved)."""
    commands = []
    for block in code_blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            words = [w for w in words if not re.fullmatch(r"[A-Z_]+=\S*", w)]  # VAR=value prefixes
            if not words or Path(words[0]).name != "pie":
                continue
            commands.append(
                [re.sub(r"\{([^,}]+),[^}]*\}", r"\1", w).replace("$KEY", "secret") for w in words[1:]]
            )
    return commands


COMMANDS = shell_commands()


def test_the_readme_has_commands_of_every_kind() -> None:
    assert len(COMMANDS) >= 35
    assert {words[0] for words in COMMANDS} >= {
        "bench",
        "embed",
        "label",
        "train",
        "select",
        "serve",
        "index",
    }


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(words)[:60] for words in COMMANDS])
def test_every_pie_command_in_the_readme_parses(words: list[str]) -> None:
    # typer carries its own copy of click, so its classes are reached through the command objects
    command = typer.main.get_command(app)
    context = command.context_class(command, info_name="pie")
    name, args = "pie", list(words)
    while hasattr(command, "resolve_command"):  # a group (`pie index build ...`): down to the command
        name, found, args = command.resolve_command(context, args)
        assert found is not None and name is not None
        command = found
        context = command.context_class(command, info_name=name, parent=context)
    command.make_context(name, args, parent=context.parent)  # a usage error on an unknown option or value


def test_the_parse_check_catches_what_no_longer_exists() -> None:
    for wrong in (
        ["select", "x", "--nope"],
        ["index", "build", "x"],
        ["embed", "x", "-o", "y", "--shard-rows", "z"],
    ):
        with pytest.raises(Exception, match="No such option|Missing parameter|valid integer"):
            test_every_pie_command_in_the_readme_parses(wrong)


POOL = [
    {"instruction": instruction, "input": given, "output": "-", "label": label}
    for number in range(8)
    for instruction, given, label in [
        (f"Translate sentence {number} into German.", f"Good night {number}", "translate"),
        (f"Summarize article {number} in one line.", f"A long text {number}", "summarize"),
        (f"Add the numbers of list {number}.", f"{number}, {number + 1}", "add"),
        (f"Write a haiku about topic {number}.", "", "haiku"),
        (f"Sort list {number} in ascending order.", f"{number + 3}, 1, 2", "sort"),
    ]
]


@pytest.fixture(scope="module")
def served_default(tmp_path_factory: pytest.TempPathFactory):
    """`pie serve` on the README's address (127.0.0.1:8000), serving the static tier under the name
    "default" (fast to start; the example only needs an answer)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8000)) == 0:
            pytest.fail("port 8000 is taken: the README's OpenAI example needs it")
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = [PIE, "serve", "-m", "pie-static", "--served-model-name", "default", "--no-identify"]
    with open(log, "w") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get("http://127.0.0.1:8000/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


PYTHON = code_blocks("python")


@pytest.mark.parametrize("number", range(len(PYTHON)))
def test_every_python_example_runs_as_written(
    number: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    code = PYTHON[number]
    if "OpenAI(" in code:
        request.getfixturevalue("served_default")
    # the files the examples read, in the folder they run in
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(row) + "\n" for row in POOL[:12]))
    (tmp_path / "pool.jsonl").write_text("".join(json.dumps(row) + "\n" for row in POOL))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md python example {number + 1}", "exec"), {"__name__": "__readme__"})
