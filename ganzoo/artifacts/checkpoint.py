"""Checkpoints: one named state mapping, written atomically, loaded strictly and safely.

A checkpoint holds everything needed to continue bit-exactly: every network
and EMA, every optimizer and grad scaler (see :mod:`ganzoo.engine.networks`
for their layout), the objective's and the augmentation's state, the
counters, the data order and every RNG state. It contains only tensors and plain Python values,
so it loads with ``torch.load(weights_only=True)``: no code runs from it.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any, Mapping

import torch

from ganzoo.artifacts import atomic
from ganzoo.errors import CheckpointError, unreadable_file_reason

FORMAT = "ganzoo-checkpoint"
#: 2 added the networks besides G and D, their optimizers, and the objective's and augmentation's state.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
CHECKPOINT_NAME = "checkpoint.pt"

#: Every key a checkpoint must hold -- loading fails on missing or extra keys.
KEYS = frozenset(
    {
        "format",
        "format_version",
        "config_digest",
        "step",
        "d_steps",
        "images_seen",
        "epoch",
        "cursor",
        "world_size",
        "wall_time",
        "generator",
        "discriminator",
        "ema",
        "opt_g",
        "opt_d",
        "scaler_g",
        "scaler_d",
        "rng",
        "config",
        "networks",
        "ema_networks",
        "optimizers",
        "scalers",
        "objective",
        "augment",
    }
)
#: The keys version 2 added, empty in a version-1 checkpoint (a run of G and D alone).
ADDED_IN_2 = ("networks", "ema_networks", "optimizers", "scalers", "objective", "augment")


def sampling_weights(state: Mapping[str, Any]) -> Mapping[str, torch.Tensor]:
    """The generator weights a checkpoint samples with: its EMA when the run kept one."""
    return state["ema"] if state["ema"] else state["generator"]


def weights_digest(weights: Mapping[str, torch.Tensor]) -> str:
    """A short sha256 of a state dict's names, dtypes, shapes and bytes: which weights a result belongs to."""
    digest = hashlib.sha256()
    for name in sorted(weights):
        tensor = weights[name].detach().cpu().contiguous().reshape(-1)  # 0-d tensors (BN counters) too
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}:".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def save_checkpoint(path: Path, state: Mapping[str, Any]) -> None:
    """Serialise ``state`` (which must hold exactly :data:`KEYS`) atomically to ``path``."""
    state = dict(state, format=FORMAT, format_version=FORMAT_VERSION)
    missing, extra = KEYS - state.keys(), state.keys() - KEYS
    if missing or extra:
        raise ValueError(f"checkpoint state keys mismatch: missing {sorted(missing)}, extra {sorted(extra)}")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic.atomic_write_bytes(Path(path), buffer.getvalue())


def load_checkpoint(path: Path, map_location: Any = "cpu") -> dict[str, Any]:
    """Load and check a checkpoint; never unpickles arbitrary objects."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"no checkpoint at {path}",
            "the run directory has no checkpoint yet (it stopped before its first one)",
            "start the run again, or give the right run directory to --resume",
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"checkpoint {path} cannot be read",
            f"it is corrupt, truncated or not a ganzoo checkpoint ({unreadable_file_reason(exc)})",
            "use a run directory with an intact checkpoint.pt (a run that was killed while writing keeps the "
            "previous one; a damaged file cannot be repaired)",
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a ganzoo checkpoint", "its format marker is missing", "check the path")
    if state.get("format_version") not in READABLE_VERSIONS:
        raise CheckpointError(
            f"{path} has checkpoint format version {state.get('format_version')}",
            f"this ganzoo reads versions {', '.join(map(str, READABLE_VERSIONS))}",
            "use the ganzoo version that wrote it",
        )
    if state["format_version"] == 1:
        for key in ADDED_IN_2:
            state.setdefault(key, {})
    # Checkpoints from before multi-process training were all written by one process.
    state.setdefault("world_size", 1)
    # Checkpoints from before the configuration was kept beside its digest hold only the digest.
    state.setdefault("config", None)
    missing, extra = KEYS - state.keys(), state.keys() - KEYS
    if missing or extra:
        raise CheckpointError(
            f"checkpoint {path} does not have the expected contents",
            f"missing keys {sorted(missing)}, unexpected keys {sorted(extra)}",
            "resume with the ganzoo version that wrote it",
        )
    return state
