"""MNIST and Fashion-MNIST through torchvision, held in memory as uint8."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ganzoo.data import DATA_DIR_ENV, InMemoryData
from ganzoo.errors import DataError, DataNotFoundError
from ganzoo.specs import DataInfo

_RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


#: The size of MNIST's (and Fashion-MNIST's) uncompressed train-images-idx3-ubyte: 16-byte header + 60000 x 28 x 28.
_TRAIN_IMAGES_BYTES = 16 + 60_000 * 28 * 28


def _load(dataset_class: type, folder: str, root: Path, train: bool, download: bool, value_range: Sequence[float],
          train_limit: int = 0) -> InMemoryData:
    if not isinstance(train_limit, int) or train_limit < 0:
        raise ValueError(f"train_limit must be 0 (all) or a positive number of images, got {train_limit!r}")
    root = Path(root)
    try:
        ds = dataset_class(str(root), train=train, download=download)
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError ...
        first_line = str(exc).strip().splitlines()[0].rstrip(":") if str(exc).strip() else ""
        raw = root / folder / "raw"
        if all((raw / name).is_file() for name in _RAW_FILES):
            raise DataError(
                f"the {folder} files in {raw} are there but cannot be read",
                f"they are truncated or corrupt ({type(exc).__name__}: {first_line})",
                "delete them and let torchvision download them again, or copy intact ones "
                f"(the training images file is {_TRAIN_IMAGES_BYTES:,} bytes)",
            ) from None
        reason = f"download failed ({type(exc).__name__}: {first_line})" if download else "downloading is switched off"
        raise DataNotFoundError(
            f"{folder} was not found under {root / folder / 'raw'}",
            f"expected the files {', '.join(_RAW_FILES)} there, and {reason}",
            f"point --data-dir or ${DATA_DIR_ENV} at the directory that contains {folder}/raw/ "
            "(torchvision's layout), or allow downloading on a machine with network access",
        ) from None
    low, high = (float(v) for v in value_range)
    images, labels = ds.data.unsqueeze(1), ds.targets.long()  # (N, 1, 28, 28) uint8: 4x smaller on the device than float
    if train and train_limit:
        # The first images in the files' order (classes are interleaved there): a data-limited
        # training set. The test split, evaluation's reference, is never cut.
        images, labels = images[:train_limit], labels[:train_limit]
    return InMemoryData(
        x=images,
        y=labels,
        info=DataInfo(shape=(1, 28, 28), num_classes=10, modality="image", value_range=(low, high)),
        scale=(high - low) / 255.0,
        shift=low,
    )


def build_mnist(root: Path, *, train: bool = True, download: bool = True, value_range: Sequence[float] = (-1.0, 1.0),
                train_limit: int = 0) -> InMemoryData:
    """MNIST handwritten digits (LeCun et al. 1998), 60k train / 10k test, 1x28x28, 10 classes.

    ``train_limit`` keeps only the first N training images (0: all), for data-limited experiments.
    """
    from torchvision.datasets import MNIST

    return _load(MNIST, "MNIST", root, train, download, value_range, train_limit)


def build_fashion_mnist(root: Path, *, train: bool = True, download: bool = True,
                        value_range: Sequence[float] = (-1.0, 1.0), train_limit: int = 0) -> InMemoryData:  # fmt: skip
    """Fashion-MNIST (Xiao et al. 2017): Zalando article images, 1x28x28, 10 classes.

    ``train_limit`` keeps only the first N training images (0: all), for data-limited experiments.
    """
    from torchvision.datasets import FashionMNIST

    return _load(FashionMNIST, "FashionMNIST", root, train, download, value_range, train_limit)
