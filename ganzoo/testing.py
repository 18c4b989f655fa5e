"""Conformance checks for ganzoo components, for plugin authors' own test suites.

Each check raises ``AssertionError`` with a message that says what is wrong::

    import ganzoo.testing as gt

    def test_my_plugin_conforms(tmp_path):
        data = gt.make_tiny_mnist(tmp_path / "data")  # recipes on MNIST smoke-train on this
        gt.check_distribution("my-gans", data_root=data)

ganzoo runs the same checks over every registered component and recipe.
"""

from __future__ import annotations

import json
import math
import struct
import tempfile
from pathlib import Path
from typing import Any, Iterable, Optional

import torch
from torch import nn

from ganzoo.specs import NAME_PATTERN, DataInfo

def write_idx_images(path: Path, images: torch.Tensor) -> None:
    """Write uint8 images (N, H, W) as an IDX3 file (magic 2051), the format MNIST ships in."""
    n, rows, cols = images.shape
    path.write_bytes(struct.pack(">IIII", 2051, n, rows, cols) + images.to(torch.uint8).numpy().tobytes())


def write_idx_labels(path: Path, labels: torch.Tensor) -> None:
    """Write uint8 labels (N,) as an IDX1 file (magic 2049)."""
    path.write_bytes(struct.pack(">II", 2049, len(labels)) + labels.to(torch.uint8).numpy().tobytes())


