"""The typed records a plugin yields from its hooks.

Plugins register *data*, not side effects: every hook yields frozen dataclasses
from this module, so a hook implementation can be tested by calling it. This
module imports no torch, so listing the registry stays cheap.

Builder contracts (what ``build`` must return):

* :class:`GeneratorSpec` -- ``build(data: DataInfo, **params) -> nn.Module``.
  It is called with the named tensors its input sampler draws (``inputs``,
  ``"gaussian"`` by default: ``forward(z, labels=None)`` with ``z`` of shape
  ``(B, latent_dim)``, read from the module's int attribute ``latent_dim``)
  and returns samples of shape ``(B, *data.shape)`` -- or a dict holding
  them under ``"image"`` beside other named outputs (``"w"`` ...). Image
  generators produce values in ``[-1, 1]``.
* :class:`DiscriminatorSpec` -- ``build(data: DataInfo, **params) -> nn.Module``
  whose ``forward(x, labels=None)`` returns one raw score per sample, shape
  ``(B,)`` (or per patch, ``(B, ...)``, when ``patch_scores``), or a dict with
  that under ``"score"`` and every other head it declares in ``outputs``.
* :class:`NetworkSpec` -- ``build(data: DataInfo, **params) -> nn.Module``: any
  other network an objective names (InfoGAN's ``Q``, a mapping network ...).
* :class:`LossSpec` -- ``build(**params) -> ganzoo.objectives.Objective`` (an
  objective with phases) or a contract-1 ``ganzoo.losses.GANLoss``.
* :class:`InputSpec` -- ``build(data: DataInfo, generator: nn.Module, **params)
  -> ganzoo.inputs.InputSampler``: what a generator consumes.
* :class:`AugmentSpec` -- ``build(data: DataInfo, **params) ->
  ganzoo.augment.Augment``: a differentiable augmentation of D's inputs.
* :class:`DatasetSpec` -- ``build(root: pathlib.Path, *, train: bool,
  download: bool, **params) -> ganzoo.data.InMemoryData | ganzoo.data.StreamingData``.
* :class:`FeatureExtractorSpec` -- ``build(**params) -> nn.Module`` whose
  ``features(x)`` maps images in ``[-1, 1]`` to ``(B, feature_dim)`` vectors and,
  for classifiers, ``logits(x)`` to ``(B, num_classes)``. Its weights file is
  checked against ``sha256`` before it is used.
* :class:`LoggerSpec` -- ``build(**params) -> ganzoo.loggers.Logger``: an
  experiment logger (TensorBoard, CSV, W&B ...). Building writes nothing; a
  missing dependency is raised here, before the run starts.
* :class:`RecipeSpec` -- no builder: it names one component of each kind and
  the hyper-parameters to train them with.
* :class:`CommandSpec` -- a ``click.Command`` added to the ``ganzoo`` CLI.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Mapping, Optional

#: Names become file and directory names, so they are restricted to this.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*\Z")

#: The sections of a recipe's ``params`` (and of a resolved training config).
PARAM_SECTIONS = ("train", "generator", "discriminator", "loss", "dataset", "inputs", "augment")

#: Names of networks (``G``, ``D``, ``Q``, ``G_ba`` ...): identifiers, not file names.
NETWORK_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}\Z")

#: The component kinds a named network can be built from.
NETWORK_KINDS = ("generator", "discriminator", "network")


class SpecError(ValueError):
    """A spec is malformed: bad name, non-JSON defaults, wrong types."""


#: Names become folder and file names; file systems allow 255 bytes, and suffixes are added.
MAX_NAME_LENGTH = 100


def validate_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it matches ``[a-z0-9][a-z0-9-]*``, else raise SpecError."""
    if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
        raise SpecError(f"invalid {what} {name[:20]!r}...: {len(name)} characters, at most {MAX_NAME_LENGTH} "
                        "because names become file names")  # fmt: skip
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise SpecError(
            f"invalid {what} {name!r}: names must match [a-z0-9][a-z0-9-]* "
            "(lower-case letters, digits and dashes, not starting with a dash) "
            "because they become file names"
        )
    return name


