"""Precision/recall and density/coverage: constructed cases, a full-matrix reference, blockwise equality."""

from __future__ import annotations

import pytest
import torch

from ganzoo.metrics.manifold import (
    DensityCoverage,
    PrecisionRecall,
    density_coverage,
    knn_radii,
    manifold_metrics,
    precision_recall,
)


def _gauss(n, d=8, seed=0, shift=0.0, dtype=torch.float32):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype) + shift


def _reference(real, fake, pr_k=3, dc_k=5):
    """The four metrics from whole distance matrices, written as in the papers (Naeem et al.'s formulas)."""
    rr, ff, rf = torch.cdist(real, real), torch.cdist(fake, fake), torch.cdist(real, fake)
    # The k-th neighbour other than the point itself: the (k+1)-th smallest, the point being at distance 0.
    r_pr, r_dc = rr.sort(dim=1).values[:, pr_k], rr.sort(dim=1).values[:, dc_k]
    f_pr = ff.sort(dim=1).values[:, pr_k]
    return (
        float((rf <= r_pr[:, None]).any(dim=0).double().mean()),
        float((rf <= f_pr[None, :]).any(dim=1).double().mean()),
        float((rf <= r_dc[:, None]).sum()) / (dc_k * len(fake)),
        float((rf.min(dim=1).values <= r_dc).double().mean()),
    )


def test_knn_radius_excludes_the_point_itself_but_not_its_duplicates():
    points = torch.tensor([[0.0], [1.0], [3.0]])
    assert knn_radii(points, k=1).tolist() == [1.0, 1.0, 2.0]
    assert knn_radii(points, k=2).tolist() == [3.0, 2.0, 3.0]
    duplicated = torch.tensor([[0.0], [0.0], [1.0], [3.0]])
    assert knn_radii(duplicated, k=1).tolist() == [0.0, 0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="more than k=3"):
        knn_radii(points, k=3)


def test_identical_sets_have_full_precision_recall_and_coverage_and_density_k_plus_one_over_k():
    x = _gauss(500)
    pr, dc = precision_recall(x, x), density_coverage(x, x)
    assert pr == PrecisionRecall(precision=1.0, recall=1.0, k=3)
    assert dc.coverage == 1.0
    # Each real ball holds its own centre and its k neighbours: (k + 1) incidences per ball, density (k + 1) / k.
    assert dc.density == pytest.approx(6 / 5, abs=1e-3)


def test_far_apart_sets_score_zero():
    real, fake = _gauss(300, seed=0), _gauss(300, seed=1, shift=100.0)
    result = manifold_metrics(real, fake)
    assert result.precision_recall == PrecisionRecall(0.0, 0.0, 3)
    assert result.density_coverage == DensityCoverage(0.0, 0.0, 5)


def test_a_generator_covering_half_the_modes_has_half_the_recall_and_full_precision():
    centres = torch.tensor([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0], [50.0, 50.0]])
    g = torch.Generator().manual_seed(0)
    real = centres.repeat_interleave(250, 0) + 0.5 * torch.randn(1000, 2, generator=g)
    fake = centres[:2].repeat_interleave(500, 0) + 0.5 * torch.randn(1000, 2, generator=g)
    pr, dc = precision_recall(real, fake), density_coverage(real, fake)
    assert pr.precision > 0.95
    assert pr.recall == pytest.approx(0.5, abs=0.03)
    assert dc.coverage == pytest.approx(0.5, abs=0.03)
    # Density counts real balls around each generated sample, not samples per mode: inside the
    # covered modes the generated points sit where real ones are dense, so it stays about 1.
    assert dc.density == pytest.approx(1.0, abs=0.15)


def test_a_collapsed_generator_has_precision_but_no_recall():
    real = _gauss(1000, d=4, seed=0)
    fake = real[:1].repeat(500, 1) + 1e-3 * _gauss(500, d=4, seed=1)  # every sample next to one real point
    pr, dc = precision_recall(real, fake), density_coverage(real, fake)
    assert pr.precision == 1.0 and pr.recall < 0.01
    assert dc.coverage < 0.01


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_blockwise_pass_matches_whole_distance_matrices(dtype):
    real, fake = _gauss(700, seed=0, dtype=dtype), _gauss(600, seed=1, shift=0.5, dtype=dtype)
    expected = _reference(real.double(), fake.double())
    for block_elements in (600, 64 * 700, 10**8):  # one row per block, 64 rows, everything in one block
        result = manifold_metrics(real, fake, block_elements=block_elements)
        pr, dc = result.precision_recall, result.density_coverage
        got = (pr.precision, pr.recall, dc.density, dc.coverage)
        # float32 distances may flip a sample sitting exactly on a ball's edge: at most one in 600.
        assert got == pytest.approx(expected, abs=0 if dtype == torch.float64 else 2 / 600)
        assert torch.allclose(knn_radii(real, 3, block_elements=block_elements),
                              torch.cdist(real, real).sort(dim=1).values[:, 3], rtol=1e-5)  # fmt: skip


def test_one_pass_equals_the_two_families_computed_apart():
    real, fake = _gauss(400, seed=2), _gauss(350, seed=3, shift=0.3)
    both = manifold_metrics(real, fake, pr_k=4, dc_k=2)
    assert both.precision_recall == precision_recall(real, fake, k=4)
    assert both.density_coverage == density_coverage(real, fake, k=2)
    assert manifold_metrics(real, fake, dc_k=None).density_coverage is None


def test_bad_inputs_are_refused():
    x = _gauss(10)
    with pytest.raises(ValueError, match="dimensions differ"):
        precision_recall(x, _gauss(10, d=3))
    with pytest.raises(ValueError, match="more than k=5"):
        density_coverage(x[:5], x)
    with pytest.raises(ValueError, match="nothing to compute"):
        manifold_metrics(x, x, pr_k=None, dc_k=None)
    with pytest.raises(ValueError, match="NaN"):
        precision_recall(x, torch.full((10, 8), float("inf")))
