"""Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020).

Both estimate each set's manifold as the union of balls around its samples,
each ball's radius the distance to the sample's k-th nearest neighbour in its
own set (the sample itself excluded):

* precision: share of generated samples inside the real manifold;
* recall: share of real samples inside the generated manifold (k = 3);
* density: how many real balls contain a generated sample, on average, / k;
* coverage: share of real samples whose ball contains a generated sample (k = 5).

Distances are computed in blocks, so 10,000 × 10,000 samples never hold a
full distance matrix (blocks of ``block`` rows, a few hundred MB at most).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

BLOCK = 1024


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float
    k: int


@dataclass(frozen=True)
class DensityCoverage:
    density: float
    coverage: float
    k: int


def knn_radii(features: Tensor, k: int, block: int = BLOCK) -> Tensor:
    """Distance from each row to its k-th nearest other row, shape (N,)."""
    if len(features) <= k:
        raise ValueError(f"need more than k={k} samples for k-NN radii, got {len(features)}")
    x = features.to(torch.float32)
    radii = torch.empty(len(x))
    for start in range(0, len(x), block):
        distances = torch.cdist(x[start:start + block], x)
        # k + 1 smallest: the first is the point itself at distance 0.
        radii[start:start + block] = distances.topk(k + 1, dim=1, largest=False).values[:, k]
    return radii


def _inside_counts(queries: Tensor, centres: Tensor, radii: Tensor, block: int = BLOCK) -> Tensor:
    """For each query, how many balls (centres, radii) contain it."""
    counts = torch.empty(len(queries), dtype=torch.long)
    q, c = queries.to(torch.float32), centres.to(torch.float32)
    for start in range(0, len(q), block):
        counts[start:start + block] = (torch.cdist(q[start:start + block], c) <= radii).sum(dim=1)
    return counts


def _any_inside(centres: Tensor, radii: Tensor, queries: Tensor, block: int = BLOCK) -> Tensor:
    """For each ball (centre, radius), whether any query lies in it."""
    hit = torch.empty(len(centres), dtype=torch.bool)
    c, q = centres.to(torch.float32), queries.to(torch.float32)
    for start in range(0, len(c), block):
        nearest = torch.cdist(c[start:start + block], q).min(dim=1).values
        hit[start:start + block] = nearest <= radii[start:start + block]
    return hit


def precision_recall(real: Tensor, fake: Tensor, k: int = 3) -> PrecisionRecall:
    """Improved precision and recall with k-NN manifolds (k = 3 as in the paper)."""
    real_radii, fake_radii = knn_radii(real, k), knn_radii(fake, k)
    precision = (_inside_counts(fake, real, real_radii) > 0).double().mean()
    recall = (_inside_counts(real, fake, fake_radii) > 0).double().mean()
    return PrecisionRecall(precision=float(precision), recall=float(recall), k=k)


def density_coverage(real: Tensor, fake: Tensor, k: int = 5) -> DensityCoverage:
    """Density and coverage with real k-NN balls (k = 5 as in the paper)."""
    real_radii = knn_radii(real, k)
    density = _inside_counts(fake, real, real_radii).double().sum() / (k * len(fake))
    coverage = _any_inside(real, real_radii, fake).double().mean()
    return DensityCoverage(density=float(density), coverage=float(coverage), k=k)
