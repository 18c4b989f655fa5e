"""Registers the MLP models and the recipes built on them. Imports no torch."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import DiscriminatorSpec, GeneratorSpec, RecipeSpec, lazy

GOODFELLOW = "Goodfellow et al. 2014, Generative Adversarial Nets (arXiv:1406.2661)"
PACGAN = "Lin et al. 2018, PacGAN: The power of two samples in GANs (arXiv:1712.04086)"
MLP_G = lazy("ganzoo.zoo.mlp:MLPGenerator")
MLP_D = lazy("ganzoo.zoo.mlp:MLPDiscriminator")


@hookimpl
def ganzoo_generators():
    yield GeneratorSpec(
        name="vanilla-mlp-g",
        summary="Goodfellow-style MLP generator: z -> hidden layers (LeakyReLU) -> tanh image.",
        build=MLP_G,
        defaults={"latent_dim": 100, "hidden": [256, 512, 1024], "activation": "leaky_relu",
                  "batch_norm": False, "dropout": 0.0, "output": "tanh"},
        paper=GOODFELLOW,
    )
    yield GeneratorSpec(
        name="toy-mlp-g",
        summary="The classic 2-D toy generator: latent 5 -> Dense(15, ReLU) -> 2 linear.",
        build=MLP_G,
        defaults={"latent_dim": 5, "hidden": [15], "activation": "relu", "batch_norm": False,
                  "dropout": 0.0, "output": "linear"},
    )


@hookimpl
def ganzoo_discriminators():
    yield DiscriminatorSpec(
        name="vanilla-mlp-d",
        summary="Goodfellow-style MLP discriminator with LeakyReLU and dropout.",
        build=MLP_D,
        defaults={"hidden": [1024, 512, 256], "activation": "leaky_relu", "dropout": 0.3, "spectral_norm": False},
        paper=GOODFELLOW,
    )
    yield DiscriminatorSpec(
        name="toy-mlp-d",
        summary="The classic 2-D toy discriminator: Dense(25, LeakyReLU) -> 1.",
        build=MLP_D,
        defaults={"hidden": [25], "activation": "leaky_relu", "dropout": 0.0, "spectral_norm": False},
    )


@hookimpl
def ganzoo_recipes():
    yield RecipeSpec(
        name="vanilla-mnist",
        summary="The original GAN on MNIST: MLP generator and discriminator, non-saturating loss.",
        generator="vanilla-mlp-g",
        discriminator="vanilla-mlp-d",
        loss="non-saturating",
        dataset="mnist",
        # Batch norm in G (eps 1e-5, momentum 0.1 -- not the reference code's
        # BatchNorm1d(n, 0.8)) keeps this MLP GAN from collapsing onto a few digits.
        params={"generator": {"batch_norm": True},
                "train": {"steps": 6000, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4,
                          "betas_g": [0.5, 0.999], "betas_d": [0.5, 0.999], "ema_halflife_kimg": 10.0}},
        paper=GOODFELLOW,
        expect="Recognisable digits of all ten classes after a few minutes on 2 CPU cores.",
    )
    yield RecipeSpec(
        name="vanilla-mnist-small",
        summary="The small tutorial GAN: 100 -> 128 -> 256 -> 784 (sigmoid) on MNIST in [0, 1].",
        generator="vanilla-mlp-g",
        discriminator="vanilla-mlp-d",
        loss="non-saturating",
        dataset="mnist",
        params={"generator": {"hidden": [128, 256], "output": "sigmoid", "activation": "leaky_relu",
                              "batch_norm": True},
                "discriminator": {"hidden": [256, 128], "dropout": 0.0},
                "dataset": {"value_range": [0.0, 1.0]},
                "train": {"steps": 6000, "batch_size": 64}},
        paper=GOODFELLOW,
        expect="Blurry but recognisable digits; faster and weaker than vanilla-mnist.",
    )
    yield RecipeSpec(
        name="toy-2d",
        summary="The toy 2-D GAN of tutorials: learn the curve y = sin(x) with tiny MLPs.",
        generator="toy-mlp-g",
        discriminator="toy-mlp-d",
        loss="non-saturating",
        dataset="curve-2d",
        params={"train": {"steps": 3000, "batch_size": 128, "lr_g": 1e-3, "lr_d": 1e-3,
                          "ema_halflife_kimg": 0.0, "sample_every": 500}},
        expect="Generated points (red) trace the sine curve (grey) within a minute.",
    )
    yield RecipeSpec(
        name="ring-8",
        summary="8 Gaussians on a ring (PacGAN benchmark) with 3x128 MLPs, a generator EMA and R1 (gamma 1).",
        generator="vanilla-mlp-g",
        discriminator="vanilla-mlp-d",
        loss="non-saturating",
        dataset="ring-8",
        params={"generator": {"latent_dim": 2, "hidden": [128, 128, 128], "activation": "relu", "output": "linear"},
                "discriminator": {"hidden": [128, 128, 128], "dropout": 0.0},
                # R1 (Mescheder et al. 2018): without it 3-7 of 16 seeds collapsed onto 4-7 modes; with it none.
                "train": {"steps": 3000, "batch_size": 256, "lr_g": 1e-3, "lr_d": 1e-3, "r1_gamma": 1.0,
                          "ema_halflife_kimg": 20.0, "sample_every": 500}},
        paper=PACGAN,
        expect="All 8 modes covered with about 90% high-quality samples (3 sigma) in under a minute on 2 CPU "
               "cores (measured: 8/8 on each of seeds 0-15, 88-92% high quality).",
    )
    yield RecipeSpec(
        name="grid-25",
        summary="25 Gaussians on a 5x5 grid (PacGAN benchmark) with 3x128 MLPs, a generator EMA and R1 (gamma 1).",
        generator="vanilla-mlp-g",
        discriminator="vanilla-mlp-d",
        loss="non-saturating",
        dataset="grid-25",
        params={"generator": {"latent_dim": 2, "hidden": [128, 128, 128], "activation": "relu", "output": "linear"},
                "discriminator": {"hidden": [128, 128, 128], "dropout": 0.0},
                # R1 as for ring-8: without it seeds 1-4 covered 19-24 of the 25 modes; with it 6 of seeds 0-7 cover 25.
                "train": {"steps": 10000, "batch_size": 256, "lr_g": 1e-3, "lr_d": 1e-3, "r1_gamma": 1.0,
                          "ema_halflife_kimg": 20.0, "sample_every": 1000}},
        paper=PACGAN,
        expect="All 25 modes covered with about 93% high-quality samples (3 sigma) in about a minute on 2 CPU "
               "cores for most seeds (measured: 25/25 on 6 of seeds 0-7; seeds 4 and 7 reached 13 and 23).",
    )
