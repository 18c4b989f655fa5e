"""``ganzoo plugin new NAME``: a ready-to-install plugin distribution that passes its own tests.

The generated distribution has a ``src/`` layout, the ``ganzoo`` entry point
(named after the distribution), one example of each kind of contract 2 --
an MLP generator and discriminator, an encoder network used by name, a
uniform-noise input sampler, a hinge objective with a lazy R1 phase and a
latent-reconstruction term, an instance-noise augmentation -- a recipe that
trains them on ganzoo's MNIST, a README, and a test that runs
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
dependencies = ["torch-ganzoo>=$ganzoo_version"]

[project.optional-dependencies]
test = ["pytest>=8"]

# ganzoo finds the plugin through this entry point; its name is the distribution's.
[project.entry-points.ganzoo]
$name = "$package.plugin"

[tool.setuptools.packages.find]
where = ["src"]
'''

INIT = '''\"\"\"$name: GAN components for ganzoo.\"\"\"

__version__ = "0.1.0"
'''

PLUGIN = '''\"\"\"ganzoo hook implementations: they yield specs (data); nothing is built at import time.

One example of each kind a plugin can add: networks (G, D and an encoder E
the objective uses by name), an input sampler, an objective with phases, an
augmentation, and a recipe that puts them together.
\"\"\"

from __future__ import annotations

import ganzoo

#: The plugin contract this module is written for (ganzoo refuses it, in words, if it is older).
GANZOO_CONTRACT = "2.0"


@ganzoo.hookimpl
def ganzoo_generators():
    yield ganzoo.GeneratorSpec(
        name="$name-g",
        summary="$name generator: z -> MLP -> image in the data's value range.",
        build=ganzoo.lazy("$package.models:Generator"),
        defaults={"latent_dim": 64, "hidden": [256, 512]},
        inputs="$name-uniform",  # the input sampler that feeds it
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
def ganzoo_networks():
    yield ganzoo.NetworkSpec(
        name="$name-encoder",
        summary="$name encoder: image -> the latent vector it was made from (for latent reconstruction).",
        build=ganzoo.lazy("$package.models:Encoder"),
        defaults={"latent_dim": 64, "hidden": [256]},
    )


@ganzoo.hookimpl
def ganzoo_input_samplers():
    yield ganzoo.InputSpec(
        name="$name-uniform",
        summary="z uniform on [-1, 1] (as in the DCGAN paper), and the batch's labels.",
        build=ganzoo.lazy("$package.inputs:UniformInputs"),
    )


@ganzoo.hookimpl
def ganzoo_losses():
    yield ganzoo.LossSpec(
        name="$name-hinge",
        summary="Hinge loss with lazy R1 on D and a latent-reconstruction term through an encoder E.",
        build=ganzoo.lazy("$package.objective:HingeWithReconstruction"),
        defaults={"r1_gamma": 1.0, "r1_interval": 8, "reconstruction": 1.0},
    )


@ganzoo.hookimpl
def ganzoo_augmentations():
    yield ganzoo.AugmentSpec(
        name="$name-instance-noise",
        summary="Instance noise: Gaussian noise on every image D sees, real and fake.",
        build=ganzoo.lazy("$package.augment:InstanceNoise"),
        defaults={"std": 0.1},
    )


@ganzoo.hookimpl
def ganzoo_recipes():
    yield ganzoo.RecipeSpec(
        name="$name-mnist",
        summary="$name networks on MNIST: hinge loss, lazy R1, latent reconstruction and instance noise.",
        generator="$name-g",
        discriminator="$name-d",
        loss="$name-hinge",
        dataset="mnist",
        # E is trained together with G, by G's optimizer.
        networks={"E": {"kind": "network", "name": "$name-encoder", "optimizer": {"share": "G"}}},
        params={"train": {"steps": 3000, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4,
                          "augment": "$name-instance-noise"}},
    )
'''

MODELS = '''\"\"\"The networks. The generator is fed what its input sampler draws (here z and the batch's labels)
and maps (B, latent_dim) to (B, *data.shape); the discriminator maps samples to one raw score each,
shape (B,); the encoder is a network the objective calls by name.\"\"\"

from __future__ import annotations

import math
from typing import Optional, Sequence

from torch import Tensor, nn

from ganzoo import DataInfo


def _mlp(width: int, hidden: Sequence[int], out: int, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for size in hidden:
        layers += [nn.Linear(width, size)] + ([nn.BatchNorm1d(size)] if batch_norm else []) + [nn.LeakyReLU(0.2)]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, out))


class Generator(nn.Module):
    # Tensor code only, no Python state changing per call: on one GPU the engine may
    # record a whole training iteration as a CUDA graph and replay it (docs/plugin-guide.md).
    cuda_graph_safe = True

    def __init__(self, data: DataInfo, latent_dim: int = 64, hidden: Sequence[int] = (256, 512)) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.shape = data.shape
        self.low, self.high = data.value_range
        self.net = nn.Sequential(_mlp(latent_dim, hidden, math.prod(data.shape), batch_norm=True), nn.Tanh())

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
        self.net = nn.Sequential(nn.Flatten(), _mlp(math.prod(data.shape), hidden, 1, batch_norm=False))

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.net(x).squeeze(1)


class Encoder(nn.Module):
    cuda_graph_safe = True

    def __init__(self, data: DataInfo, latent_dim: int = 64, hidden: Sequence[int] = (256,)) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), _mlp(math.prod(data.shape), hidden, latent_dim, batch_norm=False))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
'''

INPUTS = '''\"\"\"An input sampler: what the generator consumes, drawn from the generator it is given.\"\"\"

from __future__ import annotations

from typing import Any

import torch

from ganzoo.inputs import GaussianInputs


class UniformInputs(GaussianInputs):
    \"\"\"z uniform on [-1, 1] instead of Gaussian; labels, grids and requests as the Gaussian sampler's.\"\"\"

    cuda_graph_safe = True

    def noise(self, n: int, generator: torch.Generator, device: Any = None) -> torch.Tensor:
        return torch.rand(n, self.latent_dim, device=device, generator=generator) * 2 - 1
'''

OBJECTIVE = '''\"\"\"An objective with phases: D, a lazy R1 phase on D, then G (with a latent-reconstruction term).\"\"\"

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganzoo.losses import per_sample_norm
from ganzoo.objectives import Objective, Phase, PhaseLoss, image_of


class HingeWithReconstruction(Objective):
    \"\"\"Hinge loss; R1 on real data every ``r1_interval`` steps (the engine scales it by the interval);
    G also learns to make samples from which E recovers z (latent reconstruction, against mode collapse).\"\"\"

    networks = ("G", "D", "E")   # E comes from the recipe's networks
    requires_inputs = ("z",)      # the generator input it reads
    twice_differentiated = ("D",)  # R1 differentiates D twice
    cuda_graph_safe = True

    def __init__(self, r1_gamma: float = 1.0, r1_interval: int = 8, reconstruction: float = 1.0) -> None:
        self.r1_gamma, self.r1_interval, self.reconstruction = r1_gamma, r1_interval, reconstruction

    def phases(self):
        return [
            Phase("D", updates=("D",)),
            Phase("D_reg", updates=("D",), every=self.r1_interval, new_batch=False),
            Phase("G", updates=("G", "E"), new_batch=False),
        ]

    def d_loss(self, ctx):
        inputs = ctx.inputs()
        with torch.set_grad_enabled(not ctx.warmup):  # the G phase reuses these fakes
            fake = image_of(ctx.generate(inputs))
        ctx.scratch["fake"], ctx.scratch["z"] = fake, inputs["z"]
        real_scores = ctx.nets["D"](ctx.batch["image"], None)
        fake_scores = ctx.nets["D"](fake.detach(), None)
        loss = F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()
        return PhaseLoss(loss, scores={"real": real_scores, "fake": fake_scores})

    def d_reg_loss(self, ctx):
        real = ctx.batch["image"].detach().requires_grad_(True)
        penalty = per_sample_norm(ctx.input_grad(ctx.nets["D"](real, None), real)).square().mean()
        return PhaseLoss(self.r1_gamma / 2 * penalty, terms={"r1": penalty})

    def g_loss(self, ctx):
        fake, z = ctx.scratch.pop("fake"), ctx.scratch.pop("z")
        adversarial = -ctx.nets["D"](fake, None).mean()
        reconstruction = F.mse_loss(ctx.nets["E"](fake), z)
        return PhaseLoss(adversarial + self.reconstruction * reconstruction,
                         terms={"adv": adversarial, "reconstruction": reconstruction})
'''

AUGMENT = '''\"\"\"An augmentation: the engine puts it in front of the discriminator when train.augment names it.\"\"\"

from __future__ import annotations

import torch

from ganzoo import DataInfo
from ganzoo.augment import Augment


class InstanceNoise(Augment):
    \"\"\"Gaussian noise of standard deviation ``std`` on every image D sees (Sonderby et al. 2016).\"\"\"

    cuda_graph_safe = True  # draws from torch's RNG, which a CUDA graph replay advances

    def __init__(self, data: DataInfo, std: float = 0.1) -> None:
        super().__init__()
        if std < 0:
            raise ValueError(f"std must not be negative, got {std}")
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.std * torch.randn_like(x)
'''

TEST = '''\"\"\"Checks every component and recipe this distribution registers, with ganzoo's conformance kit.\"\"\"

import ganzoo.testing as gt


def test_the_plugin_conforms(tmp_path):
    data = gt.make_tiny_mnist(tmp_path / "data")  # offline: recipes on mnist smoke-train on tiny IDX files
    checked = gt.check_distribution("$name", data_root=data)
    assert set(checked) == {"generator:$name-g", "discriminator:$name-d", "network:$name-encoder",
                            "input:$name-uniform", "loss:$name-hinge", "augment:$name-instance-noise",
                            "recipe:$name-mnist"}
'''

README = '''# $name

GAN components for ganzoo (`pip install torch-ganzoo`), written as a plugin
for its contract 2.0, with one example of each kind: a generator `$name-g`,
a discriminator `$name-d`, an encoder network `$name-encoder`, an input
sampler `$name-uniform`, an objective with phases `$name-hinge` (hinge loss,
lazy R1, latent reconstruction through the encoder), an augmentation
`$name-instance-noise` and a recipe `$name-mnist` that uses them all.

```bash
pip install -e ".[test]"      # install it (and pytest) into the environment that has ganzoo
ganzoo list '$name*'          # its entries, attributed to $name==0.1.0
python -m pytest              # ganzoo.testing checks every component and smoke-trains the recipe
ganzoo train $name-mnist
```

Edit `src/$package/models.py` (the networks), `inputs.py` (the input
sampler), `objective.py` (the phases and their losses), `augment.py` and
`src/$package/plugin.py` (what is registered). Names must match `[a-z0-9][a-z0-9-]*` and be unique in
the user's environment, so keep the `$name-` prefix. The plugin author guide
(docs/plugin-guide.md in ganzoo) documents every hook.
'''

FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "src/{package}/__init__.py": INIT,
    "src/{package}/plugin.py": PLUGIN,
    "src/{package}/models.py": MODELS,
    "src/{package}/inputs.py": INPUTS,
    "src/{package}/objective.py": OBJECTIVE,
    "src/{package}/augment.py": AUGMENT,
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
    from ganzoo.distribution import DISTRIBUTION_NAME, FORMER_NAMES

    if name in (DISTRIBUTION_NAME, *FORMER_NAMES):
        raise ScaffoldError(f"a plugin cannot be called {name!r}", "that is ganzoo's own distribution's name",
                            "choose another name")  # fmt: skip
    target = Path(parent) / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists", "ganzoo does not overwrite files", "choose another name or --dir")
    values = {"name": name, "package": name.replace("-", "_"), "ganzoo_version": ganzoo.__version__}
    for relative, template in FILES.items():
        path = target / relative.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(string.Template(template).substitute(values), encoding="utf-8")
    return target
