"""`pie serve`: an HTTP API (FastAPI + uvicorn) for embeddings, task identification and retrieval.

Needs the ``serve`` extra: ``pip install 'pie-embed[serve]'``.
"""

from pie_embed.serving.config import ServerConfig

__all__ = ["ServerConfig", "create_app", "serve"]


def __getattr__(name: str):  # the app and server import FastAPI; load them only when asked for
    if name == "create_app":
        from pie_embed.serving.app import create_app

        return create_app
    if name == "serve":
        from pie_embed.serving.server import serve

        return serve
    raise AttributeError(name)
