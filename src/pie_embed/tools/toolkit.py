"""What `pie serve`'s task endpoints are built from: the tools' task identifier and demonstration index.

The server knows them only by their protocols (:mod:`pie_embed.serving.state`); this is the toolkit it is
handed, so that serving never imports the tools.
"""

from __future__ import annotations

from pathlib import Path

from pie_embed.embedding.protocol import TextEncoder
from pie_embed.tools.identify import TaskBank, TaskIdentifier
from pie_embed.tools.retrieve import DemonstrationIndex


class ServingToolkit:
    """``pie_embed.serving.serve(config, tools=ServingToolkit())``."""

    def identifier(self, embedder: TextEncoder, bank: list[Path] | None, labeler: bool) -> TaskIdentifier:
        """Task identification over ``bank``'s labeled files (None: the shipped bank)."""
        return TaskIdentifier(embedder, TaskBank.from_files(embedder, bank), use_labeler=labeler)

    def index(self, folder: Path) -> DemonstrationIndex:
        """The demonstration index saved in ``folder`` by `pie index build`."""
        return DemonstrationIndex.load(folder)
