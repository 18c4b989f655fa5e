"""Kernel Inception Distance in any feature space (KID, Bińkowski et al. 2018).

The unbiased estimator of the squared maximum mean discrepancy (MMD²) with
the cubic polynomial kernel k(x, y) = (x·y / d + 1)³, d the feature dimension:

    MMD²_u = Σ_{i≠j} k(xᵢ, xⱼ) / (m(m-1)) + Σ_{i≠j} k(yᵢ, yⱼ) / (n(n-1)) - 2 Σ_{i,j} k(xᵢ, yⱼ) / (mn)

Its expectation is exactly MMD² (0 for two samples of one distribution,
whatever the sample size), so unlike FID it can come out negative, and it
does not shrink as N grows. As in the paper's reference code it is averaged
over ``subsets`` random subsets of ``subset_size`` samples of each set (100
of 1,000 by default), each subset drawn without replacement, independently.
The std returned is the spread of the subset estimates (population std, as
the reference code and torch-fidelity print it), not the standard error of
the mean: subsets of one sample overlap, so their mean is not 100 times more
precise than one of them.

Everything is float64: the estimate is a difference of sums of about 10⁶
kernel values of order 1-10 that cancel to 10⁻³ or less. The subset loop runs
on one CPU thread (see :func:`ganzoo.metrics._common.one_thread`).
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ganzoo.metrics._common import feature_matrix, one_thread, same_width

DEFAULT_SUBSETS = 100
DEFAULT_SUBSET_SIZE = 1000


def _off_diagonal_mean(gram: Tensor) -> Tensor:
    n = len(gram)
    # Drop the diagonal: k(xᵢ, xᵢ) would bias the within-set means upwards.
    return (gram.sum() - gram.diagonal().sum()) / (n * (n - 1))


def polynomial_mmd2(x: Tensor, y: Tensor, degree: int = 3, coef: float = 1.0) -> Tensor:
    """Unbiased MMD² between ``x`` (m, d) and ``y`` (n, d) with k(a, b) = (a·b / d + coef)^degree.

    A 0-d float64 tensor; m, n ≥ 2.
    """
    x = feature_matrix(x, name="x", min_rows=2, dtype=torch.float64)
    y = feature_matrix(y, name="y", min_rows=2, dtype=torch.float64)
    same_width(x, y)
    scale = 1.0 / x.shape[1]

    def gram(a: Tensor, b: Tensor) -> Tensor:
        # In place after the product: three 1000 × 1000 float64 passes instead of three allocations.
        return torch.mm(a, b.T).mul_(scale).add_(coef).pow_(degree)

    return _off_diagonal_mean(gram(x, x)) + _off_diagonal_mean(gram(y, y)) - 2 * gram(x, y).mean()


def kid(real: Tensor, fake: Tensor, *, subsets: int = DEFAULT_SUBSETS, subset_size: int = DEFAULT_SUBSET_SIZE,
        generator: Optional[torch.Generator] = None) -> tuple[float, float]:
    """(mean, std) of the unbiased polynomial-kernel MMD² over random subsets (float64).

    ``subset_size`` is clamped to the smaller sample count (``effective_subset_size``);
    when it covers both sets whole, every subset gives the same value and the
    std is 0. Subsets are drawn with ``generator`` (default: a fresh generator
    seeded with 0); the global RNG is never used or advanced.
    """
    if subsets < 1:
        raise ValueError(f"KID needs at least one subset, got subsets={subsets}")
    real = feature_matrix(real, name="real features", min_rows=2, dtype=torch.float64)
    fake = feature_matrix(fake, name="generated features", min_rows=2, dtype=torch.float64)
    same_width(real, fake)
    size = effective_subset_size(len(real), len(fake), subset_size)
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    values = torch.empty(subsets, dtype=torch.float64)
    with one_thread():  # 1000 × 1000 operations in a loop: see ganzoo.metrics._common.one_thread
        for i in range(subsets):
            x = real[torch.randperm(len(real), generator=generator)[:size]]
            y = fake[torch.randperm(len(fake), generator=generator)[:size]]
            values[i] = polynomial_mmd2(x, y)
    return float(values.mean()), float(values.std(correction=0))


def effective_subset_size(n_real: int, n_fake: int, subset_size: int = DEFAULT_SUBSET_SIZE) -> int:
    """The subset size :func:`kid` uses: ``subset_size`` clamped to both sample counts (record it)."""
    if subset_size < 2:
        raise ValueError(f"KID subsets need at least 2 samples, got subset_size={subset_size}")
    return min(subset_size, n_real, n_fake)
