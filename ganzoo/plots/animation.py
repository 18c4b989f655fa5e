"""The picture every GAN introduction draws: a 2-D run's generated points over the real density, through training.

Each frame is one of the run's sample steps: the points its generator (the
EMA, when the run keeps one) made from the run's fixed inputs at that step --
exactly the points of ``samples/step-N.png``, which the engine saves beside
each 2-D plot as ``step-N.safetensors``. Checkpoints cannot stand in for them:
a run keeps only its latest one (and ``best.pt``). The grey background is a
histogram of the dataset's training points, rebuilt from the run's config.
A run from before the points were saved animates its own scatter plots
instead: the same frames, with its reference points in grey and no density.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Optional

from ganzoo.errors import GanzooError, RunDirectoryError

STEP_FILE = re.compile(r"step-(\d+)\.(safetensors|png)\Z")
#: The frame size in pixels.
FRAME_PIXELS = 480


def sample_steps(run_dir: Path, suffix: str) -> list[tuple[int, Path]]:
    """The run's ``samples/step-N.<suffix>`` files, by step."""
    folder = Path(run_dir) / "samples"
    found = []
    for path in folder.glob(f"step-*.{suffix}") if folder.is_dir() else []:
        match = STEP_FILE.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def real_points(run_dir: Path, registry: Any = None, data_dir: Any = None) -> Optional[Any]:
    """The run's training points (at most 100,000), or None when its dataset cannot be built here."""
    import ganzoo
    from ganzoo.artifacts.runs import read_run_config
    from ganzoo.data import resolve_data_root
    from ganzoo.engine.build import build_component

    registry = registry or ganzoo.get_registry()
    config = read_run_config(Path(run_dir), registry)
    spec = registry.get("dataset", config["dataset"]["name"])
    try:
        data = build_component("dataset", spec, config["dataset"]["params"], resolve_data_root(data_dir), train=True,
                               download=False)  # fmt: skip
    except GanzooError:
        return None
    points = getattr(data, "x", None)
    return points[:100_000, :2].float().cpu().numpy() if points is not None else None


def animate(run_dir: Path, *, fps: float = 4.0, registry: Any = None, data_dir: Any = None) -> tuple[bytes, int, str]:
    """The animation as GIF bytes, its frame count, and a note on what the frames are."""
    import ganzoo
    from ganzoo.artifacts.runs import read_run_info

    run_dir = Path(run_dir)
    modality = (read_run_info(run_dir).get("data") or {}).get("modality")
    if modality != "points":
        raise GanzooError(f"--animate draws 2-D runs, and {run_dir} " + (f"trains on {modality} data" if modality
                          else "does not say what data it trains on (its run.json has no data)"),
                          "the animation shows generated points over the real density", "animate a run of a 2-D "
                          "dataset (ring-8, grid-25, toy-2d), or look at its samples/ folder")  # fmt: skip
    saved = sample_steps(run_dir, "safetensors")
    if saved:
        frames = _point_frames(run_dir, saved, registry or ganzoo.get_registry(), data_dir)
        note = f"{len(frames)} frames: the generated points of each sample step, over the real density"
    else:
        pngs = sample_steps(run_dir, "png")
        if not pngs:
            raise RunDirectoryError(f"{run_dir} has no sample steps to animate", "it wrote no samples/step-N files yet",
                                    "animate it after its first sample step (train.sample_every)")  # fmt: skip
        from PIL import Image

        frames = [Image.open(path).convert("RGB") for _, path in pngs]
        note = (f"{len(frames)} frames: this run predates saved points, so these are its own scatter plots "
                "(reference points in grey, no density)")  # fmt: skip
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                   duration=max(20, round(1000 / fps)), optimize=False)  # fmt: skip
    return buffer.getvalue(), len(frames), note


def _point_frames(run_dir: Path, saved: list[tuple[int, Path]], registry: Any, data_dir: Any) -> list[Any]:
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from PIL import Image

    from ganzoo.artifacts.weights import load_weights

    fakes = [(step, load_weights(path)[0]["points"].float().numpy()) for step, path in saved]
    real = real_points(run_dir, registry, data_dir)
    # One view for every frame: the real data's extent (or, without it, all generated points') plus a margin.
    reference = real if real is not None else np.concatenate([points for _, points in fakes])
    low, high = np.percentile(reference, 0.5, axis=0), np.percentile(reference, 99.5, axis=0)
    margin = np.maximum(high - low, 1e-3) * 0.2
    low, high = low - margin, high + margin
    density = None
    if real is not None:
        density, xs, ys = np.histogram2d(real[:, 0], real[:, 1], bins=160, range=[[low[0], high[0]], [low[1], high[1]]])
    frames = []
    for step, points in fakes:
        figure = Figure(figsize=(FRAME_PIXELS / 100, FRAME_PIXELS / 100), dpi=100)
        canvas = FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        if density is not None:
            axes.imshow(density.T + 1, origin="lower", extent=(low[0], high[0], low[1], high[1]), cmap="Greys",
                        norm=LogNorm(), aspect="auto", interpolation="nearest")  # fmt: skip
        axes.scatter(points[:, 0], points[:, 1], s=4, color="#d62728", alpha=0.7, linewidths=0)
        axes.set_xlim(low[0], high[0])
        axes.set_ylim(low[1], high[1])
        axes.set_title(f"{run_dir.resolve().name}: step {step}", fontsize=10)
        axes.set_xticks([])
        axes.set_yticks([])
        figure.tight_layout()
        canvas.draw()
        frames.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
    return frames


__all__ = ["animate", "real_points", "sample_steps"]
