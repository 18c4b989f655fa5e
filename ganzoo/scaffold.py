"""``ganzoo plugin new NAME``: a ready-to-install plugin distribution that passes its own tests.

The generated distribution has a ``src/`` layout, the ``ganzoo`` entry point
(named after the distribution), an MLP generator and discriminator, a recipe
that trains them on ganzoo's MNIST, a README, and a test that runs
:func:`ganzoo.testing.check_distribution` on a tiny generated MNIST.
"""

from __future__ import annotations

import string
from pathlib import Path

import ganzoo
from ganzoo.errors import GanzooError
from ganzoo.specs import SpecError, validate_name

PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$name"
version = "0.1.0"
description = "$name: GAN components for ganzoo."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["ganzoo>=$ganzoo_version"]

[project.optional-dependencies]
test = ["pytest>=8"]

# ganzoo finds the plugin through this entry point; its name is the distribution's.
[project.entry-points.ganzoo]
$name = "$package.plugin"

[tool.setuptools.packages.find]
where = ["src"]
'''

INIT = '''"""$name: GAN components for ganzoo."""

__version__ = "0.1.0"
'''

PLUGIN = '''"""ganzoo hook implementations: they yield specs (data); nothing is built at import time."""

from __future__ import annotations

import ganzoo


@ganzoo.hookimpl
def ganzoo_generators():
    yield ganzoo.GeneratorSpec(
        name="$name-g",
        summary="$name generator: z -> MLP -> image in the data's value range.",
        build=ganzoo.lazy("$package.models:Generator"),
        defaults={"latent_dim": 64, "hidden": [256, 512]},
    )


@ganzoo.hookimpl
def ganzoo_discriminators():
    yield ganzoo.DiscriminatorSpec(
        name="$name-d",
        summary="$name discriminator: image -> MLP with LeakyReLU -> one score.",
        build=ganzoo.lazy("$package.models:Discriminator"),
        defaults={"hidden": [512, 256]},
    )


@ganzoo.hookimpl
def ganzoo_recipes():
    yield ganzoo.RecipeSpec(
        name="$name-mnist",
        summary="$name generator and discriminator on MNIST with the non-saturating loss.",
        generator="$name-g",
        discriminator="$name-d",
        loss="non-saturating",
        dataset="mnist",
        params={"train": {"steps": 3000, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4}},
    )
'''

MODELS = '''"""The networks. A generator has ``latent_dim`` and maps (B, latent_dim) to (B, *data.shape);
a discriminator maps samples to one raw score each, shape (B,)."""

from __future__ import annotations

import math
from typing import Optional, Sequence

from torch import Tensor, nn

from ganzoo import DataInfo


class Generator(nn.Module):
    # Tensor code only, no Python state changing per call: on one GPU the engine may
    # record a whole training iteration as a CUDA graph and replay it (docs/plugin-guide.md).
    cuda_graph_safe = True

    def __init__(self, data: DataInfo, latent_dim: int = 64, hidden: Sequence[int] = (256, 512)) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.shape = data.shape
        self.low, self.high = data.value_range
        layers: list[nn.Module] = []
        width = latent_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.ReLU()]
            width = size
        self.net = nn.Sequential(*layers, nn.Linear(width, math.prod(data.shape)), nn.Tanh())

    def forward(self, z: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        unit = self.net(z)  # in [-1, 1]
        return ((unit + 1) * ((self.high - self.low) / 2) + self.low).view(len(z), *self.shape)


class Discriminator(nn.Module):
    cuda_graph_safe = True  # as the generator's
    # Each sample's score depends on that sample alone (no batch norm): the engine may
    # score the real and the fake batch in one call.
    independent_scores = True

    def __init__(self, data: DataInfo, hidden: Sequence[int] = (512, 256)) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(data.shape)
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            width = size
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.net(x).squeeze(1)
'''

TEST = '''"""Checks every component and recipe this distribution registers, with ganzoo's conformance kit."""

import ganzoo.testing as gt


def test_the_plugin_conforms(tmp_path):
    data = gt.make_tiny_mnist(tmp_path / "data")  # offline: recipes on mnist smoke-train on tiny IDX files
    checked = gt.check_distribution("$name", data_root=data)
    assert set(checked) == {"generator:$name-g", "discriminator:$name-d", "recipe:$name-mnist"}
'''

README = '''# $name

GAN components for [ganzoo](https://github.com/ganzoo/ganzoo), written as a
plugin: a generator `$name-g`, a discriminator `$name-d` and a recipe
`$name-mnist`.

```bash
pip install -e ".[test]"      # install it (and pytest) into the environment that has ganzoo
ganzoo list '$name*'          # its entries, attributed to $name==0.1.0
python -m pytest              # ganzoo.testing checks every component and smoke-trains the recipe
ganzoo train $name-mnist
```

Edit `src/$package/models.py` (the networks) and `src/$package/plugin.py`
(what is registered). Names must match `[a-z0-9][a-z0-9-]*` and be unique in
the user's environment, so keep the `$name-` prefix. The plugin author guide
(docs/plugin-guide.md in ganzoo) documents every hook.
'''

FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "src/{package}/__init__.py": INIT,
    "src/{package}/plugin.py": PLUGIN,
    "src/{package}/models.py": MODELS,
    "tests/test_plugin.py": TEST,
}


class ScaffoldError(GanzooError):
    """A plugin that cannot be generated as asked."""

    exit_code = 2


def new_plugin(name: str, parent: Path) -> Path:
    """Write the distribution ``parent/NAME/`` and return its folder."""
    try:
        validate_name(name, "plugin name")
    except SpecError as exc:
        raise ScaffoldError(f"cannot create a plugin named {name!r}", str(exc), "choose a name like my-gans") from None
    if name == "ganzoo":
        raise ScaffoldError("a plugin cannot be called 'ganzoo'", "that is ganzoo's own distribution", "choose another name")
    target = Path(parent) / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists", "ganzoo does not overwrite files", "choose another name or --dir")
    values = {"name": name, "package": name.replace("-", "_"), "ganzoo_version": ganzoo.__version__}
    for relative, template in FILES.items():
        path = target / relative.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(string.Template(template).substitute(values), encoding="utf-8")
    return target
