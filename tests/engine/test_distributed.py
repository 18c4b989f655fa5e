"""Multi-process training: real torchrun processes on gloo, DDP consistency, resume with another process count."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ganzoo.cli import cli
from ganzoo.cli.train_cmd import _args_without_nproc, train_command
from ganzoo.engine import checkpoint as ckpt
from ganzoo.engine.batches import epoch_permutation
from ganzoo.engine.launch import torchrun_argv
from ganzoo.engine.loop import rescaled_cursor

SMALL = [
    "--batch-size", "16", "--no-download", "--quiet",
    "--set", "generator.hidden=[64,64]", "--set", "discriminator.hidden=[64]",
    "--set", "train.checkpoint_every=4", "--set", "train.ddp_check=true",
]  # fmt: skip


def ganzoo_train(*args: str, nproc: int = 1) -> subprocess.CompletedProcess:
    launch = ["--nproc", str(nproc)] if nproc > 1 else []
    return subprocess.run([sys.executable, "-m", "ganzoo", "train", *args, *launch],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.mark.slow
def test_two_processes_train_checkpoint_and_resume_with_one_then_two(tmp_path, tiny_mnist_root):
    out, data = tmp_path / "run", str(tiny_mnist_root)
    done = ganzoo_train("vanilla-mnist", "--steps", "8", "--out", str(out), "--data-dir", data, *SMALL, nproc=2)
    assert done.returncode == 0, done.stdout + done.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["world_size"] == 2
    state = ckpt.load_checkpoint(out / ckpt.CHECKPOINT_NAME)
    # Every step took one batch of 16 on each of the two processes.
    assert (state["step"], state["images_seen"], state["world_size"]) == (8, 8 * 16 * 2, 2)
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines and len({line["step"] for line in lines}) == len(lines)  # rank 0 alone writes the log

    # The same checkpoint resumes in one process, then again in two.
    done = ganzoo_train("--resume", str(out), "--steps", "12", "--data-dir", data, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    state = ckpt.load_checkpoint(out / ckpt.CHECKPOINT_NAME)
    assert (state["step"], state["images_seen"], state["world_size"]) == (12, 8 * 32 + 4 * 16, 1)
    done = ganzoo_train("--resume", str(out), "--steps", "16", "--data-dir", data, "--quiet",
                        "--set", "train.ddp_check=true", nproc=2)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    state = ckpt.load_checkpoint(out / ckpt.CHECKPOINT_NAME)
    assert (state["step"], state["images_seen"], state["world_size"]) == (16, 8 * 32 + 4 * 16 + 4 * 32, 2)
    assert json.loads((out / "run.json").read_text())["world_size"] == 2


CHECK_SCRIPT = textwrap.dedent(
    """
    import sys, torch, torch.distributed as dist
    from torch import nn
    from ganzoo.engine.loop import Distributed
    from ganzoo.errors import TrainingError

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0 if sys.argv[1] == "same" else rank)
    model = nn.Linear(4, 3)
    try:
        Distributed(rank=rank, world_size=2).check_identical({"D": model}, torch.device("cpu"), step=7)
        print(f"rank {rank}: identical")
    except TrainingError as exc:
        print(f"rank {rank}: {exc.message}")
    dist.destroy_process_group()
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["same", "different"])
def test_the_ddp_check_compares_every_rank_with_rank_zero(tmp_path, weights):
    script = tmp_path / "check.py"
    script.write_text(CHECK_SCRIPT)
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                           str(script), weights], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    if weights == "same":
        assert "rank 0: identical" in done.stdout and "rank 1: identical" in done.stdout
    else:
        assert "rank 1's weights differ from rank 0's after step 7" in done.stdout


@pytest.mark.parametrize("saved, now", [(1, 2), (2, 1), (2, 3), (3, 2), (4, 4)])
@pytest.mark.parametrize("cursor", [0, 1, 5, 7])
def test_a_rescaled_cursor_never_repeats_a_sample_and_skips_less_than_a_step(saved, now, cursor):
    batch, n = 4, 240
    order = epoch_permutation(n, seed=3, epoch=0)
    seen = {int(i) for rank in range(saved) for i in order[rank::saved][: cursor * batch]}
    new_cursor = rescaled_cursor(cursor, batch, saved, now)
    upcoming = {int(i) for rank in range(now) for i in order[rank::now][new_cursor * batch:]}
    assert not seen & upcoming
    assert n - len(seen) - len(upcoming) < batch * now
    if saved == now:
        assert new_cursor == cursor


def test_nproc_relaunches_the_same_arguments_under_torchrun():
    ctx = train_command.make_context(
        "train", ["ring-8", "--steps", "5", "--set", "train.lr_g=1e-4", "--no-compile", "--nproc", "2", "-q",
                  "--out", "runs/a b"])  # fmt: skip
    args = _args_without_nproc(ctx)
    assert args == ["ring-8", "--set", "train.lr_g=1e-4", "--steps", "5", "--no-compile", "--out", "runs/a b",
                    "--quiet"]  # fmt: skip
    argv = torchrun_argv(2, args)
    assert argv[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--nproc-per-node=2" in argv and argv[-len(args) - 2:] == ["ganzoo", "train", *args]
    # The rebuilt arguments parse back to the same values.
    again = train_command.make_context("train", list(args))
    assert {k: v for k, v in again.params.items() if k != "nproc"} == \
        {k: v for k, v in ctx.params.items() if k != "nproc"}


@pytest.mark.parametrize("args, env, message", [
    (["--nproc", "0"], {}, "is not a number of processes"),
    (["--nproc", "2"], {"RANK": "0"}, "torchrun already started"),
])  # fmt: skip
def test_bad_nproc_is_a_clear_error(monkeypatch, args, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["train", "ring-8", *args])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
