"""Device names (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``) as torch devices, refused in words when absent."""

from __future__ import annotations

import re

import torch

from ganzoo.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; explicit devices must exist."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    match = re.fullmatch(r"cuda(?::(\d+))?", name)
    if match:
        if not torch.cuda.is_available():
            raise ConfigError(
                f"device {name!r} was asked for, but CUDA is not available",
                f"this torch build ({torch.__version__}) sees no usable NVIDIA GPU",
                "use --device cpu (or auto), or install a CUDA build of torch on a machine with a GPU",
            )
        index = int(match.group(1) or 0)
        if index >= torch.cuda.device_count():
            raise ConfigError(
                f"device {name!r} does not exist",
                f"{torch.cuda.device_count()} CUDA device(s) are visible",
                f"use cuda:0 .. cuda:{torch.cuda.device_count() - 1}",
            )
        return torch.device("cuda", index)
    if name == "mps":
        if not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
            raise ConfigError("device 'mps' was asked for, but MPS is not available", "", "use --device cpu or auto")
        return torch.device("mps")
    raise ConfigError(
        f"unknown device {name!r}",
        "devices are auto, cpu, cuda, cuda:N and mps",
        "pass one of those to --device",
    )
