"""Image-to-image networks: pix2pix's U-Net, the PatchGAN discriminator, CycleGAN's ResNet generator.

Sized for the zoo's 28x28 images and written from the papers' descriptions
(Isola et al. 2017, arXiv:1611.07004, appendix 6.1.1; Zhu et al. 2017,
arXiv:1703.10593, appendix 7.2):

* :class:`UNetGenerator` -- an encoder of 4x4 stride-2 convolutions (C64,
  C128 ...), a bottleneck, and a decoder of transposed convolutions whose every
  layer also sees the encoder layer of its size (the skip connections); dropout
  in the decoder's inner layers is pix2pix's noise source.
* :class:`PatchDiscriminator` -- C64-C128-C256 then a one-channel convolution:
  one score per overlapping patch, ``(B, h, w)``. A conditional one (pix2pix)
  reads the source and the image stacked along channels.
* :class:`ResNetGenerator` -- c7s1-k, two stride-2 downsamplings, residual
  blocks, two upsamplings, c7s1 to the output, with instance norm and
  reflection padding.

Every generator is called with the image it translates, ``G(source=...)``:
the ``source-image`` input sampler draws it from a batch field.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ganzoo.specs import DataInfo
from ganzoo.zoo.dcgan import init_weights
from ganzoo.zoo.layers import check_positive

NORMS = ("batch", "instance", "none")


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {kind!r}")


def field_info(data: DataInfo, field: str) -> DataInfo:
    """The shape of a batch field: ``"image"`` is the data itself, any other an extra field the data declares."""
    if field == "image":
        return data
    if field not in data.fields:
        present = ", ".join(["image", *data.fields])
        raise ValueError(f"the data has no field {field!r} (its fields: {present}); use a dataset with it")
    return data.fields[field]


def _square(info: DataInfo, levels: int, who: str) -> int:
    if info.modality != "image" or len(info.shape) != 3 or info.shape[1] != info.shape[2]:
        raise ValueError(f"{who} translates square images (C, S, S), got {info.shape}")
    size = info.shape[1]
    if size % (2 ** levels):
        raise ValueError(f"{who} halves the image {levels} times: its side ({size}) must be divisible by {2 ** levels}")
    return size


class UNetGenerator(nn.Module):
    """pix2pix's U-Net: ``source`` (from batch field ``source_field``) -> an image of the data's shape in [-1, 1].

    Args:
        data: the target images' shape; its ``source_field`` gives the input's channels.
        base_channels: channels of the first encoder layer, doubling per level (capped at 8x).
        depth: how many times the encoder halves the image (2 at 28 px: 28 -> 14 -> 7).
        dropout: dropout in the bottleneck and the decoder's innermost layer (pix2pix's 0.5).
        source_field: the batch field the input image comes from.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, data: DataInfo, base_channels: int = 64, depth: int = 2, dropout: float = 0.5,
                 source_field: str = "source") -> None:  # fmt: skip
        super().__init__()
        check_positive(base_channels=base_channels, depth=depth)
        source = field_info(data, source_field)
        _square(data, depth, "the U-Net generator")
        if source.shape[1:] != data.shape[1:]:
            raise ValueError(f"the U-Net maps {source.shape} sources to {data.shape} images: sizes must agree")
        widths = [min(base_channels * 2**i, base_channels * 8) for i in range(depth)]
        self.down = nn.ModuleList()
        channels = source.shape[0]
        for level, width in enumerate(widths):
            layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=level == 0)]
            if level:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.LeakyReLU(0.2))
            self.down.append(nn.Sequential(*layers))
            channels = width
        self.middle = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels),
                                    nn.ReLU(), nn.Dropout(dropout))  # fmt: skip
        self.up = nn.ModuleList()
        for level in reversed(range(depth)):
            skip = widths[level]
            out = widths[level - 1] if level else data.shape[0]
            layers = [nn.ConvTranspose2d(channels + skip, out, 4, 2, 1, bias=level == 0)]
            layers += [nn.BatchNorm2d(out), nn.ReLU()] if level else [nn.Tanh()]
            if level == depth - 1 and level:
                layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
            channels = out
        init_weights(self)

    def forward(self, source: Tensor) -> Tensor:
        skips = []
        h = source
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        h = self.middle(h)
        for layer, skip in zip(self.up, reversed(skips)):
            h = layer(torch.cat([h, skip], dim=1))
        return h


