"""Generator inputs: what an ``InputSpec`` builder returns (plugin contract 2).

An :class:`InputSampler` draws the named tensors a generator consumes --
Gaussian ``z`` and the batch's labels (the default, ``"gaussian"``), uniformly
drawn class labels, InfoGAN's categorical and continuous codes, or a
conditioning image taken from the batch. The same sampler serves training
(:meth:`~InputSampler.sample`), the run's sample grids
(:meth:`~InputSampler.fixed`) and a published model's sampling
(:meth:`~InputSampler.request`), so what ``ganzoo sample`` asks for is what the
generator was trained on. The objective sees the drawn tensors by name: a
loss can read the codes (InfoGAN), the labels (ACGAN) or the source image
(pix2pix).

Samplers draw from the ``torch.Generator`` they are given, never from the
global random state, so training's random streams stay reproducible.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

import torch
from torch import Tensor, nn

from ganzoo.specs import DataInfo

Inputs = dict[str, Optional[Tensor]]


class InputSampler:
    """Base class of generator-input samplers.

    Attributes:
        fields: the names of the tensors it draws (the generator's keyword
            arguments, and what objectives may require).
        pipeline_tag: the Hugging Face task of a model fed by it
            (``"unconditional-image-generation"`` or ``"image-to-image"``).
        codes: the codes ``ganzoo sample --code NAME=VALUE`` may set (name -> meaning).
        cuda_graph_safe: see :class:`ganzoo.losses.GANLoss` (tensor code only, own class).
        needs_examples: whether :meth:`fixed` reads real samples (an image-to-image grid translates them).
        grid_columns: when :meth:`request` counts sample ``i`` up by a code with this many values (InfoGAN's
            first categorical code), so that a grid this wide has a column per value; else None.
        gaussian_fields: the fields drawn from a standard normal distribution, which a latent walk
            (:meth:`walk`) moves along great circles rather than straight lines (contract 2.1).
    """

    fields: tuple[str, ...] = ()
    gaussian_fields: tuple[str, ...] = ()
    needs_examples: bool = False
    grid_columns: Optional[int] = None
    pipeline_tag: str = "unconditional-image-generation"
    codes: Mapping[str, str] = {}
    cuda_graph_safe: bool = False

    def __init__(self, data: DataInfo, generator: nn.Module) -> None:
        self.data = data

    def sample(self, n: int, *, batch: Mapping[str, Tensor], generator: torch.Generator,
               device: torch.device) -> Inputs:  # fmt: skip
        """Inputs for ``n`` fakes in a training step; ``batch`` is the real batch of the step."""
        raise NotImplementedError

    def fixed(self, n: int, *, generator: torch.Generator, device: torch.device,
              examples: Optional[Mapping[str, Tensor]] = None) -> Inputs:  # fmt: skip
        """The inputs of a run's sample grids (the same at every grid); ``examples`` are ``n`` real samples."""
        return {k: (v.to(device) if v is not None else None) for k, v in self.request(n, generator=generator).items()}

    def request(self, n: int, *, generator: torch.Generator, labels: Optional[Tensor] = None,
                codes: Optional[Mapping[str, str]] = None, source: Optional[Tensor] = None,
                interpolate: bool = False) -> Inputs:  # fmt: skip
        """Inputs for ``n`` samples on the CPU, as a user asks for them (``ganzoo sample``, ``model.sample``).

        ``labels`` fixes class labels; ``codes`` maps code names to the text
        given on the command line (see :attr:`codes`); ``source`` holds input
        images for image-to-image models; ``interpolate`` walks from one draw
        to another in ``n`` steps (contract 2.0: since 2.1 ganzoo draws
        keyframes with ``request`` and asks :meth:`walk` for the path). Raises
        ValueError for what cannot be done.
        """
        raise NotImplementedError

    def walk(self, n: int, *, keyframes: Inputs, loop: bool = False) -> Inputs:
        """``n`` inputs on a path through ``keyframes``: what :meth:`request` drew for K samples, a row each.

        Fields in :attr:`gaussian_fields` move along great circles (spherical
        interpolation, White 2016: Gaussian noise lives near a sphere, and a
        straight line between two draws passes through improbably short
        vectors); other floating-point fields (continuous codes) move along
        straight lines; whole-number fields (class labels, categorical codes)
        keep the first keyframe's value, so one class is seen along the walk.
        With ``loop`` the path returns to the first keyframe, so an animation
        repeats without a jump; without, the first and last inputs are the
        first and last keyframes. Override it for inputs that move otherwise.
        """
        count = next((len(value) for value in keyframes.values() if value is not None), 0)
        if count < 2 or n < 2:
            raise ValueError(f"a walk needs at least 2 keyframes and 2 frames, got {count} and {n}")
        segments = count if loop else count - 1
        position = torch.arange(n, dtype=torch.float64) * (segments / n if loop else segments / (n - 1))
        start = position.floor().long().clamp(max=segments - 1)
        t = (position - start).float()
        end = (start + 1) % count
        path: Inputs = {}
        for name, value in keyframes.items():
            if value is None:
                path[name] = None
            elif not value.is_floating_point():
                path[name] = value[:1].expand(n, *value.shape[1:]).clone()
            elif name in self.gaussian_fields:
                path[name] = slerp_rows(value[start], value[end], t)
            else:
                weight = t.to(value.dtype).view(-1, *([1] * (value.dim() - 1)))
                path[name] = torch.lerp(value[start], value[end], weight)
        return path

    def call(self, generator: nn.Module, inputs: Mapping[str, Optional[Tensor]]) -> Any:
        """Run ``generator`` on ``inputs``: by keyword, one argument per field."""
        return generator(**inputs)


