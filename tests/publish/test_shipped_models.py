"""Every model shipped in model_cards/ loads strictly, samples, and has a complete card."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner

import ganzoo
from ganzoo.cli import cli
from ganzoo.objectives import image_of
from ganzoo.publish.card import split_front_matter
from ganzoo.artifacts.models import load_model
from ganzoo.artifacts.store import source_model_dir
from ganzoo.artifacts.weights import read_metadata, sha256_file

MODEL_DIR = source_model_dir()
#: The pretrained zoo the README promises (issue: at least these five).
PROMISED = ("vanilla-mnist", "dcgan-mnist", "dcgan-fashion", "cgan-mnist", "ring-8")
GENERATORS = sorted(p.name for p in MODEL_DIR.iterdir() if (p / "config.json").is_file()
                    and json.loads((p / "config.json").read_text()).get("format") == "ganzoo-model")  # fmt: skip
EXTRACTORS = sorted(p.name for p in MODEL_DIR.iterdir() if p.name.startswith("lenet-"))
MAX_BYTES = 10 * 1024 * 1024


def test_the_promised_models_and_extractors_are_shipped():
    assert set(PROMISED) <= set(GENERATORS), f"missing pretrained models: {set(PROMISED) - set(GENERATORS)}"
    assert {"lenet-mnist", "lenet-fashion-mnist"} <= set(EXTRACTORS)


@pytest.mark.parametrize("name", GENERATORS)
def test_a_shipped_model_loads_samples_and_has_a_complete_card(name, tmp_path):
    folder = MODEL_DIR / name
    assert (folder / "model.safetensors").stat().st_size <= MAX_BYTES
    model = load_model(name)  # by name, through the model search path
    assert model.path.resolve() == folder.resolve() and not model.generator.training
    labels = torch.arange(4) % model.info.num_classes if model.conditional else None
    inputs = model.sampler.request(4, generator=torch.Generator().manual_seed(0), labels=labels)  # its own inputs
    with torch.no_grad():
        out = image_of(model.sampler.call(model.generator, inputs))
    assert out.shape == (4, *model.info.shape) and torch.isfinite(out).all()
    result = CliRunner().invoke(cli, ["sample", name, "--n", "8", "--out", str(tmp_path / "s.png")])
    assert result.exit_code == 0, result.output
    meta_text, body = split_front_matter((folder / "README.md").read_text())
    meta = yaml.safe_load(meta_text)
    assert {"library_name", "license", "tags", "model-index"} <= set(meta)
    assert ("datasets" in meta) == (model.info.modality == "image")  # the 2-D mixtures are no Hub dataset
    if model.info.modality == "image":
        assert meta["pipeline_tag"] == "unconditional-image-generation"
    metrics = meta["model-index"][0]["results"][0]["metrics"]
    assert metrics, f"{name} ships without evaluation results"
    config = json.loads((folder / "config.json").read_text())
    assert config["evaluation"] and all(r["n_generated"] >= 2500 for r in config["evaluation"])
    assert "CPU" in config["training"]["hardware"] and config["training"]["wall_time_s"] > 0
    assert read_metadata(folder / "model.safetensors")["generator"] == config["generator"]["name"]
    assert (folder / "samples.png").stat().st_size > 0


@pytest.mark.parametrize("name", EXTRACTORS)
def test_a_shipped_extractor_matches_its_pinned_hash_and_card(name):
    folder = MODEL_DIR / name
    spec = ganzoo.get_registry().get("extractor", name)
    config = json.loads((folder / "config.json").read_text())
    assert sha256_file(folder / "model.safetensors") == spec.sha256 == config["sha256"]
    meta, body = split_front_matter((folder / "README.md").read_text())
    assert yaml.safe_load(meta)["model-index"][0]["results"][0]["metrics"][0]["value"] == round(config["test_accuracy"], 4)
    assert spec.sha256 in body


def test_list_marks_recipes_with_pretrained_weights():
    result = CliRunner().invoke(cli, ["list", "recipes", "--json"])
    records = {r["name"]: r for r in json.loads(result.output)["entries"]}
    for name in PROMISED:
        assert records[name]["pretrained"] == str(MODEL_DIR / name)
    assert records["toy-2d"]["pretrained"] is None


def test_sample_works_right_after_install_in_a_real_process(tmp_path):
    out = tmp_path / "digits.png"
    env_python = Path(sys.executable)
    done = subprocess.run([str(env_python), "-m", "ganzoo", "sample", "vanilla-mnist", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", EXTRACTORS)
def test_an_evaluation_network_is_not_offered_or_loaded_as_a_generator(name, tmp_path):
    for command in (["sample", name, "--out", str(tmp_path / "x.png")], ["eval", name]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, result.output
        assert f"{name} is an evaluation network, not a generator" in result.output
        assert "Traceback" not in result.output
    unknown = CliRunner().invoke(cli, ["sample", "no-such-model", "--out", str(tmp_path / "y.png")])
    known = unknown.output.split("known models:")[1]
    assert name not in known and "vanilla-mnist" in known
    with pytest.raises(Exception, match="is an evaluation network"):  # its weights file given directly
        load_model(MODEL_DIR / name / "model.safetensors")


@pytest.mark.parametrize("content", ["not json", "[1, 2]", "null", '{"kind": 3}'])
def test_odd_config_files_are_not_taken_for_evaluation_networks(tmp_path, content):
    from ganzoo.artifacts.store import is_extractor_folder

    (tmp_path / "config.json").write_text(content)
    assert not is_extractor_folder(tmp_path)
    assert not is_extractor_folder(tmp_path / "missing")


@pytest.mark.parametrize("name", GENERATORS)
def test_every_regulariser_a_model_was_trained_with_is_in_its_card(name):
    train = json.loads((MODEL_DIR / name / "config.json").read_text())["train"]
    card = (MODEL_DIR / name / "README.md").read_text()
    labels = {"n_critic": "discriminator steps per generator step", "r1_gamma": "R1 penalty γ",
              "grad_clip": "gradient clipping", "d_warmup_steps": "discriminator warm-up steps"}  # fmt: skip
    for key, label in labels.items():
        assert (f"| {label}" in card) == bool(train.get(key)), (key, train.get(key))


def test_list_models_lists_recipes_and_published_models_as_timm_does(tmp_path, monkeypatch):
    names = ganzoo.list_models()
    assert names == sorted(names) and {"vanilla-mnist", "toy-2d", "grid-25"} <= set(names)
    assert ganzoo.list_models("*mnist*") == [n for n in names if "mnist" in n]
    assert ganzoo.list_models("*", pretrained=True) == sorted(GENERATORS)  # extractors are no models to sample
    assert "toy-2d" not in ganzoo.list_models(pretrained=True)
    assert ganzoo.list_models("no-such-*") == []
    # A published model outside the zoo, on GANZOO_MODEL_PATH, is listed (and loadable) by name.
    import shutil

    shutil.copytree(MODEL_DIR / "ring-8", tmp_path / "my-ring")
    monkeypatch.setenv("GANZOO_MODEL_PATH", str(tmp_path))
    assert "my-ring" in ganzoo.list_models("my-*", pretrained=True)
    ganzoo.load("my-ring")
    code = "import sys, ganzoo; ganzoo.list_models('*'); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
