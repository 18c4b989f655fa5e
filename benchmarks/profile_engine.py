"""Where does ``ganzoo.train`` spend its time? cProfile and torch.profiler over one run.

    python benchmarks/profile_engine.py [--steps 300] [--batch-size 64] [--threads N] [--top 25]
    python benchmarks/profile_engine.py --ablate [--steps 200] [--rounds 3]

Prints the split of one plain ``ganzoo.train`` call into the training loop
and the rest, then two tables: torch operators by self CPU time
(torch.profiler) and Python functions by cumulative time (cProfile). Both
profilers cost time themselves, so read the shares, not the absolute figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import engine_runs
import machine_info
import mnist_files
import textbook_loop


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="generator steps to profile (default 300)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--top", type=int, default=25, help="rows per table")
    parser.add_argument("--data-dir", help="directory containing MNIST/raw/")
    parser.add_argument("--ablate", action="store_true",
                        help="instead of profiling: img/s with parts switched off, and Adam foreach vs fused")
    parser.add_argument("--rounds", type=int, default=3, help="--ablate: interleaved rounds, best kept (default 3)")
    return parser.parse_args()


def train_once(registry: object, out: Path, data_root: Path, args: argparse.Namespace) -> dict:
    return engine_runs.train(registry, out, data_root, batch_size=args.batch_size, steps=args.steps,
                             log_every=max(args.steps // 4, 1))  # fmt: skip


def print_split(result: dict) -> None:
    """How much of one ``ganzoo.train`` call is the training loop itself."""
    call, loop = result["call_wall_s"], result["loop_wall_s"]
    print(f"\n== one ganzoo.train call without profiler ({result['steps']} steps, batch {result['batch_size']})")
    print(f"call {call:.2f} s = training loop {loop:.2f} s + set-up and wrap-up {call - loop:.2f} s "
          f"(data loading, dry run, final checkpoint and sample grids); loop {result['img_per_s']:,.0f} img/s")


ABLATIONS = {
    "recipe as is": {},
    "no generator EMA": {"train.ema_halflife_kimg": 0.0},
    "no dropout in D (changes the model)": {"discriminator.dropout": 0.0},
}


def ablate(registry: Any, scratch: Path, data_root: Path, args: argparse.Namespace) -> None:
    """Engine img/s with one part off at a time, interleaved over rounds (best kept, with its contention)."""
    import ganzoo

    log_every = max(args.steps // 4, 1)
    best: dict[str, tuple[float, Optional[float]]] = {}
    for round_index in range(args.rounds):
        for index, (label, overrides) in enumerate(ABLATIONS.items()):
            out = scratch / f"ablate-{round_index}-{index}"
            with machine_info.OtherLoad() as load:
                ganzoo.train(engine_runs.RECIPE, steps=args.steps, batch_size=args.batch_size, device="cpu",
                             out=out, data_dir=data_root, download=False, quiet=True, registry=registry,
                             overrides={"train.log_every": log_every, **overrides})  # fmt: skip
            rate = statistics.median(window["img_per_s"] for window in engine_runs.read_metrics(out)[1:])
            if rate > best.get(label, (0.0, None))[0]:
                best[label] = (rate, load.share)
    print(f"\n== engine img/s with parts switched off ({args.steps} steps, batch {args.batch_size}, "
          f"best of {args.rounds})")
    reference = best["recipe as is"][0]
    for label, (rate, share) in best.items():
        others = "n/a" if share is None else f"{share:.0%}"
        print(f"{label:40s} {rate:8,.0f} img/s  ({rate / reference:.2f}x)  CPU used by others: {others}")
    print(f"\n== Adam step over the recipe's G and D parameters ({adam_parameter_count(registry):,} floats)")
    for label, seconds in adam_step_times(registry).items():
        print(f"{label:40s} {seconds * 1e3:8.2f} ms")


def adam_parameter_count(registry: Any) -> int:
    G, D, _ = textbook_loop.recipe_networks(registry)
    return sum(p.numel() for module in (G, D) for p in module.parameters())


def adam_step_times(registry: Any, repeats: int = 30) -> dict[str, float]:
    """Best time of one Adam step, as the engine configures it on CPU (foreach) and fused."""
    import torch

    G, D, _ = textbook_loop.recipe_networks(registry)
    params = [p for module in (G, D) for p in module.parameters()]
    for p in params:
        p.grad = torch.randn_like(p)
    times = {}
    for label, kwargs in (("foreach=True (the engine on CPU)", {"foreach": True}), ("fused=True", {"fused": True})):
        optimizer = torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999), **kwargs)
        optimizer.step()  # allocates the moment buffers
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            optimizer.step()
            best = min(best, time.perf_counter() - start)
        times[label] = best
    return times


def main() -> None:
    args = parse_args()
    import torch
    from torch.profiler import ProfilerActivity, profile

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"machine: {machine_info.one_line(machine_info.describe())}")
    registry, loss_source = engine_runs.registry_with_loss()
    print(f"loss: {loss_source}")
    with tempfile.TemporaryDirectory(prefix="ganzoo-profile-") as tmp:
        scratch = Path(tmp)
        data_root = mnist_files.find_mnist(args.data_dir) or mnist_files.write_synthetic_mnist(scratch / "data")
        train_once(registry, scratch / "warm-up", data_root, argparse.Namespace(**{**vars(args), "steps": 20}))
        if args.ablate:
            ablate(registry, scratch, data_root, args)
            return
        print_split(train_once(registry, scratch / "plain", data_root, args))

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train_once(registry, scratch / "torch-profiler", data_root, args)
        print(f"\n== torch.profiler: operators by self CPU time ({args.steps} steps, batch {args.batch_size})")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top))

        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(train_once, registry, scratch / "cprofile", data_root, args)
        wall = time.perf_counter() - started
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(args.top)
        print(f"\n== cProfile: cumulative time ({args.steps} steps, {wall:.1f} s wall under the profiler)")
        print(text.getvalue())


if __name__ == "__main__":
    main()
