"""Contract 2 objectives: phases as data, the engine's mechanics, and the contract-1 adapter's exact numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

import ganzoo
from conftest import assert_same, make_registry
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.engine.batches import BatchSource
from ganzoo.engine.networks import make_optimizer
from ganzoo.engine.phases import batches_needed
from ganzoo.errors import ConfigError, TrainingError
from ganzoo.losses import input_gradients
from ganzoo.objectives import GANLossObjective, Objective, Phase, PhaseLoss, as_objective, with_repeat

TINY = {"generator.hidden": [16], "discriminator.hidden": [16], "discriminator.dropout": 0.0,
        "train.batch_size": 16, "train.log_every": 1, "train.ema_halflife_kimg": 0.0, "train.device": "cpu"}  # fmt: skip


# -- Phase records ---------------------------------------------------------------------


def test_a_phase_runs_on_its_interval_and_scales_its_loss_by_it():
    lazy = Phase("D_reg", updates=("D",), every=16)
    assert [step for step in range(40) if lazy.due(step)] == [0, 16, 32]
    assert lazy.gain == 16 and Phase("D_reg", updates=("D",), every=16, scale_by_interval=False).gain == 1
    assert lazy.method == "d_reg_loss"


@pytest.mark.parametrize("bad", [dict(name="not a name"), dict(updates=()), dict(every=0), dict(repeat=-1),
                                 dict(every=True)])  # fmt: skip
def test_malformed_phases_are_refused(bad):
    with pytest.raises(ValueError):
        Phase(**{"name": "D", "updates": ("D",), **bad})


def test_batches_needed_counts_new_batches_and_one_for_phases_that_reuse():
    d, reg, g = Phase("D", ("D",), repeat=5), Phase("D_reg", ("D",), new_batch=False), Phase("G", ("G",), new_batch=False)
    assert batches_needed([d, reg, g]) == 5
    assert batches_needed([g]) == 1  # a reusing phase that comes first still needs a batch
    assert batches_needed([g, d]) == 6


def test_n_critic_sets_the_repeat_of_the_d_phase_only():
    phases = with_repeat([Phase("D", ("D",)), Phase("G", ("G",))], "D", 3)
    assert [p.repeat for p in phases] == [3, 1]
    assert with_repeat(phases, "D", 0) == phases  # 0 means the objective's own


def test_a_contract_1_loss_becomes_d_then_g_with_the_loss_n_critic():
    from ganzoo.zoo.gan_losses import WGANGPLoss

    objective = as_objective(WGANGPLoss(), n_critic=0)
    assert isinstance(objective, GANLossObjective)
    d, g = objective.phases()
    assert (d.name, d.repeat, d.freeze, d.new_batch) == ("D", 5, (), True)
    assert (g.name, g.updates, g.new_batch) == ("G", ("G",), False)
    with pytest.raises(TypeError, match="Objective or a ganzoo.losses.GANLoss"):
        as_objective(object())


# -- the adapter gives contract 1's numbers -------------------------------------------------------


def _hand_written_contract_1_loop(root: Path, steps: int, n_critic: int) -> dict:
    """The 1.x engine's iteration, written out: n_critic D steps on fresh batches and noise, then G on the last fakes."""
    registry = ganzoo.get_registry()
    from ganzoo.specs import DataInfo

    data = registry.get("dataset", "mnist").build(root, train=True, download=False)
    info = DataInfo(shape=(1, 28, 28), num_classes=10)
    seed = 0
    torch.manual_seed(seed)
    g_spec, d_spec = registry.get("generator", "vanilla-mlp-g"), registry.get("discriminator", "vanilla-mlp-d")
    G = g_spec.build(info, **{**g_spec.defaults, "hidden": [16], "batch_norm": True})
    D = d_spec.build(info, **{**d_spec.defaults, "hidden": [16], "dropout": 0.0})
    loss = registry.get("loss", "non-saturating").build()
    settings = {"kind": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}
    opt_g = make_optimizer(G.parameters(), settings, torch.device("cpu"))
    opt_d = make_optimizer(D.parameters(), settings, torch.device("cpu"))
    noise = torch.Generator().manual_seed(seed + 1)
    batches = BatchSource(data, 16, seed, torch.device("cpu"))
    for _ in range(steps):
        for d_step in range(n_critic):
            batch = batches.next()
            real, labels = batch["image"], batch["label"]
            z = torch.randn(16, G.latent_dim, generator=noise)
            with torch.set_grad_enabled(d_step == n_critic - 1):
                fake = G(z, labels)
            terms = loss.discriminator_loss(D, real, fake.detach(), labels, input_gradients)
            opt_d.zero_grad(set_to_none=True)
            terms.loss.backward()
            opt_d.step()
        D.requires_grad_(False)
        g_terms = loss.generator_loss(D, real, fake, labels)
        opt_g.zero_grad(set_to_none=True)
        g_terms.loss.backward()
        opt_g.step()
        D.requires_grad_(True)
    return {"generator": G.state_dict(), "discriminator": D.state_dict()}


