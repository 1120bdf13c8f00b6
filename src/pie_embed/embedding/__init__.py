"""Embedding instructions: models, prompts, pooling and the embedder itself.

Names load on first use: the configuration and the protocol do not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pie_embed.lazy import lazy_exports

if TYPE_CHECKING:
    from pie_embed.embedding.adapter import EncoderAdapter
    from pie_embed.embedding.cache import EmbeddingCache
    from pie_embed.embedding.config import EmbedderConfig
    from pie_embed.embedding.embedder import InstructionEmbedder
    from pie_embed.embedding.encoder import TextEncoder
    from pie_embed.embedding.job import EmbedResult, embed_to, run_embedding_job
    from pie_embed.embedding.models import LoadedModel, known_aliases, load_model
    from pie_embed.embedding.pooling import POOLINGS
    from pie_embed.embedding.prompts import PROMPTS, PromptTemplate, get_prompt
    from pie_embed.embedding.protocol import EncoderBase
    from pie_embed.embedding.ray_engine import RayEncoder
    from pie_embed.embedding.static import StaticEncoder
    from pie_embed.embedding.stats import EncodeStats

_LAZY = {
    "EmbeddingCache": "cache",
    "EmbedderConfig": "config",
    "EncodeStats": "stats",
    "InstructionEmbedder": "embedder",
    "TextEncoder": "encoder",
    "EmbedResult": "job",
    "embed_to": "job",
    "run_embedding_job": "job",
    "EncoderAdapter": "adapter",
    "EncoderBase": "protocol",
    "RayEncoder": "ray_engine",
    "StaticEncoder": "static",
    "LoadedModel": "models",
    "known_aliases": "models",
    "load_model": "models",
    "POOLINGS": "pooling",
    "PROMPTS": "prompts",
    "PromptTemplate": "prompts",
    "get_prompt": "prompts",
}
__all__ = [
    "POOLINGS",
    "PROMPTS",
    "EmbedResult",
    "EmbedderConfig",
    "EmbeddingCache",
    "EncodeStats",
    "EncoderAdapter",
    "EncoderBase",
    "InstructionEmbedder",
    "LoadedModel",
    "PromptTemplate",
    "RayEncoder",
    "StaticEncoder",
    "TextEncoder",
    "embed_to",
    "get_prompt",
    "known_aliases",
    "load_model",
    "run_embedding_job",
]


__getattr__, __dir__ = lazy_exports(__name__, {name: f".{module}" for name, module in _LAZY.items()})
