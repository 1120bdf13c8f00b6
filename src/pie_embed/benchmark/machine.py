"""The machine a figure was measured on: CPU model and the flags that decide speed (AVX2, AVX-512,
bf16, AMX). Every benchmark JSON carries it, since the CPU differs from one machine to the next."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["machine_info", "machine_line"]

# /proc/cpuinfo flag -> the name shown
_FLAGS = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_bf16": "AVX512-BF16",
    "amx_bf16": "AMX-BF16",
}


def _cpuinfo() -> tuple[str, set[str]]:
    """The CPU's name (with its family and model numbers, which tell generations of one brand apart)
    and its flags, from the first processor in /proc/cpuinfo."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor() or platform.machine(), set()
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name, set((fields.get("flags") or fields.get("Features") or "").split())


def machine_info() -> dict[str, Any]:
    """CPU model, cores, speed-relevant flags, and the Python / torch versions, as JSON-ready values."""
    name, flags = _cpuinfo()
    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = None
    return {
        "cpu": name,
        "cores": os.cpu_count(),
        "flags": {label: flag in flags for flag, label in _FLAGS.items()},
        "python": sys.version.split()[0],
        "torch": torch_version,
    }


def machine_line(info: dict[str, Any] | None = None) -> str:
    """One line for a table caption: ``AMD EPYC, 2 cores, AVX2, no AVX-512, no AMX-BF16``."""
    info = info or machine_info()
    flags = [name if present else f"no {name}" for name, present in info["flags"].items()]
    return f"{info['cpu']}, {info['cores']} cores, {', '.join(flags)}"
