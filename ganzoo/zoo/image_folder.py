"""A folder of the user's own images, resized and streamed from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
from torch.utils.data import Dataset

from ganzoo.data import IMAGE_SUFFIXES, StreamingData
from ganzoo.errors import DataNotFoundError
from ganzoo.specs import DataInfo



class ImageFiles(Dataset):
    """Every image file below a folder, as ``(C, size, size)`` tensors in [-1, 1]."""

    def __init__(self, files: list[Path], size: int, channels: int) -> None:
        from torchvision import transforms

        self.files = files
        self.mode = "L" if channels == 1 else "RGB"
        self.transform = transforms.Compose(
            [
                transforms.Resize(size),
                transforms.CenterCrop(size),
                transforms.ToTensor(),
                transforms.Normalize([0.5] * channels, [0.5] * channels),
            ]
        )

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        try:
            with Image.open(self.files[index]) as image:
                return self.transform(image.convert(self.mode)), -1
        except OSError as exc:  # PIL's UnidentifiedImageError and truncated files are OSErrors
            # A plain one-line message: from a DataLoader worker it arrives re-raised as text.
            raise ValueError(f"cannot read the image {self.files[index]}: {exc}") from None


def build_image_folder(root: Optional[Path] = None, *, train: bool = True, download: bool = False, path: str = "",
                       size: int = 64, channels: int = 3) -> StreamingData:
    """Images found (recursively) under ``path``, resized and centre-cropped to ``size``."""
    if not path:
        raise DataNotFoundError(
            "the image-folder dataset needs a folder",
            "no path was given",
            "pass --set dataset.path=/path/to/images",
        )
    folder = Path(path).expanduser()
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not files:
        raise DataNotFoundError(
            f"no images found under {folder}",
            f"image-folder reads files ending in {', '.join(IMAGE_SUFFIXES)}" if folder.is_dir() else "that folder does not exist",
            "point --set dataset.path= at a folder of images",
        )
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    return StreamingData(ImageFiles(files, size, channels), DataInfo(shape=(channels, size, size), modality="image"))
