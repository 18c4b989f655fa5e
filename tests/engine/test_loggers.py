"""Experiment loggers: TensorBoard and CSV read back, resumes, missing extras, failing plugins, the setting."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import ganzoo
import ganzoo.testing as gt
from conftest import make_registry
from ganzoo.cli import cli
from ganzoo.config import RESUMABLE_KEYS, build_config, resumed_config, weights_config
from ganzoo.engine.report import Reporter
from ganzoo.errors import ConfigError, UnknownNameError
from ganzoo.loggers import Logger, LoggerGroup, scalars

#: InfoGAN logs named terms of its G phase (g_adv, g_info_cat, g_info_cont) besides the losses.
TINY_INFOGAN = {"train.batch_size": 16, "train.log_every": 2, "train.sample_every": 4, "train.checkpoint_every": 4,
                "train.device": "cpu"}


def metrics_lines(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def event_accumulator(run: Path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="the extra 'tensorboard' is not installed (pip install 'torch-ganzoo[tensorboard]')",
    )
    events = accumulator.EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def scalar_series(events, tag: str) -> list[tuple[int, float]]:
    return [(event.step, event.value) for event in events.Scalars(tag)]


def test_tensorboard_holds_every_logged_number_each_evaluation_and_the_sample_grids(tmp_path, tiny_mnist_root):
    pytest.importorskip("tensorboard", reason="the extra 'tensorboard' is not installed")

    def evaluator(generator):
        return {"made-up": 1.5, "primary": "made-up"}

    run = tmp_path / "run"
    ganzoo.train("infogan-mnist", steps=8, out=run, data_dir=tiny_mnist_root, download=False, quiet=True,
                 overrides={**TINY_INFOGAN, "train.eval_every": 4}, loggers=["tensorboard"], evaluator=evaluator)  # fmt: skip
    events = event_accumulator(run)
    lines = metrics_lines(run)
    assert [line["step"] for line in lines] == [2, 4, 6, 8]
    keys = {key for line in lines for key, value in line.items() if key != "step" and isinstance(value, float)}
    assert {"d_loss", "g_loss", "d_real", "d_fake", "g_info_cat", "g_info_cont", "kimg", "img_per_s"} <= keys
    assert keys <= set(events.Tags()["scalars"])
    for key in keys:  # every key of every stats line, at its step, with its value
        expected = [(line["step"], pytest.approx(line[key], rel=1e-6)) for line in lines if line.get(key) is not None]
        assert scalar_series(events, key) == expected, key
    assert scalar_series(events, "eval/made-up") == [(4, 1.5), (8, 1.5)]
    grids = events.Images("samples")
    assert [image.step for image in grids] == [4, 8]  # each grid the run wrote (final.png repeats step 8's)
    from PIL import Image

    written = Image.open(run / "samples" / "step-0000004.png")
    assert (grids[0].width, grids[0].height) == written.size


def test_resuming_hides_what_an_interrupted_segment_logged_past_its_checkpoint(tmp_path, tiny_mnist_root):
    pytest.importorskip("tensorboard", reason="the extra 'tensorboard' is not installed")
    run = tmp_path / "run"
    common = dict(data_dir=tiny_mnist_root, download=False, quiet=True)
    ganzoo.train("infogan-mnist", steps=4, out=run, overrides=TINY_INFOGAN, loggers=["tensorboard", "csv"], **common)
    shutil.copy(run / "checkpoint.pt", tmp_path / "step-4.pt")
    ganzoo.train(resume=run, steps=6, **common)  # logs step 6, then "dies": its checkpoint is thrown away
    shutil.copy(tmp_path / "step-4.pt", run / "checkpoint.pt")
    ganzoo.train(resume=run, steps=8, **common)
    lines = metrics_lines(run)
    assert [line["step"] for line in lines] == [2, 4, 6, 8]
    events = event_accumulator(run)
    assert scalar_series(events, "g_loss") == [(line["step"], pytest.approx(line["g_loss"], rel=1e-6)) for line in lines]
    with (run / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["step"]) for row in rows] == [2, 4, 6, 8]
    assert [float(row["g_loss"]) for row in rows] == [pytest.approx(line["g_loss"]) for line in lines]


def test_csv_logger_writes_every_key_and_widens_for_late_ones(tmp_path):
    from ganzoo.zoo.csv_logger import CSVLogger

    logger = CSVLogger()
    logger.start(tmp_path, start_step=0, config={})
    logger.log_metrics(1, {"step": 1, "d_loss": 0.5, "d_real": None})
    logger.log_metrics(2, {"step": 2, "d_loss": 0.25, "d_reg_r1": 3.0})  # a lazy phase's first value
    logger.close()
    with (tmp_path / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [{"step": "1", "d_loss": "0.5", "d_reg_r1": ""}, {"step": "2", "d_loss": "0.25", "d_reg_r1": "3.0"}]
    assert not (tmp_path / "eval.csv").exists()


def test_a_missing_tensorboard_is_refused_before_anything_is_read_or_written(tmp_path, monkeypatch, tiny_mnist_root):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if tensorboard were not installed
    with pytest.raises(ConfigError) as caught:
        ganzoo.train("ring-8", steps=2, out=tmp_path / "run", quiet=True, loggers=["tensorboard"])
    assert "pip install 'torch-ganzoo[tensorboard]'" in str(caught.value)
    assert not (tmp_path / "run").exists()
    result = CliRunner().invoke(cli, ["train", "ring-8", "--steps", "2", "--out", str(tmp_path / "cli"), "--log",
                                      "tensorboard"])  # fmt: skip
    assert result.exit_code == 2 and "torch-ganzoo[tensorboard]" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "cli").exists()


def test_an_unknown_logger_answers_with_the_known_ones(tmp_path):
    result = CliRunner().invoke(cli, ["train", "ring-8", "--steps", "2", "--out", str(tmp_path / "r"), "--log", "tensorbord"])
    assert result.exit_code == 2 and "did you mean tensorboard" in result.output
    with pytest.raises(UnknownNameError):
        ganzoo.train("ring-8", steps=2, out=tmp_path / "r2", quiet=True, overrides={"train.loggers": ["wandb"]})


class _Broken(Logger):
    def log_metrics(self, step, stats):
        raise ConnectionError("tracker unreachable")


class _Messages(Reporter):
    def __init__(self):
        self.lines = []

    def message(self, text):
        self.lines.append(text)


class _BrokenLoggerPlugin:
    @staticmethod
    def ganzoo_loggers():
        yield ganzoo.LoggerSpec(name="broken", summary="Fails at its first stats line.", build=_Broken)


def test_a_failing_logger_is_reported_once_and_the_run_finishes(tmp_path):
    registry = make_registry(_BrokenLoggerPlugin)
    reporter = _Messages()
    result = ganzoo.train("ring-8", steps=10, out=tmp_path / "run", reporter=reporter, registry=registry,
                          overrides={"train.log_every": 2, "dataset.samples": 512, "train.device": "cpu"},
                          loggers=["broken", "csv"])  # fmt: skip
    assert result.step == 10
    failures = [line for line in reporter.lines if "logger 'broken'" in line]
    assert len(failures) == 1 and "tracker unreachable" in failures[0] and "switched off" in failures[0]
    assert len((tmp_path / "run" / "metrics.csv").read_text().splitlines()) == 1 + 5  # the others keep logging


def test_logger_group_and_scalars():
    calls = []

    class Recording(Logger):
        def log_eval(self, step, scores):
            calls.append((step, scalars(scores)))

    group = LoggerGroup({"a": Recording()}, warn=calls.append)
    group.log_eval(3, {"fid": 2.0, "primary": "fid", "n": 5, "ok": True, "bad": float("nan"), "step": 3})
    assert calls == [(3, {"fid": 2.0, "n": 5.0})]


def test_loggers_are_a_resumable_setting_that_leaves_the_digest_alone(registry):
    plain = build_config(registry, "ring-8")
    logged = build_config(registry, "ring-8", overrides=[("train.loggers", "tensorboard,csv")])
    assert logged["train"]["loggers"] == ["tensorboard", "csv"]
    assert "loggers" in RESUMABLE_KEYS and weights_config(plain) == weights_config(logged)
    assert resumed_config(plain, [("train.loggers", ["csv"])])["train"]["loggers"] == ["csv"]
    for bad in (["Tensor Board"], ["csv", "csv"], [3]):
        with pytest.raises(ConfigError, match="train.loggers"):
            build_config(registry, "ring-8", overrides=[("train.loggers", bad)])


@pytest.mark.parametrize("name", make_registry().names("logger"))
def test_every_registered_logger_conforms(name, tmp_path):
    if name == "tensorboard":
        pytest.importorskip("tensorboard", reason="the extra 'tensorboard' is not installed")
    gt.check_logger(make_registry().get("logger", name), run_dir=tmp_path)


@pytest.mark.slow
def test_a_real_ganzoo_process_logs_to_tensorboard_and_csv(tmp_path):
    pytest.importorskip("tensorboard", reason="the extra 'tensorboard' is not installed")
    run = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "ganzoo", "train", "ring-8", "--steps", "6", "--out", str(run),
                           "--device", "cpu", "--set", "train.log_every=3", "--set", "dataset.samples=512",
                           "--log", "tensorboard", "--log", "csv", "-q"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((run / "config.json").read_text())["train"]["loggers"] == ["tensorboard", "csv"]
    assert [step for step, _ in scalar_series(event_accumulator(run), "d_loss")] == [3, 6]
    assert (run / "metrics.csv").read_text().startswith("step,")
