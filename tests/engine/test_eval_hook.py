"""Evaluation during training: eval.jsonl, best-checkpoint tracking, resume, and the real evaluator."""

from __future__ import annotations

import json

import pytest
import torch

from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.engine.loop import BEST_CHECKPOINT_NAME, BEST_INFO_NAME, EVAL_LOG_NAME
from ganzoo.errors import ConfigError
from test_training import assert_same, checkpoint_tensors, train_tiny


class ScriptedEvaluator:
    """Scores from a script (one per call) and, like a careless plugin, draws from the global RNG."""

    def __init__(self, scores):
        self.scores, self.calls = list(scores), []

    def __call__(self, generator):
        self.calls.append(generator.training)
        torch.randn(1000)  # must not shift training's random numbers
        return {"fid[test]": self.scores[len(self.calls) - 1], "kid[test]": 0.5, "primary": "fid[test]"}


def eval_lines(run):
    return [json.loads(line) for line in (run / EVAL_LOG_NAME).read_text().splitlines()]


def test_evaluations_are_logged_and_the_best_checkpoint_is_kept(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    evaluator = ScriptedEvaluator([5.0, 3.0, 4.0, 9.0])
    train_tiny(run, tiny_mnist_root, steps=10, overrides={"train.eval_every": 3}, evaluator=evaluator)
    assert evaluator.calls == [False] * 4  # the generator is evaluated in eval mode, at steps 3, 6, 9 and the end
    lines = eval_lines(run)
    assert [line["step"] for line in lines] == [3, 6, 9, 10]
    assert [line["fid[test]"] for line in lines] == [5.0, 3.0, 4.0, 9.0]
    assert lines[1]["images_seen"] == 6 * 32 and lines[1]["primary"] == "fid[test]"
    best = json.loads((run / BEST_INFO_NAME).read_text())
    assert best == {"step": 6, "metric": "fid[test]", "value": 3.0}
    assert ckpt.load_checkpoint(run / BEST_CHECKPOINT_NAME)["step"] == 6
    assert ckpt.load_checkpoint(run / ckpt.CHECKPOINT_NAME)["step"] == 10


def test_evaluating_does_not_change_training_and_resumes_bit_exactly(tmp_path, tiny_mnist_root):
    plain, whole, halves = tmp_path / "plain", tmp_path / "whole", tmp_path / "halves"
    every = {"train.eval_every": 4, "train.checkpoint_every": 8}
    train_tiny(plain, tiny_mnist_root, steps=16)
    train_tiny(whole, tiny_mnist_root, steps=16, overrides=every, evaluator=ScriptedEvaluator([4, 3, 2, 1]))
    train_tiny(halves, tiny_mnist_root, steps=10, overrides=every, evaluator=ScriptedEvaluator([4, 3, 0.5]))
    # The end-of-run evaluation at step 10 scored exactly the state the resume starts from: it stays, and so does
    # its best.json; only lines past the checkpoint would be dropped.
    import ganzoo

    ganzoo.train(resume=halves, steps=16, data_dir=tiny_mnist_root, quiet=True, download=False,
                 evaluator=ScriptedEvaluator([2, 1]))  # fmt: skip
    assert_same(checkpoint_tensors(whole / "checkpoint.pt"), checkpoint_tensors(plain / "checkpoint.pt"))
    assert_same(checkpoint_tensors(halves / "checkpoint.pt"), checkpoint_tensors(whole / "checkpoint.pt"))
    assert [line["step"] for line in eval_lines(halves)] == [4, 8, 10, 12, 16]
    assert json.loads((halves / BEST_INFO_NAME).read_text())["step"] == 10  # 0.5 at step 10 was never beaten


def test_the_real_evaluator_scores_mode_coverage_during_a_ring_run(tmp_path):
    run = tmp_path / "ring"
    train_tiny(run, None, steps=20, recipe="ring-8",
               overrides={"train.eval_every": 10, "train.eval_samples": 500})  # fmt: skip
    lines = eval_lines(run)
    assert [line["step"] for line in lines] == [10, 20]
    primary = lines[0]["primary"]
    assert primary in lines[0] and any(key.startswith("modes") for key in lines[0])
    assert lines[0]["tiebreak"] == "high_quality[ring-8]" and lines[0]["tiebreak"] in lines[0]
    assert json.loads((run / BEST_INFO_NAME).read_text())["metric"] == primary


def test_an_image_run_without_an_extractor_for_its_dataset_is_refused_before_training(tmp_path):
    import ganzoo
    from conftest import make_image_folder

    folder = make_image_folder(tmp_path / "images")
    with pytest.raises(ConfigError, match="cannot be evaluated"):
        ganzoo.train(generator="vanilla-mlp-g", discriminator="vanilla-mlp-d", loss="non-saturating",
                     dataset="image-folder", steps=2, out=tmp_path / "run", quiet=True,
                     overrides={"dataset.path": str(folder), "dataset.size": 16, "train.eval_every": 1})  # fmt: skip
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_the_real_evaluator_scores_pinned_lenet_fid_during_an_mnist_run(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=6, overrides={"train.eval_every": 3, "train.eval_samples": 256})
    lines = eval_lines(run)
    assert [line["step"] for line in lines] == [3, 6]
    assert lines[0]["primary"].startswith("fid[lenet-mnist@") and lines[0][lines[0]["primary"]] > 0
    best = json.loads((run / BEST_INFO_NAME).read_text())
    assert best["value"] == min(line[line["primary"]] for line in lines)


def test_the_cli_option_eval_every_turns_it_on(tmp_path):
    from click.testing import CliRunner

    from ganzoo.cli import cli

    run = tmp_path / "ring"
    result = CliRunner().invoke(cli, ["train", "ring-8", "--steps", "4", "--eval-every", "2", "--out", str(run),
                                      "--set", "train.eval_samples=300", "--set", "generator.hidden=[16,16]",
                                      "--set", "discriminator.hidden=[16]", "--set", "dataset.samples=2048"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [line["step"] for line in eval_lines(run)] == [2, 4]
    assert "modes_covered[ring-8]" in result.output  # the progress output reports each evaluation


def test_a_best_checkpoint_from_after_the_resumed_checkpoint_is_kept_until_beaten(tmp_path, tiny_mnist_root):
    import shutil

    import ganzoo

    run = tmp_path / "run"
    every = {"train.eval_every": 2, "train.checkpoint_every": 4}
    train_tiny(run, tiny_mnist_root, steps=4, overrides=every, evaluator=ScriptedEvaluator([5, 4]))
    shutil.copy(run / "checkpoint.pt", tmp_path / "step-4.pt")
    ganzoo.train(resume=run, steps=8, data_dir=tiny_mnist_root, quiet=True, download=False,
                 evaluator=ScriptedEvaluator([3, 3.5]))  # fmt: skip
    assert json.loads((run / BEST_INFO_NAME).read_text())["step"] == 6
    best_model = (run / BEST_CHECKPOINT_NAME).read_bytes()
    # As if the process had died after evaluating step 6 but before its next checkpoint:
    shutil.copy(tmp_path / "step-4.pt", run / "checkpoint.pt")
    ganzoo.train(resume=run, steps=8, data_dir=tiny_mnist_root, quiet=True, download=False,
                 evaluator=ScriptedEvaluator([9, 8]))  # fmt: skip
    # Neither 9 nor 8 beats step 4's 4, let alone step 6's 3: the evaluated model stays.
    assert json.loads((run / BEST_INFO_NAME).read_text()) == {"step": 6, "metric": "fid[test]", "value": 3}
    assert (run / BEST_CHECKPOINT_NAME).read_bytes() == best_model
    assert [line["step"] for line in eval_lines(run)] == [2, 4, 6, 8]
    shutil.copy(tmp_path / "step-4.pt", run / "checkpoint.pt")
    ganzoo.train(resume=run, steps=8, data_dir=tiny_mnist_root, quiet=True, download=False,
                 evaluator=ScriptedEvaluator([2.5, 7]))  # fmt: skip
    assert json.loads((run / BEST_INFO_NAME).read_text()) == {"step": 6, "metric": "fid[test]", "value": 2.5}
    assert ckpt.load_checkpoint(run / BEST_CHECKPOINT_NAME)["step"] == 6


def test_resuming_a_finished_run_does_not_evaluate_its_last_step_again(tmp_path, tiny_mnist_root):
    import ganzoo

    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=4, overrides={"train.eval_every": 2}, evaluator=ScriptedEvaluator([3, 2]))
    again = ScriptedEvaluator([1])
    ganzoo.train(resume=run, steps=4, data_dir=tiny_mnist_root, quiet=True, download=False, evaluator=again)
    assert again.calls == [] and [line["step"] for line in eval_lines(run)] == [2, 4]


class ModesEvaluator:
    """Mode-coverage scores from a script: (modes missed, high-quality share) per call."""

    def __init__(self, scores):
        self.scores = list(scores)

    def __call__(self, generator):
        missed, quality = self.scores.pop(0)
        return {"modes_missed[ring-8]": missed, "high_quality[ring-8]": quality,
                "primary": "modes_missed[ring-8]", "tiebreak": "high_quality[ring-8]"}  # fmt: skip


def test_ties_in_modes_missed_are_broken_by_the_high_quality_share(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    # Steps 2..10: tie 0.17 -> better share 0.65 wins -> worse share 0.5 loses -> a miss loses despite 0.9 -> 0.79 wins.
    scores = [(0.0, 0.17), (0.0, 0.65), (0.0, 0.5), (1.0, 0.9), (0.0, 0.79)]
    train_tiny(run, tiny_mnist_root, steps=10, overrides={"train.eval_every": 2}, evaluator=ModesEvaluator(scores))
    best = json.loads((run / BEST_INFO_NAME).read_text())
    assert best == {"step": 10, "metric": "modes_missed[ring-8]", "value": 0.0,
                    "tiebreak": "high_quality[ring-8]", "tiebreak_value": 0.79}  # fmt: skip
    assert ckpt.load_checkpoint(run / BEST_CHECKPOINT_NAME)["step"] == 10

