"""Registers image-to-image translation: its datasets, networks, objectives and recipes. Imports no torch."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import DataInfo, DatasetSpec, DiscriminatorSpec, GeneratorSpec, LossSpec, RecipeSpec, lazy

GANZOO_CONTRACT = "2.0"
PIX2PIX = "Isola et al. 2017, Image-to-Image Translation with Conditional Adversarial Networks (arXiv:1611.07004)"
CYCLEGAN = "Zhu et al. 2017, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks (arXiv:1703.10593)"
SOBEL = "Sobel & Feldman 1968, A 3x3 isotropic gradient operator for image processing"
#: The data the conformance kit checks these networks on: paired and unpaired 28x28 images.
PAIRED = DataInfo(shape=(1, 28, 28), fields={"source": DataInfo(shape=(1, 28, 28))})
UNPAIRED = DataInfo(shape=(1, 28, 28), fields={"b": DataInfo(shape=(1, 28, 28))})


@hookimpl
def ganzoo_datasets():
    yield DatasetSpec(
        name="edges2fashion",
        summary="Paired: Fashion-MNIST garments (image) and their Sobel edge maps (source field).",
        build=lazy("ganzoo.zoo.translation_data:build_edges2fashion"),
        defaults={"value_range": [-1.0, 1.0], "threshold": 0.5},
        labelled=True,
        paper=SOBEL,
    )
    yield DatasetSpec(
        name="mnist-thick",
        summary="MNIST with bold strokes: every digit dilated by a 3x3 maximum filter, 10 classes.",
        build=lazy("ganzoo.zoo.translation_data:build_mnist_thick"),
        defaults={"value_range": [-1.0, 1.0], "dilation": 3},
        labelled=True,
    )
    yield DatasetSpec(
        name="mnist2thick",
        summary="Unpaired: thin MNIST (a) and thick MNIST (b field) from disjoint halves of each split.",
        build=lazy("ganzoo.zoo.translation_data:build_mnist2thick"),
        defaults={"value_range": [-1.0, 1.0], "dilation": 3, "domain": "both"},
        labelled=True,
        domains=("mnist", "mnist-thick"),
    )


@hookimpl
def ganzoo_generators():
    yield GeneratorSpec(
        name="unet-g",
        summary="pix2pix's U-Net: an encoder-decoder with skip connections and dropout, G(source) -> image.",
        build=lazy("ganzoo.zoo.translation_nets:UNetGenerator"),
        defaults={"base_channels": 64, "depth": 2, "dropout": 0.5, "source_field": "source"},
        paper=PIX2PIX,
        inputs="source-image",
        check_data=PAIRED,
    )
    yield GeneratorSpec(
        name="resnet-g",
        summary="CycleGAN's generator: c7s1, two downsamplings, residual blocks, two upsamplings, tanh.",
        build=lazy("ganzoo.zoo.translation_nets:ResNetGenerator"),
        defaults={"base_channels": 64, "blocks": 6, "norm": "instance", "source_field": "image",
                  "target_field": "image"},
        paper=CYCLEGAN,
        inputs="source-image",
        check_data=UNPAIRED,
    )


@hookimpl
def ganzoo_discriminators():
    yield DiscriminatorSpec(
        name="patchgan-d",
        summary="PatchGAN: one score per overlapping patch, optionally of (source, image) pairs (pix2pix).",
        build=lazy("ganzoo.zoo.translation_nets:PatchDiscriminator"),
        defaults={"base_channels": 64, "layers": 2, "norm": "batch", "field": "image", "condition_field": ""},
        paper=PIX2PIX,
        patch_scores=True,
        check_data=PAIRED,
    )


@hookimpl
def ganzoo_losses():
    yield LossSpec(
        name="pix2pix",
        summary="pix2pix: conditional GAN loss on (source, image) pairs plus 100 x L1 to the target.",
        build=lazy("ganzoo.zoo.translation_objectives:Pix2PixObjective"),
        defaults={"l1_weight": 100.0, "n_critic": 1},
        paper=PIX2PIX,
    )
    yield LossSpec(
        name="cyclegan",
        summary="CycleGAN: least-squares GAN losses both ways, cycle (x10) and identity (x5) terms, image pools.",
        build=lazy("ganzoo.zoo.translation_objectives:CycleGANObjective"),
        defaults={"cycle_weight": 10.0, "identity": 0.5, "pool_size": 50},
        paper=CYCLEGAN,
    )


@hookimpl
def ganzoo_recipes():
    yield RecipeSpec(
        name="pix2pix-edges2fashion",
        summary="pix2pix on edges2fashion: U-Net G from edge maps to garments, conditional PatchGAN D, L1 x 100.",
        generator="unet-g",
        discriminator="patchgan-d",
        loss="pix2pix",
        dataset="edges2fashion",
        params={
            # Half the paper's widths (32: C32-C64 in G's encoder, C32-C64-C128 in D) to train on a CPU.
            "generator": {"base_channels": 32},
            "discriminator": {"base_channels": 32, "condition_field": "source"},
            # Adam 2e-4, beta1 0.5 as in the paper; a generator EMA would average away the dropout's variety.
            "train": {"steps": 3000, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "betas_g": [0.5, 0.999],
                      "betas_d": [0.5, 0.999], "ema_halflife_kimg": 0.0, "grid_size": 32},
        },
        paper=PIX2PIX,
        expect="Garments filled in from their outlines: the card's grid shows edge map | translation | target.",
    )
    yield RecipeSpec(
        name="cyclegan-mnist2thick",
        summary="CycleGAN between thin and thick MNIST (unpaired): ResNet generators, PatchGANs, LSGAN, cycle x10.",
        generator="resnet-g",
        discriminator="patchgan-d",
        loss="cyclegan",
        dataset="mnist2thick",
        networks={
            "G_ba": {"kind": "generator", "name": "resnet-g", "params": {"base_channels": 16, "blocks": 4,
                                                                          "source_field": "b"},
                     "optimizer": {"share": "G"}},
            "D_a": {"kind": "discriminator", "name": "patchgan-d", "params": {"base_channels": 32, "norm": "instance"},
                    "optimizer": {"share": "D"}},
        },
        params={
            "generator": {"base_channels": 16, "blocks": 4, "target_field": "b"},
            "discriminator": {"base_channels": 32, "norm": "instance", "field": "b"},
            # The paper's Adam (2e-4, beta1 0.5), batch 1 there; constant, then linearly down to 0 over the second half.
            "train": {"steps": 3000, "batch_size": 16, "lr_g": 2e-4, "lr_d": 2e-4, "betas_g": [0.5, 0.999],
                      "betas_d": [0.5, 0.999], "lr_schedule": "linear-decay", "lr_decay_start": 0.5,
                      "ema_halflife_kimg": 0.0, "grid_size": 32},
        },
        paper=CYCLEGAN,
        expect="Thin digits made bold and bold ones thin, each still the same digit (content preserved both ways).",
    )
