"""Resolve a training configuration from its sources, and validate it.

Precedence, lowest first: component defaults < recipe params < config file
(TOML) < command line (``--steps`` ..., then ``--set key=value``).

A resolved configuration is plain JSON::

    {"recipe": "vanilla-mnist" | null,
     "generator": {"name": "vanilla-mlp-g", "params": {...}},
     "discriminator": {...}, "loss": {...}, "dataset": {...},
     "inputs": {"name": "gaussian", "params": {}},         # the generator-input sampler
     "augment": {"name": null | "diffaugment", "params": {...}},  # chosen by train.augment
     "networks": {"Q": {"kind": "network", "name": "infogan-q", "params": {...},
                        "optimizer": {"share": "G"}, "ema": false}},  # networks besides G and D
     "train": {...}}

Runs written before contract 2 have no ``inputs``, ``augment`` or
``networks``; they read as the defaults (Gaussian inputs, no augmentation,
no other networks), and a configuration at those defaults has the digest it
had then, so such runs resume.

Every override is typed against the default it replaces, so ``--set
train.lr_g=abc`` or an unknown key is an error that lists the valid keys.
"""

from __future__ import annotations

import copy
import difflib
import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from ganzoo.errors import ConfigError
from ganzoo.specs import NAME_PATTERN
from ganzoo.untrusted import check_config_names

COMPONENT_KINDS = ("generator", "discriminator", "loss", "dataset")
#: Components every configuration has, but runs before contract 2 did not record.
INPUTS_SECTION, AUGMENT_SECTION, NETWORKS_SECTION = "inputs", "augment", "networks"
SECTIONS = ("train",) + COMPONENT_KINDS + (INPUTS_SECTION, AUGMENT_SECTION, NETWORKS_SECTION)
#: The registry kind of each section that names a component.
SECTION_KINDS = {**{kind: kind for kind in COMPONENT_KINDS}, INPUTS_SECTION: "input", AUGMENT_SECTION: "augment"}
DEFAULT_INPUTS = {"name": "gaussian", "params": {}}
NO_AUGMENT = {"name": None, "params": {}}

#: The engine's knobs. Units in the comments; every one can be overridden.
TRAIN_DEFAULTS: dict[str, Any] = {
    "steps": 5000,  # generator updates
    "batch_size": 64,  # samples per batch (per process)
    "seed": 0,
    "optimizer": "adam",  # "adam" or "rmsprop"
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "betas_g": [0.5, 0.999],  # Adam betas (RMSprop uses betas[1] as alpha)
    "betas_d": [0.5, 0.999],
    "n_critic": 0,  # discriminator steps per generator step; 0 = the loss's own
    "d_warmup_steps": 0,  # discriminator-only steps before the first generator step
    "grad_clip": 0.0,  # max global grad norm per network; 0 = off
    "r1_gamma": 0.0,  # R1 penalty weight gamma (adds gamma/2 * ||grad D(x)||^2); 0 = off
    "ema_halflife_kimg": 10.0,  # half-life of the generator EMA, thousands of generator images (batch x processes per G step); 0 = off
    "precision": "fp32",  # "fp32", "bf16" or "fp16"
    "device": "auto",  # "auto", "cpu", "cuda", "cuda:N" or "mps"
    "optimizer_impl": "auto",  # "auto", "fused", "foreach" or "for-loop": torch's optimizer implementation
    "data_on_device": True,  # hold an in-memory dataset on the training device (batches by index there)
    "compile": False,  # torch.compile both networks
    "cuda_graphs": True,  # replay each iteration as one CUDA graph where the run allows it (engine/cuda_graph.py)
    "channels_last": True,  # channels_last memory for conv nets on CUDA and CPU
    "tf32": True,  # allow TF32 matmuls/convolutions on CUDA
    "cudnn_benchmark": True,  # let cuDNN pick the fastest kernels on CUDA
    "num_workers": 2,  # DataLoader workers, streaming datasets only
    "log_every": 100,  # steps between metrics.jsonl lines / progress updates
    "sample_every": 1000,  # steps between sample grids
    "checkpoint_every": 1000,  # steps between checkpoints
    "grid_size": 64,  # samples in a grid (points for 2-D data: 10x more)
    "eval_every": 0,  # steps between evaluations (FID/KID or mode coverage) with best-checkpoint tracking; 0 = off
    "eval_samples": 10000,  # generated samples per evaluation
    "ddp_check": False,  # multi-process runs: verify every step that all ranks hold identical weights
    "weight_decay_g": 0.0,  # L2 weight decay of G's optimizer
    "weight_decay_d": 0.0,  # L2 weight decay of D's optimizer
    "augment": "",  # a registered augmentation applied to everything D sees (e.g. diffaugment); "" = none
    "lr_schedule": "constant",  # "constant", or "linear-decay": every learning rate falls linearly to 0 at the last step
    "lr_decay_start": 0.5,  # linear-decay: the fraction of train.steps after which the decay begins
    "stop_on_collapse": False,  # stop (exit 1) once training looks collapsed, not only warn (docs/reliability.md)
    "loggers": [],  # experiment loggers besides metrics.jsonl, by name (ganzoo list loggers): e.g. ["tensorboard"]
    "freeze_d_blocks": 0,  # FreezeD: D's first N blocks take no gradient (fine-tuning, docs/guide.md); 0 = off
}

