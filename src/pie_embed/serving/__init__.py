"""`pie serve`: an HTTP API (FastAPI + uvicorn) for embeddings, task identification and retrieval.

Needs the ``serve`` extra: ``pip install 'pie-embed[serve]'``.
"""

from pie_embed.lazy import lazy_exports
from pie_embed.serving.config import ServerConfig

__all__ = ["ServerConfig", "create_app", "serve"]

# the app and the server import FastAPI: they load only when asked for
__getattr__, __dir__ = lazy_exports(__name__, {"create_app": ".app", "serve": ".server"})
