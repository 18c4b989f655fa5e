"""Loading a registered feature extractor, refusing any weights file whose sha256 differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganzoo.errors import GanzooError
from ganzoo.artifacts.store import resolve_store_file
from ganzoo.artifacts.weights import load_state_strictly, load_weights, sha256_file


class ExtractorError(GanzooError):
    """A feature extractor that is missing, altered, or unsuitable for the data."""


def metric_name(metric: str, spec: Any) -> str:
    """The pinned name of a metric in an extractor's feature space, e.g. ``fid[lenet-mnist@1a2b3c4d]``."""
    return f"{metric}[{spec.name}@{spec.short_hash}]"


def extractor_for_dataset(dataset: str, registry: Any = None) -> Any:
    """The first registered extractor (by name) trained for ``dataset``, or a clear error."""
    import ganzoo

    registry = registry or ganzoo.get_registry()
    matches = [entry.spec for entry in registry.list("extractor") if dataset in entry.spec.datasets]
    if not matches:
        known = sorted({d for entry in registry.list("extractor") for d in entry.spec.datasets})
        raise ExtractorError(
            f"no feature extractor is registered for dataset {dataset!r}",
            f"image metrics need features learned on the same kind of images; extractors exist for {', '.join(known) or 'no dataset'}",
            "install a plugin that provides one (ganzoo_feature_extractors), or evaluate on Inception-v3 features "
            "with ganzoo eval --inception FILE",
        )
    return sorted(matches, key=lambda spec: spec.name)[0]


def weights_path(spec: Any) -> Path:
    """Where the extractor's weights file is expected."""
    return resolve_store_file(spec.weights)


def load_extractor(spec: Any, device: torch.device | str = "cpu") -> nn.Module:
    """The extractor network with its checked weights, in eval mode on ``device``."""
    path = weights_path(spec)
    key = (spec.name, spec.sha256, str(path), str(device))
    if key not in _LOADED:
        _LOADED[key] = _load(spec, path).to(device)
    return _LOADED[key]


#: Checked extractors by (name, sha256, path, device): hashing a file once per process is enough.
_LOADED: dict[tuple[str, str, str, str], nn.Module] = {}


def _load(spec: Any, path: Path) -> nn.Module:
    if not path.is_file():
        raise ExtractorError(
            f"the weights of feature extractor {spec.name!r} are missing",
            f"expected {path}",
            "reinstall ganzoo (its model_cards/ hold the shipped extractors) or set $GANZOO_MODEL_PATH",
        )
    actual = sha256_file(path)
    if actual != spec.sha256:
        raise ExtractorError(
            f"the weights file of feature extractor {spec.name!r} has the wrong sha256",
            f"{path} hashes to {actual}, but the extractor is pinned to {spec.sha256}: "
            "numbers computed with it would not be comparable",
            "restore the original file (reinstall ganzoo or the plugin that provides it)",
        )
    tensors, _ = load_weights(path)
    with torch.random.fork_rng(devices=[]):  # building initialises weights: keep the caller's RNG untouched
        model = spec.build(**dict(spec.defaults))
    load_state_strictly(model, tensors, f"extractor {spec.name!r}", path)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.eval()
