"""Names read from artifacts -- model folders, safetensors metadata, run directories -- are untrusted input.

Anyone can publish a model folder, and a run directory's JSON files can be
edited. A name read from one (a model's, a recipe's, a component's, a
tensor's) is checked here where it is read, by the rule ganzoo's own names
follow (:func:`ganzoo.specs.validate_name`: ``[a-z0-9][a-z0-9-]*``), before
ganzoo could build a path from it. A distribution string (``dist==version``)
becomes a ``pip install`` line only when it is a plain requirement, and then
shell-quoted; anything else is shown escaped and never as a command.
docs/reliability.md states the rule for users and plugin authors.

Imports no torch.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, Iterable, Mapping, Optional, Type

from ganzoo.errors import GanzooError
from ganzoo.specs import MAX_NAME_LENGTH, SpecError, validate_name

COMPONENT_KINDS = ("generator", "discriminator", "loss", "dataset")
#: A state-dict key: module and attribute names joined by single dots (``net.0.weight``).
TENSOR_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")
MAX_TENSOR_NAME_LENGTH = 500
#: A PEP 508 distribution name, optionally pinned to one version: what ``pip install`` may be told.
REQUIREMENT = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(==[A-Za-z0-9][A-Za-z0-9.+!_-]*)?\Z")


class UntrustedNameError(GanzooError):
    """A file holds a name that ganzoo never writes, and would not use as a file name."""


def _refuse(error: Type[GanzooError], what: str, source: object, rule: str) -> GanzooError:
    return error(
        f"{source} holds {what}, which ganzoo refuses",
        f"{rule}: ganzoo makes file names and commands from names it reads, and this one could make it write "
        "elsewhere",
        "use a model or run written by ganzoo, unaltered (re-publish or re-train it)",
    )


def _shown(value: Any) -> str:
    """``value`` escaped (repr), and cut short: it may hold control characters or be very long."""
    return f"{value[:40]!r}..." if isinstance(value, str) and len(value) > 40 else repr(value)


def check_name(value: Any, what: str, source: object, error: Type[GanzooError] = UntrustedNameError) -> str:
    """``value`` if it is a valid ganzoo name; else ``error`` naming ``source`` (a file) and ``what`` it is."""
    try:
        return validate_name(value, what)
    except SpecError:
        raise _refuse(error, f"the {what} {_shown(value)}", source,
                      f"names must match [a-z0-9][a-z0-9-]* (at most {MAX_NAME_LENGTH} characters)") from None


def check_config_names(config: Mapping[str, Any], source: object,
                       error: Type[GanzooError] = UntrustedNameError) -> None:  # fmt: skip
    """Check the names a run's or a model's configuration holds: its name, recipe and components' names.

    ``name`` and ``recipe`` may be absent or empty (no recipe); a component
    section without a name is left to the caller's own layout checks.
    """
    for key, what in (("name", "model name"), ("recipe", "recipe name")):
        if config.get(key) not in (None, ""):
            check_name(config[key], what, source, error)
    for kind in COMPONENT_KINDS:
        part = config.get(kind)
        if isinstance(part, Mapping) and "name" in part:
            check_name(part["name"], f"{kind} name", source, error)


def check_tensor_names(names: Iterable[str], source: object, error: Type[GanzooError] = UntrustedNameError) -> None:
    """Refuse tensor names that are not state-dict keys (``net.0.weight``): no slash, no ``..``, no spaces."""
    for name in names:
        if not (isinstance(name, str) and len(name) <= MAX_TENSOR_NAME_LENGTH and TENSOR_NAME.match(name)):
            raise _refuse(error, f"the tensor name {_shown(name)}", source,
                          "tensor names are module and attribute names joined by single dots")  # fmt: skip


def requirement(provider: Any) -> Optional[str]:
    """``provider`` (``dist==version``) shell-quoted for a ``pip install`` line, or None if it is not a plain one."""
    if isinstance(provider, str) and len(provider) <= 200 and REQUIREMENT.match(provider):
        return shlex.quote(provider)
    return None


def install_advice(provider: Any, made: str = "made") -> tuple[str, str]:
    """(why, fix) for a component whose plugin is missing: "it was ``made`` with DIST VERSION", and how to get it.

    A plain ``dist==version`` is suggested as a ``pip install`` line; any
    other string is only shown, escaped (it could hold shell syntax or
    terminal control characters).
    """
    if not provider:
        return f"it was {made} with an unknown distribution", "install the plugin that provides it"
    from ganzoo.distribution import canonical_provider

    # A model published before the rename records "ganzoo==0.1.0": that means this project, never PyPI's "ganzoo".
    provider = canonical_provider(str(provider))
    pinned = requirement(provider)
    if pinned is None:
        return f"it names its distribution as {_shown(str(provider))}", "install the plugin that provides it"
    dist, _, version = str(provider).partition("==")
    return f"it was {made} with {dist}" + (f" {version}" if version else ""), f"pip install {pinned}"
