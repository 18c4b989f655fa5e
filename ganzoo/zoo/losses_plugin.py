"""Registers the classic adversarial losses and StyleGAN2's phased objective. Imports no torch: builders are lazy."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import LossSpec, lazy

GANZOO_CONTRACT = "2.0"

GOODFELLOW = "Goodfellow et al. 2014, Generative Adversarial Nets (arXiv:1406.2661)"
LSGAN = "Mao et al. 2017, Least Squares Generative Adversarial Networks (arXiv:1611.04076)"
WGAN = "Arjovsky, Chintala, Bottou 2017, Wasserstein GAN (arXiv:1701.07875)"
WGAN_GP = "Gulrajani et al. 2017, Improved Training of Wasserstein GANs (arXiv:1704.00028)"
STYLEGAN2 = "Karras et al. 2020, Analyzing and Improving the Image Quality of StyleGAN (arXiv:1912.04958)"
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
    yield LossSpec(
        name="stylegan2",
        summary="StyleGAN2's objective: logistic loss, lazy R1 every 16 steps, lazy path-length regularisation every 4.",
        build=lazy("ganzoo.zoo.stylegan_objective:StyleGAN2Objective"),
        defaults={"r1_gamma": 10.0, "r1_interval": 16, "pl_weight": 2.0, "pl_interval": 4, "pl_decay": 0.01,
                  "pl_batch_shrink": 2, "n_critic": 1},
        paper=STYLEGAN2,
    )
