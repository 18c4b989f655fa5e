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


def _registry(registry: Any = None) -> Any:
    import ganzoo

    return registry or ganzoo.get_registry()


def _info(spec: Any, info: Optional[DataInfo]) -> DataInfo:
    """The data a component is checked on: what the caller passes, else what its spec declares, else MNIST's shape."""
    return info or getattr(spec, "check_data", None) or DEFAULT_INFO


def _example_batch(info: DataInfo, batch: int) -> dict[str, torch.Tensor]:
    """A batch of every field ``info`` describes: images in its range, labels, extra fields."""
    def samples(described: DataInfo) -> torch.Tensor:
        low, high = described.value_range
        return torch.rand(batch, *described.shape) * (high - low) + low

    fields = {"image": samples(info)}
    if info.num_classes:
        fields["label"] = torch.arange(batch) % info.num_classes
    fields.update({name: samples(described) for name, described in info.fields.items()})
    return fields


def _sampler_for(spec: Any, model: nn.Module, info: DataInfo, registry: Any) -> Any:
    """The input sampler a generator spec declares, built for ``model``."""
    sampler_spec = _registry(registry).get("input", getattr(spec, "inputs", "gaussian"))
    return sampler_spec.build(info, model, **dict(sampler_spec.defaults))


def check_generator(spec: Any, info: Optional[DataInfo] = None, batch: int = 3, registry: Any = None) -> nn.Module:
    """Builds with its defaults, takes the inputs its declared sampler draws, makes ``(B, *info.shape)``, round-trips.

    Checked at ``info``, else the spec's ``check_data``, else 1x28x28 with 10 classes.
    """
    from ganzoo.objectives import image_of

    info = _info(spec, info)
    check_spec_metadata(spec)
    torch.manual_seed(0)
    build = lambda: spec.build(info, **dict(spec.defaults))  # noqa: E731
    model = build()
    assert isinstance(model, nn.Module), f"generator {spec.name}: build must return an nn.Module"
    try:
        sampler = _sampler_for(spec, model, info, registry)
    except ValueError as exc:
        raise AssertionError(f"generator {spec.name}: its input sampler {spec.inputs!r} does not fit it: {exc}") from None
    inputs = sampler.sample(batch, batch=_example_batch(info, batch), generator=torch.Generator().manual_seed(0),
                            device=torch.device("cpu"))  # fmt: skip
    assert set(inputs) == set(sampler.fields), f"generator {spec.name}: sampler drew {sorted(inputs)}, declared {sampler.fields}"
    model.train()
    output = sampler.call(model, inputs)
    out = image_of(output)
    assert tuple(out.shape) == (batch, *info.shape), f"generator {spec.name}: output {tuple(out.shape)}, expected {(batch, *info.shape)}"
    assert torch.isfinite(out).all(), f"generator {spec.name}: non-finite output"
    if info.modality == "image":
        low, high = info.value_range
        assert out.min() >= low - 1e-4 and out.max() <= high + 1e-4, f"generator {spec.name}: images outside {info.value_range}"
    out.float().square().mean().backward()
    _all_parameters_get_gradients(model, f"generator {spec.name}")
    _safetensors_round_trip(model, _Run(build, lambda m: image_of(sampler.call(m, inputs))), f"generator {spec.name}")
    return model


def check_discriminator(spec: Any, info: Optional[DataInfo] = None, batch: int = 3) -> nn.Module:
    """Builds with its defaults, returns its declared outputs (one score per sample, or per patch), back-propagates."""
    from ganzoo.objectives import scores_of

    info = _info(spec, info)
    check_spec_metadata(spec)
    torch.manual_seed(0)
    build = lambda: spec.build(info, **dict(spec.defaults))  # noqa: E731
    model = build()
    assert isinstance(model, nn.Module), f"discriminator {spec.name}: build must return an nn.Module"
    x = torch.randn(batch, *info.shape).clamp(-1, 1).requires_grad_(True)
    labels = _labels(info, batch)
    model.train()
    out = model(x, labels)
    outputs = tuple(getattr(spec, "outputs", ("score",)))
    if len(outputs) > 1:
        assert isinstance(out, dict) and set(outputs) <= set(out), \
            f"discriminator {spec.name}: declares {outputs} but returns {sorted(out) if isinstance(out, dict) else 'a tensor'}"
        for head in outputs:
            assert out[head].shape[0] == batch, f"discriminator {spec.name}: head {head} has no row per sample"
    scores = scores_of(out)
    if getattr(spec, "patch_scores", False):
        assert scores.dim() >= 2 and scores.shape[0] == batch, f"discriminator {spec.name}: patch scores {tuple(scores.shape)}"
    else:
        assert tuple(scores.shape) == (batch,), f"discriminator {spec.name}: scores {tuple(scores.shape)}, expected ({batch},)"
    total = sum(value.float().sum() for value in out.values()) if isinstance(out, dict) else scores.float().sum()
    total.backward()
    assert x.grad is not None and x.grad.abs().sum() > 0, f"discriminator {spec.name}: no gradient w.r.t. its input"
    _all_parameters_get_gradients(model, f"discriminator {spec.name}")
    x_fixed = x.detach()
    _safetensors_round_trip(model, _Run(build, lambda m: scores_of(m(x_fixed, labels))), f"discriminator {spec.name}")
    return model


