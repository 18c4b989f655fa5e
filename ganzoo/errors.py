"""User-facing errors.

Every error a user can cause is a :class:`GanzooError`: a
``click.ClickException`` whose message says what went wrong, why, and how to
fix it. The CLI prints it as one message with a non-zero exit code and no
traceback; the Python API raises it like any exception.
"""

from __future__ import annotations

import difflib
import errno
import os
from typing import IO, Any, Iterable, Optional

import click


class GanzooError(click.ClickException):
    """A mistake the user can fix. ``exit_code`` is 2 for usage-like errors."""

    exit_code = 1
    #: Raised alike by every process of a multi-process run (rank 0 alone reports it).
    same_on_every_rank = False

    def __init__(self, what: str, why: str = "", fix: str = "") -> None:
        self.what, self.why, self.fix = what, why, fix
        parts = [_sentence(what)]
        if why:
            parts.append(_sentence(why))
        if fix:
            parts.append("Fix: " + _sentence(fix))
        super().__init__(" ".join(parts))

    def show(self, file: Optional[IO[Any]] = None) -> None:
        """Print the message; under torchrun, other ranks say which they are (or stay quiet)."""
        rank = os.environ.get("RANK", "0")
        if rank == "0":
            return super().show(file)
        if not self.same_on_every_rank:
            click.echo(f"Error (process {rank}): {self.format_message()}", file=file, err=True)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


PLURALS = {"loss": "losses", "kind": "kinds", "augment": "augmentations"}


class UnknownNameError(GanzooError, KeyError):
    """A name that no installed plugin registers."""

    exit_code = 2

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        matches = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        why = f"did you mean {' or '.join(matches)}?" if matches else f"no installed plugin provides {'an' if kind[:1] in 'aeiou' else 'a'} {kind} of that name"
        super().__init__(
            f"unknown {kind} {name!r}",
            why,
            f"run 'ganzoo list {PLURALS.get(kind, kind + 's')}' to see the {len(known)} installed "
            f"{PLURALS.get(kind, kind + 's')}, or install the plugin that provides it",
        )
        self.matches = matches

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class PluginConflictError(GanzooError):
    """Two plugins register the same kind and name."""

    def __init__(self, kind: str, name: str, first: str, second: str) -> None:
        from ganzoo.distribution import is_own

        distributions = [provider.partition("==")[0] for provider in (first, second)]
        # Suggest blocking a third-party distribution: blocking ganzoo's own would empty the zoo.
        block = next((d for d in reversed(distributions) if not is_own(d)), distributions[-1])
        super().__init__(
            f"{kind} {name!r} is registered twice: by {first} and by {second}",
            "ganzoo never picks one silently, because results would depend on install order",
            f"uninstall one of the two distributions (or rename the {kind} in your own), or block one for now "
            f"with GANZOO_BLOCKED_PLUGINS={block}",
        )


class ConfigError(GanzooError):
    """A bad configuration value, key or file."""

    exit_code = 2


class DataNotFoundError(GanzooError):
    """A dataset that is neither on disk nor downloadable."""


class DataError(GanzooError):
    """Data that is there but cannot be read (a truncated file, an image PIL cannot decode)."""


class RunDirectoryError(GanzooError):
    """A run directory that would be clobbered, or is missing for --resume."""


class TrainingError(GanzooError):
    """Training stopped because something went wrong (e.g. a non-finite loss)."""


class CheckpointError(GanzooError):
    """A checkpoint that is missing, corrupt or does not match the run."""


class FileSystemError(GanzooError):
    """The operating system refused to read or write a file (permissions, a full disk ...)."""


#: errno -> (why, fix) for the failures a user can do something about.
_OS_ERROR_ADVICE = {
    errno.EACCES: ("there is no permission to write or read there", "choose a location you may write to, or fix its permissions"),
    errno.EPERM: ("the operation is not permitted there", "choose a location you may write to, or fix its permissions"),
    errno.EROFS: ("the file system is read-only", "choose a location on a writable file system"),
    errno.ENOSPC: ("the disk is full", "free some space, or choose a location on another disk"),
    errno.EDQUOT: ("the disk quota is exhausted", "free some space, or choose a location on another disk"),
    errno.ENAMETOOLONG: ("the file name is too long for the file system", "choose a shorter name or path"),
    errno.ENOENT: ("it does not exist", "check the path"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("it is a folder where a file was expected", "check the path"),
}


def from_os_error(exc: OSError) -> FileSystemError:
    """A :class:`FileSystemError` in words for an ``OSError`` (which names the file when it can)."""
    where = exc.filename if exc.filename else "a file"
    why, fix = _OS_ERROR_ADVICE.get(exc.errno, ("", "check the path, its permissions and the free disk space"))
    detail = exc.strerror or str(exc) or type(exc).__name__
    return FileSystemError(f"could not read or write {where}: {detail}", why, fix)


def unreadable_file_reason(exc: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in one line -- without torch's advice to turn
    ``weights_only`` off, which would run code from the file and which ganzoo never does."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if any("weights_only" in line for line in lines):
        return ("torch's safe loader refused it: it is damaged, or holds objects other than tensors and "
                "plain values, which ganzoo never unpickles")
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__
