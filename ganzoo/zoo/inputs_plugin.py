"""Registers the generator-input samplers. Imports no torch: builders are lazy."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import DataInfo, InputSpec, lazy

GANZOO_CONTRACT = "2.0"
INFOGAN = "Chen et al. 2016, InfoGAN: Interpretable Representation Learning by Information Maximizing GANs (arXiv:1606.03657)"
ACGAN = "Odena, Olah, Shlens 2017, Conditional Image Synthesis with Auxiliary Classifier GANs (arXiv:1610.09585)"
PIX2PIX = "Isola et al. 2017, Image-to-Image Translation with Conditional Adversarial Networks (arXiv:1611.07004)"


@hookimpl
def ganzoo_input_samplers():
    yield InputSpec(
        name="gaussian",
        summary="Gaussian z of the generator's latent_dim, and the real batch's labels: G(z, labels).",
        build=lazy("ganzoo.inputs:GaussianInputs"),
    )
    yield InputSpec(
        name="class-labels",
        summary="Gaussian z and class labels drawn uniformly, independent of the real batch.",
        build=lazy("ganzoo.inputs:ClassLabelInputs"),
        paper=ACGAN,
    )
    yield InputSpec(
        name="infogan-codes",
        summary="Noise z plus the categorical and continuous codes the generator declares (InfoGAN).",
        build=lazy("ganzoo.inputs:InfoGANCodes"),
        defaults={"sweep_steps": 10},
        paper=INFOGAN,
    )
    yield InputSpec(
        name="source-image",
        summary="A conditioning image from a batch field (image-to-image: G(source=...)).",
        build=lazy("ganzoo.inputs:SourceImageInputs"),
        defaults={"field": ""},
        paper=PIX2PIX,
        check_data=DataInfo(shape=(1, 28, 28), fields={"source": DataInfo(shape=(1, 28, 28))}),
    )