#: Train keys added with contract 2 and later, at the values runs before them trained with: a
#: configuration that leaves them there has the digest it had before they existed.
ADDED_TRAIN_KEYS = {"weight_decay_g": 0.0, "weight_decay_d": 0.0, "augment": "", "lr_schedule": "constant",
                    "lr_decay_start": 0.5, "freeze_d_blocks": 0}

#: Keys that may change when resuming: they do not change what is learned, though
#: ``device`` and ``optimizer_impl`` change floating-point rounding, so a resume that
#: changes either continues the same training without being bit-exact.
RESUMABLE_KEYS = {
    "steps",
    "device",
    "optimizer_impl",
    "data_on_device",
    "compile",
    "cuda_graphs",
    "num_workers",
    "log_every",
    "sample_every",
    "checkpoint_every",
    "eval_every",
    "eval_samples",
    "ddp_check",
    # Only whether a collapsed run stops; also keeps configs written before the key existed resumable.
    "stop_on_collapse",
    # Where the numbers go besides metrics.jsonl: a resume may add or drop a logger.
    "loggers",
}

CHOICES = {
    "optimizer": ("adam", "rmsprop"),
    "precision": ("fp32", "bf16", "fp16"),
    "optimizer_impl": ("auto", "fused", "foreach", "for-loop"),
    "lr_schedule": ("constant", "linear-decay"),
}
#: The largest train.seed (as numpy's seeds: 32 bits).
MAX_SEED = 2**32 - 1
POSITIVE = ("steps", "batch_size", "log_every", "sample_every", "checkpoint_every", "grid_size", "eval_samples")
NON_NEGATIVE = ("eval_every", "n_critic", "d_warmup_steps", "grad_clip", "r1_gamma", "ema_halflife_kimg", "num_workers", "seed",
                "weight_decay_g", "weight_decay_d", "freeze_d_blocks")
#: Train keys that hold a list of registered names (a comma-separated string is read as one).
NAME_LISTS = ("loggers",)


def network_names(config: Mapping[str, Any]) -> list[str]:
    """G, D and every other network the configuration names, in that order."""
    return ["G", "D", *(config.get(NETWORKS_SECTION) or {})]


def network_entry(config: Mapping[str, Any], name: str) -> Optional[Mapping[str, Any]]:
    """A network's configuration: ``generator``/``discriminator`` sections for G and D, else its ``networks`` entry."""
    if name == "G":
        return {"kind": "generator", **config["generator"]}
    if name == "D":
        return {"kind": "discriminator", **config["discriminator"]}
    return (config.get(NETWORKS_SECTION) or {}).get(name)


