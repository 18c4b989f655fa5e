"""Training curves of one or more runs as one PNG: a row per panel, over steps (left) and wall time (right).

Panels: the losses (every ``*_loss``), D(x) and D(G(z)) (every ``*_real`` /
``*_fake``), the other logged terms (``d_reg_r1``, ``g_info_cat``,
``augment_p`` ...) and one panel per evaluated metric. With one run each
curve has its own colour; with several, each run has a colour and each curve
a line style, and the legend names both. ``ganzoo eval`` results are drawn
as crosses on their metric's panel.
"""

from __future__ import annotations

import io
from typing import Any, Optional

from ganzoo.errors import GanzooError
from ganzoo.plots.series import Point, RunSeries

#: Each panel's size in pixels (at DPI dots per inch): a figure is 2 panels wide, one row per panel.
PANEL_WIDTH, PANEL_HEIGHT, DPI = 600, 300, 100
STYLES = ("-", "--", ":", "-.")
LABELS = {"d_real": "D(x)", "d_fake": "D(G(z))", "d_loss": "D loss", "g_loss": "G loss"}


def require_matplotlib() -> Any:
    """matplotlib, or a GanzooError naming the extra that installs it."""
    try:
        import matplotlib
    except ImportError:
        raise GanzooError("ganzoo plot needs matplotlib, which is not installed", "plots are an optional extra",
                          "pip install 'torch-ganzoo[plots]' (or pip install matplotlib)") from None  # fmt: skip
    return matplotlib


def panels(runs: list[RunSeries]) -> list[tuple[str, list[str], bool]]:
    """(title, keys, is_metric) of each panel to draw, in order; panels with nothing to draw are left out."""
    curve_keys = list(dict.fromkeys(key for run in runs for key in run.curves))
    metric_keys = list(dict.fromkeys(key for run in runs for key in run.metrics))
    losses = [k for k in curve_keys if k.endswith("_loss")]
    scores = [k for k in curve_keys if k.endswith(("_real", "_fake"))]
    others = [k for k in curve_keys if k not in losses and k not in scores]
    found = [("losses", losses, False), ("D(x) and D(G(z))", scores, False), ("other logged terms", others, False)]
    found += [(key, [key], True) for key in metric_keys]
    return [(title, keys, is_metric) for title, keys, is_metric in found if keys]


def _time_unit(runs: list[RunSeries]) -> tuple[str, float]:
    longest = max((p.wall_time or 0.0 for run in runs for points in run.curves.values() for p in points), default=0.0)
    return ("hours", 3600.0) if longest > 3 * 3600 else ("minutes", 60.0) if longest > 3 * 60 else ("seconds", 1.0)


def curves_png(runs: list[RunSeries], title: Optional[str] = None) -> tuple[bytes, tuple[int, int]]:
    """The figure as PNG bytes and its size in pixels (width, height)."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = panels(runs)
    size = (2 * PANEL_WIDTH, PANEL_HEIGHT * len(rows))
    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    unit, seconds = _time_unit(runs)
    palette = [f"C{i}" for i in range(10)]
    several = len(runs) > 1
    for row, (panel_title, keys, is_metric) in enumerate(rows):
        for column, axis_name in enumerate(("step", f"wall time ({unit})")):
            axes = figure.add_subplot(len(rows), 2, 2 * row + column + 1)
            for r, run in enumerate(runs):
                for k, key in enumerate(keys):
                    points = (run.metrics if is_metric else run.curves).get(key, [])
                    colour = palette[(r if several else k) % len(palette)]
                    name = LABELS.get(key, key)
                    label = f"{run.label}: {name}" if several and not is_metric else run.label if is_metric else name
                    _draw(axes, points, column, seconds, colour, STYLES[k % len(STYLES)] if several else "-", label)
            axes.set_xlabel(axis_name)
            axes.set_title(panel_title if column == 0 else f"{panel_title}, over wall time", fontsize=9)
            axes.grid(alpha=0.3)
            if column == 0 and axes.get_legend_handles_labels()[0]:
                axes.legend(fontsize=7, loc="best")
    figure.suptitle(title or ", ".join(run.label for run in runs), fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.97 if len(rows) > 1 else 0.93))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue(), size


def _draw(axes: Any, points: list[Point], column: int, seconds: float, colour: str, style: str, label: str) -> None:
    """One curve: logged or evaluated during training as a line, ``ganzoo eval`` results as crosses."""
    def x(point: Point) -> Optional[float]:
        return point.step if column == 0 else (point.wall_time / seconds if point.wall_time is not None else None)

    line = [(x(p), p.value) for p in points if not p.offline and x(p) is not None]
    offline = [(x(p), p.value) for p in points if p.offline and x(p) is not None]
    if line:
        axes.plot(*zip(*line), style, color=colour, linewidth=1.0, label=label, marker="." if len(line) < 30 else None)
    if offline:
        axes.plot(*zip(*offline), "x", color=colour, markersize=7, label=f"{label} (ganzoo eval)")


__all__ = ["DPI", "PANEL_HEIGHT", "PANEL_WIDTH", "curves_png", "panels", "require_matplotlib"]
