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
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Type

import torch
from torch import Tensor, nn

from ganzoo.artifacts.checkpoint import CHECKPOINT_NAME
from ganzoo.errors import GanzooError, TrainingError

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


def loss_divergence(bad: Iterable[str], step: int, run_dir: Path, updated: Iterable[str] = ()) -> Diverged:
    """The error for the losses of phases (named in ``bad``, e.g. ``["D", "G"]``) that became non-finite at ``step``.

    ``updated`` names the networks those phases update, for the message.
    """
    bad, updated = list(bad), list(updated)
    where = f"phase {', '.join(bad)} updates {', '.join(updated)}; " if updated else ""
    return Diverged(
        f"the {' and '.join(bad)} loss became non-finite at step {step}",
        f"{where}{_WHY_DIVERGED}; {_kept(run_dir)}",
        _NEW_RUN_FIX,
        step=step,
    )


# Collapse. The thresholds are the heuristic documented in docs/reliability.md.

#: D's loss within this of 0 means D tells every real sample from every fake ...
D_LOSS_AT_ZERO = 1e-3
#: ... and with G's loss at least this (a non-saturating G loss of 10 means D(G(z)) < 5e-5), G has lost.
G_LOSS_WHEN_D_WINS = 10.0
#: Either loss this large is orders of magnitude beyond the O(1)-O(10) of a healthy GAN's losses.
LOSS_EXPLODED = 1e3
#: Sustained: at least this many logging steps in a row ...
COLLAPSE_MIN_LOGS = 3
#: ... spanning at least this many generator steps.
COLLAPSE_MIN_STEPS = 50


def collapse_sign(d_loss: float, g_loss: float) -> Optional[str]:
    """Why one logging step's losses look collapsed, or None when they look healthy.

    Non-finite losses are divergence, which the engine stops on by itself.
    """
    if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
        return None
    if abs(d_loss) <= D_LOSS_AT_ZERO and g_loss >= G_LOSS_WHEN_D_WINS:
        return "the discriminator has won (its loss at 0, the generator's far above it)"
    if max(abs(d_loss), abs(g_loss)) >= LOSS_EXPLODED:
        return f"the losses exploded (beyond {LOSS_EXPLODED:g})"
    return None


class Collapsed(TrainingError):
    """``train.stop_on_collapse`` stopped a run that collapsed; ``report`` is what run.json records."""

    same_on_every_rank = True

    def __init__(self, what: str, why: str, fix: str, *, step: int, report: Optional[dict[str, Any]]) -> None:
        super().__init__(what, why, fix)
        self.step, self.report = step, report


class CollapseDetector:
    """Sustained collapse, judged from the losses of each logging step.

    A logging step *looks collapsed* (:func:`collapse_sign`) when the
    discriminator has won -- ``|D loss| <= 1e-3`` while ``G loss >= 10`` -- or
    when the losses exploded -- ``|D loss|`` or ``|G loss| >= 1000``. The run
    *has collapsed* once every logging step has looked collapsed for at least
    :data:`COLLAPSE_MIN_LOGS` logs in a row that span at least
    :data:`COLLAPSE_MIN_STEPS` generator steps. That is declared once;
    :attr:`report` keeps it even if the losses recover later (a warning says
    what happened, not what is still happening).

    Fed values the logging step has read back already, it adds no host sync::

        detector = CollapseDetector(start_step=0)
        for step, d_loss, g_loss in logged:
            if detector.observe(step, d_loss, g_loss):
                print(detector.warning())
    """

    def __init__(self, start_step: int = 0, min_logs: int = COLLAPSE_MIN_LOGS,
                 min_steps: int = COLLAPSE_MIN_STEPS) -> None:  # fmt: skip
        self.min_logs, self.min_steps = min_logs, min_steps
        self._healthy_step = start_step  # the last step known healthy, or where watching began
        self._first: Optional[int] = None  # the first logging step of the current collapsed stretch
        self._count = 0
        self.report: Optional[dict[str, Any]] = None

    def observe(self, step: int, d_loss: float, g_loss: float) -> bool:
        """Feed one logging step's losses; True exactly once, when collapse is first declared."""
        sign = collapse_sign(d_loss, g_loss)
        if sign is None:
            self._healthy_step, self._first, self._count = step, None, 0
            return False
        self._count += 1
        self._first = step if self._first is None else self._first
        if self.report is None and self._count >= self.min_logs and step - self._healthy_step >= self.min_steps:
            self.report = {"step": step, "since_step": self._first, "sign": sign, "d_loss": d_loss, "g_loss": g_loss,
                           "logs": self._count}  # fmt: skip
            return True
        return False

    def _what_happened(self) -> str:
        r = self.report or {}
        return (f"{r.get('sign', 'the losses looked collapsed')} at every log from step {r.get('since_step')} "
                f"to step {r.get('step')} (then D loss {r.get('d_loss', 0):.3g}, G loss {r.get('g_loss', 0):.3g})")

    def warning(self) -> str:
        """The line the progress display shows when collapse is declared."""
        return (f"warning: training looks collapsed: {self._what_happened()}; its samples are likely noise or one "
                "image over and over. Lower the learning rates; --set train.stop_on_collapse=true stops such a run "
                "(docs/reliability.md)")  # fmt: skip

    def error(self, step: int, run_dir: Path) -> Collapsed:
        """The error that stops the run (``train.stop_on_collapse``); no checkpoint is written for it."""
        checkpoint = Path(run_dir) / CHECKPOINT_NAME
        kept = (f"the last checkpoint, {checkpoint}, stays" if checkpoint.is_file()
                else "no checkpoint had been written")  # fmt: skip
        return Collapsed(
            f"training collapsed and was stopped at step {step} (train.stop_on_collapse)",
            f"{self._what_happened() if self.report else 'another process saw the losses collapse'}; {kept}",
            "start a new run with lower learning rates (--set train.lr_g=... --set train.lr_d=...) or another loss, "
            "or resume it with --set train.stop_on_collapse=false to train on regardless",
            step=step,
            report=self.report,
        )


def outcome(exc: BaseException) -> tuple[str, dict[str, Any]]:
    """A failed run's status for run.json, and the keys that go with it.

    A diverged or collapsed run is a result worth keeping (its config and
    metrics are the evidence); any other failure is ``"failed"``.
    """
    if isinstance(exc, Diverged):
        return "diverged", {"diverged_at_step": exc.step}
    if isinstance(exc, Collapsed):
        return "collapsed", {"collapse": exc.report} if exc.report else {}
    return "failed", {}
