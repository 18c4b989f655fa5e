"""Reading a training run's directory back: its configuration, its record, its data's shape, its generator.

The one public module for it: the engine (resume), evaluation, publishing and
the CLI all read run directories through these functions. Layout::

    RUN_DIR/
      config.json        the resolved configuration (what --resume continues)
      run.json           status (running/finished/interrupted/failed/diverged ...), versions, hardware, timings,
                         the data's shape and which distribution provided each component
      metrics.jsonl      one JSON object per logging step
      checkpoint.pt      the latest checkpoint (atomic; weights_only-loadable)
      samples/           step-NNNNNNN.png grids of fixed inputs, and final.png
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional

from torch import nn

from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.artifacts.finite import refuse_non_finite
from ganzoo.config import (
    AUGMENT_SECTION,
    COMPONENT_KINDS,
    INPUTS_SECTION,
    check_saved_config,
    network_entry,
    network_names,
    with_contract2_defaults,
)
from ganzoo.errors import CheckpointError, ConfigError, RunDirectoryError, UnknownNameError
from ganzoo.specs import DataInfo
from ganzoo.untrusted import install_advice

CONFIG_NAME = "config.json"
RUN_INFO_NAME = "run.json"


def read_run_config(run_dir: Path, registry: Any = None) -> dict[str, Any]:
    """A run's config.json, checked, with contract 2's defaults filled in for older runs.

    With ``registry``, its components must be installed too: a missing one
    names the distribution the run was trained with.
    """
    run_dir = Path(run_dir)
    path = run_dir / CONFIG_NAME
    if not path.is_file():
        raise RunDirectoryError(
            f"{run_dir} is not a ganzoo run",
            f"it has no {CONFIG_NAME}" + ("" if run_dir.is_dir() else " (the directory does not exist)"),
            "give the directory of an earlier `ganzoo train` run",
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # UnicodeDecodeError included
        raise RunDirectoryError(f"{path} is not valid JSON", str(exc), "restore the run's config.json") from None
    check_saved_config(config)
    config.pop("ganzoo_version", None)
    with_contract2_defaults(config)
    if registry is not None:
        check_components_installed(run_dir, config, registry)
    return config


def components(config: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Every registered component a configuration names: ``{record key: (registry kind, name)}``."""
    parts = {kind: (kind, config[kind]["name"]) for kind in COMPONENT_KINDS}
    parts[INPUTS_SECTION] = ("input", config[INPUTS_SECTION]["name"])
    if (config.get(AUGMENT_SECTION) or {}).get("name"):
        parts[AUGMENT_SECTION] = ("augment", config[AUGMENT_SECTION]["name"])
    for name in network_names(config)[2:]:
        entry = network_entry(config, name)
        parts[f"networks.{name}"] = (entry["kind"], entry["name"])
    return parts


def component_providers(registry: Any, config: Mapping[str, Any]) -> dict[str, str]:
    """Which distribution provides each component (run.json: what to reinstall should one go missing)."""
    return {key: registry.entry(kind, name).provider for key, (kind, name) in components(config).items()}


def check_components_installed(run_dir: Path, config: Mapping[str, Any], registry: Any) -> None:
    """Name the distribution to reinstall when a run's component is no longer registered."""
    for key, (kind, name) in components(config).items():
        try:
            registry.entry(kind, name)
        except UnknownNameError as unknown:
            try:
                provider = str(json.loads((Path(run_dir) / RUN_INFO_NAME).read_text(encoding="utf-8"))["providers"][key])
            except (OSError, ValueError, KeyError, TypeError):
                raise unknown from None  # a run from before providers were recorded: the plain error
            # run.json can be edited: its provider becomes a pip line only if it is a plain requirement.
            why, fix = install_advice(provider, "trained")
            raise ConfigError(f"this run needs the {kind} {name!r}, which no installed plugin provides", why,
                              fix) from None  # fmt: skip


