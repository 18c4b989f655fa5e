"""Conditional MLP generator and discriminator (Mirza & Osindero 2014, arXiv:1411.1784).

Both networks see the class label ``y`` next to their usual input: G models
``p(x | y)`` from ``[z, y]`` and D judges ``[x, y]``. The label enters as a
one-hot vector, as in the paper, or as a learned embedding (``embed_dim > 0``).
A one-hot label concatenated before a linear layer is already a learned
embedding of that layer's width, so the one-hot default loses nothing.

The paper's networks (maxout D, separate input layers for z and y) are
simplified to the now common form: one concatenation, LeakyReLU(0.2) layers.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.specs import DataInfo
from ganzoo.zoo.layers import FastDropout

#: PyTorch's defaults, spelled out (see ``ganzoo.zoo.dcgan.BN_EPS``).
BN_EPS = 1e-5
BN_MOMENTUM = 0.1


class LabelEncoder(nn.Module):
    """Class labels ``(B,)`` -> float codes ``(B, width)``: one-hot, or a learned embedding."""

    def __init__(self, num_classes: int, embed_dim: int = 0) -> None:
        super().__init__()
        if embed_dim < 0:
            raise ValueError(f"embed_dim must be 0 (one-hot labels) or positive, got {embed_dim}")
        self.num_classes = num_classes
        self.embedding = nn.Embedding(num_classes, embed_dim) if embed_dim else None
        self.width = embed_dim or num_classes

    def forward(self, labels: Tensor, dtype: torch.dtype) -> Tensor:
        if self.embedding is not None:
            return self.embedding(labels).to(dtype)
        return F.one_hot(labels, self.num_classes).to(dtype)


def _require_classes(data: DataInfo, who: str) -> int:
    if data.num_classes < 2:
        raise ValueError(
            f"{who} is conditional and needs labelled data with at least 2 classes, "
            f"got num_classes={data.num_classes}; use a labelled dataset (mnist, fashion-mnist) "
            "or an unconditional model"
        )
    return data.num_classes


def _check_labels(labels: Optional[Tensor], batch: int, who: str) -> Tensor:
    if labels is None:
        raise ValueError(f"{who} is conditional: forward(..., labels) needs a LongTensor of class labels, got None")
    if labels.shape != (batch,):
        raise ValueError(f"{who}: labels must have shape ({batch},), got {tuple(labels.shape)}")
    return labels


class ConditionalMLPGenerator(nn.Module):
    """``[z, y] -> [Linear -> (BatchNorm) -> LeakyReLU(0.2)] * len(hidden) -> Linear -> tanh``.

    Args:
        data: what to generate; needs ``num_classes >= 2``.
        latent_dim: size of the noise vector z.
        hidden: widths of the hidden layers.
        embed_dim: 0 for one-hot labels, else the size of a learned label embedding.
        batch_norm: batch norm after each hidden linear layer (eps 1e-5, momentum 0.1).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(
        self,
        data: DataInfo,
        latent_dim: int = 100,
        hidden: Sequence[int] = (256, 512, 1024),
        embed_dim: int = 0,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        num_classes = _require_classes(data, type(self).__name__)
        self.latent_dim = int(latent_dim)
        self.num_classes = num_classes
        self.out_shape = tuple(data.shape)
        self.labels = LabelEncoder(num_classes, embed_dim)
        layers: list[nn.Module] = []
        width = self.latent_dim + self.labels.width
        for size in hidden:
            layers.append(nn.Linear(width, size))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size, eps=BN_EPS, momentum=BN_MOMENTUM))
            layers.append(nn.LeakyReLU(0.2))
            width = size
        layers += [nn.Linear(width, math.prod(self.out_shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        labels = _check_labels(labels, z.shape[0], type(self).__name__)
        h = torch.cat([z, self.labels(labels, z.dtype)], dim=1)
        return self.net(h).view(z.shape[0], *self.out_shape)


class ConditionalMLPDiscriminator(nn.Module):
    """``[flatten(x), y] -> [Linear -> LeakyReLU(0.2) -> (Dropout)] * len(hidden) -> Linear -> score``.

    Args:
        data: what it judges; needs ``num_classes >= 2``.
        hidden: widths of the hidden layers.
        embed_dim: 0 for one-hot labels, else the size of a learned label embedding.
        dropout: dropout after each hidden layer (the paper trained with dropout too).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    #: Scores each sample on its own (batch norm, when switched on, is detected separately).
    independent_scores = True

    def __init__(
        self,
        data: DataInfo,
        hidden: Sequence[int] = (512, 256),
        embed_dim: int = 0,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        num_classes = _require_classes(data, type(self).__name__)
        self.num_classes = num_classes
        self.labels = LabelEncoder(num_classes, embed_dim)
        layers: list[nn.Module] = []
        width = math.prod(data.shape) + self.labels.width
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            if dropout:
                layers.append(FastDropout(dropout))
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        labels = _check_labels(labels, x.shape[0], type(self).__name__)
        flat = x.flatten(start_dim=1)
        h = torch.cat([flat, self.labels(labels, flat.dtype)], dim=1)
        return self.net(h).squeeze(1)
