"""Experiment loggers: what a ``LoggerSpec`` builder returns (plugin contract 2.1).

Every run writes ``RUN_DIR/metrics.jsonl`` (and ``eval.jsonl``) itself; the
loggers a run names with ``ganzoo train --log NAME`` (``train.loggers``) send
the same numbers, and the sample grids, elsewhere as well: TensorBoard event
files, a CSV file, an experiment tracker.

The engine calls a logger only where it waits for the device anyway -- at
logging steps, sample steps and evaluations -- never inside a training step.
Only the main process of a multi-process run logs. This module imports no torch.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

#: Keys of a stats line that index it rather than measure anything.
INDEX_KEYS = ("step",)


class Logger:
    """Base class of experiment loggers; every method does nothing unless overridden.

    The builder (``LoggerSpec.build(**params)``) writes nothing: it only
    checks that what the logger needs is installed, raising a
    :class:`ganzoo.errors.GanzooError` that says what to install, so a run
    that cannot log as asked is refused before it starts. Then, in order:

    * :meth:`start` once the run directory exists (also when a run resumes);
    * :meth:`log_metrics` at every logging step, :meth:`log_eval` after each
      evaluation, :meth:`log_image` whenever the run writes a sample grid;
    * :meth:`close` when training ends, however it ends.

    A logger that raises is reported once on the progress display and left out
    for the rest of the run; training goes on.
    """

    def start(self, run_dir: Path, *, start_step: int, config: Mapping[str, Any]) -> None:
        """Training begins in ``run_dir`` at ``start_step`` (0, or the step a resumed run continues from).

        Anything logged past ``start_step`` by an earlier, interrupted segment
        of the run is about to be logged again: hide or drop it, as
        ``metrics.jsonl`` does. ``config`` is the run's resolved configuration.
        """

    def log_metrics(self, step: int, stats: Mapping[str, Any]) -> None:
        """A logging step: ``stats`` is the line written to ``metrics.jsonl`` (see :func:`scalars`)."""

    def log_eval(self, step: int, scores: Mapping[str, Any]) -> None:
        """An evaluation during training: ``{metric: value, ..., "primary": name}``, as in ``eval.jsonl``."""

    def log_image(self, step: int, tag: str, png: bytes) -> None:
        """A sample grid (or a scatter plot of 2-D points) the run wrote, as PNG bytes; ``tag`` is ``"samples"``."""

    def close(self) -> None:
        """Training ended (finished, interrupted or failed): flush and release files and connections."""


def scalars(record: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers of a stats line or an evaluation, without ``step``: what a logger plots.

    ``{"step": 100, "kimg": 6.4, "d_loss": 0.7, "d_real": None, "primary": "fid"}``
    gives ``{"kimg": 6.4, "d_loss": 0.7}``.
    """
    numbers = {}
    for key, value in record.items():
        if key in INDEX_KEYS or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isfinite(value):
            numbers[key] = float(value)
    return numbers


class LoggerGroup(Logger):
    """Several loggers as one: what the engine is given.

    A logger that raises is reported through ``warn`` (once, naming it) and
    left out from then on: a tracker that loses its connection must not end
    hours of training.
    """

    def __init__(self, loggers: Optional[Mapping[str, Logger]] = None,
                 warn: Optional[Callable[[str], None]] = None) -> None:  # fmt: skip
        self.loggers: dict[str, Logger] = dict(loggers or {})
        self.warn = warn or (lambda text: print(text, file=sys.stderr))

    def __len__(self) -> int:
        return len(self.loggers)

    def _each(self, method: str, *args: Any, **kwargs: Any) -> None:
        for name, logger in list(self.loggers.items()):
            try:
                getattr(logger, method)(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 -- any failure of a logger is reported, not fatal
                del self.loggers[name]
                self.warn(f"logger {name!r} failed in {method}() and is switched off for the rest of the run: "
                          f"{type(exc).__name__}: {exc}")  # fmt: skip

    def start(self, run_dir: Path, *, start_step: int, config: Mapping[str, Any]) -> None:
        """Start every logger."""
        self._each("start", Path(run_dir), start_step=start_step, config=config)

    def log_metrics(self, step: int, stats: Mapping[str, Any]) -> None:
        """Pass a stats line to every logger."""
        self._each("log_metrics", step, stats)

    def log_eval(self, step: int, scores: Mapping[str, Any]) -> None:
        """Pass an evaluation to every logger."""
        self._each("log_eval", step, scores)

    def log_image(self, step: int, tag: str, png: bytes) -> None:
        """Pass a sample grid to every logger."""
        self._each("log_image", step, tag, png)

    def close(self) -> None:
        """Close every logger."""
        self._each("close")


__all__ = ["INDEX_KEYS", "Logger", "LoggerGroup", "scalars"]
