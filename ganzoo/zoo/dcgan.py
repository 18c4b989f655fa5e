"""DCGAN generator and discriminator (Radford, Metz, Chintala 2015, arXiv:1511.06434).

The paper's guidelines, followed here: no pooling or fully connected hidden
layers (transposed convolutions up in G, strided convolutions down in D),
batch norm in both networks except G's output and D's input layer, ReLU in G
with a tanh output, LeakyReLU(0.2) in D, weights drawn from N(0, 0.02).

Both networks are one ladder of 4x4 stride-2 convolutions between an image
of ``size`` pixels and a ``start`` x ``start`` feature map, doubling the
channels from ``base_channels`` at each step down:

=====  =======  ====================================
size   start    G feature maps (c = base_channels)
=====  =======  ====================================
64     4x4      8c@4 -> 4c@8 -> 2c@16 -> c@32 -> C@64
32     4x4      4c@4 -> 2c@8 -> c@16 -> C@32
28     7x7      2c@7 -> c@14 -> C@28
=====  =======  ====================================

The first G layer (and the last D layer) is a ``start`` x ``start``
convolution between a 1x1 map and the smallest feature map. At 64 pixels this
is the layout of the authors' Torch code (4x4 kernels throughout); the paper's
LSUN generator corresponds to ``base_channels=128``.
"""

from __future__ import annotations

from typing import Optional

from torch import Tensor, nn

from ganzoo.specs import DataInfo
from ganzoo.zoo.layers import check_positive

#: Image size -> side of the smallest feature map.
START_SIZES = {28: 7, 32: 4, 64: 4}

#: The paper initialises every weight from a zero-mean normal with this standard deviation.
INIT_STD = 0.02

#: PyTorch's defaults, spelled out: widely copied GAN code writes ``BatchNorm2d(n, 0.8)``,
#: which passes 0.8 as eps where a momentum was meant.
BN_EPS = 1e-5
BN_MOMENTUM = 0.1


def ladder(data: DataInfo) -> tuple[int, int, int]:
    """``(channels, start size, number of stride-2 steps)`` for ``data``, or a ValueError."""
    shape = tuple(data.shape)
    if data.modality != "image" or len(shape) != 3:
        raise ValueError(f"DCGAN models images of shape (C, H, W); got data of shape {shape} ({data.modality})")
    channels, height, width = shape
    if height != width or height not in START_SIZES:
        sizes = ", ".join(f"{s}x{s}" for s in sorted(START_SIZES))
        raise ValueError(
            f"DCGAN supports square images of {sizes} pixels, got {height}x{width}; "
            "resize the data (image-folder: dataset.size) or use an MLP model"
        )
    start = START_SIZES[height]
    steps = (height // start).bit_length() - 1  # height == start * 2**steps
    return channels, start, steps


def init_weights(module: nn.Module) -> None:
    """The paper's initialisation: conv weights N(0, 0.02); batch norm scale N(1, 0.02), shift 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, INIT_STD)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, INIT_STD)
            nn.init.zeros_(layer.bias)


def generator_layers(in_channels: int, data: DataInfo, base_channels: int) -> list[nn.Module]:
    """The DCGAN generator's ladder from ``in_channels`` x 1 x 1 to ``data``'s images, as a list of layers."""
    channels, start, steps = ladder(data)
    width = base_channels * 2 ** (steps - 1)
    layers: list[nn.Module] = [
        nn.ConvTranspose2d(in_channels, width, start, 1, 0, bias=False),
        nn.BatchNorm2d(width, eps=BN_EPS, momentum=BN_MOMENTUM),
        nn.ReLU(inplace=True),
    ]
    for _ in range(steps - 1):
        layers += [
            nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width // 2, eps=BN_EPS, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
        ]
        width //= 2
    return layers + [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]


class DCGANGenerator(nn.Module):
    """DCGAN generator: ``z -> [ConvTranspose -> BatchNorm -> ReLU] * k -> ConvTranspose -> tanh``.

    Args:
        data: the images to generate; ``data.shape`` is ``(C, S, S)`` with S
            in 28, 32 or 64 and any number of channels C.
        latent_dim: size of the noise vector z (the paper's 100).
        base_channels: feature maps of the last hidden layer; the others are
            2, 4 and 8 times as many (the paper's 128 at 64 px; 64 is the
            common choice, 32 trains quickly on a CPU).
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, data: DataInfo, latent_dim: int = 100, base_channels: int = 64) -> None:
        super().__init__()
        check_positive(latent_dim=latent_dim, base_channels=base_channels)
        self.latent_dim = int(latent_dim)
        self.net = nn.Sequential(*generator_layers(self.latent_dim, data, base_channels))
        init_weights(self)

    def forward(self, z: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.net(z.view(z.shape[0], self.latent_dim, 1, 1))


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: ``x -> [Conv -> (BatchNorm) -> LeakyReLU(0.2)] * k -> Conv -> score``.

    Args:
        data: the images to judge (see :class:`DCGANGenerator`).
        base_channels: feature maps of the first layer, doubling at each step.
        batch_norm: batch norm after every convolution but the first (the
            paper's design). Turn it off for WGAN-GP, whose per-sample
            gradient penalty is invalid when samples interact through batch norm.
        spectral_norm: spectral normalisation of every convolution (Miyato et
            al. 2018, arXiv:1802.05957). It replaces batch norm, so batch norm
            is left out whenever this is on.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    #: Scores each sample on its own (batch norm, when switched on, is detected separately).
    independent_scores = True

    def __init__(
        self,
        data: DataInfo,
        base_channels: int = 64,
        batch_norm: bool = True,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        check_positive(base_channels=base_channels)
        channels, start, steps = ladder(data)
        use_bn = batch_norm and not spectral_norm
        width = base_channels
        # Not in-place: penalties (WGAN-GP, R1) differentiate through D twice.
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        for _ in range(steps - 1):
            layers.append(nn.Conv2d(width, width * 2, 4, 2, 1, bias=not use_bn))
            if use_bn:
                layers.append(nn.BatchNorm2d(width * 2, eps=BN_EPS, momentum=BN_MOMENTUM))
            layers.append(nn.LeakyReLU(0.2))
            width *= 2
        layers.append(nn.Conv2d(width, 1, start, 1, 0))
        self.net = nn.Sequential(*layers)
        # Initialise before wrapping: spectral norm reparametrises the weights it finds.
        init_weights(self)
        if spectral_norm:
            for layer in self.net:
                if isinstance(layer, (nn.Conv2d, nn.Linear)):
                    nn.utils.parametrizations.spectral_norm(layer)

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.net(x).flatten()
