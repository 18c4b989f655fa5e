"""Wall time of the ``ganzoo`` CLI starting up, against ``python -c "import torch"``."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional


def ganzoo_executable() -> str:
    """The ``ganzoo`` console script of this interpreter.

    Preferred over whatever ``ganzoo`` is first on PATH: a version manager's
    shim (pyenv's is a bash script) would add its own start-up to the figure.
    """
    beside = Path(sys.executable).with_name("ganzoo")
    if beside.is_file():
        return str(beside)
    found = shutil.which("ganzoo")
    if found is None:
        raise SystemExit("error: no ganzoo console script found; pip install -e . first")
    return found


def time_command(argv: list[str], runs: int, warmups: int = 1) -> dict[str, object]:
    """Median wall time of ``argv`` over ``runs`` runs, after ``warmups`` untimed runs.

    The warm-up fills the page cache, so every timed run is a warm start, the
    case a user typing commands meets. A non-zero exit fails loudly: a fast
    crash must not pass as a fast start-up.
    """
    times = []
    for index in range(warmups + runs):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {done.returncode}: {done.stderr.strip()[-500:]}")
        if index >= warmups:
            times.append(elapsed)
    return {"median_s": statistics.median(times), "runs_s": [round(t, 4) for t in times]}


def measure(runs: int, ganzoo: Optional[str] = None) -> dict[str, dict[str, object]]:
    """Time ``ganzoo --help``, ``ganzoo list`` and the torch import baseline."""
    ganzoo = ganzoo or ganzoo_executable()
    commands = {
        "ganzoo --help": [ganzoo, "--help"],
        "ganzoo list": [ganzoo, "list"],
        'python -c "import torch"': [sys.executable, "-c", "import torch"],
    }
    return {name: {"argv": argv, **time_command(argv, runs)} for name, argv in commands.items()}


#: The budgets (issue 19): each start-up under this many seconds, and under ``import torch`` plus it.
BUDGET_S = 0.5
#: Every optional extra's distribution: the figures are meant with all of them installed.
EXTRAS = {"hub": "huggingface_hub", "tensorboard": "tensorboard", "plots": "matplotlib", "docs": "mkdocs",
          "test": "pytest"}


def installed_extras() -> dict[str, Optional[str]]:
    """Each extra's distribution and its installed version (None: not installed)."""
    from importlib import metadata

    found: dict[str, Optional[str]] = {}
    for extra, dist in EXTRAS.items():
        try:
            found[extra] = f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            found[extra] = None
    return found


def main(argv: Optional[list[str]] = None) -> int:
    """Print the figures as JSON; exit 1 if a start-up is over budget (``--runs N``, default 10)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    figures = measure(args.runs)
    torch_s = float(figures['python -c "import torch"']["median_s"])
    verdicts = {}
    for name in ("ganzoo --help", "ganzoo list"):
        median = float(figures[name]["median_s"])
        verdicts[name] = {"median_s": round(median, 4), f"under_{BUDGET_S}_s": median < BUDGET_S,
                          "under_torch_import_plus_budget": median < torch_s + BUDGET_S}  # fmt: skip
    report = {"python": sys.version.split()[0], "extras": installed_extras(), "import_torch_s": round(torch_s, 4),
              "verdicts": verdicts, "figures": figures}  # fmt: skip
    print(json.dumps(report, indent=2))
    return 0 if all(all(v for k, v in verdict.items() if k.startswith("under")) for verdict in verdicts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
