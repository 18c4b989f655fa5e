"""Publishing a run, loading it back strictly, and sampling from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner

import ganzoo
from ganzoo.cli import cli
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.errors import GanzooError
from ganzoo.publish import publish as publish_module
from ganzoo.publish.card import split_front_matter
from ganzoo.artifacts.models import load_model
from ganzoo.artifacts.weights import WeightsError, load_weights, read_metadata, save_weights

TINY = {"generator.hidden": [32, 32], "discriminator.hidden": [32], "train.batch_size": 32,
        "train.ema_halflife_kimg": 0.5, "train.sample_every": 100, "train.log_every": 5}  # fmt: skip
REQUIRED_CARD_KEYS = {"library_name", "license", "tags", "datasets", "pipeline_tag", "model-index"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two finished tiny runs on tiny MNIST: unconditional and class-conditional."""
    from conftest import make_tiny_mnist

    base = tmp_path_factory.mktemp("runs")
    data = make_tiny_mnist(base / "data")
    for recipe in ("vanilla-mnist", "cgan-mnist"):
        ganzoo.train(recipe, steps=10, out=base / recipe, data_dir=data, overrides=TINY, quiet=True, download=False)
    return base


def publish(runs: Path, recipe: str, to: Path, **kwargs) -> Path:
    return publish_module.publish(runs / recipe, to=to, data_dir=runs / "data", **kwargs)


