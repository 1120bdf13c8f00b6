"""pie-embed: instruction embeddings that encode the task an instruction asks for."""

from importlib.metadata import PackageNotFoundError, version

from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.prompts import PROMPTS, PromptTemplate

try:
    __version__ = version("pie-embed")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["InstructionEmbedder", "PROMPTS", "PromptTemplate", "__version__"]
