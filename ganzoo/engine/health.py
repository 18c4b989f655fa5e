"""Training health: non-finite weights and losses (divergence), and sustained collapse.

Every check here is built to cost the training step nothing. Weights are
checked for finiteness only when a checkpoint is about to be written (one
reduction per network); collapse is judged from the loss values that logging
reads back from the device anyway. The checks take a mapping of named
networks (``{"G": G, "D": D, "G_ema": ema}``), so an engine with more
networks passes them all.

The collapse heuristic (:class:`CollapseDetector`) is documented for users
in docs/reliability.md; keep the two in step.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import torch
from torch import Tensor, nn

from ganzoo.engine.checkpoint import CHECKPOINT_NAME
from ganzoo.errors import TrainingError

#: What a diverged run's fix says: resuming cannot change learning rates or precision.
_NEW_RUN_FIX = ("start a new run with lower learning rates (--set train.lr_g=... --set train.lr_d=...), "
                "or with --precision fp32 or bf16 if this one used fp16")  # fmt: skip
_WHY_DIVERGED = "training diverged (a learning rate too high, fp16 overflow, or a loss that needs a penalty)"


class Diverged(TrainingError):
    """Training produced a non-finite loss or non-finite weights; ``step`` is where it was noticed.

    The run directory is kept (config, metrics, run.json with status
    ``diverged``), and no checkpoint with non-finite weights is ever written.
    """

    def __init__(self, what: str, why: str, fix: str, *, step: int) -> None:
        super().__init__(what, why, fix)
        self.step = step


def _tensors(module: nn.Module) -> list[Tensor]:
    """A network's floating-point parameters and buffers (BatchNorm statistics are saved too)."""
    return [t for t in itertools.chain(module.parameters(), module.buffers()) if t.is_floating_point()]


@torch.no_grad()
def non_finite_networks(networks: Mapping[str, Optional[nn.Module]]) -> list[str]:
    """The names of the networks that hold a NaN or an infinity (``None`` entries are skipped).

    One reduction per network and one host sync each: meant for checkpoint
    time, not for every step. ``isfinite`` rather than a norm, because the
    norm of large but finite weights can overflow to infinity.
    """
    bad = []
    for name, module in networks.items():
        tensors = _tensors(module) if module is not None else []
        if tensors and not bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all()):
            bad.append(name)
    return bad


@torch.no_grad()
def non_finite_tensors(tensors: Mapping[str, Tensor]) -> list[str]:
    """The names of the floating-point tensors in a state dict that hold a NaN or an infinity."""
    return [name for name, t in tensors.items()
            if isinstance(t, Tensor) and t.is_floating_point() and not bool(torch.isfinite(t).all())]  # fmt: skip


def _kept(run_dir: Path) -> str:
    checkpoint = Path(run_dir) / CHECKPOINT_NAME
    if checkpoint.is_file():
        return f"the last good checkpoint, {checkpoint}, stays for sampling and eval"
    return "no checkpoint had been written yet, and the run directory keeps its config and metrics"


def check_weights(networks: Mapping[str, Optional[nn.Module]], step: int, run_dir: Path) -> None:
    """Raise :class:`Diverged` if any network holds non-finite weights: call before writing a checkpoint."""
    bad = non_finite_networks(networks)
    if bad:
        error = Diverged(
            f"the weights of {' and '.join(bad)} became non-finite by step {step}",
            f"{_WHY_DIVERGED}; they were not saved; {_kept(run_dir)}",
            _NEW_RUN_FIX,
            step=step,
        )
        error.same_on_every_rank = True  # every rank holds the same weights
        raise error


def loss_divergence(bad: Iterable[str], step: int, run_dir: Path) -> Diverged:
    """The error for losses (named in ``bad``, e.g. ``["D", "G"]``) that became non-finite at ``step``."""
    return Diverged(
        f"the {' and '.join(bad)} loss became non-finite at step {step}",
        f"{_WHY_DIVERGED}; {_kept(run_dir)}",
        _NEW_RUN_FIX,
        step=step,
    )
