"""Drawing from a loaded model: seeded noise, class labels, latent interpolation, PNG output."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor

from ganzoo.engine.checkpoint import atomic_write_bytes
from ganzoo.engine.health import refuse_non_finite_samples
from ganzoo.errors import GanzooError


class SamplingError(GanzooError):
    """Sampling that cannot be done as asked."""

    exit_code = 2


def class_labels(model: Any, class_: Optional[int], n: int) -> Optional[Tensor]:
    """Labels for ``n`` samples: all ``class_``, or every class in turn for a conditional model; None otherwise."""
    classes = model.info.num_classes
    if not model.conditional:
        if class_ is not None:
            raise SamplingError(f"--class {class_} was given, but this model is not class-conditional",
                                "only conditional models (e.g. cgan-mnist) take a class", "drop --class")  # fmt: skip
        return None
    if class_ is None:
        return torch.arange(n) % classes
    if not 0 <= class_ < classes:
        raise SamplingError(f"--class {class_} is out of range", f"this model knows classes 0 to {classes - 1}",
                            f"choose a class between 0 and {classes - 1}")  # fmt: skip
    return torch.full((n,), class_, dtype=torch.long)


def slerp(a: Tensor, b: Tensor, steps: int) -> Tensor:
    """``steps`` points on the great circle from ``a`` to ``b`` (spherical interpolation, White 2016).

    Gaussian noise lives near a sphere, so straight lines between two draws pass
    through improbable, too-short vectors; the arc does not.
    """
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    omega = torch.arccos((a / a.norm() * b / b.norm()).sum().clamp(-1, 1))
    if omega.abs() < 1e-6:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


@torch.no_grad()
def draw(model: Any, *, n: int, seed: int, labels: Optional[Tensor] = None, interpolate: bool = False) -> Tensor:
    """``n`` samples (CPU, float) with noise from a generator seeded with ``seed``: same seed, same samples."""
    generator = model.generator
    noise = torch.Generator().manual_seed(seed)
    if interpolate:
        ends = torch.randn(2, generator.latent_dim, generator=noise)
        z = slerp(ends[0], ends[1], n)
        if labels is not None and len(labels) and labels.unique().numel() > 1:
            labels = torch.full((n,), int(labels[0]), dtype=torch.long)  # one class along the whole strip
    else:
        z = torch.randn(n, generator.latent_dim, generator=noise)
    device = next(generator.parameters()).device
    chunks = []
    for start in range(0, n, 500):
        y = labels[start:start + 500].to(device) if labels is not None else None
        chunks.append(generator(z[start:start + 500].to(device), y).float().cpu())
    return refuse_non_finite_samples(torch.cat(chunks), SamplingError)


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise SamplingError(f"{path} already exists", "ganzoo does not overwrite files unless asked",
                            "pass --force, or choose another --out")  # fmt: skip


def write_grid(model: Any, out: Path, *, n: int, seed: int, labels: Optional[Tensor] = None, force: bool = False,
               interpolate: bool = False) -> Path:
    """A grid (or a one-row strip, or a scatter plot for 2-D models) of samples as a PNG."""
    from ganzoo.engine.samples import grid_png, scatter_png

    _refuse_existing(Path(out), force)
    samples = draw(model, n=n, seed=seed, labels=labels, interpolate=interpolate)
    if model.info.modality == "points":
        data = scatter_png(samples)
    else:
        columns = n if interpolate else (model.info.num_classes if labels is not None and labels.unique().numel() > 1
                                         and n % model.info.num_classes == 0 else None)  # fmt: skip
        data = grid_png(samples, model.info, nrow=columns)
    atomic_write_bytes(Path(out), data)
    return Path(out)


def write_images(model: Any, out_dir: Path, *, n: int, seed: int, labels: Optional[Tensor] = None, force: bool = False,
                 interpolate: bool = False) -> list[Path]:
    """One PNG per sample, ``out_dir/000000.png`` ...; image models only."""
    from ganzoo.engine.samples import grid_png

    if model.info.modality != "image":
        raise SamplingError("--out-dir writes images, but this model makes 2-D points",
                            "a point has no picture of its own", "use --out for a scatter plot")  # fmt: skip
    out_dir = Path(out_dir)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise SamplingError(f"{out_dir} is not empty", "ganzoo does not overwrite files unless asked",
                            "pass --force, or choose an empty --out-dir")  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = draw(model, n=n, seed=seed, labels=labels, interpolate=interpolate)
    paths = []
    for index, image in enumerate(samples):
        path = out_dir / f"{index:06d}.png"
        atomic_write_bytes(path, grid_png(image.unsqueeze(0), model.info, nrow=1))
        paths.append(path)
    # A forced rewrite leaves no numbered image of an earlier, larger draw mixed in with this one.
    for stale in out_dir.glob("[0-9][0-9][0-9][0-9][0-9][0-9].png"):
        if int(stale.stem) >= n:
            stale.unlink()
    return paths