@pytest.mark.parametrize("n_critic", [1, 2])
def test_the_adapter_trains_a_contract_1_loss_exactly_as_the_1x_loop(tmp_path, tiny_mnist_root, n_critic):
    expected = _hand_written_contract_1_loop(tiny_mnist_root, steps=3, n_critic=n_critic)
    ganzoo.train("vanilla-mnist", steps=3, out=tmp_path / "run", data_dir=tiny_mnist_root, download=False, quiet=True,
                 overrides={**TINY, "generator.batch_norm": True, "train.n_critic": n_critic})  # fmt: skip
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    for part in ("generator", "discriminator"):
        assert state[part].keys() == expected[part].keys()
        for key, value in expected[part].items():
            assert torch.equal(state[part][key], value), f"{part}.{key} differs from the 1.x loop's"


# -- the engine's mechanics, seen through objectives written for the test ---------------------------


class _Recorder(Objective):
    """An objective that records what the engine shows each phase, with a lazy regulariser on D."""

    seen: list = []
    every = 3

    def phases(self):
        return [Phase("D", ("D",), repeat=2), Phase("D_reg", ("D",), every=self.every, new_batch=False),
                Phase("G", ("G",), new_batch=False)]  # fmt: skip

    def _scores(self, ctx, x):
        return ctx.nets["D"](x, ctx.batch.get("label"))

    def d_loss(self, ctx):
        fake = ctx.generate(ctx.inputs())
        _Recorder.seen.append(("D", ctx.step, ctx.repetition, fake.requires_grad, _grad_on(ctx, "G"), id(ctx.batch)))
        return PhaseLoss(torch.nn.functional.softplus(self._scores(ctx, fake.detach())).mean()
                         + torch.nn.functional.softplus(-self._scores(ctx, ctx.batch["image"])).mean(),
                         terms={"half": torch.tensor(0.5)})  # fmt: skip

    def d_reg_loss(self, ctx):
        _Recorder.seen.append(("D_reg", ctx.step, ctx.repetition, None, _grad_on(ctx, "G"), id(ctx.batch)))
        return PhaseLoss(self._scores(ctx, ctx.batch["image"]).square().mean())

    def g_loss(self, ctx):
        _Recorder.seen.append(("G", ctx.step, ctx.repetition, None, _grad_on(ctx, "D"), id(ctx.batch)))
        return PhaseLoss(torch.nn.functional.softplus(-self._scores(ctx, ctx.generate(ctx.inputs()))).mean())


def _grad_on(ctx, name):
    return all(p.requires_grad for p in ctx.modules[name].parameters())


class _RecorderPlugin:
    GANZOO_CONTRACT = "2.0"

    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_losses():
        yield ganzoo.LossSpec(name="recorder", summary="Records phases.", build=_Recorder)


