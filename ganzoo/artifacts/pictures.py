"""Pictures of what the generator makes: image grids, and scatter plots for 2-D data."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Optional

import torch
from torch import Tensor

from ganzoo.artifacts.atomic import atomic_write_bytes
from ganzoo.specs import DataInfo

SCATTER_PIXELS = 512


def grid_png(images: Tensor, info: DataInfo, nrow: Optional[int] = None) -> bytes:
    """A PNG of ``images`` (B, C, H, W) tiled into a grid, mapped from ``info.value_range``."""
    from torchvision.utils import save_image

    images = images.detach().float().cpu()
    nrow = nrow or max(1, int(math.sqrt(len(images))))
    buffer = io.BytesIO()
    save_image(images, buffer, format="png", nrow=nrow, padding=2, normalize=True, value_range=info.value_range)
    return buffer.getvalue()


def scatter_png(fake: Tensor, real: Optional[Tensor] = None, pixels: int = SCATTER_PIXELS) -> bytes:
    """A PNG scatter plot of 2-D points: real ones grey, generated ones red.

    The view is fitted to the real points (plus a margin) so successive plots
    of one run are comparable; generated points outside it are not drawn.
    """
    from torchvision.utils import save_image

    fake = fake.detach().float().cpu()[:, :2]
    reference = real.detach().float().cpu()[:, :2] if real is not None else fake
    low, high = reference.min(0).values, reference.max(0).values
    margin = (high - low).clamp_min(1e-3) * 0.15
    low, high = low - margin, high + margin
    image = torch.ones(3, pixels, pixels)

    def draw(points: Tensor, colour: tuple[float, float, float], radius: int) -> None:
        scaled = (points - low) / (high - low) * (pixels - 1)
        cols, rows = scaled[:, 0].round().long(), (pixels - 1 - scaled[:, 1]).round().long()
        for dr in range(-radius, radius + 1):
            for dc in range(-radius, radius + 1):
                r, c = rows + dr, cols + dc
                keep = (r >= 0) & (r < pixels) & (c >= 0) & (c < pixels)
                for channel, value in enumerate(colour):
                    image[channel, r[keep], c[keep]] = value

    if real is not None:
        draw(reference, (0.75, 0.75, 0.75), 1)
    draw(fake, (0.85, 0.1, 0.1), 1)
    buffer = io.BytesIO()
    save_image(image, buffer, format="png")
    return buffer.getvalue()


def write_samples(path: Path, fake: Tensor, info: DataInfo, real: Optional[Tensor] = None) -> bytes:
    """Write a grid (images) or a scatter plot (points) to ``path``, atomically; returns the PNG's bytes."""
    data = scatter_png(fake, real) if info.modality == "points" else grid_png(fake, info)
    atomic_write_bytes(path, data)
    return data
