"""Training health: no checkpoint with non-finite weights, diverged runs keep their evidence."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

import ganzoo
from conftest import make_registry
from ganzoo.cli import cli
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.artifacts.finite import non_finite_tensors
from ganzoo.engine.health import CollapseDetector, Diverged, collapse_sign, non_finite_networks
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
    result = CliRunner().invoke(cli, ["sample", str(run), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "diverged before its first checkpoint, so it has no weights" in result.output


def test_a_diverged_generator_is_not_evaluated_during_training(tmp_path, tiny_mnist_root):
    evaluated = []

    def evaluator(generator):
        evaluated.append(non_finite_networks({"G": generator}))
        return {"score": 1.0, "primary": "score"}

    overrides = {**G_OVERFLOWS, "train.eval_every": 1, "train.checkpoint_every": 100}
    with pytest.raises(Diverged, match="non-finite by step 1"):
        train_tiny(tmp_path / "run", tiny_mnist_root, steps=5, overrides=overrides, evaluator=evaluator)
    assert evaluated == [] and not (tmp_path / "run" / "best.pt").exists()


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


# Collapse.


def _feed(detector, trace, every=10):
    """Feed ``(d_loss, g_loss)`` pairs as logging steps every ``every`` steps; the steps at which it fired."""
    return [step for step, (d, g) in zip(range(every, every * (len(trace) + 1), every), trace) if detector.observe(step, d, g)]


def test_the_collapse_heuristic_on_synthetic_loss_traces():
    healthy = [(1.3 + 0.2 * (-1) ** i, 0.8 + 0.5 * (i % 3)) for i in range(40)] + [(0.3, 9.0), (1e-4, 3.0)]
    assert _feed(CollapseDetector(), healthy) == []
    # D wins for good at the 6th log (step 60): declared at the 3rd such log that spans 50 steps from the last
    # healthy one (step 50) -- step 100 -- and only once.
    d_wins = [(1.2, 0.9)] * 5 + [(0.0, 45.0), (2e-4, 60.0), (0.0, 80.0), (0.0, 71.0), (1e-5, 90.0)] + [(0.0, 99.0)] * 5
    detector = CollapseDetector()
    assert _feed(detector, d_wins) == [100]
    assert detector.report == {"step": 100, "since_step": 60, "sign": collapse_sign(0.0, 45.0), "d_loss": 1e-5,
                               "g_loss": 90.0, "logs": 5}  # fmt: skip
    assert "discriminator has won" in detector.report["sign"] and "stop_on_collapse" in detector.warning()
    # Exploded losses, either of them, of either sign; a healthy log in between starts the count again.
    exploded = [(3e4, 0.0), (-2e3, 5.0), (1.0, 1.0), (1.0, 2e20), (5.0, -4e3), (7e32, 1e30), (1e5, 0.0), (2e3, 1.0)]
    assert _feed(CollapseDetector(), exploded, every=20) == [120]  # the 3rd in a row after step 60
    # A short stretch is not sustained: three logs that span fewer than 50 steps, or many steps in two logs.
    assert _feed(CollapseDetector(), [(1.0, 1.0)] + [(0.0, 50.0)] * 3 + [(1.0, 1.0)], every=5) == []
    assert _feed(CollapseDetector(), [(1.0, 1.0)] + [(0.0, 50.0)] * 2 + [(1.0, 1.0)], every=100) == []
    # Non-finite losses are divergence, stopped elsewhere; a resumed run counts from where it resumed.
    assert _feed(CollapseDetector(), [(float("nan"), 1.0)] * 10) == []
    assert CollapseDetector(start_step=1000).observe(1020, 0.0, 50.0) is False


#: On tiny MNIST, learning rates of 1e3 send both losses past 1e8 within 5 steps and keep them there.
COLLAPSING = {**TINY_MNIST, "train.lr_g": 1e3, "train.lr_d": 1e3, "train.log_every": 5, "train.checkpoint_every": 30}


def test_a_collapsed_run_is_reported_and_stopped_only_when_asked(tmp_path, tiny_mnist_root):
    result = train_tiny(tmp_path / "warned", tiny_mnist_root, steps=60, overrides=COLLAPSING)
    assert result.step == 60 and result.collapse["step"] == 50 and result.collapse["since_step"] == 5
    info = json.loads((tmp_path / "warned" / "run.json").read_text())
    assert info["status"] == "finished" and info["collapse"] == result.collapse
    healthy = train_tiny(tmp_path / "healthy", tiny_mnist_root, steps=60, overrides={"train.log_every": 5})
    assert healthy.collapse is None and "collapse" not in json.loads((tmp_path / "healthy" / "run.json").read_text())

    run = tmp_path / "stopped"
    args = ["train", "vanilla-mnist", "--out", str(run), "--data-dir", str(tiny_mnist_root), "--no-download",
            "--steps", "60", "--set", "train.stop_on_collapse=true"]
    args += [f"--set={key}={json.dumps(value)}" for key, value in COLLAPSING.items()]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "warning: training looks collapsed" in result.output
    assert "training collapsed and was stopped at step 50" in result.output
    assert "train.stop_on_collapse=false" in result.output
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "collapsed" and info["collapse"]["step"] == 50
    assert ckpt.load_checkpoint(run / "checkpoint.pt")["step"] == 30  # no checkpoint is written for the stop
    assert [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()][-1] == 50
    # The heuristic may be wrong: a resume may turn the stop off and train on.
    resumed = ganzoo.train(resume=run, steps=60, overrides={"train.stop_on_collapse": False}, quiet=True,
                           data_dir=tiny_mnist_root, download=False)  # fmt: skip
    assert resumed.step == 60 and json.loads((run / "run.json").read_text())["status"] == "finished"


def test_a_run_whose_config_predates_stop_on_collapse_resumes(tmp_path, tiny_mnist_root):
    from ganzoo.engine.loop import _digest

    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=4)
    config = json.loads((run / "config.json").read_text())
    del config["train"]["stop_on_collapse"]  # as an older ganzoo wrote it
    (run / "config.json").write_text(json.dumps(config))
    assert _digest(config) == ckpt.load_checkpoint(run / "checkpoint.pt")["config_digest"]
    result = ganzoo.train(resume=run, steps=8, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert result.step == 8
    assert json.loads((run / "config.json").read_text())["train"]["stop_on_collapse"] is False
