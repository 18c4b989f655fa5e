"""The ``ganzoo train`` command that trains a published model again, for its card."""

from __future__ import annotations

import json
import shlex
from typing import Any, Mapping

from ganzoo.config import COMPONENT_KINDS, RESUMABLE_KEYS, build_config

#: Train keys the command leaves out: its own options (steps, seed) and what does not change the weights.
_NOT_IN_COMMAND = RESUMABLE_KEYS | {"seed"}
_SECTIONS = ("generator", "discriminator", "loss", "dataset")


def reproduce_command(config: Mapping[str, Any], registry: Any, steps: int) -> str:
    """``ganzoo train ...`` with every setting of ``config`` that differs from what the command starts from.

    ``config`` is a run's resolved configuration; ``steps`` the step of the
    published checkpoint (a run stopped early, or its best checkpoint, is
    reproduced up to that step). Starting from the run's recipe when there is
    one (with any swapped component named), the command adds ``--set`` for
    each parameter whose value differs from the recipe's, so that running it
    trains the same model -- bit for bit on the CPU.
    """
    components = {kind: config[kind]["name"] for kind in COMPONENT_KINDS}
    recipe = config.get("recipe")
    if recipe and recipe in registry.names("recipe"):
        recipe_parts = registry.get("recipe", recipe).components
        swapped = {kind: name for kind, name in components.items() if recipe_parts[kind] != name}
        start = build_config(registry, recipe, swapped)
        words = ["ganzoo", "train", recipe]
    else:
        swapped = components
        start = build_config(registry, None, components)
        words = ["ganzoo", "train"]
    for kind, name in swapped.items():
        words += [f"--{kind}", name]
    words += ["--steps", str(steps), "--seed", str(config["train"]["seed"])]
    if config.get("init"):  # fine-tuned: the same start is part of the same training
        words += ["--init", str(config["init"]["from"])]
    for section in _SECTIONS:
        for key, value in sorted(config[section]["params"].items()):
            if start[section]["params"].get(key, _Missing) != value:
                words += ["--set", f"{section}.{key}={_value(value)}"]
    for key, value in sorted(config["train"].items()):
        if key not in _NOT_IN_COMMAND and start["train"].get(key, _Missing) != value:
            words += ["--set", f"train.{key}={_value(value)}"]
    return " ".join(shlex.quote(word) for word in words)


class _Missing:
    """A default no setting equals."""


def _value(value: Any) -> str:
    """The text --set parses back to ``value``: JSON, or plain text for a string that is not JSON itself."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, separators=(",", ":"))
