"""Running the application under uvicorn on a socket bound before start-up."""

from __future__ import annotations

import socket
from collections.abc import Callable

from pie_embed.errors import ConfigError
from pie_embed.serving.config import ServerConfig
from pie_embed.serving.state import ServingState, ServingTools


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port), or a one-line error if the address is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ConfigError(f"--host {host!r}: {error.strerror}") from None
    # IPv4 first: "localhost" then binds 127.0.0.1, the address clients try first
    family, kind, proto, _, address = sorted(infos, key=lambda info: info[0] != socket.AF_INET)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(
    config: ServerConfig,
    on_listening: Callable[[str, ServingState], None] | None = None,
    *,
    tools: ServingTools | None = None,
) -> None:
    """Load the models (``tools`` builds the index and the identifier: ``pie_embed.tools.ServingToolkit()``),
    bind, and serve until SIGINT/SIGTERM; in-flight requests finish before exit."""
    import uvicorn

    from pie_embed.serving.app import create_app

    state = ServingState.load(config, tools)
    sock = bind_socket(config.host, config.port)
    host, port = sock.getsockname()[:2]
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    if on_listening is not None:
        on_listening(url, state)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state),
            log_level=config.log_level,
            access_log=config.access_log,
            timeout_graceful_shutdown=config.graceful_timeout,
            server_header=False,
        )
    )
    server.run(sockets=[sock])
