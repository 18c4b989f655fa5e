"""ganzoo: a plugin-based GAN zoo for PyTorch.

The public API is small:

* ``hookimpl`` and the spec types (``GeneratorSpec`` ...), for plugin authors,
  with the torch-side contract in :mod:`ganzoo.objectives` (phases),
  :mod:`ganzoo.inputs` (generator inputs) and :mod:`ganzoo.augment`;
* ``get_registry()``, to look up what the installed plugins provide, and
  ``build(kind, name, ...)`` to build one of them (a plugin wrapping another's);
* ``train(...)``, to train any registered combination (imports torch on use);
* ``load(NAME_OR_PATH)``, a published generator in eval mode (imports torch on use): a zoo
  name, a folder, a training run's directory, or ``hf://ORG/NAME`` on the Hugging Face Hub;
* ``list_models(pattern)``, the recipes and published models by name, as timm's ``list_models``.

Importing ``ganzoo`` does not import torch.
"""

from __future__ import annotations

from typing import Any

from ganzoo.errors import (
    CheckpointError,
    ConfigError,
    DataNotFoundError,
    GanzooError,
    RunDirectoryError,
    TrainingError,
    UnknownNameError,
)
from ganzoo.hookspecs import HOOK_CONTRACT_VERSION, hookimpl
from ganzoo.specs import (
    AugmentSpec,
    CommandSpec,
    DataInfo,
    DatasetSpec,
    DiscriminatorSpec,
    FeatureExtractorSpec,
    GeneratorSpec,
    InputSpec,
    LoggerSpec,
    LossSpec,
    NetworkSpec,
    RecipeSpec,
    lazy,
)

__version__ = "0.1.0"

__all__ = [
    "HOOK_CONTRACT_VERSION",
    "CheckpointError",
    "ConfigError",
    "DataNotFoundError",
    "GanzooError",
    "RunDirectoryError",
    "TrainingError",
    "UnknownNameError",
    "AugmentSpec",
    "CommandSpec",
    "DataInfo",
    "DatasetSpec",
    "DiscriminatorSpec",
    "FeatureExtractorSpec",
    "GeneratorSpec",
    "InputSpec",
    "LoggerSpec",
    "LossSpec",
    "NetworkSpec",
    "RecipeSpec",
    "__version__",
    "build",
    "get_registry",
    "hookimpl",
    "lazy",
    "list_models",
    "load",
    "train",
]


def get_registry() -> Any:
    """The registry of every installed plugin's components and recipes."""
    from ganzoo.registry import get_registry as _get

    return _get()


def train(*args: Any, **kwargs: Any) -> Any:
    """Train a recipe or a combination of components; see :func:`ganzoo.engine.api.train`."""
    from ganzoo.engine.api import train as _train

    return _train(*args, **kwargs)


def build(kind: str, name: str, *args: Any, **params: Any) -> Any:
    """Build a registered component by name, its defaults overridden by ``params``.

    The public way for a plugin to build another plugin's component -- a
    wrapper discriminator around any registered one, an objective that
    composes another::

        inner = ganzoo.build("discriminator", "dcgan-d", data, base_channels=32)

    ``args`` are the builder's positional arguments (``data`` for networks,
    ``data, generator`` for input samplers, ``root`` for datasets); unknown
    parameters are a ``ConfigError`` in words.
    """
    from ganzoo.engine.build import build_component

    spec = get_registry().get(kind, name)
    return build_component(kind, spec, {**dict(spec.defaults), **params}, *args)


def load(name_or_path: Any, **kwargs: Any) -> Any:
    """A published generator in eval mode; see :func:`ganzoo.artifacts.models.load`."""
    from ganzoo.artifacts.models import load as _load

    return _load(name_or_path, **kwargs)


def list_models(pattern: str = "*", *, pretrained: bool = False) -> list[str]:
    """Recipes and published models whose names match the glob ``pattern``; see
    :func:`ganzoo.artifacts.store.list_models`.

    ``ganzoo.list_models("*mnist*", pretrained=True)`` gives the names ``ganzoo.load`` takes at once.
    """
    from ganzoo.artifacts.store import list_models as _list

    return _list(pattern, pretrained=pretrained)
