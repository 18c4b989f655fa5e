"""``ganzoo eval``: pinned metric names, provenance of every number, extractor integrity."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from click.testing import CliRunner

import ganzoo
from ganzoo.cli import cli
from ganzoo.evaluation import extractors
from ganzoo.evaluation.training import build_training_evaluator

TINY = {"generator.hidden": [32, 32], "discriminator.hidden": [32], "train.batch_size": 32,
        "train.ema_halflife_kimg": 0.5, "train.sample_every": 100, "train.log_every": 5}  # fmt: skip
TINY_RING = {"generator.hidden": [16, 16], "discriminator.hidden": [16], "dataset.samples": 2048,
             "train.batch_size": 64, "train.sample_every": 100}  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from conftest import make_tiny_mnist

    base = tmp_path_factory.mktemp("eval-runs")
    data = make_tiny_mnist(base / "data", test=300)
    ganzoo.train("vanilla-mnist", steps=10, out=base / "vanilla-mnist", data_dir=data, overrides=TINY, quiet=True,
                 download=False)  # fmt: skip
    ganzoo.train("cgan-mnist", steps=10, out=base / "cgan-mnist", data_dir=data, overrides=TINY, quiet=True,
                 download=False)  # fmt: skip
    ganzoo.train("ring-8", steps=30, out=base / "ring-8", overrides=TINY_RING, quiet=True)
    return base


def test_every_number_carries_its_pinned_name_and_provenance(runs):
    result = CliRunner().invoke(cli, ["eval", str(runs / "vanilla-mnist"), "--n", "200", "--seed", "3", "--json",
                                      "--data-dir", str(runs / "data")])  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    spec = ganzoo.get_registry().get("extractor", "lenet-mnist")
    names = {m["name"] for m in record["metrics"]}
    tag = f"[lenet-mnist@{spec.sha256[:8]}]"
    for metric in ("fid", "kid", "precision", "recall", "density", "coverage", "classes_covered", "class_kl_uniform"):
        assert f"{metric}{tag}" in names
    assert not any(m["metric"] == "fid" and m["name"] == "fid" for m in record["metrics"]), "a LeNet FID is never plain fid"
    for m in record["metrics"]:
        assert m["n_generated"] == 200 and m["n_reference"] == 200 and m["reference"] == "mnist:test"
        assert m["extractor_sha256"] == spec.sha256 and m["seed"] == 3
    assert record["primary"] == f"fid{tag}"
    stored = json.loads((runs / "vanilla-mnist" / "eval.json").read_text())
    assert stored["evaluations"][-1]["metrics"] == record["metrics"]


def test_the_same_seed_gives_the_same_numbers_and_the_global_rng_is_untouched(runs):
    from ganzoo.evaluation.targets import evaluate_target

    state = torch.get_rng_state()
    first, _ = evaluate_target(runs / "vanilla-mnist", n=150, metrics=["fid", "kid"], seed=1, data_dir=runs / "data")
    second, _ = evaluate_target(runs / "vanilla-mnist", n=150, metrics=["fid", "kid"], seed=1, data_dir=runs / "data")
    other, _ = evaluate_target(runs / "vanilla-mnist", n=150, metrics=["fid", "kid"], seed=2, data_dir=runs / "data")
    assert first.values() == second.values() and first.values() != other.values()
    assert torch.equal(state, torch.get_rng_state())


def test_a_conditional_model_reports_how_often_the_classifier_agrees_with_its_labels(runs):
    from ganzoo.evaluation.targets import evaluate_target

    evaluation, _ = evaluate_target(runs / "cgan-mnist", n=100, metrics=["classes"], data_dir=runs / "data")
    metrics = {r.metric for r in evaluation.records}
    assert {"classes_covered", "class_agreement"} <= metrics


def test_a_2d_run_is_evaluated_by_mode_coverage(runs):
    result = CliRunner().invoke(cli, ["eval", str(runs / "ring-8"), "--json"])
    assert result.exit_code == 0, result.output
    values = {m["name"]: m for m in json.loads(result.output)["metrics"]}
    assert set(values) == {"modes_covered[ring-8]", "modes_missed[ring-8]", "high_quality[ring-8]"}
    assert values["modes_covered[ring-8]"]["value"] + values["modes_missed[ring-8]"]["value"] == 8
    assert values["modes_covered[ring-8]"]["n_generated"] == 2500  # the PacGAN protocol's sample count


def test_metrics_that_do_not_apply_are_refused_in_words(runs):
    result = CliRunner().invoke(cli, ["eval", str(runs / "ring-8"), "--metrics", "fid"])
    assert result.exit_code == 1 and "does not apply" in result.output and "modes" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["eval", str(runs / "ring-8"), "--metrics", "mode"])
    assert result.exit_code == 1 and "unknown metric 'mode'" in result.output and "did you mean 'modes'" in result.output
    result = CliRunner().invoke(cli, ["eval", str(runs / "vanilla-mnist"), "--metrics", "FDI", "--data-dir", str(runs / "data")])
    assert result.exit_code == 1 and "unknown metric 'FDI'" in result.output and "did you mean 'fid'" in result.output
    result = CliRunner().invoke(cli, ["eval", str(runs / "vanilla-mnist"), "--n", "1", "--data-dir", str(runs / "data")])
    assert result.exit_code == 1 and "at least" in result.output
    # Every family's minimum is checked before any sample is made: pr's and dc's k + 1 too.
    result = CliRunner().invoke(cli, ["eval", str(runs / "vanilla-mnist"), "--n", "5", "--metrics", "fid,dc",
                                      "--data-dir", str(runs / "data")])  # fmt: skip
    assert result.exit_code == 1 and "--n must be at least 6 for fid, dc, got 5" in result.output
    assert "Traceback" not in result.output


def test_too_few_evaluation_samples_are_refused_before_training(tmp_path):
    from ganzoo.errors import ConfigError

    with pytest.raises(ConfigError, match="train.eval_samples must be at least 2") as caught:
        ganzoo.train("ring-8", steps=4, out=tmp_path / "run", quiet=True,
                     overrides={"train.eval_every": 2, "train.eval_samples": 1, "dataset.samples": 256})  # fmt: skip
    assert "set train.eval_samples to 10000" in caught.value.fix
    assert not (tmp_path / "run").exists()


def test_an_extractor_file_with_a_wrong_hash_is_refused(tmp_path):
    spec = ganzoo.get_registry().get("extractor", "lenet-mnist")
    altered = tmp_path / "lenet.safetensors"
    data = bytearray(extractors.weights_path(spec).read_bytes())
    data[-1] ^= 0x01  # one flipped bit in the last weight
    altered.write_bytes(bytes(data))
    forged = replace(spec, weights=str(altered))
    with pytest.raises(extractors.ExtractorError, match="wrong sha256"):
        extractors.load_extractor(forged)
    missing = replace(spec, weights=str(tmp_path / "absent.safetensors"))
    with pytest.raises(extractors.ExtractorError, match="missing"):
        extractors.load_extractor(missing)


def test_a_dataset_without_an_extractor_is_refused_in_words():
    with pytest.raises(extractors.ExtractorError, match="no feature extractor is registered for dataset 'image-folder'"):
        extractors.extractor_for_dataset("image-folder")


def test_the_training_evaluator_scores_a_generator_with_a_primary_metric(runs):
    from ganzoo.artifacts.runs import read_run_config
    from ganzoo.artifacts.runs import load_run_generator, run_dataset_info

    config = read_run_config(runs / "vanilla-mnist")
    config["train"]["eval_samples"] = 100
    info = run_dataset_info(runs / "vanilla-mnist", runs / "data")
    evaluator = build_training_evaluator(config, info, torch.device("cpu"), data_dir=runs / "data")
    generator = load_run_generator(runs / "vanilla-mnist", info=info).train()
    scores = evaluator(generator)
    assert scores["primary"].startswith("fid[lenet-mnist@") and scores[scores["primary"]] > 0
    assert generator.training, "the evaluator restores the generator's mode"


@pytest.mark.real_data
def test_the_extractors_recorded_accuracy_matches_a_re_measurement(real_data_dir):
    from ganzoo.evaluation.lenet import accuracy

    for name, dataset in (("lenet-mnist", "mnist"), ("lenet-fashion-mnist", "fashion-mnist")):
        spec = ganzoo.get_registry().get("extractor", name)
        config = json.loads((extractors.weights_path(spec).parent / "config.json").read_text())
        test = ganzoo.get_registry().get("dataset", dataset).build(real_data_dir, train=False, download=False)
        images = test.x.float() * test.scale + test.shift
        assert accuracy(extractors.load_extractor(spec), images, test.y) == pytest.approx(config["test_accuracy"], abs=1e-9)


def test_an_unreadable_eval_json_is_kept_aside_and_an_existing_out_file_needs_force(runs, tmp_path):
    import shutil

    run = tmp_path / "ring"
    shutil.copytree(runs / "ring-8", run)
    (run / "eval.json").write_text("garbage{")
    (tmp_path / "results.json").write_text("earlier results")
    args = ["eval", str(run), "--n", "200", "--out", str(tmp_path / "results.json")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--force" in result.output  # refused before evaluating
    assert (tmp_path / "results.json").read_text() == "earlier results"
    result = CliRunner().invoke(cli, [*args, "--force"])
    assert result.exit_code == 0, result.output
    kept = [p for p in run.iterdir() if p.name.startswith("eval.json.unreadable-")]
    assert len(kept) == 1 and kept[0].read_text() == "garbage{"
    assert "could not be read" in result.output
    assert len(json.loads((run / "eval.json").read_text())["evaluations"]) == 1
    assert json.loads((tmp_path / "results.json").read_text())["metrics"]
