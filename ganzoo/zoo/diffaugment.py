"""Differentiable augmentation (Zhao et al. 2020, DiffAugment, arXiv:2006.10738) and an adaptive variant.

Three transforms, each drawn per sample from torch's random state on the
data's device (so a CUDA graph replay draws fresh ones):

* ``color``: brightness ``x + U(-0.5, 0.5)``, saturation -- each pixel's
  distance to its channel mean scaled by ``U(0, 2)`` -- and contrast -- the
  distance to the image mean scaled by ``U(0.5, 1.5)``;
* ``translation``: a shift by whole pixels, up to 1/8 of the size each way,
  the uncovered border filled with the data's background (its lowest value);
* ``cutout``: a square of half the size at a random place, set to the background.

Values are not clipped: D sees what it sees, and every op has a gradient.
The adaptive variant applies each transform to a sample only with
probability ``p``, and moves ``p`` by the overfitting heuristic of ADA
(Karras et al. 2020, arXiv:2006.06676): ``r_t = E[sign(D(x_real))]`` over the
last ``interval`` iterations; ``p`` rises when ``r_t`` exceeds ``target`` and
falls otherwise, by at most ``batch x interval / (speed_kimg x 1000)`` per
adjustment, so it can go from 0 to 1 in ``speed_kimg`` thousand images.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.augment import Augment
from ganzoo.specs import DataInfo

#: Translation shifts by up to this fraction of the size; cutout squares are this fraction of it.
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _uniform(x: Tensor, low: float, high: float) -> Tensor:
    """One number per sample, broadcastable over (C, H, W)."""
    return torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype) * (high - low) + low


def color(x: Tensor, fill: float) -> Tensor:
    """Brightness, saturation and contrast, each with a random strength per sample."""
    x = x + _uniform(x, -0.5, 0.5)
    channel_mean = x.mean(dim=1, keepdim=True)
    x = (x - channel_mean) * _uniform(x, 0.0, 2.0) + channel_mean
    image_mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - image_mean) * _uniform(x, 0.5, 1.5) + image_mean


def translation(x: Tensor, fill: float) -> Tensor:
    """Shift each sample by whole pixels (at most 1/8 of the size), filling with ``fill``."""
    batch, channels, height, width = x.shape
    pad_y, pad_x = int(height * TRANSLATION_RATIO + 0.5), int(width * TRANSLATION_RATIO + 0.5)
    shift_y = torch.randint(-pad_y, pad_y + 1, (batch, 1), device=x.device)
    shift_x = torch.randint(-pad_x, pad_x + 1, (batch, 1), device=x.device)
    padded = F.pad(x, [pad_x, pad_x, pad_y, pad_y], value=fill)
    rows = (torch.arange(height, device=x.device).unsqueeze(0) + pad_y - shift_y)  # (B, H) rows of `padded`
    cols = (torch.arange(width, device=x.device).unsqueeze(0) + pad_x - shift_x)  # (B, W)
    picked_rows = padded.gather(2, rows[:, None, :, None].expand(batch, channels, height, padded.shape[3]))
    return picked_rows.gather(3, cols[:, None, None, :].expand(batch, channels, height, width))


def cutout(x: Tensor, fill: float) -> Tensor:
    """Set a square of half the image's size, placed at random per sample, to ``fill``."""
    batch, _, height, width = x.shape
    size_y, size_x = int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5)
    # The square's centre may sit anywhere in the image, so part of it may fall outside.
    centre_y = torch.randint(0, height + (1 - size_y % 2), (batch, 1, 1), device=x.device)
    centre_x = torch.randint(0, width + (1 - size_x % 2), (batch, 1, 1), device=x.device)
    ys = torch.arange(height, device=x.device).view(1, height, 1)
    xs = torch.arange(width, device=x.device).view(1, 1, width)
    inside = (ys >= centre_y - size_y // 2) & (ys < centre_y - size_y // 2 + size_y) \
        & (xs >= centre_x - size_x // 2) & (xs < centre_x - size_x // 2 + size_x)
    return torch.where(inside.unsqueeze(1), torch.full_like(x, fill), x)


TRANSFORMS: dict[str, Callable[[Tensor, float], Tensor]] = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy: str) -> list[str]:
    """``"color,translation"`` -> the transform names, checked."""
    names = [part.strip() for part in str(policy).split(",") if part.strip()]
    unknown = [name for name in names if name not in TRANSFORMS]
    if not names or unknown:
        raise ValueError(f"policy {policy!r}: name transforms from {', '.join(TRANSFORMS)}, separated by commas"
                         + (f" (unknown: {', '.join(unknown)})" if unknown else ""))  # fmt: skip
    return names


def _image_data(data: DataInfo) -> None:
    if data.modality != "image" or len(data.shape) != 3:
        raise ValueError(f"DiffAugment transforms images (C, H, W), but the data are {data.modality} of shape {data.shape}")


class DiffAugment(Augment):
    """Every transform of ``policy`` applied to every sample, with random strengths (DiffAugment)."""

    cuda_graph_safe = True  # tensor code only; draws from torch's device RNG

    def __init__(self, data: DataInfo, policy: str = "color,translation,cutout") -> None:
        super().__init__()
        _image_data(data)
        self.policy = parse_policy(policy)
        self.fill = float(data.value_range[0])

    def forward(self, x: Tensor) -> Tensor:
        for name in self.policy:
            x = TRANSFORMS[name](x, self.fill)
        return x


class AdaptiveDiffAugment(Augment):
    """DiffAugment's transforms, each applied to a sample with probability ``p``, ``p`` steered by ADA's heuristic."""

    def __init__(self, data: DataInfo, policy: str = "color,translation,cutout", target: float = 0.6,
                 interval: int = 4, speed_kimg: float = 100.0, initial_p: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        _image_data(data)
        if not 0.0 < target < 1.0 or interval < 1 or not speed_kimg > 0 or not 0.0 <= initial_p <= 1.0:
            raise ValueError("need 0 < target < 1, interval >= 1, speed_kimg > 0 and 0 <= initial_p <= 1; "
                             f"got {target}, {interval}, {speed_kimg}, {initial_p}")  # fmt: skip
        self.policy = parse_policy(policy)
        self.fill = float(data.value_range[0])
        self.target, self.interval, self.speed_kimg = float(target), int(interval), float(speed_kimg)
        self.register_buffer("p", torch.tensor(float(initial_p)))
        # Sums of sign(D(x_real)) and counts since the last adjustment; iterations since then.
        self.register_buffer("sign_sum", torch.zeros(()))
        self.register_buffer("sign_count", torch.zeros(()))
        self.register_buffer("iterations", torch.zeros((), dtype=torch.long))
        self.register_buffer("images", torch.zeros((), dtype=torch.long))

    def forward(self, x: Tensor) -> Tensor:
        for name in self.policy:
            chosen = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < self.p.to(x.device)
            x = torch.where(chosen, TRANSFORMS[name](x, self.fill), x)
        return x

    @torch.no_grad()
    def observe(self, real_scores: Tensor) -> None:
        self.sign_sum += torch.sign(real_scores.detach().float()).sum().to(self.sign_sum.device)
        self.sign_count += real_scores.numel()

    @torch.no_grad()
    def update(self, images: int) -> None:
        self.iterations += 1
        self.images += images
        if int(self.iterations) % self.interval or not float(self.sign_count):
            return
        r_t = float(self.sign_sum / self.sign_count)
        step = float(self.images) / (self.speed_kimg * 1000)
        self.p.copy_((self.p + (step if r_t > self.target else -step)).clamp(0.0, 1.0))
        self.sign_sum.zero_()
        self.sign_count.zero_()
        self.images.zero_()

    def stats(self) -> dict[str, float]:
        return {"augment_p": float(self.p)}
