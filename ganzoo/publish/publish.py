"""``ganzoo publish``: turn a run directory into a model folder (weights, config, samples, card).

The folder is assembled in a temporary sibling directory and moved into place
with renames, so a failing publish leaves no half-written model, and an
existing model is replaced only with ``force``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

import torch

import ganzoo
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.artifacts.finite import refuse_non_finite
from ganzoo.errors import GanzooError
from ganzoo.publish.card import model_card
from ganzoo.artifacts.models import MODEL_FORMAT, MODEL_FORMAT_VERSION, load_model
from ganzoo.publish.reproduce import reproduce_command
from ganzoo.artifacts.store import CARD_NAME, CONFIG_NAME, SAMPLES_NAME, WEIGHTS_NAME, source_model_dir
from ganzoo.artifacts.weights import save_weights
from ganzoo.specs import DataInfo, SpecError, validate_name

#: Where models are published when no folder is given (relative to the current directory).
DEFAULT_MODELS_DIR = "model_cards"
SAMPLE_SEED = 0
SAMPLE_COUNT = 64
BEST_NAME = "best.pt"
RUN_EVAL_NAME = "eval.json"


class PublishError(GanzooError):
    """A run that cannot be published as asked."""


def publish(run_dir: str | Path, *, name: Optional[str] = None, to: str | Path | None = None,
            with_discriminator: bool = False, use_best: bool = False, force: bool = False,
            license: str = "mit", data_dir: Any = None, registry: Any = None,
            warn: Callable[[str], None] = lambda text: None) -> Path:
    """Publish a run's generator (its EMA when it has one) as ``to/NAME/``; return that folder.

    ``to`` defaults to ``./model_cards``, except where that is the shipped zoo of a
    source checkout (refused: give ``to`` to publish there on purpose); ``name``
    defaults to the run's recipe (or its generator's name). ``use_best`` publishes the checkpoint the run's
    evaluation ranked best (``best.pt``) instead of the latest. The card's
    evaluation is the newest ``ganzoo eval`` result of exactly these weights;
    ``warn`` is told when there is none.
    """
    from ganzoo.artifacts.runs import RUN_INFO_NAME, read_run_config
    from ganzoo.artifacts.runs import run_dataset_info

    registry = registry or ganzoo.get_registry()
    run_dir = Path(run_dir)
    config = read_run_config(run_dir, registry)
    run_info = _read_json(run_dir / RUN_INFO_NAME)
    # Only None means "the default"; an empty --name is a mistake, not a request for it.
    name = name if name is not None else (config.get("recipe") or config["generator"]["name"])
    try:
        validate_name(name, "model name")
    except SpecError as exc:
        raise PublishError(f"cannot publish under the name {name!r}", str(exc), "choose another --name") from None
    target = Path(to or DEFAULT_MODELS_DIR) / name
    if target.parent.resolve() == source_model_dir().resolve():
        if to is None:
            # In a checkout ./model_cards is the shipped zoo: a model published there by default would be
            # listed beside the zoo's own, and the test suite checks that every folder there is shipped.
            raise PublishError(
                f"./{DEFAULT_MODELS_DIR} here is ganzoo's own zoo folder (this is a source checkout)",
                "publishing there by default would add your model to the models ganzoo ships",
                f"publish elsewhere with --to DIR (e.g. --to my-models), or pass --to {DEFAULT_MODELS_DIR} to add "
                "it to the zoo on purpose",
            )
        # Asked for explicitly: say so before it fills up.
        warn(f"{target.parent} is ganzoo's own model folder (this is a source checkout): the model will be "
             "listed beside the shipped ones; publish elsewhere with --to DIR to keep them apart")  # fmt: skip
    if target.exists() and not force:
        raise PublishError(f"{target} already exists", "publishing never replaces a model by accident",
                           "pass --force to replace it, or choose another --name or --to")  # fmt: skip
    if run_info.get("status") not in ("finished", "interrupted"):
        raise PublishError(f"the run in {run_dir} has not finished (status {run_info.get('status')!r})",
                           "its checkpoint may be from an unfinished or failed run",
                           "let it finish, or resume it with ganzoo train --resume")  # fmt: skip
    checkpoint_file = run_dir / (BEST_NAME if use_best else ckpt.CHECKPOINT_NAME)
    if not checkpoint_file.is_file():
        raise PublishError(f"{checkpoint_file} does not exist", "best.pt exists only when the run evaluated during training"
                           if use_best else "the run left no checkpoint", "publish the latest checkpoint, or train with --eval-every")  # fmt: skip
    state = ckpt.load_checkpoint(checkpoint_file)
    info = run_dataset_info(run_dir, data_dir, registry)
    weights = ckpt.sampling_weights(state)
    evaluation = _evaluation_of(run_dir, ckpt.weights_digest(weights))
    if evaluation is None:
        warn(f"the card has no evaluation: no `ganzoo eval` result in {run_dir / RUN_EVAL_NAME} measured these "
             f"weights ({checkpoint_file.name}, step {state['step']}); run `ganzoo eval {run_dir}` first"
             + (" -- it evaluates checkpoint.pt, so publish that, or the card of best.pt stays unevaluated"
                if use_best else ""))  # fmt: skip
    tensors = {f"generator.{k}": v for k, v in weights.items()}
    # The other generators (a CycleGAN's second direction) sample too: published by name, EMA when kept.
    generators = [name for name, entry in config["networks"].items() if entry["kind"] == "generator"]
    # With the discriminator go the run's other trained networks (D_a, InfoGAN's Q ...): all of it, by name.
    others = [name for name in config["networks"] if name not in generators] if with_discriminator else []
    for net in generators + others:
        net_weights = state["ema_networks"].get(net) or state["networks"][net]
        tensors.update({f"networks.{net}.{k}": v for k, v in net_weights.items()})
    if with_discriminator:
        tensors.update({f"discriminator.{k}": v for k, v in state["discriminator"].items()})
    refuse_non_finite(tensors, "the weights to publish", checkpoint_file, PublishError)
    model_config = _model_config(name, config, run_info, state, info, registry, bool(state["ema"]), with_discriminator,
                                 evaluation, checkpoint_file.name, generators, others)  # fmt: skip
    metadata = {"format": "pt", "ganzoo_version": ganzoo.__version__, "config": json.dumps(model_config, sort_keys=True),
                **{kind: model_config[kind]["name"] for kind in ("generator", "discriminator", "loss", "dataset")},
                "recipe": model_config["recipe"] or ""}  # fmt: skip

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".publishing", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a published model is for everyone to read
    try:
        save_weights(staging / WEIGHTS_NAME, tensors, metadata)
        (staging / CONFIG_NAME).write_text(json.dumps(model_config, indent=2) + "\n", encoding="utf-8")
        # Samples come from the *published* files, so the card shows what ganzoo.load gives.
        loaded = load_model(staging, registry=registry, with_discriminator=with_discriminator)
        (staging / SAMPLES_NAME).write_bytes(sample_picture(loaded, data_dir=data_dir, registry=registry))
        (staging / CARD_NAME).write_text(model_card(model_config, license=license), encoding="utf-8")
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def sample_picture(model: Any, *, seed: int = SAMPLE_SEED, count: int = SAMPLE_COUNT, data_dir: Any = None,
                   registry: Any = None) -> bytes:
    """The PNG a card shows: a grid of ``count`` samples (a column per class when conditional, per value of
    the first categorical code for InfoGAN-style inputs), or a scatter plot of 2,500 points over the data
    for 2-D models, or input | output | target for image-to-image models."""
    from ganzoo.artifacts.pictures import grid_png, scatter_png
    from ganzoo.artifacts.sampling import class_labels, draw

    info = model.info
    if info.modality == "points":
        return scatter_png(draw(model, n=2500, seed=seed), _reference_points(model.config, data_dir, registry))
    if model.sampler.needs_examples:  # image-to-image: input | output | target on the held-out split
        return _translation_picture(model, data_dir, registry)
    # A column per class, or per value of the code the sampler counts up the samples by.
    columns = info.num_classes if model.conditional else model.sampler.grid_columns
    if columns:
        count = columns * min(columns, 10)
    labels = class_labels(model, None, count)
    return grid_png(draw(model, n=count, seed=seed, labels=labels), info, nrow=columns)


def _translation_picture(model: Any, data_dir: Any, registry: Any, count: int = 8) -> bytes:
    """The card's grid of an image-to-image model: the first ``count`` test pairs, translated."""
    from ganzoo.evaluation.evaluate import build_reference
    from ganzoo.artifacts.sampling import draw, translation_grid

    reference = build_reference(model.config["dataset"]["name"], model.config["dataset"]["params"], data_dir, registry)
    examples = reference.batch_fields(torch.arange(min(count, len(reference))))
    source = examples[model.sampler.field]
    return translation_grid(model, source, draw(model, n=len(source), seed=SAMPLE_SEED, source=source), examples["image"])


