"""Atomic writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _process_umask() -> int:
    # Reading the umask means setting it; done once, at import, before any thread
    # could create a file in between with the temporary mask.
    umask = os.umask(0)
    os.umask(umask)
    return umask


_UMASK = _process_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and replace ``path`` with one atomic rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files; give the result the permissions a plain open() would.
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete the temporary files that :func:`atomic_write_bytes` left in ``directory``.

    A process killed mid-write (SIGKILL, power loss) leaves its ``.NAME.*.tmp``
    behind, as large as a checkpoint. Call this only where no other process
    writes into ``directory``, e.g. when a run is resumed. Returns what was removed.
    """
    removed = []
    for stale in Path(directory).rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
            removed.append(stale)
    return removed
