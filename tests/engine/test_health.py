"""Training health: no checkpoint with non-finite weights, diverged runs keep their evidence."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

import ganzoo
from conftest import make_registry
from ganzoo.cli import cli
from ganzoo.engine import checkpoint as ckpt
from ganzoo.engine.health import Diverged, non_finite_networks, non_finite_tensors
from ganzoo.errors import RunDirectoryError
from ganzoo.zoo.gan_losses import NonSaturatingLoss
from test_training import TINY_MNIST, train_tiny

#: A learning rate whose first Adam step takes G's weights past float32's largest value
#: (3.4e38), while D trains normally: losses stay finite, G's weights do not.
G_OVERFLOWS = {"train.lr_g": 1e39, "train.lr_d": 2e-4}


def test_non_finite_networks_names_each_network_with_a_nan_or_infinity():
    def net(fill=None):
        module = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))
        if fill is not None:
            with torch.no_grad():
                module[0].weight.fill_(fill)
        return module

    with_inf_buffer = net()
    with_inf_buffer[1].running_var[0] = float("inf")  # a buffer is saved with the weights too
    huge = net(3e38)  # finite, though a norm of these weights would overflow to infinity
    networks = {"G": net(), "D": net(float("nan")), "G_ema": with_inf_buffer, "huge": huge, "absent": None}
    assert non_finite_networks(networks) == ["D", "G_ema"]
    assert non_finite_networks({"G": net()}) == []
    state = {"a": torch.ones(2), "b": torch.tensor([1.0, float("-inf")]), "steps": torch.tensor(3)}
    assert non_finite_tensors(state) == ["b"]


def test_a_run_diverging_at_step_1_keeps_no_checkpoint_but_its_config_metrics_and_status(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    overrides = {**G_OVERFLOWS, "train.log_every": 1, "train.checkpoint_every": 1}
    with pytest.raises(Diverged, match="weights of G and G_ema became non-finite by step 1") as caught:
        train_tiny(run, tiny_mnist_root, steps=5, overrides=overrides)
    assert caught.value.exit_code != 0 and caught.value.step == 1
    assert "no checkpoint had been written yet" in caught.value.why and "lower learning rates" in caught.value.fix
    assert not (run / "checkpoint.pt").exists()
    assert not list(run.rglob("*.tmp"))
    assert json.loads((run / "config.json").read_text())["train"]["lr_g"] == 1e39
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1]
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "diverged" and info["diverged_at_step"] == 1
    assert "non-finite" in info["error"]


class _NanGradientLoss(NonSaturatingLoss):
    """Non-saturating, but from the ``nan_after``-th generator step on G's loss is finite and its gradient NaN."""

    def __init__(self, nan_after: int = 0) -> None:
        super().__init__()
        self.nan_after, self.g_calls = nan_after, 0

    def g_objective(self, fake_scores):
        self.g_calls += 1
        loss = super().g_objective(fake_scores)
        if self.nan_after and self.g_calls >= self.nan_after:
            # sqrt at 0: the value adds 0, the gradient is inf * 0 = NaN.
            loss = loss + torch.sqrt((fake_scores - fake_scores.detach()).abs()).sum()
        return loss


class NanGradientPlugin:
    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_losses():
        yield ganzoo.LossSpec(name="nan-gradient", summary="NaN gradients.", build=_NanGradientLoss,
                              defaults={"nan_after": 0})  # fmt: skip


def test_the_checkpoint_the_error_calls_last_good_holds_finite_weights(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    overrides = {**TINY_MNIST, "loss.nan_after": 3, "train.log_every": 1, "train.checkpoint_every": 1}
    with pytest.raises(Diverged, match="weights of G and G_ema became non-finite by step 3") as caught:
        ganzoo.train("vanilla-mnist", loss="nan-gradient", steps=6, out=run, data_dir=tiny_mnist_root,
                     overrides=overrides, quiet=True, registry=make_registry(NanGradientPlugin))  # fmt: skip
    assert f"the last good checkpoint, {run / 'checkpoint.pt'}" in caught.value.why
    state = ckpt.load_checkpoint(run / "checkpoint.pt")
    assert state["step"] == 2
    for part in ("generator", "discriminator", "ema"):
        assert not non_finite_tensors(state[part]), part
    assert json.loads((run / "run.json").read_text())["diverged_at_step"] == 3


def test_a_diverged_run_is_not_resumed_and_is_replaced_only_with_overwrite(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    runner = CliRunner()
    args = ["train", "vanilla-mnist", "--out", str(run), "--data-dir", str(tiny_mnist_root), "--no-download", "-q",
            "--steps", "3"] + [f"--set={key}={json.dumps(value)}" for key, value in TINY_MNIST.items()]  # fmt: skip
    result = runner.invoke(cli, args + ["--set", "train.lr_g=1e39", "--set", "train.checkpoint_every=1"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "became non-finite by step 1" in result.output

    with pytest.raises(RunDirectoryError, match="diverged at step 1 and cannot be resumed") as caught:
        ganzoo.train(resume=run, steps=5, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert "--overwrite" in caught.value.fix and "lower learning rates" in caught.value.fix
    result = runner.invoke(cli, args)
    assert result.exit_code != 0 and "diverged at step 1" in result.output and "--resume" not in result.output

    result = runner.invoke(cli, args + ["--overwrite"])
    assert result.exit_code == 0, result.output
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    assert "diverged_at_step" not in json.loads((run / "run.json").read_text())
    assert ckpt.load_checkpoint(run / "checkpoint.pt")["step"] == 3
