"""Registers the differentiable augmentations. Imports no torch: builders are lazy."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import AugmentSpec, lazy

GANZOO_CONTRACT = "2.0"
DIFFAUGMENT = "Zhao et al. 2020, Differentiable Augmentation for Data-Efficient GAN Training (arXiv:2006.10738)"
ADA = "Karras et al. 2020, Training Generative Adversarial Networks with Limited Data (arXiv:2006.06676)"


@hookimpl
def ganzoo_augmentations():
    yield AugmentSpec(
        name="diffaugment",
        summary="DiffAugment: color, translation and cutout on every image D sees, real and fake.",
        build=lazy("ganzoo.zoo.diffaugment:DiffAugment"),
        defaults={"policy": "color,translation,cutout"},
        paper=DIFFAUGMENT,
    )
    yield AugmentSpec(
        name="adaptive-diffaugment",
        summary="DiffAugment's transforms with a probability p steered by ADA's overfitting heuristic.",
        build=lazy("ganzoo.zoo.diffaugment:AdaptiveDiffAugment"),
        defaults={"policy": "color,translation,cutout", "target": 0.6, "interval": 4, "speed_kimg": 100.0,
                  "initial_p": 0.0},
        paper=f"{ADA}; {DIFFAUGMENT}",
    )
