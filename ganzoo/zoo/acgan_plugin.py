"""Registers ACGAN: its conditional DCGAN generator, two-headed discriminator, objective and recipe. No torch."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import DiscriminatorSpec, GeneratorSpec, LossSpec, RecipeSpec, lazy

GANZOO_CONTRACT = "2.0"
ACGAN = "Odena, Olah, Shlens 2017, Conditional Image Synthesis with Auxiliary Classifier GANs (arXiv:1610.09585)"


@hookimpl
def ganzoo_generators():
    yield GeneratorSpec(
        name="cdcgan-g",
        summary="Class-conditional DCGAN generator: [z, one-hot label] -> transposed convs -> tanh image.",
        build=lazy("ganzoo.zoo.acgan:ConditionalDCGANGenerator"),
        defaults={"latent_dim": 100, "base_channels": 64, "embed_dim": 0},
        paper=ACGAN,
        conditional=True,
        inputs="class-labels",
    )


@hookimpl
def ganzoo_discriminators():
    yield DiscriminatorSpec(
        name="acgan-d",
        summary="DCGAN discriminator with two heads: a real/fake score and class logits (ACGAN).",
        build=lazy("ganzoo.zoo.acgan:AuxiliaryClassifierDiscriminator"),
        defaults={"base_channels": 64, "batch_norm": True, "dropout": 0.0},
        paper=ACGAN,
        outputs=("score", "class_logits"),
    )


@hookimpl
def ganzoo_losses():
    yield LossSpec(
        name="acgan",
        summary="ACGAN: non-saturating GAN loss plus class cross-entropy on real and fake images (needs class_logits).",
        build=lazy("ganzoo.zoo.acgan:ACGANObjective"),
        defaults={"aux_weight": 1.0, "n_critic": 1},
        paper=ACGAN,
    )


@hookimpl
def ganzoo_recipes():
    yield RecipeSpec(
        name="acgan-mnist",
        summary="ACGAN on MNIST: conditional DCGAN G (base 32) against a DCGAN D that also classifies.",
        generator="cdcgan-g",
        discriminator="acgan-d",
        loss="acgan",
        dataset="mnist",
        params={
            "generator": {"base_channels": 32},
            "discriminator": {"base_channels": 32},
            # A 10x10 grid: sample i is asked for class i % 10, so column j shows digit j.
            "train": {"steps": 4000, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "betas_g": [0.5, 0.999],
                      "betas_d": [0.5, 0.999], "grid_size": 100},
        },
        paper=ACGAN,
        expect="A 10x10 grid whose column j shows the digit j; LeNet recognises the requested class in most samples.",
    )
