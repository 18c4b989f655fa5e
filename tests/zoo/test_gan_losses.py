"""The zoo's losses against hand-computed formulas, and the classic penalty bugs."""

from __future__ import annotations

import functools
import math

import pytest
import torch
from torch import nn

from ganzoo.losses import GANLoss, input_gradients, r1_penalty
from ganzoo.zoo import gan_losses as L
from ganzoo.zoo.losses_plugin import ganzoo_losses

REAL = [2.0, -1.0, 0.5, 0.0]
FAKE = [-2.0, 0.3, 1.5, -0.7]


def scores(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def value(t: torch.Tensor) -> float:
    return float(t.item())


class LinearD(nn.Module):
    """D(x) = sum(w * x) per sample: its input gradient is w for every sample."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(weight.clone())

    def forward(self, x: torch.Tensor, labels=None) -> torch.Tensor:
        return (self.w * x).flatten(1).sum(1)


class QuadraticD(nn.Module):
    """D(x) = sum(w * x^2) / 2 per sample: its input gradient w * x differs between samples."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(weight.clone())

    def forward(self, x: torch.Tensor, labels=None) -> torch.Tensor:
        return 0.5 * (self.w * x * x).flatten(1).sum(1)


def uneven_weight() -> torch.Tensor:
    """A (2, 3, 4) weight of norm 3 whose norms over any single dimension differ from 3."""
    w = torch.arange(1.0, 25.0, dtype=torch.float64).view(2, 3, 4)
    w[0, 1, 2] = -w[0, 1, 2]
    return w * (3.0 / w.norm())


# -- objectives against formulas ---------------------------------------------------


def test_minimax_objectives_match_the_formulas():
    loss = L.MinimaxLoss()
    d = value(loss.d_objective(scores(REAL), scores(FAKE)))
    g = value(loss.g_objective(scores(FAKE)))
    assert d == pytest.approx(-mean(math.log(sigmoid(r)) for r in REAL) - mean(math.log(1 - sigmoid(f)) for f in FAKE))
    assert g == pytest.approx(mean(math.log(1 - sigmoid(f)) for f in FAKE))


def test_non_saturating_objectives_match_the_formulas():
    loss = L.NonSaturatingLoss()
    d = value(loss.d_objective(scores(REAL), scores(FAKE)))
    g = value(loss.g_objective(scores(FAKE)))
    assert d == pytest.approx(value(L.MinimaxLoss().d_objective(scores(REAL), scores(FAKE))))
    assert g == pytest.approx(-mean(math.log(sigmoid(f)) for f in FAKE))


def test_least_squares_objectives_match_the_formulas():
    loss = L.LeastSquaresLoss()
    assert value(loss.d_objective(scores(REAL), scores(FAKE))) == pytest.approx(
        0.5 * mean((r - 1) ** 2 for r in REAL) + 0.5 * mean(f**2 for f in FAKE)
    )
    assert value(loss.g_objective(scores(FAKE))) == pytest.approx(0.5 * mean((f - 1) ** 2 for f in FAKE))
    chi2 = L.LeastSquaresLoss(a=-1.0, b=1.0, c=0.0)
    assert value(chi2.d_objective(scores(REAL), scores(FAKE))) == pytest.approx(
        0.5 * mean((r - 1) ** 2 for r in REAL) + 0.5 * mean((f + 1) ** 2 for f in FAKE)
    )
    assert value(chi2.g_objective(scores(FAKE))) == pytest.approx(0.5 * mean(f**2 for f in FAKE))


@pytest.mark.parametrize("cls", [L.WassersteinLoss, L.WGANGPLoss])
def test_wasserstein_objectives_match_the_formulas(cls):
    loss = cls()
    assert value(loss.d_objective(scores(REAL), scores(FAKE))) == pytest.approx(mean(FAKE) - mean(REAL))
    assert value(loss.g_objective(scores(FAKE))) == pytest.approx(-mean(FAKE))
    assert loss.n_critic == 5
    assert not loss.probability_scores


def test_hinge_objectives_match_the_formulas():
    loss = L.HingeLoss()
    assert value(loss.d_objective(scores(REAL), scores(FAKE))) == pytest.approx(
        mean(max(0.0, 1 - r) for r in REAL) + mean(max(0.0, 1 + f) for f in FAKE)
    )
    assert value(loss.g_objective(scores(FAKE))) == pytest.approx(-mean(FAKE))


def test_probability_scores_only_for_the_cross_entropy_losses():
    flags = {spec.name: spec.build(**spec.defaults).probability_scores for spec in ganzoo_losses()}
    assert flags.pop("stylegan2") is True  # StyleGAN2's logistic loss: softplus of logits
    assert flags == {
        "minimax": True,
        "non-saturating": True,
        "least-squares": False,
        "wasserstein": False,
        "wgan-gp": False,
        "hinge": False,
    }


def test_cross_entropy_losses_stay_finite_for_extreme_scores():
    extreme = torch.tensor([-200.0, 200.0])
    for loss in (L.MinimaxLoss(), L.NonSaturatingLoss()):
        assert torch.isfinite(loss.d_objective(extreme, extreme))
        assert torch.isfinite(loss.g_objective(extreme))


# -- label smoothing -------------------------------------------------------------


def test_label_smoothing_targets_one_minus_s_for_real_only():
    s = 0.1
    smooth, plain = L.NonSaturatingLoss(label_smoothing=s), L.NonSaturatingLoss()
    d = value(smooth.d_objective(scores(REAL), scores(FAKE)))
    real_term = mean(-((1 - s) * math.log(sigmoid(r)) + s * math.log(1 - sigmoid(r))) for r in REAL)
    fake_term = mean(-math.log(1 - sigmoid(f)) for f in FAKE)
    assert d == pytest.approx(real_term + fake_term)
    assert d != pytest.approx(value(plain.d_objective(scores(REAL), scores(FAKE))))
    # One-sided: the fake term and G's objective ignore the smoothing.
    # On confidently real scores the plain real term is ~0; smoothing adds s * softplus(50) ~ 50 s.
    confident = scores([50.0] * 4)
    extra = value(smooth.d_objective(confident, scores(FAKE))) - value(plain.d_objective(confident, scores(FAKE)))
    assert extra == pytest.approx(s * 50.0, rel=1e-6)
    assert value(smooth.g_objective(scores(FAKE))) == value(plain.g_objective(scores(FAKE)))


def test_label_smoothing_moves_the_optimal_real_score_to_logit_of_one_minus_s():
    s = 0.2
    loss = L.MinimaxLoss(label_smoothing=s)
    real = torch.full((4,), math.log((1 - s) / s), dtype=torch.float64, requires_grad=True)
    loss.d_objective(real, scores(FAKE)).backward()
    assert real.grad.abs().max().item() < 1e-12


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_label_smoothing_out_of_range_is_rejected(bad):
    with pytest.raises(ValueError, match="label_smoothing"):
        L.NonSaturatingLoss(label_smoothing=bad)


# -- saturation --------------------------------------------------------------------


def g_grad(loss: GANLoss, score: float) -> float:
    fake = torch.tensor([score], dtype=torch.float64, requires_grad=True)
    loss.g_objective(fake).backward()
    return fake.grad.item()


def test_minimax_generator_gradient_vanishes_when_d_rejects_fakes_non_saturating_does_not():
    # D(G(z)) = sigmoid(-10) ~ 4.5e-5: D confidently rejects the fakes (early training).
    saturating, non_saturating = g_grad(L.MinimaxLoss(), -10.0), g_grad(L.NonSaturatingLoss(), -10.0)
    assert saturating == pytest.approx(-sigmoid(-10.0))
    assert abs(saturating) < 1e-4
    assert non_saturating == pytest.approx(-(1 - sigmoid(-10.0)))
    # Both push the fake score up; only the magnitude differs.
    assert saturating < 0 and non_saturating < 0
    # ... and the other way round once D is fooled.
    assert abs(g_grad(L.NonSaturatingLoss(), 10.0)) < 1e-4
    assert g_grad(L.MinimaxLoss(), 10.0) == pytest.approx(-sigmoid(10.0))


# -- WGAN-GP -------------------------------------------------------------------


def no_scaler():
    return functools.partial(input_gradients, scaler=None)


def test_gradient_penalty_is_normed_per_sample_over_all_non_batch_dims():
    w = uneven_weight()
    D = LinearD(w)
    real = torch.randn(5, 2, 3, 4, dtype=torch.float64)
    fake = torch.randn(5, 2, 3, 4, dtype=torch.float64)
    penalty = L.WGANGPLoss(gp_weight=10.0).penalty(D, real, fake, None, no_scaler())
    # grad_x D = w for every interpolate, so the penalty is lambda (||w|| - 1)^2 = 10 * 2^2.
    assert value(penalty) == pytest.approx(40.0)
    # Norming over one dimension only (the classic bug) gives something else.
    wrong = 10.0 * (w.norm(dim=1) - 1).pow(2).mean()
    assert value(wrong) != pytest.approx(40.0)


def test_gradient_penalty_is_a_mean_of_per_sample_terms():
    w = uneven_weight()
    D = QuadraticD(w)
    real = torch.randn(6, 2, 3, 4, dtype=torch.float64)
    # With fake == real every interpolate is the real sample, whatever eps is drawn.
    penalty = L.WGANGPLoss(gp_weight=1.0).penalty(D, real, real.clone(), None, no_scaler())
    per_sample = [((w * real[i]).norm().item() - 1.0) ** 2 for i in range(len(real))]
    assert value(penalty) == pytest.approx(mean(per_sample))


def test_gradient_penalty_interpolates_with_one_uniform_eps_per_sample():
    seen = []

    class Recorder(LinearD):
        def forward(self, x, labels=None):
            seen.append(x.detach().clone())
            return super().forward(x, labels)

    real = torch.zeros(64, 2, 3, 4, dtype=torch.float64)
    fake = torch.ones(64, 2, 3, 4, dtype=torch.float64)
    L.WGANGPLoss().penalty(Recorder(uneven_weight()), real, fake, None, no_scaler())
    (x_hat,) = seen
    # x_hat = eps * real + (1 - eps) * fake, so here x_hat == 1 - eps everywhere in a sample.
    per_sample = x_hat.flatten(1)
    assert torch.equal(per_sample, per_sample[:, :1].expand_as(per_sample))
    eps = 1 - per_sample[:, 0]
    assert eps.min() >= 0 and eps.max() <= 1
    assert len(set(eps.tolist())) == 64  # drawn per sample, not once per batch


def test_gradient_penalty_is_added_to_the_discriminator_loss_and_scales_with_gp_weight():
    D = LinearD(uneven_weight())
    real = torch.randn(4, 2, 3, 4, dtype=torch.float64)
    fake = torch.randn(4, 2, 3, 4, dtype=torch.float64)
    losses = {
        weight: value(L.WGANGPLoss(gp_weight=weight).discriminator_loss(D, real, fake, None, no_scaler()).loss)
        for weight in (0.0, 10.0, 20.0)
    }
    wasserstein = value(D(fake).mean() - D(real).mean())
    assert losses[0.0] == pytest.approx(wasserstein)
    assert losses[10.0] - losses[0.0] == pytest.approx(40.0)
    assert losses[20.0] - losses[0.0] == pytest.approx(80.0)


def test_gradient_penalty_gradient_reaches_the_discriminator_and_not_the_generator():
    w = uneven_weight()
    D = LinearD(w)
    G_param = nn.Parameter(torch.ones((), dtype=torch.float64))
    real = torch.randn(4, 2, 3, 4, dtype=torch.float64)
    fake = torch.randn(4, 2, 3, 4, dtype=torch.float64) * G_param  # still attached to "G"
    L.WGANGPLoss(gp_weight=10.0).penalty(D, real, fake, None, no_scaler()).backward()
    # d/dw lambda (||w|| - 1)^2 = 2 lambda (||w|| - 1) w / ||w||
    expected = 2 * 10.0 * (3.0 - 1.0) * w / 3.0
    torch.testing.assert_close(D.w.grad, expected)
    # A linear D's input gradient ignores x_hat: check the detaching with one whose does not.
    L.WGANGPLoss(gp_weight=10.0).penalty(QuadraticD(w), real, fake, None, no_scaler()).backward()
    assert G_param.grad is None


def test_gradient_penalty_trains_a_convolutional_critic():
    from ganzoo.specs import DataInfo
    from ganzoo.zoo.dcgan import DCGANDiscriminator

    torch.manual_seed(0)
    D = DCGANDiscriminator(DataInfo((1, 28, 28)), base_channels=4, batch_norm=False)
    real, fake = torch.rand(3, 1, 28, 28) * 2 - 1, torch.rand(3, 1, 28, 28) * 2 - 1
    L.WGANGPLoss().penalty(D, real, fake, None, no_scaler()).backward()
    first_conv = D.net[0]
    assert first_conv.weight.grad is not None and first_conv.weight.grad.abs().sum() > 0


def test_zero_gp_weight_adds_no_penalty():
    assert L.WGANGPLoss(gp_weight=0.0).penalty(LinearD(uneven_weight()), None, None, None, no_scaler()) is None
    with pytest.raises(ValueError, match="gp_weight"):
        L.WGANGPLoss(gp_weight=-1.0)


# -- weight clipping ---------------------------------------------------------------


def test_weight_clipping_clips_every_discriminator_parameter():
    D = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    with torch.no_grad():
        D[0].weight.copy_(torch.linspace(-1.0, 1.0, 12).view(4, 3))
        D[0].bias.fill_(0.005)
        D[2].weight.fill_(-0.5)
    loss = L.WassersteinLoss(clip=0.01)
    loss.after_discriminator_step(D)
    for name, param in D.named_parameters():
        assert param.abs().max().item() <= 0.01, name
    assert torch.all(D[0].bias == 0.005)  # values inside the box stay as they are
    assert torch.all(D[1].weight == 0.01)  # batch norm's scale (init 1) is a parameter too
    assert torch.all(D[2].weight == -0.01)
    assert all(p.requires_grad for p in D.parameters())


def test_weight_clipping_needs_a_positive_bound():
    with pytest.raises(ValueError, match="clip"):
        L.WassersteinLoss(clip=0.0)


def test_only_wasserstein_clips():
    D = LinearD(torch.full((3,), 5.0))
    for loss in (L.NonSaturatingLoss(), L.WGANGPLoss(), L.HingeLoss(), L.LeastSquaresLoss()):
        loss.after_discriminator_step(D)
    assert torch.all(D.w == 5.0)


# -- R1 and input gradients under AMP ---------------------------------------------------


def test_r1_penalty_of_a_linear_discriminator_is_the_squared_weight_norm():
    w = uneven_weight()
    real = torch.randn(5, 2, 3, 4, dtype=torch.float64)
    penalty = r1_penalty(LinearD(w), real, None, no_scaler())
    assert value(penalty) == pytest.approx(9.0)  # ||w||^2 with ||w|| = 3
    assert not real.requires_grad


def test_input_gradients_are_the_same_with_an_enabled_grad_scaler():
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    assert scaler.is_enabled()
    torch.manual_seed(0)
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 1))
    x = torch.randn(5, 3, 4, requires_grad=True)
    scaled = input_gradients(D(x).squeeze(1), x, scaler)
    plain = input_gradients(D(x).squeeze(1), x, None)
    torch.testing.assert_close(scaled, plain)
    # The penalty built on it (and its gradient) does not change either.
    torch.manual_seed(1)
    with_scaler = L.WGANGPLoss().penalty(LinearD(uneven_weight()), torch.randn(4, 2, 3, 4, dtype=torch.float64),
                                         torch.randn(4, 2, 3, 4, dtype=torch.float64), None,
                                         functools.partial(input_gradients, scaler=scaler))  # fmt: skip
    assert value(with_scaler) == pytest.approx(40.0)


