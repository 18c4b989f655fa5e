"""Mode counting on synthetic samples whose answer is known."""

from __future__ import annotations

import torch

from ganzoo.metrics.modes import mode_coverage
from ganzoo.zoo.toy_data import build_grid, build_ring, grid_modes, ring_modes


def test_real_data_covers_every_mode_with_high_quality():
    ring = build_ring(samples=2500, seed=5).x
    result = mode_coverage(ring, ring_modes(), std=0.01)
    assert result.modes_covered == 8 and result.high_quality_fraction > 0.98
    grid = build_grid(samples=2500, seed=5).x
    result = mode_coverage(grid, grid_modes(), std=0.05)
    assert result.modes_covered == 25 and result.high_quality_fraction > 0.98


def test_collapsed_samples_cover_one_mode():
    centres = ring_modes()
    collapsed = centres[3] + 0.005 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0))
    result = mode_coverage(collapsed, centres, std=0.01)
    assert result.modes_covered == 1 and result.per_mode_counts[3] == 2500


def test_samples_between_modes_are_not_high_quality():
    centres = ring_modes()
    between = (centres + centres.roll(1, dims=0)) / 2  # midpoints, far from every mode
    result = mode_coverage(between.repeat(100, 1), centres, std=0.01)
    assert result.modes_covered == 0 and result.high_quality_fraction == 0.0


def test_min_count_decides_coverage():
    centres = ring_modes()
    samples = torch.cat([centres[0].repeat(30, 1), centres[1].repeat(5, 1)])
    assert mode_coverage(samples, centres, std=0.01, min_count=20).modes_covered == 1
    assert mode_coverage(samples, centres, std=0.01, min_count=1).modes_covered == 2
