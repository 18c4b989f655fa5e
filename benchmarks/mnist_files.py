"""Find MNIST in torchvision's layout, or write a synthetic stand-in in the same layout.

The synthetic files are real IDX files, so both the engine and the textbook
loop read them through the very same torchvision loader as the real data:
throughput does not depend on the pixel values, only on the shapes.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Optional

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "GANZOO_DATA_DIR"  # the same variable ganzoo reads
TRAIN_IMAGES = Path("MNIST") / "raw" / "train-images-idx3-ubyte"
_IMAGE_MAGIC, _LABEL_MAGIC = 2051, 2049


def has_mnist(root: Path) -> bool:
    """Whether ``root`` holds MNIST as torchvision expects it (``root/MNIST/raw/...``)."""
    return (root / TRAIN_IMAGES).is_file()


def find_mnist(data_dir: Optional[str]) -> Optional[Path]:
    """The first of --data-dir, $GANZOO_DATA_DIR and a checked-out ``shared/datasets`` that has MNIST.

    An explicit --data-dir without MNIST is an error rather than a silent
    switch to synthetic data, so a typo cannot change what is measured.
    """
    if data_dir:
        root = Path(data_dir).expanduser().resolve()
        if not has_mnist(root):
            raise SystemExit(f"error: --data-dir {root} has no {TRAIN_IMAGES}")
        return root
    candidates = [os.environ.get(DATA_DIR_ENV)]
    # The project keeps a shared copy next to (or inside) the checkout.
    candidates += [str(REPO_ROOT / "shared" / "datasets"), str(REPO_ROOT.parent / "shared" / "datasets")]
    for candidate in candidates:
        if candidate and has_mnist(Path(candidate)):
            return Path(candidate).resolve()
    return None


def _write_idx(path: Path, magic: int, array: np.ndarray) -> None:
    # IDX: big-endian magic, one big-endian uint32 per dimension, then the raw bytes.
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", size) for size in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_synthetic_mnist(root: Path, train_size: int = 60_000, test_size: int = 10_000, seed: int = 0) -> Path:
    """Random uint8 28x28 images and 0-9 labels under ``root/MNIST/raw``; returns ``root``."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, count in (("train", train_size), ("t10k", test_size)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", _IMAGE_MAGIC, rng.integers(0, 256, (count, 28, 28)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", _LABEL_MAGIC, rng.integers(0, 10, (count,)))
    return root