def test_input_gradients_stay_finite_in_fp16_at_grad_scalers_starting_scale():
    # GradScaler starts at 2**16, one step above fp16's largest value: a seed of the
    # full scale turned every input gradient into inf and stopped fp16 runs with R1.
    scaler = torch.amp.GradScaler("cpu")
    assert scaler.get_scale() > torch.finfo(torch.float16).max
    torch.manual_seed(0)
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    x = torch.randn(6, 3, 4, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.float16):
        scaled = input_gradients(D(x).squeeze(1), x, scaler)
    plain = input_gradients(D(x).squeeze(1), x, None)
    assert torch.isfinite(scaled).all()
    torch.testing.assert_close(scaled, plain, rtol=2e-3, atol=2e-3)  # fp16 products, fp32 reference


# -- the plugin ------------------------------------------------------------------


def test_every_registered_loss_builds_with_its_defaults():
    specs = list(ganzoo_losses())
    assert [s.name for s in specs] == ["minimax", "non-saturating", "least-squares", "wasserstein", "wgan-gp", "hinge",
                                       "stylegan2"]  # fmt: skip
    from ganzoo.objectives import Objective

    assert isinstance(specs[-1].build(**specs[-1].defaults), Objective) and specs[-1].paper
    for spec in specs[:-1]:
        loss = spec.build(**spec.defaults)
        assert isinstance(loss, GANLoss)
        assert spec.paper and spec.summary
        d = loss.discriminator_loss(LinearD(uneven_weight()), torch.randn(3, 2, 3, 4, dtype=torch.float64),
                                    torch.randn(3, 2, 3, 4, dtype=torch.float64), None, no_scaler())  # fmt: skip
        assert d.loss.dim() == 0 and torch.isfinite(d.loss)


