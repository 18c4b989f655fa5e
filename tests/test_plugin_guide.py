"""The author guide documents every hook, and its walk-through code runs and conforms."""

from __future__ import annotations

import re
import types
from pathlib import Path

import ganzoo
import ganzoo.testing as gt
from conftest import make_registry
from ganzoo import hookspecs

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugin-guide.md"


def _hooks() -> list[str]:
    """Every hook the hookspec module declares, discovered, so a new hook cannot go undocumented."""
    return sorted(name for name in dir(hookspecs) if name.startswith("ganzoo_")
                  and hasattr(getattr(hookspecs, name), "ganzoo_spec"))  # fmt: skip


def test_every_hook_has_a_section_in_the_reference():
    text = GUIDE.read_text()
    assert set(_hooks()) == set(hookspecs.HOOK_SPEC_TYPES)
    missing = [hook for hook in _hooks() if f"### `{hook}`" not in text]
    assert not missing, f"docs/plugin-guide.md does not document {missing}"
    assert f"now `{hookspecs.HOOK_CONTRACT_VERSION}`" in text, "the guide states the current contract version"


def test_the_walk_through_code_runs_and_its_plugin_conforms(tmp_path):
    text = GUIDE.read_text()
    section = text.split("## Walk-through", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 3, "the walk-through has the models, the plugin module and the test"
    module = types.ModuleType("walkthrough_plugin")
    exec(compile("\n".join(blocks[:2]), str(GUIDE), "exec"), module.__dict__)
    registry = make_registry(module)
    data = gt.make_tiny_mnist(tmp_path / "data")
    gt.check_generator(registry.get("generator", "wide-g"))
    gt.check_discriminator(registry.get("discriminator", "wide-d"))
    gt.check_recipe("wide-mnist", data_root=data, out=tmp_path / "run", registry=registry)
    # The third block is the author's own test; run it against this registry too.
    exec(compile(blocks[2], str(GUIDE), "exec"), namespace := {})
    original = gt.check_distribution
    namespace["gt"].check_distribution = lambda dist, data_root: original("test-dist", data_root=data_root, registry=registry)
    try:
        namespace["test_my_plugin_conforms"](tmp_path / "author")
    finally:
        namespace["gt"].check_distribution = original
    assert ganzoo.HOOK_CONTRACT_VERSION == hookspecs.HOOK_CONTRACT_VERSION