def check_network(spec: Any, info: Optional[DataInfo] = None) -> nn.Module:
    """Builds with its defaults into an nn.Module with parameters whose state round-trips through safetensors.

    What a named network reads is its objective's business: it is exercised by
    smoke-training a recipe that uses it (:func:`check_recipe`).
    """
    info = _info(spec, info)
    check_spec_metadata(spec)
    torch.manual_seed(0)
    model = spec.build(info, **dict(spec.defaults))
    assert isinstance(model, nn.Module), f"network {spec.name}: build must return an nn.Module"
    assert any(True for _ in model.parameters()), f"network {spec.name}: has no parameters to train"
    from safetensors.torch import load as load_bytes, save as save_bytes

    state = {key: value.detach().contiguous() for key, value in model.state_dict().items()}
    clone = spec.build(info, **dict(spec.defaults))
    clone.load_state_dict(load_bytes(save_bytes(state)), strict=True)
    return model


class _LinearCritic(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor, labels: Any = None) -> torch.Tensor:
        return self.linear(x.flatten(1)).squeeze(1)


def check_loss(spec: Any, batch: int = 4, *, data_root: Optional[Path] = None, registry: Any = None) -> Any:
    """A contract-1 loss: finite losses whose gradients reach D and G's output. An objective: valid phases, and
    (given ``data_root``) a few training steps with the networks a recipe pairs it with."""
    from ganzoo.losses import GANLoss, input_gradients
    from ganzoo.objectives import Objective

    check_spec_metadata(spec)
    loss = spec.build(**dict(spec.defaults))
    if isinstance(loss, Objective):
        return check_objective(spec, data_root=data_root, registry=registry)
    assert isinstance(loss, GANLoss), f"loss {spec.name}: build must return a ganzoo.objectives.Objective or a GANLoss"
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


def check_objective(spec: Any, *, data_root: Optional[Path] = None, registry: Any = None, steps: int = 2) -> Any:
    """A contract-2 objective: its phases are valid and have loss methods; with ``data_root``, it trains.

    It trains in its own setting: the first registered recipe that names it
    (so with the discriminator heads, networks and inputs it declares), or --
    when it requires nothing beyond G and D -- with vanilla-mnist's networks.
    """
    import ganzoo
    from ganzoo.objectives import Objective

    objective = spec.build(**dict(spec.defaults))
    assert isinstance(objective, Objective), f"loss {spec.name}: build must return a ganzoo.objectives.Objective"
    phases = list(objective.phases())
    names = [phase.name for phase in phases]
    assert phases and len(set(names)) == len(names), f"loss {spec.name}: phases must have distinct names, got {names}"
    for phase in phases:
        assert hasattr(objective, phase.method), f"loss {spec.name}: phase {phase.name!r} has no {phase.method}()"
    if data_root is None:
        return objective
    registry = _registry(registry)
    recipe = next((r.name for r in registry.list("recipe") if r.spec.loss == spec.name), None)
    needs_more = objective.requires_outputs or objective.requires_inputs or objective.requires_fields or \
        set(objective.networks) - {"G", "D"}
    assert recipe or not needs_more, (f"loss {spec.name}: it requires networks, heads or inputs that no registered "
                                      "recipe pairs it with; register a recipe that does, so it can be checked")
    with tempfile.TemporaryDirectory() as folder:
        if recipe:
            check_recipe(recipe, data_root=Path(data_root), out=Path(folder) / "run", steps=steps, registry=registry)
        else:
            overrides = {"train.batch_size": 8, "train.log_every": 1, "train.device": "cpu", "generator.hidden": [16],
                         "discriminator.hidden": [16]}  # fmt: skip
            result = ganzoo.train("vanilla-mnist", loss=spec.name, steps=steps, out=Path(folder) / "run",
                                  data_dir=data_root, download=False, quiet=True, overrides=overrides,
                                  registry=registry)  # fmt: skip
            assert all(math.isfinite(v) for k, v in result.last_stats.items() if k.endswith("_loss")), \
                f"loss {spec.name}: non-finite loss"
    return objective


