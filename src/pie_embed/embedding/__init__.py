"""Embedding instructions: models, prompts, pooling and the embedder itself."""

from pie_embed.embedding.cache import EmbeddingCache
from pie_embed.embedding.embedder import EncodeStats, InstructionEmbedder
from pie_embed.embedding.encoder import TextEncoder
from pie_embed.embedding.files import EmbedFileResult, embed_file
from pie_embed.embedding.models import LoadedModel, known_aliases, load_model
from pie_embed.embedding.pooling import POOLINGS
from pie_embed.embedding.prompts import PROMPTS, PromptTemplate, get_prompt

__all__ = [
    "POOLINGS",
    "PROMPTS",
    "EmbedFileResult",
    "EmbeddingCache",
    "EncodeStats",
    "InstructionEmbedder",
    "LoadedModel",
    "PromptTemplate",
    "TextEncoder",
    "embed_file",
    "get_prompt",
    "known_aliases",
    "load_model",
]
