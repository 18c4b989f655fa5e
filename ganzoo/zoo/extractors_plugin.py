"""Registers the zoo's evaluation feature extractors: LeNet classifiers ganzoo trained per dataset.

Their weights ship in ``model_cards/`` and are pinned by sha256: a file that
differs is refused, and every metric computed with one carries the first
eight hex digits (``fid[lenet-mnist@748c6f52]``). Retraining one changes its
hash and so, deliberately, the names of every metric computed with it.
"""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import FeatureExtractorSpec, lazy

_LENET = lazy("ganzoo.evaluation.lenet:LeNet")
_PAPER = "LeCun et al. 1998, Gradient-based learning applied to document recognition"


@hookimpl
def ganzoo_feature_extractors():
    yield FeatureExtractorSpec(
        name="lenet-mnist",
        summary="LeNet classifier trained by ganzoo on MNIST (99.13% test accuracy): 128-d features, 10 classes.",
        build=_LENET,
        datasets=("mnist",),
        weights="model_cards:lenet-mnist/model.safetensors",
        sha256="748c6f52bd24b747ad1f0f139bbb40b6387fb2c0876a715c6b92bd3b6bcbc81d",
        num_classes=10,
        paper=_PAPER,
    )
    yield FeatureExtractorSpec(
        name="lenet-fashion-mnist",
        summary="LeNet classifier trained by ganzoo on Fashion-MNIST (88.91% test accuracy): 128-d features, 10 classes.",
        build=_LENET,
        # edges2fashion's targets are Fashion-MNIST's images: its translations are judged in the same features.
        datasets=("fashion-mnist", "edges2fashion"),
        weights="model_cards:lenet-fashion-mnist/model.safetensors",
        sha256="37aa4c1ef2ec706958eb39f1d7edfe95d92b9ed7599d9a1d1d1f39b35b58830a",
        num_classes=10,
        paper=_PAPER,
    )
    yield FeatureExtractorSpec(
        name="lenet-mnist-thick",
        summary="LeNet classifier trained by ganzoo on thick (dilated) MNIST (98.57% test accuracy): 128-d features.",
        build=_LENET,
        datasets=("mnist-thick",),
        weights="model_cards:lenet-mnist-thick/model.safetensors",
        sha256="58bdc4f4e44e15c86e87eb09e0d965e63bf80e6c45749382c19e890e41cdd2ff",
        num_classes=10,
        paper=_PAPER,
    )