def check_input_sampler(spec: Any, info: Optional[DataInfo] = None, registry: Any = None, batch: int = 3) -> Any:
    """Drawn for the generators that declare it (else for a stand-in with ``latent_dim``): training, grid and request."""
    from ganzoo.inputs import InputSampler

    info = _info(spec, info)
    check_spec_metadata(spec)
    registry = _registry(registry)
    users = [entry.spec for entry in registry.list("generator") if getattr(entry.spec, "inputs", "") == spec.name]
    if users:
        generator_spec = users[0]
        info = getattr(generator_spec, "check_data", None) or info
        model = generator_spec.build(info, **dict(generator_spec.defaults))
    else:
        model = nn.Linear(8, 8)
        model.latent_dim = 8  # type: ignore[attr-defined]
    sampler = spec.build(info, model, **dict(spec.defaults))
    assert isinstance(sampler, InputSampler), f"input {spec.name}: build must return a ganzoo.inputs.InputSampler"
    examples = _example_batch(info, batch)
    before = torch.get_rng_state()
    drawn = sampler.sample(batch, batch=examples, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), before), f"input {spec.name}: sample() must draw from the generator it is given"
    again = sampler.sample(batch, batch=examples, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert set(drawn) == set(sampler.fields), f"input {spec.name}: drew {sorted(drawn)}, declares {sampler.fields}"
    for name, value in drawn.items():
        assert value is None or (value.shape[0] == batch and torch.equal(value, again[name])), \
            f"input {spec.name}: {name} must have a row per sample and repeat with the same seed"
    fixed = sampler.fixed(batch, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"), examples=examples)
    assert set(fixed) == set(sampler.fields), f"input {spec.name}: fixed() must draw the same fields"
    if users:
        request = {"source": examples[getattr(sampler, "field", "source")]} if "source" in sampler.fields else {}
        labels = torch.arange(batch) % info.num_classes if getattr(generator_spec, "conditional", False) else None
        asked = sampler.request(batch, generator=torch.Generator().manual_seed(0), labels=labels, **request)
        sampler.call(model.eval(), asked)
    return sampler


def check_augment(spec: Any, info: Optional[DataInfo] = None, batch: int = 4) -> Any:
    """Keeps the shape, is differentiable, draws fresh transforms per call, and its state round-trips."""
    from ganzoo.augment import Augment

    info = _info(spec, info)
    check_spec_metadata(spec)
    augment = spec.build(info, **dict(spec.defaults))
    assert isinstance(augment, Augment), f"augment {spec.name}: build must return a ganzoo.augment.Augment"
    low, high = info.value_range
    x = (torch.rand(batch, *info.shape) * (high - low) + low).requires_grad_(True)
    out = augment(x)
    assert out.shape == x.shape and torch.isfinite(out).all(), f"augment {spec.name}: must keep the shape, finite"
    out.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all(), f"augment {spec.name}: gradients must reach its input"
    augment.observe(torch.randn(batch))
    augment.update(batch)
    clone = spec.build(info, **dict(spec.defaults))
    clone.load_state_dict(augment.state_dict(), strict=True)
    return augment


def check_extractor(spec: Any) -> Any:
    """Builds, loads its pinned weights (hash checked) and maps images to finite ``(B, feature_dim)`` features."""
    from ganzoo.evaluation.extractors import load_extractor

    check_spec_metadata(spec)
    model = load_extractor(spec)
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    features = model.features(x)
    assert features.dim() == 2 and features.shape[0] == 2 and torch.isfinite(features).all(), \
        f"extractor {spec.name}: features must be finite (B, F)"
    if spec.num_classes:
        assert model.logits(x).shape == (2, spec.num_classes), f"extractor {spec.name}: logits must be (B, num_classes)"
    return model


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
    if isinstance(data, InMemoryData) and data.info.fields:
        fields = data.batch_fields(torch.arange(min(4, len(data))))
        for name, described in data.info.fields.items():
            assert tuple(fields[name].shape[1:]) == described.shape, f"dataset {spec.name}: field {name} has the wrong shape"
    return data


def check_logger(spec: Any, run_dir: Optional[Path] = None) -> Any:
    """Builds a logger and drives it as a run does: start, stats lines, an evaluation, a sample grid, close;
    then once more as a resumed run (started at the first step) that logs over what came after it.

    ``run_dir`` (default: a temporary folder) is where it writes; returns the first logger.
    """
    import io

    from ganzoo.loggers import Logger
    from PIL import Image

    check_spec_metadata(spec)
    buffer = io.BytesIO()
    Image.new("RGB", (12, 10), (200, 30, 30)).save(buffer, format="png")
    png = buffer.getvalue()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(run_dir) if run_dir is not None else Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        before = sorted(target.iterdir())
        first = None
        for start in (0, 10):
            logger = spec.build(**dict(spec.defaults))
            assert isinstance(logger, Logger), f"logger {spec.name}: build() returned {type(logger).__name__}"
            if first is None:
                assert sorted(target.iterdir()) == before, (f"logger {spec.name}: building it wrote into the run "
                                                            "directory; write from start() on")  # fmt: skip
            logger.start(target, start_step=start, config={"train": {"steps": 20}})
            for step in (10, 20):
                if step > start:
                    logger.log_metrics(step, {"step": step, "kimg": step * 0.064, "d_loss": 0.5, "g_loss": 1.5,
                                              "d_real": 0.6, "d_fake": None, "g_info_cat": 2.0})  # fmt: skip
                    logger.log_eval(step, {"fid": 12.5, "primary": "fid"})
                    logger.log_image(step, "samples", png)
            logger.close()
            first = first or logger
    return first


def check_recipe(name: str, *, data_root: Path, out: Path, steps: int = 2, registry: Any = None,
                 overrides: Optional[dict[str, Any]] = None) -> Any:
    """Smoke-trains a recipe for a few steps on CPU and checks the run directory."""
    import ganzoo

    settings = {"train.batch_size": 8, "train.log_every": 1, "train.device": "cpu"}
    settings.update(overrides or {})
    result = ganzoo.train(name, steps=steps, out=out, data_dir=data_root, download=False, quiet=True,
                          overrides=settings, registry=registry)  # fmt: skip
    assert result.step == steps, f"recipe {name}: trained {result.step} of {steps} steps"
    losses = {key: value for key, value in result.last_stats.items() if key.endswith("_loss")}
    assert losses and all(math.isfinite(value) for value in losses.values()), f"recipe {name}: non-finite loss {losses}"
    for produced in ("config.json", "checkpoint.pt", "metrics.jsonl", "samples/final.png"):
        assert (Path(out) / produced).is_file(), f"recipe {name}: the run left no {produced}"
    return result


def entries_of(distribution: str, registry: Any = None) -> list[Any]:
    """The registry entries a distribution provides."""
    import ganzoo

    registry = registry or ganzoo.get_registry()
    return [e for e in registry if e.provider.partition("==")[0] == distribution]


def check_distribution(distribution: str, *, data_root: Path, registry: Any = None, info: DataInfo = DEFAULT_INFO,
                       smoke_steps: int = 2, recipe_overrides: Optional[dict[str, Any]] = None,
                       dataset_params: Optional[dict[str, dict[str, Any]]] = None) -> list[str]:
    """Every check above, over everything ``distribution`` registers. Returns what was checked.

    Each component is checked in its own setting: at its spec's ``check_data``
    when it declares one, objectives through a recipe that pairs them with the
    networks they need, datasets and extractors actually built (a dataset that
    needs parameters, such as a folder, gets them from ``dataset_params``).
    """
    import ganzoo

    registry = registry or ganzoo.get_registry()
    entries = entries_of(distribution, registry)
    assert entries, f"the registry holds nothing from {distribution!r}: is it installed, with a 'ganzoo' entry point?"
    checked = []
    for entry in entries:
        spec = entry.spec
        if entry.kind == "generator":
            check_generator(spec, getattr(spec, "check_data", None) or info, registry=registry)
        elif entry.kind == "discriminator":
            check_discriminator(spec, getattr(spec, "check_data", None) or info)
        elif entry.kind == "network":
            check_network(spec, getattr(spec, "check_data", None) or info)
        elif entry.kind == "loss":
            check_loss(spec, data_root=data_root, registry=registry)
        elif entry.kind == "input":
            check_input_sampler(spec, getattr(spec, "check_data", None) or info, registry=registry)
        elif entry.kind == "augment":
            check_augment(spec, getattr(spec, "check_data", None) or info)
        elif entry.kind == "dataset":
            check_dataset(spec, data_root, **(dataset_params or {}).get(spec.name, {}))
        elif entry.kind == "extractor":
            check_extractor(spec)
        elif entry.kind == "logger":
            check_logger(spec)
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


def iter_checked(kinds: Iterable[str] = ("generator", "discriminator", "network", "loss", "input", "augment", "dataset",
                                         "recipe"), registry: Any = None) -> list[Any]:
    """All registry entries of ``kinds`` (for parametrising tests)."""
    import ganzoo

    registry = registry or ganzoo.get_registry()
    return [e for e in registry if e.kind in set(kinds)]