def _reference_points(config: dict[str, Any], data_dir: Any, registry: Any) -> Optional[torch.Tensor]:
    from ganzoo.evaluation.evaluate import build_reference

    try:
        return build_reference(config["dataset"]["name"], config["dataset"]["params"], data_dir, registry).x[:2500]
    except GanzooError:
        return None


def _model_config(name: str, config: dict[str, Any], run_info: dict[str, Any], state: dict[str, Any], info: DataInfo,
                  registry: Any, has_ema: bool, with_discriminator: bool, evaluation: Optional[dict[str, Any]],
                  checkpoint_name: str, generators: list[str], others: list[str]) -> dict[str, Any]:
    parts = {}
    for kind in ("generator", "discriminator", "loss", "dataset"):
        entry = registry.entry(kind, config[kind]["name"])
        parts[kind] = {"name": entry.name, "params": config[kind]["params"], "provider": entry.provider}
        if hasattr(entry.spec, "conditional"):
            parts[kind]["conditional"] = bool(entry.spec.conditional)
        if entry.spec.paper:
            parts[kind]["paper"] = entry.spec.paper
    recipe = config.get("recipe")
    recipe_spec = registry.get("recipe", recipe) if recipe and recipe in registry.names("recipe") else None
    environment = run_info.get("environment", {})
    return {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "name": name,
        "recipe": recipe,
        "recipe_summary": recipe_spec.summary if recipe_spec else "",
        "paper": recipe_spec.paper if recipe_spec else parts["generator"].get("paper", ""),
        **parts,
        "inputs": config["inputs"],
        "pipeline_tag": _pipeline_tag(registry, config["inputs"]["name"]) if info.modality == "image" else None,
        "networks": {net: {**entry, "provider": registry.entry(entry["kind"], entry["name"]).provider}
                     for net, entry in config["networks"].items()},
        "augment": config["augment"],
        "data": info.to_json(),
        "train": config["train"],
        "weights": {"generator": "ema" if has_ema else "generator", "discriminator": with_discriminator,
                    "checkpoint": checkpoint_name, "networks": generators, "other_networks": others},  # fmt: skip
        "training": {
            "steps": int(state["step"]),
            "images_seen": int(state["images_seen"]),
            "wall_time_s": round(float(state["wall_time"]), 1),
            "seed": config["train"]["seed"],
            "world_size": run_info.get("world_size", 1),
            "device": environment.get("device"),
            "hardware": _hardware(environment),
            "torch": environment.get("torch"),
            "ganzoo": environment.get("ganzoo"),
            "git_commit": environment.get("ganzoo_git_commit"),
            "finished": run_info.get("updated"),
            "status": run_info.get("status"),
            "planned_steps": config["train"]["steps"],
            "command": reproduce_command(config, registry, int(state["step"])),
        },
        "evaluation": evaluation["metrics"] if evaluation else [],
        "ganzoo_version": ganzoo.__version__,
        **({"init": config["init"]} if config.get("init") else {}),  # fine-tuned from (ganzoo train --init)
    }


