"""Where published models are found: the ``model_cards/`` folders ganzoo searches.

A model is a folder ``<models dir>/<name>/`` holding ``model.safetensors``,
``config.json``, ``README.md`` (the card) and ``samples.png``. ganzoo looks for
a model name in, in order:

1. every directory in ``$GANZOO_MODEL_PATH`` (``os.pathsep``-separated);
2. ``<sys.prefix>/share/ganzoo/model_cards`` -- where a wheel install puts the
   zoo's shipped models (``data-files`` in ganzoo's ``pyproject.toml``);
3. the ``model_cards/`` folder beside the ``ganzoo`` package, i.e. a source
   checkout or an editable install (``pip install -e .``).

``hf://ORG/NAME[@REVISION]`` names a model on the Hugging Face Hub instead: it
is fetched into (or found in) huggingface_hub's cache by
:mod:`ganzoo.artifacts.hub` (the optional extra ``hub``). A training run's
directory is not a published model, but :func:`is_run_dir` tells it apart so
that ``ganzoo.load``, ``ganzoo sample`` and ``ganzoo eval`` take it too.

This module imports no torch, so ``ganzoo list`` can mark recipes that have
pretrained weights cheaply.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterator, Optional

from ganzoo.errors import GanzooError
from ganzoo.artifacts.hub import is_hub_reference
from ganzoo.specs import SpecError, validate_name

MODEL_PATH_ENV = "GANZOO_MODEL_PATH"
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"
SAMPLES_NAME = "samples.png"
EVAL_NAME = "eval.json"
#: The prefix of a spec's ``weights`` that means "a file in the shipped model folders".
STORE_PREFIX = "model_cards:"


class ModelNotFoundError(GanzooError):
    """A model name or path that does not lead to a published model."""


def source_model_dir() -> Path:
    """``model_cards/`` beside the package: the repository's own (source or editable install)."""
    return Path(__file__).resolve().parent.parent.parent / "model_cards"


def search_dirs() -> list[Path]:
    """The folders searched for model names, in order (existing ones only)."""
    candidates = [Path(p) for p in os.environ.get(MODEL_PATH_ENV, "").split(os.pathsep) if p]
    candidates += [Path(sys.prefix) / "share" / "ganzoo" / "model_cards", source_model_dir()]
    seen: list[Path] = []
    for folder in candidates:
        if folder.is_dir() and folder.resolve() not in [s.resolve() for s in seen]:
            seen.append(folder)
    return seen


def iter_models() -> Iterator[tuple[str, Path]]:
    """(name, folder) of every published generator model in the search folders; the first of a name wins.

    The evaluation networks that ship beside them (``lenet-mnist`` ...) are not models to sample.
    """
    found: set[str] = set()
    for folder in search_dirs():
        for child in sorted(folder.iterdir()):
            if child.name not in found and (child / WEIGHTS_NAME).is_file() and (child / CONFIG_NAME).is_file():
                found.add(child.name)
                if not is_extractor_folder(child):
                    yield child.name, child


def is_run_dir(path: Path) -> bool:
    """A directory written by ``ganzoo train`` with a checkpoint (config.json and checkpoint.pt)."""
    return path.is_dir() and (path / "config.json").is_file() and (path / "checkpoint.pt").is_file()


def names_run_dir(argument: object) -> bool:
    """Whether a model argument means a training run's directory (a published model's bare name wins)."""
    return (isinstance(argument, (str, Path)) and not is_hub_reference(argument) and is_run_dir(Path(argument))
            and not names_published_model(argument))  # fmt: skip


