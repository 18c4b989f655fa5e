"""Evaluating image-to-image models on held-out data: how close to the targets, how much like the target domain.

Paired data (a ``source`` field beside the target ``image``): the test
split's sources are translated and compared with their targets -- L1, PSNR
and SSIM in [0, 1] (:mod:`ganzoo.metrics.pairwise`) -- and the translations'
FID against the targets in the dataset's extractor's feature space.

Unpaired data (a dataset whose spec names its two ``domains``): each
domain's test split is translated into the other (``a2b`` by G, ``b2a`` by
the network ``G_ba`` when there is one) and judged with the *target* domain's
extractor: the FID of the translations against the target domain's test
images, and content preservation -- the share of translations that the target
domain's classifier assigns to their source's class.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

import torch
from torch import Tensor, nn

from ganzoo.errors import GanzooError

#: Translations are made this many at a time.
BATCH = 500


def translate(network: nn.Module, sampler: Any, sources: Tensor, device: torch.device) -> Tensor:
    """``sources`` through ``network`` (the sampler's calling convention), on the CPU, in batches."""
    from ganzoo.objectives import image_of

    was = network.training
    network.eval()
    try:
        with torch.no_grad():
            return torch.cat([image_of(sampler.call(network, {"source": sources[i:i + BATCH].to(device)})).float().cpu()
                              for i in range(0, len(sources), BATCH)])  # fmt: skip
    finally:
        network.train(was)


def _unit(images: Tensor, value_range: tuple[float, float]) -> Tensor:
    low, high = value_range
    return ((images - low) / (high - low)).clamp(0, 1)


def translation_metrics(generator: nn.Module, *, sampler: Any, networks: Mapping[str, nn.Module], dataset: str,
                        dataset_params: Mapping[str, Any], n: int, seed: int, device: torch.device, data_dir: Any,
                        registry: Any, record: Callable[..., Any]) -> list[Any]:  # fmt: skip
    """The metric records of an image-to-image model (see the module docstring); ``record`` makes one."""
    from ganzoo.data import resolve_data_root

    spec = registry.get("dataset", dataset)
    root = resolve_data_root(data_dir)
    params = {key: value for key, value in dataset_params.items() if key != "domain"}
    if spec.domains:
        records = []
        directions = [("a2b", "a", 1, generator)] + ([("b2a", "b", 0, networks["G_ba"])] if "G_ba" in networks else [])
        for direction, source_domain, target_index, network in directions:
            source = spec.build(root, train=False, download=False, domain=source_domain, **params)
            target = spec.build(root, train=False, download=False, domain="ab"[target_index], **params)
            records += _unpaired(direction, network, sampler, source, target, spec.domains[target_index], n, seed,
                                 device, registry, record)  # fmt: skip
        return records
    test = spec.build(root, train=False, download=False, **params)
    field = getattr(sampler, "field", "source")
    if field not in test.info.fields:
        raise GanzooError(f"dataset {dataset!r} pairs no {field!r} field with its images",
                          "a paired image-to-image model is evaluated against the targets of its sources",
                          "evaluate the model on the paired dataset it was trained on")  # fmt: skip
    count = min(n, len(test))
    batch = test.batch_fields(torch.arange(count))
    outputs = translate(generator, sampler, batch[field], device)
    info = test.info
    out01, target01 = _unit(outputs, info.value_range), _unit(batch["image"], info.value_range)
    from ganzoo.metrics.pairwise import l1, psnr, ssim

    where = f"{dataset}:test"
    records = [record(f"l1[{where}]", "l1", l1(out01, target01).mean(), n=count),
               record(f"psnr[{where}]", "psnr", psnr(out01, target01).mean(), n=count, higher=True),
               record(f"ssim[{where}]", "ssim", ssim(out01, target01).mean(), n=count, higher=True)]  # fmt: skip
    extractor = _extractor(dataset, registry, device)
    if extractor is not None:
        spec_x, net = extractor
        fid, _ = _fid_and_accuracy(net, outputs, info.value_range, batch["image"], None, device)
        records.append(record(_pinned("fid", None, spec_x), "fid", fid, n=count, extractor=spec_x))
    return records


def _unpaired(direction: str, network: nn.Module, sampler: Any, source: Any, target: Any, target_dataset: str, n: int,
              seed: int, device: torch.device, registry: Any, record: Callable[..., Any]) -> list[Any]:  # fmt: skip
    count = min(n, len(source), len(target))
    translated = translate(network, sampler, source.batch(torch.arange(count))[0], device)
    references = target.batch(torch.arange(count))[0]
    extractor = _extractor(target_dataset, registry, device)
    if extractor is None:
        raise GanzooError(f"no feature extractor is registered for {target_dataset!r}, the target domain of {direction}",
                          "translations are judged in the target domain's feature space",
                          "install the plugin that provides it")  # fmt: skip
    spec_x, net = extractor
    labels = source.y[:count] if source.y is not None else None
    fid, accuracy = _fid_and_accuracy(net, translated, source.info.value_range, references, labels, device)
    records = [record(_pinned("fid", direction, spec_x), "fid", fid, n=count, extractor=spec_x,
                      reference=f"{target_dataset}:test")]  # fmt: skip
    if accuracy is not None:
        records.append(record(_pinned("content_preservation", direction, spec_x), "content_preservation", accuracy,
                              n=count, extractor=spec_x, higher=True, reference=f"{target_dataset}:test"))  # fmt: skip
    return records


def _pinned(metric: str, direction: Optional[str], spec: Any) -> str:
    """``fid[lenet-mnist@1a2b3c4d]``, or with a direction ``fid[a2b:lenet-mnist-thick@...]``."""
    return f"{metric}[{direction + ':' if direction else ''}{spec.name}@{spec.short_hash}]"


def _extractor(dataset: str, registry: Any, device: torch.device) -> Optional[tuple[Any, nn.Module]]:
    from ganzoo.evaluation.extractors import ExtractorError, extractor_for_dataset, load_extractor

    try:
        spec = extractor_for_dataset(dataset, registry)
    except ExtractorError:
        return None
    return spec, load_extractor(spec, device)


def _fid_and_accuracy(extractor: nn.Module, outputs: Tensor, value_range: tuple[float, float], references: Tensor,
                      labels: Optional[Tensor], device: torch.device) -> tuple[float, Optional[float]]:  # fmt: skip
    from ganzoo.evaluation.evaluate import embed, to_unit_range
    from ganzoo.metrics.frechet import fid_from_features
    from ganzoo.specs import DataInfo

    info = DataInfo(shape=tuple(outputs.shape[1:]), value_range=value_range)
    fake_features, fake_logits = embed(extractor, to_unit_range(outputs, info), device)
    real_features, _ = embed(extractor, to_unit_range(references, info), device)
    fid = fid_from_features(real_features, fake_features)
    accuracy = None
    if labels is not None and fake_logits is not None:
        accuracy = float((fake_logits.argmax(1) == labels).double().mean())
    return fid, accuracy
