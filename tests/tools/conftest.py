from __future__ import annotations

import numpy as np
import pytest

from pie_embed.embedding.normalize import unit_rows


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """600 unit vectors in 12 well-separated groups of 50 (32-d), with their group ids."""
    rng = np.random.default_rng(0)
    centres = unit_rows(rng.normal(size=(12, 32)))
    groups = np.repeat(np.arange(12), 50)
    return unit_rows(centres[groups] + 0.04 * rng.normal(size=(600, 32))), groups
