"""Numeric precision of the forward pass: fp32, or bf16 where the hardware multiplies it natively."""

from __future__ import annotations

import os

from pie_embed.errors import ConfigError

PRECISIONS = ("auto", "fp32", "bf16")
PRECISION_ENV = "PIE_PRECISION"


def bf16_supported(device: str = "cpu") -> bool:
    """Whether ``device`` multiplies bf16 natively (AMX tiles or AVX512-BF16 on CPUs); without it bf16 is
    emulated and slower than fp32."""
    import torch

    if device.startswith("cuda"):
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device != "cpu":
        return False
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return bool((amx and amx()) or (avx512_bf16 and avx512_bf16()))


def resolve_precision(precision: str | None = "auto", device: str = "cpu") -> str:
    """``fp32`` or ``bf16``. ``auto`` (or None) reads ``PIE_PRECISION`` and otherwise picks bf16 exactly
    when the device has native bf16."""
    chosen = precision or "auto"
    if chosen == "auto":
        chosen = os.environ.get(PRECISION_ENV, "auto") or "auto"
    if chosen not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {chosen!r}")
    if chosen == "auto":
        return "bf16" if bf16_supported(device) else "fp32"
    return chosen
