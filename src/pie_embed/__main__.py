"""``python -m pie_embed``: the ``pie`` command."""

from pie_embed.cli.main import app

app()
