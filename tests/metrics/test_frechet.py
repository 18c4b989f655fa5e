"""FID: zero against itself, the closed form for Gaussians, order invariance, singular covariances."""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.metrics.frechet import fid_from_features, frechet_distance, gaussian_stats, trace_sqrt_product


def _features(n=2000, d=16, seed=0, shift=0.0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64) * scale + shift


def test_fid_of_a_set_against_itself_is_zero():
    x = _features()
    assert fid_from_features(x, x) == pytest.approx(0.0, abs=1e-9)


def test_fid_of_diagonal_gaussians_equals_the_closed_form():
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    s1, s2 = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 0.25])
    expected = float(((mu1 - mu2) ** 2).sum() + ((s1.sqrt() - s2.sqrt()) ** 2).sum())
    assert frechet_distance(mu1, torch.diag(s1), mu2, torch.diag(s2)) == pytest.approx(expected, rel=1e-12)


def test_trace_sqrt_of_non_commuting_covariances_matches_an_independent_computation():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(6, 6, generator=g, dtype=torch.float64), torch.randn(6, 6, generator=g, dtype=torch.float64)
    s1, s2 = a @ a.T + 0.1 * torch.eye(6, dtype=torch.float64), b @ b.T + 0.1 * torch.eye(6, dtype=torch.float64)
    # Independent route: the eigenvalues of the (non-symmetric) product s1 @ s2 are real and positive.
    expected = torch.linalg.eigvals(s1 @ s2).real.clamp_min(0).sqrt().sum()
    assert float(trace_sqrt_product(s1, s2)) == pytest.approx(float(expected), rel=1e-9)
    # And the one-dimensional closed form of W2^2: (sqrt(v1) - sqrt(v2))^2.
    one = frechet_distance(torch.zeros(1), torch.tensor([[4.0]]), torch.zeros(1), torch.tensor([[9.0]]))
    assert one == pytest.approx(1.0)


def test_fid_of_samples_approaches_the_closed_form_of_their_distributions():
    real, fake = _features(20000, 4, seed=0), _features(20000, 4, seed=1, shift=0.5, scale=2.0)
    expected = 4 * 0.5**2 + 4 * (1 - 2) ** 2  # |dmu|^2 + sum (sqrt(1) - sqrt(4))^2
    assert fid_from_features(real, fake) == pytest.approx(expected, rel=0.05)


def test_fid_does_not_depend_on_sample_order():
    real, fake = _features(seed=0), _features(seed=1, shift=0.2)
    permuted = fake[torch.randperm(len(fake), generator=torch.Generator().manual_seed(5))]
    assert fid_from_features(real, fake) == pytest.approx(fid_from_features(real, permuted), rel=1e-9)


def test_fid_with_singular_covariances_is_finite_and_real():
    real, fake = _features(n=10, d=64, seed=0), _features(n=10, d=64, seed=1)
    value = fid_from_features(real, fake)
    assert isinstance(value, float) and math.isfinite(value) and value > 0
    dead = real.clone()
    dead[:, :8] = 0  # dead features: zero variance
    assert math.isfinite(fid_from_features(dead, fake))


def test_gaussian_stats_are_float64_and_unbiased():
    x = torch.tensor([[0.0], [2.0]], dtype=torch.float32)
    mu, sigma = gaussian_stats(x)
    assert mu.dtype == sigma.dtype == torch.float64
    assert float(sigma) == pytest.approx(2.0)  # unbiased: sum of squares / (n - 1)
    with pytest.raises(ValueError):
        gaussian_stats(x[:1])
