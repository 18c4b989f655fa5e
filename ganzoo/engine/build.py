"""Building a run's parts from its configuration, and refusing, in words, parts that do not fit.

In order: the objective and its phases (cheap, so that a mismatched
combination is refused before any data is read), the dataset, the networks
by name, the input sampler and the augmentation; then what the objective
requires is checked against what the parts provide, one forward pass runs
through them (:func:`dry_run`), and the networks are wrapped for training.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence

import torch
from torch import nn

from ganzoo.augment import Augment, AugmentedDiscriminator
from ganzoo.config import AUGMENT_SECTION, INPUTS_SECTION, network_entry, network_names
from ganzoo.data import first_samples
from ganzoo.engine.networks import Network, NetworkSet
from ganzoo.errors import ConfigError, GanzooError
from ganzoo.inputs import InputSampler
from ganzoo.loggers import Logger
from ganzoo.objectives import GANLossObjective, Objective, Phase, ScoresOnly, as_objective, image_of, scores_of, with_repeat
from ganzoo.specs import DataInfo


def build_component(kind: str, spec: Any, params: Mapping[str, Any], *args: Any, **extra: Any) -> Any:
    """Call a spec's builder, turning a bad parameter into an error in words."""
    try:
        return spec.build(*args, **extra, **params)
    except GanzooError:
        raise
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ConfigError(
            f"could not build {kind} {spec.name!r} with {json.dumps(dict(params))}",
            f"{type(exc).__name__}: {exc}",
            f"check the {kind}.* values (ganzoo list {kind} {spec.name} --json shows the defaults)",
        ) from None


# -- the objective ---------------------------------------------------------------------


def build_objective(registry: Any, config: Mapping[str, Any]) -> tuple[Objective, list[Phase]]:
    """The run's objective (a contract-1 loss through its adapter) and its phases.

    ``train.n_critic`` (when not 0) sets the repeat of the ``"D"`` phase;
    ``train.r1_gamma`` applies to contract-1 losses, whose adapter adds R1.
    """
    train = config["train"]
    spec = registry.get("loss", config["loss"]["name"])
    built = build_component("loss", spec, config["loss"]["params"])
    try:
        objective = as_objective(built, train["n_critic"], train["r1_gamma"])
    except TypeError as exc:
        raise ConfigError(f"loss {spec.name!r} built the wrong kind of object", str(exc), "fix the plugin") from None
    if not isinstance(objective, GANLossObjective) and train["r1_gamma"]:
        raise ConfigError(
            f"train.r1_gamma is set, but the objective {spec.name!r} declares its own phases",
            "train.r1_gamma adds R1 to the D step of contract-1 losses; objectives with phases carry their "
            "regularisers themselves (e.g. a lazy R1 phase)",
            f"set the objective's own parameter (ganzoo list loss {spec.name} --json), or train.r1_gamma=0",
        )
    try:
        phases = with_repeat(list(objective.phases()), "D", train["n_critic"])
    except ValueError as exc:
        raise ConfigError(f"the objective {spec.name!r} declares invalid phases", str(exc), "fix the plugin") from None
    return objective, phases


def check_declared_fit(registry: Any, config: Mapping[str, Any], objective: Objective) -> None:
    """What the objective declares it needs, against what the configuration names -- no data, no torch work.

    Networks must exist, discriminators must declare the heads the objective
    reads, and patch-scoring discriminators need an objective that accepts them.
    """
    loss_name = config["loss"]["name"]
    names = network_names(config)
    missing = [name for name in objective.networks if name not in names]
    if missing:
        raise ConfigError(
            f"the objective {loss_name!r} needs the network{'s' if len(missing) > 1 else ''} {', '.join(missing)}, "
            "which this configuration does not name",
            f"its networks are {', '.join(names)}",
            "use a recipe made for this objective (ganzoo list recipes), or add the networks under [networks] "
            "in a --config file",
        )
    for name in names:
        entry = network_entry(config, name)
        spec = registry.get(entry["kind"], entry["name"])
        if entry["kind"] != "discriminator":
            continue
        outputs = getattr(spec, "outputs", ("score",))
        lacking = [head for head in objective.requires_outputs.get(name, ()) if head not in outputs]
        if lacking:
            raise ConfigError(
                f"the objective {loss_name!r} reads the head{'s' if len(lacking) > 1 else ''} {', '.join(lacking)} of "
                f"{name}, but discriminator {spec.name!r} returns only {', '.join(outputs)}",
                "the objective needs a discriminator with those outputs",
                "use a discriminator that declares them (ganzoo list discriminator --json shows each one's outputs)",
            )
        if getattr(spec, "patch_scores", False) and not objective.accepts_patch_scores:
            raise ConfigError(
                f"discriminator {spec.name!r} scores patches, and the objective {loss_name!r} expects one score per sample",
                "its losses would average patch scores where it does not declare that they may",
                "use a per-sample discriminator, or an objective that accepts patch scores",
            )


