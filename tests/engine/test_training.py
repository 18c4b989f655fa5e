"""End-to-end behaviour of the engine through the Python API on tiny data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import ganzoo
import ganzoo.engine.report
from conftest import assert_same, make_registry
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.errors import CheckpointError, ConfigError, DataNotFoundError, RunDirectoryError, TrainingError
from ganzoo.losses import GANLoss

#: Small networks so each test trains in a second or two.
TINY_MNIST = {
    "generator.hidden": [32, 32],
    "discriminator.hidden": [32],
    "train.batch_size": 32,
    "train.log_every": 5,
    "train.sample_every": 10,
    "train.checkpoint_every": 10,
    "train.ema_halflife_kimg": 0.5,
}
TINY_RING = {
    "generator.hidden": [16, 16],
    "discriminator.hidden": [16],
    "dataset.samples": 2048,
    "train.batch_size": 64,
    "train.log_every": 5,
}


def train_tiny(out: Path, data_root: Path, steps: int = 20, recipe: str = "vanilla-mnist", **kwargs):
    overrides = dict(TINY_MNIST if recipe.endswith("mnist") else TINY_RING)
    overrides.update(kwargs.pop("overrides", {}))
    return ganzoo.train(recipe, steps=steps, out=out, data_dir=data_root, overrides=overrides, quiet=True,
                        download=False, **kwargs)  # fmt: skip


def checkpoint_tensors(path: Path) -> dict:
    state = ckpt.load_checkpoint(path)
    state.pop("wall_time")
    return state


def test_a_run_leaves_config_metrics_samples_and_checkpoint(tmp_path, tiny_mnist_root):
    result = train_tiny(tmp_path / "run", tiny_mnist_root, steps=20)
    run = tmp_path / "run"
    assert result.step == 20 and result.images_seen == 20 * 32
    config = json.loads((run / "config.json").read_text())
    assert config["recipe"] == "vanilla-mnist" and config["train"]["steps"] == 20
    assert config["generator"]["params"]["hidden"] == [32, 32]
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["step"] == 20 and info["environment"]["torch"] == torch.__version__
    lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert [l["step"] for l in lines] == [5, 10, 15, 20]
    assert all(math.isfinite(l["d_loss"]) and math.isfinite(l["g_loss"]) and 0 <= l["d_real"] <= 1 for l in lines)
    assert (run / "samples" / "step-0000010.png").is_file() and (run / "samples" / "final.png").is_file()
    assert (run / "samples" / "final.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = torch.load(run / "checkpoint.pt", weights_only=True)  # loads without unpickling code
    assert state["step"] == 20
    assert not list(run.glob(".*tmp"))  # no temporary files left behind


def test_resume_is_bit_exact(tmp_path, tiny_mnist_root):
    # Dropout (global RNG), EMA, n_critic 2 and several epochs of data order all cross the resume.
    extra = {"overrides": {"train.n_critic": 2}}
    train_tiny(tmp_path / "whole", tiny_mnist_root, steps=20, **extra)
    train_tiny(tmp_path / "halves", tiny_mnist_root, steps=10, **extra)
    halfway = checkpoint_tensors(tmp_path / "halves" / "checkpoint.pt")
    assert halfway["step"] == 10 and halfway["epoch"] >= 1
    ganzoo.train(resume=tmp_path / "halves", steps=20, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert_same(checkpoint_tensors(tmp_path / "whole" / "checkpoint.pt"), checkpoint_tensors(tmp_path / "halves" / "checkpoint.pt"))
    whole_metrics = (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()
    resumed_metrics = (tmp_path / "halves" / "metrics.jsonl").read_text().splitlines()
    strip = lambda lines: [{k: v for k, v in json.loads(l).items() if k not in ("img_per_s", "wall_time")} for l in lines]
    assert strip(whole_metrics) == strip(resumed_metrics)


def test_resuming_with_fewer_steps_than_done_is_refused_and_changes_nothing(tmp_path, tiny_mnist_root):
    train_tiny(tmp_path / "run", tiny_mnist_root, steps=6)
    files = ("config.json", "run.json", "checkpoint.pt", "metrics.jsonl", "samples/final.png")
    before = {name: (tmp_path / "run" / name).read_bytes() for name in files}
    with pytest.raises(ConfigError, match="already at step 6; steps 3 asks for fewer") as caught:
        ganzoo.train(resume=tmp_path / "run", steps=3, data_dir=tiny_mnist_root, download=False, quiet=True)
    assert "give a larger --steps" in caught.value.fix
    assert {name: (tmp_path / "run" / name).read_bytes() for name in files} == before


def test_resume_truncates_metrics_written_after_the_checkpoint(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=10)
    with (run / "metrics.jsonl").open("a") as handle:  # as if the run died after logging step 15
        handle.write(json.dumps({"step": 15, "d_loss": 9.9}) + "\n")
    ganzoo.train(resume=run, steps=20, quiet=True, data_dir=tiny_mnist_root, download=False)
    steps = [json.loads(l)["step"] for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [5, 10, 15, 20]


def rewrite_checkpoint(path: Path, change) -> None:
    """Apply ``change`` to the checkpoint's state and save it back."""
    state = ckpt.load_checkpoint(path)
    change(state)
    state.pop("format"), state.pop("format_version")
    ckpt.save_checkpoint(path, state)


