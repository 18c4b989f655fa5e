"""`ganzoo plugin new` writes a distribution that installs and passes its own generated tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ganzoo.cli import cli
from ganzoo.testing import make_tiny_mnist
from plugin_env import PluginEnv


def test_the_scaffold_writes_a_complete_distribution_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["plugin", "new", "my-gans", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(tmp_path / "my-gans")) for p in (tmp_path / "my-gans").rglob("*") if p.is_file())
    assert files == ["README.md", "pyproject.toml", "src/my_gans/__init__.py", "src/my_gans/augment.py",
                     "src/my_gans/inputs.py", "src/my_gans/models.py", "src/my_gans/objective.py",
                     "src/my_gans/plugin.py", "tests/test_plugin.py"]  # fmt: skip
    pyproject = (tmp_path / "my-gans" / "pyproject.toml").read_text()
    assert 'my-gans = "my_gans.plugin"' in pyproject
    result = runner.invoke(cli, ["plugin", "new", "my-gans", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.output
    for bad in ("My_Gans", "../x", "ganzoo", "torch-ganzoo"):
        result = runner.invoke(cli, ["plugin", "new", bad, "--dir", str(tmp_path)])
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_scaffolds_networks_take_the_engines_fast_paths(tmp_path):
    import importlib.util

    from ganzoo.engine.cuda_graph import declares_graph_safe
    from ganzoo.losses import batch_independent
    from ganzoo.specs import DataInfo

    assert CliRunner().invoke(cli, ["plugin", "new", "fast-gans", "--dir", str(tmp_path)]).exit_code == 0
    spec = importlib.util.spec_from_file_location("fast_gans_models", tmp_path / "fast-gans/src/fast_gans/models.py")
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    data = DataInfo(shape=(1, 28, 28), num_classes=10)
    generator, discriminator = models.Generator(data), models.Discriminator(data)
    assert declares_graph_safe(generator) and declares_graph_safe(discriminator)
    assert batch_independent(discriminator)


@pytest.mark.slow
def test_a_generated_plugin_installs_and_passes_its_own_tests(tmp_path):
    # A real distribution adding a network, an input sampler, an objective with phases and an
    # augmentation: pip-installed, seen through the registry, and trained by a real ganzoo process.
    import json

    from ganzoo.scaffold import new_plugin

    folder = new_plugin("acme-gan", tmp_path / "src")
    env = PluginEnv(tmp_path / "venv", make_tiny_mnist(tmp_path / "data"))
    env.pip_install(folder)
    names = {(e["kind"], e["name"], e["provider"]) for e in env.listing()}
    expected = {("generator", "acme-gan-g"), ("discriminator", "acme-gan-d"), ("network", "acme-gan-encoder"),
                ("input", "acme-gan-uniform"), ("loss", "acme-gan-hinge"), ("augment", "acme-gan-instance-noise"),
                ("recipe", "acme-gan-mnist")}  # fmt: skip
    assert {(kind, name, "acme-gan==0.1.0") for kind, name in expected} <= names
    result = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests"), cwd=tmp_path)
    assert "1 passed" in result.stdout
    env.run("-m", "ganzoo", "train", "acme-gan-mnist", "--steps", "8", "--out", str(tmp_path / "run"), "--quiet",
            "--set", "train.log_every=1")  # fmt: skip
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert {"d_loss", "d_reg_loss", "d_reg_r1", "g_adv", "g_reconstruction"} <= metrics[-1].keys()
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["augment"]["name"] == "acme-gan-instance-noise" and config["inputs"]["name"] == "acme-gan-uniform"
