"""Hook specifications: the contract between ganzoo and its plugins.

A plugin is a module listed in the ``ganzoo`` entry-point group of its
distribution's metadata::

    [project.entry-points.ganzoo]
    my-gans = "my_gans.plugin"

and implements any of the hooks below with ``@ganzoo.hookimpl``. Every hook
takes no arguments and yields (or returns a list of) spec records from
:mod:`ganzoo.specs`. The example in each docstring is executed by the test suite.

Contract version: :data:`HOOK_CONTRACT_VERSION`. New hooks and spec fields
may be added in a minor version; a hook is removed or changed only in a major
version, after a deprecation period announced in the changelog and by a
warning at load time. A plugin states the contract it needs with a
module-level string, ``GANZOO_CONTRACT = "2.0"``; a plugin without one is
taken to be written for 1.x, which 2.x still runs (a contract-1
:class:`ganzoo.losses.GANLoss` goes through an adapter). A plugin that needs a
newer contract than this ganzoo provides is skipped with an error naming both.

What changed in 2.0: networks by name (``ganzoo_networks``, a recipe's
``networks``), input samplers (``ganzoo_input_samplers``), objectives with
phases (:mod:`ganzoo.objectives`), augmentations (``ganzoo_augmentations``),
batches with named fields and discriminators with several outputs. 2.1 added
experiment loggers (``ganzoo_loggers``) and latent walks through many keyframes
(:meth:`ganzoo.inputs.InputSampler.walk`).
"""

from __future__ import annotations

from typing import Iterable

import pluggy

from ganzoo.specs import (
    AugmentSpec,
    CommandSpec,
    DatasetSpec,
    DiscriminatorSpec,
    FeatureExtractorSpec,
    GeneratorSpec,
    InputSpec,
    LoggerSpec,
    LossSpec,
    NetworkSpec,
    RecipeSpec,
)

PROJECT_NAME = "ganzoo"
#: 1.1 added ganzoo_feature_extractors; 2.0 networks by name, input samplers, phased objectives, augmentations;
#: 2.1 experiment loggers and InputSampler.walk.
HOOK_CONTRACT_VERSION = "2.1"
#: The module attribute in which a plugin states the contract it needs.
CONTRACT_ATTRIBUTE = "GANZOO_CONTRACT"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def ganzoo_generators() -> Iterable[GeneratorSpec]:
    """Yield the generators this plugin provides.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_generators():
            yield ganzoo.GeneratorSpec(
                name="tiny-mlp-g",
                summary="A one-layer MLP generator.",
                build=ganzoo.lazy("ganzoo.zoo.mlp:MLPGenerator"),
                defaults={"latent_dim": 8, "hidden": [16]},
            )
    """


@hookspec
def ganzoo_discriminators() -> Iterable[DiscriminatorSpec]:
    """Yield the discriminators (critics) this plugin provides.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_discriminators():
            yield ganzoo.DiscriminatorSpec(
                name="tiny-mlp-d",
                summary="A one-layer MLP discriminator.",
                build=ganzoo.lazy("ganzoo.zoo.mlp:MLPDiscriminator"),
                defaults={"hidden": [16]},
            )
    """


@hookspec
def ganzoo_networks() -> Iterable[NetworkSpec]:
    """Yield other networks an objective can use by name (InfoGAN's Q, a mapping network ...).

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_networks():
            yield ganzoo.NetworkSpec(
                name="tiny-q-head",
                summary="InfoGAN's Q head on a discriminator's features.",
                build=ganzoo.lazy("ganzoo.zoo.infogan:QHead"),
                defaults={"in_features": 64, "hidden": 32, "categorical": [10], "continuous": 2},
            )
    """


@hookspec
def ganzoo_input_samplers() -> Iterable[InputSpec]:
    """Yield generator-input samplers: what a generator consumes, drawn each step.

    ``build(data, generator, **params)`` returns a :class:`ganzoo.inputs.InputSampler`.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_input_samplers():
            yield ganzoo.InputSpec(
                name="my-uniform-labels",
                summary="Gaussian z and class labels drawn uniformly.",
                build=ganzoo.lazy("ganzoo.inputs:ClassLabelInputs"),
            )
    """


@hookspec
def ganzoo_augmentations() -> Iterable[AugmentSpec]:
    """Yield differentiable augmentations of the images a discriminator sees.

    ``build(data, **params)`` returns a :class:`ganzoo.augment.Augment`.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_augmentations():
            yield ganzoo.AugmentSpec(
                name="my-flips",
                summary="DiffAugment's translation only.",
                build=ganzoo.lazy("ganzoo.zoo.diffaugment:DiffAugment"),
                defaults={"policy": "translation"},
            )
    """


@hookspec
def ganzoo_losses() -> Iterable[LossSpec]:
    """Yield the adversarial objectives this plugin provides.

    ``build(**params)`` returns a :class:`ganzoo.objectives.Objective` (phases
    as data) or a contract-1 :class:`ganzoo.losses.GANLoss`.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_losses():
            yield ganzoo.LossSpec(
                name="my-hinge",
                summary="Hinge loss, as in SAGAN.",
                build=ganzoo.lazy("ganzoo.zoo.gan_losses:HingeLoss"),
            )
    """


