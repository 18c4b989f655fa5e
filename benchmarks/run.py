"""ganzoo's performance benchmarks: one command, one table.

    python benchmarks/run.py [--quick] [--json OUT] [--data-dir DIR] [--synthetic]

Sections (targets from the performance issue):

a. CLI start-up: ``ganzoo --help`` <= 0.5 s; ``ganzoo list`` <= ``import torch`` + 0.5 s.
b. Engine throughput: vanilla-mnist at batch 64 through ``ganzoo.train``, against a
   textbook PyTorch loop on the same networks; target ganzoo/textbook >= 3x.
c. FLOP utilisation: the engine at batch 256 against an fp32 matmul peak; target >= 50 %.
d. Peak RSS of a process that only runs the engine; target <= 1.5 GB.

Sections b-d each run in a fresh interpreter (``worker.py``). ``--quick`` shrinks
everything to well under a minute for smoke tests; its figures are indicative only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import cli_startup
import machine_info
import mnist_files

HERE = Path(__file__).resolve().parent

HELP_TARGET_S = 0.5  # ganzoo --help, seconds
LIST_MARGIN_S = 0.5  # ganzoo list may take this much longer than `import torch`
RATIO_TARGET = 3.0  # ganzoo images/s over the textbook loop's
UTILISATION_TARGET = 0.5  # achieved FLOP/s over matmul peak
RSS_TARGET_BYTES = 1.5e9  # peak resident memory of an engine run
COLUMNS = ["benchmark", "figure", "value", "target", "result", "other_load"]

# Sizes per mode. Step counts are multiples of log_every so every window is whole;
# the engine's first logging window is the warm-up and is not measured.
PLANS: dict[str, dict[str, Any]] = {
    "full": {
        "startup_runs": 7,
        "throughput": {
            "rounds": 2,
            "engine": {"batch_size": 64, "steps": 350, "log_every": 50},
            "textbook": {"batch_size": 64, "warmup_steps": 50, "windows": 6, "window_steps": 50},
        },
        "flops": {
            "engine": {"batch_size": 256, "steps": 120, "log_every": 20},
            "matmul": {"size": 2048, "repeats": 10},
        },
        "rss": {"engine": {"batch_size": 64, "steps": 350, "log_every": 50}},
    },
    "quick": {
        "startup_runs": 5,
        "throughput": {
            "rounds": 1,
            "engine": {"batch_size": 64, "steps": 40, "log_every": 20},
            "textbook": {"batch_size": 64, "warmup_steps": 10, "windows": 2, "window_steps": 10},
        },
        "flops": {
            "engine": {"batch_size": 256, "steps": 20, "log_every": 10},
            "matmul": {"size": 1024, "repeats": 5},
        },
        "rss": {"engine": {"batch_size": 64, "steps": 20, "log_every": 10}},
    },
}


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, < 1 minute (smoke test)")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--data-dir", help="folder containing MNIST/raw/ (default: $GANZOO_DATA_DIR, shared/datasets)")
    parser.add_argument("--synthetic", action="store_true",
                        help="use generated MNIST-shaped IDX files even if real MNIST exists")
    parser.add_argument("--threads", type=int, help="torch intra-op threads in sections b-d (default: torch's choice)")
    return parser.parse_args(argv)


# -- measuring ------------------------------------------------------------------------


def run_worker(section: str, params: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Run one section in a fresh interpreter and return its JSON result."""
    result_path = scratch / f"{section}.json"
    command = [sys.executable, str(HERE / "worker.py"), section, json.dumps(params), str(result_path)]
    with machine_info.OtherLoad() as load:
        done = subprocess.run(command, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        tail = done.stdout[-3000:]
        raise SystemExit(f"error: benchmark section {section!r} failed (exit {done.returncode}):\n{tail}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    result["other_load"] = load.share
    return result


def measure_startup(runs: int) -> dict[str, Any]:
    """Section a, here in the parent: each timed command is a subprocess already."""
    started = time.perf_counter()
    with machine_info.OtherLoad() as load:
        commands = cli_startup.measure(runs)
    wall = round(time.perf_counter() - started, 2)
    return {"commands": commands, "runs": runs, "other_load": load.share, "section_wall_s": wall}


def data_source(args: argparse.Namespace, scratch: Path) -> tuple[Path, str]:
    """The MNIST root every section reads, and a description of it."""
    root = None if args.synthetic else mnist_files.find_mnist(args.data_dir)
    if root is not None:
        return root, f"real MNIST from {root}"
    root = mnist_files.write_synthetic_mnist(scratch / "synthetic-data")
    return root, "synthetic uint8 MNIST-shaped IDX files (no real MNIST found, or --synthetic)"


# -- reporting ------------------------------------------------------------------------


def verdict(passed: bool) -> str:
    """PASS/MISS: a missed target is a finding to report, not an error, so the exit status stays 0."""
    return "PASS" if passed else "MISS"


def _load(share: Optional[float]) -> str:
    """The "CPU used by others" cell."""
    return "n/a" if share is None else f"{share:.0%}"


def startup_rows(startup: dict[str, Any]) -> list[list[str]]:
    commands = startup["commands"]
    help_s = commands["ganzoo --help"]["median_s"]
    list_s = commands["ganzoo list"]["median_s"]
    torch_s = commands['python -c "import torch"']["median_s"]
    load = _load(startup["other_load"])
    title = f"a. CLI start-up (median of {startup['runs']})"
    return [
        [title, "ganzoo --help", f"{help_s:.3f} s", f"<= {HELP_TARGET_S} s", verdict(help_s <= HELP_TARGET_S), load],
        ["", "ganzoo list", f"{list_s:.3f} s", "", "", ""],
        ["", 'python -c "import torch" (baseline)', f"{torch_s:.3f} s", "", "", ""],
        ["", "ganzoo --help vs import torch", f"{help_s - torch_s:+.3f} s ({help_s / torch_s:.2f}x)", "", "", ""],
        ["", "ganzoo list vs import torch", f"{list_s - torch_s:+.3f} s ({list_s / torch_s:.2f}x)",
         f"<= +{LIST_MARGIN_S} s", verdict(list_s <= torch_s + LIST_MARGIN_S), ""],
    ]  # fmt: skip


def throughput_rows(result: dict[str, Any]) -> list[list[str]]:
    engine, textbook = result["engine"], result["textbook"]
    ratio = engine["img_per_s"] / textbook["img_per_s"]
    title = f"b. Throughput, batch {engine['batch_size']}"
    return [
        [title, f"ganzoo.train ({engine['measured_steps']} steps)", f"{engine['img_per_s']:,.0f} img/s", "", "",
         _load(result["other_load"])],
        ["", f"textbook loop, num_workers=0 ({textbook['measured_steps']} steps)",
         f"{textbook['img_per_s']:,.0f} img/s", "", "", ""],
        ["", "ratio ganzoo / textbook", f"{ratio:.2f}x", f">= {RATIO_TARGET:g}x", verdict(ratio >= RATIO_TARGET), ""],
    ]  # fmt: skip


def flops_rows(result: dict[str, Any]) -> list[list[str]]:
    engine, matmul = result["engine"], result["matmul"]
    utilisation = result["utilisation"]
    title = f"c. FLOP utilisation, batch {engine['batch_size']}"
    return [
        [title, "FLOPs / iteration (counted, flop_counter formulas)", f"{result['flops_per_iteration'] / 1e9:.2f} GFLOP", "", "",
         _load(result["other_load"])],
        ["", "FLOPs / iteration (analytic, Linear sizes)", f"{result['flops_per_iteration_analytic'] / 1e9:.2f} GFLOP",
         "", "", ""],
        ["", f"ganzoo.train ({engine['measured_steps']} steps)",
         f"{engine['img_per_s']:,.0f} img/s = {result['achieved_flop_per_s'] / 1e9:.1f} GFLOP/s", "", "", ""],
        ["", f"fp32 matmul peak ({matmul['size']}^2, best of {matmul['repeats']})",
         f"{matmul['flop_per_s'] / 1e9:.1f} GFLOP/s", "", "", ""],
        ["", "utilisation", f"{utilisation:.1%}", f">= {UTILISATION_TARGET:.0%}",
         verdict(utilisation >= UTILISATION_TARGET), ""],
    ]  # fmt: skip


def rss_rows(result: dict[str, Any]) -> list[list[str]]:
    peak = result["peak_rss_bytes"]
    engine = result["engine"]
    return [
        [f"d. Peak RSS, batch {engine['batch_size']}", f"engine-only process, {engine['steps']} steps (VmHWM)",
         f"{peak / 1e9:.2f} GB", f"<= {RSS_TARGET_BYTES / 1e9:g} GB", verdict(peak <= RSS_TARGET_BYTES),
         _load(result["other_load"])],
        ["", "of which: after import torch", f"{result['rss_after_import_torch_bytes'] / 1e9:.2f} GB", "", "", ""],
    ]  # fmt: skip


def format_table(rows: list[list[str]], header: Optional[list[str]] = None) -> str:
    """Rows as aligned columns under ``header`` (default: this table's columns)."""
    header = header or [*COLUMNS[:-1], "CPU used by others"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    mode = "quick" if args.quick else "full"
    plan = PLANS[mode]
    machine = machine_info.describe()
    report: dict[str, Any] = {
        "mode": mode,
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "load_average_before": machine_info.load_average(),
    }
    if args.threads:
        machine["torch_threads"] = args.threads  # what sections b-d run with (the workers set it)
    print(f"ganzoo benchmarks ({mode}) on {machine_info.one_line(machine)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-") as tmp:
        scratch = Path(tmp)
        data_root, report["data"] = data_source(args, scratch)
        print(f"data: {report['data']}", flush=True)
        sections: dict[str, Any] = {}
        print("a. CLI start-up ...", flush=True)
        sections["startup"] = measure_startup(plan["startup_runs"])
        for name, label in (("throughput", "b. engine vs textbook"), ("flops", "c. FLOP utilisation"),
                            ("rss", "d. peak RSS")):  # fmt: skip
            print(f"{label} ...", flush=True)
            params = {"data_root": str(data_root), "threads": args.threads, **plan[name]}
            sections[name] = run_worker(name, params, scratch)
    report["sections"] = sections
    report["load_average_after"] = machine_info.load_average()
    report["wall_s"] = round(time.perf_counter() - started, 1)

    rows = startup_rows(sections["startup"]) + throughput_rows(sections["throughput"])
    rows += flops_rows(sections["flops"]) + rss_rows(sections["rss"])
    report["table"] = [dict(zip(COLUMNS, row)) for row in rows]
    print()
    print(f"machine: {machine_info.one_line(machine)}")
    print(f"data:    {report['data']}")
    print(f"loss:    {sections['throughput']['loss']}")
    print(f"load average before/after: {report['load_average_before']} / {report['load_average_after']}")
    print()
    print(format_table(rows))
    finish(report, args.json)
    return 0


def finish(report: dict[str, Any], json_path: Optional[Path]) -> None:
    """The closing line, and the whole report as JSON where asked."""
    print(f"\n{report['mode']} run took {report['wall_s']} s")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {json_path}")


if __name__ == "__main__":
    sys.exit(main())