def parse_value(text: str) -> Any:
    """A ``--set`` value: JSON if it parses (``3``, ``1e-4``, ``[0.5, 0.9]``, ``true``), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``section.key=value`` (or ``key=value`` for ``train``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(
            f"cannot read the override {text!r}",
            "overrides look like key=value",
            "write for example --set train.lr_g=1e-4 or --set generator.hidden=[128,256]",
        )
    return key.strip(), parse_value(value.strip())


def split_key(key: str) -> tuple[str, str]:
    """``"lr_g"`` -> ``("train", "lr_g")``; ``"generator.hidden"`` -> ``("generator", "hidden")``.

    ``"networks.Q.hidden"`` -> ``("networks", "Q.hidden")``: the rest names a
    network, then one of its params, ``optimizer.<key>`` or ``ema``.
    """
    section, dot, name = key.partition(".")
    if not dot:
        return "train", key
    if section not in SECTIONS:
        close = difflib.get_close_matches(section, SECTIONS, n=1)
        raise ConfigError(
            f"unknown config section {section!r} in {key!r}",
            f"did you mean {close[0]!r}?" if close else f"sections are {', '.join(SECTIONS)}",
            "write section.key=value, e.g. train.steps=1000",
        )
    return section, name


def coerce(section: str, key: str, value: Any, default: Any) -> Any:
    """Check ``value`` against the type of ``default`` and return it (ints widen to floats)."""
    where = f"{section}.{key}"
    if default is None:
        return value
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(default, list):
        if isinstance(value, list):
            if default and value:
                return [coerce(section, f"{key}[{i}]", item, default[0]) for i, item in enumerate(value)]
            return value
    elif isinstance(default, dict):
        if isinstance(value, dict):
            return value
    else:
        return value
    raise ConfigError(
        f"{where} must be {_type_name(default)}, got {json.dumps(value)}",
        f"its default is {json.dumps(default)}",
        f"pass a value like --set {where}={json.dumps(default)}",
    )


def _type_name(value: Any) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def apply_overrides(config: dict[str, Any], overrides: Iterable[tuple[str, Any]]) -> None:
    """Set each ``(key, value)`` into ``config`` in place, validating key and type."""
    for key, value in overrides:
        section, name = split_key(key)
        if section == NETWORKS_SECTION:
            _apply_network_override(config, name, value)
            continue
        if section == AUGMENT_SECTION and not config[AUGMENT_SECTION]["name"]:
            raise ConfigError(f"augment.{name} was set, but the run has no augmentation",
                              "augment.* sets the parameters of the one train.augment names",
                              "choose one with --set train.augment=NAME (ganzoo list augment)")  # fmt: skip
        params = config["train"] if section == "train" else config[section]["params"]
        if name not in params:
            valid = sorted(params)
            close = difflib.get_close_matches(name, valid, n=1)
            raise ConfigError(
                f"unknown key {section}.{name}",
                (f"did you mean {section}.{close[0]}? " if close else "")
                + f"valid {section} keys: {', '.join(valid) if valid else '(none)'}",
                "fix the key name",
            )
        if section == "train" and name in NAME_LISTS and isinstance(value, str):
            # --set train.loggers=tensorboard,csv (or [tensorboard,csv]) needs no JSON quoting in any shell.
            value = [item.strip() for item in value.strip().strip("[]").split(",") if item.strip()]
        params[name] = coerce(section, name, value, params[name])


def _apply_network_override(config: dict[str, Any], rest: str, value: Any) -> None:
    """``networks.Q.hidden=...`` (a param), ``networks.Q.optimizer.lr=...`` or ``networks.Q.ema=...``."""
    from ganzoo.specs import OPTIMIZER_KEYS

    networks = config[NETWORKS_SECTION]
    slot, dot, key = rest.partition(".")
    if slot not in networks:
        raise ConfigError(f"unknown network {slot!r} in networks.{rest}",
                          f"this run's other networks are {', '.join(networks) or '(none)'}",
                          "name a network of the recipe; G and D are set through generator.* and discriminator.*")  # fmt: skip
    entry = networks[slot]
    if not dot:
        raise ConfigError(f"networks.{slot} needs a key", "", f"write e.g. networks.{slot}.ema=true")
    if key == "ema":
        entry["ema"] = coerce(NETWORKS_SECTION, f"{slot}.ema", value, False)
    elif key.startswith("optimizer."):
        option = key.partition(".")[2]
        if option not in OPTIMIZER_KEYS:
            raise ConfigError(f"unknown optimizer key networks.{rest}", f"valid keys: {', '.join(OPTIMIZER_KEYS)}",
                              "fix the key name")  # fmt: skip
        defaults = {"share": "G", "kind": "adam", "lr": 2e-4, "betas": [0.5, 0.999], "weight_decay": 0.0}
        entry.setdefault("optimizer", {})[option] = coerce(NETWORKS_SECTION, f"{slot}.{key}", value, defaults[option])
    else:
        params = entry["params"]
        if key not in params:
            close = difflib.get_close_matches(key, sorted(params), n=1)
            raise ConfigError(f"unknown key networks.{rest}",
                              (f"did you mean networks.{slot}.{close[0]}? " if close else "")
                              + f"valid keys: {', '.join(sorted(params)) or '(none)'}, optimizer.<key>, ema",
                              "fix the key name")  # fmt: skip
        params[key] = coerce(NETWORKS_SECTION, rest, value, params[key])


def load_config_file(path: Path) -> tuple[dict[str, str], list[tuple[str, Any]]]:
    """Read a TOML config: component names and ``(section.key, value)`` overrides.

    Layout::

        recipe = "vanilla-mnist"          # optional
        [components]                      # optional: swap parts
        loss = "hinge"
        [train]
        steps = 2000
        [generator]
        hidden = [128, 256]
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    path = Path(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist", "", "check the path given to --config") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML", str(exc), "fix the file's syntax") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text", str(exc), "save it as UTF-8 (TOML requires it)") from None
    names: dict[str, str] = {}
    overrides: list[tuple[str, Any]] = []
    for key, value in document.items():
        if key == "recipe":
            names["recipe"] = str(value)
        elif key == "components" and isinstance(value, dict):
            for kind, name in value.items():
                if kind not in COMPONENT_KINDS + (INPUTS_SECTION,):
                    raise ConfigError(
                        f"unknown component kind {kind!r} in [components] of {path}",
                        f"kinds are {', '.join(COMPONENT_KINDS + (INPUTS_SECTION,))}",
                        "fix the key",
                    )
                names[kind] = str(name)
        elif key == NETWORKS_SECTION and isinstance(value, dict):
            for slot, settings in value.items():  # [networks.Q] hidden = 64, or [networks.Q.optimizer] lr = 1e-3
                if not isinstance(settings, dict):
                    raise ConfigError(f"[networks] of {path} must hold tables such as [networks.Q]", "", "fix the file")
                for name, item in settings.items():
                    if name == "optimizer" and isinstance(item, dict):
                        overrides += [(f"networks.{slot}.optimizer.{k}", v) for k, v in item.items()]
                    else:
                        overrides.append((f"networks.{slot}.{name}", item))
        elif key in SECTIONS and isinstance(value, dict):
            overrides += [(f"{key}.{name}", item) for name, item in value.items()]
        else:
            raise ConfigError(
                f"unexpected top-level key {key!r} in {path}",
                f"a config file holds 'recipe', [components] and the sections {', '.join(SECTIONS)}",
                "remove or move the key",
            )
    return names, overrides