def test_phases_run_on_schedule_with_others_frozen_and_lazy_ones_reusing_the_batch(tmp_path, tiny_mnist_root):
    _Recorder.seen = []
    result = ganzoo.train("vanilla-mnist", loss="recorder", steps=4, out=tmp_path / "run", data_dir=tiny_mnist_root,
                          overrides=TINY, quiet=True, registry=make_registry(_RecorderPlugin))  # fmt: skip
    order = [(name, step, rep) for name, step, rep, *_ in _Recorder.seen]
    assert order == [("D", 0, 0), ("D", 0, 1), ("D_reg", 0, 0), ("G", 0, 0),
                     ("D", 1, 0), ("D", 1, 1), ("G", 1, 0),
                     ("D", 2, 0), ("D", 2, 1), ("G", 2, 0),
                     ("D", 3, 0), ("D", 3, 1), ("D_reg", 3, 0), ("G", 3, 0)]  # fmt: skip
    # In D, G is frozen (the default freeze is everything not updated); in G, D is.
    assert all(not other_trainable for name, _, _, _, other_trainable, _ in _Recorder.seen)
    # A phase without new_batch sees the batch the phase before it took.
    records = _Recorder.seen
    assert records[2][5] == records[1][5] and records[3][5] == records[1][5]
    # Every phase's loss and terms are logged under its name; 2 real batches per iteration.
    assert {"d_loss", "d_half", "d_reg_loss", "g_loss"} <= result.last_stats.keys()
    assert result.images_seen == 4 * 2 * 16


class _Lazy(Objective):
    """D_reg alone, on a chosen interval: its update must equal an every-step update scaled by the interval."""

    def __init__(self, every: int = 1, scale: float = 1.0) -> None:
        self.every, self.scale = every, scale

    def phases(self):
        return [Phase("D_reg", ("D",), every=self.every), Phase("G", ("G",), new_batch=False)]

    def d_reg_loss(self, ctx):
        return PhaseLoss(self.scale * ctx.nets["D"](ctx.batch["image"], None).square().mean())

    def g_loss(self, ctx):
        return PhaseLoss(0.0 * ctx.nets["D"](ctx.generate(ctx.inputs()), None).sum())


def _lazy_plugin(every: int, scale: float):
    class Plugin:
        GANZOO_CONTRACT = "2.0"

        @staticmethod
        @ganzoo.hookimpl
        def ganzoo_losses():
            yield ganzoo.LossSpec(name="lazy", summary="Lazy.", build=lambda: _Lazy(every, scale))

    return Plugin


def test_a_lazy_phase_loss_is_multiplied_by_its_interval(tmp_path, tiny_mnist_root):
    # One D_reg step on a 4-step interval must see the gradients of 4x its loss: RMSprop's first
    # square average, (1 - alpha) * grad^2, shows the gradient itself (Adam's first step would not).
    over = {**TINY, "train.optimizer": "rmsprop"}
    runs = {}
    for label, every, scale in (("lazy", 4, 1.0), ("scaled", 1, 4.0)):
        ganzoo.train("vanilla-mnist", loss="lazy", steps=1, out=tmp_path / label, data_dir=tiny_mnist_root,
                     overrides=over, quiet=True, registry=make_registry(_lazy_plugin(every, scale)))  # fmt: skip
        runs[label] = ckpt.load_checkpoint(tmp_path / label / "checkpoint.pt")
    lazy, scaled = runs["lazy"]["opt_d"]["state"], runs["scaled"]["opt_d"]["state"]
    assert lazy.keys() == scaled.keys() and lazy
    for key in lazy:
        assert torch.allclose(lazy[key]["square_avg"], scaled[key]["square_avg"], rtol=1e-5, atol=1e-12)


class _Broken(Objective):
    def phases(self):
        return [Phase("D", ("D",)), Phase("G", ("G",), new_batch=False)]

    def d_loss(self, ctx):
        return PhaseLoss(ctx.nets["D"](ctx.batch["image"][..., :3], None).mean())  # the wrong shape: fails in D

    def g_loss(self, ctx):  # pragma: no cover - never reached
        raise AssertionError


class _NaN(_Broken):
    def d_loss(self, ctx):
        return PhaseLoss(ctx.nets["D"](ctx.batch["image"], None).mean() * float("nan"))


def _plugin(name, build, **spec):
    class Plugin:
        GANZOO_CONTRACT = "2.0"

        @staticmethod
        @ganzoo.hookimpl
        def ganzoo_losses():
            yield ganzoo.LossSpec(name=name, summary="Test objective.", build=build, **spec)

    return Plugin


