"""FID: zero against itself, closed forms for Gaussians, invariances, singular covariances, the ridge."""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.metrics import frechet
from ganzoo.metrics.frechet import fid, fid_from_features, frechet_distance, gaussian_stats, trace_sqrt_product

f64 = torch.float64


def _features(n=2000, d=16, seed=0, shift=0.0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=f64) * scale + shift


def _rotation(d, seed):
    """A random orthogonal matrix (QR of a Gaussian matrix)."""
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=f64))
    return q


def test_fid_of_a_set_against_itself_is_zero():
    x = _features()
    assert fid_from_features(x, x) == pytest.approx(0.0, abs=1e-9)
    assert fid_from_features(x, x + 0.5) == pytest.approx(16 * 0.25, rel=1e-12)  # only the means differ


def test_fid_of_diagonal_gaussians_equals_the_closed_form():
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    s1, s2 = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 0.25])
    expected = float(((mu1 - mu2) ** 2).sum() + ((s1.sqrt() - s2.sqrt()) ** 2).sum())  # 5 + 1 + 1 + 6.25
    assert frechet_distance(mu1, torch.diag(s1), mu2, torch.diag(s2)) == pytest.approx(expected, rel=1e-12)


def test_non_commuting_two_by_two_covariances_match_the_closed_form():
    # For 2 × 2 PSD matrices, tr((S1 S2)^½) = √λ₁ + √λ₂ = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)).
    s1 = torch.tensor([[2.0, 0.7], [0.7, 1.0]], dtype=f64)
    s2 = torch.tensor([[1.5, -0.9], [-0.9, 3.0]], dtype=f64)
    assert not torch.allclose(s1 @ s2, s2 @ s1)
    tr_product = float(torch.trace(s1 @ s2))
    det1, det2 = 2.0 * 1.0 - 0.7**2, 1.5 * 3.0 - 0.9**2
    expected_trace_sqrt = math.sqrt(tr_product + 2 * math.sqrt(det1 * det2))
    assert float(trace_sqrt_product(s1, s2)) == pytest.approx(expected_trace_sqrt, rel=1e-13)
    mu1, mu2 = torch.tensor([0.0, 0.0]), torch.tensor([1.0, -2.0])
    expected = 5.0 + 3.0 + 4.5 - 2 * expected_trace_sqrt
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("singular", [False, True])
def test_rotated_covariances_with_shared_eigenvectors_match_the_closed_form(singular):
    # S1 = Q diag(a) Qᵀ, S2 = Q diag(b) Qᵀ are full, non-diagonal matrices with a known answer: Σ (√a - √b)².
    d = 12
    q = _rotation(d, seed=3)
    a = torch.linspace(0.5, 6.0, d, dtype=f64)
    b = torch.linspace(3.0, 0.2, d, dtype=f64)
    if singular:  # rank-deficient in different directions: a[:3] = 0, b[-4:] = 0
        a[:3], b[-4:] = 0.0, 0.0
    s1, s2 = q @ torch.diag(a) @ q.T, q @ torch.diag(b) @ q.T
    expected = float(((a.sqrt() - b.sqrt()) ** 2).sum())
    assert frechet_distance(torch.zeros(d), s1, torch.zeros(d), s2) == pytest.approx(expected, rel=1e-12)


def test_singular_non_commuting_covariances_match_an_independent_route_through_the_features():
    # With centred features A (n × D), B (m × D): S1 S2 has the non-zero eigenvalues of (A Bᵀ)(A Bᵀ)ᵀ / ((n-1)(m-1)),
    # so tr((S1 S2)^½) = Σ singular values of A Bᵀ / sqrt((n-1)(m-1)): no covariance square root involved.
    real, fake = _features(n=10, d=64, seed=0, scale=30.0), _features(n=12, d=64, seed=1, shift=1.0)
    (mu1, s1), (mu2, s2) = gaussian_stats(real), gaussian_stats(fake)
    a, b = real - mu1, fake - mu2
    expected = float(torch.linalg.svdvals(a @ b.T).sum()) / math.sqrt(9 * 11)
    # A square root of clamped eigenvalues of S1^½ S2 S1^½ is off by ~1e-7 here (54 noise eigenvalues, each √1e-16).
    assert float(trace_sqrt_product(s1, s2)) == pytest.approx(expected, rel=1e-12)


def test_fid_is_symmetric_and_invariant_to_rotation_and_translation_of_both_sets():
    real, fake = _features(500, 8, seed=0), _features(400, 8, seed=1, shift=0.3, scale=1.5)
    value = fid_from_features(real, fake)
    assert fid_from_features(fake, real) == pytest.approx(value, rel=1e-12)
    q, shift = _rotation(8, seed=2), torch.linspace(-5, 5, 8, dtype=f64)
    assert fid_from_features(real @ q + shift, fake @ q + shift) == pytest.approx(value, rel=1e-10)


