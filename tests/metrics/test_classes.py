"""The class histogram of generated samples: counts, classes covered, KL, confidence."""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.metrics.classes import class_histogram


def test_class_histogram_of_one_class_and_of_a_uniform_spread():
    one = class_histogram(torch.full((100,), 3), num_classes=10)
    assert one.classes_covered == 1 and one.kl_to_uniform == pytest.approx(math.log(10))
    uniform = class_histogram(torch.arange(1000) % 10, num_classes=10)
    assert uniform.classes_covered == 10 and uniform.kl_to_uniform == pytest.approx(0.0, abs=1e-12)
    assert class_histogram(torch.arange(1000) % 10, 10, reference=torch.arange(10)).kl_to_reference == pytest.approx(0.0)


def test_a_class_needs_a_tenth_of_its_fair_share_to_count_as_covered():
    labels = torch.cat([torch.arange(990) % 9, torch.full((10,), 9)])  # class 9: 1.0 % of samples
    assert class_histogram(labels, 10).classes_covered == 10
    labels = torch.cat([torch.arange(995) % 9, torch.full((5,), 9)])  # class 9: 0.5 %
    assert class_histogram(labels, 10).classes_covered == 9


def test_class_confidence_comes_from_softmax_logits():
    sharp = torch.eye(10).repeat(10, 1) * 50
    flat = torch.zeros(100, 10)
    assert class_histogram(sharp, 10).mean_confidence == pytest.approx(1.0)
    assert class_histogram(flat, 10).mean_confidence == pytest.approx(0.1)
