"""How a run reports progress: an interface, plus the quiet and plain-text forms.

The rich progress bar lives in :mod:`ganzoo.cli.console` (rich stays in one place).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Mapping, Optional, TextIO


class Reporter:
    """Receives the run's progress. The base class reports nothing (``--quiet``)."""

    def start(self, total_steps: int, start_step: int, description: str) -> None:
        """Training begins (or resumes at ``start_step``)."""

    def update(self, stats: Mapping[str, Any]) -> None:
        """A logging step: ``stats`` holds step, kimg, d_loss, g_loss, d_real, d_fake, img_per_s ..."""

    def message(self, text: str) -> None:
        """A one-off line (checkpoint saved, resumed from ...)."""

    def close(self) -> None:
        """Training ended (finished, interrupted or failed)."""


QuietReporter = Reporter


#: The familiar names of the classic phases' numbers; every other logged term is shown by its own name.
_LABELS = {"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))"}
#: Bookkeeping, not a number of the training itself.
_NOT_TERMS = {"step", "kimg", "img_per_s", "wall_time"}


def format_stats(stats: Mapping[str, Any], total_steps: int) -> str:
    """One line of the numbers a GAN user watches: the D and G losses, D(x), D(G(z)), and every other
    phase's loss and named term (``d_reg_loss``, ``g_info_cat`` ...) under its own name."""
    parts = [f"step {stats['step']}/{total_steps}", f"kimg {stats['kimg']:.1f}"]
    for key, label in _LABELS.items():
        value = stats.get(key)
        if value is not None:
            parts.append(f"{label} {value:.4f}")
    for key, value in stats.items():
        if key not in _LABELS and key not in _NOT_TERMS and isinstance(value, (int, float)):
            parts.append(f"{key} {value:.4g}")
    if stats.get("img_per_s"):
        parts.append(f"{stats['img_per_s']:.0f} img/s")
    return " | ".join(parts)


class PlainReporter(Reporter):
    """Plain lines, for logs and pipes (when stdout is not a terminal)."""

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stdout
        self.total = 0
        self.started = time.perf_counter()
        self.start_step = 0

    def start(self, total_steps: int, start_step: int, description: str) -> None:
        self.total, self.start_step, self.started = total_steps, start_step, time.perf_counter()
        if start_step and start_step >= total_steps:
            self._print(f"{description}: already at step {start_step}; writing its final samples and checkpoint again")
        elif start_step:
            self._print(f"{description}: training from step {start_step} to step {total_steps}")
        else:
            self._print(f"{description}: training {total_steps} steps")

    def update(self, stats: Mapping[str, Any]) -> None:
        done = stats["step"] - self.start_step
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * (self.total - stats["step"]) if done > 0 else float("nan")
        self._print(format_stats(stats, self.total) + (f" | ETA {eta:.0f}s" if eta == eta else ""))

    def message(self, text: str) -> None:
        self._print(text)

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)
