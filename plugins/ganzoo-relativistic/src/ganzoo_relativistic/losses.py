"""The relativistic average standard GAN loss (RaSGAN, Jolicoeur-Martineau 2018, arXiv:1807.00734).

A relativistic discriminator estimates how much more realistic real data is
than fake data *on average*, not whether one sample is real:

    D̃(x_r) = σ(C(x_r) - E[C(x_f)]),   D̃(x_f) = σ(C(x_f) - E[C(x_r)])

    L_D = -E[log D̃(x_r)] - E[log(1 - D̃(x_f))]
    L_G = -E[log D̃(x_f)] - E[log(1 - D̃(x_r))]

Unlike the standard losses, G's loss depends on real data too: the generator
also learns by making real samples look *less* real relative to its fakes.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.losses import GANLoss, LossTerms


def _relativistic(real_scores: Tensor, fake_scores: Tensor, real_target: float, fake_target: float) -> Tensor:
    real_logits = real_scores - fake_scores.mean()
    fake_logits = fake_scores - real_scores.mean()
    return (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_target))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.full_like(fake_logits, fake_target)))  # fmt: skip


class RelativisticAverageLoss(GANLoss):
    """RaSGAN. ``label_smoothing`` softens the real target of D to ``1 - s`` (one-sided)."""

    probability_scores = False  # raw scores: sigmoid(C(x)) alone is not a probability here
    cuda_graph_safe = True  # tensor code only: ganzoo may replay an iteration as one CUDA graph

    def __init__(self, label_smoothing: float = 0.0) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def d_objective(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return _relativistic(real_scores, fake_scores, 1.0 - self.label_smoothing, 0.0)

    def generator_loss(self, D: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor]) -> LossTerms:
        # D is frozen by the engine here; its real scores still enter G's loss.
        real_scores = D(real.detach(), labels).float()
        fake_scores = D(fake, labels).float()
        loss = _relativistic(real_scores, fake_scores, 0.0, 1.0)
        return LossTerms(loss, real_scores.detach(), fake_scores.detach())
