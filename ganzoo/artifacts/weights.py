"""safetensors files that identify themselves, written atomically and read with clear errors.

safetensors holds tensors and a ``__metadata__`` map of strings only, so a file
cannot carry code: loading one never executes anything.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

import torch

from ganzoo.artifacts.atomic import atomic_write_bytes
from ganzoo.errors import GanzooError
from ganzoo.untrusted import check_tensor_names


class WeightsError(GanzooError):
    """A weights file that is missing, truncated, corrupt or does not fit its model."""


def save_weights(path: Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, Any]) -> None:
    """Write ``tensors`` with ``metadata`` (values JSON-encoded unless already strings), atomically."""
    from safetensors.torch import save

    strings = {key: value if isinstance(value, str) else json.dumps(value, sort_keys=True) for key, value in metadata.items()}
    contiguous = {key: value.detach().cpu().contiguous() for key, value in tensors.items()}
    atomic_write_bytes(Path(path), save(contiguous, metadata=strings))


def _fix_for(path: Path) -> str:
    return f"re-publish the model, or download {path.name} again (a partial copy or a changed file reads like this)"


def load_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors and the ``__metadata__`` of a safetensors file (on the CPU)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist", "", "check the path")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = dict(handle.metadata() or {})
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"{path} is not a readable safetensors file", f"{type(exc).__name__}: {exc}", _fix_for(path)) from None
    check_tensor_names(tensors, path, WeightsError)
    return tensors, metadata


def read_metadata(path: Path) -> dict[str, str]:
    """Only the ``__metadata__`` strings of a safetensors file (reads the header, not the tensors)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist", "", "check the path")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"{path} is not a readable safetensors file", f"{type(exc).__name__}: {exc}", _fix_for(path)) from None


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_state_strictly(model: torch.nn.Module, state: Mapping[str, torch.Tensor], what: str, path: Path) -> None:
    """``load_state_dict(strict=True)`` with missing / unexpected keys and shape mismatches in words."""
    check_state_fits(model, state, what, path)
    model.load_state_dict(dict(state), strict=True)


def check_state_fits(model: torch.nn.Module, state: Mapping[str, torch.Tensor], what: str, path: Path) -> None:
    """Raise a WeightsError in words unless ``state`` has exactly ``model``'s keys and shapes (``model`` may be on meta)."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    wrong = sorted(k for k in set(expected) & set(state) if tuple(expected[k].shape) != tuple(state[k].shape))
    if missing or extra or wrong:
        details = []
        if missing:
            details.append(f"missing {len(missing)} key(s) such as {missing[:3]}")
        if extra:
            details.append(f"{len(extra)} unexpected key(s) such as {extra[:3]}")
        if wrong:
            key = wrong[0]
            details.append(f"{len(wrong)} shape mismatch(es), e.g. {key}: file {tuple(state[key].shape)} vs model {tuple(expected[key].shape)}")
        raise WeightsError(
            f"the weights in {path} do not fit the {what} described by its config",
            "; ".join(details),
            "the config and the weights belong to different models: re-publish them together",
        )
