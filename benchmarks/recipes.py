"""Every zoo recipe against the textbook loop, on each device: one command, one table.

    python benchmarks/recipes.py [--recipes a,b,...] [--device auto|cpu|cuda] [--quick]
                                 [--json OUT] [--data-dir DIR] [--synthetic] [--threads N]

For each recipe and device, at the recipe's own batch size (or --batch-size):

* images/s of ``ganzoo.train`` (the engine's own ``img_per_s`` windows, the
  first one a warm-up) and of the textbook loop (``textbook_loop.py``: the same
  networks, loss and optimiser settings in a tutorial's loop), each the better
  of two rounds with the order swapped;
* the time of one iteration (``n_critic`` discriminator steps and one
  generator step) on each side;
* peak memory of each side, each in its own fresh process: resident set
  (``VmHWM``) on the CPU, ``torch.cuda.max_memory_allocated`` on CUDA;
* FLOPs per iteration (``torch.utils.flop_counter``'s formulas: matrix products and convolutions)
  and the engine's achieved share of the device's fp32 matmul peak, measured
  in the same session.

Targets from the performance issues are marked where they apply: vanilla-mnist
on the CPU and dcgan-mnist on CUDA, each >= 3x the textbook loop at batch 64.
``--device auto`` (the default) runs the CPU and, when torch sees one, the GPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import machine_info
from run import data_source, finish, format_table, run_worker, verdict

DEFAULT_RECIPES = (
    "vanilla-mnist", "vanilla-mnist-small", "cgan-mnist", "dcgan-mnist", "lsgan-mnist", "hinge-sn-mnist",
    "wgan-gp-mnist", "toy-2d", "ring-8", "grid-25",
)  # fmt: skip
#: (recipe, device type) -> the issue's target ratio over the textbook loop, at batch 64.
TARGETS = {("vanilla-mnist", "cpu"): 3.0, ("dcgan-mnist", "cuda"): 3.0}
TARGET_BATCH = 64

# Generator steps per side, for image recipes; the 2-D recipes' steps take about a millisecond,
# so they run STEPS_2D_FACTOR times as many to make each window long enough to time.
# Step counts are multiples of log_every so every engine window is whole.
PLANS: dict[str, dict[str, Any]] = {
    "full": {
        "rounds": 2,
        "engine": {"steps": 60, "log_every": 15},
        "textbook": {"warmup_steps": 15, "windows": 3, "window_steps": 15},
        "matmul": {"cpu": {"size": 2048, "repeats": 10}, "cuda": {"size": 8192, "repeats": 20}},
    },
    "quick": {
        "rounds": 1,
        "engine": {"steps": 8, "log_every": 4},
        "textbook": {"warmup_steps": 2, "windows": 1, "window_steps": 4},
        "matmul": {"cpu": {"size": 1024, "repeats": 5}, "cuda": {"size": 2048, "repeats": 3}},
    },
}
STEPS_2D_FACTOR = 10
# A GPU step at these sizes takes about a millisecond, a CPU step tens to hundreds: CUDA runs
# this many times the steps, so each timed window still lasts about a second or more.
DEVICE_STEPS_FACTOR = {"cpu": 1, "cuda": 10}
HEADER = [
    "recipe", "device", "batch", "ganzoo img/s", "textbook img/s", "ratio", "target", "result",
    "ms/iter ganzoo", "ms/iter textbook", "peak mem ganzoo", "peak mem textbook", "GFLOP/iter", "utilisation",
    "CPU used by others",
]  # fmt: skip


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", default=",".join(DEFAULT_RECIPES),
                        help="comma-separated recipe names (default: every zoo recipe but dcgan-fashion, "
                             "whose networks and speed are dcgan-mnist's)")  # fmt: skip
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="auto: the CPU, plus CUDA when torch sees a GPU")  # fmt: skip
    parser.add_argument("--batch-size", type=int, help="one batch size for every recipe (default: each recipe's own)")
    parser.add_argument("--quick", action="store_true", help="a few steps per side (smoke test; figures indicative only)")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--data-dir", help="folder containing MNIST/raw/ (default: $GANZOO_DATA_DIR, shared/datasets)")
    parser.add_argument("--synthetic", action="store_true", help="generated MNIST-shaped IDX files even if real MNIST exists")
    parser.add_argument("--threads", type=int, help="torch intra-op threads in the measuring processes")
    return parser.parse_args(argv)


def devices(choice: str) -> list[str]:
    """The devices to measure, refusing CUDA where there is none."""
    import torch

    has_cuda = torch.cuda.is_available()
    if choice == "cuda" and not has_cuda:
        raise SystemExit("error: --device cuda, but torch sees no CUDA GPU here; use --device cpu or auto")
    if choice == "auto":
        return ["cpu", "cuda"] if has_cuda else ["cpu"]
    return [choice]


def recipe_batch_size(registry: Any, recipe: str, override: Optional[int]) -> int:
    """The batch size the recipe trains with (or the override)."""
    from ganzoo.config import build_config

    return override or build_config(registry, recipe)["train"]["batch_size"]


def measure(recipe: str, device: str, batch_size: int, plan: dict[str, Any], common: dict[str, Any],
            scratch: Path, factor: int = 1) -> dict[str, Any]:
    """Engine and textbook, each in its own process, over ``plan["rounds"]`` rounds.

    Rounds alternate which side goes first, so neither always runs on a cooler
    (or busier) machine; each side's best round is kept, as in ``run.py``.
    """
    params = {**common, "recipe": recipe, "device": device}
    engine_plan = {"steps": plan["engine"]["steps"] * factor, "log_every": plan["engine"]["log_every"] * factor}
    textbook_plan = {**plan["textbook"], "warmup_steps": plan["textbook"]["warmup_steps"] * factor,
                     "window_steps": plan["textbook"]["window_steps"] * factor}  # fmt: skip
    sides = {
        "engine": ("recipe_engine", {**params, "engine": {**engine_plan, "batch_size": batch_size}}, "engine"),
        "textbook": ("recipe_textbook", {**params, "textbook": {**textbook_plan, "batch_size": batch_size}}, "textbook"),
    }
    best: dict[str, dict[str, Any]] = {}
    for index in range(plan["rounds"]):
        for side in ("engine", "textbook") if index % 2 == 0 else ("textbook", "engine"):
            section, side_params, key = sides[side]
            result = run_worker(section, side_params, scratch)  # read back before the next run
            if side not in best or result[key]["img_per_s"] > best[side][key]["img_per_s"]:
                best[side] = result
    return best


def steps_factor(registry: Any, recipe: str) -> int:
    """STEPS_2D_FACTOR for recipes on data the textbook loop does not read through torchvision."""
    import textbook_loop

    dataset = registry.get("recipe", recipe).dataset
    return 1 if dataset in textbook_loop.TORCHVISION_DATASETS else STEPS_2D_FACTOR


def row(recipe: str, device: str, batch_size: int, result: dict[str, Any], peak_flop_per_s: float) -> list[str]:
    engine, textbook = result["engine"], result["textbook"]
    engine_rate, textbook_rate = engine["engine"]["img_per_s"], textbook["textbook"]["img_per_s"]
    n_critic = textbook["textbook"]["n_critic"]
    images_per_iteration = n_critic * batch_size
    ratio = engine_rate / textbook_rate
    target = TARGETS.get((recipe, device.split(":")[0])) if batch_size == TARGET_BATCH else None
    achieved = engine["flops_per_iteration"] * engine_rate / images_per_iteration
    loads = [share for share in (engine["other_load"], textbook["other_load"]) if share is not None]
    return [
        recipe, device, str(batch_size), f"{engine_rate:,.0f}", f"{textbook_rate:,.0f}", f"{ratio:.2f}x",
        f">= {target:g}x" if target else "", verdict(ratio >= target) if target else "",
        f"{1000 * images_per_iteration / engine_rate:.1f}", f"{1000 * images_per_iteration / textbook_rate:.1f}",
        _bytes(engine["peak_memory_bytes"]), _bytes(textbook["peak_memory_bytes"]),
        f"{engine['flops_per_iteration'] / 1e9:.3g}", f"{achieved / peak_flop_per_s:.1%}",
        f"{max(loads):.0%}" if loads else "n/a",
    ]  # fmt: skip


def _bytes(count: int) -> str:
    return f"{count / 1e9:.2f} GB" if count >= 1e9 else f"{count / 1e6:.0f} MB"


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    import ganzoo

    started = time.perf_counter()
    mode = "quick" if args.quick else "full"
    plan = PLANS[mode]
    registry = ganzoo.get_registry()
    recipes = [name.strip() for name in args.recipes.split(",") if name.strip()]
    unknown = [name for name in recipes if name not in registry.names("recipe")]
    if unknown:
        raise SystemExit(f"error: unknown recipe(s) {', '.join(unknown)}; ganzoo list recipes shows them")
    machine = machine_info.describe()
    if args.threads:
        machine["torch_threads"] = args.threads
    print(f"ganzoo recipe benchmarks ({mode}) on {machine_info.one_line(machine)}", flush=True)
    report: dict[str, Any] = {"mode": mode, "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                              "machine": machine, "results": []}  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-recipes-") as tmp:
        scratch = Path(tmp)
        root, report["data"] = data_source(args, scratch)
        print(f"data: {report['data']}", flush=True)
        common = {"data_root": str(root), "threads": args.threads}
        for device in devices(args.device):
            peak = run_worker("matmul_peak", {**common, "device": device, "matmul": plan["matmul"][device]}, scratch)
            print(f"{device}: fp32 matmul peak {peak['flop_per_s'] / 1e9:,.1f} GFLOP/s", flush=True)
            report["results"].append({"device": device, "matmul_peak": peak})
            for recipe in recipes:
                batch_size = recipe_batch_size(registry, recipe, args.batch_size)
                print(f"{device}: {recipe} (batch {batch_size}) ...", flush=True)
                factor = steps_factor(registry, recipe) * DEVICE_STEPS_FACTOR[device]
                result = measure(recipe, device, batch_size, plan, common, scratch, factor)
                rows.append(row(recipe, device, batch_size, result, peak["flop_per_s"]))
                report["results"].append({"device": device, "recipe": recipe, "batch_size": batch_size, **result})
    report["wall_s"] = round(time.perf_counter() - started, 1)
    report["table"] = [dict(zip(HEADER, cells)) for cells in rows]
    print(f"\nmachine: {machine_info.one_line(machine)}\ndata:    {report['data']}\n")
    print(format_table(rows, HEADER))
    finish(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
