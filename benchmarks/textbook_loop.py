"""The baseline: the GAN training loop as a PyTorch tutorial writes it, for any zoo recipe.

Per-sample PIL -> ToTensor -> Normalize transforms through a ``DataLoader``
(``num_workers=0`` on the CPU, the tutorial default on a laptop; 2 workers and
pinned memory on CUDA, as the PyTorch DCGAN tutorial has it), one generator
forward per iteration reused for the generator update (the DCGAN tutorial's
pattern), plain ``torch.optim.Adam`` with torch's default implementation, no
generator EMA, and ``.item()`` on both losses every step for logging.

The networks, the loss's mathematics, the Adam settings, ``n_critic`` and
an R1 weight are the recipe's, taken from the ganzoo registry; a recipe that
needs more of the engine (another optimizer, clipping, warm-up, mixed
precision) is refused rather than compared with different training. The loss
is applied as a tutorial would: D scores the real and the fake batch in two
calls, and the generator step backpropagates through an unfrozen D.

On CUDA the tutorial keeps torch's default backend settings, while the engine
also turns on TF32, cuDNN autotuning and channels_last by default: part of
the engine's lead there is those switches, which a tutorial does not set.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, Iterator, Optional

RECIPE = "vanilla-mnist"

#: Train settings the textbook loop does not implement, with the value it assumes.
UNSUPPORTED_DEFAULTS = {"optimizer": "adam", "grad_clip": 0.0, "d_warmup_steps": 0, "precision": "fp32"}

#: Datasets the baseline reads through torchvision (class name in torchvision.datasets).
TORCHVISION_DATASETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def recipe_config(registry: Any, recipe: str = RECIPE) -> dict[str, Any]:
    """The recipe's resolved configuration, as ``ganzoo train RECIPE`` would use it."""
    from ganzoo.config import build_config

    return build_config(registry, recipe)


def recipe_networks(registry: Any, recipe: str = RECIPE, info: Any = None) -> tuple[Any, Any, dict[str, Any]]:
    """The recipe's generator and discriminator, built by their registered builders, and its train params.

    ``info`` (a ``DataInfo``) defaults to MNIST's shape and ten classes.
    """
    config = recipe_config(registry, recipe)
    info = info or _mnist_info()
    G = registry.get("generator", config["generator"]["name"]).build(info, **config["generator"]["params"])
    D = registry.get("discriminator", config["discriminator"]["name"]).build(info, **config["discriminator"]["params"])
    return G, D, config["train"]


def _mnist_info() -> Any:
    """MNIST's and Fashion-MNIST's ``DataInfo``: 1x28x28 in [-1, 1], ten classes."""
    from ganzoo.specs import DataInfo

    return DataInfo(shape=(1, 28, 28), num_classes=10, modality="image", value_range=(-1.0, 1.0))


