"""pie-embed: instruction embeddings that encode the task an instruction asks for.

The names below load on first use, so ``import pie_embed`` (and ``pie --help``) does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pie_embed.lazy import lazy_exports
from pie_embed.version import pie_embed_version

if TYPE_CHECKING:
    from pie_embed.embedding.embedder import InstructionEmbedder
    from pie_embed.embedding.prompts import PROMPTS, PromptTemplate
    from pie_embed.tools.deduplicate import deduplicate

__version__ = pie_embed_version()
__all__ = ["PROMPTS", "InstructionEmbedder", "PromptTemplate", "__version__", "deduplicate"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "InstructionEmbedder": ".embedding.embedder",
        "PROMPTS": ".embedding.prompts",
        "PromptTemplate": ".embedding.prompts",
        "deduplicate": ".tools.deduplicate",
    },
)