@hookspec
def ganzoo_datasets() -> Iterable[DatasetSpec]:
    """Yield the datasets this plugin provides.

    ``build(root, *, train, download, **params)`` returns a
    :class:`ganzoo.data.InMemoryData` or :class:`ganzoo.data.StreamingData`.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_datasets():
            yield ganzoo.DatasetSpec(
                name="my-ring",
                summary="Eight Gaussians on a circle.",
                build=ganzoo.lazy("ganzoo.zoo.toy_data:build_ring"),
                defaults={"modes": 8, "std": 0.01},
            )
    """


@hookspec
def ganzoo_recipes() -> Iterable[RecipeSpec]:
    """Yield named training recipes; components may come from any plugin.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_recipes():
            yield ganzoo.RecipeSpec(
                name="my-ring-8",
                summary="The 8-Gaussians benchmark with a longer run.",
                generator="toy-mlp-g",
                discriminator="toy-mlp-d",
                loss="non-saturating",
                dataset="ring-8",
                params={"train": {"steps": 5000}},
            )
    """


@hookspec
def ganzoo_feature_extractors() -> Iterable[FeatureExtractorSpec]:
    """Yield feature extractors for evaluation metrics (``ganzoo eval``).

    The weights file must exist and match ``sha256`` when the extractor is
    used; ``ganzoo list extractor`` shows them without reading any file.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_feature_extractors():
            yield ganzoo.FeatureExtractorSpec(
                name="my-lenet",
                summary="LeNet features of my own digits classifier.",
                build=ganzoo.lazy("ganzoo.evaluation.lenet:LeNet"),
                datasets=("mnist",),
                weights="/models/my-lenet.safetensors",
                sha256="0" * 64,
                num_classes=10,
            )
    """


@hookspec
def ganzoo_loggers() -> Iterable[LoggerSpec]:
    """Yield experiment loggers, selected with ``ganzoo train --log NAME``.

    ``build(**params)`` returns a :class:`ganzoo.loggers.Logger`, which gets
    every logged stats line, each evaluation and each sample grid.

    Example::

        import ganzoo

        @ganzoo.hookimpl
        def ganzoo_loggers():
            yield ganzoo.LoggerSpec(
                name="my-csv",
                summary="The stats lines as a CSV file in the run directory.",
                build=ganzoo.lazy("ganzoo.zoo.csv_logger:CSVLogger"),
                defaults={"file": "my-metrics.csv"},
            )
    """


@hookspec
def ganzoo_commands() -> Iterable[CommandSpec]:
    """Yield extra ``ganzoo`` sub-commands (``click`` commands).

    Example::

        import click
        import ganzoo

        @click.command("hello")
        def hello():
            click.echo("hello from a plugin")

        @ganzoo.hookimpl
        def ganzoo_commands():
            yield ganzoo.CommandSpec(name="hello", summary="Say hello.", command=hello)
    """


#: Hook name -> the spec type each yielded item must be.
HOOK_SPEC_TYPES = {
    "ganzoo_generators": GeneratorSpec,
    "ganzoo_discriminators": DiscriminatorSpec,
    "ganzoo_networks": NetworkSpec,
    "ganzoo_losses": LossSpec,
    "ganzoo_input_samplers": InputSpec,
    "ganzoo_augmentations": AugmentSpec,
    "ganzoo_datasets": DatasetSpec,
    "ganzoo_recipes": RecipeSpec,
    "ganzoo_feature_extractors": FeatureExtractorSpec,
    "ganzoo_loggers": LoggerSpec,
    "ganzoo_commands": CommandSpec,
}


def parse_contract(text: object) -> tuple[int, int]:
    """``"2.0"`` -> ``(2, 0)``; raises ValueError for anything that is not MAJOR.MINOR."""
    if not isinstance(text, str):
        raise ValueError(f"{CONTRACT_ATTRIBUTE} must be a string such as '2.0', got {text!r}")
    major, dot, minor = text.strip().partition(".")
    if not (major.isdigit() and (not dot or minor.isdigit())):
        raise ValueError(f"{CONTRACT_ATTRIBUTE} must look like '2.0', got {text!r}")
    return int(major), int(minor or 0)


def contract_problem(needed: object) -> str | None:
    """Why a plugin that states ``needed`` cannot load here; None when it can.

    A plugin for an older major version loads (ganzoo keeps adapters for it);
    one for a newer major, or a newer minor of this major, does not.
    """
    try:
        major, minor = parse_contract(needed)
    except ValueError as exc:
        return str(exc)
    have = parse_contract(HOOK_CONTRACT_VERSION)
    if (major, minor) > have:
        return (f"it needs plugin contract {major}.{minor}, but this ganzoo provides {HOOK_CONTRACT_VERSION}: "
                "upgrade ganzoo (pip install -U ganzoo) or install an older release of the plugin")
    return None
