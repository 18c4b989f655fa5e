"""Run directories: which may be written, which may be replaced, and one writer at a time.

A new run never clobbers an earlier one by accident; ``--overwrite`` replaces
only a ganzoo run (never an arbitrary folder, the working directory or home);
the old run is kept aside while the new one trains, deleted when the new run
ends with a checkpoint of its own, and put back if it fails before one. A lock file keeps two
processes from training into the same directory.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shlex
import shutil
import socket
from pathlib import Path
from typing import IO, Any, Optional

from ganzoo.errors import RunDirectoryError

try:  # POSIX; elsewhere runs are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Files that mark a directory as a ganzoo run (written at the start of every run).
RUN_MARKERS = ("run.json", "config.json")
LOCK_NAME = ".ganzoo.lock"


def check_new_run_dir(run_dir: Path, overwrite: bool) -> None:
    """Refuse a run directory that would clobber an earlier run or anything that is not a run."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirectoryError(f"{run_dir} exists and is not a directory", "", "choose another --out")
    if not (run_dir.is_dir() and any(run_dir.iterdir())):
        return
    if not overwrite:
        diverged = diverged_at(run_dir)
        raise RunDirectoryError(
            f"the run directory {run_dir} already exists and is not empty",
            "ganzoo never overwrites an earlier run by accident"
            + (f"; the run in it diverged at step {diverged} and cannot be resumed" if diverged is not None else ""),
            ("pass --overwrite to replace it, or choose another --out" if diverged is not None
             else f"continue it with --resume {run_dir}, choose another --out, or pass --overwrite"),
        )
    resolved = run_dir.resolve()
    protected = {Path.cwd().resolve(), Path.home().resolve(), Path(resolved.anchor)}
    if resolved in protected or resolved in Path.cwd().resolve().parents:
        raise RunDirectoryError(
            f"--overwrite refuses to replace {run_dir}",
            "it is the current directory, one of its parents, the home directory or the root",
            "give --out a directory of its own, such as runs/NAME",
        )
    if not any((run_dir / marker).is_file() for marker in RUN_MARKERS):
        raise RunDirectoryError(
            f"--overwrite only replaces ganzoo runs, and {run_dir} is not one",
            f"it is not empty and holds neither {' nor '.join(RUN_MARKERS)}",
            "choose another --out, or empty or remove that directory yourself",
        )


def _run_info(run_dir: Path) -> dict[str, Any]:
    """A run's run.json as a dict; {} when it is missing or unreadable."""
    try:
        info = json.loads((Path(run_dir) / RUN_MARKERS[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def diverged_at(run_dir: Path) -> Optional[int]:
    """The step at which the run in ``run_dir`` diverged, per its run.json; None if it did not."""
    info = _run_info(run_dir)
    if info.get("status") != "diverged":
        return None
    step = info.get("diverged_at_step")
    return step if isinstance(step, int) else 0


def check_resumable(run_dir: Path) -> None:
    """Refuse to resume a run that diverged: it would train again what diverged, the same way."""
    step = diverged_at(run_dir)
    if step is not None:
        raise RunDirectoryError(
            f"the run in {run_dir} diverged at step {step} and cannot be resumed",
            "resuming continues from its last checkpoint with the same learning rates and precision, "
            "so it would diverge again",
            "start a new run with lower learning rates (--set train.lr_g=... --set train.lr_d=...); "
            f"--out {shlex.quote(str(run_dir))} --overwrite replaces this one",
        )


class RunLock:
    """An exclusive ``flock`` on ``RUN_DIR/.ganzoo.lock`` naming its holder (pid and host).

    Taken by the process that writes the run (rank 0); released on
    :meth:`release` or when the process ends, however it ends.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self._handle: Optional[IO[str]] = None
        if fcntl is None:
            return
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            if not isinstance(exc, BlockingIOError):
                # A file system without locks (NFS without lockd, some cluster file systems):
                # the run goes on unlocked rather than not at all.
                return
            holder = self.path.read_text(encoding="utf-8", errors="replace").strip() or "another process"
            raise RunDirectoryError(
                f"the run directory {run_dir} is in use by {holder}",
                "two processes writing one run would corrupt its checkpoints and logs",
                "wait for that run to finish or stop it (Ctrl-C saves a checkpoint), then try again",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"ganzoo pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()  # closing the file drops the flock
            self._handle = None


class Replacement:
    """A new run's directory, and an existing run set aside by ``--overwrite`` until the new run is done.

    :meth:`start` re-checks the directory (another process may have started a
    run there since the early check), moves an old run to a hidden sibling
    folder and creates ``run_dir``; :meth:`finish` deletes the old run
    (``keep_new``) or deletes what the new run wrote and moves the old run
    back. A process killed in between leaves the old run in
    ``.NAME.replaced-TIMESTAMP`` beside it. A symlinked ``run_dir`` is
    followed: the run it points to is the one replaced.
    """

    def __init__(self, run_dir: Path, overwrite: bool = False) -> None:
        self.run_dir = Path(run_dir).resolve()
        self.overwrite = overwrite
        self.aside: Optional[Path] = None
        self.started = False

    def start(self) -> None:
        check_new_run_dir(self.run_dir, self.overwrite)
        if self.run_dir.is_dir() and any(self.run_dir.iterdir()):
            RunLock(self.run_dir).release()  # refuses a run that another process is training
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            self.aside = self.run_dir.with_name(f".{self.run_dir.name}.replaced-{stamp}")
            os.replace(self.run_dir, self.aside)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.started = True

    def finish(self, keep_new: bool) -> None:
        """Keep the new run (delete the old one), or undo: delete the new run and put the old one back."""
        if not self.started:
            return
        self.started = False
        if keep_new:
            if self.aside is not None:
                shutil.rmtree(self.aside, ignore_errors=True)
        else:
            # The directory was empty or absent before start(): all that is in it is the new run's.
            shutil.rmtree(self.run_dir, ignore_errors=True)
            if self.aside is not None:
                os.replace(self.aside, self.run_dir)
        self.aside = None