def _refuse_codes(codes: Optional[Mapping[str, str]], what: str) -> None:
    if codes:
        raise ValueError(f"--code {', '.join(codes)} was given, but {what} takes no codes")


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


def slerp_rows(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Row ``i`` of the result is the point a fraction ``t[i]`` along the great circle from ``a[i]`` to ``b[i]``.

    Rows of any shape are treated as flat vectors; where ``a[i]`` and ``b[i]``
    point the same way the path is the straight line (the arc is too short to tell).
    """
    flat_a, flat_b = a.flatten(1), b.flatten(1)
    cos = ((flat_a / flat_a.norm(dim=1, keepdim=True)) * (flat_b / flat_b.norm(dim=1, keepdim=True))).sum(1)
    omega = torch.arccos(cos.clamp(-1, 1)).unsqueeze(1)
    weight = t.to(flat_a.dtype).unsqueeze(1)
    sin_omega = torch.sin(omega)
    straight = sin_omega.abs() < 1e-6
    safe = torch.where(straight, torch.ones_like(sin_omega), sin_omega)
    wa = torch.where(straight, 1 - weight, torch.sin((1 - weight) * omega) / safe)
    wb = torch.where(straight, weight, torch.sin(weight * omega) / safe)
    return (wa * flat_a + wb * flat_b).view_as(a)


def _latent_dim(generator: nn.Module) -> int:
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or isinstance(latent_dim, bool) or latent_dim < 1:
        raise ValueError(f"the generator ({type(generator).__name__}) has no positive integer latent_dim attribute, "
                         "which a Gaussian input sampler needs: set self.latent_dim in its __init__")  # fmt: skip
    return latent_dim


class GaussianInputs(InputSampler):
    """``z ~ N(0, I)`` of the generator's ``latent_dim``, and the real batch's class labels (if any).

    The contract-1 default: the generator is called as ``G(z, labels)``,
    and a labelled dataset's labels reach every generator (an unconditional
    one ignores them), so a fake shares its class with the real sample beside it.
    """

    fields = ("z", "labels")
    gaussian_fields = ("z",)
    cuda_graph_safe = True

    def __init__(self, data: DataInfo, generator: nn.Module) -> None:
        super().__init__(data, generator)
        self.latent_dim = _latent_dim(generator)

    def noise(self, n: int, generator: torch.Generator, device: Any = None) -> Tensor:
        """``n`` noise vectors: what a subclass changes to draw other noise (uniform, truncated ...)."""
        return torch.randn(n, self.latent_dim, device=device, generator=generator)

    def _labels_for_grid(self, n: int) -> Optional[Tensor]:
        return torch.arange(n) % self.data.num_classes if self.data.num_classes else None

    def sample(self, n: int, *, batch: Mapping[str, Tensor], generator: torch.Generator,
               device: torch.device) -> Inputs:  # fmt: skip
        return {"z": self.noise(n, generator, device), "labels": batch.get("label")}

    def fixed(self, n: int, *, generator: torch.Generator, device: torch.device,
              examples: Optional[Mapping[str, Tensor]] = None) -> Inputs:  # fmt: skip
        # A grid shows every class in turn: sample i has class i % num_classes.
        labels = self._labels_for_grid(n)
        z = self.noise(n, generator).to(device)
        return {"z": z, "labels": labels.to(device) if labels is not None else None}

    def request(self, n: int, *, generator: torch.Generator, labels: Optional[Tensor] = None,
                codes: Optional[Mapping[str, str]] = None, source: Optional[Tensor] = None,
                interpolate: bool = False) -> Inputs:  # fmt: skip
        _refuse_codes(codes, "a Gaussian-noise generator")
        if interpolate:
            ends = self.noise(2, generator)
            return {"z": slerp(ends[0], ends[1], n), "labels": labels}
        return {"z": self.noise(n, generator), "labels": labels}

    def call(self, generator: nn.Module, inputs: Mapping[str, Optional[Tensor]]) -> Any:
        # Positional, as the 1.x engine called every generator: forward(z, labels=None).
        return generator(inputs["z"], inputs.get("labels"))


class ClassLabelInputs(GaussianInputs):
    """Gaussian ``z`` and class labels drawn uniformly, independent of the real batch (ACGAN's sampling)."""

    cuda_graph_safe = True

    def __init__(self, data: DataInfo, generator: nn.Module) -> None:
        super().__init__(data, generator)
        if data.num_classes < 2:
            raise ValueError(f"class-label inputs need labelled data with at least 2 classes, got num_classes="
                             f"{data.num_classes}; use a labelled dataset or the gaussian sampler")  # fmt: skip

    def sample(self, n: int, *, batch: Mapping[str, Tensor], generator: torch.Generator,
               device: torch.device) -> Inputs:  # fmt: skip
        z = self.noise(n, generator, device)
        labels = torch.randint(self.data.num_classes, (n,), device=device, generator=generator)
        return {"z": z, "labels": labels}


def _code_value(name: str, text: str) -> tuple[float, Optional[float]]:
    """``"3"`` -> (3, None); ``"-2:2"`` -> (-2, 2), a sweep."""
    low, colon, high = str(text).partition(":")
    try:
        return (float(low), float(high)) if colon else (float(low), None)
    except ValueError:
        raise ValueError(f"--code {name}={text}: give a number, or a sweep such as {name}=-2:2") from None


class InfoGANCodes(InputSampler):
    """Noise ``z`` plus InfoGAN's latent codes (Chen et al. 2016, arXiv:1606.03657).

    The generator declares the codes it takes: ``latent_dim`` (noise),
    ``categorical_codes`` (a list of class counts, e.g. ``[10]``) and
    ``continuous_codes`` (how many codes uniform on [-1, 1]). Drawn fields:
    ``z`` (B, latent_dim), ``codes_cat`` (B, len(categorical)) int64 and
    ``codes_cont`` (B, continuous); the generator is called with them by keyword.

    Codes are named ``c0, c1, ...``: categorical codes first, then the
    continuous ones. ``--code c0=3`` fixes a code for every sample;
    ``--code c1=-2:2`` sweeps a continuous code across each row of a grid
    (rows then show the first categorical code's values, as in the paper's figures).
    """

    fields = ("z", "codes_cat", "codes_cont")
    gaussian_fields = ("z",)
    cuda_graph_safe = True

    def __init__(self, data: DataInfo, generator: nn.Module, sweep_steps: int = 10) -> None:
        super().__init__(data, generator)
        self.latent_dim = _latent_dim(generator)
        self.categorical = [int(k) for k in getattr(generator, "categorical_codes", [])]
        self.continuous = int(getattr(generator, "continuous_codes", 0))
        if any(k < 2 for k in self.categorical) or self.continuous < 0 or not (self.categorical or self.continuous):
            raise ValueError(f"the generator ({type(generator).__name__}) must declare categorical_codes (class "
                             "counts of at least 2) and/or continuous_codes (a count) for InfoGAN codes")  # fmt: skip
        if sweep_steps < 2:
            raise ValueError(f"sweep_steps must be at least 2, got {sweep_steps}")
        self.sweep_steps = int(sweep_steps)
        self.grid_columns = self.categorical[0] if self.categorical else None
        names = [f"c{i}" for i in range(len(self.categorical) + self.continuous)]
        self.codes = {name: (f"categorical, {k} values (0 to {k - 1})" if i < len(self.categorical) else
                             "continuous, uniform on [-1, 1] in training")  # fmt: skip
                      for i, (name, k) in enumerate(zip(names, self.categorical + [0] * self.continuous))}

    def _draw(self, n: int, generator: torch.Generator, device: Any = None) -> Inputs:
        z = torch.randn(n, self.latent_dim, device=device, generator=generator)
        cat = torch.stack([torch.randint(k, (n,), device=device, generator=generator) for k in self.categorical], 1) \
            if self.categorical else torch.zeros(n, 0, dtype=torch.long, device=device)
        cont = torch.rand(n, self.continuous, device=device, generator=generator) * 2 - 1
        return {"z": z, "codes_cat": cat, "codes_cont": cont}

    def sample(self, n: int, *, batch: Mapping[str, Tensor], generator: torch.Generator,
               device: torch.device) -> Inputs:  # fmt: skip
        return self._draw(n, generator, device)

    def fixed(self, n: int, *, generator: torch.Generator, device: torch.device,
              examples: Optional[Mapping[str, Tensor]] = None) -> Inputs:  # fmt: skip
        inputs = self._draw(n, generator)
        if self.categorical:  # a column per value of the first categorical code
            inputs["codes_cat"][:, 0] = torch.arange(n) % self.categorical[0]
        return {k: v.to(device) for k, v in inputs.items()}

    def request(self, n: int, *, generator: torch.Generator, labels: Optional[Tensor] = None,
                codes: Optional[Mapping[str, str]] = None, source: Optional[Tensor] = None,
                interpolate: bool = False) -> Inputs:  # fmt: skip
        if labels is not None:
            raise ValueError("this InfoGAN model is not class-conditional: fix its categorical code with "
                             "--code c0=VALUE instead of a class")  # fmt: skip
        parsed = {}
        for name, text in (codes or {}).items():
            if name not in self.codes:
                raise ValueError(f"unknown code {name!r}: this model has {', '.join(self.codes)}")
            parsed[name] = _code_value(name, text)
        sweeps = [name for name, (_, high) in parsed.items() if high is not None]
        if len(sweeps) > 1:
            raise ValueError(f"sweep one code at a time, got sweeps of {', '.join(sweeps)}")
        inputs = self._draw(n, generator)
        n_cat = len(self.categorical)
        if interpolate:
            ends = torch.randn(2, self.latent_dim, generator=generator)
            inputs["z"] = slerp(ends[0], ends[1], n)
            inputs["codes_cat"][:] = inputs["codes_cat"][0]
            inputs["codes_cont"][:] = inputs["codes_cont"][0]
        elif sweeps:
            # One row per noise draw; the swept code runs along the row, the other continuous codes are 0,
            # and unless fixed the first categorical code counts up the rows.
            columns = self.sweep_steps
            rows = max(1, math.ceil(n / columns))
            row = torch.arange(n) // columns
            inputs["z"] = torch.randn(rows, self.latent_dim, generator=generator)[row]
            inputs["codes_cont"].zero_()
            if n_cat:
                inputs["codes_cat"][:, 0] = row % self.categorical[0]
        elif n_cat:
            inputs["codes_cat"][:, 0] = torch.arange(n) % self.categorical[0]
        for name, (low, high) in parsed.items():
            index = int(name[1:])
            if index < n_cat:
                if high is not None or not low.is_integer() or not 0 <= low < self.categorical[index]:
                    raise ValueError(f"--code {name}: a categorical code takes a whole number from 0 to "
                                     f"{self.categorical[index] - 1}")  # fmt: skip
                inputs["codes_cat"][:, index] = int(low)
            else:
                values = torch.linspace(low, high, self.sweep_steps)[torch.arange(n) % self.sweep_steps] \
                    if high is not None else torch.full((n,), low)
                inputs["codes_cont"][:, index - n_cat] = values
        return inputs

    @property
    def sweep_columns(self) -> int:
        """How many samples a row of a sweep grid holds."""
        return self.sweep_steps


class SourceImageInputs(InputSampler):
    """A conditioning image taken from the batch's ``field`` (image-to-image translation).

    The generator is called as ``G(source=images)``; pix2pix takes its
    noise from dropout, so there is no ``z``. ``field`` is an extra field of
    paired data (``"source"``) or ``"image"`` itself (a CycleGAN translates
    domain a, the batch's images); left empty, it is ``"source"`` when the
    data pairs one and ``"image"`` otherwise. A published model translates the
    images ``ganzoo sample --input`` reads.
    """

    fields = ("source",)
    pipeline_tag = "image-to-image"
    needs_examples = True
    cuda_graph_safe = True

    def __init__(self, data: DataInfo, generator: nn.Module, field: str = "") -> None:
        super().__init__(data, generator)
        field = field or ("source" if "source" in data.fields else "image")
        if field != "image" and field not in data.fields:
            present = ", ".join(data.fields) or "none"
            raise ValueError(f"the dataset has no field {field!r} to condition on (its extra fields: {present}); "
                             "use a paired dataset")  # fmt: skip
        self.field = field
        self.source_info = data if field == "image" else data.fields[field]

    def sample(self, n: int, *, batch: Mapping[str, Tensor], generator: torch.Generator,
               device: torch.device) -> Inputs:  # fmt: skip
        return {"source": batch[self.field][:n]}

    def fixed(self, n: int, *, generator: torch.Generator, device: torch.device,
              examples: Optional[Mapping[str, Tensor]] = None) -> Inputs:  # fmt: skip
        if examples is None or self.field not in examples:
            raise ValueError("a source-image grid needs example images from the dataset")
        return {"source": examples[self.field][:n].to(device)}

    def request(self, n: int, *, generator: torch.Generator, labels: Optional[Tensor] = None,
                codes: Optional[Mapping[str, str]] = None, source: Optional[Tensor] = None,
                interpolate: bool = False) -> Inputs:  # fmt: skip
        _refuse_codes(codes, "an image-to-image model")
        if source is None:
            raise ValueError("this is an image-to-image model: give the images to translate (--input FILE_OR_DIR)")
        if tuple(source.shape[1:]) != self.source_info.shape:
            raise ValueError(f"the input images have shape {tuple(source.shape[1:])}, but this model translates "
                             f"{self.source_info.shape} images")  # fmt: skip
        return {"source": source}


__all__ = ["ClassLabelInputs", "GaussianInputs", "InfoGANCodes", "InputSampler", "Inputs", "SourceImageInputs", "slerp",
           "slerp_rows"]