def check_data_fit(objective: Objective, sampler: InputSampler, info: DataInfo, config: Mapping[str, Any]) -> None:
    """What the objective reads of the data and of the generator's inputs, against what they have."""
    loss_name = config["loss"]["name"]
    if objective.requires_labels and not info.num_classes:
        raise ConfigError(f"the objective {loss_name!r} needs class labels, but dataset "
                          f"{config['dataset']['name']!r} has none", "it learns from the labels",
                          "use a labelled dataset (mnist, fashion-mnist)")  # fmt: skip
    lacking = [name for name in objective.requires_fields if name not in info.fields]
    if lacking:
        raise ConfigError(
            f"the objective {loss_name!r} reads the batch field{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}, "
            f"which dataset {config['dataset']['name']!r} does not provide",
            f"its fields are {', '.join(['image', 'label'][: 1 + bool(info.num_classes)] + list(info.fields))}",
            "use a dataset with those fields (a paired dataset for image-to-image objectives)",
        )
    lacking = [name for name in objective.requires_inputs if name not in sampler.fields]
    if lacking:
        raise ConfigError(
            f"the objective {loss_name!r} reads the generator input{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}, "
            f"which the input sampler {config[INPUTS_SECTION]['name']!r} does not draw",
            f"it draws {', '.join(sampler.fields) or 'nothing'}",
            "use the input sampler the objective was written for ([components] inputs = NAME in a --config file)",
        )


# -- networks, inputs, augmentation ---------------------------------------------------------


def build_networks(registry: Any, config: Mapping[str, Any], info: DataInfo) -> dict[str, tuple[str, nn.Module]]:
    """Every network by name, as ``(kind, plain module)``: G, then D, then the others (the seed's order of use)."""
    built: dict[str, tuple[str, nn.Module]] = {}
    for name in network_names(config):
        entry = network_entry(config, name)
        spec = registry.get(entry["kind"], entry["name"])
        what = {"G": "generator", "D": "discriminator"}.get(name, f"networks.{name}")
        model = build_component(what, spec, entry["params"], info)
        if not isinstance(model, nn.Module):
            raise ConfigError(f"{entry['kind']} {spec.name!r} did not build a torch.nn.Module",
                              f"got {type(model).__name__}", "fix the plugin")  # fmt: skip
        built[name] = (entry["kind"], model)
    return built


def build_sampler(registry: Any, config: Mapping[str, Any], info: DataInfo, generator: nn.Module) -> InputSampler:
    """The input sampler, built for ``generator`` (whose declared sizes it reads)."""
    section = config[INPUTS_SECTION]
    sampler = build_component("inputs", registry.get("input", section["name"]), section["params"], info, generator)
    if not isinstance(sampler, InputSampler):
        raise ConfigError(f"input sampler {section['name']!r} did not build a ganzoo.inputs.InputSampler",
                          f"got {type(sampler).__name__}", "fix the plugin")  # fmt: skip
    return sampler


def build_augment(registry: Any, config: Mapping[str, Any], info: DataInfo) -> Optional[Augment]:
    """The augmentation ``train.augment`` names, or None."""
    section = config.get(AUGMENT_SECTION) or {}
    if not section.get("name"):
        return None
    augment = build_component("augment", registry.get("augment", section["name"]), section["params"], info)
    if not isinstance(augment, Augment):
        raise ConfigError(f"augmentation {section['name']!r} did not build a ganzoo.augment.Augment",
                          f"got {type(augment).__name__}", "fix the plugin")  # fmt: skip
    return augment


