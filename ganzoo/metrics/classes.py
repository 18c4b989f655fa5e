"""The class histogram of generated samples, as a classifier sees it.

For labelled datasets: feed the generated samples' classifier logits (or
predicted labels) and get

* ``counts``: how many samples fall in each class;
* ``classes_covered``: classes that receive at least ``min_share`` (default
  10 %) of their uniform share 1/C of the samples, i.e. count × C ≥
  min_share × N; with 10 classes and 10,000 samples a class needs 100. This
  catches dropped classes (mode collapse onto a few digits) without being
  fooled by a handful of stray predictions, and scales with N, unlike a fixed
  count;
* ``kl_to_uniform``: KL(p ‖ uniform) = log C - H(p) in nats: 0 when balanced,
  log C when every sample lands in one class;
* ``kl_to_reference``: KL(p ‖ q) against the histogram q of a reference set
  (e.g. the classifier's predictions on real test images), when one is given.
  It is ``math.inf`` when p puts mass on a class q never has, which is what
  the divergence is, rather than a number produced by an arbitrary floor;
* ``mean_confidence``: the mean max-softmax probability (from logits only):
  how sharply the classifier recognises the samples. It is the sharpness half
  of the Inception Score's idea, but not the Inception Score, and it is named
  so that nobody compares it with one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional

import torch
from torch import Tensor

#: A class is covered when it receives at least this fraction of its uniform share 1/C.
COVERED_MIN_SHARE = 0.1


@dataclass(frozen=True)
class ClassHistogram:
    counts: tuple[int, ...]  # samples per predicted class, length C
    classes_covered: int  # classes with count × C ≥ min_share × N
    kl_to_uniform: float  # KL(p_generated ‖ uniform) in nats: 0 when balanced, log C for one class
    kl_to_reference: Optional[float]  # KL(p_generated ‖ p_reference) in nats, when a reference is given
    mean_confidence: Optional[float]  # mean max-softmax probability; None when labels were given
    min_share: float  # the coverage threshold used, as a fraction of 1/C

    @property
    def samples(self) -> int:
        return sum(self.counts)

    def to_json(self) -> dict:
        return asdict(self)


def _labels(scores: Tensor, num_classes: int, what: str) -> tuple[Tensor, Optional[float]]:
    """(labels (N,), mean max-softmax or None) from logits (N, C) or integer labels (N,)."""
    if scores.dim() == 2:
        if scores.shape[1] != num_classes:
            raise ValueError(f"{what}: logits have {scores.shape[1]} classes, expected {num_classes}")
        if not bool(torch.isfinite(scores).all()):
            raise ValueError(f"{what}: logits have NaN or infinite entries")
        probabilities = scores.detach().to(torch.float64).softmax(dim=1)
        top = probabilities.max(dim=1)
        return top.indices.cpu(), (float(top.values.mean()) if len(scores) else None)
    if scores.dim() != 1 or scores.is_floating_point() or scores.is_complex():
        raise ValueError(f"{what}: expected logits (N, C) or integer labels (N,), got {scores.dtype} "
                         f"{tuple(scores.shape)}")  # fmt: skip
    labels = scores.detach().long().cpu()
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"{what}: labels must lie in [0, {num_classes}), got {int(labels.min())}..{int(labels.max())}")
    return labels, None


def _kl(p: Tensor, q: Tensor) -> float:
    """KL(p ‖ q) in nats; 0·log(0/q) = 0, and p > 0 where q = 0 gives inf."""
    mask = p > 0
    if bool((q[mask] == 0).any()):
        return math.inf
    return float((p[mask] * (p[mask] / q[mask]).log()).sum())


def class_histogram(logits: Tensor, num_classes: int, reference: Optional[Tensor] = None,
                    min_share: float = COVERED_MIN_SHARE) -> ClassHistogram:
    """Histogram statistics of the classes a classifier predicts for generated samples.

    ``logits``: (N, C) classifier scores of the generated samples (softmax is
    applied here), or (N,) integer labels already predicted. ``reference``:
    the same for a reference set (labels or logits of real samples), whose
    histogram the KL is taken against. Raises ``ValueError`` for no samples,
    a class count other than ``num_classes`` or labels out of range.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    labels, confidence = _labels(logits, num_classes, "generated")
    if len(labels) == 0:
        raise ValueError("generated: no samples")
    counts = torch.bincount(labels, minlength=num_classes)
    p = counts.double() / len(labels)
    # count × C ≥ share × N, with a relative tolerance so that exactly 10 % of the share counts.
    covered = int((counts.double() * num_classes >= min_share * len(labels) * (1 - 1e-12)).sum())
    kl_reference = None
    if reference is not None:
        reference_labels, _ = _labels(reference, num_classes, "reference")
        if len(reference_labels) == 0:
            raise ValueError("reference: no samples")
        q = torch.bincount(reference_labels, minlength=num_classes).double() / len(reference_labels)
        kl_reference = _kl(p, q)
    return ClassHistogram(counts=tuple(int(c) for c in counts), classes_covered=covered,
                          kl_to_uniform=_kl(p, torch.full_like(p, 1.0 / num_classes)), kl_to_reference=kl_reference,
                          mean_confidence=confidence, min_share=min_share)  # fmt: skip


def code_agreement(codes: Tensor, predicted: Tensor) -> float:
    """How often a classifier agrees with an unsupervised categorical code, once each code value is mapped.

    Each value of the code (InfoGAN's ``c0``) is mapped to the class the
    classifier predicts most often for it; the result is the fraction of
    samples whose prediction is their code's class. Several code values may
    map to one class (a code that split one digit in two is not punished, one
    that merged two digits is), as in the InfoGAN paper's error rate.
    """
    codes, predicted = codes.long().flatten(), predicted.long().flatten()
    if codes.shape != predicted.shape or not len(codes):
        raise ValueError(f"need one prediction per code, got {tuple(codes.shape)} and {tuple(predicted.shape)}")
    agreeing = 0
    for value in codes.unique():
        chosen = predicted[codes == value]
        agreeing += int(torch.bincount(chosen).max())
    return agreeing / len(codes)
