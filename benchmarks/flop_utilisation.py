"""FLOPs of one engine iteration, and the machine's fp32 matmul peak to compare with."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import engine_runs


class ProductFlops:
    """Counts the FLOPs of matrix products and convolutions run inside ``with``.

    The same per-operator formulas as ``torch.utils.flop_counter.FlopCounterMode``
    (its ``flop_registry``), without that mode's per-module tracking: its
    backward hooks break ``torch.autograd.grad``, which gradient penalties
    (WGAN-GP, R1) call during training. Unlike the mode, it does not fall back
    to an operator's decomposition: an operator without a formula counts zero.
    Every product the zoo's networks run (mm, addmm, convolution and their
    backward operators) has one.
    """

    def __init__(self) -> None:
        self.total = 0

    def __enter__(self) -> "ProductFlops":
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils.flop_counter import flop_registry

        counter = self

        class _Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
                kwargs = kwargs or {}
                out = func(*args, **kwargs)
                count = flop_registry.get(func._overloadpacket)
                if count is not None:
                    counter.total += count(*args, **kwargs, out_val=out)
                return out

        self._mode = _Mode()
        self._mode.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._mode.__exit__(*exc)


def counted_iteration_flops(registry: Any, scratch: Path, data_root: Path, batch_size: int,
                            recipe: str = engine_runs.RECIPE, device: str = "cpu") -> int:
    """FLOPs of one training iteration as the engine really runs it, counted by :class:`ProductFlops`.

    Two full ``ganzoo.train`` runs of 1 and 2 steps are counted; everything but
    the second iteration (the dry run, sample grids, checkpoint) is the same
    in both, so the difference is exactly one iteration: ``n_critic`` D steps
    + one G step, forward and backward. Matrix products and convolutions are
    counted; the element-wise work is not.
    """
    import ganzoo

    totals = []
    for steps in (1, 2):
        with ProductFlops() as counter:
            ganzoo.train(
                recipe, steps=steps, batch_size=batch_size, device=device, out=scratch / f"count-{steps}",
                data_dir=data_root, download=False, quiet=True, registry=registry,
            )  # fmt: skip
        totals.append(counter.total)
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


def matmul_peak(size: int, repeats: int, device: str = "cpu") -> dict[str, Any]:
    """Best-of-``repeats`` fp32 FLOP/s of a ``size`` x ``size`` matrix product (2*n^3 FLOPs).

    On CUDA, TF32 is allowed as the engine allows it by default (``train.tf32``),
    so the peak is the one the engine's fp32 matmuls can reach.
    """
    import torch

    device_ = torch.device(device)
    cuda = device_.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
    a, b = torch.randn(size, size, device=device_), torch.randn(size, size, device=device_)
    out = torch.empty(size, size, device=device_)
    for _ in range(2):  # warm-up: thread pool start, oneDNN/BLAS kernel choice, page faults on `out`
        torch.mm(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        if cuda:
            torch.cuda.synchronize(device_)
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        if cuda:
            torch.cuda.synchronize(device_)
        best = min(best, time.perf_counter() - start)
    return {"size": size, "repeats": repeats, "device": device, "tf32": cuda, "best_s": best,
            "flop_per_s": 2 * size**3 / best}  # fmt: skip
