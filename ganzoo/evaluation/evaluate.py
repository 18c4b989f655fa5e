"""Evaluate a generator: draw samples, embed them, compute every metric with what produced it.

Every number is a :class:`MetricRecord` that carries its pinned name (the
extractor and its hash, e.g. ``fid[lenet-mnist@1a2b3c4d]``), the number of
generated and reference samples, the reference split, the extractor's sha256
and the seed. Nothing here downloads anything.

Metric families (``--metrics``):

* ``fid``, ``kid``, ``pr`` (precision / recall), ``dc`` (density / coverage)
  and ``classes`` (class histogram of generated samples) for image datasets
  that have a registered feature extractor;
* ``modes`` (modes covered, % high-quality samples) for Gaussian-mixture datasets.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from ganzoo.artifacts.finite import refuse_non_finite_samples
from ganzoo.errors import GanzooError
from ganzoo.specs import DataInfo

IMAGE_METRICS = ("fid", "kid", "pr", "dc", "classes")
POINT_METRICS = ("modes",)
#: The metric each family is ranked by when a run tracks its best checkpoint (lower is better).
PRIMARY = {"fid": "fid", "kid": "kid", "modes": "modes_missed"}
#: Where the primary metric ties (whole modes missed often do), this metric, higher better, decides.
TIEBREAK = {"modes_missed": "high_quality"}
#: The mode-coverage protocol of VEEGAN / PacGAN uses 2,500 samples.
MODE_SAMPLES = 2500


class EvaluationError(GanzooError):
    """Evaluation that cannot be done as asked."""


@dataclass(frozen=True)
class MetricRecord:
    """One number and everything needed to reproduce it."""

    name: str  # pinned, e.g. "fid[lenet-mnist@1a2b3c4d]" or "modes_covered[ring-8]"
    metric: str  # the bare metric, e.g. "fid"
    value: float
    std: Optional[float]
    n_generated: int
    n_reference: int
    reference: str  # "<dataset>:<split>" or the mixture it was measured against
    extractor: Optional[str]
    extractor_sha256: Optional[str]
    seed: int
    higher_is_better: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Evaluation:
    """The records of one evaluation, and which one ranks checkpoints."""

    records: list[MetricRecord]
    primary: Optional[str]
    seconds: float = 0.0
    #: The metric (higher is better) that ranks checkpoints whose primary values tie, if any.
    tiebreak: Optional[str] = None
    extras: dict[str, Any] = field(default_factory=dict)

    def values(self) -> dict[str, float]:
        """``{pinned name: value}``."""
        return {record.name: record.value for record in self.records}


@torch.no_grad()
def generate(generator: nn.Module, count: int, *, seed: int, device: torch.device, batch_size: int = 500,
             num_classes: int = 0, sampler: Any = None) -> tuple[Tensor, Optional[Tensor]]:
    """``count`` samples from ``generator`` (on the CPU) with seeded inputs; balanced labels when conditional.

    ``sampler`` (an :class:`ganzoo.inputs.InputSampler`) draws the inputs;
    without one, Gaussian noise of the generator's ``latent_dim``. The second
    value is what each sample was asked to be: its class label when
    conditional, else the first categorical code of an InfoGAN-style sampler
    (which the request counts up, sample ``i`` getting ``i % K``), else None.
    The inputs come from their own ``torch.Generator``, so evaluation never
    touches the global RNG (training stays bit-exact when it evaluates).
    """
    from ganzoo.inputs import GaussianInputs, InfoGANCodes
    from ganzoo.objectives import image_of

    sampler = sampler or _gaussian_for(generator)
    noise = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % num_classes if num_classes else None
    chunks, asked = [], []
    for start in range(0, count, batch_size):
        n = min(batch_size, count - start)
        y = labels[start:start + n] if labels is not None else None
        inputs = sampler.request(n, generator=noise, labels=y)
        if isinstance(sampler, InfoGANCodes) and sampler.categorical and labels is None:
            asked.append(inputs["codes_cat"][:, 0])
        on_device = {k: (v.to(device) if v is not None else None) for k, v in inputs.items()}
        chunks.append(image_of(sampler.call(generator, on_device)).float().cpu())
    images = refuse_non_finite_samples(torch.cat(chunks), EvaluationError)
    return images, labels if labels is not None else (torch.cat(asked) if asked else None)


def _gaussian_for(generator: nn.Module) -> Any:
    from ganzoo.inputs import GaussianInputs
    from ganzoo.specs import DataInfo

    return GaussianInputs(DataInfo(shape=(1,)), generator)


def to_unit_range(images: Tensor, info: DataInfo) -> Tensor:
    """Images mapped from ``info.value_range`` to [-1, 1], clamped (what extractors read)."""
    low, high = info.value_range
    return ((images - low) / (high - low) * 2 - 1).clamp_(-1, 1)


@torch.no_grad()
def embed(extractor: nn.Module, images: Tensor, device: torch.device, batch_size: int = 1000) -> tuple[Tensor, Optional[Tensor]]:
    """(features, logits or None) of images in [-1, 1], on the CPU."""
    features, logits = [], []
    has_logits = hasattr(extractor, "logits") and hasattr(extractor, "head")
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size].to(device)
        f = extractor.features(batch)
        features.append(f.float().cpu())
        if has_logits:
            logits.append(extractor.head(f).float().cpu())
    return torch.cat(features), (torch.cat(logits) if has_logits else None)


def choose_metrics(requested: Optional[Sequence[str]], info: DataInfo, has_mixture: bool) -> list[str]:
    """The metric families to compute: the requested ones, checked, or every applicable one."""
    applicable = list(POINT_METRICS) if info.modality == "points" else list(IMAGE_METRICS)
    if info.modality == "points" and not has_mixture:
        applicable = []
    if not requested:
        if not applicable:
            raise EvaluationError(
                "there is nothing to evaluate for this dataset",
                "image metrics need images; mode coverage needs a Gaussian-mixture dataset (ring-8, grid-25)",
                "evaluate a model trained on an image dataset or a mixture benchmark",
            )
        return applicable
    import difflib

    known = IMAGE_METRICS + POINT_METRICS
    chosen = []
    for name in requested:
        if name not in known:
            # Suggest a metric that applies here before one that merely looks alike.
            close = (difflib.get_close_matches(name.lower(), applicable, n=1)
                     or difflib.get_close_matches(name.lower(), known, n=1))  # fmt: skip
            raise EvaluationError(
                f"unknown metric {name!r}",
                f"ganzoo knows {', '.join(known)}; this dataset supports {', '.join(applicable) or 'none of them'}",
                f"did you mean {close[0]!r}?" if close else f"choose --metrics from {', '.join(applicable) or 'none'}",
            )
        if name not in applicable:
            raise EvaluationError(
                f"metric {name!r} does not apply here",
                f"this {info.modality} dataset supports {', '.join(applicable) or 'no metric'}",
                f"choose --metrics from {', '.join(applicable) or 'none'} (all known: {', '.join(IMAGE_METRICS + POINT_METRICS)})",
            )
        chosen.append(name)
    return chosen


def minimum_samples(families: Sequence[str]) -> int:
    """The fewest samples every one of these metric families can be computed from."""
    from ganzoo.metrics.manifold import DC_K, PR_K

    # A covariance (FID) or kernel mean (KID) needs two; k-nearest-neighbour radii need k + 1.
    needs = {"pr": PR_K + 1, "dc": DC_K + 1}
    return max([2] + [needs.get(family, 2) for family in families])


def check_sample_count(n: int, families: Sequence[str], option: str = "--n") -> None:
    """Refuse ``n`` samples, before any is generated, if a requested metric cannot use that few."""
    fewest = minimum_samples(families)
    if n < fewest:
        raise EvaluationError(
            f"{option} must be at least {fewest} for {', '.join(families)}, got {n}",
            "statistics need more than one sample, and the k-nearest-neighbour metrics (pr, dc) k + 1",
            f"use {option} 10000 (the published figures' count)" if option == "--n" else f"set {option} to 10000",
        )


def evaluate(
    generator: nn.Module,
    *,
    info: DataInfo,
    dataset: str,
    dataset_params: dict[str, Any],
    n: int = 10_000,
    metrics: Optional[Sequence[str]] = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    data_dir: Any = None,
    registry: Any = None,
    conditional: bool = False,
    reference: Any = None,
    extractor: Any = None,
    sampler: Any = None,
    networks: Optional[Mapping[str, nn.Module]] = None,
) -> Evaluation:
    """Every requested metric of ``generator`` (built for ``dataset``) on ``n`` samples.

    The reference is the dataset's held-out split (``train=False``): MNIST's
    10,000 test images, or a fresh draw of a mixture. ``reference`` may pass
    that split in, already built (the training evaluator builds it once).
    ``extractor`` replaces the dataset's registered extractor for image
    metrics: the spec of a user's Inception-v3 file
    (:func:`ganzoo.evaluation.inception.inception_spec`).
    """
    import ganzoo

    registry = registry or ganzoo.get_registry()
    device = torch.device(device)
    started = time.perf_counter()
    if getattr(sampler, "needs_examples", False):  # image-to-image: translate the test split instead
        return _translation_evaluation(generator, sampler, networks or {}, dataset, dataset_params, n, seed, device,
                                       data_dir, registry, metrics, started)  # fmt: skip
    if reference is None:
        reference = build_reference(dataset, dataset_params, data_dir, registry)
    families = choose_metrics(metrics, info, getattr(reference, "mixture_centres", None) is not None)
    check_sample_count(n, families)
    if extractor is not None and metrics and "classes" in metrics:
        raise EvaluationError(
            "the class histogram needs a classifier, and Inception-v3 features come without one",
            "--metrics classes uses the dataset's LeNet classifier's predictions",
            "drop classes from --metrics, or evaluate it without --inception",
        )
    was_training = generator.training
    generator.eval()
    try:
        if info.modality == "points":
            records = _point_metrics(generator, reference, dataset, families, n, seed, device, sampler)
        else:
            records = _image_metrics(generator, reference, dataset, families, n, seed, device, registry,
                                     info, conditional, extractor, sampler)  # fmt: skip
    finally:
        generator.train(was_training)
    # The first family's headline metric that was measured (FID before KID before modes missed).
    primary_record = next((r for metric in PRIMARY.values() for r in records if r.metric == metric), None)
    tiebreak_metric = TIEBREAK.get(primary_record.metric) if primary_record is not None else None
    tiebreak = next((r.name for r in records if r.metric == tiebreak_metric), None)
    return Evaluation(records=records, primary=primary_record.name if primary_record else None,
                      seconds=time.perf_counter() - started, tiebreak=tiebreak)  # fmt: skip


def _translation_evaluation(generator: nn.Module, sampler: Any, networks: Mapping[str, nn.Module], dataset: str,
                            params: dict[str, Any], n: int, seed: int, device: torch.device, data_dir: Any,
                            registry: Any, metrics: Optional[Sequence[str]], started: float) -> Evaluation:  # fmt: skip
    from ganzoo.evaluation.translation import translation_metrics

    if metrics:
        raise EvaluationError("--metrics does not apply to image-to-image models",
                              "they are evaluated by L1, PSNR, SSIM and FID against targets, or FID and content "
                              "preservation across domains, all at once", "drop --metrics")  # fmt: skip

    def record(name: str, metric: str, value: Any, *, n: int, extractor: Any = None, higher: bool = False,
               reference: str = f"{dataset}:test") -> MetricRecord:  # fmt: skip
        return MetricRecord(name=name, metric=metric, value=float(value), std=None, n_generated=n, n_reference=n,
                            reference=reference, extractor=extractor.name if extractor else None,
                            extractor_sha256=extractor.sha256 if extractor else None, seed=seed,
                            higher_is_better=higher)  # fmt: skip

    records = translation_metrics(generator, sampler=sampler, networks=networks, dataset=dataset, dataset_params=params,
                                  n=n, seed=seed, device=device, data_dir=data_dir, registry=registry, record=record)  # fmt: skip
    primary = next((r.name for r in records if r.metric == "fid"), None)
    return Evaluation(records=records, primary=primary, seconds=time.perf_counter() - started)


def build_reference(dataset: str, params: dict[str, Any], data_dir: Any = None, registry: Any = None) -> Any:
    """The held-out split of ``dataset`` (never downloaded here)."""
    import ganzoo
    from ganzoo.data import resolve_data_root

    spec = (registry or ganzoo.get_registry()).get("dataset", dataset)
    return spec.build(resolve_data_root(data_dir), train=False, download=False, **params)


def _point_metrics(generator: nn.Module, reference: Any, dataset: str, families: list[str], n: int, seed: int,
                   device: torch.device, sampler: Any = None) -> list[MetricRecord]:
    from ganzoo.metrics.modes import mode_coverage

    count = min(n, MODE_SAMPLES)
    samples, _ = generate(generator, count, seed=seed, device=device, sampler=sampler)
    coverage = mode_coverage(samples, reference.mixture_centres, reference.mixture_std)
    common = dict(std=None, n_generated=count, n_reference=0, reference=f"{dataset}:mixture", extractor=None,
                  extractor_sha256=None, seed=seed)  # fmt: skip
    return [
        MetricRecord(name=f"modes_covered[{dataset}]", metric="modes_covered", value=float(coverage.modes_covered),
                     higher_is_better=True, **common),
        MetricRecord(name=f"modes_missed[{dataset}]", metric="modes_missed",
                     value=float(coverage.modes_total - coverage.modes_covered), **common),
        MetricRecord(name=f"high_quality[{dataset}]", metric="high_quality", value=coverage.high_quality_fraction,
                     higher_is_better=True, **common),
    ]  # fmt: skip


def _image_metrics(generator: nn.Module, reference: Any, dataset: str, families: list[str], n: int, seed: int,
                   device: torch.device, registry: Any, info: DataInfo, conditional: bool,
                   user_extractor: Any = None, sampler: Any = None) -> list[MetricRecord]:
    from ganzoo.evaluation import extractors
    from ganzoo.metrics import classes, frechet, kernel, manifold

    if user_extractor is not None:
        from ganzoo.evaluation import inception

        spec, batch_size = user_extractor, inception.BATCH_SIZE
        extractor = inception.load_inception(spec, device)
    else:
        spec, batch_size = extractors.extractor_for_dataset(dataset, registry), 1000
        extractor = extractors.load_extractor(spec, device)
    real_images = to_unit_range(reference.batch(torch.arange(min(n, len(reference))))[0], reference.info)
    real_features, real_logits = embed(extractor, real_images, device, batch_size)
    fake, labels = generate(generator, n, seed=seed, device=device, num_classes=info.num_classes if conditional else 0,
                            sampler=sampler)  # fmt: skip
    fake_features, fake_logits = embed(extractor, to_unit_range(fake, info), device, batch_size)

    def record(metric: str, value: float, std: Optional[float] = None, higher: bool = False) -> MetricRecord:
        return MetricRecord(name=extractors.metric_name(metric, spec), metric=metric, value=float(value), std=std,
                            n_generated=len(fake_features), n_reference=len(real_features),
                            reference=f"{dataset}:test", extractor=spec.name, extractor_sha256=spec.sha256, seed=seed,
                            higher_is_better=higher)  # fmt: skip

    records: list[MetricRecord] = []
    if "fid" in families:
        records.append(record("fid", frechet.fid_from_features(real_features, fake_features)))
    if "kid" in families:
        mean, std = kernel.kid(real_features, fake_features, generator=torch.Generator().manual_seed(seed))
        records.append(record("kid", mean, std))
    if "pr" in families:
        pr = manifold.precision_recall(real_features, fake_features)
        records += [record("precision", pr.precision, higher=True), record("recall", pr.recall, higher=True)]
    if "dc" in families:
        dc = manifold.density_coverage(real_features, fake_features)
        records += [record("density", dc.density, higher=True), record("coverage", dc.coverage, higher=True)]
    if "classes" in families and fake_logits is not None:
        histogram = classes.class_histogram(fake_logits, num_classes=spec.num_classes,
                                            reference=real_logits.argmax(1) if real_logits is not None else None)
        records += [record("classes_covered", histogram.classes_covered, higher=True),
                    record("class_kl_uniform", histogram.kl_to_uniform),
                    record("class_confidence", histogram.mean_confidence, higher=True)]  # fmt: skip
        if labels is not None and conditional:
            agreement = (fake_logits.argmax(1) == labels).double().mean()
            records.append(record("class_agreement", float(agreement), higher=True))
        elif labels is not None:  # an unsupervised categorical code: agreement once each value is mapped to a class
            records.append(record("code_agreement", classes.code_agreement(labels, fake_logits.argmax(1)), higher=True))
    return records
