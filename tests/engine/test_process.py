"""Real ganzoo processes: the CLI, SIGKILL between checkpoints, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganzoo.cli import cli
from ganzoo.artifacts import checkpoint as ckpt
from test_training import assert_same, checkpoint_tensors

SETTINGS = [
    "--set", "generator.hidden=[64,64]", "--set", "discriminator.hidden=[64]",
    "--set", "train.log_every=50", "--set", "train.sample_every=100000",
    "--batch-size", "32", "--no-download",
]  # fmt: skip


def ganzoo_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "ganzoo", *args]


def run_to_end(out: Path, data: Path, steps: int, *extra: str) -> None:
    done = subprocess.run(ganzoo_cmd("train", "vanilla-mnist", "--steps", str(steps), "--out", str(out),
                                     "--data-dir", str(data), *SETTINGS, *extra),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr


def wait_for_checkpoint(process: subprocess.Popen, path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else "process ended early"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.02)


def test_cli_train_then_resume(tmp_path, tiny_mnist_root):
    runner = CliRunner()
    out = tmp_path / "run"
    result = runner.invoke(cli, ["train", "vanilla-mnist", "--steps", "6", "--out", str(out), "--data-dir",
                                 str(tiny_mnist_root), *SETTINGS])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "done: 6 steps" in result.output and "step 6/6" in result.output
    result = runner.invoke(cli, ["train", "--resume", str(out), "--steps", "8", "--data-dir", str(tiny_mnist_root)])
    assert result.exit_code == 0, result.output
    assert "from step 6" in result.output and "done: 8 steps" in result.output
    assert result.output.startswith(f"run directory: {out}\n")  # said first, as a multi-process run does
    result = runner.invoke(cli, ["train", "--resume", str(out), "--steps", "8", "--data-dir", str(tiny_mnist_root)])
    assert result.exit_code == 0 and "already at step 8; writing its final samples and checkpoint again" in result.output


def test_cli_refuses_to_overwrite_and_explains(tmp_path, tiny_mnist_root):
    out = tmp_path / "run"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["train", "vanilla-mnist", "--steps", "2", "--out", str(out),
                                      "--data-dir", str(tiny_mnist_root)])  # fmt: skip
    assert result.exit_code != 0 and "already exists" in result.output and "--overwrite" in result.output
    assert (out / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--batch-size", "0"], "batch_size must be positive"),
        (["--set", "train.lr_d=-0.1"], "positive learning rate"),
        (["--device", "quantum"], "unknown device"),
        (["--set", "train.nope=1"], "valid train keys"),
    ],
)
def test_cli_bad_values_exit_non_zero_without_traceback(tmp_path, tiny_mnist_root, args, message):
    result = CliRunner().invoke(cli, ["train", "vanilla-mnist", "--steps", "2", "--out", str(tmp_path / "r"),
                                      "--data-dir", str(tiny_mnist_root), *args])  # fmt: skip
    assert result.exit_code != 0
    assert message in result.output
    assert result.exc_info is None or result.exc_info[0] is SystemExit


@pytest.mark.slow
def test_sigkill_between_checkpoints_then_resume_is_bit_exact(tmp_path, tiny_mnist_root):
    steps = 1500
    run_to_end(tmp_path / "whole", tiny_mnist_root, steps, "--set", "train.checkpoint_every=200")
    killed = tmp_path / "killed"
    process = subprocess.Popen(ganzoo_cmd("train", "vanilla-mnist", "--steps", str(steps), "--out", str(killed),
                                          "--data-dir", str(tiny_mnist_root), *SETTINGS,
                                          "--set", "train.checkpoint_every=200"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        wait_for_checkpoint(process, killed / "checkpoint.pt")
        time.sleep(0.3)  # die somewhere after the first checkpoint, between two of them
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    saved_step = ckpt.load_checkpoint(killed / "checkpoint.pt")["step"]
    assert 0 < saved_step < steps, "the kill must land before the run finished"
    assert json.loads((killed / "run.json").read_text())["status"] == "running"  # it never got to say otherwise
    done = subprocess.run(ganzoo_cmd("train", "--resume", str(killed), "--data-dir", str(tiny_mnist_root)),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same(checkpoint_tensors(tmp_path / "whole" / "checkpoint.pt"), checkpoint_tensors(killed / "checkpoint.pt"))


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_exits_cleanly_and_resumes_exactly(tmp_path, tiny_mnist_root):
    steps = 1500
    run_to_end(tmp_path / "whole", tiny_mnist_root, steps, "--set", "train.checkpoint_every=100")
    out = tmp_path / "interrupted"
    process = subprocess.Popen(ganzoo_cmd("train", "vanilla-mnist", "--steps", str(steps), "--out", str(out),
                                          "--data-dir", str(tiny_mnist_root), *SETTINGS,
                                          "--set", "train.checkpoint_every=100"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    wait_for_checkpoint(process, out / "checkpoint.pt")
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted at step" in stderr and f"--resume {out}" in stderr
    assert "Traceback" not in stderr
    info = json.loads((out / "run.json").read_text())
    stopped_at = ckpt.load_checkpoint(out / "checkpoint.pt")["step"]
    assert 0 < stopped_at < steps
    # Where it stopped is recorded as for a finished run.
    assert info["status"] == "interrupted" and info["step"] == stopped_at and info["wall_time_s"] > 0
    assert info["images_seen"] == stopped_at * 32 and "d_loss" in info["last_stats"]
    done = subprocess.run(ganzoo_cmd("train", "--resume", str(out), "--data-dir", str(tiny_mnist_root), "--quiet"),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same(checkpoint_tensors(tmp_path / "whole" / "checkpoint.pt"), checkpoint_tensors(out / "checkpoint.pt"))