def test_fid_of_samples_approaches_the_closed_form_of_their_distributions():
    real, fake = _features(20000, 4, seed=0), _features(20000, 4, seed=1, shift=0.5, scale=2.0)
    expected = 4 * 0.5**2 + 4 * (1 - 2) ** 2  # |Δμ|² + Σ (√1 - √4)²
    assert fid_from_features(real, fake) == pytest.approx(expected, rel=0.05)


def test_fid_does_not_depend_on_sample_order():
    real, fake = _features(seed=0), _features(seed=1, shift=0.2)
    permuted = fake[torch.randperm(len(fake), generator=torch.Generator().manual_seed(5))]
    assert fid_from_features(real, fake) == pytest.approx(fid_from_features(real, permuted), rel=1e-10)


def test_fid_with_singular_covariances_is_finite_real_and_needs_no_ridge():
    real, fake = _features(n=10, d=64, seed=0), _features(n=10, d=64, seed=1)
    result = fid(real, fake)
    assert isinstance(result.distance, float) and math.isfinite(result.distance) and result.distance > 0
    assert result.ridge == 0.0
    dead = real.clone()
    dead[:, :8] = 0  # dead features: zero variance
    assert math.isfinite(fid_from_features(dead, fake))
    # Against itself a rank-9 covariance in 64 dimensions gives 0 to round-off, relative to its trace.
    mu, sigma = gaussian_stats(real * 100)
    raw = 2 * torch.trace(sigma) - 2 * trace_sqrt_product(sigma, sigma)
    assert abs(float(raw)) < 1e-12 * float(torch.trace(sigma))


def test_the_ridge_is_added_only_when_lapack_fails_and_is_reported(monkeypatch):
    real, fake = _features(300, 6, seed=0), _features(300, 6, seed=1, shift=0.4)
    exact = fid(real, fake)
    assert exact.ridge == 0.0
    real_svdvals, calls = torch.linalg.svdvals, []

    def fails_once(matrix):
        calls.append(1)
        if len(calls) == 1:
            raise torch.linalg.LinAlgError("the algorithm failed to converge")
        return real_svdvals(matrix)

    monkeypatch.setattr(torch.linalg, "svdvals", fails_once)
    ridged = fid(real, fake, eps=1e-6)
    (_, s1), (_, s2) = gaussian_stats(real), gaussian_stats(fake)
    expected_ridge = 1e-6 * max(float(torch.trace(s1)), float(torch.trace(s2))) / 6
    assert len(calls) == 2 and ridged.ridge == pytest.approx(expected_ridge, rel=1e-12)
    assert ridged.distance == pytest.approx(exact.distance, abs=1e-4)  # a shared tiny ridge barely moves d²
    assert ridged.to_json() == {"distance": ridged.distance, "ridge": ridged.ridge}


def test_the_square_root_runs_on_one_thread_and_restores_the_callers_setting(monkeypatch):
    seen = []
    real_eigh = torch.linalg.eigh
    monkeypatch.setattr(torch.linalg, "eigh", lambda m: (seen.append(torch.get_num_threads()), real_eigh(m))[1])
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        fid_from_features(_features(50, 4, seed=0), _features(50, 4, seed=1))
        assert seen == [1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_gaussian_stats_are_float64_unbiased_and_chunking_does_not_change_them(monkeypatch):
    x = torch.tensor([[0.0], [2.0]], dtype=torch.float32)
    mu, sigma = gaussian_stats(x)
    assert mu.dtype == sigma.dtype == f64
    assert float(sigma) == pytest.approx(2.0)  # unbiased: sum of squares / (n - 1)
    big = _features(1000, 7, seed=4, shift=3.0).float()
    mu, sigma = gaussian_stats(big)
    monkeypatch.setattr(frechet, "CHUNK_ELEMENTS", 7 * 13)  # 13 rows per chunk
    mu_chunked, sigma_chunked = gaussian_stats(big)
    reference = torch.cov(big.double().T)  # torch's own unbiased covariance, computed another way
    assert torch.allclose(sigma, reference, rtol=1e-12, atol=1e-14)
    assert torch.allclose(sigma_chunked, reference, rtol=1e-12, atol=1e-14)
    assert torch.allclose(mu_chunked, big.double().mean(0), rtol=1e-14)
    assert torch.equal(sigma, sigma.T)


def test_bad_inputs_are_refused_with_the_reason():
    x = _features(10, 4)
    with pytest.raises(ValueError, match="at least 2 samples"):
        gaussian_stats(x[:1])
    broken = x.clone()
    broken[3, 1] = float("nan")
    with pytest.raises(ValueError, match="1 of 10 samples have NaN"):
        fid_from_features(x, broken)
    with pytest.raises(ValueError, match="dimensions differ"):
        fid_from_features(x, _features(10, 5))
    with pytest.raises(ValueError, match="covariance"):
        frechet_distance(torch.zeros(3), torch.eye(2), torch.zeros(3), torch.eye(3))