def check_labels(registry: Any, config: Mapping[str, Any], info: DataInfo) -> None:
    """Class-conditional networks need labelled data."""
    for kind in ("generator", "discriminator"):
        spec = registry.get(kind, config[kind]["name"])
        if getattr(spec, "conditional", False) and not info.num_classes:
            raise ConfigError(
                f"{kind} {spec.name!r} is class-conditional but dataset {config['dataset']['name']!r} has no labels",
                "a conditional model needs a class label for every sample",
                "use a labelled dataset (e.g. mnist) or an unconditional model",
            )


def build_loggers(registry: Any, config: Mapping[str, Any]) -> dict[str, Logger]:
    """The experiment loggers ``train.loggers`` names, by name: built, nothing written yet.

    A logger whose dependency is missing (``--log tensorboard`` without the
    extra) is refused here, before any data is read or any directory made.
    """
    loggers: dict[str, Logger] = {}
    for name in config["train"].get("loggers", []):
        spec = registry.get("logger", name)
        logger = build_component("logger", spec, dict(spec.defaults))
        if not isinstance(logger, Logger):
            raise ConfigError(f"logger {name!r} did not build a ganzoo.loggers.Logger", f"got {type(logger).__name__}",
                              "fix the plugin")  # fmt: skip
        loggers[name] = logger
    return loggers


# -- the dry run -------------------------------------------------------------------------


def dry_run(modules: Mapping[str, tuple[str, nn.Module]], sampler: InputSampler, data: Any, device: torch.device,
            registry: Any, config: Mapping[str, Any]) -> None:  # fmt: skip
    """One forward pass of two samples through G and every discriminator, to catch mismatches in words.

    Runs in eval mode without gradients and draws from a generator of its own,
    so no BatchNorm statistic, spectral-norm vector or RNG state of the run is touched.
    """
    info = data.info
    G = modules["G"][1]
    discriminators = {name: module for name, (kind, module) in modules.items() if kind == "discriminator"}
    was = {name: module.training for name, (_, module) in modules.items()}
    for _, module in modules.values():
        module.eval()
    try:
        with torch.no_grad():
            batch = first_samples(data, min(2, len(data)), device)
            n = len(batch["image"])
            try:
                inputs = sampler.sample(n, batch=batch, generator=torch.Generator(device=device).manual_seed(0),
                                        device=device)  # fmt: skip
                fake = image_of(sampler.call(G, inputs))
            except Exception as exc:
                raise ConfigError(
                    "the generator fails on a test batch", f"{type(exc).__name__}: {exc}", "check its parameters"
                ) from None
            expected = (n, *info.shape)
            if tuple(fake.shape) != expected:
                raise ConfigError(
                    f"the generator makes samples of shape {tuple(fake.shape)[1:]}, but the dataset's samples "
                    f"have shape {info.shape}",
                    "generator and dataset do not fit together",
                    "pick a generator built for this data, or change the dataset's size parameters",
                )
            for name, D in discriminators.items():
                entry = network_entry(config, name)
                spec = registry.get("discriminator", entry["name"])
                _check_discriminator(name, D, spec, fake, batch.get("label"), info)
    finally:
        for name, (_, module) in modules.items():
            module.train(was[name])


