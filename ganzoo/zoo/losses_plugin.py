"""Registers the classic adversarial losses. Imports no torch: builders are lazy."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import LossSpec, lazy

GOODFELLOW = "Goodfellow et al. 2014, Generative Adversarial Nets (arXiv:1406.2661)"
LSGAN = "Mao et al. 2017, Least Squares Generative Adversarial Networks (arXiv:1611.04076)"
WGAN = "Arjovsky, Chintala, Bottou 2017, Wasserstein GAN (arXiv:1701.07875)"
WGAN_GP = "Gulrajani et al. 2017, Improved Training of Wasserstein GANs (arXiv:1704.00028)"
HINGE = (
    "Lim & Ye 2017, Geometric GAN (arXiv:1705.02894); "
    "Miyato et al. 2018, Spectral Normalization for GANs (arXiv:1802.05957)"
)


@hookimpl
def ganzoo_losses():
    yield LossSpec(
        name="minimax",
        summary="The original saturating GAN loss: G minimises log(1 - D(G(z))).",
        build=lazy("ganzoo.zoo.gan_losses:MinimaxLoss"),
        defaults={"label_smoothing": 0.0},
        paper=GOODFELLOW,
    )
    yield LossSpec(
        name="non-saturating",
        summary="The standard GAN loss: D as in minimax, G maximises log D(G(z)).",
        build=lazy("ganzoo.zoo.gan_losses:NonSaturatingLoss"),
        defaults={"label_smoothing": 0.0},
        paper=GOODFELLOW,
    )
    yield LossSpec(
        name="least-squares",
        summary="LSGAN: squared error to targets a (fake), b (real) for D and c for G.",
        build=lazy("ganzoo.zoo.gan_losses:LeastSquaresLoss"),
        defaults={"a": 0.0, "b": 1.0, "c": 1.0},
        paper=LSGAN,
    )
    yield LossSpec(
        name="wasserstein",
        summary="WGAN: critic estimates the Wasserstein distance; weights clipped, 5 critic steps.",
        build=lazy("ganzoo.zoo.gan_losses:WassersteinLoss"),
        defaults={"clip": 0.01},
        paper=WGAN,
    )
    yield LossSpec(
        name="wgan-gp",
        summary="WGAN-GP: Wasserstein critic with a gradient penalty on interpolates, 5 critic steps.",
        build=lazy("ganzoo.zoo.gan_losses:WGANGPLoss"),
        defaults={"gp_weight": 10.0},
        paper=WGAN_GP,
    )
    yield LossSpec(
        name="hinge",
        summary="Hinge loss of Geometric GAN / SN-GAN / SAGAN: D margins at +-1, G maximises D(G(z)).",
        build=lazy("ganzoo.zoo.gan_losses:HingeLoss"),
        defaults={},
        paper=HINGE,
    )
