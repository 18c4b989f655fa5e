"""Registers the zoo's datasets. Imports no torch: builders are lazy."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import DatasetSpec, lazy


@hookimpl
def ganzoo_datasets():
    yield DatasetSpec(
        name="mnist",
        summary="MNIST handwritten digits, 1x28x28, 10 classes (torchvision).",
        build=lazy("ganzoo.zoo.torchvision_data:build_mnist"),
        defaults={"value_range": [-1.0, 1.0], "train_limit": 0},
        labelled=True,
        paper="LeCun et al. 1998, Gradient-based learning applied to document recognition",
    )
    yield DatasetSpec(
        name="fashion-mnist",
        summary="Fashion-MNIST Zalando article images, 1x28x28, 10 classes (torchvision).",
        build=lazy("ganzoo.zoo.torchvision_data:build_fashion_mnist"),
        defaults={"value_range": [-1.0, 1.0], "train_limit": 0},
        labelled=True,
        paper="Xiao, Rasul, Vollgraf 2017, arXiv:1708.07747",
    )
    yield DatasetSpec(
        name="ring-8",
        summary="8 Gaussians (std 0.01) on the unit circle: the PacGAN/VEEGAN mode-collapse benchmark.",
        build=lazy("ganzoo.zoo.toy_data:build_ring"),
        defaults={"modes": 8, "radius": 1.0, "std": 0.01, "samples": 100_000, "seed": 0},
        paper="Lin et al. 2018, PacGAN (arXiv:1712.04086); Srivastava et al. 2017, VEEGAN",
    )
    yield DatasetSpec(
        name="grid-25",
        summary="25 Gaussians (std 0.05) on a 5x5 grid at {-4,-2,0,2,4}^2: the PacGAN/VEEGAN benchmark.",
        build=lazy("ganzoo.zoo.toy_data:build_grid"),
        defaults={"side": 5, "spacing": 2.0, "std": 0.05, "samples": 100_000, "seed": 0},
        paper="Lin et al. 2018, PacGAN (arXiv:1712.04086); Srivastava et al. 2017, VEEGAN",
    )
    yield DatasetSpec(
        name="curve-2d",
        summary="Points on y = sin(x), x in [-pi, pi]: the toy curve of GAN tutorials.",
        build=lazy("ganzoo.zoo.toy_data:build_curve"),
        defaults={"samples": 100_000, "noise": 0.02, "seed": 0},
    )
    yield DatasetSpec(
        name="image-folder",
        summary="Your own images: every image file under dataset.path, resized to size x size.",
        build=lazy("ganzoo.zoo.image_folder:build_image_folder"),
        defaults={"path": "", "size": 64, "channels": 3},
    )
