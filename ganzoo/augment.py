"""Augmentations of what the discriminator sees: what an ``AugmentSpec`` builder returns (contract 2).

With ``train.augment=NAME`` the engine puts the augmentation in front of
every discriminator of the run, so it applies to every image a
discriminator sees -- real and fake, in every phase and every penalty -- and
it is differentiable, so the generator learns through it (Zhao et al. 2020,
DiffAugment; Karras et al. 2020, ADA). No loss or discriminator has to know.

An adaptive augmentation also watches D's scores on real data (``observe``)
and adjusts its strength once per iteration (``update``); its state is a
module's state dict, saved in every checkpoint.
"""

from __future__ import annotations

from typing import Any, Optional

from torch import Tensor, nn


class Augment(nn.Module):
    """Base class: ``forward(x)`` returns an augmented copy of a batch of images.

    Each sample gets transforms of its own; the transform of one sample is
    applied to all of its channels at once (a paired discriminator's
    ``[source, image]`` stays aligned). Keep state in buffers, so that it is
    checkpointed and moves with the module.

    Attributes:
        cuda_graph_safe: see :class:`ganzoo.losses.GANLoss` (own class only).
    """

    cuda_graph_safe: bool = False

    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def observe(self, real_scores: Tensor) -> None:
        """D's raw scores on a real batch, after each phase that reports them (adaptive variants)."""

    def update(self, images: int) -> None:
        """Called once per training iteration with the real images it consumed (adaptive variants)."""

    def stats(self) -> dict[str, float]:
        """Numbers to log with the losses (an adaptive variant's probability ``p``); reads the device."""
        return {}


class AugmentedDiscriminator(nn.Module):
    """``D(augment(x), ...)``: what the engine runs in place of a discriminator when ``train.augment`` is set."""

    def __init__(self, discriminator: nn.Module, augment: Augment) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.augment = augment

    def forward(self, x: Tensor, *args: Any, **kwargs: Any) -> Any:
        return self.discriminator(self.augment(x), *args, **kwargs)


def augment_name(train: dict[str, Any]) -> Optional[str]:
    """The augmentation a run's ``train`` section selects, or None."""
    name = train.get("augment") or ""
    return name or None


__all__ = ["Augment", "AugmentedDiscriminator", "augment_name"]
