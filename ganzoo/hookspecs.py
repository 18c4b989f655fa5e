"""Hook specifications: the contract between ganzoo and its plugins.

A plugin is a module listed in the ``ganzoo`` entry-point group of its
distribution's metadata::

    [project.entry-points.ganzoo]
    my-gans = "my_gans.plugin"

and implements any of the hooks below with ``@ganzoo.hookimpl``. Every hook
takes no arguments and yields (or returns a list of) spec records from
:mod:`ganzoo.specs`. The example in each docstring is executed by the test suite.

Hook contract version: :data:`HOOK_CONTRACT_VERSION`. New hooks may be added in
a minor version; a hook is removed or changed only after a deprecation period
announced in the changelog and by a warning at load time.
"""

from __future__ import annotations

from typing import Iterable

import pluggy

from ganzoo.specs import (
    CommandSpec,
    DatasetSpec,
    DiscriminatorSpec,
    FeatureExtractorSpec,
    GeneratorSpec,
    LossSpec,
    RecipeSpec,
)

PROJECT_NAME = "ganzoo"
HOOK_CONTRACT_VERSION = "1.1"  # 1.1 added ganzoo_feature_extractors

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
def ganzoo_losses() -> Iterable[LossSpec]:
    """Yield the adversarial losses this plugin provides.

    ``build(**params)`` returns a :class:`ganzoo.losses.GANLoss`.

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
    "ganzoo_losses": LossSpec,
    "ganzoo_datasets": DatasetSpec,
    "ganzoo_recipes": RecipeSpec,
    "ganzoo_feature_extractors": FeatureExtractorSpec,
    "ganzoo_commands": CommandSpec,
}
