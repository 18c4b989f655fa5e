"""Kernel Inception Distance in any feature space (KID, Bińkowski et al. 2018).

The unbiased estimator of the squared MMD with the cubic polynomial kernel
k(x, y) = (x·y / d + 1)³, averaged over random subsets, as in the paper's
reference code (100 subsets of 1,000). Unlike FID it is unbiased: its
expectation is 0 for two samples of one distribution, whatever the sample size.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor


def polynomial_mmd2(x: Tensor, y: Tensor, degree: int = 3, coef: float = 1.0) -> Tensor:
    """Unbiased MMD² between ``x`` (m, d) and ``y`` (n, d) with k(a, b) = (a·b / d + coef)^degree."""
    d = x.shape[1]
    k_xx = (x @ x.T / d + coef) ** degree
    k_yy = (y @ y.T / d + coef) ** degree
    k_xy = (x @ y.T / d + coef) ** degree
    m, n = len(x), len(y)
    # Drop the diagonals: k(x_i, x_i) would bias the within-set means upwards.
    sum_xx = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    sum_yy = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return sum_xx + sum_yy - 2 * k_xy.mean()


def kid(real: Tensor, fake: Tensor, *, subsets: int = 100, subset_size: int = 1000,
        generator: Optional[torch.Generator] = None) -> tuple[float, float]:
    """(mean, std) of the unbiased MMD² over ``subsets`` random subsets (float64).

    ``subset_size`` is clamped to the smaller sample count. Subsets are drawn
    with ``generator`` (seed it for reproducible numbers); the global RNG is
    never used.
    """
    real = real.detach().to(torch.float64).reshape(len(real), -1)
    fake = fake.detach().to(torch.float64).reshape(len(fake), -1)
    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(real)} and {len(fake)}")
    generator = generator or torch.Generator().manual_seed(0)
    values = torch.empty(subsets, dtype=torch.float64)
    for i in range(subsets):
        x = real[torch.randperm(len(real), generator=generator)[:size]]
        y = fake[torch.randperm(len(fake), generator=generator)[:size]]
        values[i] = polynomial_mmd2(x, y)
    std = float(values.std()) if subsets > 1 else math.nan
    return float(values.mean()), std
