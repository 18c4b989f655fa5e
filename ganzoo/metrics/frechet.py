"""The Fréchet distance between Gaussian fits of two feature sets (FID, Heusel et al. 2017).

    d² = |μ₁ - μ₂|² + tr(Σ₁) + tr(Σ₂) - 2 tr((Σ₁ Σ₂)^½)

**The square-root trace, without a general matrix square root.** For
symmetric positive-semi-definite (PSD) Σ₁, Σ₂ with PSD square roots R₁, R₂:

* Σ₁ Σ₂ = R₁ (R₁ Σ₂) and R₁ (R₁ Σ₂) has the eigenvalues of (R₁ Σ₂) R₁
  = R₁ Σ₂ R₁ (AB and BA always share their eigenvalues), a symmetric PSD
  matrix: the eigenvalues λᵢ of Σ₁ Σ₂ are real and ≥ 0, singular Σ included;
* R₁ Σ₂ R₁ = X Xᵀ with X = R₁ R₂, so λᵢ = sᵢ², the squared singular values of X.

Hence tr((Σ₁ Σ₂)^½) = Σ √λᵢ = Σ sᵢ(R₁ R₂), exactly, for every pair of PSD
matrices. ganzoo computes R₁ and R₂ with ``torch.linalg.eigh`` and the
singular values with ``torch.linalg.svdvals``, all on real symmetric or real
matrices in float64: the result is real by construction (the reference code's
``scipy.linalg.sqrtm`` returns complex matrices whose imaginary leftovers it
has to check and drop). Taking singular values of R₁ R₂ rather than square
roots of the eigenvalues of R₁ Σ₂ R₁ matters for singular covariances: an
eigenvalue that should be 0 comes out as ±1e-16·‖M‖, and its square root,
1e-8·√‖M‖, would be added once per missing dimension (measured: a relative
error of 7e-8 with 10 samples in 128 dimensions); a singular value that should
be 0 comes out as 1e-16·‖X‖ instead.

The only place round-off is decided is the eigenvalues of each Σ: those below
D·ε·λ_max (ε = float64 machine epsilon, 2.2e-16) are indistinguishable from
rounding errors of a covariance stored in float64, and are set to 0 before
the square root (the rank cut-off ``numpy.linalg.matrix_rank`` uses).

**eps, the ridge.** Singular covariances (fewer samples than dimensions, dead
features) need no ridge here: the identity above holds for them exactly, and
their null directions contribute exactly 0 to the trace. The ridge is a
fallback for a LAPACK failure only: if ``eigh`` or ``svdvals`` does not
converge (``torch.linalg.LinAlgError``, seen with badly scaled input), both
covariances get ``eps`` × their larger mean variance (tr Σ / D) added to the
diagonal, the way the reference implementation adds ``eps · I`` when its
result is not finite, and the computation is repeated once. The ridge that
was added (0.0 almost always) is returned in :attr:`Frechet.ridge` so the
caller can record it next to the number; a ridge shared by both covariances
changes d² by O(D·ridge) at most.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from ganzoo.metrics._common import feature_matrix, one_thread, same_width

DEFAULT_EPS = 1e-6
#: Rows of features centred and multiplied at once (float64): bounds gaussian_stats' memory to ~32 MB.
CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Frechet:
    """A Fréchet distance with what went into it."""

    distance: float  # the squared Fréchet distance d² ≥ 0 (what is reported as FID)
    ridge: float  # the value added to both covariance diagonals; 0.0 unless the eigensolver failed

    def to_json(self) -> dict:
        return asdict(self)


def gaussian_stats(features: Tensor) -> tuple[Tensor, Tensor]:
    """(mean (D,), unbiased covariance (D, D)) of ``features`` (N, D), both float64.

    Two passes in float64 (the mean, then the centred products, in row chunks
    of about 32 MB), so large N and D never need a float64 copy of the whole
    set. Raises ``ValueError`` for fewer than 2 samples or non-finite features.
    """
    x = feature_matrix(features, name="features", min_rows=2)
    n, d = x.shape
    rows = max(1, CHUNK_ELEMENTS // d)
    mu = torch.zeros(d, dtype=torch.float64, device=x.device)
    for start in range(0, n, rows):
        mu += x[start:start + rows].to(torch.float64).sum(dim=0)
    mu /= n
    sigma = torch.zeros(d, d, dtype=torch.float64, device=x.device)
    for start in range(0, n, rows):
        centred = x[start:start + rows].to(torch.float64) - mu
        sigma.addmm_(centred.T, centred)
    sigma /= n - 1
    return mu, (sigma + sigma.T) / 2  # exactly symmetric; the product is only up to round-off


def _psd_sqrt(matrix: Tensor) -> Tensor:
    """The PSD square root of a symmetric PSD matrix; eigenvalues below D·ε·λ_max count as 0."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    cutoff = len(values) * torch.finfo(values.dtype).eps * values.abs().max()
    values = torch.where(values > cutoff, values, torch.zeros_like(values))
    return (vectors * values.sqrt()) @ vectors.T


