"""KID: the unbiased estimator, its expectation, subsets, seeding and clamping."""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.metrics.kernel import effective_subset_size, kid, polynomial_mmd2

f64 = torch.float64


def _gauss(n, d=8, seed=0, shift=0.0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=f64) + shift


def _naive_mmd2(x, y):
    """The unbiased MMD² written out pair by pair (Bińkowski et al. 2018, eq. 2) with k(a, b) = (a·b/d + 1)³."""
    d = x.shape[1]

    def k(a, b):
        return (float(a @ b) / d + 1) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_polynomial_mmd2_matches_the_pairwise_definition():
    x, y = _gauss(7, d=5, seed=0), _gauss(4, d=5, seed=1, shift=0.5)
    assert float(polynomial_mmd2(x, y)) == pytest.approx(_naive_mmd2(x, y), rel=1e-12)
    assert polynomial_mmd2(x.float(), y.float()).dtype == f64


def test_the_estimator_is_unbiased_over_independent_draws():
    # 300 independent pairs of samples of one distribution: the mean estimate is within 4 standard errors of 0.
    # The biased (V-statistic) estimator, diagonals kept, sits about 45 standard errors above 0 on the same draws.
    g = torch.Generator().manual_seed(0)
    unbiased, biased = [], []
    for _ in range(300):
        x, y = torch.randn(50, 4, generator=g, dtype=f64), torch.randn(50, 4, generator=g, dtype=f64)
        unbiased.append(float(polynomial_mmd2(x, y)))
        kxx, kyy, kxy = ((a @ b.T / 4 + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        biased.append(float(kxx.mean() + kyy.mean() - 2 * kxy.mean()))
    for values, within in ((unbiased, True), (biased, False)):
        values = torch.tensor(values)
        t = float(values.mean() / (values.std() / math.sqrt(len(values))))
        assert (abs(t) < 4) == within, t


def test_kid_is_near_zero_for_one_distribution_and_clearly_positive_for_shifted_ones():
    real = _gauss(2000, seed=0)
    same_mean, same_std = kid(real, _gauss(2000, seed=1), subsets=50, subset_size=500)
    assert abs(same_mean) < 3 * same_std
    shifted_mean, shifted_std = kid(real, _gauss(2000, seed=1, shift=0.3), subsets=50, subset_size=500)
    assert shifted_mean > 5 * shifted_std and shifted_mean > 100 * abs(same_mean)
    farther_mean, _ = kid(real, _gauss(2000, seed=1, shift=0.6), subsets=50, subset_size=500)
    assert farther_mean > shifted_mean


def test_kid_is_reproducible_with_a_seeded_generator_and_leaves_the_global_rng_alone():
    real, fake = _gauss(300, seed=0), _gauss(300, seed=1, shift=0.3)
    state = torch.get_rng_state()
    a = kid(real, fake, subsets=10, subset_size=100, generator=torch.Generator().manual_seed(4))
    b = kid(real, fake, subsets=10, subset_size=100, generator=torch.Generator().manual_seed(4))
    c = kid(real, fake, subsets=10, subset_size=100, generator=torch.Generator().manual_seed(5))
    assert a == b and a != c
    assert kid(real, fake, subsets=10, subset_size=100) == kid(real, fake, subsets=10, subset_size=100)
    assert torch.equal(state, torch.get_rng_state())


def test_the_subset_size_is_clamped_to_the_samples():
    x, y = _gauss(40, seed=0), _gauss(40, seed=1, shift=2.0)
    assert effective_subset_size(40, 40, 1000) == 40 and effective_subset_size(5000, 300) == 300
    # Subsets that cover both sets whole are permutations: every subset gives the full-sample estimate.
    mean, std = kid(x, y, subsets=5, subset_size=1000)
    assert mean == pytest.approx(float(polynomial_mmd2(x, y)), rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)
    mean, std = kid(_gauss(50, seed=0), y, subsets=5, subset_size=1000)  # 40 of the 50 each time
    assert mean > 0 and std > 0


def test_the_std_is_the_population_spread_of_the_subset_estimates():
    real, fake = _gauss(400, seed=0), _gauss(400, seed=1, shift=0.2)
    mean, std = kid(real, fake, subsets=8, subset_size=100, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)
    values = []
    for _ in range(8):  # the same draws, in the same order
        x = real[torch.randperm(400, generator=g)[:100]]
        values.append(float(polynomial_mmd2(x, fake[torch.randperm(400, generator=g)[:100]])))
    values = torch.tensor(values, dtype=f64)
    assert mean == pytest.approx(float(values.mean()), rel=1e-12)
    assert std == pytest.approx(float(values.std(correction=0)), rel=1e-12)


def test_bad_inputs_are_refused():
    x = _gauss(10)
    with pytest.raises(ValueError, match="at least one subset"):
        kid(x, x, subsets=0)
    with pytest.raises(ValueError, match="dimensions differ"):
        kid(x, _gauss(10, d=3))
    with pytest.raises(ValueError, match="at least 2 samples"):
        kid(x, x[:1])
    with pytest.raises(ValueError, match="subset_size"):
        kid(x, x, subset_size=1)
