"""The registry: every component and recipe the installed plugins provide.

Built by calling each plugin's hook implementations one at a time, so that a
plugin yielding a malformed spec is reported and skipped without hiding the
rest, and every entry knows which distribution provided it.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass
from typing import Any, Iterator

from ganzoo.errors import PluginConflictError, UnknownNameError
from ganzoo.hookspecs import HOOK_SPEC_TYPES
from ganzoo.plugins import BLOCKED_ENV, GanzooPluginManager, get_plugin_manager
from ganzoo.specs import SPEC_TYPES

#: The kinds a user can list, in display order (plural forms accepted by the CLI).
KINDS = tuple(SPEC_TYPES)


@dataclass(frozen=True)
class Entry:
    """One registered spec and where it came from."""

    spec: Any
    plugin: str  # the entry-point (plugin) name
    provider: str  # "dist==version"

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def name(self) -> str:
        return self.spec.name


class Registry:
    """Look-up by kind and name, listing by glob pattern, with provenance."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
        self._conflicts: dict[tuple[str, str], list[Entry]] = {}
        #: Human-readable problems met while building (broken plugins, clashes).
        self.problems: list[str] = []

    # -- building ---------------------------------------------------------------

    @classmethod
    def from_plugin_manager(cls, pm: GanzooPluginManager) -> "Registry":
        """Collect the specs of every plugin registered in ``pm``."""
        registry = cls()
        for plugin_name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
            if plugin is None:  # blocked
                continue
            provider = pm.provider_of(plugin_name)
            try:
                entries = list(_collect(pm, plugin_name, plugin, provider))
            except Exception as exc:  # a broken plugin is skipped whole, never fatal
                message = f"{type(exc).__name__}: {exc}"
                record = pm.records.get(plugin_name)
                if record is not None:
                    record.status, record.error = "failed", message
                registry.problems.append(f"plugin {plugin_name!r} ({provider}) was skipped: {message}")
                continue
            for entry in entries:
                registry.add(entry)
        for record in pm.records.values():
            if record.status == "failed" and not any(record.name in p for p in registry.problems):
                registry.problems.append(f"plugin {record.name!r} ({record.provider}) was skipped: {record.error}")
        for name in getattr(pm, "unmatched_blocks", []):
            registry.problems.append(f"{BLOCKED_ENV} names {name!r}, which is neither an installed plugin's entry "
                                     "point nor its distribution: nothing was blocked by it")  # fmt: skip
        return registry

    def add(self, entry: Entry) -> None:
        """Add one entry; a second entry of the same kind and name is a conflict."""
        key = (entry.kind, entry.name)
        if key in self._conflicts:
            self._conflicts[key].append(entry)
            return
        existing = self._entries[entry.kind].get(entry.name)
        if existing is None:
            self._entries[entry.kind][entry.name] = entry
            return
        # Neither entry is usable: which one would win depends on install order.
        del self._entries[entry.kind][entry.name]
        self._conflicts[key] = [existing, entry]
        self.problems.append(PluginConflictError(entry.kind, entry.name, existing.provider, entry.provider).message)

    # -- queries ----------------------------------------------------------------

    def entry(self, kind: str, name: str) -> Entry:
        """The entry for ``kind``/``name``; raises a helpful error if unknown or clashing."""
        kind = normalise_kind(kind)
        conflict = self._conflicts.get((kind, name))
        if conflict:
            raise PluginConflictError(kind, name, conflict[0].provider, conflict[1].provider)
        try:
            return self._entries[kind][name]
        except KeyError:
            raise UnknownNameError(kind, name, self._entries[kind]) from None

    def get(self, kind: str, name: str) -> Any:
        """The spec registered as ``kind``/``name``."""
        return self.entry(kind, name).spec

    def names(self, kind: str) -> list[str]:
        """Sorted names of one kind."""
        return sorted(self._entries[normalise_kind(kind)])

    def list(self, kind: str | None = None, pattern: str | None = None) -> list[Entry]:
        """Entries of one kind (or all), optionally filtered by a glob pattern."""
        kinds = [normalise_kind(kind)] if kind else list(KINDS)
        found = []
        for k in kinds:
            for name in sorted(self._entries[k]):
                if pattern is None or fnmatch.fnmatchcase(name, pattern):
                    found.append(self._entries[k][name])
        return found

    def conflicts(self) -> dict[tuple[str, str], list[Entry]]:
        """Clashing (kind, name) pairs with both entries."""
        return dict(self._conflicts)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.list())


def _collect(pm: GanzooPluginManager, plugin_name: str, plugin: object, provider: str) -> Iterator[Entry]:
    """Call each hook of one plugin and check what it yields."""
    for caller in pm.get_hookcallers(plugin) or []:
        spec_type = HOOK_SPEC_TYPES.get(caller.name)
        if spec_type is None:
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            result = impl.function()
            for item in result or ():
                if not isinstance(item, spec_type):
                    raise TypeError(f"{caller.name}() yielded {type(item).__name__}, expected ganzoo.{spec_type.__name__}")
                yield Entry(spec=item, plugin=plugin_name, provider=provider)


def normalise_kind(kind: str) -> str:
    """Accept plurals and a few aliases: ``recipes`` -> ``recipe``, ``losses`` -> ``loss``."""
    kind = kind.lower().strip()
    aliases = {"losses": "loss", "g": "generator", "d": "discriminator", "augmentations": "augment",
               "augmentation": "augment", "objective": "loss", "objectives": "loss"}
    kind = aliases.get(kind, kind)
    if kind not in KINDS and kind.endswith("s") and kind[:-1] in KINDS:
        kind = kind[:-1]
    if kind not in KINDS:
        raise UnknownNameError("kind", kind, KINDS)
    return kind


@functools.cache
def get_registry() -> Registry:
    """The registry of the process-wide plugin manager, built once."""
    return Registry.from_plugin_manager(get_plugin_manager())
