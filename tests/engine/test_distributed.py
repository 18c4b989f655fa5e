"""Multi-process training: real torchrun processes on gloo, DDP consistency, resume with another process count."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import torch
from click.testing import CliRunner

from ganzoo.cli import cli
from ganzoo.cli.train_cmd import _args_without_nproc, train_command
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.engine.batches import epoch_permutation
from ganzoo.engine.launch import INTERRUPTED_EXIT, worker_args
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
    assert worker_args(args) == ["-m", "ganzoo", "train", *args]
    # The rebuilt arguments parse back to the same values.
    again = train_command.make_context("train", list(args))
    assert {k: v for k, v in again.params.items() if k != "nproc"} == \
        {k: v for k, v in ctx.params.items() if k != "nproc"}


@pytest.mark.parametrize("args, env, message", [
    (["--nproc", "0"], {}, "is not a number of processes"),
    (["--nproc", "2"], {"RANK": "0"}, "torchrun already started"),
    (["--nproc", "2", "--set", "train.nokey=1"], {}, "unknown key train.nokey"),
    (["--nproc", "2", "--batch-size", "0"], {}, "batch_size"),
])  # fmt: skip
def test_bad_nproc_is_a_clear_error(monkeypatch, args, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["train", "ring-8", *args])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_more_processes_than_cores_on_the_cpu_is_warned_about(tmp_path, capsys):
    import os

    from ganzoo.engine.api import check_before_launch

    cores = len(os.sched_getaffinity(0))
    for nproc, warned in ((cores, False), (cores + 1, True)):
        check_before_launch("ring-8", {}, None, [("train.device", "cpu")], None, tmp_path / f"run-{nproc}", False, nproc)
        err = capsys.readouterr().err
        assert (f"warning: {nproc} processes on {cores} CPU core(s)" in err) == warned


def test_repeated_sigterms_keep_asking_to_stop_but_a_second_ctrl_c_interrupts():
    import os
    import signal

    from ganzoo.engine.loop import _stop_requests

    with _stop_requests() as requested:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)  # what torchrun's forwarding adds
        assert requested.is_set()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)


def test_more_processes_than_gpus_is_a_clear_error(monkeypatch):
    from ganzoo.engine.api import _local_gpu
    from ganzoo.errors import ConfigError

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert _local_gpu(0) == torch.device("cuda", 0)
    with pytest.raises(ConfigError, match="has no GPU of its own: the machine has 1"):
        _local_gpu(1)


def test_errors_of_other_ranks_name_their_process_and_interruptions_are_said_once(monkeypatch, capsys):
    from ganzoo.engine.loop import Interrupted
    from ganzoo.errors import ConfigError

    monkeypatch.setenv("RANK", "1")
    ConfigError("bad thing", "because", "do this").show()
    Interrupted("stopped at step 10").show()
    assert capsys.readouterr().err == "Error (process 1): bad thing. because. Fix: do this.\n"


@pytest.mark.slow
def test_ctrl_c_stops_every_process_at_one_step_with_a_checkpoint(tmp_path, tiny_mnist_root):
    import os
    import signal
    import time

    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "ganzoo", "train", "vanilla-mnist", "--nproc", "2", "--steps", "100000", "--out",
         str(out), "--data-dir", str(tiny_mnist_root), *SMALL, "--set", "train.log_every=10"],
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    metrics, deadline = out / "metrics.jsonl", time.monotonic() + 120
    while not (metrics.exists() and len(metrics.read_text().splitlines()) >= 2):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the launcher, torchrun, the processes
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == INTERRUPTED_EXIT, stdout + stderr
    assert stderr.count("training was interrupted at step") == 1 and "Traceback" not in stderr
    state = ckpt.load_checkpoint(out / ckpt.CHECKPOINT_NAME)
    assert state["step"] >= 20 and state["step"] % 10 == 0  # the ranks agree on a multiple of 10
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"


def test_a_process_group_the_caller_created_is_used_and_left_alone(tmp_path):
    import torch.distributed as torch_dist

    from ganzoo.engine.api import join_process_group

    torch_dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        assert join_process_group(torch.device("cpu")) is False  # not ganzoo's to end
        assert torch_dist.is_initialized()
    finally:
        torch_dist.destroy_process_group()
