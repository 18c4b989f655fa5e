"""Synthetic 2-D datasets: the mode-collapse benchmarks and the tutorial curve.

``ring-8`` and ``grid-25`` follow the PacGAN / VEEGAN protocol: a mixture of
Gaussians whose modes are known, so mode coverage can be counted.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ganzoo.data import InMemoryData
from ganzoo.specs import DataInfo

POINTS = DataInfo(shape=(2,), num_classes=0, modality="points")


def ring_modes(modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    """Centres of ``modes`` Gaussians evenly spaced on a circle, shape ``(modes, 2)``."""
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid_modes(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """Centres of a ``side`` x ``side`` grid centred on 0 ({-4,-2,0,2,4}^2 by default)."""
    coords = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(coords, coords)


def _mixture(centres: torch.Tensor, std: float, samples: int, seed: int) -> InMemoryData:
    generator = torch.Generator().manual_seed(seed)
    which = torch.randint(len(centres), (samples,), generator=generator)
    points = centres[which] + std * torch.randn(samples, 2, generator=generator)
    return InMemoryData(x=points, y=None, info=POINTS, mixture_centres=centres, mixture_std=std)


def build_ring(root: Path | None = None, *, train: bool = True, download: bool = False, modes: int = 8,
               radius: float = 1.0, std: float = 0.01, samples: int = 100_000, seed: int = 0) -> InMemoryData:
    """``modes`` Gaussians of std ``std`` on a circle of ``radius`` (PacGAN's ring: 8, 1, 0.01)."""
    return _mixture(ring_modes(modes, radius), std, samples, seed + (0 if train else 1))


def build_grid(root: Path | None = None, *, train: bool = True, download: bool = False, side: int = 5,
               spacing: float = 2.0, std: float = 0.05, samples: int = 100_000, seed: int = 0) -> InMemoryData:
    """A ``side`` x ``side`` grid of Gaussians (PacGAN's grid: 5 x 5 at spacing 2, std 0.05)."""
    return _mixture(grid_modes(side, spacing), std, samples, seed + (0 if train else 1))


def build_curve(root: Path | None = None, *, train: bool = True, download: bool = False, samples: int = 100_000,
                noise: float = 0.02, seed: int = 0) -> InMemoryData:
    """The 2-D curve of GAN tutorials: points on y = sin(x) for x in [-pi, pi], plus noise."""
    generator = torch.Generator().manual_seed(seed + (0 if train else 1))
    x = (torch.rand(samples, generator=generator) * 2 - 1) * math.pi
    points = torch.stack([x, torch.sin(x)], dim=1) + noise * torch.randn(samples, 2, generator=generator)
    return InMemoryData(x=points, y=None, info=POINTS)
