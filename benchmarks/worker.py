"""One isolated measurement, run by ``run.py`` in its own Python process.

Usage (internal): ``python benchmarks/worker.py SECTION PARAMS_JSON RESULT_JSON``.
Each section starts from a fresh interpreter, so one measurement's memory,
thread pools and allocator state cannot leak into the next one's.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import engine_runs
import flop_utilisation
import machine_info
import textbook_loop


def throughput(params: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Engine vs textbook images/s at the recipe's batch size, in this one process.

    Rounds alternate which side goes first, so neither always runs on a cooler
    (or busier) machine; each side's best round is reported.
    """
    registry, loss_source = engine_runs.registry_with_loss()
    data_root = Path(params["data_root"])
    rounds: dict[str, list[dict[str, Any]]] = {"engine": [], "textbook": []}
    for index in range(params["rounds"]):
        for side in ("engine", "textbook") if index % 2 == 0 else ("textbook", "engine"):
            if side == "engine":
                result = engine_runs.train(registry, scratch / f"engine-{index}", data_root, **params["engine"])
            else:
                result = textbook_loop.train(registry, data_root, **params["textbook"])
            rounds[side].append(result)
    best = {side: max(results, key=lambda r: r["img_per_s"]) for side, results in rounds.items()}
    return {"loss": loss_source, **best, "rounds": rounds}


def flops(params: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Achieved FLOP/s of the engine at batch 256 against the fp32 matmul peak."""
    registry, loss_source = engine_runs.registry_with_loss()
    data_root = Path(params["data_root"])
    batch_size = params["engine"]["batch_size"]
    counted = flop_utilisation.counted_iteration_flops(registry, scratch, data_root, batch_size)
    G, D, _ = textbook_loop.recipe_networks(registry)
    analytic = flop_utilisation.analytic_iteration_flops(G, D, batch_size)
    engine = engine_runs.train(registry, scratch / "engine", data_root, **params["engine"])
    peak = flop_utilisation.matmul_peak(**params["matmul"])
    achieved = counted * engine["img_per_s"] / batch_size  # FLOPs per iteration x iterations per second
    return {"loss": loss_source, "flops_per_iteration": counted, "flops_per_iteration_analytic": analytic,
            "flop_source": "flop_utilisation.ProductFlops (torch.utils.flop_counter formulas; products only)",
            "engine": engine, "achieved_flop_per_s": achieved, "matmul": peak,
            "utilisation": achieved / peak["flop_per_s"]}  # fmt: skip


def _proc_status_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status, in KiB (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss(params: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Peak resident memory of a process that does nothing but one engine run."""
    import torch  # noqa: F401  (the baseline below is "torch imported, nothing else")

    baseline_kib = _proc_status_kib("VmRSS")
    registry, loss_source = engine_runs.registry_with_loss()
    engine = engine_runs.train(registry, scratch / "engine", Path(params["data_root"]), **params["engine"])
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    peak_kib = _proc_status_kib("VmHWM") or max_rss_kib
    return {"loss": loss_source, "engine": engine, "peak_rss_bytes": peak_kib * 1024,
            "ru_maxrss_bytes": max_rss_kib * 1024, "rss_after_import_torch_bytes": baseline_kib * 1024}  # fmt: skip


def _peak_memory(device: str) -> dict[str, Any]:
    """This process's peak memory so far: resident set on the CPU, allocated tensors on CUDA."""
    import torch

    if device.startswith("cuda"):
        return {"peak_memory_bytes": torch.cuda.max_memory_allocated(), "peak_memory_kind": "torch.cuda.max_memory_allocated"}
    return {"peak_memory_bytes": _proc_status_kib("VmHWM") * 1024, "peak_memory_kind": "VmHWM (process RSS)"}


def recipe_engine(params: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """One recipe through ``ganzoo.train``: images/s, peak memory, then FLOPs per iteration."""
    registry, loss_source = engine_runs.registry_with_loss(params["recipe"])
    data_root, device = Path(params["data_root"]), params["device"]
    engine = engine_runs.train(registry, scratch / "engine", data_root, recipe=params["recipe"], device=device,
                               **params["engine"])  # fmt: skip
    memory = _peak_memory(device)  # before the short counting runs below
    flops_per_iteration = flop_utilisation.counted_iteration_flops(
        registry, scratch, data_root, params["engine"]["batch_size"], recipe=params["recipe"], device=device)
    return {"loss": loss_source, "engine": engine, "flops_per_iteration": flops_per_iteration, **memory}


def recipe_textbook(params: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """The same recipe's networks in the textbook loop: images/s and peak memory."""
    registry, loss_source = engine_runs.registry_with_loss(params["recipe"])
    textbook = textbook_loop.train(registry, Path(params["data_root"]), recipe=params["recipe"],
                                   device=params["device"], **params["textbook"])  # fmt: skip
    return {"loss": loss_source, "textbook": textbook, **_peak_memory(params["device"])}


def matmul_peak(params: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """The device's fp32 matrix-product peak."""
    return flop_utilisation.matmul_peak(**params["matmul"], device=params["device"])


SECTIONS: dict[str, Callable[[dict[str, Any], Path], dict[str, Any]]] = {
    "throughput": throughput,
    "flops": flops,
    "rss": rss,
    "recipe_engine": recipe_engine,
    "recipe_textbook": recipe_textbook,
    "matmul_peak": matmul_peak,
}


def main(argv: list[str]) -> None:
    section, params_json, result_path = argv
    params = json.loads(params_json)
    if params.get("threads"):
        import torch

        torch.set_num_threads(params["threads"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"ganzoo-bench-{section}-") as scratch:
        result = SECTIONS[section](params, Path(scratch))
    result["machine"] = machine_info.describe()
    result["section_wall_s"] = round(time.perf_counter() - started, 2)
    Path(result_path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
