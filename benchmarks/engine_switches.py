"""Each engine speed switch on its own, against the defaults, in one process: one command, one table.

    python benchmarks/engine_switches.py [--recipe dcgan-mnist] [--device cuda] [--batch-size 64]
                                         [--steps 600] [--profile] [--json OUT] [--data-dir DIR]

Runs ``ganzoo.train`` once with the defaults, once per switch changed from
them (``train.cuda_graphs=false``, ``train.data_on_device=false``, foreach
Adam, no channels_last, no cuDNN autotuning, no EMA, bf16, ``--compile``),
and once more with the defaults; images/s are the engine's own, the median
over its logging windows after the first. Ratios are against the better of
the two default runs, so a drift during the session shows as a gap between
them. ``--profile`` adds a torch.profiler run of the defaults and of the eager
loop and prints how much of the wall time the device was busy.

Meant for a GPU (``--device cuda``, the default); on the CPU the
CUDA-only switches change nothing, which the table then shows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import engine_runs
import machine_info
from run import data_source, finish, format_table

#: (label, train overrides, ganzoo.train keywords), each one change from the defaults.
VARIANTS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("defaults", {}, {}),
    ("train.cuda_graphs=false (eager loop)", {"train.cuda_graphs": False}, {}),
    ("train.data_on_device=false", {"train.data_on_device": False}, {}),
    ("train.optimizer_impl=foreach", {"train.optimizer_impl": "foreach"}, {}),
    ("train.channels_last=false", {"train.channels_last": False}, {}),
    ("train.cudnn_benchmark=false", {"train.cudnn_benchmark": False}, {}),
    ("train.ema_halflife_kimg=0 (no EMA)", {"train.ema_halflife_kimg": 0.0}, {}),
    ("--precision bf16", {}, {"precision": "bf16"}),
    ("--compile", {}, {"compile": True}),
    ("defaults, again", {}, {}),
]
HEADER = ["configuration", "img/s", "vs defaults", "CUDA graph"]


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="dcgan-mnist")
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=600, help="generator steps per run (default 600)")
    parser.add_argument("--log-every", type=int, default=100, help="steps per timing window (default 100)")
    parser.add_argument("--profile", action="store_true", help="also profile the defaults and the eager loop")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--data-dir", help="folder containing MNIST/raw/ (default: $GANZOO_DATA_DIR, shared/datasets)")
    parser.add_argument("--synthetic", action="store_true", help="generated MNIST-shaped IDX files even if real MNIST exists")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, registry: Any, data_root: Path, scratch: Path, index: int,
            overrides: dict[str, Any], keywords: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """One quiet run; its median images/s over the windows after the first."""
    run = engine_runs.train(registry, scratch / f"run-{index}", data_root, batch_size=args.batch_size,
                            steps=args.steps, log_every=args.log_every, recipe=args.recipe, device=args.device,
                            overrides=overrides, **keywords)  # fmt: skip
    return {"img_per_s": run["img_per_s"], "windows": [round(rate) for rate in run["img_per_s_windows"]],
            "cuda_graph": run["cuda_graph"]}  # fmt: skip


def busy_share(args: argparse.Namespace, data_root: Path, scratch: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """Device time of all kernels over the wall time of a profiled run (the profiler slows the host side)."""
    import ganzoo
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU, ProfilerActivity.CUDA]
    out = scratch / f"profiled-{len(list(scratch.iterdir()))}"
    with profile(activities=activities) as profiler:
        started = time.perf_counter()
        ganzoo.train(args.recipe, steps=200, batch_size=args.batch_size, device=args.device, out=out,
                     data_dir=data_root, download=False, quiet=True, overrides={"train.log_every": 100, **overrides})  # fmt: skip
        wall = time.perf_counter() - started
    device_s = sum(event.self_device_time_total for event in profiler.key_averages()) / 1e6
    return {"wall_s": round(wall, 3), "device_busy_s": round(device_s, 3), "share": device_s / wall}


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    machine = machine_info.describe()
    print(f"ganzoo engine switches: {args.recipe}, batch {args.batch_size}, {args.device}, "
          f"on {machine_info.one_line(machine)}", flush=True)  # fmt: skip
    report: dict[str, Any] = {"mode": "full", "recipe": args.recipe, "device": args.device,
                              "batch_size": args.batch_size, "steps": args.steps, "machine": machine,
                              "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                              "variants": []}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-switches-") as tmp:
        scratch = Path(tmp)
        data_root, report["data"] = data_source(args, scratch)
        registry, report["loss"] = engine_runs.registry_with_loss(args.recipe)
        for index, (label, overrides, keywords) in enumerate(VARIANTS):
            try:
                figures = measure(args, registry, data_root, scratch, index, overrides, keywords)
            except Exception as exc:  # noqa: BLE001 -- a switch that fails here is a finding for the table
                figures = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
            print(f"{label}: {figures}", flush=True)
            report["variants"].append({"label": label, "overrides": overrides, "keywords": keywords, **figures})
        if args.profile and not args.device.startswith("cuda"):
            print("--profile measures how busy a GPU is; skipped on the CPU", flush=True)
        elif args.profile:
            report["profile"] = {"defaults": busy_share(args, data_root, scratch, {}),
                                 "eager": busy_share(args, data_root, scratch, {"train.cuda_graphs": False})}  # fmt: skip
    baseline = max(v.get("img_per_s", 0.0) for v in report["variants"] if v["label"].startswith("defaults"))
    rows = [[v["label"], f"{v['img_per_s']:,.0f}" if "img_per_s" in v else "failed",
             f"{v['img_per_s'] / baseline:.2f}x" if "img_per_s" in v and baseline else v.get("error", ""),
             v.get("cuda_graph", "")] for v in report["variants"]]  # fmt: skip
    print()
    print(format_table(rows, HEADER))
    if "profile" in report:
        for name, share in report["profile"].items():
            print(f"profiled {name}: device busy {share['device_busy_s']} s of {share['wall_s']} s = {share['share']:.0%}")
    report["wall_s"] = round(time.perf_counter() - started, 1)
    finish(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