class Messages(ganzoo.engine.report.Reporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def message(self, text: str) -> None:
        self.lines.append(text)


def test_checkpoints_from_before_the_noise_device_was_recorded_resume_bit_exactly(tmp_path, tiny_mnist_root):
    train_tiny(tmp_path / "whole", tiny_mnist_root, steps=20)
    train_tiny(tmp_path / "halves", tiny_mnist_root, steps=10)

    def older_format(state):  # what ganzoo wrote before: no device named, every GPU's state in a list, no config
        state["rng"].pop("noise_device")
        state["rng"]["cuda"] = []
        state["config"] = None

    rewrite_checkpoint(tmp_path / "halves" / "checkpoint.pt", older_format)
    ganzoo.train(resume=tmp_path / "halves", steps=20, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert_same(checkpoint_tensors(tmp_path / "whole" / "checkpoint.pt"),
                checkpoint_tensors(tmp_path / "halves" / "checkpoint.pt"))  # fmt: skip


@pytest.mark.parametrize("recorded", [True, False], ids=["device-recorded", "older-checkpoint"])
def test_a_run_moved_from_a_gpu_to_the_cpu_restarts_its_noise_and_says_so(tmp_path, tiny_mnist_root, recorded):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=10)

    def as_if_trained_on_cuda(state):  # a CUDA generator's state is a 16-byte seed and offset
        state["rng"]["noise"] = torch.zeros(16, dtype=torch.uint8)
        if recorded:
            state["rng"]["noise_device"] = "cuda"
        else:
            state["rng"].pop("noise_device")

    rewrite_checkpoint(run / "checkpoint.pt", as_if_trained_on_cuda)
    messages = Messages()
    result = ganzoo.train(resume=run, steps=15, reporter=messages, data_dir=tiny_mnist_root, download=False)
    assert result.step == 15 and math.isfinite(result.last_stats["d_loss"])
    assert any("noise generator restarts from a seed" in line for line in messages.lines)
    assert ckpt.load_checkpoint(run / "checkpoint.pt")["rng"]["noise_device"] == "cpu"


def test_a_resume_that_cannot_start_leaves_the_run_as_it_was(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=6)
    rewrite_checkpoint(run / "checkpoint.pt", lambda state: state.update(config_digest="0" * 16))
    files = ("config.json", "run.json", "checkpoint.pt", "metrics.jsonl")
    before = {name: (run / name).read_bytes() for name in files}
    stale = run / ".checkpoint.pt.abc123.tmp"
    stale.write_bytes(b"left by a killed write")
    with pytest.raises(TrainingError, match="different configuration"):
        ganzoo.train(resume=run, steps=12, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert {name: (run / name).read_bytes() for name in files} == before
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    assert stale.exists()  # nothing at all is touched


def test_a_checkpoint_whose_tensors_do_not_fit_is_refused_in_words(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=4)

    def misshapen(state):
        key = next(k for k in state["generator"] if k.endswith("weight"))
        state["generator"][key] = torch.zeros(3, 3)

    rewrite_checkpoint(run / "checkpoint.pt", misshapen)
    before = (run / "run.json").read_bytes()
    with pytest.raises(CheckpointError, match="does not fit this run") as caught:
        ganzoo.train(resume=run, steps=8, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert "size mismatch" in caught.value.why
    assert (run / "run.json").read_bytes() == before


def test_a_resume_refused_for_an_edited_config_names_what_changed(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=4)
    config = json.loads((run / "config.json").read_text())
    config["generator"]["params"]["hidden"] = [16, 32]
    config["train"]["lr_g"] = 0.5
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(TrainingError, match="different configuration") as caught:
        ganzoo.train(resume=run, steps=8, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert "generator.params.hidden: [32, 32] -> [16, 32]" in caught.value.why
    assert "train.lr_g: 0.0002 -> 0.5" in caught.value.why


def test_a_resume_removes_temporaries_that_a_killed_write_left(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=5)
    stale = [run / ".checkpoint.pt.abc123.tmp", run / "samples" / ".final.png.x1.tmp"]
    for path in stale:
        path.write_bytes(b"left by a killed write")
    ganzoo.train(resume=run, steps=10, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert not any(path.exists() for path in stale)


def test_a_batch_larger_than_the_dataset_is_refused_before_the_run_directory_exists(tmp_path):
    with pytest.raises(ConfigError, match="too few for one batch of 128") as caught:
        train_tiny(tmp_path / "run", tmp_path, steps=2, recipe="ring-8",
                   overrides={"dataset.samples": 100, "train.batch_size": 128})  # fmt: skip
    assert "--batch-size of at most 100" in caught.value.fix
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("n_critic", [1, 3])
def test_the_ema_half_life_counts_generator_images(tmp_path, tiny_mnist_root, n_critic):
    # ema_t = beta * ema_(t-1) + (1 - beta) * G_t with beta = 0.5 ** (batch / half-life in images),
    # whatever n_critic: the half-life spans a fixed number of generator updates.
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=1, overrides={"train.n_critic": n_critic})
    ema_before = ckpt.load_checkpoint(run / "checkpoint.pt")["ema"]
    ganzoo.train(resume=run, steps=2, quiet=True, data_dir=tiny_mnist_root, download=False)
    after = ckpt.load_checkpoint(run / "checkpoint.pt")
    beta = 0.5 ** (TINY_MNIST["train.batch_size"] / (TINY_MNIST["train.ema_halflife_kimg"] * 1000))
    for name, value in after["ema"].items():
        if name.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(value, after["generator"][name])  # batch-norm statistics are copied
        else:
            expected = beta * ema_before[name] + (1 - beta) * after["generator"][name]
            torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-7)


def test_existing_run_directory_is_never_overwritten(tmp_path, tiny_mnist_root):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=5)
    before = (run / "checkpoint.pt").read_bytes()
    with pytest.raises(RunDirectoryError, match="--overwrite"):
        train_tiny(run, tiny_mnist_root, steps=5)
    assert (run / "checkpoint.pt").read_bytes() == before
    train_tiny(run, tiny_mnist_root, steps=5, overwrite=True, overrides={"train.seed": 3})
    assert (run / "checkpoint.pt").read_bytes() != before


def test_resume_errors(tmp_path, tiny_mnist_root):
    with pytest.raises(RunDirectoryError, match="has no config.json"):
        ganzoo.train(resume=tmp_path / "nothing", quiet=True)
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=5)
    with pytest.raises(ConfigError, match="cannot change when resuming"):
        ganzoo.train(resume=run, overrides={"train.lr_g": 1.0}, quiet=True, data_dir=tiny_mnist_root)
    with pytest.raises(ConfigError, match="own configuration"):
        ganzoo.train("ring-8", resume=run, quiet=True)
    with pytest.raises(ConfigError, match="in its own directory"):
        ganzoo.train(resume=run, out=tmp_path / "elsewhere", steps=10, quiet=True)
    (run / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        ganzoo.train(resume=run, steps=10, quiet=True, data_dir=tiny_mnist_root)
    (run / "checkpoint.pt").write_bytes(b"")  # a zero-byte file once broke the message itself
    with pytest.raises(CheckpointError, match="cannot be read"):
        ganzoo.train(resume=run, steps=10, quiet=True, data_dir=tiny_mnist_root)


class _RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_a_checkpoint_with_pickled_code_is_refused_without_advice_to_unpickle_it(tmp_path, capsys):
    torch.save({"format": ckpt.FORMAT, "payload": _RunsCode()}, tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="safe loader refused it") as caught:
        ckpt.load_checkpoint(tmp_path / "checkpoint.pt")
    assert "weights_only" not in caught.value.message
    assert "this must never run" not in capsys.readouterr().out


def test_a_failed_checkpoint_write_leaves_the_previous_one_loadable(tmp_path, tiny_mnist_root, monkeypatch):
    run = tmp_path / "run"
    train_tiny(run, tiny_mnist_root, steps=10)
    good = (run / "checkpoint.pt").read_bytes()

    def crash_mid_write(data, handle, *args, **kwargs):
        handle.write(b"half a checkpoint")
        raise OSError("disk full")

    import ganzoo.artifacts.checkpoint as module

    monkeypatch.setattr(module.torch, "save", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        ganzoo.train(resume=run, steps=20, quiet=True, data_dir=tiny_mnist_root, download=False)
    monkeypatch.undo()
    assert (run / "checkpoint.pt").read_bytes() == good
    assert ckpt.load_checkpoint(run / "checkpoint.pt")["step"] == 10
    assert json.loads((run / "run.json").read_text())["status"] == "failed"
    assert not list(run.glob(".checkpoint.pt.*"))


def test_atomic_write_never_exposes_a_partial_file(tmp_path, monkeypatch):
    from ganzoo.artifacts import atomic

    target = tmp_path / "file.bin"
    atomic.atomic_write_bytes(target, b"old")
    import os as os_module

    def failing_replace(src, dst):
        raise OSError("crash before rename")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError):
        atomic.atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and sorted(os_module.listdir(tmp_path)) == ["file.bin"]


class _SpyLoss(GANLoss):
    """Non-saturating loss that records what the engine hands it."""

    probability_scores = True
    seen: dict = {}

    def __init__(self, nan_after: int = 0, fail_after: int = 0) -> None:
        self.nan_after, self.fail_after, self.calls = nan_after, fail_after, 0
        _SpyLoss.seen = {"fake_requires_grad": set(), "d_frozen_in_g": set(), "g_grads_after_d": set()}
        self.G = None

    def d_objective(self, real_scores, fake_scores):
        self.calls += 1
        value = torch.nn.functional.softplus(-real_scores).mean() + torch.nn.functional.softplus(fake_scores).mean()
        if self.nan_after and self.calls > self.nan_after:
            value = value * float("nan")
        if self.fail_after and self.calls > self.fail_after:
            raise RuntimeError("the spy loss failed")
        return value

    def g_objective(self, fake_scores):
        return torch.nn.functional.softplus(-fake_scores).mean()

    def discriminator_loss(self, D, real, fake, labels, input_grad):
        _SpyLoss.seen["fake_requires_grad"].add(fake.requires_grad)
        return super().discriminator_loss(D, real, fake, labels, input_grad)

    def generator_loss(self, D, real, fake, labels):
        _SpyLoss.seen["d_frozen_in_g"].add(all(not p.requires_grad for p in D.parameters()))
        return super().generator_loss(D, real, fake, labels)


class SpyPlugin:
    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_losses():
        yield ganzoo.LossSpec(name="spy", summary="Spy loss.", build=_SpyLoss,
                              defaults={"nan_after": 0, "fail_after": 0})  # fmt: skip


def test_fakes_are_detached_for_d_and_d_is_frozen_for_g(tmp_path, tiny_mnist_root):
    registry = make_registry(SpyPlugin)
    result = ganzoo.train("vanilla-mnist", loss="spy", steps=4, out=tmp_path / "run", data_dir=tiny_mnist_root,
                          overrides=TINY_MNIST, quiet=True, registry=registry)  # fmt: skip
    assert _SpyLoss.seen["fake_requires_grad"] == {False}
    assert _SpyLoss.seen["d_frozen_in_g"] == {True}
    # requires_grad is restored after the generator step.
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert result.step == 4 and state["opt_d"]["state"]  # D was optimised, so its grads flowed again


def test_non_finite_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path, tiny_mnist_root):
    registry = make_registry(SpyPlugin)
    run = tmp_path / "run"
    overrides = dict(TINY_MNIST, **{"loss.nan_after": 7, "train.checkpoint_every": 3})
    with pytest.raises(TrainingError, match="non-finite at step 7") as caught:
        ganzoo.train("vanilla-mnist", loss="spy", steps=20, out=run, data_dir=tiny_mnist_root, overrides=overrides,
                     quiet=True, registry=registry)  # fmt: skip
    assert caught.value.exit_code != 0
    assert "last good checkpoint" in caught.value.why and "start a new run with lower learning rates" in caught.value.fix
    state = ckpt.load_checkpoint(run / "checkpoint.pt")
    assert state["step"] == 6
    assert all(torch.isfinite(t).all() for t in state["generator"].values())
    assert json.loads((run / "run.json").read_text())["status"] == "diverged"


class _FixedPointsGenerator(torch.nn.Module):
    """Always makes 2-D points, whatever data it is built for."""

    latent_dim = 3

    def __init__(self, data):
        super().__init__()
        self.net = torch.nn.Linear(3, 2)

    def forward(self, z, labels=None):
        return self.net(z)


class _NoSqueezeDiscriminator(torch.nn.Module):
    def __init__(self, data):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(1))

    def forward(self, x, labels=None):
        return self.net(x)  # (B, 1): one dimension too many


