"""The plugin module named by the ``ganzoo`` entry point: data only, nothing built at import."""

from __future__ import annotations

import ganzoo

PAPER = "Jolicoeur-Martineau 2018, The relativistic discriminator: a key element missing from standard GAN (arXiv:1807.00734)"


@ganzoo.hookimpl
def ganzoo_losses():
    yield ganzoo.LossSpec(
        name="relativistic-average",
        summary="RaSGAN: D judges whether real data is more realistic than fake data on average.",
        build=ganzoo.lazy("ganzoo_relativistic.losses:RelativisticAverageLoss"),
        defaults={"label_smoothing": 0.0},
        paper=PAPER,
    )


@ganzoo.hookimpl
def ganzoo_generators():
    yield ganzoo.GeneratorSpec(
        name="resnet-mlp-g",
        summary="Residual MLP generator: z -> width -> residual blocks (BatchNorm, ReLU) -> tanh image.",
        build=ganzoo.lazy("ganzoo_relativistic.models:ResidualMLPGenerator"),
        defaults={"latent_dim": 64, "width": 512, "blocks": 2},
    )


@ganzoo.hookimpl
def ganzoo_recipes():
    # Reuses ganzoo's own discriminator and MNIST dataset: a recipe may name any plugin's parts.
    yield ganzoo.RecipeSpec(
        name="ragan-mnist",
        summary="RaSGAN on MNIST: residual MLP generator against ganzoo's vanilla MLP discriminator.",
        generator="resnet-mlp-g",
        discriminator="vanilla-mlp-d",
        loss="relativistic-average",
        dataset="mnist",
        params={
            "train": {"steps": 4000, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "ema_halflife_kimg": 10.0},
            "discriminator": {"hidden": [512, 256], "dropout": 0.3},
        },
        paper=PAPER,
        expect="recognisable digits after the default 4000 steps (about 70 s of training on 2 CPU cores), "
               "but skewed towards a few classes (0, 1, 4, 9 dominate): RaSGAN needs more steps to spread out",
    )