def test_a_phase_that_fails_at_its_first_step_is_reported_in_words(tmp_path, tiny_mnist_root):
    with pytest.raises(TrainingError, match="phase 'D' of _Broken failed at its first step"):
        ganzoo.train("vanilla-mnist", loss="broken", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root,
                     overrides=TINY, quiet=True, registry=make_registry(_plugin("broken", _Broken)))  # fmt: skip


def test_a_non_finite_loss_names_its_phase_and_networks(tmp_path, tiny_mnist_root):
    with pytest.raises(TrainingError) as error:
        ganzoo.train("vanilla-mnist", loss="nan", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root,
                     overrides=TINY, quiet=True, registry=make_registry(_plugin("nan", _NaN)))  # fmt: skip
    assert "the D loss became non-finite at step 0" in error.value.what
    assert "phase D updates D" in error.value.why


class _NeedsQ(_Broken):
    networks = ("G", "D", "Q")


class _NeedsHead(_Broken):
    requires_outputs = {"D": ("class_logits",)}


class _NeedsCodes(_Broken):
    requires_inputs = ("codes_cat",)


class _NeedsSource(_Broken):
    requires_fields = ("source",)


@pytest.mark.parametrize(("objective", "words"), [
    (_NeedsQ, "needs the network Q, which this configuration does not name"),
    (_NeedsHead, "reads the head class_logits of D, but discriminator 'vanilla-mlp-d' returns only score"),
    (_NeedsCodes, "reads the generator input codes_cat, which the input sampler 'gaussian' does not draw"),
    (_NeedsSource, "reads the batch field source, which dataset 'mnist' does not provide"),
])  # fmt: skip
def test_what_an_objective_requires_is_checked_before_training(tmp_path, tiny_mnist_root, objective, words):
    with pytest.raises(ConfigError) as error:
        ganzoo.train("vanilla-mnist", loss="needy", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root,
                     overrides=TINY, quiet=True, registry=make_registry(_plugin("needy", objective)))  # fmt: skip
    assert words in error.value.what
    assert not (tmp_path / "run").exists()


def test_the_zoo_acgan_loss_with_a_one_headed_discriminator_is_refused_at_once(tmp_path):
    # Contract 1 let this die at step 1 with a traceback; now it is refused before any data is read.
    from click.testing import CliRunner

    from ganzoo.cli import cli

    result = CliRunner().invoke(cli, ["train", "dcgan-mnist", "--loss", "acgan", "--out", str(tmp_path / "run"),
                                       "--data-dir", str(tmp_path / "nowhere"), "--no-download"])  # fmt: skip
    assert result.exit_code != 0
    assert "reads the head class_logits of D" in result.output
    assert "Traceback" not in result.output


def test_r1_gamma_applies_to_contract_1_losses_only(tmp_path, tiny_mnist_root):
    with pytest.raises(ConfigError, match="train.r1_gamma is set"):
        ganzoo.train("vanilla-mnist", loss="stylegan2", steps=1, out=tmp_path / "run", data_dir=tiny_mnist_root,
                     overrides={**TINY, "train.r1_gamma": 1.0}, quiet=True)  # fmt: skip


def test_objective_state_is_checkpointed_and_resumes_bit_exactly(tmp_path, tiny_mnist_root):
    over = {**TINY, "train.checkpoint_every": 3}
    whole = ganzoo.train("vanilla-mnist", loss="stylegan2", steps=6, out=tmp_path / "whole", data_dir=tiny_mnist_root,
                         overrides=over, quiet=True)  # fmt: skip
    ganzoo.train("vanilla-mnist", loss="stylegan2", steps=3, out=tmp_path / "split", data_dir=tiny_mnist_root,
                 overrides=over, quiet=True)  # fmt: skip
    ganzoo.train(resume=tmp_path / "split", steps=6, quiet=True, data_dir=tiny_mnist_root)
    a, b = (ckpt.load_checkpoint(tmp_path / name / "checkpoint.pt") for name in ("whole", "split"))
    assert float(a["objective"]["pl_mean"]) > 0
    for part in ("generator", "discriminator", "opt_g", "opt_d", "objective"):
        assert_same(a[part], b[part], part)
    assert math.isfinite(whole.last_stats["g_reg_loss"]) and "d_reg_r1" in whole.last_stats

