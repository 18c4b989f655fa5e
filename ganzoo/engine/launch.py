"""``ganzoo train --nproc N``: the same training in N processes on this machine, through torchrun's launcher.

This is what ``torchrun --standalone --nproc-per-node N -m ganzoo train ...``
does, called through torchrun's own Python API (``elastic_launch``) so that
ganzoo can report the outcome in its own words: each process gets ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK`` and a rendezvous on a free local port, nothing
is restarted, and when one process fails the others are stopped. Multi-node
runs call torchrun themselves with its usual ``--nnodes`` / ``--rdzv-*`` options.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import uuid
from typing import Sequence

from ganzoo.errors import ConfigError, GanzooError

#: Seconds the processes get to save their checkpoint after Ctrl-C / SIGTERM before they are killed.
SHUTDOWN_GRACE_S = 120
#: Exit status after an interruption, as a shell reports a process ended by SIGINT.
INTERRUPTED_EXIT = 130


def check_nproc(nproc: int) -> None:
    """Refuse a number of processes that cannot work, or a launch from inside a launched process."""
    if nproc < 1:
        raise ConfigError(
            f"--nproc {nproc} is not a number of processes",
            "a run needs at least one process",
            "use --nproc 2 (or more) to train with several processes, or leave it out",
        )
    if "RANK" in os.environ:
        raise ConfigError(
            "--nproc was given inside a process that torchrun already started",
            "each torchrun process would start a torchrun of its own",
            "drop --nproc when launching with torchrun yourself",
        )


def worker_args(train_args: Sequence[str]) -> list[str]:
    """The command each process runs: ``python -m ganzoo train TRAIN_ARGS``."""
    return ["-m", "ganzoo", "train", *train_args]


def launch(nproc: int, train_args: Sequence[str]) -> int:
    """Run ``ganzoo train TRAIN_ARGS`` in ``nproc`` processes; return the exit status.

    0 when every process finished, :data:`INTERRUPTED_EXIT` after Ctrl-C or
    SIGTERM (the processes have saved a checkpoint), 1 when a process failed
    (it printed its own error).
    """
    check_nproc(nproc)
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    # The agent's own warnings ("Sending process ... closing signal") repeat what ganzoo says.
    logging.getLogger("torch.distributed.elastic").setLevel(logging.ERROR)
    # Share the cores out (torchrun's CLI would set 1 thread per process); the processes inherit it.
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    settings = dict(
        min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"ganzoo-{uuid.uuid4().hex[:12]}",
        rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0,
    )  # fmt: skip
    if "shutdown_timeout" in {field.name for field in dataclasses.fields(LaunchConfig)}:  # newer torch only
        settings["shutdown_timeout"] = SHUTDOWN_GRACE_S
    config = LaunchConfig(**settings)
    try:
        elastic_launch(config, entrypoint=sys.executable)(*worker_args(train_args))
    except SignalException:
        # The agent passed the signal on; the processes saved a checkpoint and said where.
        return INTERRUPTED_EXIT
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        if failure.exitcode == INTERRUPTED_EXIT:
            return INTERRUPTED_EXIT
        raise LaunchFailed(rank, failure.exitcode) from None
    return 0


class LaunchFailed(GanzooError):
    """A process of a ``--nproc`` run ended with an error."""

    def __init__(self, rank: int, exit_code: int) -> None:
        how = f"was killed by signal {-exit_code}" if exit_code < 0 else f"exited with status {exit_code}"
        super().__init__(
            f"training process {rank} {how}, so the run was stopped",
            "its own message is above; the other processes were ended",
            "fix the cause and resume with ganzoo train --resume RUN_DIR (the last checkpoint is intact)",
        )
