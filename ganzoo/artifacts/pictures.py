"""Pictures of what the generator makes: image grids, scatter plots for 2-D data, and GIF animations."""

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
#: GIF frames are enlarged (by whole pixels, nearest neighbour) until their shorter side is at least this.
GIF_MIN_SIDE = 128


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


def gif_bytes(images: Tensor, info: DataInfo, fps: float = 16.0, min_side: int = GIF_MIN_SIDE) -> bytes:
    """An animated GIF (looping forever) with one frame per image of ``images`` (F, C, H, W) in ``info``'s range.

    Small images are enlarged by a whole factor, each pixel a square, so a
    28x28 digit is watchable. Written by Pillow (a torchvision dependency).
    """
    from PIL import Image

    low, high = info.value_range
    frames = ((images.detach().float().cpu() - low) / (high - low)).clamp(0, 1)
    factor = max(1, math.ceil(min_side / min(frames.shape[-2:])))
    if factor > 1:
        frames = frames.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)
    pixels = (frames * 255).round().to(torch.uint8)
    mode = "L" if pixels.shape[1] == 1 else "RGB"
    pictures = [Image.fromarray(p[0].numpy() if mode == "L" else p[:3].permute(1, 2, 0).numpy(), mode) for p in pixels]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], loop=0,
                     duration=max(20, round(1000 / fps)), optimize=False)  # fmt: skip
    return buffer.getvalue()


#: What a 2-D run's ``samples/step-N.safetensors`` holds: the generated points its scatter plot shows.
POINTS_FORMAT = "ganzoo-sample-points"


def write_samples(path: Path, fake: Tensor, info: DataInfo, real: Optional[Tensor] = None) -> bytes:
    """Write a grid (images) or a scatter plot (points) to ``path``, atomically; returns the PNG's bytes.

    For 2-D points the points themselves go beside it too, as ``.safetensors``
    (a few kilobytes): ``ganzoo plot RUN --animate`` draws them over the
    real density, which the PNG's pixels cannot give back exactly.
    """
    data = scatter_png(fake, real) if info.modality == "points" else grid_png(fake, info)
    atomic_write_bytes(path, data)
    if info.modality == "points":
        from ganzoo.artifacts.weights import save_weights

        save_weights(Path(path).with_suffix(".safetensors"), {"points": fake.detach().float()[:, :2]},
                     {"format": POINTS_FORMAT})  # fmt: skip
    return data
