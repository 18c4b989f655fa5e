"""Multi-process scaling of ``ganzoo train`` on one machine: throughput, efficiency and quality.

    python benchmarks/distributed.py [--steps 600] [--quality] [--data-dir DIR] [--json OUT]

Every configuration is a real ``ganzoo train vanilla-mnist`` process (``--nproc 2``
for two: torchrun, gloo, DistributedDataParallel), each with a fixed number of
torch threads, measured in the same session:

* 1 process x 1 thread, batch 64 -- the per-process baseline for efficiency;
* 1 process x all cores, batch 64 -- what a single-process user gets;
* 2 processes x 1 thread, batch 32 each (global 64) -- strong scaling:
  efficiency = speed-up over the baseline / 2;
* 2 processes x 1 thread, batch 64 each (global 128) -- weak scaling:
  efficiency = throughput / (2 x baseline).

Images/s are the engine's own ``img_per_s`` (all processes' images) from
``metrics.jsonl``, median over logging windows after the first (warm-up).

``--quality`` also trains the recipe's default length once in one process and
once in two processes of half the batch -- the same images seen, the same
global batch -- and evaluates both with ``ganzoo eval`` (LeNet FID, 10,000
samples): the figure for "same quality as one process at equal images seen".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import machine_info
import mnist_files

RECIPE = "vanilla-mnist"
LOG_EVERY = 50


def ganzoo_train(out: Path, data_root: Path, *, nproc: int, threads: int, batch: int, steps: int,
                 log_every: int = LOG_EVERY) -> float:
    """Run one training process (or torchrun group); return its wall time in seconds."""
    import time

    command = [sys.executable, "-m", "ganzoo", "train", RECIPE, "--steps", str(steps), "--batch-size", str(batch),
               "--device", "cpu", "--out", str(out), "--data-dir", str(data_root), "--no-download", "--quiet",
               "--set", f"train.log_every={log_every}"]  # fmt: skip
    if nproc > 1:
        command += ["--nproc", str(nproc)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


def throughput(run_dir: Path) -> float:
    """Median engine img/s over the logging windows after the first."""
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    if len(lines) < 2:
        raise SystemExit(f"error: {run_dir} logged fewer than two windows; raise --steps")
    return statistics.median(line["img_per_s"] for line in lines[1:])


def lenet_fid(run_dir: Path, data_root: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "ganzoo", "eval", str(run_dir), "--n", "10000", "--metrics", "fid", "--json"]
    done = subprocess.run(command, env=dict(os.environ, GANZOO_DATA_DIR=str(data_root)), capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"error: ganzoo eval failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="steps per throughput run (default 600)")
    parser.add_argument("--quality", action="store_true", help="also train full length in 1 and 2 processes, compare FID")
    parser.add_argument("--data-dir", help="folder holding MNIST/raw (default: $GANZOO_DATA_DIR or shared/datasets)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)

    cores = machine_info.usable_cores()
    data_root = mnist_files.find_mnist(args.data_dir)
    scratch = Path(tempfile.mkdtemp(prefix="ganzoo-bench-dist-"))
    if data_root is None:
        data_root = mnist_files.write_synthetic_mnist(scratch / "data")
    print(machine_info.one_line(machine_info.describe()))

    configurations = [
        ("1 process x 1 thread, batch 64", dict(nproc=1, threads=1, batch=64)),
        (f"1 process x {cores} threads, batch 64", dict(nproc=1, threads=cores, batch=64)),
        ("2 processes x 1 thread, batch 32 each (global 64)", dict(nproc=2, threads=1, batch=32)),
        ("2 processes x 1 thread, batch 64 each (global 128)", dict(nproc=2, threads=1, batch=64)),
    ]
    results: dict[str, Any] = {"machine": machine_info.describe(), "steps": args.steps, "rows": []}
    rates = []
    for index, (label, settings) in enumerate(configurations):
        with machine_info.OtherLoad() as load:
            ganzoo_train(scratch / f"run-{index}", data_root, steps=args.steps, **settings)
        rate = throughput(scratch / f"run-{index}")
        rates.append(rate)
        results["rows"].append({"configuration": label, **settings, "img_per_s": round(rate, 1),
                                "other_load": load.share})  # fmt: skip

    base = rates[0]
    strong, weak = rates[2] / base / 2, rates[3] / (2 * base)
    results.update(strong_efficiency=round(strong, 3), weak_efficiency=round(weak, 3),
                   two_processes_vs_one_full=round(rates[2] / rates[1], 3))  # fmt: skip
    print(f"\n{'configuration':<52} {'img/s':>8}  {'vs 1x1':>7}  other load")
    for row, rate in zip(results["rows"], rates):
        share = row["other_load"]
        print(f"{row['configuration']:<52} {rate:>8.0f}  {rate / base:>6.2f}x  "
              f"{'-' if share is None else f'{share:.0%}'}")  # fmt: skip
    print(f"\nstrong scaling efficiency (global batch 64): {strong:.0%}")
    print(f"weak scaling efficiency (batch 64 per process): {weak:.0%}")
    print(f"2 processes (global 64) against 1 process on all {cores} cores: {rates[2] / rates[1]:.2f}x")

    if args.quality:
        print("\nquality at equal images seen (recipe default steps, global batch 64):")
        quality = {}
        for label, settings in (("1 process, batch 64", dict(nproc=1, threads=cores, batch=64)),
                                ("2 processes, batch 32 each", dict(nproc=2, threads=1, batch=32))):  # fmt: skip
            import ganzoo

            steps = ganzoo.get_registry().get("recipe", RECIPE).params["train"]["steps"]
            run = scratch / ("quality-" + label.split(",")[0].replace(" ", "-"))
            wall = ganzoo_train(run, data_root, steps=steps, log_every=500, **settings)
            record = lenet_fid(run, data_root)
            fid = next(m["value"] for m in record["metrics"] if m["metric"] == "fid")
            quality[label] = {"steps": steps, "wall_s": round(wall, 1), "fid": fid}
            print(f"  {label:<28} {steps} steps, {wall:6.0f} s, LeNet FID {fid:.1f}")
        results["quality"] = quality

    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
