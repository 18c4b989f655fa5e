"""Build the plugin manager: discover, block, load and validate plugins.

ganzoo's own zoo is registered through the same ``ganzoo`` entry-point group a
third party uses. A plugin that fails to import or implements a misspelled
hook is *reported and skipped*; the rest of the tool keeps working.

Environment switches:

* ``GANZOO_DISABLE_PLUGIN_AUTOLOAD=1`` loads only ganzoo's own plugins.
* ``GANZOO_BLOCKED_PLUGINS=a,b`` skips the named entry points or distributions.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata as metadata
import os
from dataclasses import dataclass, field
from typing import Any, Iterable

import pluggy

from ganzoo import hookspecs
from ganzoo.distribution import DISTRIBUTION_NAME, FORMER_NAMES, is_own, normalise

ENTRY_POINT_GROUP = "ganzoo"
OWN_DISTRIBUTION = DISTRIBUTION_NAME
DISABLE_AUTOLOAD_ENV = "GANZOO_DISABLE_PLUGIN_AUTOLOAD"
BLOCKED_ENV = "GANZOO_BLOCKED_PLUGINS"


@dataclass
class PluginRecord:
    """What ganzoo knows about one plugin (one entry point)."""

    name: str  # the entry-point name, unique across the environment
    module: str  # what the entry point points at
    dist: str  # the providing distribution's name
    version: str  # and its version
    status: str  # "loaded", "failed", "blocked", "disabled" or "superseded"
    error: str = ""
    hooks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def provider(self) -> str:
        """``dist==version``, as shown in listings."""
        return f"{self.dist}=={self.version}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``ganzoo plugins --json``)."""
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.dist,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "hooks": list(self.hooks),
        }


class GanzooPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        #: Names in GANZOO_BLOCKED_PLUGINS that no entry point or distribution has.
        self.unmatched_blocks: list[str] = []

    def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
        # Like pytest: a module-level function named ganzoo_* is a hook
        # implementation even without the marker, so a forgotten decorator or
        # a misspelled name is caught by check_pending() instead of ignored.
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith("ganzoo_"):
            method = getattr(plugin, name, None)
            if callable(method) and not isinstance(method, type):
                opts = {}
        return opts

    def register_plugin(self, plugin: object, record: PluginRecord) -> bool:
        """Register ``plugin`` under ``record.name``; on failure record why and skip it.

        Returns whether the plugin was registered.
        """
        self.records[record.name] = record
        problem = hookspecs.contract_problem(getattr(plugin, hookspecs.CONTRACT_ATTRIBUTE, "1.0"))
        if problem:
            record.status, record.error = "failed", problem
            return False
        try:
            self.register(plugin, name=record.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            record.status, record.error = "failed", _one_line(exc)
            return False
        try:
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            # check_pending() alone would fail the whole environment; we name
            # the culprit instead and keep every other plugin working.
            self.unregister(plugin)
            hints = []
            for hook in _unknown_hooks(plugin):
                close = difflib.get_close_matches(hook, hookspecs.HOOK_SPEC_TYPES, n=1)
                hints.append(f"{hook!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            record.status = "failed"
            record.error = ("implements unknown hook " + ", ".join(hints)) if hints else _one_line(exc)
            return False
        record.status = "loaded"
        record.hooks = tuple(
            sorted(caller.name for caller in self.get_hookcallers(plugin) or [] if caller.name.startswith("ganzoo_"))
        )
        return True

    def provider_of(self, plugin_name: str) -> str:
        """``dist==version`` of a registered plugin (``"<unknown>"`` if unrecorded)."""
        record = self.records.get(plugin_name)
        return record.provider if record else f"{plugin_name} (registered directly)"


def _unknown_hooks(plugin: object) -> list[str]:
    """Hook implementations on ``plugin`` that no hookspec declares."""
    unknown = []
    for attr in dir(plugin):
        value = getattr(plugin, attr, None)
        marked = getattr(value, hookspecs.PROJECT_NAME + "_impl", None) is not None
        if (marked or (attr.startswith("ganzoo_") and callable(value))) and attr not in hookspecs.HOOK_SPEC_TYPES:
            unknown.append(attr)
    return unknown


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _blocked_names() -> set[str]:
    raw = os.environ.get(BLOCKED_ENV, "")
    return {part.strip().lower() for part in raw.split(",") if part.strip()}


def _autoload_disabled() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() not in ("", "0", "false", "no")


_normalise = normalise


def iter_entry_points() -> Iterable[metadata.EntryPoint]:
    """The ``ganzoo`` entry points of every installed distribution."""
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def load_entry_points(pm: GanzooPluginManager) -> None:
    """Load every ``ganzoo`` entry point into ``pm``, isolating failures."""
    disabled = _autoload_disabled()
    blocked = _blocked_names()
    matched: set[str] = set()  # the blocked names that met an entry point or distribution
    entry_points = list(iter_entry_points())
    own_installed = any(ep.dist is not None and is_own(ep.dist.name) for ep in entry_points)
    # ganzoo's own plugins first, so that its zoo is never the one that loses a name.
    for ep in sorted(entry_points, key=lambda e: (not _is_own_ep(e, own_installed), e.dist.name if e.dist else "", e.name)):
        dist = ep.dist.name if ep.dist is not None else "<unknown>"
        version = ep.dist.version if ep.dist is not None else "0"
        record = PluginRecord(name=ep.name, module=ep.value, dist=dist, version=version, status="pending")
        own = _is_own_ep(ep, own_installed)
        if own_installed and _normalise(dist) in FORMER_NAMES:
            # pip keeps an install made under the former name when the new one arrives (a
            # different name is a different package to it): its entry points are ganzoo's own.
            record.status = "superseded"
            record.error = (f"an earlier install of ganzoo under its former distribution name {dist!r}, "
                            f"replaced by {DISTRIBUTION_NAME}; 'pip uninstall {dist}' removes it")  # fmt: skip
            pm.records[f"{ep.name} ({dist})"] = record
            continue
        hits = {b for b in blocked if b == ep.name.lower() or _normalise(b) == _normalise(dist)}
        matched |= hits  # a name that met an entry point was right, whatever else skips it
        if ep.name in pm.records:
            first = pm.records[ep.name]
            record.status = "failed"
            record.error = (
                f"entry-point name {ep.name!r} is already used by {first.provider}; "
                "name entry points after their distribution"
            )
            pm.records[f"{ep.name} ({dist})"] = record
            continue
        if disabled and not own:
            record.status, record.error = "disabled", f"{DISABLE_AUTOLOAD_ENV} is set"
            pm.records[ep.name] = record
            continue
        if hits:
            record.status, record.error = "blocked", f"listed in {BLOCKED_ENV}"
            pm.records[ep.name] = record
            pm.set_blocked(ep.name)
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # any import-time failure of a plugin is reported, never fatal
            record.status, record.error = "failed", _one_line(exc)
            pm.records[ep.name] = record
            continue
        pm.register_plugin(plugin, record)
    # A misspelt name would otherwise block nothing without a word.
    pm.unmatched_blocks = sorted(blocked - matched)


def _is_own_ep(ep: metadata.EntryPoint, own_installed: bool) -> bool:
    """An entry point of ganzoo's own distribution (under its former name only when the current one is absent)."""
    dist = ep.dist.name if ep.dist is not None else ""
    return is_own(dist) or (not own_installed and _normalise(dist) in FORMER_NAMES)


def create_plugin_manager(*, entry_points: bool = True) -> GanzooPluginManager:
    """A new plugin manager; with ``entry_points=False`` it has no plugins at all.

    Tests use the latter and register the plugins they need with
    :meth:`GanzooPluginManager.register_plugin`.
    """
    pm = GanzooPluginManager()
    if entry_points:
        load_entry_points(pm)
    return pm


@functools.cache
def get_plugin_manager() -> GanzooPluginManager:
    """The process-wide plugin manager, built once on first use."""
    return create_plugin_manager()


def reset() -> None:
    """Forget the cached plugin manager and registry (after installing a plugin)."""
    get_plugin_manager.cache_clear()
    from ganzoo import registry

    registry.get_registry.cache_clear()
