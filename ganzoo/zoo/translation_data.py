"""Image-to-image data derived deterministically from MNIST and Fashion-MNIST, no download beyond them.

* ``edges2fashion`` (paired): each Fashion-MNIST garment (the batch's
  ``image``, the target) with its edge map (the ``source`` field): the Sobel
  gradient magnitude of the garment in [0, 1] greater than ``threshold``, as
  white lines on black. The train and test splits are Fashion-MNIST's own.
* ``mnist-thick``: MNIST with every stroke dilated by a ``dilation`` x
  ``dilation`` maximum filter: bold digits, a domain a classifier can still read.
* ``mnist2thick`` (unpaired): domain a is thin MNIST, domain b thick MNIST,
  built from *disjoint halves* of each split -- a's images are the first half
  and b's the dilated second half -- so no image appears in both domains and
  no pairing leaks. The batch's ``image`` is domain a and its ``b`` field domain
  b; the i-th images of the two halves ride together, which no CycleGAN term
  depends on. ``domain="a"`` or ``"b"`` builds one domain alone, with its
  labels (what evaluation translates and checks).

Every derivation is a fixed function of the stored images: the same files
give the same data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.data import InMemoryData
from ganzoo.specs import DataInfo
from ganzoo.zoo.torchvision_data import build_fashion_mnist, build_mnist

#: The dataset each domain of ``mnist2thick`` is, as registered (evaluation's references and classifiers).
MNIST2THICK_DOMAINS = ("mnist", "mnist-thick")


def sobel_edges(images: Tensor, threshold: float) -> Tensor:
    """uint8 images (N, 1, H, W) -> their edge maps, uint8 0 or 255, where the Sobel magnitude exceeds ``threshold``."""
    x = images.float() / 255.0
    kernel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernels = torch.stack([kernel_x, kernel_x.t()]).unsqueeze(1)  # (2, 1, 3, 3): d/dx and d/dy
    gradients = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernels)
    magnitude = gradients.square().sum(dim=1, keepdim=True).sqrt()
    return ((magnitude > threshold).to(torch.uint8) * 255)


def dilate(images: Tensor, size: int) -> Tensor:
    """uint8 images (N, 1, H, W) with every bright stroke widened by a ``size`` x ``size`` maximum filter."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"dilation must be an odd number of pixels, got {size}")
    if size == 1:
        return images.clone()
    return F.max_pool2d(images.float(), size, stride=1, padding=size // 2).to(torch.uint8)


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold < 4.0:  # the Sobel magnitude of images in [0, 1] lies in [0, 4 sqrt(2)]
        raise ValueError(f"threshold must be in (0, 4), got {threshold}")


def build_edges2fashion(root: Path, *, train: bool = True, download: bool = True,
                        value_range: Sequence[float] = (-1.0, 1.0), threshold: float = 0.5) -> InMemoryData:  # fmt: skip
    """Fashion-MNIST garments (``image``) paired with their Sobel edge maps (``source``)."""
    _check_threshold(threshold)
    garments = build_fashion_mnist(root, train=train, download=download, value_range=value_range)
    info = DataInfo(shape=garments.info.shape, num_classes=garments.info.num_classes,
                    value_range=garments.info.value_range, fields={"source": DataInfo(shape=garments.info.shape,
                                                                                      value_range=garments.info.value_range)})  # fmt: skip
    return InMemoryData(x=garments.x, y=garments.y, info=info, scale=garments.scale, shift=garments.shift,
                        fields={"source": sobel_edges(garments.x, threshold)})  # fmt: skip


def build_mnist_thick(root: Path, *, train: bool = True, download: bool = True,
                      value_range: Sequence[float] = (-1.0, 1.0), dilation: int = 3) -> InMemoryData:  # fmt: skip
    """MNIST with bold strokes: every image dilated by a ``dilation`` x ``dilation`` maximum filter."""
    digits = build_mnist(root, train=train, download=download, value_range=value_range)
    return InMemoryData(x=dilate(digits.x, dilation), y=digits.y, info=digits.info, scale=digits.scale,
                        shift=digits.shift)  # fmt: skip


def build_mnist2thick(root: Path, *, train: bool = True, download: bool = True,
                      value_range: Sequence[float] = (-1.0, 1.0), dilation: int = 3,
                      domain: str = "both") -> InMemoryData:  # fmt: skip
    """Unpaired thin (a) and thick (b) MNIST from disjoint halves of the split; ``domain`` "a" or "b" alone."""
    if domain not in ("both", "a", "b"):
        raise ValueError(f"domain must be 'both', 'a' or 'b', got {domain!r}")
    digits = build_mnist(root, train=train, download=download, value_range=value_range)
    half = len(digits) // 2
    a_images, a_labels = digits.x[:half], digits.y[:half]
    b_images, b_labels = dilate(digits.x[half:2 * half], dilation), digits.y[half:2 * half]
    if domain != "both":
        images, labels = (a_images, a_labels) if domain == "a" else (b_images, b_labels)
        return InMemoryData(x=images, y=labels, info=digits.info, scale=digits.scale, shift=digits.shift)
    info = DataInfo(shape=digits.info.shape, num_classes=digits.info.num_classes, value_range=digits.info.value_range,
                    fields={"b": DataInfo(shape=digits.info.shape, value_range=digits.info.value_range)})  # fmt: skip
    return InMemoryData(x=a_images, y=a_labels, info=info, scale=digits.scale, shift=digits.shift,
                        fields={"b": b_images})  # fmt: skip