def trace_sqrt_product(sigma1: Tensor, sigma2: Tensor) -> Tensor:
    """tr((Σ₁ Σ₂)^½) for symmetric PSD Σ₁, Σ₂, as the sum of the singular values of Σ₁^½ Σ₂^½.

    A 0-d float64 tensor. Raises ``torch.linalg.LinAlgError`` if LAPACK does not converge.
    """
    sigma1, sigma2 = sigma1.to(torch.float64), sigma2.to(torch.float64)
    with one_thread():
        return torch.linalg.svdvals(_psd_sqrt(sigma1) @ _psd_sqrt(sigma2)).sum()


def _check_stats(mu: Tensor, sigma: Tensor, which: str) -> None:
    if mu.dim() != 1 or sigma.shape != (len(mu), len(mu)):
        raise ValueError(f"{which}: expected a mean (D,) and a covariance (D, D), got {tuple(mu.shape)} and "
                         f"{tuple(sigma.shape)}")  # fmt: skip
    if not (bool(torch.isfinite(mu).all()) and bool(torch.isfinite(sigma).all())):
        raise ValueError(f"{which}: the mean or covariance has NaN or infinite entries")


def frechet(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor, *, eps: float = DEFAULT_EPS) -> Frechet:
    """The squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), with the ridge used.

    Computed in float64. ``eps`` is the relative ridge of the LAPACK-failure
    fallback described in the module docstring; the ridge actually added is
    returned in :attr:`Frechet.ridge`.
    """
    mu1, sigma1 = mu1.to(torch.float64), sigma1.to(torch.float64)
    mu2, sigma2 = mu2.to(torch.float64), sigma2.to(torch.float64)
    _check_stats(mu1, sigma1, "first Gaussian")
    _check_stats(mu2, sigma2, "second Gaussian")
    if mu1.shape != mu2.shape:
        raise ValueError(f"feature dimensions differ: {len(mu1)} vs {len(mu2)}")
    ridge = 0.0
    try:
        covmean = trace_sqrt_product(sigma1, sigma2)
    except torch.linalg.LinAlgError:
        ridge = eps * max(float(torch.trace(sigma1)), float(torch.trace(sigma2)), 1.0) / len(mu1)
        offset = ridge * torch.eye(len(mu1), dtype=torch.float64, device=sigma1.device)
        sigma1, sigma2 = sigma1 + offset, sigma2 + offset
        covmean = trace_sqrt_product(sigma1, sigma2)
    diff = mu1 - mu2
    value = diff @ diff + torch.trace(sigma1) + torch.trace(sigma2) - 2 * covmean
    # d² ≥ 0 exactly; round-off leaves about -1e-12 for identical inputs, which is 0.
    return Frechet(distance=max(float(value), 0.0), ridge=ridge)


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor, eps: float = DEFAULT_EPS) -> float:
    """The squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (a float ≥ 0)."""
    return frechet(mu1, sigma1, mu2, sigma2, eps=eps).distance


def fid(real: Tensor, fake: Tensor, *, eps: float = DEFAULT_EPS) -> Frechet:
    """FID between two feature sets (N, D) and (M, D), with the ridge used (see :func:`frechet`)."""
    real_m = feature_matrix(real, name="real features", min_rows=2)
    fake_m = feature_matrix(fake, name="generated features", min_rows=2)
    same_width(real_m, fake_m)
    return frechet(*gaussian_stats(real_m), *gaussian_stats(fake_m), eps=eps)


def fid_from_features(real: Tensor, fake: Tensor, eps: float = DEFAULT_EPS) -> float:
    """FID between two feature sets (N, D) and (M, D), a float ≥ 0."""
    return fid(real, fake, eps=eps).distance
