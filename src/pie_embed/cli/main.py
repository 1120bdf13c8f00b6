"""The ``pie`` command: a thin layer over the Python API.

``app`` lives in :mod:`pie_embed.cli.app`; importing a command module registers its commands on it, in
the order ``pie --help`` lists them. This module imports them all, and nothing imports it back.
"""

# isort: off
from pie_embed.cli import bench, embed, label, train, tools, serve  # noqa: F401  (register the commands)
from pie_embed.cli.app import app

# isort: on

__all__ = ["app"]

if __name__ == "__main__":
    app()
