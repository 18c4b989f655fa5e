"""Registers InfoGAN: its generator, discriminator, Q network, objective and recipe. Imports no torch."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import DiscriminatorSpec, GeneratorSpec, LossSpec, NetworkSpec, RecipeSpec, lazy

GANZOO_CONTRACT = "2.0"
INFOGAN = "Chen et al. 2016, InfoGAN: Interpretable Representation Learning by Information Maximizing GANs (arXiv:1606.03657)"


@hookimpl
def ganzoo_generators():
    yield GeneratorSpec(
        name="infogan-g",
        summary="InfoGAN's MNIST generator: [z, categorical and continuous codes] -> FC -> FC -> two deconvs.",
        build=lazy("ganzoo.zoo.infogan:InfoGANGenerator"),
        defaults={"latent_dim": 62, "categorical": [10], "continuous": 2, "width": 128},
        paper=INFOGAN,
        inputs="infogan-codes",
    )


@hookimpl
def ganzoo_discriminators():
    yield DiscriminatorSpec(
        name="infogan-d",
        summary="InfoGAN's MNIST discriminator: two convs and an FC layer; returns its score and those features.",
        build=lazy("ganzoo.zoo.infogan:InfoGANDiscriminator"),
        defaults={"base_channels": 64, "features": 1024},
        paper=INFOGAN,
        outputs=("score", "features"),
    )


@hookimpl
def ganzoo_networks():
    yield NetworkSpec(
        name="infogan-q",
        summary="InfoGAN's Q: predicts the latent codes from a discriminator's features (FC 128 -> codes).",
        build=lazy("ganzoo.zoo.infogan:QHead"),
        defaults={"in_features": 1024, "hidden": 128, "categorical": [10], "continuous": 2},
        paper=INFOGAN,
    )


@hookimpl
def ganzoo_losses():
    yield LossSpec(
        name="infogan",
        summary="InfoGAN: GAN loss plus the codes' mutual-information bound, maximised by G and a Q network.",
        build=lazy("ganzoo.zoo.infogan:InfoGANObjective"),
        defaults={"cat_weight": 1.0, "cont_weight": 0.1, "n_critic": 1},
        paper=INFOGAN,
    )


@hookimpl
def ganzoo_recipes():
    yield RecipeSpec(
        name="infogan-mnist",
        summary="InfoGAN on MNIST: a 10-way categorical code and 2 continuous codes, learnt without labels.",
        generator="infogan-g",
        discriminator="infogan-d",
        loss="infogan",
        dataset="mnist",
        # Q is trained with G, by G's optimizer (the paper's lr: 1e-3 for G and Q, 2e-4 for D).
        networks={"Q": {"kind": "network", "name": "infogan-q", "optimizer": {"share": "G"}}},
        # G at half the paper's width (64: FC 512 -> 7x7x64), so its weights ship in under 10 MB.
        params={"generator": {"width": 64},
                "train": {"steps": 5000, "batch_size": 64, "lr_g": 1e-3, "lr_d": 2e-4, "betas_g": [0.5, 0.999],
                          "betas_d": [0.5, 0.999], "grid_size": 100}},
        paper=INFOGAN,
        expect="A 10x10 grid whose columns are the values of code c0: most columns hold one digit each.",
    )
