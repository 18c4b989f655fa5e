"""FLOPs of one engine iteration, and the machine's fp32 matmul peak to compare with."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import engine_runs


def counted_iteration_flops(registry: Any, scratch: Path, data_root: Path, batch_size: int) -> int:
    """FLOPs of one training iteration as the engine really runs it, by ``FlopCounterMode``.

    Two full ``ganzoo.train`` runs of 1 and 2 steps are counted; everything but
    the second iteration (the dry run, sample grids, checkpoint) is the same
    in both, so the difference is exactly one iteration: D step + G step,
    forward and backward. FlopCounterMode counts matrix products only
    (Linear layers here); the element-wise work is not in it.
    """
    import ganzoo
    from torch.utils.flop_counter import FlopCounterMode

    totals = []
    for steps in (1, 2):
        counter = FlopCounterMode(display=False)
        with counter:
            ganzoo.train(
                engine_runs.RECIPE, steps=steps, batch_size=batch_size, device="cpu", out=scratch / f"count-{steps}",
                data_dir=data_root, download=False, quiet=True, registry=registry,
            )  # fmt: skip
        totals.append(counter.get_total_flops())
    return totals[1] - totals[0]


def analytic_iteration_flops(G: Any, D: Any, batch_size: int) -> int:
    """The same from the Linear layer sizes: 2*in*out per sample per forward, x3 with backward.

    One iteration = G forward without grad (x1), D forward+backward on the real
    and on the fake batch (x3 each), then G and D forward+backward for the G
    step (x3 each). It over-counts slightly: the engine skips D's weight
    gradients in the G step (D is frozen) and the first layers' input gradients.
    """
    from torch import nn

    def forward_flops(module: nn.Module) -> int:
        return sum(2 * m.in_features * m.out_features for m in module.modules() if isinstance(m, nn.Linear))

    g, d = forward_flops(G), forward_flops(D)
    return batch_size * (g * 1 + d * 3 * 2 + (g + d) * 3)


def matmul_peak(size: int, repeats: int) -> dict[str, Any]:
    """Best-of-``repeats`` fp32 FLOP/s of a ``size`` x ``size`` matrix product (2*n^3 FLOPs)."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    for _ in range(2):  # warm-up: thread pool start, oneDNN/BLAS kernel choice, page faults on `out`
        torch.mm(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return {"size": size, "repeats": repeats, "best_s": best, "flop_per_s": 2 * size**3 / best}
