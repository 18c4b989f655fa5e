"""The class histogram of generated samples, as a classifier sees it.

A class counts as *covered* when it receives at least ``min_share`` (default
10 %) of the uniform share 1/C of the samples: with 10 classes, 1 % of them.
This catches dropped classes (mode collapse onto a few digits) without being
fooled by a handful of stray predictions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor


@dataclass(frozen=True)
class ClassHistogram:
    counts: tuple[int, ...]
    classes_covered: int
    kl_to_uniform: float  # KL(p_generated || uniform), 0 when balanced, log C when one class
    kl_to_reference: Optional[float]  # KL(p_generated || p_reference), when a reference is given
    mean_confidence: float  # mean max-softmax probability (a sharpness measure, not the Inception Score)


def _kl(p: Tensor, q: Tensor) -> float:
    mask = p > 0
    return float((p[mask] * (p[mask] / q[mask].clamp_min(1e-12)).log()).sum())


def class_histogram(logits: Tensor, num_classes: int, reference: Optional[Tensor] = None,
                    min_share: float = 0.1) -> ClassHistogram:
    """Histogram statistics of predicted classes.

    ``logits`` are (N, C) classifier scores, or (N,) predicted labels already.
    ``reference`` are the labels (or predictions) of real samples.
    """
    if logits.dim() == 2:
        probabilities = logits.double().softmax(dim=1)
        predicted = probabilities.argmax(dim=1)
        confidence = float(probabilities.max(dim=1).values.mean())
    else:
        predicted, confidence = logits.long(), math.nan
    counts = torch.bincount(predicted, minlength=num_classes).double()
    p = counts / counts.sum()
    uniform = torch.full_like(p, 1.0 / num_classes)
    covered = int((p >= min_share / num_classes).sum())
    kl_reference = None
    if reference is not None:
        ref = torch.bincount(reference.long(), minlength=num_classes).double()
        kl_reference = _kl(p, ref / ref.sum())
    return ClassHistogram(counts=tuple(int(c) for c in counts), classes_covered=covered, kl_to_uniform=_kl(p, uniform),
                          kl_to_reference=kl_reference, mean_confidence=confidence)  # fmt: skip