def _pipeline_tag(registry: Any, inputs: str) -> str:
    """The Hugging Face task of a model fed by the input sampler ``inputs`` (read off its class, not built)."""
    from ganzoo.specs import lazy

    build = registry.get("input", inputs).build
    target = build.resolve() if isinstance(build, lazy) else build
    return str(getattr(target, "pipeline_tag", "unconditional-image-generation"))


def _hardware(environment: dict[str, Any]) -> str:
    if environment.get("gpu"):
        return f"1x {environment['gpu']}"
    return f"CPU, {environment.get('cpu_count', '?')} cores ({environment.get('torch_threads', '?')} torch threads)"


def _evaluation_of(run_dir: Path, digest: str) -> Optional[dict[str, Any]]:
    """The newest ``ganzoo eval`` record of the weights with this digest (not of a later or earlier step)."""
    evaluations = _read_json(run_dir / RUN_EVAL_NAME).get("evaluations") or []
    if not isinstance(evaluations, list):
        return None
    matching = [e for e in evaluations if isinstance(e, dict) and e.get("weights_sha256") == digest]
    return matching[-1] if matching else None


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} when it is missing, unreadable or not an object (the card then omits it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an existing ``target`` is moved aside first and removed last."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.replaced-{os.getpid()}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)  # put the previous model back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
