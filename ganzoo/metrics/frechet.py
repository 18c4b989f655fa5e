"""The Fréchet distance between Gaussian fits of two feature sets (FID, Heusel et al. 2017).

    d² = |μ₁ - μ₂|² + tr(Σ₁) + tr(Σ₂) - 2 tr((Σ₁ Σ₂)^½)

The last trace is computed without a general matrix square root: for
positive-semi-definite Σ₁, Σ₂ the matrix Σ₁ Σ₂ is similar to the symmetric
PSD matrix M = Σ₁^½ Σ₂ Σ₁^½ (M = Σ₁^½ (Σ₁ Σ₂) Σ₁^-½ where Σ₁ is invertible,
and by continuity otherwise), so they share their non-negative eigenvalues λᵢ
and tr((Σ₁ Σ₂)^½) = Σ √λᵢ. Both Σ₁^½ and the eigenvalues of M come from
``torch.linalg.eigh`` on symmetric matrices in float64: the result is real by
construction, with no complex-valued leftovers to discard (the reference
implementation's ``scipy.linalg.sqrtm`` path needs that), and eigenvalues that
round-off pushes below zero are clamped to zero.

eps: when a covariance is singular (fewer samples than dimensions, or dead
features), its tiny negative eigenvalues are clamped, which is exact for a PSD
matrix; ``eps`` (default 1e-6) is then added to the diagonal of both
covariances only if the result is not finite, as in the reference code
(``offset = np.eye(d) * eps``), so it never changes a well-conditioned result.
"""

from __future__ import annotations

import torch
from torch import Tensor

DEFAULT_EPS = 1e-6


def gaussian_stats(features: Tensor) -> tuple[Tensor, Tensor]:
    """(mean, unbiased covariance) of ``features`` (N, D), in float64."""
    x = features.detach().to(torch.float64).reshape(len(features), -1)
    if len(x) < 2:
        raise ValueError(f"need at least 2 samples for a covariance, got {len(x)}")
    mu = x.mean(dim=0)
    centred = x - mu
    sigma = centred.T @ centred / (len(x) - 1)
    return mu, sigma


def _psd_sqrt(matrix: Tensor) -> Tensor:
    """The PSD square root of a symmetric PSD matrix (negative round-off eigenvalues clamped)."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def trace_sqrt_product(sigma1: Tensor, sigma2: Tensor) -> Tensor:
    """tr((Σ₁ Σ₂)^½) for symmetric PSD Σ₁, Σ₂, as Σ √eig(Σ₁^½ Σ₂ Σ₁^½)."""
    root = _psd_sqrt(sigma1)
    middle = root @ sigma2 @ root
    values = torch.linalg.eigvalsh((middle + middle.T) / 2)
    return values.clamp_min(0).sqrt().sum()


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor, eps: float = DEFAULT_EPS) -> float:
    """The squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (a float ≥ 0)."""
    mu1, mu2 = mu1.to(torch.float64), mu2.to(torch.float64)
    sigma1, sigma2 = sigma1.to(torch.float64), sigma2.to(torch.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"feature dimensions differ: {tuple(mu1.shape)} vs {tuple(mu2.shape)}")
    covmean = trace_sqrt_product(sigma1, sigma2)
    if not torch.isfinite(covmean):
        offset = torch.eye(len(sigma1), dtype=torch.float64) * eps
        covmean = trace_sqrt_product(sigma1 + offset, sigma2 + offset)
    diff = mu1 - mu2
    value = diff @ diff + torch.trace(sigma1) + torch.trace(sigma2) - 2 * covmean
    # Exact arithmetic gives d² ≥ 0; round-off can leave -1e-12 for identical sets.
    return max(float(value), 0.0)


def fid_from_features(real: Tensor, fake: Tensor, eps: float = DEFAULT_EPS) -> float:
    """FID between two feature sets (N, D) and (M, D)."""
    return frechet_distance(*gaussian_stats(real), *gaussian_stats(fake), eps=eps)
