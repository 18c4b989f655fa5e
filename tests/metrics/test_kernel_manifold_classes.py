"""KID, precision/recall, density/coverage and the class histogram on constructed cases."""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.metrics.classes import class_histogram
from ganzoo.metrics.kernel import kid
from ganzoo.metrics.manifold import density_coverage, knn_radii, precision_recall


def _gauss(n, d=8, seed=0, shift=0.0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed)) + shift


def test_kid_is_zero_in_expectation_for_two_draws_of_one_distribution():
    mean, std = kid(_gauss(2000, seed=0), _gauss(2000, seed=1), subsets=50, subset_size=500)
    assert abs(mean) < 3 * std / math.sqrt(50) + 1e-3
    shifted, shifted_std = kid(_gauss(2000, seed=0), _gauss(2000, seed=1, shift=1.0), subsets=50, subset_size=500)
    assert shifted > 20 * max(shifted_std / math.sqrt(50), abs(mean))


def test_kid_is_reproducible_with_a_seeded_generator_and_leaves_the_global_rng_alone():
    real, fake = _gauss(300, seed=0), _gauss(300, seed=1, shift=0.3)
    state = torch.get_rng_state()
    a = kid(real, fake, subsets=10, subset_size=100, generator=torch.Generator().manual_seed(4))
    b = kid(real, fake, subsets=10, subset_size=100, generator=torch.Generator().manual_seed(4))
    c = kid(real, fake, subsets=10, subset_size=100, generator=torch.Generator().manual_seed(5))
    assert a == b and a != c
    assert torch.equal(state, torch.get_rng_state())


def test_kid_clamps_the_subset_size_to_the_samples():
    mean, std = kid(_gauss(50, seed=0), _gauss(40, seed=1, shift=2.0), subsets=5, subset_size=1000)
    assert mean > 0 and math.isfinite(std)


def test_knn_radius_excludes_the_point_itself():
    points = torch.tensor([[0.0], [1.0], [3.0]])
    assert knn_radii(points, k=1).tolist() == [1.0, 1.0, 2.0]


def test_identical_sets_have_full_precision_recall_and_coverage():
    x = _gauss(500)
    pr, dc = precision_recall(x, x), density_coverage(x, x)
    assert pr.precision == pr.recall == dc.coverage == 1.0
    assert dc.density == pytest.approx(1.0, abs=0.3)


def test_far_apart_sets_score_zero():
    real, fake = _gauss(300, seed=0), _gauss(300, seed=1, shift=100.0)
    pr, dc = precision_recall(real, fake), density_coverage(real, fake)
    assert pr.precision == pr.recall == dc.density == dc.coverage == 0.0


def test_a_generator_covering_half_the_modes_has_half_the_recall_and_full_precision():
    centres = torch.tensor([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0], [50.0, 50.0]])
    g = torch.Generator().manual_seed(0)
    real = centres.repeat_interleave(250, 0) + 0.5 * torch.randn(1000, 2, generator=g)
    fake = centres[:2].repeat_interleave(500, 0) + 0.5 * torch.randn(1000, 2, generator=g)
    pr, dc = precision_recall(real, fake), density_coverage(real, fake)
    assert pr.precision > 0.95
    assert pr.recall == pytest.approx(0.5, abs=0.03)
    assert dc.coverage == pytest.approx(0.5, abs=0.03)


def test_blockwise_distances_match_a_single_block():
    real, fake = _gauss(700, seed=0), _gauss(600, seed=1, shift=0.5)
    from ganzoo.metrics import manifold

    small = manifold.knn_radii(real, 3, block=64)
    assert torch.allclose(small, manifold.knn_radii(real, 3, block=10_000))
    assert precision_recall(real, fake) == precision_recall(real.clone(), fake.clone())


def test_class_histogram_of_one_class_and_of_a_uniform_spread():
    one = class_histogram(torch.full((100,), 3), num_classes=10)
    assert one.classes_covered == 1 and one.kl_to_uniform == pytest.approx(math.log(10))
    uniform = class_histogram(torch.arange(1000) % 10, num_classes=10)
    assert uniform.classes_covered == 10 and uniform.kl_to_uniform == pytest.approx(0.0, abs=1e-12)
    assert class_histogram(torch.arange(1000) % 10, 10, reference=torch.arange(10)).kl_to_reference == pytest.approx(0.0)


def test_a_class_needs_a_tenth_of_its_fair_share_to_count_as_covered():
    labels = torch.cat([torch.arange(990) % 9, torch.full((10,), 9)])  # class 9: 1.0 % of samples
    assert class_histogram(labels, 10).classes_covered == 10
    labels = torch.cat([torch.arange(995) % 9, torch.full((5,), 9)])  # class 9: 0.5 %
    assert class_histogram(labels, 10).classes_covered == 9


def test_class_confidence_comes_from_softmax_logits():
    sharp = torch.eye(10).repeat(10, 1) * 50
    flat = torch.zeros(100, 10)
    assert class_histogram(sharp, 10).mean_confidence == pytest.approx(1.0)
    assert class_histogram(flat, 10).mean_confidence == pytest.approx(0.1)