class MisfitPlugin:
    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_generators():
        yield ganzoo.GeneratorSpec(name="points-only-g", summary="2-D only.", build=_FixedPointsGenerator)

    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_discriminators():
        yield ganzoo.DiscriminatorSpec(name="unsqueezed-d", summary="Returns (B, 1).", build=_NoSqueezeDiscriminator)


def test_generator_that_does_not_fit_the_data_is_reported_before_training(tmp_path, tiny_mnist_root):
    registry = make_registry(MisfitPlugin)
    with pytest.raises(ConfigError, match=r"shape \(2,\), but the dataset's samples have shape \(1, 28, 28\)"):
        ganzoo.train("vanilla-mnist", generator="points-only-g", steps=2, out=tmp_path / "run",
                     data_dir=tiny_mnist_root, quiet=True, registry=registry)  # fmt: skip
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_discriminator_scores_of_the_wrong_shape_are_reported(tmp_path, tiny_mnist_root):
    registry = make_registry(MisfitPlugin)
    with pytest.raises(ConfigError, match=r"one score per sample, shape \(B,\)"):
        ganzoo.train("vanilla-mnist", discriminator="unsqueezed-d", steps=2, out=tmp_path / "run",
                     data_dir=tiny_mnist_root, quiet=True, registry=registry)  # fmt: skip


