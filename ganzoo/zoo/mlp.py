"""Multi-layer perceptron generators and discriminators.

The vanilla GAN of Goodfellow et al. (2014) and the classic 2-D toy pair are
both MLPs; one configurable pair serves them all.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

from torch import Tensor, nn

from ganzoo.specs import DataInfo
from ganzoo.zoo.layers import FastDropout, check_positive

_ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": lambda: nn.Tanh(),
}
_OUTPUTS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


def _activation(name: str) -> nn.Module:
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(_ACTIVATIONS)}") from None


def _spectral(layer: nn.Linear, enabled: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if enabled else layer


class MLPGenerator(nn.Module):
    """``z -> [Linear -> (BatchNorm) -> activation] * len(hidden) -> Linear -> output``.

    Args:
        data: what to generate (its ``shape`` sets the output size).
        latent_dim: size of the noise vector z.
        hidden: widths of the hidden layers.
        activation: ``relu``, ``leaky_relu`` (slope 0.2) or ``tanh``.
        batch_norm: batch norm after each hidden linear layer. Its ``eps``
            stays at the default 1e-5 and ``momentum`` is 0.1 -- the reference
            code's ``BatchNorm1d(n, 0.8)`` sets eps to 0.8 by mistake.
        output: ``tanh`` (images in [-1, 1]), ``sigmoid`` ([0, 1]) or ``linear`` (points).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(
        self,
        data: DataInfo,
        latent_dim: int = 100,
        hidden: Sequence[int] = (256, 512, 1024),
        activation: str = "leaky_relu",
        batch_norm: bool = False,
        dropout: float = 0.0,
        output: str = "tanh",
    ) -> None:
        super().__init__()
        if output not in _OUTPUTS:
            raise ValueError(f"unknown output {output!r}; choose one of {sorted(_OUTPUTS)}")
        check_positive(latent_dim=latent_dim, **{f"hidden[{i}]": size for i, size in enumerate(hidden)})
        self.latent_dim = int(latent_dim)
        self.out_shape = tuple(data.shape)
        layers: list[nn.Module] = []
        width = self.latent_dim
        for size in hidden:
            layers.append(nn.Linear(width, size))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size, momentum=0.1))
            layers.append(_activation(activation))
            if dropout:
                layers.append(FastDropout(dropout))
            width = size
        layers += [nn.Linear(width, math.prod(self.out_shape)), _OUTPUTS[output]()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)


class MLPDiscriminator(nn.Module):
    """``x -> flatten -> [Linear -> activation -> (Dropout)] * len(hidden) -> Linear -> score``.

    Args:
        data: what it judges (its ``shape`` sets the input size).
        hidden: widths of the hidden layers.
        activation: ``relu``, ``leaky_relu`` (slope 0.2) or ``tanh``.
        dropout: dropout after each hidden layer (Goodfellow et al. used it in D).
        spectral_norm: spectral normalisation of every linear layer (Miyato et al. 2018).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    #: Scores each sample on its own (batch norm, when switched on, is detected separately).
    independent_scores = True

    def __init__(
        self,
        data: DataInfo,
        hidden: Sequence[int] = (1024, 512, 256),
        activation: str = "leaky_relu",
        dropout: float = 0.3,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        check_positive(**{f"hidden[{i}]": size for i, size in enumerate(hidden)})
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(data.shape)
        for size in hidden:
            layers += [_spectral(nn.Linear(width, size), spectral_norm), _activation(activation)]
            if dropout:
                layers.append(FastDropout(dropout))
            width = size
        layers.append(_spectral(nn.Linear(width, 1), spectral_norm))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.net(x).squeeze(1)
