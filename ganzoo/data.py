"""The dataset contract (what a ``DatasetSpec`` builder returns) and the data root.

Small datasets (MNIST, the 2-D benchmarks) are :class:`InMemoryData`: one
tensor that the engine moves to the training device once and batches by
shuffled indices, with no per-sample Python in the hot loop. Large ones are
:class:`StreamingData` and go through a ``DataLoader`` with workers.

Dataset root, in torchvision's layout (``ROOT/MNIST/raw/...``): ``--data-dir``,
else ``$GANZOO_DATA_DIR``, else a per-user cache directory.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Union

import torch
from torch import Tensor

from ganzoo.specs import DataInfo

DATA_DIR_ENV = "GANZOO_DATA_DIR"


@dataclass
class InMemoryData:
    """A dataset held as one tensor.

    ``x`` may be stored compactly (MNIST as uint8); a batch is decoded as
    ``x[idx].float() * scale + shift``. ``y`` holds int64 labels or is ``None``.
    ``fields`` holds any further per-sample tensors that ``info.fields``
    describes (``"source"`` images of paired data ...), aligned with ``x``;
    uint8 ones are decoded like ``x``, others used as stored.
    A Gaussian-mixture benchmark sets ``mixture_centres`` (M, D) and
    ``mixture_std`` so that evaluation can count the modes a generator covers.
    """

    x: Tensor
    y: Optional[Tensor]
    info: DataInfo
    scale: float = 1.0
    shift: float = 0.0
    mixture_centres: Optional[Tensor] = None
    mixture_std: float = 0.0
    fields: dict[str, Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if tuple(self.x.shape[1:]) != self.info.shape:
            raise ValueError(f"data of shape {tuple(self.x.shape)} does not match DataInfo.shape {self.info.shape}")
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"{len(self.y)} labels for {len(self.x)} samples")
        if set(self.fields) != set(self.info.fields):
            raise ValueError(f"fields {sorted(self.fields)} do not match DataInfo.fields {sorted(self.info.fields)}")
        for name, values in self.fields.items():
            if len(values) != len(self.x) or tuple(values.shape[1:]) != self.info.fields[name].shape:
                raise ValueError(f"field {name!r} of shape {tuple(values.shape)} does not match {len(self.x)} samples "
                                 f"of shape {self.info.fields[name].shape}")  # fmt: skip

    def __len__(self) -> int:
        return len(self.x)

    def to(self, device: Union[str, torch.device]) -> "InMemoryData":
        """The same data on ``device`` (moved once, before training)."""
        y = self.y.to(device) if self.y is not None else None
        return replace(self, x=self.x.to(device), y=y, fields={k: v.to(device) for k, v in self.fields.items()})

    def batch(self, indices: Tensor) -> tuple[Tensor, Optional[Tensor]]:
        """Decoded samples and labels at ``indices``."""
        return self.decode(self.x[indices]), (self.y[indices] if self.y is not None else None)

    def batch_fields(self, indices: Tensor) -> dict[str, Tensor]:
        """The batch at ``indices`` by field: ``"image"``, ``"label"`` when labelled, and every extra field."""
        batch = {"image": self.decode(self.x[indices])}
        if self.y is not None:
            batch["label"] = self.y[indices]
        for name, values in self.fields.items():
            picked = values[indices]
            batch[name] = self.decode(picked) if picked.dtype == torch.uint8 else picked
        return batch

    def decode(self, stored: Tensor) -> Tensor:
        """Samples as stored in ``x`` (e.g. uint8 rows) -> float32 model inputs, on ``stored``'s device."""
        x = stored.float()
        if self.scale != 1.0 or self.shift != 0.0:
            x = x.mul_(self.scale).add_(self.shift)
        return x


@dataclass
class StreamingData:
    """A dataset read sample by sample: a ``torch.utils.data.Dataset`` of ``(x, y)`` or of dicts.

    ``x`` is a float tensor of ``info.shape`` already in the model's range;
    ``y`` an int label (or -1 when unlabelled). A dataset with extra fields
    (``info.fields``) yields a dict per sample instead: ``{"image": x,
    "label": y, "source": ...}``.
    """

    dataset: torch.utils.data.Dataset
    info: DataInfo

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]


DataSource = Union[InMemoryData, StreamingData]

#: The files read as images (a folder dataset, ``ganzoo sample --input``).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def first_samples(data: DataSource, count: int, device: Union[str, torch.device] = "cpu") -> dict[str, Tensor]:
    """The first ``count`` samples by field (``"image"``, ``"label"`` when labelled, extra fields), on ``device``.

    What the engine's dry run pushes through the networks and an
    image-to-image run's grids translate: the same samples every time.
    """
    if isinstance(data, InMemoryData):
        indices = torch.arange(min(count, len(data)), device=data.x.device)
        return {name: value.to(device) for name, value in data.batch_fields(indices).items()}
    samples = [data.dataset[i] for i in range(min(count, len(data)))]
    if isinstance(samples[0], dict):
        return {name: torch.stack([torch.as_tensor(s[name]) for s in samples]).to(device) for name in samples[0]}
    batch = {"image": torch.stack([s[0] for s in samples]).to(device)}
    if data.info.num_classes:
        batch["label"] = torch.tensor([int(s[1]) for s in samples], device=device)
    return batch


def default_data_root() -> Path:
    """The per-user cache directory used when neither option nor variable is set."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "ganzoo" / "datasets"


def resolve_data_root(data_dir: Union[str, Path, None] = None) -> Path:
    """``data_dir``, else ``$GANZOO_DATA_DIR``, else :func:`default_data_root`."""
    if data_dir:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return default_data_root()
