"""Per-image comparisons of translations with their targets: L1, PSNR and SSIM.

Images are compared in [0, 1]. SSIM is Wang et al. 2004's ("Image quality
assessment: from error visibility to structural similarity"): local means,
variances and covariance under an 11x11 Gaussian window of standard deviation
1.5 (its 'valid' part), with C1 = (0.01)^2 and C2 = (0.03)^2 for a data
range of 1, averaged over the map and the channels of each image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: Wang et al.'s window and constants (data range 1).
SSIM_WINDOW, SSIM_SIGMA, SSIM_K1, SSIM_K2 = 11, 1.5, 0.01, 0.03
#: PSNR of identical images would be infinite: the mean squared error is floored at this.
MSE_FLOOR = 1e-10


def _check(output: Tensor, target: Tensor) -> None:
    if output.shape != target.shape or output.dim() != 4:
        raise ValueError(f"need two (N, C, H, W) batches of one shape, got {tuple(output.shape)} and {tuple(target.shape)}")


def l1(output: Tensor, target: Tensor) -> Tensor:
    """Each image's mean absolute difference, shape ``(N,)``."""
    _check(output, target)
    return (output.float() - target.float()).abs().flatten(1).mean(1)


def psnr(output: Tensor, target: Tensor) -> Tensor:
    """Each image's peak signal-to-noise ratio in dB (peak 1), shape ``(N,)``."""
    _check(output, target)
    mse = (output.float() - target.float()).square().flatten(1).mean(1).clamp_min(MSE_FLOOR)
    return -10.0 * torch.log10(mse)


def _window(channels: int, device: torch.device) -> Tensor:
    offsets = torch.arange(SSIM_WINDOW, dtype=torch.float32, device=device) - (SSIM_WINDOW - 1) / 2
    gauss = torch.exp(-offsets.square() / (2 * SSIM_SIGMA**2))
    gauss = gauss / gauss.sum()
    return (gauss[:, None] * gauss[None, :]).expand(channels, 1, SSIM_WINDOW, SSIM_WINDOW).contiguous()


def ssim(output: Tensor, target: Tensor) -> Tensor:
    """Each image's structural similarity (1 for identical images), shape ``(N,)``."""
    _check(output, target)
    if min(output.shape[-2:]) < SSIM_WINDOW:
        raise ValueError(f"SSIM's {SSIM_WINDOW}x{SSIM_WINDOW} window needs images at least that large")
    x, y = output.float(), target.float()
    channels = x.shape[1]
    window = _window(channels, x.device)

    def blur(image: Tensor) -> Tensor:
        return F.conv2d(image, window, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x.square()
    var_y = blur(y * y) - mu_y.square()
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x.square() + mu_y.square() + c1) * (var_x + var_y + c2))
    return index.flatten(1).mean(1)
