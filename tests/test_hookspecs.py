"""The hook contract: every hookspec documents a runnable example, and the examples work."""

from __future__ import annotations

import inspect
import re
import textwrap

import pytest

from ganzoo import hookspecs
from ganzoo.plugins import PluginRecord, create_plugin_manager
from ganzoo.registry import Registry

HOOKS = sorted(hookspecs.HOOK_SPEC_TYPES)


def example_of(hook_name: str) -> str:
    doc = inspect.getdoc(getattr(hookspecs, hook_name)) or ""
    match = re.search(r"Example::\n\n((?:    .*\n?|\n)+)", doc + "\n")
    assert match, f"{hook_name} has no 'Example::' block in its docstring"
    return textwrap.dedent(match.group(1))


def test_every_hook_is_declared_with_the_project_prefix():
    declared = {name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("ganzoo_")}
    assert declared == set(hookspecs.HOOK_SPEC_TYPES)


@pytest.mark.parametrize("hook_name", HOOKS)
def test_hookspec_example_runs_and_yields_its_spec_type(hook_name):
    namespace: dict = {}
    exec(compile(example_of(hook_name), f"<{hook_name} example>", "exec"), namespace)
    implementation = namespace[hook_name]
    items = list(implementation())
    assert items and all(isinstance(item, hookspecs.HOOK_SPEC_TYPES[hook_name]) for item in items)

    # The example is a valid plugin: registered on a fresh manager, the registry lists it.
    plugin = type("ExamplePlugin", (), {hook_name: staticmethod(implementation)})
    pm = create_plugin_manager(entry_points=False)
    assert pm.register_plugin(plugin, PluginRecord("example", "example", "example-dist", "1.0", "pending"))
    registry = Registry.from_plugin_manager(pm)
    assert registry.problems == []
    assert [e.name for e in registry] == [item.name for item in items]
    assert all(e.provider == "example-dist==1.0" for e in registry)


@pytest.mark.parametrize("hook_name", HOOKS)
def test_hookspec_example_points_at_real_code(hook_name):
    namespace: dict = {}
    exec(compile(example_of(hook_name), f"<{hook_name} example>", "exec"), namespace)
    for item in namespace[hook_name]():
        build = getattr(item, "build", None)
        if hasattr(build, "resolve"):
            assert callable(build.resolve())
