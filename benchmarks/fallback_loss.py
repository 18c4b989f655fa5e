"""A stand-in ``non-saturating`` loss, registered only while the zoo has none.

The engine is the real one either way; only the loss object comes from here
until ``ganzoo/zoo/gan_losses.py`` provides it. Same mathematics as the
textbook's BCE-with-logits: D minimises softplus(-D(x)) + softplus(D(G(z))),
G minimises softplus(-D(G(z))).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ganzoo import LossSpec, hookimpl
from ganzoo.losses import GANLoss

LOSS_NAME = "non-saturating"


class NonSaturatingLoss(GANLoss):
    """Goodfellow et al.'s non-saturating GAN loss on raw scores (logits)."""

    probability_scores = True

    def d_objective(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()

    def g_objective(self, fake_scores: Tensor) -> Tensor:
        return F.softplus(-fake_scores).mean()


@hookimpl
def ganzoo_losses():
    yield LossSpec(
        name=LOSS_NAME,
        summary="Benchmark stand-in: the non-saturating GAN loss (softplus form).",
        build=NonSaturatingLoss,
    )
