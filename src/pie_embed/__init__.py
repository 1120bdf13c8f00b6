"""pie-embed: instruction embeddings that encode the task an instruction asks for.

The names below load on first use, so ``import pie_embed`` (and ``pie --help``) does not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pie_embed.embedding.embedder import InstructionEmbedder
    from pie_embed.embedding.prompts import PROMPTS, PromptTemplate

__all__ = ["PROMPTS", "InstructionEmbedder", "PromptTemplate", "__version__"]

_LAZY = {
    "InstructionEmbedder": "pie_embed.embedding.embedder",
    "PROMPTS": "pie_embed.embedding.prompts",
    "PromptTemplate": "pie_embed.embedding.prompts",
    "pie_embed_version": "pie_embed.data.writers",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return __getattr__("pie_embed_version")()
    if name not in _LAZY:
        raise AttributeError(f"module 'pie_embed' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    if name != "pie_embed_version":
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
