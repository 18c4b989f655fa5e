"""``ganzoo train --nproc N``: start the same training under torchrun, N processes on this machine.

torchrun (``python -m torch.distributed.run``) is PyTorch's own launcher: it
sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous address for
each process, restarts nothing unless asked, and ends every process when one
fails. ``--nproc`` is a shortcut for one machine (``--standalone``); multi-node
runs call torchrun themselves with its usual ``--nnodes`` / ``--rdzv-*`` options.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Sequence

from ganzoo.errors import ConfigError

def torchrun_argv(nproc: int, train_args: Sequence[str]) -> list[str]:
    """The command line that runs ``ganzoo train TRAIN_ARGS`` in ``nproc`` processes."""
    if nproc < 1:
        raise ConfigError(
            f"--nproc {nproc} is not a number of processes",
            "a run needs at least one process",
            "use --nproc 2 (or more) to train with several processes, or leave it out",
        )
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
        "-m", "ganzoo", "train", *train_args,
    ]  # fmt: skip


def launch(nproc: int, train_args: Sequence[str]) -> int:
    """Run ``ganzoo train`` under torchrun and return its exit status.

    Refuses to nest: inside a torchrun process (``RANK`` set) ``--nproc`` is an error.
    """
    if "RANK" in os.environ:
        raise ConfigError(
            "--nproc was given inside a process that torchrun already started",
            "each torchrun process would start a torchrun of its own",
            "drop --nproc when launching with torchrun yourself",
        )
    argv = torchrun_argv(nproc, train_args)
    env = dict(os.environ)
    # torchrun sets one OpenMP thread per process when it is unset; keep the cores
    # shared out instead (2 cores, 2 processes: 1 each -- the same as torchrun's default).
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    process = subprocess.Popen(argv, env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached torchrun and its processes too: they save a checkpoint
            # and exit; wait for that rather than killing them mid-write.
            continue
