"""What the figures were measured on: every result is printed next to this."""

from __future__ import annotations

import os
import platform
import resource
from typing import Any, Optional


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """Cores this process may run on (a container's affinity mask, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_average() -> list[float]:
    """The 1/5/15-minute load averages; high values mean other work shared the cores."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def describe() -> dict[str, Any]:
    """Machine, versions and thread count, as a JSON-ready dict.

    Imports torch: call it in the process whose thread settings you want reported.
    """
    import torch

    return {
        "cpu": cpu_model(),
        "cores": usable_cores(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def one_line(info: dict[str, Any]) -> str:
    """``describe()`` as the line printed above every table."""
    return (
        f"{info['cpu']}, {info['cores']} cores, torch {info['torch']} "
        f"({info['torch_threads']} threads), Python {info['python']}"
    )


def _cpu_jiffies() -> Optional[tuple[int, int]]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat", encoding="utf-8") as handle:
            fields = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def _own_cpu_seconds() -> float:
    """CPU seconds used by this process and its finished children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class OtherLoad:
    """Share of the machine's CPU time that *other* processes used while the block ran.

    On a shared machine this says how much a figure may be depressed: torch's
    thread pool waits on its slowest thread, so a core lost to someone else
    slows small operations far more than its share. None where /proc/stat is absent.
    """

    def __enter__(self) -> "OtherLoad":
        self.share: Optional[float] = None
        self._start = (_cpu_jiffies(), _own_cpu_seconds())
        return self

    def __exit__(self, *exc: object) -> None:
        end = (_cpu_jiffies(), _own_cpu_seconds())
        if self._start[0] is None or end[0] is None:
            return
        ticks = os.sysconf("SC_CLK_TCK")
        busy = (end[0][0] - self._start[0][0]) / ticks
        total = (end[0][1] - self._start[0][1]) / ticks
        own = end[1] - self._start[1]
        if total > 0:
            self.share = min(max((busy - own) / total, 0.0), 1.0)