def build_config(
    registry: Any,
    recipe: Optional[str] = None,
    components: Optional[Mapping[str, Optional[str]]] = None,
    overrides: Iterable[tuple[str, Any]] = (),
) -> dict[str, Any]:
    """Resolve the full configuration from a recipe and/or named components."""
    chosen = {kind: name for kind, name in (components or {}).items() if name}
    recipe_spec = registry.get("recipe", recipe) if recipe else None
    if recipe_spec is None:
        missing = [kind for kind in COMPONENT_KINDS if kind not in chosen]
        if missing:
            raise ConfigError(
                f"no {', '.join(missing)} given",
                "without a recipe every component must be named",
                "name a recipe (ganzoo list recipes) or pass "
                + " ".join(f"--{kind} NAME" for kind in missing),
            )
    config: dict[str, Any] = {"recipe": recipe, "train": copy.deepcopy(TRAIN_DEFAULTS)}
    for kind in COMPONENT_KINDS:
        name = chosen.get(kind) or getattr(recipe_spec, kind)
        spec = registry.get(kind, name)
        config[kind] = {"name": name, "params": _defaults(spec)}
    # The generator's own input sampler, unless the recipe or the caller names another.
    inputs = chosen.get(INPUTS_SECTION) or (recipe_spec.inputs if recipe_spec is not None and not chosen.get("generator")
                                            else "") or registry.get("generator", config["generator"]["name"]).inputs
    config[INPUTS_SECTION] = {"name": inputs, "params": _defaults(registry.get("input", inputs))}
    config[AUGMENT_SECTION] = copy.deepcopy(NO_AUGMENT)
    config[NETWORKS_SECTION] = {}
    recipe_overrides: list[tuple[str, Any]] = []
    if recipe_spec is not None:
        for slot, entry in recipe_spec.networks.items():
            spec = registry.get(entry["kind"], entry["name"])
            config[NETWORKS_SECTION][slot] = {
                "kind": entry["kind"], "name": entry["name"],
                "params": {**_defaults(spec), **json.loads(json.dumps(dict(entry.get("params") or {})))},
                "optimizer": json.loads(json.dumps(dict(entry.get("optimizer") or {}))),
                "ema": bool(entry.get("ema", False)),
            }  # fmt: skip
        for section, values in recipe_spec.params.items():
            # A recipe's params for a swapped-out component do not apply to its replacement.
            if section in COMPONENT_KINDS and chosen.get(section) and chosen[section] != getattr(recipe_spec, section):
                continue
            if section == INPUTS_SECTION and config[INPUTS_SECTION]["name"] != (recipe_spec.inputs or inputs):
                continue
            recipe_overrides += [(f"{section}.{key}", value) for key, value in values.items()]
    everything = recipe_overrides + list(overrides)
    # The augmentation's parameters exist once train.augment has chosen it: set them last.
    augment_keys = [(key, value) for key, value in everything if split_key(key)[0] == AUGMENT_SECTION]
    apply_overrides(config, [(key, value) for key, value in everything if split_key(key)[0] != AUGMENT_SECTION])
    if config["train"]["augment"]:
        name = config["train"]["augment"]
        config[AUGMENT_SECTION] = {"name": name, "params": _defaults(registry.get("augment", name))}
    apply_overrides(config, augment_keys)
    validate_train(config["train"])
    return config