def test_bad_component_parameters_are_reported_in_words(tmp_path, tiny_mnist_root):
    with pytest.raises(ConfigError, match="could not build generator 'vanilla-mlp-g'"):
        ganzoo.train("vanilla-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                     overrides={"generator.activation": "swishy"})  # fmt: skip


def test_missing_data_names_directory_files_and_variable(tmp_path):
    with pytest.raises(DataNotFoundError) as caught:
        ganzoo.train("vanilla-mnist", steps=2, out=tmp_path / "run", data_dir=tmp_path / "nowhere", download=False,
                     quiet=True)  # fmt: skip
    message = caught.value.message
    assert str(tmp_path / "nowhere" / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "GANZOO_DATA_DIR" in message and "--data-dir" in message
    assert not (tmp_path / "run").exists()  # a run that never started leaves no directory behind


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_on_cpu(tmp_path, tiny_mnist_root, precision):
    result = train_tiny(tmp_path / "run", tiny_mnist_root, steps=6, precision=precision)
    assert math.isfinite(result.last_stats["d_loss"]) and math.isfinite(result.last_stats["g_loss"])
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert state["scaler_d"] != {} if precision == "fp16" else True


@pytest.mark.parametrize("swap", [{"overrides": {"train.r1_gamma": 10.0}}, {"loss": "wgan-gp"}],
                         ids=["r1", "wgan-gp"])
def test_fp16_trains_with_gradient_penalties(tmp_path, tiny_mnist_root, swap):
    # Both penalties differentiate D's scaled output; at GradScaler's starting scale
    # that overflowed fp16 and the run stopped at step 0 as "non-finite".
    result = train_tiny(tmp_path / "run", tiny_mnist_root, steps=4, precision="fp16", **swap)
    assert result.step == 4 and math.isfinite(result.last_stats["d_loss"])


def test_r1_penalty_changes_the_discriminator_update(tmp_path, tiny_mnist_root):
    train_tiny(tmp_path / "plain", tiny_mnist_root, steps=3)
    train_tiny(tmp_path / "r1", tiny_mnist_root, steps=3, overrides={"train.r1_gamma": 10.0})
    plain = ckpt.load_checkpoint(tmp_path / "plain" / "checkpoint.pt")["discriminator"]
    r1 = ckpt.load_checkpoint(tmp_path / "r1" / "checkpoint.pt")["discriminator"]
    assert any(not torch.equal(plain[k], r1[k]) for k in plain)


def test_warmup_clipping_and_rmsprop_run(tmp_path, tiny_mnist_root):
    overrides = {"train.d_warmup_steps": 3, "train.grad_clip": 0.5, "train.optimizer": "rmsprop"}
    result = train_tiny(tmp_path / "run", tiny_mnist_root, steps=4, overrides=overrides)
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert result.step == 4 and state["d_steps"] == 3 + 4
    assert "square_avg" in next(iter(state["opt_g"]["state"].values()))


@pytest.mark.parametrize("impl, flags", [("auto", {"fused": True}), ("fused", {"fused": True}),
                                         ("foreach", {"foreach": True}), ("for-loop", {"foreach": False})])
def test_optimizer_implementation_is_a_switch(tmp_path, tiny_mnist_root, impl, flags):
    result = train_tiny(tmp_path / "run", tiny_mnist_root, steps=2, overrides={"train.optimizer_impl": impl})
    assert result.step == 2
    group = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")["opt_g"]["param_groups"][0]
    assert {flag: group[flag] for flag in flags} == flags


def test_the_implementations_compute_the_same_training(tmp_path, tiny_mnist_root):
    # Two steps: the kernels round differently, and a GAN amplifies rounding over longer runs.
    runs = {impl: train_tiny(tmp_path / impl, tiny_mnist_root, steps=2, overrides={"train.optimizer_impl": impl})
            for impl in ("fused", "for-loop")}  # fmt: skip
    for (name, fused), (_, loop) in zip(runs["fused"].generator.state_dict().items(),
                                        runs["for-loop"].generator.state_dict().items()):  # fmt: skip
        assert torch.allclose(fused, loop, atol=1e-5), name


def test_a_resumed_run_uses_its_own_optimizer_implementation(tmp_path, tiny_mnist_root):
    train_tiny(tmp_path / "run", tiny_mnist_root, steps=4)  # fused Adam on the CPU
    ganzoo.train(resume=tmp_path / "run", steps=6, quiet=True, data_dir=tiny_mnist_root, download=False,
                 overrides={"train.optimizer_impl": "foreach"})  # fmt: skip
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert state["step"] == 6
    for opt in ("opt_g", "opt_d"):
        group = state[opt]["param_groups"][0]
        assert group["foreach"] is True and not group["fused"]


def test_fused_rmsprop_is_refused_in_words(tmp_path, tiny_mnist_root):
    with pytest.raises(ConfigError, match="not available for rmsprop") as caught:  # refused before data loads
        train_tiny(tmp_path / "run", tiny_mnist_root, steps=1,
                   overrides={"train.optimizer": "rmsprop", "train.optimizer_impl": "fused"})  # fmt: skip
    assert "auto, foreach or for-loop" in caught.value.fix
    with pytest.raises(ConfigError, match="optimizer_impl must be one of"):
        train_tiny(tmp_path / "run2", tiny_mnist_root, steps=1, overrides={"train.optimizer_impl": "fast"})


def test_data_on_device_off_is_accepted_and_changes_nothing_on_the_cpu(tmp_path, tiny_mnist_root):
    # On the CPU both settings keep the data in the same memory; the host-memory path itself is
    # tested in test_paths.py, and on CUDA test_cuda.py compares the two settings.
    on = train_tiny(tmp_path / "on", tiny_mnist_root, steps=4)
    off = train_tiny(tmp_path / "off", tiny_mnist_root, steps=4, overrides={"train.data_on_device": False})
    assert_same(checkpoint_tensors(tmp_path / "on" / "checkpoint.pt")["generator"],
                checkpoint_tensors(tmp_path / "off" / "checkpoint.pt")["generator"])  # fmt: skip
    assert on.step == off.step == 4


def test_two_dimensional_runs_draw_scatter_plots(tmp_path):
    result = ganzoo.train("ring-8", steps=10, out=tmp_path / "run", overrides=TINY_RING, quiet=True)
    from PIL import Image

    with Image.open(tmp_path / "run" / "samples" / "final.png") as image:
        assert image.size == (512, 512)
    assert result.generator(torch.randn(5, 2)).shape == (5, 2)


def test_images_seen_and_kimg_are_counted(tmp_path, tiny_mnist_root):
    result = train_tiny(tmp_path / "run", tiny_mnist_root, steps=10, overrides={"train.n_critic": 3})
    assert result.images_seen == 10 * 3 * 32
    assert result.last_stats["kimg"] == pytest.approx(result.images_seen / 1000)


@pytest.mark.real_data
def test_short_run_on_real_mnist(tmp_path, real_data_dir):
    result = ganzoo.train("vanilla-mnist", steps=30, out=tmp_path / "run", data_dir=real_data_dir, download=False,
                          overrides={"train.log_every": 10}, quiet=True)  # fmt: skip
    assert result.step == 30 and math.isfinite(result.last_stats["g_loss"])
    assert (tmp_path / "run" / "samples" / "final.png").is_file()


def test_the_python_api_takes_a_torch_device_and_command_line_style_overrides(tmp_path, tiny_mnist_root):
    result = ganzoo.train("vanilla-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                          device=torch.device("cpu"),
                          overrides=[f"{key}={json.dumps(value)}" for key, value in TINY_MNIST.items()])  # fmt: skip
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert result.step == 2 and config["train"]["device"] == "cpu" and config["train"]["batch_size"] == 32
    with pytest.raises(ganzoo.ConfigError, match="not one string"):
        ganzoo.train("vanilla-mnist", steps=2, overrides="train.lr_g=0.1", quiet=True)
    with pytest.raises(ganzoo.ConfigError, match="cannot read the override"):
        ganzoo.train("vanilla-mnist", steps=2, overrides=[("a", "b", "c")], quiet=True)
    assert issubclass(ganzoo.ConfigError, ganzoo.GanzooError)


def test_linear_decay_holds_then_falls_to_zero_at_the_last_step(tmp_path, tiny_mnist_root):
    from ganzoo.engine.loop import linear_decay

    assert [linear_decay(step, 10, 0.5) for step in (0, 4, 5, 6, 9)] == [1.0, 1.0, 1.0, 0.8, 0.2]
    assert linear_decay(0, 10, 0.0) == 1.0 and linear_decay(10, 10, 0.5) == 0.0
    train_tiny(tmp_path / "run", tiny_mnist_root, steps=10, overrides={"train.lr_schedule": "linear-decay"})
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert state["opt_g"]["param_groups"][0]["lr"] == pytest.approx(2e-4 * 0.2)  # the last iteration's (step 9)
    with pytest.raises(ConfigError, match="lr_decay_start"):
        train_tiny(tmp_path / "bad", tiny_mnist_root, steps=2, overrides={"train.lr_decay_start": 1.0})
