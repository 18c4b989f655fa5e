"""Drawing from a loaded model: seeded inputs, class labels, codes, seed grids, latent walks; PNG and GIF output."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence, Union

import torch
from torch import Tensor

from ganzoo.artifacts.atomic import atomic_write_bytes
from ganzoo.artifacts.finite import refuse_non_finite_samples
from ganzoo.data import IMAGE_SUFFIXES
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


#: The most seeds one grid (or walk) draws.
MAX_SEEDS = 100_000


def keyframe_count(interpolate: Union[bool, int]) -> int:
    """How many keyframes ``interpolate`` asks for: 0 (no walk), 2 for ``True``, else the number (at least 2)."""
    if interpolate is False or interpolate is None:
        return 0
    if interpolate is True:
        return 2
    if isinstance(interpolate, int) and interpolate >= 2:
        return interpolate
    raise SamplingError(f"--interpolate {interpolate!r} is not a number of keyframes",
                        "a walk passes through at least 2 keyframes", "pass --interpolate 2 or more")  # fmt: skip


def parse_seeds(text: str) -> list[int]:
    """``"0-15"`` -> 0..15; ``"3,7,9"``; ``"0-3,10-12"``: the seeds of a grid, in order."""
    seeds: list[int] = []
    for part in str(text).split(","):
        low, dash, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high) if dash else int(low)
        except ValueError:
            raise SamplingError(f"cannot read --seeds {text!r}", f"{part.strip()!r} is neither a seed nor a range",
                                "write e.g. --seeds 0-15 or --seeds 1,5,9 or --seeds 0-3,10-12") from None  # fmt: skip
        if first < 0 or last < first:
            raise SamplingError(f"--seeds {text!r} has the range {part.strip()!r}", "seeds are whole numbers from 0, "
                                "and a range runs upwards", "write e.g. --seeds 0-15")  # fmt: skip
        if len(seeds) + last - first + 1 > MAX_SEEDS:
            raise SamplingError(f"--seeds {text!r} names more than {MAX_SEEDS} seeds", "each seed is one sample",
                                "give fewer seeds")  # fmt: skip
        seeds += range(first, last + 1)
    return seeds


def _request(model: Any, n: int, seed: int, labels: Optional[Tensor], codes: dict[str, str],
             source: Optional[Tensor]) -> dict[str, Optional[Tensor]]:
    try:
        return model.sampler.request(n, generator=torch.Generator().manual_seed(seed), labels=labels, codes=codes,
                                     source=source)  # fmt: skip
    except ValueError as exc:
        raise SamplingError("this model cannot draw samples as asked", str(exc), "see ganzoo sample --help") from None


def _rows(drawn: Sequence[dict[str, Optional[Tensor]]]) -> dict[str, Optional[Tensor]]:
    """Several draws' inputs as one: each field's rows one after another."""
    return {name: torch.cat([d[name] for d in drawn]) if drawn[0][name] is not None else None for name in drawn[0]}


@torch.no_grad()
def draw(model: Any, *, n: int, seed: int, labels: Optional[Tensor] = None, interpolate: Union[bool, int] = False,
         codes: Optional[dict[str, Any]] = None, source: Optional[Tensor] = None,
         seeds: Optional[Sequence[int]] = None, loop: bool = False, network: Optional[Any] = None) -> Tensor:
    """``n`` samples (CPU, float) from inputs drawn with a generator seeded with ``seed``: same seed, same samples.

    The model's input sampler turns the request (labels, codes, source images)
    into the generator's inputs; what it cannot do is a SamplingError.

    ``seeds``: one sample per seed instead, each exactly what ``seed=s, n=1``
    draws (with ``labels[i]`` for a conditional model). ``interpolate``: a
    latent walk of ``n`` frames through ``interpolate`` keyframes (``True``:
    2), drawn with ``seed`` -- or one per seed of ``seeds`` -- and joined by
    the sampler's :meth:`~ganzoo.inputs.InputSampler.walk` (``loop``: back to
    the first keyframe at the end); one class along the walk. ``network``
    replaces the model's generator (a CycleGAN's ``G_ba``).
    """
    from ganzoo.objectives import image_of

    generator = network if network is not None else model.generator
    text_codes = {k: str(v) for k, v in (codes or {}).items()}
    keyframes = keyframe_count(interpolate)
    if seeds is not None:
        seeds = [int(s) for s in seeds]
        if not seeds or keyframes and len(seeds) < 2:
            raise SamplingError(f"{len(seeds)} seed(s) were given", "a grid needs one seed per sample, a walk one per "
                                "keyframe (at least 2)", "give more seeds, e.g. --seeds 0-15")  # fmt: skip
        if keyframes and interpolate is not True and keyframes != len(seeds):
            raise SamplingError(f"--interpolate {keyframes} and {len(seeds)} seeds were given",
                                "with --seeds, each seed is one keyframe of the walk",
                                "drop the number after --interpolate, or give as many seeds")  # fmt: skip
        keyframes = len(seeds) if keyframes else 0
    if keyframes:
        if any(":" in value for value in text_codes.values()):
            raise SamplingError("--interpolate and a code sweep were both given", "a walk moves every latent, a sweep "
                                "one code along a row", "choose one of them")  # fmt: skip
        first = labels[:1] if labels is not None and len(labels) else None  # one class along the whole walk
        if seeds is not None:
            drawn = _rows([_request(model, 1, s, first, text_codes, source) for s in seeds])
        else:
            drawn = _request(model, keyframes, seed, first.expand(keyframes) if first is not None else None, text_codes,
                             source)  # fmt: skip
        try:
            inputs = model.sampler.walk(n, keyframes=drawn, loop=loop)
        except ValueError as exc:
            raise SamplingError("this model cannot walk its latent space as asked", str(exc),
                                "see ganzoo sample --help") from None  # fmt: skip
    elif seeds is not None:
        n = len(seeds)
        inputs = _rows([_request(model, 1, s, labels[i:i + 1] if labels is not None else None, text_codes, source)
                        for i, s in enumerate(seeds)])  # fmt: skip
    else:
        inputs = _request(model, n, seed, labels, text_codes, source)
    device = next(generator.parameters()).device
    chunks = []
    for start in range(0, n, 500):
        part = {k: (v[start:start + 500].to(device) if v is not None else None) for k, v in inputs.items()}
        chunks.append(image_of(model.sampler.call(generator, part)).float().cpu())
    return refuse_non_finite_samples(torch.cat(chunks), SamplingError)


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise SamplingError(f"{path} already exists", "ganzoo does not overwrite files unless asked",
                            "pass --force, or choose another --out")  # fmt: skip


def write_grid(model: Any, out: Path, *, n: int, seed: int, labels: Optional[Tensor] = None, force: bool = False,
               interpolate: Union[bool, int] = False, codes: Optional[dict[str, Any]] = None,
               seeds: Optional[Sequence[int]] = None) -> Path:
    """A grid (or a one-row strip for a walk, or a scatter plot for 2-D models) of samples as a PNG."""
    from ganzoo.artifacts.pictures import grid_png, scatter_png

    _refuse_existing(Path(out), force)
    samples = draw(model, n=n, seed=seed, labels=labels, interpolate=interpolate, codes=codes, seeds=seeds)
    n = len(samples)
    if model.info.modality == "points":
        data = scatter_png(samples)
    else:
        sweep = any(":" in str(value) for value in (codes or {}).values())
        columns = n if keyframe_count(interpolate) else getattr(model.sampler, "sweep_columns", None) if sweep else (
            model.info.num_classes if labels is not None and labels.unique().numel() > 1
            and n % model.info.num_classes == 0 else None)  # fmt: skip
        data = grid_png(samples, model.info, nrow=columns)
    atomic_write_bytes(Path(out), data)
    return Path(out)


def write_walk_gif(model: Any, out: Path, *, frames: int, keyframes: Union[bool, int], seed: int,
                   labels: Optional[Tensor] = None, force: bool = False, codes: Optional[dict[str, Any]] = None,
                   seeds: Optional[Sequence[int]] = None, fps: float = 16.0) -> Path:
    """A latent walk as an animated GIF: ``frames`` frames through the keyframes and back to the first (it loops)."""
    from ganzoo.artifacts.pictures import gif_bytes

    if model.info.modality != "image":
        raise SamplingError("a GIF walk is written for image models, and this one makes 2-D points",
                            "a walk of a point model is a path of single points",
                            "write it as a scatter plot (--out walk.png); ganzoo plot RUN --animate shows a 2-D run "
                            "through training")  # fmt: skip
    if not 0 < fps <= 50:
        raise SamplingError(f"--fps {fps} is out of range", "GIF frames last at least 20 ms", "give --fps up to 50")
    _refuse_existing(Path(out), force)
    samples = draw(model, n=frames, seed=seed, labels=labels, interpolate=keyframes, codes=codes, seeds=seeds, loop=True)
    atomic_write_bytes(Path(out), gif_bytes(samples, model.info, fps=fps))
    return Path(out)


def write_images(model: Any, out_dir: Path, *, n: int, seed: int, labels: Optional[Tensor] = None, force: bool = False,
                 interpolate: Union[bool, int] = False, codes: Optional[dict[str, Any]] = None,
                 seeds: Optional[Sequence[int]] = None) -> list[Path]:
    """One PNG per sample, ``out_dir/000000.png`` ... (a seed grid's: ``seed-S.png``); image models only."""
    from ganzoo.artifacts.pictures import grid_png

    if model.info.modality != "image":
        raise SamplingError("--out-dir writes images, but this model makes 2-D points",
                            "a point has no picture of its own", "use --out for a scatter plot")  # fmt: skip
    out_dir = Path(out_dir)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise SamplingError(f"{out_dir} is not empty", "ganzoo does not overwrite files unless asked",
                            "pass --force, or choose an empty --out-dir")  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = draw(model, n=n, seed=seed, labels=labels, interpolate=interpolate, codes=codes, seeds=seeds)
    named_by_seed = seeds is not None and not keyframe_count(interpolate)
    n = len(samples)
    paths = []
    for index, image in enumerate(samples):
        path = out_dir / (f"seed-{seeds[index]}.png" if named_by_seed else f"{index:06d}.png")
        atomic_write_bytes(path, grid_png(image.unsqueeze(0), model.info, nrow=1))
        paths.append(path)
    # A forced rewrite leaves no numbered image of an earlier, larger draw mixed in with this one.
    for stale in out_dir.glob("[0-9][0-9][0-9][0-9][0-9][0-9].png"):
        if int(stale.stem) >= n:
            stale.unlink()
    return paths




def read_images(path: Path, info: Any) -> tuple[Tensor, list[str]]:
    """The images to translate, from a file or a folder (sorted by name), as a batch in ``info``'s value range.

    Every image must already have the model's size and channels (1: grayscale,
    3: RGB); anything else -- a missing path, an empty folder, a file that is
    not an image, another size -- is a SamplingError that names the file.
    """
    from PIL import Image, UnidentifiedImageError
    from torchvision.transforms.functional import pil_to_tensor

    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise SamplingError(f"{path} holds no images", f"--input reads {', '.join(IMAGE_SUFFIXES)} files",
                                "give a folder of images, or one image file")  # fmt: skip
    elif path.is_file():
        files = [path]
    else:
        raise SamplingError(f"--input {path} does not exist", "", "give an image file or a folder of images")
    channels, height, width = info.shape
    mode = {1: "L", 3: "RGB"}.get(channels)
    images = []
    for file in files:
        try:
            with Image.open(file) as opened:
                opened.load()
                image = opened
        except (UnidentifiedImageError, OSError) as exc:
            raise SamplingError(f"{file} is not an image ganzoo can read", f"{type(exc).__name__}: {exc}",
                                "give PNG or JPEG files") from None  # fmt: skip
        have = len(image.getbands()) - ("A" in image.getbands())
        if image.mode == "P":
            image, have = image.convert("RGB"), 3
        if mode is None or have != channels:
            raise SamplingError(f"{file} has {have} channel{'s' if have != 1 else ''}, but the model translates "
                                f"{channels}-channel images", "its input images must look like the ones it was trained on",
                                "convert the image (e.g. to grayscale for a 1-channel model)")  # fmt: skip
        if image.size != (width, height):
            raise SamplingError(f"{file} is {image.size[0]}x{image.size[1]} pixels, but the model translates "
                                f"{width}x{height} images", "image-to-image models work at the size they were trained at",
                                f"resize it to {width}x{height}")  # fmt: skip
        images.append(pil_to_tensor(image.convert(mode)).float() / 255.0)
    low, high = info.value_range
    return torch.stack(images) * (high - low) + low, [file.stem for file in files]


def _unit(images: Tensor, info: Any) -> Tensor:
    """Images from ``info``'s value range to [0, 1], with 3 channels (so inputs and outputs tile together)."""
    low, high = info.value_range
    images = ((images.float() - low) / (high - low)).clamp(0, 1)
    return images.repeat(1, 3, 1, 1) if images.shape[1] == 1 else images


def write_translations(model: Any, inputs: Path, *, out: Optional[Path] = None, out_dir: Optional[Path] = None,
                       seed: int = 0, force: bool = False, direction: str = "a2b") -> list[Path]:  # fmt: skip
    """Translate the images at ``inputs``: a grid of input | output pairs (``out``) or one PNG per input (``out_dir``).

    ``direction`` "b2a" translates with the model's second generator ``G_ba`` (a CycleGAN's way back).
    """
    from ganzoo.artifacts.pictures import grid_png

    source_info = getattr(model.sampler, "source_info", None)
    if source_info is None:
        raise SamplingError("--input was given, but this model makes images from noise, not from images",
                            "only image-to-image models translate inputs", "drop --input")  # fmt: skip
    network, source_info = translator(model, direction)
    source, names = read_images(inputs, source_info)
    translated = draw(model, n=len(source), seed=seed, source=source, network=network)
    if out_dir is not None:
        out_dir = Path(out_dir)
        targets = [out_dir / f"{name}.png" for name in names]
        clash = [t for t in targets if t.exists()]
        if clash and not force:
            raise SamplingError(f"{clash[0]} already exists", "ganzoo does not overwrite files unless asked",
                                "pass --force, or choose another --out-dir")  # fmt: skip
        for target, image in zip(targets, translated):
            atomic_write_bytes(target, grid_png(image.unsqueeze(0), model.info, nrow=1))
        return targets
    out = Path(out) if out is not None else Path(f"{model.config.get('name') or 'model'}-translated.png")
    _refuse_existing(out, force)
    atomic_write_bytes(out, translation_grid(model, source, translated))
    return [out]


def translator(model: Any, direction: str) -> tuple[Any, Any]:
    """The network that translates in ``direction`` ("a2b": the generator; "b2a": ``G_ba``) and its inputs' shape."""
    if direction == "a2b":
        return model.generator, model.sampler.source_info
    if direction != "b2a":
        raise SamplingError(f"unknown direction {direction!r}", "directions are a2b and b2a", "pass --direction a2b or b2a")
    if "G_ba" not in model.networks:
        raise SamplingError("--direction b2a was given, but this model translates one way only",
                            "only a model with a second generator G_ba (a CycleGAN) translates back",
                            "drop --direction")  # fmt: skip
    return model.networks["G_ba"], model.info.fields.get("b", model.info)


def translation_grid(model: Any, source: Tensor, translated: Tensor, target: Optional[Tensor] = None,
                     per_row: int = 4) -> bytes:  # fmt: skip
    """A PNG of input | output (| target) groups, ``per_row`` groups to a row."""
    from ganzoo.artifacts.pictures import grid_png
    from ganzoo.specs import DataInfo

    columns = [_unit(source, model.sampler.source_info), _unit(translated, model.info)]
    if target is not None:
        columns.append(_unit(target, model.info))
    groups = torch.stack(columns, dim=1).flatten(0, 1)
    unit = DataInfo(shape=(3, *model.info.shape[1:]), value_range=(0.0, 1.0))
    return grid_png(groups, unit, nrow=len(columns) * min(per_row, len(source)))
