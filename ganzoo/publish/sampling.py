"""Drawing from a loaded model: seeded inputs, class labels, codes, latent interpolation, PNG output."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor

from ganzoo.engine.checkpoint import atomic_write_bytes
from ganzoo.errors import GanzooError
from ganzoo.inputs import slerp  # noqa: F401  (re-exported: where 1.x code imported it from)


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


def as_labels(model: Any, labels: Any, n: int) -> Optional[Tensor]:
    """``labels`` as the Python API takes them (None, one class, or a sequence of ``n``) as a checked tensor."""
    if labels is None:
        return class_labels(model, None, n) if model.conditional else None
    if isinstance(labels, int):
        return class_labels(model, labels, n)
    tensor = torch.as_tensor(labels, dtype=torch.long).flatten()
    if len(tensor) != n:
        raise SamplingError(f"{len(tensor)} labels were given for {n} samples", "each sample needs its class",
                            "give one class, or exactly n of them")  # fmt: skip
    for value in tensor.unique().tolist():
        class_labels(model, int(value), 1)  # the same checks as --class
    return tensor


@torch.no_grad()
def draw(model: Any, *, n: int, seed: int, labels: Optional[Tensor] = None, interpolate: bool = False,
         codes: Optional[dict[str, Any]] = None, source: Optional[Tensor] = None) -> Tensor:
    """``n`` samples (CPU, float) from inputs drawn with a generator seeded with ``seed``: same seed, same samples.

    The model's input sampler turns the request (labels, codes, source images,
    an interpolation) into the generator's inputs; what it cannot do is a
    SamplingError.
    """
    from ganzoo.objectives import image_of

    generator = model.generator
    if interpolate and labels is not None and len(labels) and labels.unique().numel() > 1:
        labels = torch.full((n,), int(labels[0]), dtype=torch.long)  # one class along the whole strip
    try:
        inputs = model.sampler.request(n, generator=torch.Generator().manual_seed(seed), labels=labels,
                                       codes={k: str(v) for k, v in (codes or {}).items()}, source=source,
                                       interpolate=interpolate)  # fmt: skip
    except ValueError as exc:
        raise SamplingError("this model cannot draw samples as asked", str(exc), "see ganzoo sample --help") from None
    device = next(generator.parameters()).device
    chunks = []
    for start in range(0, n, 500):
        part = {k: (v[start:start + 500].to(device) if v is not None else None) for k, v in inputs.items()}
        chunks.append(image_of(model.sampler.call(generator, part)).float().cpu())
    return torch.cat(chunks)


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise SamplingError(f"{path} already exists", "ganzoo does not overwrite files unless asked",
                            "pass --force, or choose another --out")  # fmt: skip


def write_grid(model: Any, out: Path, *, n: int, seed: int, labels: Optional[Tensor] = None, force: bool = False,
               interpolate: bool = False, codes: Optional[dict[str, Any]] = None) -> Path:
    """A grid (or a one-row strip, or a scatter plot for 2-D models) of samples as a PNG."""
    from ganzoo.engine.samples import grid_png, scatter_png

    _refuse_existing(Path(out), force)
    samples = draw(model, n=n, seed=seed, labels=labels, interpolate=interpolate, codes=codes)
    if model.info.modality == "points":
        data = scatter_png(samples)
    else:
        sweep = any(":" in str(value) for value in (codes or {}).values())
        columns = n if interpolate else getattr(model.sampler, "sweep_columns", None) if sweep else (
            model.info.num_classes if labels is not None and labels.unique().numel() > 1
            and n % model.info.num_classes == 0 else None)  # fmt: skip
        data = grid_png(samples, model.info, nrow=columns)
    atomic_write_bytes(Path(out), data)
    return Path(out)


def write_images(model: Any, out_dir: Path, *, n: int, seed: int, labels: Optional[Tensor] = None, force: bool = False,
                 interpolate: bool = False, codes: Optional[dict[str, Any]] = None) -> list[Path]:
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
    samples = draw(model, n=n, seed=seed, labels=labels, interpolate=interpolate, codes=codes)
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
