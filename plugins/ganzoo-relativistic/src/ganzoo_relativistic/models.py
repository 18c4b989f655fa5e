"""A small residual MLP generator: z -> width -> residual blocks -> image in [-1, 1]."""

from __future__ import annotations

import math
from typing import Optional

from torch import Tensor, nn

from ganzoo import DataInfo


class ResidualBlock(nn.Module):
    """x + MLP(x) with batch norm, then ReLU (He et al. 2016, fully connected)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Linear(width, width), nn.BatchNorm1d(width),
        )  # fmt: skip
        self.out = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.out(x + self.body(x))


class ResidualMLPGenerator(nn.Module):
    """Maps ``z`` (B, latent_dim) to samples of ``data.shape`` through ``blocks`` residual blocks."""

    cuda_graph_safe = True  # tensor code only: ganzoo may replay an iteration as one CUDA graph

    def __init__(self, data: DataInfo, latent_dim: int = 64, width: int = 512, blocks: int = 2) -> None:
        super().__init__()
        if blocks < 0 or width < 1 or latent_dim < 1:
            raise ValueError(f"need latent_dim >= 1, width >= 1, blocks >= 0; got {latent_dim}, {width}, {blocks}")
        self.latent_dim = latent_dim
        self.shape = data.shape
        low, high = data.value_range
        self.low, self.high = low, high
        self.net = nn.Sequential(
            nn.Linear(latent_dim, width), nn.BatchNorm1d(width), nn.ReLU(),
            *[ResidualBlock(width) for _ in range(blocks)],
            nn.Linear(width, math.prod(data.shape)), nn.Tanh(),
        )  # fmt: skip

    def forward(self, z: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        unit = self.net(z)  # in [-1, 1]
        scaled = (unit + 1) * ((self.high - self.low) / 2) + self.low  # into the data's value range
        return scaled.view(len(z), *self.shape)
