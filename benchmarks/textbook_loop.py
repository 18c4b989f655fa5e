"""The baseline: the GAN training loop as a PyTorch tutorial writes it.

Per-sample PIL -> ToTensor -> Normalize transforms, a ``DataLoader`` with
``num_workers=0`` (the tutorial default on a laptop), BCE-with-logits, one
generator forward reused for both updates (the DCGAN tutorial's pattern) and
``.item()`` on both losses every step for logging. The networks, optimiser
and hyper-parameters are the recipe's, taken from the ganzoo registry, so the
only difference from the engine is how the loop is written.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, Iterator

RECIPE = "vanilla-mnist"


def recipe_networks(registry: Any, recipe: str = RECIPE) -> tuple[Any, Any, dict[str, Any]]:
    """The recipe's generator and discriminator, built with their registered defaults, and its train params."""
    from ganzoo.specs import DataInfo
    from ganzoo.zoo.mlp import MLPDiscriminator, MLPGenerator

    spec = registry.get("recipe", recipe)
    info = DataInfo(shape=(1, 28, 28), num_classes=10, modality="image", value_range=(-1.0, 1.0))
    params = {}
    for kind in ("generator", "discriminator"):
        name = getattr(spec, kind)
        params[kind] = {**registry.get(kind, name).defaults, **spec.params.get(kind, {})}
    G = MLPGenerator(info, **params["generator"])
    D = MLPDiscriminator(info, **params["discriminator"])
    return G, D, dict(spec.params.get("train", {}))


def _endless(loader: Any) -> Iterator[Any]:
    # A tutorial's `for epoch ...: for real, _ in loader:`, flattened so we can count steps.
    while True:
        yield from loader


def train(registry: Any, data_root: Path, *, batch_size: int, warmup_steps: int, windows: int,
          window_steps: int, seed: int = 0) -> dict[str, Any]:
    """Train the textbook loop; images/s per window of ``window_steps`` after ``warmup_steps``."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    torch.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = datasets.MNIST(str(data_root), train=True, download=False, transform=transform)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=0)
    G, D, train_params = recipe_networks(registry)
    betas_g = tuple(train_params.get("betas_g", (0.5, 0.999)))
    betas_d = tuple(train_params.get("betas_d", (0.5, 0.999)))
    opt_g = torch.optim.Adam(G.parameters(), lr=train_params.get("lr_g", 2e-4), betas=betas_g)
    opt_d = torch.optim.Adam(D.parameters(), lr=train_params.get("lr_d", 2e-4), betas=betas_d)
    criterion = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch_size), torch.zeros(batch_size)
    d_log, g_log = [], []

    batches = _endless(loader)
    marks = []  # perf_counter at each window boundary
    total = warmup_steps + windows * window_steps
    for step in range(total + 1):
        if step >= warmup_steps and (step - warmup_steps) % window_steps == 0:
            marks.append(time.perf_counter())
        if step == total:
            break
        real, _ = next(batches)
        z = torch.randn(batch_size, G.latent_dim)
        fake = G(z)

        opt_d.zero_grad()
        d_loss = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)
        d_loss.backward()
        opt_d.step()

        opt_g.zero_grad()
        g_loss = criterion(D(fake), ones)
        g_loss.backward()
        opt_g.step()

        d_log.append(d_loss.item())
        g_log.append(g_loss.item())

    rates = [window_steps * batch_size / (end - start) for start, end in zip(marks, marks[1:])]
    return {
        "batch_size": batch_size,
        "measured_steps": windows * window_steps,
        "num_workers": 0,
        "img_per_s": statistics.median(rates),
        "img_per_s_windows": [round(rate, 1) for rate in rates],
        "last_losses": {"d": round(d_log[-1], 4), "g": round(g_log[-1], 4)},
    }