def _frozen_json(value: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """Check that ``value`` is a JSON object and return a read-only deep copy."""
    if not isinstance(value, Mapping):
        raise SpecError(f"{what} must be a mapping, got {type(value).__name__}")
    try:
        # A round trip through JSON both validates and deep-copies, so a plugin
        # cannot mutate the registry's defaults through a shared list.
        copied = json.loads(json.dumps(dict(value), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{what} must be JSON-serialisable: {exc}") from None
    return MappingProxyType(copied)


class lazy:
    """A builder that imports ``"package.module:attribute"`` on first call.

    Registration modules use it so that ``ganzoo list`` and ``ganzoo --help``
    never import torch or build anything::

        GeneratorSpec(name="mlp", summary="...", build=lazy("mypkg.models:MLP"))
    """

    def __init__(self, target: str) -> None:
        module, sep, attribute = target.partition(":")
        if not sep or not module or not attribute:
            raise SpecError(f"lazy target {target!r} must look like 'package.module:attribute'")
        self.target = target

    def resolve(self) -> Callable[..., Any]:
        """Import and return the target object."""
        module_name, _, attribute = self.target.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            obj = getattr(obj, part)
        return obj

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"lazy({self.target!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, lazy) and other.target == self.target

    def __hash__(self) -> int:
        return hash(self.target)


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about the data it is built for.

    ``shape`` is one sample's shape: ``(C, H, W)`` for images, ``(D,)`` for points.
    ``num_classes`` is 0 for unlabelled data. ``modality`` is ``"image"`` or
    ``"points"`` (unbounded vectors). ``value_range`` is the range image
    values lie in (``(-1, 1)`` unless a dataset is asked for ``[0, 1]``).

    A batch holds the samples as the field ``"image"`` (whatever the
    modality) and, when labelled, ``"label"``; ``fields`` describes any other
    field the dataset yields, each like a sample (``{"source": DataInfo(...)}``
    for the input images of paired image-to-image data).
    """

    shape: tuple[int, ...]
    num_classes: int = 0
    modality: str = "image"
    value_range: tuple[float, float] = (-1.0, 1.0)
    fields: Mapping[str, "DataInfo"] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.shape or any(int(s) <= 0 for s in self.shape):
            raise SpecError(f"DataInfo.shape must be positive sizes, got {self.shape!r}")
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        if self.modality not in ("image", "points"):
            raise SpecError(f"DataInfo.modality must be 'image' or 'points', got {self.modality!r}")
        low, high = (float(v) for v in self.value_range)
        if not low < high:
            raise SpecError(f"DataInfo.value_range must be (low, high) with low < high, got {self.value_range!r}")
        object.__setattr__(self, "value_range", (low, high))
        for name, described in dict(self.fields).items():
            if name in BATCH_FIELDS or not isinstance(name, str) or not NETWORK_NAME_PATTERN.match(name):
                raise SpecError(f"DataInfo.fields: {name!r} is not a valid extra field name "
                                f"(an identifier other than {', '.join(BATCH_FIELDS)})")  # fmt: skip
            if not isinstance(described, DataInfo):
                raise SpecError(f"DataInfo.fields[{name!r}] must be a DataInfo, got {type(described).__name__}")
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def to_json(self) -> dict:
        """A JSON-ready dict (written into run configs and model cards)."""
        described = {
            "shape": list(self.shape),
            "num_classes": self.num_classes,
            "modality": self.modality,
            "value_range": list(self.value_range),
        }
        if self.fields:  # absent for plain data, so older readers and records stay as they were
            described["fields"] = {name: info.to_json() for name, info in self.fields.items()}
        return described

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "DataInfo":
        """The inverse of :meth:`to_json`."""
        fields = {str(name): cls.from_json(info) for name, info in dict(data.get("fields") or {}).items()}
        return cls(shape=tuple(data["shape"]), num_classes=int(data["num_classes"]), modality=data["modality"],
                   value_range=tuple(data["value_range"]), fields=fields)  # fmt: skip

    def __hash__(self) -> int:
        return hash((self.shape, self.num_classes, self.modality, self.value_range, tuple(sorted(self.fields))))


#: The fields every batch may hold: the samples, and their class labels when the data is labelled.
BATCH_FIELDS = ("image", "label")


@dataclass(frozen=True)
class _ComponentSpec:
    """Fields shared by every buildable component."""

    name: str
    summary: str
    build: Callable[..., Any]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    paper: str = ""
    #: The data the conformance kit (:mod:`ganzoo.testing`) checks it on; None: 1x28x28 images, 10 classes.
    check_data: Optional[DataInfo] = None

    kind: ClassVar[str] = "component"

    def __post_init__(self) -> None:
        validate_name(self.name, f"{self.kind} name")
        _check_summary(self.summary, self.kind, self.name)
        if not callable(self.build):
            raise SpecError(f"{self.kind} {self.name!r}: build must be callable, got {self.build!r}")
        object.__setattr__(self, "defaults", _frozen_json(self.defaults, f"{self.kind} {self.name!r} defaults"))
        if self.check_data is not None and not isinstance(self.check_data, DataInfo):
            raise SpecError(f"{self.kind} {self.name!r}: check_data must be a ganzoo.DataInfo")


def _check_summary(summary: object, kind: str, name: str) -> None:
    if not isinstance(summary, str) or not summary.strip() or "\n" in summary.strip():
        raise SpecError(f"{kind} {name!r}: summary must be one non-empty line of text")


@dataclass(frozen=True)
class GeneratorSpec(_ComponentSpec):
    """A generator network. ``conditional`` generators take class labels.

    ``inputs`` names the input sampler (an :class:`InputSpec`) that draws what
    it consumes -- a run uses it unless its configuration names another.
    """

    conditional: bool = False
    inputs: str = "gaussian"
    kind: ClassVar[str] = "generator"

    def __post_init__(self) -> None:
        super().__post_init__()
        validate_name(self.inputs, f"generator {self.name!r} inputs")


@dataclass(frozen=True)
class DiscriminatorSpec(_ComponentSpec):
    """A discriminator (or critic). ``conditional`` ones take class labels.

    ``outputs`` names what ``forward`` returns: ``("score",)`` -- one tensor
    of scores -- or more heads, returned as a dict (``("score",
    "class_logits")`` for an ACGAN discriminator); objectives declare the
    heads they need, and a mismatch is refused before training. With
    ``patch_scores`` the score has one value per patch, ``(B, ...)``, as a
    PatchGAN's does.
    """

    conditional: bool = False
    outputs: tuple[str, ...] = ("score",)
    patch_scores: bool = False
    kind: ClassVar[str] = "discriminator"

    def __post_init__(self) -> None:
        super().__post_init__()
        outputs = tuple(self.outputs)
        if not outputs or outputs[0] != "score" or len(set(outputs)) != len(outputs) or not all(
                isinstance(o, str) and NETWORK_NAME_PATTERN.match(o) for o in outputs):  # fmt: skip
            raise SpecError(f"discriminator {self.name!r}: outputs must start with 'score' and name distinct "
                            f"heads (identifiers), got {self.outputs!r}")  # fmt: skip
        object.__setattr__(self, "outputs", outputs)


@dataclass(frozen=True)
class NetworkSpec(_ComponentSpec):
    """Any other network an objective trains or uses: InfoGAN's ``Q``, a mapping network ...

    A recipe places it under a name of its own (``networks={"Q": {...}}``);
    the objective reaches it as ``ctx.nets["Q"]``.
    """

    kind: ClassVar[str] = "network"


@dataclass(frozen=True)
class LossSpec(_ComponentSpec):
    """An adversarial objective: its phases, the networks they update and any penalties.

    ``build(**params)`` returns a :class:`ganzoo.objectives.Objective`, or a
    contract-1 :class:`ganzoo.losses.GANLoss` (run through an adapter).
    """

    kind: ClassVar[str] = "loss"


@dataclass(frozen=True)
class InputSpec(_ComponentSpec):
    """A generator-input sampler: Gaussian ``z``, class labels, InfoGAN codes, a source image ...

    ``build(data, generator, **params)`` returns a :class:`ganzoo.inputs.InputSampler`.
    """

    kind: ClassVar[str] = "input"


@dataclass(frozen=True)
class AugmentSpec(_ComponentSpec):
    """A differentiable augmentation of every image D sees (DiffAugment, ADA ...).

    ``build(data, **params)`` returns a :class:`ganzoo.augment.Augment`;
    a run selects one with ``train.augment=NAME`` and sets its parameters
    under ``augment.*``.
    """

    kind: ClassVar[str] = "augment"


@dataclass(frozen=True)
class DatasetSpec(_ComponentSpec):
    """A training dataset. ``labelled`` datasets provide class labels.

    Unpaired image-to-image data (domain a as the batch's ``image``, domain b
    as a field ``b``) names in ``domains`` the registered dataset each domain
    is, and takes a parameter ``domain`` ("a" or "b") that builds one domain
    alone: evaluation translates each domain's test split and compares it
    with the other's, with the other's feature extractor.
    """

    labelled: bool = False
    domains: tuple[str, ...] = ()
    kind: ClassVar[str] = "dataset"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "domains", tuple(self.domains))
        if self.domains and len(self.domains) != 2:
            raise SpecError(f"dataset {self.name!r}: domains names the datasets of domain a and domain b, got {self.domains!r}")
        for domain in self.domains:
            validate_name(domain, f"dataset {self.name!r} domain")


HEX_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class FeatureExtractorSpec(_ComponentSpec):
    """A network that maps images to features for evaluation metrics (FID, KID ...).

    ``datasets`` names the datasets whose images it was trained for (metrics on
    other data are refused). ``weights`` is where its safetensors file is, either
    an absolute path or ``"model_cards:NAME/FILE"`` for the zoo's shipped files;
    ``sha256`` is the file's expected hash: a file with another hash is refused,
    and the first eight hex digits name every metric computed with it
    (``fid[lenet-mnist@1a2b3c4d]``). ``build(**params)`` returns the network
    without weights; ganzoo loads and checks them.
    """

    datasets: tuple[str, ...] = ()
    weights: str = ""
    sha256: str = ""
    num_classes: int = 0
    kind: ClassVar[str] = "extractor"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "datasets", tuple(self.datasets))
        for dataset in self.datasets:
            validate_name(dataset, f"extractor {self.name!r} dataset")
        if not isinstance(self.weights, str) or not self.weights:
            raise SpecError(f"extractor {self.name!r}: weights must name its safetensors file")
        if not isinstance(self.sha256, str) or not HEX_SHA256.match(self.sha256):
            raise SpecError(f"extractor {self.name!r}: sha256 must be 64 lower-case hex digits")

    @property
    def short_hash(self) -> str:
        """The first eight hex digits of the weights' sha256, as metric names carry it."""
        return self.sha256[:8]


@dataclass(frozen=True)
class LoggerSpec(_ComponentSpec):
    """An experiment logger: where a run's numbers and sample grids go besides ``metrics.jsonl``.

    ``build(**params)`` returns a :class:`ganzoo.loggers.Logger`; a run
    selects loggers with ``ganzoo train --log NAME`` (``train.loggers``).
    """

    kind: ClassVar[str] = "logger"


@dataclass(frozen=True)
class RecipeSpec:
    """A named, reproducible training set-up built from registered components.

    ``params`` maps a section (``train``, ``generator``, ``discriminator``,
    ``loss``, ``dataset``, ``inputs``, ``augment``) to hyper-parameters that
    override that component's defaults (or, for ``train``, the engine's).
    Components may come from any installed plugin, so one plugin's recipe can
    reuse another's parts.

    ``G`` and ``D`` are the generator and discriminator; ``networks`` names
    any other network the objective needs, each a mapping with ``kind``
    (``generator``, ``discriminator`` or ``network``), ``name`` (the
    registered component), and optionally ``params``, ``optimizer`` (``{"share":
    "G"}`` to be trained by G's optimizer, or ``{"kind": "adam", "lr": ...,
    "betas": [...], "weight_decay": ...}``) and ``ema`` (true to keep an
    exponential moving average of it, as of G). ``inputs`` names the input
    sampler when it is not the generator's own.
    """

    name: str
    summary: str
    generator: str
    discriminator: str
    loss: str
    dataset: str
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    paper: str = ""
    expect: str = ""
    networks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    inputs: str = ""

    kind: ClassVar[str] = "recipe"

    def __post_init__(self) -> None:
        validate_name(self.name, "recipe name")
        _check_summary(self.summary, "recipe", self.name)
        for kind in ("generator", "discriminator", "loss", "dataset"):
            validate_name(getattr(self, kind), f"recipe {self.name!r} {kind}")
        if self.inputs:
            validate_name(self.inputs, f"recipe {self.name!r} inputs")
        networks = _frozen_json(self.networks, f"recipe {self.name!r} networks")
        for slot, entry in networks.items():
            check_network_entry(slot, entry, f"recipe {self.name!r}")
        object.__setattr__(self, "networks", networks)
        unknown = set(self.params) - set(PARAM_SECTIONS)
        if unknown:
            raise SpecError(
                f"recipe {self.name!r}: unknown params sections {sorted(unknown)}; "
                f"valid sections are {list(PARAM_SECTIONS)}"
            )
        params = _frozen_json(self.params, f"recipe {self.name!r} params")
        for section, values in params.items():
            if not isinstance(values, Mapping):
                raise SpecError(f"recipe {self.name!r}: params[{section!r}] must be a mapping")
        object.__setattr__(self, "params", params)

    @property
    def components(self) -> dict[str, str]:
        """The component names by kind."""
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "loss": self.loss,
            "dataset": self.dataset,
        }


@dataclass(frozen=True)
class CommandSpec:
    """An extra ``ganzoo`` sub-command contributed by a plugin."""

    name: str
    summary: str
    command: Any  # a click.Command; typed loosely so this module needs no click

    kind: ClassVar[str] = "command"

    def __post_init__(self) -> None:
        validate_name(self.name, "command name")
        _check_summary(self.summary, "command", self.name)
        import click  # click is light and always installed

        if not isinstance(self.command, click.Command):
            raise SpecError(f"command {self.name!r}: command must be a click.Command")


#: The keys of a network entry (a recipe's ``networks`` or a config's ``networks`` section).
NETWORK_ENTRY_KEYS = ("kind", "name", "params", "optimizer", "ema")
#: The keys of a network's own optimizer settings.
OPTIMIZER_KEYS = ("share", "kind", "lr", "betas", "weight_decay")


def check_network_entry(slot: Any, entry: Any, where: str) -> None:
    """Raise SpecError unless ``entry`` describes a named network as :class:`RecipeSpec` documents."""
    if not isinstance(slot, str) or not NETWORK_NAME_PATTERN.match(slot) or slot in ("G", "D"):
        raise SpecError(f"{where}: network name {slot!r} must be an identifier (letters, digits, _) other than "
                        "G and D, which are the generator and discriminator")  # fmt: skip
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where}: network {slot!r} must be a mapping with kind and name")
    unknown = set(entry) - set(NETWORK_ENTRY_KEYS)
    if unknown:
        raise SpecError(f"{where}: network {slot!r} has unknown keys {sorted(unknown)}; "
                        f"valid keys are {list(NETWORK_ENTRY_KEYS)}")  # fmt: skip
    if entry.get("kind") not in NETWORK_KINDS:
        raise SpecError(f"{where}: network {slot!r} kind must be one of {list(NETWORK_KINDS)}, got {entry.get('kind')!r}")
    validate_name(entry.get("name"), f"{where} network {slot!r} name")
    if not isinstance(entry.get("params", {}), Mapping):
        raise SpecError(f"{where}: network {slot!r} params must be a mapping")
    optimizer = entry.get("optimizer", {})
    if not isinstance(optimizer, Mapping) or set(optimizer) - set(OPTIMIZER_KEYS):
        raise SpecError(f"{where}: network {slot!r} optimizer must be a mapping of {list(OPTIMIZER_KEYS)}")
    if not isinstance(entry.get("ema", False), bool):
        raise SpecError(f"{where}: network {slot!r} ema must be true or false")


#: Every spec type by its kind, in the order listings show them.
SPEC_TYPES: dict[str, type] = {
    "recipe": RecipeSpec,
    "generator": GeneratorSpec,
    "discriminator": DiscriminatorSpec,
    "network": NetworkSpec,
    "loss": LossSpec,
    "input": InputSpec,
    "augment": AugmentSpec,
    "dataset": DatasetSpec,
    "extractor": FeatureExtractorSpec,
    "logger": LoggerSpec,
    "command": CommandSpec,
}
