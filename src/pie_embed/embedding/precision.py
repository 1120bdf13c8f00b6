"""Numeric precision of the forward pass: bf16 where the hardware multiplies it natively, int8 (dynamically
quantised linear layers) for encoders on CPUs without it, fp32 on request or for decoders there."""

from __future__ import annotations

import os
from typing import Any

from pie_embed.errors import ConfigError

PRECISIONS = ("auto", "fp32", "bf16", "int8")
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


def resolve_precision(precision: str | None = "auto", device: str = "cpu", family: str = "encoder") -> str:
    """``fp32``, ``bf16`` or ``int8``. ``auto`` (or None) reads ``PIE_PRECISION`` and otherwise picks bf16
    where the device has native bf16; on a CPU without it, int8 for an encoder (2.4x fp32 with FBGEMM held
    to AVX2 kernels, ICT/IIS within 0.011 of fp32; docs/scale.md) and fp32 for a decoder (int8 is not
    measured on the decoders)."""
    chosen = precision or "auto"
    if chosen == "auto":
        chosen = os.environ.get(PRECISION_ENV, "auto") or "auto"
    if chosen not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {chosen!r}")
    if chosen == "auto":
        if bf16_supported(device):
            return "bf16"
        return "int8" if device == "cpu" and family == "encoder" else "fp32"
    return chosen


def quantize_int8(model: Any) -> Any:
    """``model`` with every ``nn.Linear`` replaced by a dynamically quantised int8 one, in place: torch's
    ``quantize_dynamic`` (FBGEMM / oneDNN kernels), weights int8 per output channel, activations quantised
    per batch. Per-channel weights keep the vectors closer to fp32 than one scale per matrix (MiniLM on
    ICT: mean cosine 0.975 against 0.942) at the same speed."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    with warnings.catch_warnings():
        # torch 2.13 marks torch.ao's eager quantization for migration to torchao; it still works as
        # before, and torchao's CPU int8 path is not measured here yet (docs/scale.md)
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )
