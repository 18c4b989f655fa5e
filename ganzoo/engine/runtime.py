"""How the math runs: precision, backend switches, optimizer implementations (devices: :mod:`ganzoo.devices`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ContextManager

import torch
from torch import nn

from ganzoo.errors import ConfigError

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Precision:
    """One autocast switch and one GradScaler per optimizer: the loop never branches on dtype."""

    device: torch.device
    name: str

    def __post_init__(self) -> None:
        if self.name not in _DTYPES:
            raise ConfigError(f"unknown precision {self.name!r}", "", f"choose one of {', '.join(_DTYPES)}")
        if self.name == "fp16" and self.device.type == "mps":
            raise ConfigError("fp16 with gradient scaling is not supported on mps", "", "use bf16 or fp32")

    @property
    def dtype(self) -> torch.dtype:
        return _DTYPES[self.name]

    def autocast(self) -> ContextManager[Any]:
        """Mixed precision for the forward passes; a no-op for fp32."""
        if self.name == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A scaler that is live only for fp16 (bf16 has fp32's range and needs none)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.name == "fp16")


def configure_backends(device: torch.device, *, tf32: bool, cudnn_benchmark: bool) -> None:
    """Process-wide CUDA switches (no effect on CPU)."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = cudnn_benchmark


def has_conv(module: nn.Module) -> bool:
    """Whether ``module`` contains 2-D convolutions (and so gains from channels_last)."""
    return any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in module.modules())


def to_channels_last(module: nn.Module) -> nn.Module:
    """Put a conv net's weights in channels_last layout (a no-op for others)."""
    if has_conv(module):
        module.to(memory_format=torch.channels_last)
    return module


def optimizer_kwargs(device: torch.device, kind: str = "adam", impl: str = "auto",
                     capturable: bool = False) -> dict[str, bool]:
    """torch's implementation switches for ``kind`` ("adam" or "rmsprop") under ``train.optimizer_impl``.

    ``auto``: fused Adam on CUDA and CPU (one kernel over all parameters; on
    the CPU about 5x faster than foreach for the vanilla-mnist MLPs, 2.2 ms
    against 11.6 ms for 2.95 M parameters, benchmarks/README.md), foreach
    elsewhere and for RMSprop (torch has no fused RMSprop), the per-tensor loop
    on MPS for RMSprop. ``fused``, ``foreach`` and ``for-loop`` force one.
    ``capturable`` keeps step counts on the device, so that a CUDA graph can
    replay the step.
    """
    return {**_implementation(device, kind, impl), "capturable": capturable}


def _implementation(device: torch.device, kind: str, impl: str) -> dict[str, bool]:
    if impl == "auto":
        if kind == "adam":
            return {"fused": True} if device.type in ("cuda", "cpu") else {"foreach": True}
        return {"foreach": device.type != "mps"}
    if impl == "fused":  # config.validate_train refuses it for RMSprop
        return {"fused": True}
    if impl == "foreach":
        return {"foreach": True}
    return {"foreach": False}
