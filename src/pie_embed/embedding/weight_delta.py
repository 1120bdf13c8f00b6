"""A fine-tuned model as a small file of weight changes over its base model.

A full fine-tune of all-MiniLM-L6-v2 changes 22.7M weights (87 MB), while the change itself is nearly
low-rank. :func:`compress_delta` keeps each changed matrix as two rank-``r`` factors from its SVD
(``delta ~ up @ down``) and each small tensor (biases, LayerNorm) whole, in fp16; :func:`apply_delta`
adds them back onto the base model. At rank 32 the file for MiniLM's encoder layers is about 3 MB.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["apply_delta", "compress_delta", "load_delta", "save_delta"]

_UP, _DOWN, _FULL = ".delta_up", ".delta_down", ".delta"


def compress_delta(
    base: Mapping[str, Any], tuned: Mapping[str, Any], rank: int = 32, *, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The change from ``base`` to ``tuned`` (state dicts; every weight of ``tuned`` must be in ``base``,
    which may hold more, such as buffers): low-rank factors for matrices larger than ``rank`` on both
    sides, whole deltas for the rest; unchanged tensors and names containing any of ``skip`` are left
    out."""
    import torch

    missing = sorted(set(tuned) - set(base))
    if missing:
        raise ValueError(f"the models differ in their weights: {missing[:3]}")
    delta: dict[str, Any] = {}
    for name, value in tuned.items():
        if any(part in name for part in skip):
            continue
        change = value.float() - base[name].float()
        if not torch.any(change):
            continue
        if change.ndim == 2 and min(change.shape) > 2 * rank:
            u, s, vh = torch.linalg.svd(change, full_matrices=False)
            root = s[:rank].sqrt()
            delta[name + _UP] = (u[:, :rank] * root).half().contiguous()
            delta[name + _DOWN] = (root[:, None] * vh[:rank]).half().contiguous()
        else:
            delta[name + _FULL] = change.half().contiguous()
    return delta


def apply_delta(model: Any, delta: Mapping[str, Any]) -> None:
    """Add ``delta`` (from :func:`compress_delta`) onto ``model``'s weights in place."""
    import torch

    state = model.state_dict()
    with torch.no_grad():
        for key, value in delta.items():
            if key.endswith(_FULL):
                name, change = key[: -len(_FULL)], value.float()
            elif key.endswith(_UP):
                name = key[: -len(_UP)]
                change = value.float() @ delta[name + _DOWN].float()
            else:
                continue  # the second factor, used with its first
            if name not in state:
                raise ValueError(f"the weight change names {name!r}, which the base model does not have")
            state[name].add_(change.to(state[name].dtype))


def save_delta(delta: Mapping[str, Any], path: str | Path, metadata: Mapping[str, str]) -> None:
    """Save ``delta`` as safetensors with ``metadata`` (written atomically)."""
    from safetensors.torch import save

    from pie_embed.data.atomic import atomic_write

    atomic_write(Path(path), lambda stream: stream.write(save(dict(delta), metadata=dict(metadata))))


def load_delta(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The tensors and the metadata of a saved weight change (safetensors: no code runs on load)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        names = list(handle.keys())  # noqa: SIM118 (a safetensors handle is not iterable)
        return {key: handle.get_tensor(key) for key in names}, dict(handle.metadata() or {})
