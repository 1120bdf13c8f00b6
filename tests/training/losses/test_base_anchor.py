import torch

from pie_embed.training.losses import BaseAnchorLoss


class _Fixed(torch.nn.Module):
    """A 'model' that returns the vectors it is given as features."""

    def forward(self, features):
        return {"sentence_embedding": features["vectors"]}


def test_zero_at_the_base_and_weighted_cosine_distance_away_from_it():
    base = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    loss = BaseAnchorLoss(_Fixed(), weight=3.0)
    assert loss([{"vectors": base}], base).item() == 0.0
    moved = torch.tensor([[0.0, 1.0], [0.0, 5.0]])  # first turned by 90 degrees, second only rescaled
    assert abs(loss([{"vectors": moved}], base).item() - 3.0 * (1.0 + 0.0) / 2) < 1e-6
    assert loss.get_config_dict()["weight"] == 3.0 and loss.get_config_dict()["distance_metric"] == "cosine"
