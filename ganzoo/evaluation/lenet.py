"""A LeNet-style digit / article classifier whose penultimate layer is ganzoo's evaluation feature space.

Two 5x5 convolutions with max pooling and a 128-unit hidden layer (LeCun et
al. 1998, with ReLU and max pooling as in modern re-implementations). It reads
1x28x28 images in ``[-1, 1]``; ``features`` are the 128 post-ReLU activations
before the classifier, ``logits`` the 10 class scores.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

FEATURE_DIM = 128


class LeNet(nn.Module):
    """Conv(16, 5x5) -> pool -> Conv(32, 5x5) -> pool -> Dense(128) -> Dense(num_classes)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * (image_size // 4) ** 2, FEATURE_DIM), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(FEATURE_DIM, num_classes)
        self.feature_dim = FEATURE_DIM
        self.num_classes = num_classes

    def features(self, x: Tensor) -> Tensor:
        """(B, 128) features of images in [-1, 1]."""
        return self.body(x)

    def logits(self, x: Tensor) -> Tensor:
        """(B, num_classes) class scores."""
        return self.head(self.body(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.logits(x)


@torch.no_grad()
def accuracy(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``model.logits`` on images in [-1, 1]."""
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        predicted = model.logits(images[start:start + batch_size]).argmax(1)
        correct += int((predicted == labels[start:start + batch_size]).sum())
    return correct / len(images)