def test_one_pass_over_real_and_fake_equals_two_for_discriminators_without_batch_statistics():
    from torch import nn

    from ganzoo.losses import batch_independent, scores_on_both

    torch.manual_seed(0)

    class Scorer(nn.Module):
        independent_scores = True

        def __init__(self, norm=None):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(6, 8), *( [norm] if norm is not None else []), nn.LeakyReLU(0.2),
                                      nn.Linear(8, 1))  # fmt: skip

        def forward(self, x, labels=None):
            return self.body(x + (labels[:, None].float() if labels is not None else 0)).squeeze(1)

    real, fake, labels = torch.randn(5, 6), torch.randn(5, 6), torch.arange(5)
    D = Scorer()
    assert batch_independent(D)
    one = scores_on_both(D, real, fake, labels)
    assert torch.allclose(one[0], D(real, labels)) and torch.allclose(one[1], D(fake, labels))
    # Batch norm and spectral norm make one pass differ from two: those keep two passes.
    assert not batch_independent(Scorer(nn.BatchNorm1d(8)))
    assert not batch_independent(nn.utils.parametrizations.spectral_norm(nn.Linear(3, 1)))
    assert not batch_independent(nn.utils.spectral_norm(nn.Linear(3, 1)))
    with_bn = Scorer(nn.BatchNorm1d(8)).train()
    two = scores_on_both(with_bn, real, fake, None)
    assert torch.allclose(two[0], with_bn(real)) and torch.allclose(two[1], with_bn(fake))


