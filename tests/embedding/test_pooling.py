import pytest
import torch

from pie_embed.embedding.pooling import POOLINGS, PoolingBatch, last_token_index, pool
from pie_embed.errors import ConfigError

MASK_ID = 103


def make_batch(padding_side: str) -> PoolingBatch:
    """Two rows: 3 real tokens + 2 pads, and 5 real tokens; 4 layers of hidden states (incl. embeddings)."""
    torch.manual_seed(0)
    hidden = tuple(torch.randn(2, 5, 4) for _ in range(4))
    attention = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    ids = torch.tensor([[101, MASK_ID, 102, 0, 0], [101, 7, 8, MASK_ID, 102]])
    if padding_side == "left":
        attention = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
        ids = torch.tensor([[0, 0, 101, MASK_ID, 102], [101, 7, 8, MASK_ID, 102]])
    return PoolingBatch(hidden, attention, attention.clone(), ids, MASK_ID)


def real_positions(batch: PoolingBatch, row: int) -> list[int]:
    return [i for i, m in enumerate(batch.attention_mask[row].tolist()) if m]


@pytest.mark.parametrize("side", ["left", "right"])
def test_token_poolings_read_real_tokens(side):
    batch = make_batch(side)
    last = batch.hidden_states[-1]
    for row in range(2):
        positions = real_positions(batch, row)
        first, final = positions[0], positions[-1]
        torch.testing.assert_close(pool("cls", batch, "encoder")[row], last[row, first])
        torch.testing.assert_close(pool("last", batch, "decoder")[row], last[row, final])
        torch.testing.assert_close(pool("mean", batch, "encoder")[row], last[row, positions].mean(0))
        expected = (last[row, final] + batch.hidden_states[-2][row, final]) / 2
        torch.testing.assert_close(pool("last-2", batch, "decoder")[row], expected)
        mask_at = batch.input_ids[row].tolist().index(MASK_ID)
        torch.testing.assert_close(pool("mask", batch, "encoder")[row], last[row, mask_at])


def test_last_token_index_both_sides():
    assert last_token_index(torch.tensor([[1, 1, 0], [0, 1, 1], [1, 1, 1]])).tolist() == [1, 2, 2]


def test_mean_uses_token_mask():
    batch = make_batch("right")
    batch.token_mask = torch.tensor([[0, 1, 0, 0, 0], [0, 1, 1, 0, 0]])
    out = pool("mean", batch, "encoder")
    last = batch.hidden_states[-1]
    torch.testing.assert_close(out[0], last[0, 1])
    torch.testing.assert_close(out[1], last[1, 1:3].mean(0))


def test_last_2_norm_normalizes_each_layer():
    batch = make_batch("right")
    out = pool("last-2-norm", batch, "decoder")
    top = torch.nn.functional.normalize(batch.hidden_states[-1][1, 4], dim=0)
    below = torch.nn.functional.normalize(batch.hidden_states[-2][1, 4], dim=0)
    torch.testing.assert_close(out[1], (top + below) / 2)


def test_layer_poolings_are_family_aware():
    batch = make_batch("right")
    hs = batch.hidden_states
    mid = hs[len(hs) // 2]
    torch.testing.assert_close(pool("mid", batch, "encoder")[0], mid[0, :3].mean(0))
    torch.testing.assert_close(pool("mid", batch, "decoder")[0], mid[0, 2])
    first_last = (hs[1] + hs[-1]) / 2
    torch.testing.assert_close(pool("last-and-first", batch, "encoder")[1], first_last[1].mean(0))
    torch.testing.assert_close(pool("last-and-first", batch, "decoder")[0], first_last[0, 2])


def test_mask_pooling_errors():
    batch = make_batch("right")
    batch.input_ids = torch.zeros_like(batch.input_ids)
    with pytest.raises(ConfigError, match="pie-mask"):
        pool("mask", batch, "encoder")
    batch.mask_token_id = None
    with pytest.raises(ConfigError, match="mask token"):
        pool("mask", batch, "encoder")


def test_unknown_pooling():
    with pytest.raises(ConfigError, match="unknown pooling"):
        pool("max", make_batch("right"), "encoder")
    assert len(POOLINGS) == 8
