import math

import torch

from pie_embed.training.losses.task_contrastive import TaskContrastiveLoss, same_task_mask


def test_mask_covers_same_task_candidates_but_not_own_positive():
    tasks = torch.tensor([0, 1, 0])
    mask = same_task_mask(tasks, torch.cat([tasks, torch.tensor([1, 0, 2])]))
    expected = torch.tensor(
        [
            # positives 0 1 2 | negatives of examples 0 1 2
            [
                False,
                False,
                True,
                False,
                True,
                False,
            ],  # anchor 0 (task 0): positive 2 and negative 1 are task 0
            [False, False, False, True, False, False],  # anchor 1 (task 1): negative 0 is task 1
            [True, False, False, False, True, False],  # anchor 2 (task 0)
        ]
    )
    assert torch.equal(mask, expected)


class _NoModel(torch.nn.Module):
    """The loss only needs a model for forward(); these tests call compute_loss_from_embeddings."""


def _loss(mask: bool) -> TaskContrastiveLoss:
    return TaskContrastiveLoss(_NoModel(), scale=20.0, mask_same_task=mask)


def test_masked_loss_ignores_false_negatives_on_a_constructed_batch():
    # Anchors 0 and 1 share a task; every anchor equals its own positive. Anchor 0's in-batch "negative"
    # is anchor 1's positive (same task, and identical here): unmasked, it costs log 2 per such pair.
    anchors = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    positives = anchors.clone()
    negatives = torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([[0, 1], [0, 1], [1, 0]])
    masked = _loss(True).compute_loss_from_embeddings([anchors, positives, negatives], labels)
    unmasked = _loss(False).compute_loss_from_embeddings([anchors, positives, negatives], labels)
    # With masking, anchors 0 and 1 see only dissimilar candidates: loss near 0. Without it the two
    # same-task anchors split their probability between two identical candidates.
    assert float(masked) < 1e-6
    assert float(unmasked) > 2 / 3 * math.log(2) * 0.99


def test_similar_task_matrix_widens_the_mask():
    tasks = torch.tensor([0, 1, 2])
    similar = torch.tensor([[True, True, False], [True, True, False], [False, False, True]])
    mask = same_task_mask(tasks, torch.cat([tasks, torch.tensor([1, 0, 0])]), similar)
    expected = torch.tensor(
        [
            # positives 0 1 2 | negatives (tasks 1 0 0)
            [False, True, False, True, True, True],  # task 0 ~ task 1: positive 1 and every negative masked
            [True, False, False, True, True, True],
            [False, False, False, False, False, False],  # task 2 is like no other
        ]
    )
    assert torch.equal(mask, expected)
