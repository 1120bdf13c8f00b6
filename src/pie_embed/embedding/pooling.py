"""Pooling: how one vector is read out of a transformer's hidden states.

Every strategy locates tokens through the attention mask, never by position alone, so padding (on either
side) cannot leak into a pooled vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from pie_embed.errors import ConfigError

POOLINGS: dict[str, str] = {
    "cls": "first token of the last layer (BERT's [CLS])",
    "mean": "mean over the tokens of the last layer (optionally only the instruction's own tokens)",
    "last": "last token of the last layer",
    "last-2": "last token averaged over the last two layers (the paper's decoder pooling)",
    "last-2-norm": "as last-2, but each layer's vector is L2-normalized before averaging",
    "last-and-first": "average of the first and last layers, pooled like `mid`",
    "mid": "middle layer; mean over tokens for encoders, last token for decoders",
    "mask": "last-layer hidden state at the mask token of an encoder template (e.g. prompt `pie-mask`)",
}
NEEDS_ALL_LAYERS = frozenset({"last-2", "last-2-norm", "last-and-first", "mid"})


@dataclass
class PoolingBatch:
    """What a pooling strategy sees for one padded batch."""

    hidden_states: tuple[torch.Tensor, ...]  # (embedding output, layer 1, ..., layer L), each [b, t, d]
    attention_mask: torch.Tensor  # [b, t], 1 for real tokens
    token_mask: torch.Tensor  # [b, t], 1 for the tokens `mean` averages
    input_ids: torch.Tensor  # [b, t]
    mask_token_id: int | None = None


def check_pooling(name: str) -> str:
    if name not in POOLINGS:
        raise ConfigError(f"unknown pooling {name!r}: use one of {', '.join(POOLINGS)}")
    return name


def first_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the first real token of each row (argmax returns the first maximum)."""
    return attention_mask.int().argmax(dim=1)


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last real token of each row, for left or right padding."""
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    return (attention_mask.int() * positions).argmax(dim=1)


def _gather(layer: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return layer[torch.arange(layer.shape[0], device=layer.device), index]


def _mean(layer: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
    weights = token_mask.to(layer.dtype).unsqueeze(-1)
    return (layer * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def _family_token(layer: torch.Tensor, batch: PoolingBatch, family: str) -> torch.Tensor:
    if family == "decoder":
        return _gather(layer, last_token_index(batch.attention_mask))
    return _mean(layer, batch.token_mask)


def pool(name: str, batch: PoolingBatch, family: str) -> torch.Tensor:
    """Pool one batch into [b, d] with strategy ``name`` for a model of ``family`` (encoder|decoder)."""
    hs = batch.hidden_states
    last = hs[-1]
    if name == "cls":
        return _gather(last, first_token_index(batch.attention_mask))
    if name == "mean":
        return _mean(last, batch.token_mask)
    if name == "last":
        return _gather(last, last_token_index(batch.attention_mask))
    if name in ("last-2", "last-2-norm"):
        index = last_token_index(batch.attention_mask)
        top, below = _gather(hs[-1], index), _gather(hs[-2], index)
        if name == "last-2-norm":
            top, below = F.normalize(top, dim=-1), F.normalize(below, dim=-1)
        return (top + below) / 2
    if name == "last-and-first":
        # hs[0] is the embedding output; the first transformer layer is hs[1].
        return _family_token((hs[1] + last) / 2, batch, family)
    if name == "mid":
        return _family_token(hs[len(hs) // 2], batch, family)
    if name == "mask":
        if batch.mask_token_id is None:
            raise ConfigError("pooling 'mask' needs a tokenizer with a mask token (an encoder such as BERT)")
        found = batch.input_ids == batch.mask_token_id
        if not bool(found.any(dim=1).all()):
            raise ConfigError("pooling 'mask' needs a prompt with {mask} in it, e.g. --prompt pie-mask")
        return _gather(last, found.int().argmax(dim=1))
    raise ConfigError(f"unknown pooling {name!r}: use one of {', '.join(POOLINGS)}")
