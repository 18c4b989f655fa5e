"""The example distribution in plugins/ installs with pip, appears in a real `ganzoo list`, trains, and leaves cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganzoo.testing import make_tiny_mnist
from plugin_env import PluginEnv

EXAMPLE = Path(__file__).resolve().parents[1] / "plugins" / "ganzoo-relativistic"
CONTRIBUTES = {("loss", "relativistic-average"), ("generator", "resnet-mlp-g"), ("recipe", "ragan-mnist")}


@pytest.mark.slow
def test_the_example_plugin_installs_lists_trains_passes_its_tests_and_uninstalls(tmp_path):
    env = PluginEnv(tmp_path / "venv", make_tiny_mnist(tmp_path / "data"))
    before = {(e["kind"], e["name"]) for e in env.listing()}
    assert not CONTRIBUTES & before, "the example plugin must not be installed before the test"

    env.pip_install(EXAMPLE)
    entries = {(e["kind"], e["name"]): e for e in env.listing()}
    for key in CONTRIBUTES:
        assert entries[key]["distribution"] == "ganzoo-relativistic" and entries[key]["version"] == "0.1.0"
    assert entries[("recipe", "ragan-mnist")]["components"]["discriminator"] == "vanilla-mlp-d"  # reuses ganzoo's parts
    plugins = env.run("-m", "ganzoo", "plugins", "--json").stdout
    assert '"ganzoo-relativistic"' in plugins and '"loaded"' in plugins

    run = tmp_path / "run"
    env.run("-m", "ganzoo", "train", "ragan-mnist", "--steps", "5", "--out", str(run), "--quiet",
            "--set", "generator.width=32", "--set", "discriminator.hidden=[32]")  # fmt: skip
    assert (run / "checkpoint.pt").is_file() and (run / "samples" / "final.png").is_file()
    tests = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests"), cwd=tmp_path)
    assert "3 passed" in tests.stdout

    probe = env.run("-c", "import importlib.util as u; print(u.find_spec('plugins'))", cwd=tmp_path)
    assert probe.stdout.strip() == "None", "no top-level 'plugins' package may be installed"

    env.pip_uninstall("ganzoo-relativistic")
    after = {(e["kind"], e["name"]) for e in env.listing()}
    assert after == before


def test_the_install_tests_environment_sees_the_running_ganzoo_and_torch(tmp_path):
    """Run from a virtual environment (as README advises), the throw-away environment must still find
    this ganzoo and this torch -- not the base interpreter's packages, which may hold neither."""
    import ganzoo

    env = PluginEnv(tmp_path / "venv", tmp_path / "data")
    probe = env.run("-c", "import ganzoo, torch, importlib.metadata as m; print(ganzoo.__file__); "
                    "print(m.version('torch-ganzoo'))").stdout.split()  # fmt: skip
    assert probe == [ganzoo.__file__, ganzoo.__version__]
