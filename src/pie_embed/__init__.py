"""pie-embed: instruction embeddings that encode the task an instruction asks for."""

from pie_embed.data.writers import pie_embed_version
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.prompts import PROMPTS, PromptTemplate

__version__ = pie_embed_version()

__all__ = ["PROMPTS", "InstructionEmbedder", "PromptTemplate", "__version__"]