def test_publish_load_sample_round_trip_gives_identical_images(runs, tmp_path):
    from ganzoo.artifacts.runs import load_run_generator

    folder = publish(runs, "vanilla-mnist", tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.png"]
    G = ganzoo.load(folder)
    assert not G.training
    original = load_run_generator(runs / "vanilla-mnist", info=load_model(folder).info)
    z = torch.randn(8, G.latent_dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.equal(G(z), original(z)), "the published generator is not the run's EMA generator"

    runner = CliRunner()
    first, second, other = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    for out, seed in ((first, 5), (second, 5), (other, 6)):
        result = runner.invoke(cli, ["sample", str(folder), "--n", "16", "--seed", str(seed), "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_safetensors_metadata_identifies_the_file(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    metadata = read_metadata(folder / "model.safetensors")
    assert metadata["format"] == "pt"
    assert metadata["ganzoo_version"] == ganzoo.__version__
    assert (metadata["generator"], metadata["discriminator"], metadata["loss"], metadata["dataset"]) == (
        "vanilla-mlp-g", "vanilla-mlp-d", "non-saturating", "mnist")
    assert all(isinstance(v, str) for v in metadata.values())
    assert json.loads(metadata["config"]) == json.loads((folder / "config.json").read_text())
    config = json.loads(metadata["config"])
    assert config["generator"]["provider"] == f"torch-ganzoo=={ganzoo.__version__}"
    assert config["training"]["steps"] == 10 and config["training"]["images_seen"] == 320


def test_a_lone_safetensors_file_loads_from_its_metadata(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    lone = tmp_path / "elsewhere" / "digits.safetensors"
    lone.parent.mkdir()
    lone.write_bytes((folder / "model.safetensors").read_bytes())
    z = torch.randn(4, 100)
    with torch.no_grad():
        assert torch.equal(ganzoo.load(lone)(z), ganzoo.load(folder)(z))


def test_model_card_front_matter_parses_and_holds_the_required_keys(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path, license="apache-2.0")
    meta_text, body = split_front_matter((folder / "README.md").read_text())
    meta = yaml.safe_load(meta_text)
    assert REQUIRED_CARD_KEYS <= set(meta)
    assert meta["library_name"] == "ganzoo" and meta["license"] == "apache-2.0"
    assert meta["pipeline_tag"] == "unconditional-image-generation" and meta["datasets"] == ["ylecun/mnist"]
    assert meta["model-index"][0]["name"] == "vanilla-mnist"
    for section in ("## How it was trained", "## Evaluation", "## How to use", "## Intended use and limitations"):
        assert section in body
    assert "ganzoo.load(\"vanilla-mnist\")" in body and "deceptive" in body and "320" in body


def test_evaluation_results_go_into_the_card_under_their_pinned_names(runs, tmp_path):
    from ganzoo.evaluation.targets import append_run_evaluation

    record = {"name": "fid[lenet-mnist@0123abcd]", "metric": "fid", "value": 12.5, "std": None, "n_generated": 100,
              "n_reference": 100, "reference": "mnist:test", "extractor": "lenet-mnist",
              "extractor_sha256": "0123abcd" + "0" * 56, "seed": 0, "higher_is_better": False}  # fmt: skip
    run = tmp_path / "run"
    import shutil

    shutil.copytree(runs / "vanilla-mnist", run)
    state = ckpt.load_checkpoint(run / "checkpoint.pt")
    measured = {"step": state["step"], "weights_sha256": ckpt.weights_digest(ckpt.sampling_weights(state))}
    append_run_evaluation(run, {**measured, "metrics": [record]})
    append_run_evaluation(run, {"step": 1, "weights_sha256": "0" * 16, "metrics": [dict(record, value=99.0)]})
    folder = publish_module.publish(run, to=tmp_path / "models", data_dir=runs / "data")
    meta, body = split_front_matter((folder / "README.md").read_text())
    metrics = yaml.safe_load(meta)["model-index"][0]["results"][0]["metrics"]
    assert metrics == [{"type": "fid", "name": "fid[lenet-mnist@0123abcd]", "value": 12.5, "verified": False}]
    assert "| `fid[lenet-mnist@0123abcd]` | 12.5 | lower |" in body


def test_a_run_whose_eval_json_is_not_an_object_publishes_without_evaluation(runs, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(runs / "vanilla-mnist", run)
    (run / "eval.json").write_text("[1, 2]")
    folder = publish_module.publish(run, to=tmp_path / "models", data_dir=runs / "data")
    meta, _ = split_front_matter((folder / "README.md").read_text())
    assert yaml.safe_load(meta)["library_name"] == "ganzoo"


def test_the_card_never_shows_an_evaluation_of_other_weights(tmp_path):
    from ganzoo.evaluation.targets import append_run_evaluation, evaluate_target

    run = tmp_path / "run"
    ganzoo.train("ring-8", steps=6, out=run, quiet=True, overrides={
        "generator.hidden": [16], "discriminator.hidden": [16], "dataset.samples": 512, "train.batch_size": 64})
    _, record = evaluate_target(run, n=200)
    assert record["step"] == ckpt.load_checkpoint(run / "checkpoint.pt")["step"]
    append_run_evaluation(run, record)
    ganzoo.train(resume=run, steps=record["step"] + 5, quiet=True)  # the weights move on; the record stays
    warnings = []
    folder = publish_module.publish(run, to=tmp_path / "models", warn=warnings.append)
    meta, body = split_front_matter((folder / "README.md").read_text())
    assert "model-index" not in yaml.safe_load(meta) or not yaml.safe_load(meta)["model-index"][0]["results"]
    assert "Not evaluated" in body
    assert len(warnings) == 1 and f"step {record['step'] + 5}" in warnings[0] and "ganzoo eval" in warnings[0]


def test_an_existing_model_is_replaced_only_with_force_and_a_failed_publish_keeps_it(runs, tmp_path, monkeypatch):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    weights = (folder / "model.safetensors").read_bytes()
    with pytest.raises(GanzooError, match="already exists"):
        publish(runs, "vanilla-mnist", tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(publish_module, "sample_picture", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(runs, "vanilla-mnist", tmp_path, force=True)
    assert (folder / "model.safetensors").read_bytes() == weights
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vanilla-mnist"], "a staging folder was left behind"
    monkeypatch.undo()
    publish(runs, "vanilla-mnist", tmp_path, force=True, with_discriminator=True)
    assert any(k.startswith("discriminator.") for k in load_weights(folder / "model.safetensors")[0])
    assert load_model(folder, with_discriminator=True).discriminator is not None


@pytest.mark.parametrize("name", ["../escape", "Bad Name", "a/b", "", "a" * 300])
def test_names_that_are_not_safe_paths_are_refused(runs, tmp_path, name):
    result = CliRunner().invoke(cli, ["publish", str(runs / "vanilla-mnist"), "--name", name, "--to", str(tmp_path / "m")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "cannot publish under the name" in result.output and not (tmp_path / "m").exists()
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())
    assert not (tmp_path / "escape").exists()


def _tamper(folder: Path, edit) -> None:
    tensors, metadata = load_weights(folder / "model.safetensors")
    edit(tensors, metadata)
    save_weights(folder / "model.safetensors", tensors, metadata)


def test_strict_loading_refuses_missing_extra_and_misshapen_weights(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    key = next(k for k in load_weights(folder / "model.safetensors")[0] if k.endswith("weight"))

    _tamper(folder, lambda t, m: t.pop(key))
    with pytest.raises(WeightsError, match="missing 1 key"):
        ganzoo.load(folder)
    folder = publish(runs, "vanilla-mnist", tmp_path, force=True)
    _tamper(folder, lambda t, m: t.update({"generator.extra.weight": torch.zeros(2)}))
    with pytest.raises(WeightsError, match="unexpected key"):
        ganzoo.load(folder)
    folder = publish(runs, "vanilla-mnist", tmp_path, force=True)
    _tamper(folder, lambda t, m: t.update({key: torch.zeros(3, 3)}))
    with pytest.raises(WeightsError, match="shape mismatch"):
        ganzoo.load(folder)


def test_a_config_asking_for_huge_layers_is_refused_before_anything_is_allocated(runs, tmp_path, monkeypatch):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["generator"]["params"]["hidden"] = [1_000_000, 1_000_000]  # 4 TB of float32 if built for real
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="shape mismatch"):
        ganzoo.load(folder)


def test_a_config_that_does_not_match_the_weights_is_refused(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["generator"]["name"] = "dcgan-g"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="does not match"):
        ganzoo.load(folder)
    folder = publish(runs, "vanilla-mnist", tmp_path, force=True)
    config = json.loads((folder / "config.json").read_text())
    config["generator"]["params"]["hidden"] = [64, 64]  # same components, other sizes: the weights do not fit
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="do not fit"):
        ganzoo.load(folder)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupt_weights_give_a_clear_error_without_a_traceback(runs, tmp_path, damage):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    path = folder / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"\x00\xff" * 100, "empty": b""}[damage])
    result = CliRunner().invoke(cli, ["sample", str(folder), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1, result.output
    assert "not a readable safetensors file" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("provider, install", [
    ("ganzoo-relativistic==0.3.1", "pip install ganzoo-relativistic==0.3.1"),
    # Published before the rename: this project, never PyPI's unrelated ganzoo.
    ("ganzoo==0.1.0", "pip install torch-ganzoo==0.1.0"),
])  # fmt: skip
def test_a_component_from_a_missing_plugin_names_the_distribution_to_install(runs, tmp_path, provider, install):
    folder = publish(runs, "vanilla-mnist", tmp_path)

    def foreign(tensors, metadata):
        config = json.loads(metadata["config"])
        config["generator"].update(name="borrowed-resnet-g", provider=provider)
        metadata["config"] = json.dumps(config)

    _tamper(folder, foreign)
    (folder / "config.json").unlink()
    with pytest.raises(GanzooError) as caught:
        ganzoo.load(folder / "model.safetensors")
    assert caught.value.fix == install


def test_sampling_a_conditional_model_by_class_and_its_errors(runs, tmp_path):
    folder = publish(runs, "cgan-mnist", tmp_path)
    model = load_model(folder)
    assert model.conditional
    runner = CliRunner()
    result = runner.invoke(cli, ["sample", str(folder), "--class", "7", "--n", "4", "--out", str(tmp_path / "7.png")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["sample", str(folder), "--class", "10", "--out", str(tmp_path / "10.png")])
    assert result.exit_code == 2 and "out of range" in result.output and "0 and 9" in result.output
    plain = publish(runs, "vanilla-mnist", tmp_path)
    result = runner.invoke(cli, ["sample", str(plain), "--class", "3", "--out", str(tmp_path / "3.png")])
    assert result.exit_code == 2 and "not class-conditional" in result.output


def test_class_labels_reach_the_generator(runs, tmp_path):
    from ganzoo.artifacts.sampling import class_labels, draw

    model = load_model(publish(runs, "cgan-mnist", tmp_path))
    sevens = draw(model, n=4, seed=0, labels=class_labels(model, 7, 4))
    threes = draw(model, n=4, seed=0, labels=class_labels(model, 3, 4))
    assert not torch.equal(sevens, threes)


def test_out_dir_writes_single_images_and_never_overwrites(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["sample", str(folder), "--n", "5", "--out-dir", str(tmp_path / "imgs")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "imgs").iterdir()) == [f"{i:06d}.png" for i in range(5)]
    result = runner.invoke(cli, ["sample", str(folder), "--n", "5", "--out-dir", str(tmp_path / "imgs")])
    assert result.exit_code == 2 and "not empty" in result.output
    result = runner.invoke(cli, ["sample", str(folder), "--out", str(tmp_path / "imgs" / "000000.png")])
    assert result.exit_code == 2 and "already exists" in result.output
    (tmp_path / "imgs" / "notes.txt").write_text("mine")
    result = runner.invoke(cli, ["sample", str(folder), "--n", "2", "--out-dir", str(tmp_path / "imgs"), "--force"])
    assert result.exit_code == 0 and "wrote 2 images" in result.output
    # The earlier draw's 000002-000004 are gone; what ganzoo did not write stays.
    assert sorted(p.name for p in (tmp_path / "imgs").iterdir()) == ["000000.png", "000001.png", "notes.txt"]


def test_sample_refuses_outputs_it_cannot_write_as_asked(runs, tmp_path):
    folder = publish(runs, "vanilla-mnist", tmp_path)
    result = CliRunner().invoke(cli, ["sample", str(folder), "--out", str(tmp_path / "grid.jpg")])
    assert result.exit_code != 0 and "not a .png file" in result.output and "grid.png" in result.output
    result = CliRunner().invoke(cli, ["sample", str(folder), "--interpolate", "--n", "1"])
    assert result.exit_code != 0 and "at least 2 frames" in result.output
    assert not any(p.suffix in (".jpg", ".png") for p in tmp_path.iterdir())


def test_interpolation_walks_from_one_noise_vector_to_the_other(runs, tmp_path):
    from ganzoo.artifacts.sampling import draw, slerp

    model = load_model(publish(runs, "vanilla-mnist", tmp_path))
    strip = draw(model, n=6, seed=2, interpolate=True)
    ends = torch.randn(2, model.generator.latent_dim, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.allclose(strip[0], model.generator(ends[:1])[0], atol=1e-5)
        assert torch.allclose(strip[-1], model.generator(ends[1:])[0], atol=1e-5)
    path = slerp(ends[0], ends[1], 6)
    assert torch.allclose(path.norm(dim=1), torch.linspace(float(ends[0].norm()), float(ends[1].norm()), 6), rtol=0.05)
    result = CliRunner().invoke(cli, ["sample", str(publish(runs, "vanilla-mnist", tmp_path, name="x")), "--interpolate",
                                      "--n", "7", "--out", str(tmp_path / "strip.png")])
    assert result.exit_code == 0, result.output
    from PIL import Image

    width, height = Image.open(tmp_path / "strip.png").size
    assert width > 6 * height, "an interpolation is one row"


def test_unknown_model_names_answer_with_the_known_ones(tmp_path):
    result = CliRunner().invoke(cli, ["sample", "no-such-model", "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "no published model named 'no-such-model'" in result.output
    assert "Traceback" not in result.output


def test_publishing_an_unfinished_run_is_refused(runs, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(runs / "vanilla-mnist", run)
    info = json.loads((run / "run.json").read_text())
    info["status"] = "running"
    (run / "run.json").write_text(json.dumps(info))
    with pytest.raises(GanzooError, match="has not finished"):
        publish_module.publish(run, to=tmp_path / "m", data_dir=runs / "data")


def test_a_model_in_the_default_folder_is_pointed_to_but_never_shadows_the_zoo(runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    publish(runs, "vanilla-mnist", tmp_path / "model_cards", name="mine")  # where `ganzoo publish` writes by default
    publish(runs, "vanilla-mnist", tmp_path / "model_cards")  # named like the shipped model
    result = CliRunner().invoke(cli, ["sample", "mine", "--n", "4", "--out", str(tmp_path / "mine.png")])
    assert result.exit_code == 1 and "./model_cards/mine: pass that path" in result.output
    result = CliRunner().invoke(cli, ["sample", "model_cards/mine", "--n", "4", "--out", str(tmp_path / "mine.png")])
    assert result.exit_code == 0, result.output
    # The name of a shipped model still means the shipped model.
    from ganzoo.artifacts.store import find_model, source_model_dir

    assert find_model("vanilla-mnist") == source_model_dir() / "vanilla-mnist"


def test_a_folder_named_like_a_shipped_model_never_stands_in_for_it(runs, tmp_path, monkeypatch):
    from ganzoo.artifacts.store import resolve_model, source_model_dir

    monkeypatch.chdir(tmp_path)
    publish(runs, "vanilla-mnist", tmp_path)  # ./vanilla-mnist, a published folder of the shipped model's name
    assert (tmp_path / "vanilla-mnist" / "model.safetensors").is_file()
    assert resolve_model("vanilla-mnist") == source_model_dir() / "vanilla-mnist"
    assert resolve_model("./vanilla-mnist") == Path("./vanilla-mnist")  # a path says it is one


@pytest.mark.parametrize("reference", ["model_cards:/etc", "model_cards://etc/passwd", "model_cards:../x/y",
                                       "model_cards:lenet-mnist/..", "model_cards:lenet-mnist/a/b"])
def test_model_file_references_outside_the_model_folders_are_refused(reference):
    from ganzoo.artifacts.store import resolve_store_file

    with pytest.raises(GanzooError, match="bad model file reference"):
        resolve_store_file(reference)


def test_sample_draws_from_a_training_run_as_from_its_published_model(runs, tmp_path):
    run = runs / "vanilla-mnist"
    folder = publish(runs, "vanilla-mnist", tmp_path / "models")
    for source, out in ((run, "run.png"), (folder, "published.png")):
        result = CliRunner().invoke(cli, ["sample", str(source), "--n", "16", "--seed", "3", "--out", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "run.png").read_bytes() == (tmp_path / "published.png").read_bytes()
    result = CliRunner().invoke(cli, ["sample", str(run / "checkpoint.pt"), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "is a training checkpoint, not a published model" in result.output
    assert f"sample or evaluate its run directory ({run})" in result.output and "Traceback" not in result.output


def test_load_takes_a_training_run_as_sample_does(runs, tmp_path):
    """ganzoo.load(RUN_DIR) is the run's EMA generator: the one `ganzoo sample RUN_DIR` draws from and publish ships."""
    import shutil

    run = runs / "vanilla-mnist"
    G = ganzoo.load(run)
    published = ganzoo.load(publish(runs, "vanilla-mnist", tmp_path / "models"))
    assert not G.training
    z = torch.randn(8, G.latent_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(G(z), published(z))
    assert ganzoo.load(str(run)).latent_dim == G.latent_dim  # a str path too
    with pytest.raises(GanzooError, match="publish the run with --with-discriminator"):
        load_model(run, with_discriminator=True)
    early = tmp_path / "early"  # a run that has not written its first checkpoint
    shutil.copytree(run, early)
    (early / "checkpoint.pt").unlink()
    with pytest.raises(GanzooError, match="is a training run without a checkpoint") as caught:
        ganzoo.load(early)
    assert f"ganzoo train --resume {early}" in caught.value.fix


@pytest.mark.parametrize("bad", ["", "  ", None, 3])
def test_load_refuses_what_is_not_a_model_name_in_words(bad):
    with pytest.raises(GanzooError, match="no model given"):
        ganzoo.load(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_load_on_cuda_without_a_gpu_is_refused_in_words():
    with pytest.raises(GanzooError, match="CUDA is not available"):
        ganzoo.load("vanilla-mnist", device="cuda")


def test_the_cards_command_trains_the_same_weights_again(tmp_path):
    import shlex

    run = tmp_path / "run"
    overrides = {"generator.hidden": [16, 8], "discriminator.hidden": [16], "dataset.samples": 512,
                 "train.batch_size": 32, "train.lr_d": 3e-4, "train.log_every": 3}
    ganzoo.train("ring-8", loss="hinge", steps=7, seed=5, out=run, overrides=overrides, quiet=True)
    folder = publish_module.publish(run, to=tmp_path / "models")
    command = json.loads((folder / "config.json").read_text())["training"]["command"]
    assert command.startswith("ganzoo train ring-8 --loss hinge --steps 7 --seed 5 ")
    assert "'--set' " not in command and "--set 'generator.hidden=[16,8]'" in command
    assert "train.lr_d=0.0003" in command and "log_every" not in command  # cadence does not change the weights
    assert command in (folder / "README.md").read_text()
    words = shlex.split(command)
    result = CliRunner().invoke(cli, [*words[1:], "--out", str(tmp_path / "again"), "--quiet"])
    assert result.exit_code == 0, result.output
    first = ckpt.load_checkpoint(run / "checkpoint.pt")
    again = ckpt.load_checkpoint(tmp_path / "again" / "checkpoint.pt")
    assert ckpt.weights_digest(ckpt.sampling_weights(first)) == ckpt.weights_digest(ckpt.sampling_weights(again))


def test_the_card_of_an_interrupted_run_says_so(runs, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(runs / "vanilla-mnist", run)
    for name, edit in (("run.json", lambda d: d.update(status="interrupted")),
                       ("config.json", lambda d: d["train"].update(steps=50))):  # fmt: skip
        data = json.loads((run / name).read_text())
        edit(data)
        (run / name).write_text(json.dumps(data))
    folder = publish_module.publish(run, to=tmp_path / "models", data_dir=runs / "data")
    assert "| steps / images seen | 10 / 320 (interrupted: 50 steps were planned) |" in (folder / "README.md").read_text()


def test_a_run_records_its_data_shape_so_publishing_needs_no_dataset(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "no-data-here"))
    info = json.loads((runs / "vanilla-mnist" / "run.json").read_text())["data"]
    assert info == {"shape": [1, 28, 28], "num_classes": 10, "modality": "image", "value_range": [-1.0, 1.0]}
    folder = publish_module.publish(runs / "vanilla-mnist", to=tmp_path / "models")  # no data_dir
    assert load_model(folder).info.shape == (1, 28, 28)


def test_publishing_into_the_checkouts_own_model_folder_is_pointed_out(runs, tmp_path, monkeypatch):
    from ganzoo.artifacts import store

    zoo = tmp_path / "checkout" / "model_cards"
    zoo.mkdir(parents=True)
    monkeypatch.setattr(publish_module, "source_model_dir", lambda: zoo)
    warnings = []
    publish(runs, "vanilla-mnist", zoo, name="mine", warn=warnings.append)
    assert any("is ganzoo's own model folder" in w and "--to DIR" in w for w in warnings)
    warnings.clear()
    publish(runs, "vanilla-mnist", tmp_path / "elsewhere", name="mine", warn=warnings.append)
    assert not any("own model folder" in w for w in warnings)
    assert store.source_model_dir() != zoo  # only publish's view was redirected


def test_publishing_by_default_in_a_checkout_never_writes_into_the_shipped_zoo(runs, tmp_path, monkeypatch):
    """README's publish example run from the checkout's root must not add a model to model_cards/."""
    checkout = tmp_path / "checkout"
    zoo = checkout / "model_cards"
    zoo.mkdir(parents=True)
    monkeypatch.setattr(publish_module, "source_model_dir", lambda: zoo)
    monkeypatch.chdir(checkout)
    result = CliRunner().invoke(cli, ["publish", str(runs / "vanilla-mnist"), "--name", "mine",
                                      "--data-dir", str(runs / "data")])  # fmt: skip
    assert result.exit_code == 1 and "ganzoo's own zoo folder" in result.output and "--to DIR" in result.output
    assert "Traceback" not in result.output and list(zoo.iterdir()) == []
    result = CliRunner().invoke(cli, ["publish", str(runs / "vanilla-mnist"), "--name", "mine", "--to", "my-models",
                                      "--data-dir", str(runs / "data")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (checkout / "my-models" / "mine" / "model.safetensors").is_file() and list(zoo.iterdir()) == []
    # Outside a checkout the default stays ./model_cards.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(cli, ["publish", str(runs / "vanilla-mnist"), "--name", "mine",
                                      "--data-dir", str(runs / "data")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (elsewhere / "model_cards" / "mine" / "README.md").is_file()