def read_run_info(run_dir: Path) -> dict[str, Any]:
    """A run's run.json as a dict; {} when it is missing, unreadable or not an object."""
    try:
        info = json.loads((Path(run_dir) / RUN_INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def load_run_generator(run_dir: Path, *, info: DataInfo, ema: bool = True, registry: Any = None,
                       state: Optional[dict[str, Any]] = None) -> nn.Module:
    """The run's generator (its EMA when there is one and ``ema``), strictly loaded, in eval mode.

    ``info`` is the data the generator was built for (the run's dataset info).
    """
    import ganzoo

    run_dir = Path(run_dir)
    registry = registry or ganzoo.get_registry()
    config = read_run_config(run_dir, registry)
    if state is None:  # a caller that needs the step or digest too passes the one it loaded
        state = ckpt.load_checkpoint(run_dir / ckpt.CHECKPOINT_NAME)
    spec = registry.get("generator", config["generator"]["name"])
    model = spec.build(info, **config["generator"]["params"])
    weights = state["ema"] if ema and state["ema"] else state["generator"]
    # Checkpoints are checked before they are written; one from an older ganzoo may not have been.
    refuse_non_finite(weights, "the generator's weights", run_dir / ckpt.CHECKPOINT_NAME, CheckpointError)
    model.load_state_dict(weights, strict=True)
    return model.eval()


def load_run_networks(run_dir: Path, *, info: DataInfo, registry: Any = None, state: Optional[dict[str, Any]] = None,
                      kinds: tuple[str, ...] = ("generator",)) -> dict[str, nn.Module]:
    """The run's networks besides G and D of the given kinds (its other generators: a CycleGAN's ``G_ba``),
    each its EMA when it has one, strictly loaded, in eval mode."""
    import ganzoo

    run_dir = Path(run_dir)
    registry = registry or ganzoo.get_registry()
    config = read_run_config(run_dir, registry)
    wanted = {name: entry for name, entry in config["networks"].items() if entry["kind"] in kinds}
    if not wanted:
        return {}
    if state is None:
        state = ckpt.load_checkpoint(run_dir / ckpt.CHECKPOINT_NAME)
    networks = {}
    for name, entry in wanted.items():
        model = registry.get(entry["kind"], entry["name"]).build(info, **entry["params"])
        weights = state["ema_networks"].get(name) or state["networks"][name]
        refuse_non_finite(weights, f"the weights of {name}", run_dir / ckpt.CHECKPOINT_NAME, CheckpointError)
        model.load_state_dict(weights, strict=True)
        networks[name] = model.eval()
    return networks


def load_run_states(run_dir: Path, registry: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every network's weights in a run's checkpoint, by network name (``G``, ``D``, ``Q`` ...), and its config.

    A network with an EMA gives its EMA -- what the run samples with, and what
    ``ganzoo publish`` would store -- so starting from a run and starting from
    its published model are the same. Each state is checked to be finite.
    """
    import ganzoo

    run_dir = Path(run_dir)
    config = read_run_config(run_dir, registry or ganzoo.get_registry())
    state = ckpt.load_checkpoint(run_dir / ckpt.CHECKPOINT_NAME)
    states: dict[str, Any] = {"G": ckpt.sampling_weights(state), "D": state["discriminator"]}
    emas = dict(state.get("ema_networks") or {})
    for name, weights in dict(state.get("networks") or {}).items():
        states[name] = emas.get(name) or weights
    for name, weights in states.items():
        refuse_non_finite(weights, f"the weights of {name}", run_dir / ckpt.CHECKPOINT_NAME, CheckpointError)
    return states, config


def run_dataset_info(run_dir: Path, data_dir: Optional[Path] = None, registry: Any = None) -> DataInfo:
    """The DataInfo of a run's dataset: from its run.json, or (runs from before it was recorded there)
    by building the dataset, which reads its files."""
    import ganzoo
    from ganzoo.data import resolve_data_root

    try:
        recorded = json.loads((Path(run_dir) / RUN_INFO_NAME).read_text(encoding="utf-8"))["data"]
        return DataInfo.from_json(recorded)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    registry = registry or ganzoo.get_registry()
    config = read_run_config(Path(run_dir))
    spec = registry.get("dataset", config["dataset"]["name"])
    return spec.build(resolve_data_root(data_dir), train=True, download=False, **config["dataset"]["params"]).info


__all__ = [
    "CONFIG_NAME",
    "RUN_INFO_NAME",
    "check_components_installed",
    "component_providers",
    "components",
    "load_run_generator",
    "load_run_networks",
    "load_run_states",
    "read_run_config",
    "read_run_info",
    "run_dataset_info",
]