def _defaults(spec: Any) -> dict[str, Any]:
    """A spec's defaults as a fresh, mutable JSON copy."""
    return json.loads(json.dumps(dict(spec.defaults)))


def weights_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a configuration that determines the learned weights (not steps, device or logging cadence).

    Settings contract 2 added are left out while they hold the values every
    run had before (Gaussian inputs, no augmentation, no other networks, no
    weight decay), so a run of that time and its continuation now agree.
    """
    stable = copy.deepcopy(dict(config))
    train = stable.get("train", {})
    for key in RESUMABLE_KEYS:
        train.pop(key, None)
    for key, default in ADDED_TRAIN_KEYS.items():
        if key in train and train[key] == default:
            del train[key]
    if stable.get(INPUTS_SECTION) == DEFAULT_INPUTS:
        del stable[INPUTS_SECTION]
    if not (stable.get(AUGMENT_SECTION) or {}).get("name"):
        stable.pop(AUGMENT_SECTION, None)
    if not stable.get(NETWORKS_SECTION):
        stable.pop(NETWORKS_SECTION, None)
    stable.pop("ganzoo_version", None)
    return stable


def validate_train(train: Mapping[str, Any]) -> None:
    """Range checks that types alone cannot express."""
    for key in POSITIVE:
        if train[key] <= 0:
            raise ConfigError(f"train.{key} must be positive, got {train[key]}", "", f"set train.{key} to at least 1")
    for key in NON_NEGATIVE:
        if train[key] < 0:
            raise ConfigError(f"train.{key} must not be negative, got {train[key]}", "", f"set train.{key} to 0 or more")
    if train["seed"] > MAX_SEED:
        # Each epoch's data order is seeded with seed * 1_000_003 + epoch, which must fit 64 bits.
        raise ConfigError(f"train.seed must be at most {MAX_SEED} (2**32 - 1), got {train['seed']}", "",
                          "use a smaller seed")  # fmt: skip
    for key in ("lr_g", "lr_d"):
        if not train[key] > 0:
            raise ConfigError(f"train.{key} must be a positive learning rate, got {train[key]}", "", "use e.g. 2e-4")
    for key in ("betas_g", "betas_d"):
        betas = train[key]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ConfigError(f"train.{key} must be two numbers in [0, 1), got {betas}", "", "use e.g. [0.5, 0.999]")
    for key, allowed in CHOICES.items():
        if train[key] not in allowed:
            raise ConfigError(f"train.{key} must be one of {', '.join(allowed)}, got {train[key]!r}", "", "pick one of those")
    if not 0.0 <= train["lr_decay_start"] < 1.0:
        raise ConfigError(f"train.lr_decay_start must be a fraction of the steps in [0, 1), got {train['lr_decay_start']}",
                          "", "use e.g. 0.5: constant for the first half, then down to 0")  # fmt: skip
    for key in NAME_LISTS:
        names = train.get(key, [])
        bad = [name for name in names if not isinstance(name, str) or not NAME_PATTERN.match(name)]
        if bad:
            raise ConfigError(f"train.{key} must be a list of names, got {json.dumps(names)}",
                              f"{json.dumps(bad[0])} is not a name (lower-case letters, digits and dashes)",
                              f"write e.g. --set train.{key}=tensorboard,csv (ganzoo list {key})")  # fmt: skip
        if len(set(names)) != len(names):
            raise ConfigError(f"train.{key} names a logger twice: {', '.join(names)}", "", "name each once")
    if train["optimizer_impl"] == "fused" and train["optimizer"] != "adam":
        raise ConfigError(
            f"train.optimizer_impl 'fused' is not available for {train['optimizer']}",
            "torch has a fused kernel for Adam but not for RMSprop",
            "use train.optimizer_impl=auto, foreach or for-loop",
        )


def check_saved_config(config: Any) -> None:
    """A run's config.json has the layout ganzoo writes: refuse an edited or damaged one in words."""
    problem = None
    if not isinstance(config, dict):
        problem = f"it holds a JSON {type(config).__name__}, not an object"
    else:
        for section in ("generator", "discriminator", "loss", "dataset"):
            part = config.get(section)
            if not (isinstance(part, dict) and isinstance(part.get("name"), str) and isinstance(part.get("params"), dict)):
                problem = f"its {section!r} section is missing or lacks a name and params"
                break
        else:
            if not isinstance(config.get("train"), dict):
                problem = "its 'train' section is missing"
            else:
                for key, value in config["train"].items():
                    default = TRAIN_DEFAULTS.get(key)
                    if default is not None and not _same_kind(value, default):
                        problem = f"train.{key} is {value!r}, not {_KIND_WORDS.get(type(default), 'what ganzoo writes')}"
                        break
    if problem:
        raise ConfigError(
            "the run's config.json is not one ganzoo wrote",
            problem,
            "restore the run's config.json (a run cannot continue from an edited one)",
        )
    # Names in it reach the registry, messages, model folders and commands: they must be names.
    check_config_names(config, "the run's config.json", ConfigError)