def test_discriminators_that_do_not_opt_in_keep_two_passes():
    from torch import nn

    from ganzoo.losses import batch_independent, scores_on_both

    class MinibatchStd(nn.Module):  # batch statistics computed in code: invisible to a module check
        def forward(self, x, labels=None):
            return x.mean(1) + x.std(0).mean()

    D = MinibatchStd()
    real, fake = torch.randn(6, 4), torch.randn(6, 4) + 3
    assert not batch_independent(D)
    scores = scores_on_both(D, real, fake, None)
    assert torch.allclose(scores[0], D(real)) and torch.allclose(scores[1], D(fake))


def test_every_first_party_discriminator_without_norms_scores_in_one_pass():
    from ganzoo.losses import batch_independent
    from ganzoo.specs import DataInfo
    from ganzoo.zoo.conditional import ConditionalMLPDiscriminator
    from ganzoo.zoo.dcgan import DCGANDiscriminator
    from ganzoo.zoo.mlp import MLPDiscriminator

    mnist = DataInfo(shape=(1, 28, 28), value_range=(-1.0, 1.0), num_classes=10)
    assert batch_independent(MLPDiscriminator(mnist))
    assert batch_independent(ConditionalMLPDiscriminator(mnist))
    assert batch_independent(DCGANDiscriminator(mnist, batch_norm=False))
    assert not batch_independent(DCGANDiscriminator(mnist))  # batch norm: two passes
    assert not batch_independent(DCGANDiscriminator(mnist, spectral_norm=True))