class PatchDiscriminator(nn.Module):
    """PatchGAN: one raw score per overlapping patch, ``(B, h, w)``.

    Args:
        data: the images it judges.
        base_channels: channels of the first layer, doubling per layer.
        layers: stride-2 layers (2 at 28 px); a stride-1 layer and the score layer follow.
        norm: "batch" (pix2pix), "instance" (CycleGAN) or "none", after every layer but the first.
        field: the batch field it judges ("image", or "b" for a second domain).
        condition_field: a field stacked in front of the image along channels (pix2pix's "source"); "" for none.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    #: Each sample's patches depend on that sample alone (batch norm, when on, is detected separately).
    independent_scores = True

    def __init__(self, data: DataInfo, base_channels: int = 64, layers: int = 2, norm: str = "batch",
                 field: str = "image", condition_field: str = "") -> None:  # fmt: skip
        super().__init__()
        check_positive(base_channels=base_channels, layers=layers)
        judged = field_info(data, field)
        _square(judged, layers, "the PatchGAN discriminator")
        channels = judged.shape[0] + (field_info(data, condition_field).shape[0] if condition_field else 0)
        self.condition_field = condition_field
        blocks: list[nn.Module] = [nn.Conv2d(channels, base_channels, 4, 2, 1), nn.LeakyReLU(0.2)]
        width = base_channels
        for _ in range(layers - 1):
            blocks += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=norm == "none"), _norm(norm, width * 2),
                       nn.LeakyReLU(0.2)]  # fmt: skip
            width *= 2
        blocks += [nn.Conv2d(width, width * 2, 4, 1, 1, bias=norm == "none"), _norm(norm, width * 2), nn.LeakyReLU(0.2),
                   nn.Conv2d(width * 2, 1, 4, 1, 1)]  # fmt: skip
        self.net = nn.Sequential(*blocks)
        init_weights(self)

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.net(x).squeeze(1)


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int, norm: str) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm == "none"), _norm(norm, channels), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm == "none"), _norm(norm, channels),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResNetGenerator(nn.Module):
    """CycleGAN's generator: c7s1-k, d2k, d4k, ``blocks`` residual blocks, u2k, uk, c7s1 -> tanh.

    Args:
        data: the images' shapes; ``source_field`` and ``target_field`` pick the input's and the output's.
        base_channels: k, the first layer's channels (the paper's 64).
        blocks: residual blocks at the smallest size (the paper's 6 at 128 px).
        norm: "instance" (the paper's), "batch" or "none".
        source_field: the batch field it translates ("image" for a -> b, "b" for b -> a).
        target_field: the field whose images it makes.
    """

    cuda_graph_safe = True  # tensor code only: the engine may replay its iterations as a CUDA graph

    def __init__(self, data: DataInfo, base_channels: int = 64, blocks: int = 6, norm: str = "instance",
                 source_field: str = "image", target_field: str = "image") -> None:  # fmt: skip
        super().__init__()
        check_positive(base_channels=base_channels)
        if blocks < 0:
            raise ValueError(f"blocks must not be negative, got {blocks}")
        source, target = field_info(data, source_field), field_info(data, target_field)
        _square(source, 2, "the ResNet generator")
        if source.shape[1:] != target.shape[1:]:
            raise ValueError(f"the ResNet generator keeps the image size: {source.shape} -> {target.shape}")
        k = base_channels
        bias = norm == "none"
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(source.shape[0], k, 7, bias=bias), _norm(norm, k),
                                   nn.ReLU()]  # fmt: skip
        for width in (k, 2 * k):
            layers += [nn.Conv2d(width, 2 * width, 3, 2, 1, bias=bias), _norm(norm, 2 * width), nn.ReLU()]
        layers += [_ResidualBlock(4 * k, norm) for _ in range(blocks)]
        for width in (4 * k, 2 * k):
            layers += [nn.ConvTranspose2d(width, width // 2, 3, 2, 1, output_padding=1, bias=bias),
                       _norm(norm, width // 2), nn.ReLU()]  # fmt: skip
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(k, target.shape[0], 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, source: Tensor) -> Tensor:
        return self.net(source)
