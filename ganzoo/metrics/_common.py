"""What every metric family shares: input checks, and running small operations on one thread.

Input checks: a finite (N, D) matrix, enough rows, matching widths.

Metrics get features from ganzoo's own pipeline, so a bad input is a bug or a
diverged generator (NaN images give NaN features), not a user typo: the
checks raise ``ValueError`` with the numbers involved, and the caller turns
that into a user-facing message where it can.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

import torch
from torch import Tensor


def feature_matrix(features: Tensor, *, name: str, min_rows: int = 1, dtype: Optional[torch.dtype] = None) -> Tensor:
    """``features`` as a detached (N, D) matrix, rows flattened, optionally cast to ``dtype``.

    Raises ``ValueError`` for fewer than ``min_rows`` rows or a non-finite value.
    """
    if features.dim() == 0:
        raise ValueError(f"{name}: expected an (N, D) feature matrix, got a scalar")
    x = features.detach().reshape(len(features), -1)
    if dtype is not None:
        x = x.to(dtype)
    if len(x) < min_rows:
        raise ValueError(f"{name}: need at least {min_rows} samples, got {len(x)}")
    if x.shape[1] == 0:
        raise ValueError(f"{name}: the features have no dimensions")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).any(dim=1).sum())
        raise ValueError(f"{name}: {bad} of {len(x)} samples have NaN or infinite features")
    return x


def same_width(a: Tensor, b: Tensor) -> None:
    """Raise ``ValueError`` unless the two (N, D) matrices have the same D."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape[1]} vs {b.shape[1]}")


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the enclosed torch CPU work on one intra-op thread, then restore the caller's setting.

    For loops of small and medium operations (LAPACK on a D × D covariance,
    KID's 1000 × 1000 kernel matrices): torch's thread pool waits for its
    slowest thread, so on the 2-core development machine, with another job on
    one core, a 128 × 128 ``eigh`` took 0.9 s on 2 threads and 3 ms on one, and
    KID's subsets of 1,000 took 250 ms each against 30 ms. On an idle machine
    one thread costs at most the parallel speed-up (2× on 2 cores) of work
    that takes seconds either way. The setting is process-wide while the
    block runs.
    """
    previous = torch.get_num_threads()
    if previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
