"""A run's numbers over training, read from its directory: what ``ganzoo plot`` draws. Imports no matplotlib.

* ``metrics.jsonl``: every logging step's stats line (losses, D(x), D(G(z)),
  named terms, ``wall_time``);
* ``eval.jsonl``: the evaluations during training (``--eval-every``);
* ``eval.json``: the results of ``ganzoo eval RUN`` (each at its checkpoint's step).

Evaluations record steps, not wall time: their wall time is read off
``metrics.jsonl`` (interpolated between the logging steps around them).
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ganzoo.errors import RunDirectoryError

#: Keys of a stats line that are bookkeeping rather than curves.
NOT_CURVES = ("step", "kimg", "img_per_s", "wall_time")
#: Keys of an eval.jsonl line that are not metrics.
NOT_METRICS = ("step", "images_seen", "primary", "tiebreak")


@dataclass
class Point:
    """One value of a curve: at a step, at a wall time (seconds of training), and whether ``ganzoo eval`` made it."""

    step: int
    wall_time: Optional[float]
    value: float
    offline: bool = False


@dataclass
class RunSeries:
    """Every curve of one run by key (``d_loss``, ``d_real``, ``fid[lenet-mnist@...]`` ...)."""

    path: Path
    label: str
    curves: dict[str, list[Point]] = field(default_factory=dict)
    metrics: dict[str, list[Point]] = field(default_factory=dict)  # evaluations


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed process
        if isinstance(record, dict) and isinstance(record.get("step"), int):
            records.append(record)
    return records


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def read_run(run_dir: Path, label: Optional[str] = None) -> RunSeries:
    """The curves of the run in ``run_dir``; a RunDirectoryError in words when it has none."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise RunDirectoryError(f"{run_dir} is not a ganzoo run", "it has no config.json",
                                "give the directory of a `ganzoo train` run")  # fmt: skip
    lines = _lines(run_dir / "metrics.jsonl")
    if not lines:
        raise RunDirectoryError(f"{run_dir} has no logged steps yet", "its metrics.jsonl is missing or empty",
                                "plot it after its first logging step (train.log_every)")  # fmt: skip
    series = RunSeries(path=run_dir, label=label or run_dir.resolve().name)
    clock = [(line["step"], _number(line.get("wall_time"))) for line in lines]
    for line in lines:
        wall = _number(line.get("wall_time"))
        for key, value in line.items():
            number = _number(value)
            if key not in NOT_CURVES and number is not None:
                series.curves.setdefault(key, []).append(Point(line["step"], wall, number))
    for record in _lines(run_dir / "eval.jsonl"):
        for key, value in record.items():
            number = _number(value)
            if key not in NOT_METRICS and number is not None:
                series.metrics.setdefault(key, []).append(Point(record["step"], wall_time_at(clock, record["step"]),
                                                                number))  # fmt: skip
    for record in _offline_evaluations(run_dir / "eval.json"):
        for metric in record.get("metrics") or []:
            number = _number(metric.get("value")) if isinstance(metric, dict) else None
            if number is not None and isinstance(metric.get("name"), str):
                series.metrics.setdefault(metric["name"], []).append(
                    Point(record["step"], wall_time_at(clock, record["step"]), number, offline=True))
    for points in series.metrics.values():
        points.sort(key=lambda point: point.step)
    return series


def _offline_evaluations(path: Path) -> list[dict[str, Any]]:
    """``ganzoo eval``'s records of a run (those that say which step they evaluated)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    records = data.get("evaluations") if isinstance(data, dict) else None
    return [r for r in records or [] if isinstance(r, dict) and isinstance(r.get("step"), int)]


def wall_time_at(clock: list[tuple[int, Optional[float]]], step: int) -> Optional[float]:
    """The wall time at ``step``, interpolated between the logged (step, wall time) pairs around it."""
    known = [(s, w) for s, w in clock if w is not None]
    if not known:
        return None
    steps = [s for s, _ in known]
    index = bisect.bisect_left(steps, step)
    if index < len(known) and steps[index] == step:
        return known[index][1]
    if index == 0 or index == len(known):
        return known[min(index, len(known) - 1)][1]
    (s0, w0), (s1, w1) = known[index - 1], known[index]
    return w0 + (w1 - w0) * (step - s0) / (s1 - s0)


def read_runs(run_dirs: list[Path]) -> list[RunSeries]:
    """Several runs, labelled by their directory names -- or their paths, where two names are the same."""
    names = [Path(run).resolve().name for run in run_dirs]
    return [read_run(Path(run), label=str(run) if names.count(name) > 1 else name) for run, name in zip(run_dirs, names)]


__all__ = ["Point", "RunSeries", "read_run", "read_runs", "wall_time_at"]