_KIND_WORDS = {bool: "true or false", int: "a number", float: "a number", str: "a string", list: "a list"}


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) == isinstance(default, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def with_contract2_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """A configuration from before contract 2 completed with the defaults it trained with (in place)."""
    for key, default in ADDED_TRAIN_KEYS.items():
        config["train"].setdefault(key, default)
    config.setdefault(INPUTS_SECTION, copy.deepcopy(DEFAULT_INPUTS))
    config.setdefault(AUGMENT_SECTION, copy.deepcopy(NO_AUGMENT))
    config.setdefault(NETWORKS_SECTION, {})
    return config


def resumed_config(saved: dict[str, Any], overrides: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The saved config with the few overrides that resuming allows."""
    config = with_contract2_defaults(copy.deepcopy(saved))
    for key in RESUMABLE_KEYS:  # runs from an older ganzoo lack the newer cadence keys
        config["train"].setdefault(key, copy.deepcopy(TRAIN_DEFAULTS[key]))
    overrides = list(overrides)
    for key, _ in overrides:
        section, name = split_key(key)
        if section == "train" and name not in TRAIN_DEFAULTS:
            import difflib

            close = difflib.get_close_matches(name, sorted(TRAIN_DEFAULTS), n=1)
            raise ConfigError(
                f"unknown key train.{name}",
                f"did you mean train.{close[0]}?" if close else f"valid train keys: {', '.join(sorted(TRAIN_DEFAULTS))}",
                f"resuming may change only {', '.join(sorted(RESUMABLE_KEYS))}",
            )
        if section != "train" or name not in RESUMABLE_KEYS:
            raise ConfigError(
                f"{section}.{name} cannot change when resuming",
                "the run would no longer be the run its checkpoint continues",
                f"start a new run instead; resuming may change only {', '.join(sorted(RESUMABLE_KEYS))}",
            )
    apply_overrides(config, overrides)
    validate_train(config["train"])
    return config