def _loader(registry: Any, config: dict[str, Any], data_root: Path, batch_size: int, device: Any) -> tuple[Any, Any]:
    """A tutorial's DataLoader over the recipe's dataset, and the dataset's ``DataInfo``."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    from torchvision import datasets, transforms

    name = config["dataset"]["name"]
    cuda = device.type == "cuda"
    if name in TORCHVISION_DATASETS:
        transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
        dataset = getattr(datasets, TORCHVISION_DATASETS[name])(str(data_root), train=True, download=False,
                                                               transform=transform)  # fmt: skip
        info = _mnist_info()
    else:
        # Data without a torchvision class (the 2-D mixtures): the ganzoo dataset's
        # tensors, served sample by sample as a TensorDataset does.
        data = registry.get("dataset", name).build(data_root, train=True, download=False, **config["dataset"]["params"])
        if not hasattr(data, "x"):
            raise ValueError(f"no textbook baseline for streamed dataset {name!r}")
        dataset = TensorDataset(data.batch(torch.arange(len(data)))[0], *([data.y] if data.y is not None else []))
        info = data.info
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                        num_workers=2 if cuda else 0, pin_memory=cuda)  # fmt: skip
    return loader, info


def _endless(loader: Any) -> Iterator[tuple[Any, Optional[Any]]]:
    # A tutorial's `for epoch ...: for real, labels in loader:`, flattened so we can count steps.
    while True:
        for batch in loader:
            yield batch[0], (batch[1] if len(batch) > 1 else None)


def train(registry: Any, data_root: Path, *, batch_size: int, warmup_steps: int, windows: int,
          window_steps: int, recipe: str = RECIPE, device: str = "cpu", seed: int = 0) -> dict[str, Any]:
    """Train the textbook loop; images/s per window of ``window_steps`` generator steps after ``warmup_steps``.

    Images are real images consumed (``n_critic`` batches per generator step),
    as the engine counts them.
    """
    import torch

    from ganzoo.losses import input_gradients, r1_penalty

    device_ = torch.device(device)
    torch.manual_seed(seed)
    config = recipe_config(registry, recipe)
    train_cfg = config["train"]
    different = {key: train_cfg[key] for key, value in UNSUPPORTED_DEFAULTS.items() if train_cfg[key] != value}
    if different:
        raise ValueError(f"no textbook baseline for {recipe!r}: it sets {different}, which the textbook loop "
                         f"does not implement (it assumes {UNSUPPORTED_DEFAULTS})")  # fmt: skip
    loader, info = _loader(registry, config, data_root, batch_size, device_)
    G, D, _ = recipe_networks(registry, recipe, info)
    G, D = G.to(device_), D.to(device_)
    loss = registry.get("loss", config["loss"]["name"]).build(**config["loss"]["params"])
    n_critic = train_cfg["n_critic"] or loss.n_critic
    r1_gamma = train_cfg["r1_gamma"]
    opt_g = torch.optim.Adam(G.parameters(), lr=train_cfg["lr_g"], betas=tuple(train_cfg["betas_g"]))
    opt_d = torch.optim.Adam(D.parameters(), lr=train_cfg["lr_d"], betas=tuple(train_cfg["betas_d"]))
    d_log, g_log = [], []

    batches = _endless(loader)
    marks = []  # perf_counter at each window boundary
    total = warmup_steps + windows * window_steps
    for step in range(total + 1):
        if step >= warmup_steps and (step - warmup_steps) % window_steps == 0:
            if device_.type == "cuda":
                torch.cuda.synchronize(device_)
            marks.append(time.perf_counter())
        if step == total:
            break
        for _ in range(n_critic):
            real, labels = next(batches)
            real = real.to(device_)
            labels = labels.to(device_) if labels is not None else None
            z = torch.randn(batch_size, G.latent_dim, device=device_)
            fake = G(z, labels)

            opt_d.zero_grad()
            d_loss = loss.d_objective(D(real, labels), D(fake.detach(), labels))
            penalty = loss.penalty(D, real, fake.detach(), labels, input_gradients)
            if penalty is not None:
                d_loss = d_loss + penalty
            if r1_gamma:
                d_loss = d_loss + r1_gamma / 2 * r1_penalty(D, real, labels, input_gradients)
            d_loss.backward()
            opt_d.step()
            loss.after_discriminator_step(D)

        opt_g.zero_grad()
        g_loss = loss.g_objective(D(fake, labels))
        g_loss.backward()
        opt_g.step()

        d_log.append(d_loss.item())
        g_log.append(g_loss.item())

    images_per_step = n_critic * batch_size
    rates = [window_steps * images_per_step / (end - start) for start, end in zip(marks, marks[1:])]
    return {
        "recipe": recipe,
        "device": str(device_),
        "batch_size": batch_size,
        "n_critic": n_critic,
        "measured_steps": windows * window_steps,
        "num_workers": loader.num_workers,
        "img_per_s": statistics.median(rates),
        "img_per_s_windows": [round(rate, 1) for rate in rates],
        "last_losses": {"d": round(d_log[-1], 4), "g": round(g_log[-1], 4)},
    }