def make_tiny_mnist(root: Path, folder: str = "MNIST", train: int = 512, test: int = 128, seed: int = 0) -> Path:
    """A tiny MNIST-shaped dataset in torchvision's layout (``ROOT/FOLDER/raw/*-ubyte``); returns ``root``.

    Real IDX files read through torchvision's own loader, so recipes that train
    on ``mnist`` (``folder="MNIST"``) or ``fashion-mnist`` (``"FashionMNIST"``)
    smoke-train offline. Each image is a bright bar whose position encodes its
    label, so the data has structure a GAN can learn and tests can check.
    """
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = torch.randint(0, 10, (count,), generator=generator)
        images = torch.zeros(count, 28, 28, dtype=torch.uint8)
        for i, label in enumerate(labels.tolist()):
            row, col = 2 + (label // 5) * 12, 2 + (label % 5) * 5
            images[i, row : row + 10, col : col + 4] = 255
        images = (images.float() * (0.8 + 0.2 * torch.rand(count, 1, 1, generator=generator))).to(torch.uint8)
        write_idx_images(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx_labels(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return Path(root)


#: The data a component is checked against when no recipe says otherwise.
DEFAULT_INFO = DataInfo(shape=(1, 28, 28), num_classes=10)


def check_spec_metadata(spec: Any) -> None:
    """A valid name, a one-line summary and JSON-serialisable defaults."""
    assert NAME_PATTERN.match(spec.name), f"{spec.kind} name {spec.name!r} must match [a-z0-9][a-z0-9-]*"
    assert spec.summary.strip() and "\n" not in spec.summary.strip(), f"{spec.name}: summary must be one line"
    defaults = getattr(spec, "defaults", getattr(spec, "params", {}))
    json.dumps(dict(defaults), allow_nan=False)


def _labels(info: DataInfo, batch: int) -> Optional[torch.Tensor]:
    return torch.arange(batch) % info.num_classes if info.num_classes else None


def _all_parameters_get_gradients(model: nn.Module, what: str) -> None:
    missing = [name for name, p in model.named_parameters() if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())]
    assert not missing, f"{what}: no finite gradient reached {missing[:5]}"


def _safetensors_round_trip(model: nn.Module, run: Any, what: str) -> None:
    """Save the state dict as safetensors, load it strictly into a fresh copy, compare outputs."""
    from safetensors.torch import load_file, save_file

    model.eval()
    state = {key: value.detach().contiguous() for key, value in model.state_dict().items()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.safetensors"
        save_file(state, str(path))
        loaded = load_file(str(path))
    assert set(loaded) == set(state), f"{what}: keys changed in the safetensors round trip"
    clone = run.rebuild()
    clone.load_state_dict(loaded, strict=True)
    clone.eval()
    with torch.no_grad():
        a, b = run.forward(model), run.forward(clone)
    assert torch.equal(a, b), f"{what}: a model reloaded from safetensors gives different outputs"


class _Run:
    def __init__(self, build: Any, forward: Any) -> None:
        self.rebuild, self.forward = build, forward


def check_generator(spec: Any, info: DataInfo = DEFAULT_INFO, batch: int = 3) -> nn.Module:
    """Builds with its defaults, has ``latent_dim``, maps noise to ``(B, *info.shape)``, back-propagates, round-trips."""
    check_spec_metadata(spec)
    torch.manual_seed(0)
    build = lambda: spec.build(info, **dict(spec.defaults))  # noqa: E731
    model = build()
    assert isinstance(model, nn.Module), f"generator {spec.name}: build must return an nn.Module"
    assert isinstance(getattr(model, "latent_dim", None), int), f"generator {spec.name}: needs an int latent_dim"
    z = torch.randn(batch, model.latent_dim)
    labels = _labels(info, batch)
    model.train()
    out = model(z, labels)
    assert tuple(out.shape) == (batch, *info.shape), f"generator {spec.name}: output {tuple(out.shape)}, expected {(batch, *info.shape)}"
    assert torch.isfinite(out).all(), f"generator {spec.name}: non-finite output"
    if info.modality == "image":
        low, high = info.value_range
        assert out.min() >= low - 1e-4 and out.max() <= high + 1e-4, f"generator {spec.name}: images outside {info.value_range}"
    out.float().square().mean().backward()
    _all_parameters_get_gradients(model, f"generator {spec.name}")
    _safetensors_round_trip(model, _Run(build, lambda m: m(z, labels)), f"generator {spec.name}")
    return model


def check_discriminator(spec: Any, info: DataInfo = DEFAULT_INFO, batch: int = 3) -> nn.Module:
    """Builds with its defaults, returns one score per sample, back-propagates to its input, round-trips."""
    check_spec_metadata(spec)
    torch.manual_seed(0)
    build = lambda: spec.build(info, **dict(spec.defaults))  # noqa: E731
    model = build()
    assert isinstance(model, nn.Module), f"discriminator {spec.name}: build must return an nn.Module"
    x = torch.randn(batch, *info.shape).clamp(-1, 1).requires_grad_(True)
    labels = _labels(info, batch)
    model.train()
    scores = model(x, labels)
    assert tuple(scores.shape) == (batch,), f"discriminator {spec.name}: scores {tuple(scores.shape)}, expected ({batch},)"
    scores.float().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0, f"discriminator {spec.name}: no gradient w.r.t. its input"
    _all_parameters_get_gradients(model, f"discriminator {spec.name}")
    x_fixed = x.detach()
    _safetensors_round_trip(model, _Run(build, lambda m: m(x_fixed, labels)), f"discriminator {spec.name}")
    return model


class _LinearCritic(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor, labels: Any = None) -> torch.Tensor:
        return self.linear(x.flatten(1)).squeeze(1)


def check_loss(spec: Any, batch: int = 4) -> Any:
    """Builds with its defaults and gives finite losses whose gradients reach D (and G's output)."""
    from ganzoo.losses import GANLoss, input_gradients

    check_spec_metadata(spec)
    loss = spec.build(**dict(spec.defaults))
    assert isinstance(loss, GANLoss), f"loss {spec.name}: build must return a ganzoo.losses.GANLoss"
    assert isinstance(loss.n_critic, int) and loss.n_critic >= 1, f"loss {spec.name}: n_critic must be a positive int"
    torch.manual_seed(0)
    D = _LinearCritic(6)
    real, fake = torch.randn(batch, 6), torch.randn(batch, 6, requires_grad=True)
    d_terms = loss.discriminator_loss(D, real, fake.detach(), None, input_gradients)
    assert d_terms.loss.dim() == 0 and math.isfinite(d_terms.loss.item()), f"loss {spec.name}: D loss must be a finite scalar"
    d_terms.loss.backward()
    _all_parameters_get_gradients(D, f"loss {spec.name} (D step)")
    loss.after_discriminator_step(D)
    D.zero_grad()
    g_terms = loss.generator_loss(D, real, fake, None)
    assert g_terms.loss.dim() == 0 and math.isfinite(g_terms.loss.item()), f"loss {spec.name}: G loss must be a finite scalar"
    g_terms.loss.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0, f"loss {spec.name}: no gradient reaches the generator's output"
    return loss


def check_dataset(spec: Any, data_root: Path, **params: Any) -> Any:
    """Builds (from ``data_root``, without downloading) and yields batches matching its DataInfo."""
    from ganzoo.data import InMemoryData, StreamingData

    check_spec_metadata(spec)
    data = spec.build(Path(data_root), train=True, download=False, **{**dict(spec.defaults), **params})
    assert isinstance(data, (InMemoryData, StreamingData)), f"dataset {spec.name}: must build InMemoryData or StreamingData"
    assert len(data) > 0, f"dataset {spec.name}: is empty"
    if isinstance(data, InMemoryData):
        x, y = data.batch(torch.arange(min(4, len(data))))
    else:
        x, y = data.dataset[0]
        x = x.unsqueeze(0)
        y = torch.tensor([y]) if data.info.num_classes else None
    assert tuple(x.shape[1:]) == data.info.shape, f"dataset {spec.name}: samples {tuple(x.shape[1:])} != info {data.info.shape}"
    assert x.dtype == torch.float32 and torch.isfinite(x).all(), f"dataset {spec.name}: samples must be finite float32"
    if data.info.modality == "image":
        low, high = data.info.value_range
        assert x.min() >= low - 1e-6 and x.max() <= high + 1e-6, f"dataset {spec.name}: values outside {data.info.value_range}"
    assert bool(spec.labelled) == (y is not None and data.info.num_classes > 0), f"dataset {spec.name}: labelled flag and labels disagree"
    return data


def check_recipe(name: str, *, data_root: Path, out: Path, steps: int = 2, registry: Any = None,
                 overrides: Optional[dict[str, Any]] = None) -> Any:
    """Smoke-trains a recipe for a few steps on CPU and checks the run directory."""
    import ganzoo

    settings = {"train.batch_size": 8, "train.log_every": 1, "train.device": "cpu"}
    settings.update(overrides or {})
    result = ganzoo.train(name, steps=steps, out=out, data_dir=data_root, download=False, quiet=True,
                          overrides=settings, registry=registry)  # fmt: skip
    assert result.step == steps, f"recipe {name}: trained {result.step} of {steps} steps"
    assert math.isfinite(result.last_stats["d_loss"]) and math.isfinite(result.last_stats["g_loss"]), f"recipe {name}: non-finite loss"
    for produced in ("config.json", "checkpoint.pt", "metrics.jsonl", "samples/final.png"):
        assert (Path(out) / produced).is_file(), f"recipe {name}: the run left no {produced}"
    return result


def entries_of(distribution: str, registry: Any = None) -> list[Any]:
    """The registry entries a distribution provides."""
    import ganzoo

    registry = registry or ganzoo.get_registry()
    return [e for e in registry if e.provider.partition("==")[0] == distribution]


def check_distribution(distribution: str, *, data_root: Path, registry: Any = None, info: DataInfo = DEFAULT_INFO,
                       smoke_steps: int = 2, recipe_overrides: Optional[dict[str, Any]] = None) -> list[str]:
    """Every check above, over everything ``distribution`` registers. Returns what was checked."""
    import ganzoo

    registry = registry or ganzoo.get_registry()
    entries = entries_of(distribution, registry)
    assert entries, f"the registry holds nothing from {distribution!r}: is it installed, with a 'ganzoo' entry point?"
    checked = []
    for entry in entries:
        spec = entry.spec
        if entry.kind == "generator":
            check_generator(spec, info)
        elif entry.kind == "discriminator":
            check_discriminator(spec, info)
        elif entry.kind == "loss":
            check_loss(spec)
        elif entry.kind == "recipe":
            check_spec_metadata(spec)
            for kind, name in spec.components.items():
                registry.get(kind, name)  # every component it names is installed
            with tempfile.TemporaryDirectory() as folder:
                check_recipe(spec.name, data_root=data_root, out=Path(folder) / "run", steps=smoke_steps,
                             registry=registry, overrides=recipe_overrides)  # fmt: skip
        else:
            check_spec_metadata(spec)
        checked.append(f"{entry.kind}:{entry.name}")
    return checked


def iter_checked(kinds: Iterable[str] = ("generator", "discriminator", "loss", "dataset", "recipe"), registry: Any = None) -> list[Any]:
    """All registry entries of ``kinds`` (for parametrising tests)."""
    import ganzoo

    registry = registry or ganzoo.get_registry()
    return [e for e in registry if e.kind in set(kinds)]
