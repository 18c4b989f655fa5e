"""``ganzoo.load(NAME_OR_PATH)``: a published generator, rebuilt from its config and strictly loaded.

Nothing from the files is executed: the weights are safetensors, the config is
JSON naming registered components, and the components' code comes from the
installed plugins.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

import torch
from torch import nn

from ganzoo.artifacts.finite import refuse_non_finite
from ganzoo.errors import GanzooError, UnknownNameError
from ganzoo.artifacts.store import CONFIG_NAME, WEIGHTS_NAME, is_extractor_folder, names_run_dir, resolve_model
from ganzoo.artifacts.weights import WeightsError, check_state_fits, load_state_strictly, load_weights
from ganzoo.specs import DataInfo
from ganzoo.untrusted import check_config_names, install_advice

MODEL_FORMAT = "ganzoo-model"
MODEL_FORMAT_VERSION = 1


class LoadedModel(nn.Module):
    """A published model (or a training run's), ready to sample: what :func:`ganzoo.load` returns.

    It calls like its generator -- ``model(z)`` for a noise model,
    ``model(images)`` for an image-to-image one -- and :meth:`sample` draws
    from it with the inputs it was trained on (class labels, InfoGAN codes,
    source images), returning images in [0, 1]. ``config`` is the published
    configuration (value range, input spec, provenance), ``info`` the data
    it was built for, ``sampler`` its input sampler.
    """

    def __init__(self, generator: nn.Module, discriminator: Optional[nn.Module], config: dict[str, Any],
                 info: DataInfo, path: Path, sampler: Any, networks: Optional[dict[str, nn.Module]] = None) -> None:  # fmt: skip
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.networks = nn.ModuleDict(networks or {})
        self.config, self.info, self.path, self.sampler = config, info, Path(path), sampler
        self.eval()  # a loaded model is for sampling

    @property
    def conditional(self) -> bool:
        """Whether the generator takes class labels."""
        return bool(self.config["generator"].get("conditional"))

    @property
    def latent_dim(self) -> int:
        """The generator's noise size (contract-1 models: ``model(torch.randn(n, model.latent_dim))``)."""
        return self.generator.latent_dim

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The generator's forward pass, unchanged."""
        return self.generator(*args, **kwargs)

    @torch.no_grad()
    def sample(self, n: int = 16, *, seed: int = 0, labels: Any = None, codes: Optional[dict[str, Any]] = None,
               source: Optional[torch.Tensor] = None, interpolate: bool | int = False,
               seeds: Optional[Sequence[int]] = None, loop: bool = False, pil: bool = False) -> Any:
        """``n`` samples as a float tensor on the CPU, images in [0, 1] (2-D points as they are).

        ``seed`` fixes the inputs (same seed, same samples); ``labels`` is a
        class or a sequence of classes for a class-conditional model;
        ``codes`` maps code names to values (``{"c0": 3, "c1": "-2:2"}``) for
        an InfoGAN model; ``source`` is a batch of images to translate for an
        image-to-image model (``n`` is then its length). ``seeds`` draws one
        sample per seed instead (``n`` is then their number), each the one
        ``sample(1, seed=s)`` gives. ``interpolate`` walks the latent space in
        ``n`` frames through ``interpolate`` keyframes (``True``: 2; with
        ``seeds``, one per seed): spherical for Gaussian noise, linear for
        codes; ``loop=True`` returns to the first keyframe, for an animation.
        ``pil=True`` returns a list of ``PIL.Image`` instead. Sampling runs in
        eval mode without gradients::

            model = ganzoo.load("cgan-mnist")
            sevens = model.sample(8, labels=7)          # (8, 1, 28, 28), values in [0, 1]
            grid = model.sample(seeds=range(16))        # seed by seed
            frames = model.sample(64, interpolate=4, loop=True, pil=True)
            frames[0].save("walk.gif", save_all=True, append_images=frames[1:], loop=0, duration=60)
        """
        from ganzoo.artifacts.sampling import as_labels, draw

        if source is not None:
            n = len(source)
        elif seeds is not None and not interpolate:
            seeds = list(seeds)
            n = len(seeds)
        was_training = self.training
        self.eval()
        try:
            samples = draw(self, n=n, seed=seed, labels=as_labels(self, labels, n), codes=codes, source=source,
                           interpolate=interpolate, seeds=seeds, loop=loop)  # fmt: skip
        finally:
            self.train(was_training)
        if self.info.modality != "image":
            return samples
        low, high = self.info.value_range
        images = ((samples - low) / (high - low)).clamp_(0, 1)
        if not pil:
            return images
        from torchvision.transforms.functional import to_pil_image

        return [to_pil_image(image) for image in images]


def load(name_or_path: str | Path, *, device: torch.device | str = "cpu", registry: Any = None) -> LoadedModel:
    """A published model, in eval mode on ``device``: it calls like its generator and has :meth:`~LoadedModel.sample`.

    ``name_or_path`` is a model name (``vanilla-mnist``: looked up in the model
    folders, see :mod:`ganzoo.artifacts.store`), a folder written by
    ``ganzoo publish``, a lone ``model.safetensors`` (its metadata holds the
    config), a training run's directory (its EMA generator, as ``ganzoo sample
    RUN_DIR`` draws from), or ``hf://ORG/NAME[@REVISION]`` on the Hugging Face
    Hub (the extra ``hub``). Missing or unexpected weights are errors::

        G = ganzoo.load("vanilla-mnist")
        with torch.no_grad():
            images = G(torch.randn(16, G.latent_dim))   # in [-1, 1], as the generator makes them
        grid = G.sample(16, seed=0)                      # in [0, 1]
    """
    return load_model(name_or_path, device=device, registry=registry)


def load_model(name_or_path: str | Path, *, device: torch.device | str = "cpu", with_discriminator: bool = False,
               registry: Any = None, data_dir: Any = None, require_discriminator: bool = True) -> LoadedModel:
    """The whole published model (or training run); the discriminator too when asked and present.

    ``data_dir``: for a run directory from before runs recorded their data's shape, the dataset root.
    ``require_discriminator=False`` with ``with_discriminator``: a model published without one
    loads with ``discriminator`` None instead of raising (what fine-tuning's ``--init`` takes).
    """
    import ganzoo

    registry = registry or ganzoo.get_registry()
    if not isinstance(name_or_path, (str, Path)) or not str(name_or_path).strip():
        raise GanzooError(f"no model given: {name_or_path!r}", "a model is named by a string or a path",
                          "give a name such as 'vanilla-mnist', a folder or a .safetensors file")  # fmt: skip
    if not isinstance(device, torch.device):
        from ganzoo.devices import resolve_device

        device = resolve_device(str(device))  # "cuda" without a GPU is refused in words here
    if names_run_dir(name_or_path):
        if with_discriminator:
            raise GanzooError(f"{name_or_path} is a training run", "its discriminator is loaded only from a "
                              "published model", "publish the run with --with-discriminator, then load that")  # fmt: skip
        return load_run_model(name_or_path, device=device, registry=registry, data_dir=data_dir)
    path = resolve_model(name_or_path)
    if path.is_file() and path.suffix == ".pt":
        raise WeightsError(
            f"{path} is a training checkpoint, not a published model",
            "published models are safetensors files; checkpoints are for resuming",
            f"sample or evaluate its run directory ({path.parent}), or publish the run first",
        )
    if is_extractor_folder(path if path.is_dir() else path.parent):
        raise WeightsError(
            f"{(path if path.is_dir() else path.parent).name} is an evaluation network, not a generator",
            "ganzoo eval uses it to compute FID, precision/recall and the class metrics; it draws no samples",
            "sample or load a generator (ganzoo list recipes marks those with pretrained weights with *)",
        )
    weights_file = path / WEIGHTS_NAME if path.is_dir() else path
    tensors, metadata = load_weights(weights_file)
    config = _config(path, weights_file, metadata)
    info = _data_info(config, weights_file)
    generator = _rebuild(registry, "generator", config, info, tensors, weights_file)
    published = config.get("weights", {})
    # The other generators always (they sample); D and the other networks when asked for.
    with_discriminator = with_discriminator and (require_discriminator or bool(published.get("discriminator")))
    names = list(published.get("networks", [])) + (list(published.get("other_networks", [])) if with_discriminator else [])
    networks = {name: _rebuild(registry, f"networks.{name}", config, info, tensors, weights_file) for name in names}
    discriminator = None
    if with_discriminator:
        if not published.get("discriminator"):
            raise GanzooError(f"{weights_file} holds no discriminator", "it was published without one",
                              "re-publish the run with --with-discriminator")  # fmt: skip
        discriminator = _rebuild(registry, "discriminator", config, info, tensors, weights_file)
    else:
        skipped = ("discriminator.", *(f"networks.{name}." for name in published.get("other_networks", [])))
        tensors = {k: v for k, v in tensors.items() if not k.startswith(skipped)}
        _check_no_leftovers(tensors, weights_file, [f"networks.{name}." for name in networks])
    return LoadedModel(generator=generator.to(device).eval(), info=info, config=config, path=path,
                       discriminator=discriminator.to(device).eval() if discriminator is not None else None,
                       sampler=build_input_sampler(registry, config, info, generator),
                       networks={name: net.to(device).eval() for name, net in networks.items()})  # fmt: skip


def load_run_model(run_dir: str | Path, *, device: torch.device | str = "cpu", registry: Any = None,
                   data_dir: Any = None, state: Optional[dict[str, Any]] = None) -> LoadedModel:
    """A training run's sampling generator (its EMA when it has one) as a :class:`LoadedModel`.

    What ``ganzoo sample RUN_DIR`` and ``ganzoo eval RUN_DIR`` use, before or
    without publishing. ``state``: the run's checkpoint, when the caller loaded it already.
    """
    import ganzoo
    from ganzoo.artifacts.runs import load_run_generator, load_run_networks, read_run_config, run_dataset_info

    registry = registry or ganzoo.get_registry()
    run_dir = Path(run_dir).resolve()  # "." has no name of its own
    config = read_run_config(run_dir, registry)
    info = run_dataset_info(run_dir, data_dir, registry)
    generator = load_run_generator(run_dir, info=info, registry=registry, state=state)
    conditional = bool(getattr(registry.get("generator", config["generator"]["name"]), "conditional", False))
    described = {**config, "name": run_dir.name, "data": info.to_json(),
                 "generator": {**config["generator"], "conditional": conditional}}  # fmt: skip
    networks = load_run_networks(run_dir, info=info, registry=registry, state=state)
    return LoadedModel(generator=generator.to(device).eval(), discriminator=None, config=described, info=info,
                       path=run_dir, sampler=build_input_sampler(registry, described, info, generator),
                       networks={name: net.to(device) for name, net in networks.items()})  # fmt: skip


def build_input_sampler(registry: Any, config: dict[str, Any], info: DataInfo, generator: nn.Module) -> Any:
    """The input sampler a model's config names (Gaussian noise for models published before contract 2)."""
    section = config.get("inputs") or {"name": "gaussian", "params": {}}
    try:
        spec = registry.get("input", section["name"])
    except UnknownNameError:
        raise GanzooError(f"this model draws its inputs with {section['name']!r}, which no installed plugin provides",
                          "its generator cannot be fed without it", "install the plugin the model was trained with") from None
    try:
        return spec.build(info, generator, **section.get("params", {}))
    except (TypeError, ValueError) as exc:
        raise GanzooError(f"the model's input sampler {section['name']!r} does not fit its generator", str(exc),
                          "re-publish the model") from None


def _config(path: Path, weights_file: Path, metadata: dict[str, str]) -> dict[str, Any]:
    """The model's config: config.json beside the weights, which must agree with the weights' metadata."""
    try:
        embedded = json.loads(metadata["config"]) if "config" in metadata else None
    except ValueError:
        embedded = None
    config_file = path / CONFIG_NAME if path.is_dir() else None
    if config_file is not None and config_file.is_file():
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise WeightsError(f"{config_file} is not valid JSON", str(exc), "re-publish the model") from None
        if embedded is not None and _components(embedded) != _components(config):
            raise WeightsError(
                f"{config_file} does not match {weights_file}",
                f"the config names {_components(config)}, the weights were published for {_components(embedded)}",
                "keep each model's config.json and model.safetensors together (re-publish it)",
            )
    elif embedded is not None:
        config = embedded
    else:
        raise WeightsError(
            f"{weights_file} does not say which model it holds",
            "it has no ganzoo config in its metadata and no config.json beside it",
            "load a file written by `ganzoo publish`",
        )
    if not isinstance(config, dict) or config.get("format") != MODEL_FORMAT or not _readable_version(config):
        described = config if isinstance(config, dict) else {}
        raise WeightsError(
            f"{weights_file} is not a ganzoo model this version can read",
            f"format {described.get('format')!r} version {described.get('format_version')!r}",
            "upgrade ganzoo, or load a model published by ganzoo",
        )
    # Read from a file anyone may have written: its names must be names before anything uses them.
    check_config_names(config, config_file if config_file is not None and config_file.is_file() else weights_file,
                       WeightsError)  # fmt: skip
    for kind in ("generator", "dataset"):
        if not (isinstance(config.get(kind), dict) and isinstance(config[kind].get("params"), dict)):
            raise WeightsError(f"{weights_file} does not describe its {kind}",
                               f"its config has no {kind} name and params", "re-publish the model")  # fmt: skip
    return config


def _readable_version(config: dict[str, Any]) -> bool:
    try:
        return int(config.get("format_version", 0)) <= MODEL_FORMAT_VERSION
    except (TypeError, ValueError):
        return False


def _data_info(config: dict[str, Any], weights_file: Path) -> DataInfo:
    """The DataInfo a model's config records, or a WeightsError in words."""
    try:
        return DataInfo.from_json(config["data"])
    except (KeyError, TypeError, ValueError) as exc:  # SpecError is a ValueError
        raise WeightsError(f"{weights_file} does not say what data its model makes",
                           f"its config's 'data' is missing or malformed ({exc})", "re-publish the model") from None


def _components(config: dict[str, Any]) -> dict[str, Any]:
    parts = {kind: config.get(kind) for kind in ("generator", "discriminator", "dataset")}
    return {kind: part.get("name") if isinstance(part, dict) else part for kind, part in parts.items()} | {
        "data": config.get("data")
    }


def _rebuild(registry: Any, kind: str, config: dict[str, Any], info: DataInfo, tensors: dict[str, torch.Tensor],
             weights_file: Path) -> nn.Module:
    """The network stored under ``kind.`` (``generator``, ``discriminator`` or ``networks.NAME``), strictly loaded."""
    if kind.startswith("networks."):
        part = config["networks"][kind.partition(".")[2]]
        kind_of_spec = part["kind"]
    else:
        part, kind_of_spec = config[kind], kind
    try:
        spec = registry.get(kind_of_spec, part["name"])
    except UnknownNameError:
        why, fix = install_advice(part.get("provider"), "published")
        raise GanzooError(f"this model needs the {kind} {part['name']!r}, which no installed plugin provides", why,
                          fix) from None  # fmt: skip
    prefix = f"{kind}."
    state = {key[len(prefix):]: value for key, value in tensors.items() if key.startswith(prefix)}
    refuse_non_finite(state, f"the {kind}'s weights", weights_file, WeightsError)
    what = f"{kind} {part['name']!r}"
    # Shapes first, on the meta device (no memory): a config.json edited to ask for huge
    # layers is refused before anything is allocated, so a model folder cannot make
    # ganzoo allocate more than its weights file holds.
    try:
        with torch.device("meta"):
            probe = spec.build(info, **part["params"])
    except Exception:  # a builder that cannot run on meta is checked after the real build
        probe = None
    if probe is not None:
        check_state_fits(probe, state, what, weights_file)
    model = spec.build(info, **part["params"])
    load_state_strictly(model, state, what, weights_file)
    return model


def _check_no_leftovers(tensors: dict[str, torch.Tensor], weights_file: Path, known: list[str]) -> None:
    unknown = sorted(k for k in tensors if not k.startswith(("generator.", *known)))
    if unknown:
        raise WeightsError(f"{weights_file} holds tensors ganzoo does not know", f"e.g. {unknown[:3]}",
                           "load a file written by `ganzoo publish`")  # fmt: skip
