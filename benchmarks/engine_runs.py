"""Run the real ganzoo engine (``ganzoo.train``) and read its own throughput metrics."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Optional

RECIPE = "vanilla-mnist"


def registry_with_loss(recipe: str = RECIPE) -> tuple[Any, str]:
    """The installed registry, and where the recipe's loss comes from.

    If no installed plugin provides the loss yet, a fresh registry is built from
    the installed plugins plus :mod:`fallback_loss`, so the benchmark still runs
    the real engine end to end.
    """
    import ganzoo

    registry = ganzoo.get_registry()
    loss = registry.get("recipe", recipe).loss
    if loss in registry.names("loss"):
        return registry, f"{loss!r} from {registry.entry('loss', loss).provider}"

    import fallback_loss
    from ganzoo.plugins import PluginRecord, create_plugin_manager
    from ganzoo.registry import Registry

    pm = create_plugin_manager()
    record = PluginRecord(name="benchmarks-fallback-loss", module="fallback_loss", dist="benchmarks",
                          version="0", status="pending")  # fmt: skip
    pm.register_plugin(fallback_loss, record)
    source = f"{loss!r} from benchmarks/fallback_loss.py (no installed plugin has it yet)"
    return Registry.from_plugin_manager(pm), source


def train(registry: Any, out: Path, data_root: Path, *, batch_size: int, steps: int, log_every: int,
          recipe: str = RECIPE, device: str = "cpu", overrides: Optional[dict[str, Any]] = None,
          **train_kwargs: Any) -> dict[str, Any]:  # fmt: skip
    """One quiet ``ganzoo.train`` run of ``recipe`` on ``device``; returns its measured throughput.

    Images/s are the engine's own ``img_per_s`` per logging window from
    ``metrics.jsonl``. The first window holds the warm-up (first allocations,
    oneDNN kernel selection) and is skipped; the median of the rest is reported.
    ``overrides`` (``--set`` style) and ``train_kwargs`` (``precision=``,
    ``compile=`` ...) change the run from the recipe's defaults.
    """
    import ganzoo

    started = time.perf_counter()
    result = ganzoo.train(
        recipe, steps=steps, batch_size=batch_size, device=device, out=out, data_dir=data_root,
        download=False, quiet=True, registry=registry, overrides={"train.log_every": log_every, **(overrides or {})},
        **train_kwargs,
    )  # fmt: skip
    wall = time.perf_counter() - started
    metrics = read_metrics(out)
    windows = metrics[1:]
    if not windows:
        raise RuntimeError(f"{out} has fewer than two logging windows; raise steps or lower log_every")
    rates = [window["img_per_s"] for window in windows]
    return {
        "recipe": recipe,
        "device": device,
        "batch_size": batch_size,
        "steps": steps,
        "measured_steps": len(windows) * log_every,
        "img_per_s": statistics.median(rates),
        "img_per_s_windows": [round(rate, 1) for rate in rates],
        "loop_wall_s": round(metrics[-1]["wall_time"], 3),  # the training loop alone (the engine's clock)
        "call_wall_s": round(wall, 3),  # plus data loading, dry run, final checkpoint and sample grids
        "cuda_graph": result.cuda_graph,
    }


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    """The run's ``metrics.jsonl`` lines, in order."""
    lines = (Path(run_dir) / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