def _run_status(folder: Path) -> Optional[str]:
    """A training run's status from its run.json, or None if ``folder`` is not a run."""
    import json

    try:
        status = json.loads((folder / "run.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None
    return str(status) if (folder / "config.json").is_file() else None


def list_models(pattern: str = "*", *, pretrained: bool = False, registry: Any = None) -> list[str]:
    """Names of the recipes you can train and the published models you can load, sorted, as timm's ``list_models``.

    ``pattern`` is a glob (``"*mnist*"``); ``pretrained=True`` keeps only the
    names with published weights (``ganzoo.load(name)`` works at once). Hub
    models are not listed: they are named ``hf://ORG/NAME``. Imports no torch.

    >>> import ganzoo
    >>> ganzoo.list_models("vanilla-*")  # doctest: +SKIP
    ['vanilla-mnist', 'vanilla-mnist-small']
    """
    import fnmatch

    import ganzoo

    published = {name for name, _ in iter_models()}
    names = published if pretrained else published | set((registry or ganzoo.get_registry()).names("recipe"))
    return sorted(name for name in names if fnmatch.fnmatchcase(name, pattern or "*"))


def is_extractor_folder(folder: Path) -> bool:
    """Whether ``folder`` holds one of ganzoo's evaluation feature extractors, not a generator."""
    import json

    try:
        return json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8")).get("kind") == "extractor"
    except (OSError, ValueError, AttributeError):
        return False


def find_model(name: str) -> Optional[Path]:
    """The folder of the published model ``name``, or None."""
    try:
        validate_name(name, "model name")
    except SpecError:
        return None
    for folder in search_dirs():
        candidate = folder / name
        if (candidate / WEIGHTS_NAME).is_file():
            return candidate
    return None


def names_published_model(argument: object) -> bool:
    """Whether a command-line argument is the bare name of a published model (which beats a same-named folder)."""
    return isinstance(argument, str) and find_model(argument) is not None


def resolve_model(name_or_path: str | Path) -> Path:
    """A model folder or ``.safetensors`` file from a name or a path, or a clear error.

    A bare name of a published model (``vanilla-mnist``) means that model even
    when the current directory holds a folder of the same name, so that no
    local folder can stand in for a shipped model or evaluation network; write
    ``./vanilla-mnist`` for the folder. ``hf://ORG/NAME[@REVISION]`` is
    downloaded into huggingface_hub's cache (or found there) and that folder
    returned.
    """
    if is_hub_reference(name_or_path):
        from ganzoo.artifacts import hub

        return hub.download(str(name_or_path))
    if isinstance(name_or_path, str):
        found = find_model(name_or_path)  # None for anything that is not a plain name
        if found is not None:
            return found
    path = Path(name_or_path)
    if path.exists():
        if path.is_dir() and not (path / WEIGHTS_NAME).is_file():
            status = _run_status(path)
            if status == "diverged" and not (path / "checkpoint.pt").is_file():
                raise ModelNotFoundError(
                    f"{path} is a training run that diverged before its first checkpoint, so it has no weights",
                    f"its status is {status!r}; its run.json and metrics.jsonl show what happened",
                    "train again with lower learning rates",
                )
            if status is not None:  # a run with a checkpoint never gets here (see is_run_dir)
                raise ModelNotFoundError(
                    f"{path} is a training run without a checkpoint",
                    f"it has no checkpoint.pt yet; its status is {status!r}",
                    f"resume it (ganzoo train --resume {path}) or wait for its first checkpoint",
                )
            raise ModelNotFoundError(
                f"{path} is not a published model", f"it has no {WEIGHTS_NAME}",
                "give a folder written by `ganzoo publish`, a .safetensors file, or a model name",
            )
        return path
    found = find_model(str(name_or_path))
    if found is not None:
        return found
    names = [n for n, _ in iter_models()]
    import difflib

    close = difflib.get_close_matches(str(name_or_path), names, n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    local = Path("model_cards") / str(name_or_path)
    if (local / WEIGHTS_NAME).is_file():
        # Where `ganzoo publish` writes by default; not searched by name, so that a folder in the
        # current directory can never stand in for a shipped model or evaluation network.
        hint = f"a model of that name is in ./{local}: pass that path, or add ./model_cards to ${MODEL_PATH_ENV}; "
    raise ModelNotFoundError(
        f"no published model named {str(name_or_path)!r}",
        f"it is neither an existing path nor a model in {', '.join(str(d) for d in search_dirs()) or 'any model folder'}",
        f"{hint}known models: {', '.join(names) or 'none'}; add folders with ${MODEL_PATH_ENV}",
    )


def resolve_store_file(reference: str) -> Path:
    """The path of ``model_cards:NAME/FILE`` (first match in the search folders) or of a plain path."""
    if not reference.startswith(STORE_PREFIX):
        return Path(reference).expanduser()
    relative = reference[len(STORE_PREFIX):]
    parts = relative.split("/")
    try:
        if len(parts) != 2 or parts[1] in ("", ".", "..") or os.sep in parts[1]:
            raise SpecError("not NAME/FILE")
        validate_name(parts[0], "model name")  # also refuses "", "..", "/" and absolute paths
    except SpecError:
        raise ModelNotFoundError(
            f"bad model file reference {reference!r}",
            "expected model_cards:NAME/FILE, a model name and a file name inside that model's folder",
            "fix the spec",
        ) from None
    for folder in search_dirs():
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return source_model_dir() / relative  # does not exist: the caller reports it with this path
