"""The evaluator the training engine calls every ``train.eval_every`` steps.

It reuses :func:`ganzoo.evaluation.evaluate.evaluate` with a fixed seed, so
successive evaluations of one run differ only by the generator's weights, and
it never touches the training RNG (the engine's bit-exact resume holds).
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from ganzoo.evaluation.evaluate import build_reference, check_sample_count, choose_metrics, evaluate
from ganzoo.specs import DataInfo

#: Cheap families only: the class histogram and manifold metrics add little during training.
TRAINING_METRICS = {"image": ["fid", "kid"], "points": ["modes"]}


def build_training_evaluator(config: dict[str, Any], info: DataInfo, device: torch.device,
                             registry: Any = None, data_dir: Any = None,
                             sampler: Any = None) -> Callable[[nn.Module], dict[str, Any]]:
    """A callable ``generator -> {pinned metric name: value, ..., "primary": name to minimise}``.

    For 2-D mixtures it adds ``"tiebreak"``: the metric, higher better, that ranks
    checkpoints missing equally many modes.
    """
    import ganzoo

    registry = registry or ganzoo.get_registry()
    train = config["train"]
    dataset, params = config["dataset"]["name"], config["dataset"]["params"]
    conditional = bool(getattr(registry.get("generator", config["generator"]["name"]), "conditional", False))
    families = TRAINING_METRICS[info.modality]
    seed = int(train.get("seed", 0))
    n = int(train.get("eval_samples", 10_000))

    # Fail before training starts (missing extractor, no reference data), not at the first evaluation.
    reference = build_reference(dataset, params, data_dir, registry)
    choose_metrics(families, info, has_mixture=getattr(reference, "mixture_centres", None) is not None)
    check_sample_count(n, families, option="train.eval_samples")
    if info.modality == "image":
        from ganzoo.evaluation.extractors import extractor_for_dataset, load_extractor

        load_extractor(extractor_for_dataset(dataset, registry), device)

    def evaluator(generator: nn.Module) -> dict[str, Any]:
        result = evaluate(generator, info=info, dataset=dataset, dataset_params=params, n=n, metrics=families,
                          seed=seed, device=device, registry=registry, conditional=conditional, reference=reference,
                          sampler=sampler)  # fmt: skip
        scores: dict[str, Any] = dict(result.values())
        scores["primary"] = result.primary
        if result.tiebreak:
            scores["tiebreak"] = result.tiebreak
        return scores

    return evaluator