def _check_discriminator(name: str, D: nn.Module, spec: Any, fake: torch.Tensor, labels: Optional[torch.Tensor],
                         info: DataInfo) -> None:  # fmt: skip
    # A discriminator of a paired (image-to-image) objective reads more than the samples; its
    # objective calls it, and a mismatch there is reported at the first step.
    try:
        out = D(fake, labels)
    except Exception as exc:
        if info.fields:
            return
        raise ConfigError(
            f"the discriminator cannot read samples of shape {info.shape}",
            f"{type(exc).__name__}: {exc}",
            "pick a discriminator built for this data",
        ) from None
    declared = tuple(getattr(spec, "outputs", ("score",)))
    if isinstance(out, Mapping):
        lacking = [head for head in declared if head not in out]
        if lacking:
            raise ConfigError(f"discriminator {spec.name!r} declares the outputs {', '.join(declared)} but returns "
                              f"{', '.join(out)}", "its forward() and its spec disagree", "fix the plugin")  # fmt: skip
    elif len(declared) > 1:
        raise ConfigError(f"discriminator {spec.name!r} declares the outputs {', '.join(declared)} but returns one tensor",
                          "a discriminator with several heads returns them as a dict", "fix the plugin")  # fmt: skip
    scores = scores_of(out)
    n = len(fake)
    patches = bool(getattr(spec, "patch_scores", False))
    if tuple(scores.shape) != (n,) and not (patches and scores.dim() >= 2 and scores.shape[0] == n):
        raise ConfigError(
            f"the discriminator returns scores of shape {tuple(scores.shape)} for a batch of {n}",
            "a discriminator must return one score per sample, shape (B,)"
            + ("" if patches else " (or declare patch_scores=True for one per patch)"),
            "squeeze its last dimension in forward()",
        )


# -- wrapping for training --------------------------------------------------------------------


def wrap_networks(modules: Mapping[str, tuple[str, nn.Module]], config: Mapping[str, Any], device: torch.device,
                  dist: Any, objective: Objective, phases: Sequence[Phase], augment: Optional[Augment],
                  multi_output: Sequence[str] = (), fixed: Optional[Mapping[str, Sequence[str]]] = None) -> NetworkSet:  # fmt: skip
    """The run's :class:`NetworkSet`: each trained network DDP-wrapped across processes, optionally compiled.

    Networks that some phase differentiates twice (R1, a gradient penalty)
    stay uncompiled: torch.compile does not support double backward. With
    ``train.augment`` every discriminator runs behind the augmentation; a
    contract-1 loss sees a several-headed discriminator (``multi_output``)
    through its scores alone. ``fixed`` names, per network, the parameters that
    never train (FreezeD's frozen blocks, already without ``requires_grad``).
    """
    train = config["train"]
    trained = set().union(*(phase.updates for phase in phases))
    twice = set(twice_differentiated(objective, train))
    entries = {name: network_entry(config, name) for name in modules}
    networks = []
    for name, (kind, module) in modules.items():
        run = frozen = module  # a frozen network runs without DDP, which would wait for its gradients
        if dist.world_size > 1 and name in trained:
            from torch.nn.parallel import DistributedDataParallel as DDP

            run = DDP(module, device_ids=[device.index] if device.type == "cuda" else None)
        if train["compile"] and name not in twice:
            run = torch.compile(run)
            frozen = run if dist.world_size == 1 else frozen
        if kind == "discriminator" and isinstance(objective, GANLossObjective) and name in multi_output:
            run, frozen = ScoresOnly(run), ScoresOnly(frozen)
        if kind == "discriminator" and augment is not None:
            run, frozen = AugmentedDiscriminator(run, augment), AugmentedDiscriminator(frozen, augment)
        networks.append(Network(name=name, kind=kind, module=module, run=run, frozen_run=frozen,
                                optimizer=entries[name].get("optimizer") or {}, fixed=tuple((fixed or {}).get(name, ())),
                                ema=(name == "G" or bool(entries[name].get("ema"))) and train["ema_halflife_kimg"] > 0))  # fmt: skip
    return NetworkSet(networks)


def twice_differentiated(objective: Objective, train: Mapping[str, Any]) -> tuple[str, ...]:
    """The networks whose outputs a phase differentiates w.r.t. their inputs (R1, a gradient penalty, path length)."""
    if isinstance(objective, GANLossObjective):
        from ganzoo.losses import GANLoss

        kind = type(objective.legacy)
        custom = kind.penalty is not GANLoss.penalty or kind.discriminator_loss is not GANLoss.discriminator_loss
        return ("D",) if train["r1_gamma"] > 0 or custom else ()
    return tuple(getattr(objective, "twice_differentiated", ()))
