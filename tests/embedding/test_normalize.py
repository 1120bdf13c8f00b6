"""unit_rows: unit-length rows, in place only when asked and allowed."""

import numpy as np

from pie_embed.embedding.normalize import unit_rows


def test_unit_rows_in_place_scales_the_array_itself():
    array = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    assert unit_rows(array, in_place=True) is array
    assert np.allclose(array, [[0.6, 0.8], [0.0, 0.0]])
    frozen = np.array([[3.0, 4.0]], np.float32)
    frozen.flags.writeable = False
    assert unit_rows(frozen, in_place=True) is not frozen


def test_unit_rows_never_writes_through_a_memory_map_unless_asked(tmp_path):
    np.save(tmp_path / "v.npy", np.array([[3.0, 4.0]], np.float32))
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    assert np.allclose(unit_rows(mapped), [[0.6, 0.8]])
    private = np.load(tmp_path / "v.npy", mmap_mode="c")
    unit_rows(private)
    assert private.tolist() == [[3.0, 4.0]]
