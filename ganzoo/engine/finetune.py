"""Fine-tuning: a run that starts from another model's weights (``--init``), and FreezeD.

``--init MODEL_OR_RUN`` takes a published model (a zoo name, a folder, a
``.safetensors`` file, ``hf://ORG/NAME[@REVISION]``) or a training run's
directory. Every network of the new run that the source also has -- G; D
when the source has one (a model published with ``--with-discriminator``, or
any run); InfoGAN's Q and the like -- starts from the source's weights, which
must match it tensor for tensor: a mismatch is an error that names the
differing tensors. G starts from the source's sampling weights (its EMA, which
is what a published model holds), and the new run's EMA starts as a copy of
that. Optimizers, EMA statistics, counters and random streams start fresh:
this is a new run, not a resume.

FreezeD (Mo et al. 2020, arXiv:2002.10964) freezes the first
``train.freeze_d_blocks`` blocks of the discriminator ``D``. A *block* is a
layer that holds parameters -- a convolution, a linear layer, an embedding --
together with the normalisation layers right after it (BatchNorm, LayerNorm,
GroupNorm, InstanceNorm), taken in the order the network registers them,
which for the zoo's discriminators is input to output: ``dcgan-d`` has the
blocks conv, conv+BatchNorm, conv. Frozen parameters take no gradient and no
optimizer holds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

import torch
from torch import nn

from ganzoo.errors import ConfigError

#: Layers that normalise the output of the layer before them: they belong to its block.
NORMALISATIONS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm)
#: How many differing tensors an error names per network.
SHOWN = 4


def read_init_source(source: Any, registry: Any) -> tuple[dict[str, Mapping[str, torch.Tensor]], dict[str, Any]]:
    """The weights of every network ``source`` holds, by network name, and its configuration.

    Loading goes through :mod:`ganzoo.artifacts.models` (published models, the
    Hub) and :mod:`ganzoo.artifacts.runs` (run directories), with their checks:
    strict, finite, nothing executed. The global random state is left as it was
    (rebuilding the source's networks draws initial weights from it).
    """
    from ganzoo.artifacts.store import names_run_dir

    with torch.random.fork_rng(devices=[]):
        if names_run_dir(source):
            from ganzoo.artifacts.runs import load_run_states

            return load_run_states(Path(source), registry)
        from ganzoo.artifacts.models import load_model

        model = load_model(source, with_discriminator=True, require_discriminator=False, registry=registry)
        states = {"G": model.generator.state_dict()}
        if model.discriminator is not None:
            states["D"] = model.discriminator.state_dict()
        states.update({name: network.state_dict() for name, network in model.networks.items()})
        return states, model.config


def differences(expected: Mapping[str, torch.Tensor], given: Mapping[str, torch.Tensor]) -> list[str]:
    """What keeps ``given`` from loading into a network whose state dict is ``expected``, tensor by tensor."""
    found = []
    for key in expected:
        if key not in given:
            found.append(f"{key} is missing from the source")
        elif tuple(given[key].shape) != tuple(expected[key].shape):
            found.append(f"{key} is {tuple(given[key].shape)} in the source, {tuple(expected[key].shape)} here")
        elif given[key].dtype != expected[key].dtype:
            found.append(f"{key} is {given[key].dtype} in the source, {expected[key].dtype} here")
    found += [f"{key} is in the source only" for key in given if key not in expected]
    return found


def init_networks(modules: Mapping[str, tuple[str, nn.Module]], states: Mapping[str, Mapping[str, torch.Tensor]],
                  source: Any, source_config: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """Load ``states`` into the networks of the same name; returns what was done, for ``config.json``.

    Every shared network must match exactly, or nothing is loaded and a
    ConfigError names the differing tensors.
    """
    shared = [name for name in modules if name in states]
    problems = {name: differences(modules[name][1].state_dict(), states[name]) for name in shared}
    problems = {name: found for name, found in problems.items() if found}
    if problems:
        lines = []
        for name, found in problems.items():
            more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
            lines.append(f"{name}: " + "; ".join(found[:SHOWN]) + more)
        components = _component_names(source_config)
        raise ConfigError(
            f"--init {source}: its weights do not fit this run's networks",
            " | ".join(lines) + (f" (the source was built as {components})" if components else ""),
            "fine-tune a model whose networks have the same architecture and settings (the same generator and "
            "discriminator with the same parameters, data of the same shape), or train from scratch",
        )
    for name in shared:
        modules[name][1].load_state_dict(dict(states[name]), strict=True)
    return {"from": str(source), "networks": shared, "fresh": [name for name in modules if name not in states]}


def _component_names(config: Optional[Mapping[str, Any]]) -> str:
    if not config:
        return ""
    parts = [f"{kind} {config[kind]['name']!r}" for kind in ("generator", "discriminator")
             if isinstance(config.get(kind), Mapping) and config[kind].get("name")]  # fmt: skip
    return ", ".join(parts)


def blocks(module: nn.Module) -> list[tuple[str, list[str]]]:
    """The network's blocks in order, each as (description, parameter names) -- see the module docstring."""
    owners: dict[str, list[str]] = {}
    for name, _ in module.named_parameters():
        owners.setdefault(_owner(name), []).append(name)
    found: list[tuple[str, list[str]]] = []
    for owner, names in owners.items():
        layer = module.get_submodule(owner) if owner else module
        described = f"{owner or '(top level)'} ({type(layer).__name__})"
        if found and isinstance(layer, NORMALISATIONS):
            found[-1] = (f"{found[-1][0]} + {described}", found[-1][1] + names)
        else:
            found.append((described, names))
    return found


def _owner(parameter: str) -> str:
    """The layer a parameter belongs to: ``net.0.weight`` -> ``net.0``; a parametrised weight
    (``net.0.parametrizations.weight.original``, spectral norm) belongs to ``net.0`` too."""
    head, marker, _ = parameter.partition(".parametrizations.")
    if marker:
        return head
    return parameter.rpartition(".")[0]


def freeze_blocks(module: nn.Module, count: int, network: str = "D") -> tuple[list[str], list[str]]:
    """Freeze the first ``count`` blocks of ``module``: returns their descriptions and parameter names.

    At least one block must stay trainable: a discriminator frozen whole cannot learn the new data.
    """
    if count <= 0:
        return [], []
    found = blocks(module)
    if count >= len(found):
        raise ConfigError(
            f"train.freeze_d_blocks={count} would freeze all of {network}, which has {len(found)} blocks",
            f"its blocks are {', '.join(description for description, _ in found)}",
            f"freeze at most {len(found) - 1} (FreezeD keeps the last blocks trainable)",
        )
    chosen = found[:count]
    names = [name for _, block_names in chosen for name in block_names]
    parameters = dict(module.named_parameters())
    for name in names:
        parameters[name].requires_grad_(False)
    return [description for description, _ in chosen], names


__all__ = ["blocks", "differences", "freeze_blocks", "init_networks", "read_init_source"]
