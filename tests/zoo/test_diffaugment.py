"""DiffAugment and its adaptive variant: differentiable, per sample, in front of every discriminator, checkpointed."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from conftest import assert_same
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.specs import DataInfo
from ganzoo.zoo.diffaugment import AdaptiveDiffAugment, DiffAugment, cutout, parse_policy, translation

IMAGES = DataInfo(shape=(1, 8, 8))
TINY = {"generator.hidden": [16], "discriminator.hidden": [16], "train.batch_size": 16, "train.log_every": 1,
        "train.device": "cpu", "train.checkpoint_every": 2}  # fmt: skip


def test_translation_shifts_each_sample_by_whole_pixels_and_fills_the_border():
    x = torch.zeros(64, 1, 8, 8)
    x[:, :, 3:5, 3:5] = 1.0
    torch.manual_seed(0)
    moved = translation(x, -1.0)
    assert moved.shape == x.shape
    assert torch.all((moved == 1).flatten(1).sum(1) <= 4)  # the square moves, it is never stretched
    positions = {tuple(torch.nonzero(m[0] == 1)[0].tolist()) for m in moved if (m == 1).any()}
    assert len(positions) > 5  # each sample has a shift of its own
    assert (moved == -1).any()  # the uncovered border takes the background value


def test_cutout_blanks_a_half_size_square_at_most():
    torch.manual_seed(0)
    out = cutout(torch.ones(32, 1, 8, 8), -1.0)
    blanked = (out == -1).flatten(1).sum(1)
    assert blanked.max() <= 16 and blanked.min() >= 4 and len(set(blanked.tolist())) > 1


def test_diffaugment_is_differentiable_and_draws_new_transforms_per_call():
    augment = DiffAugment(IMAGES)
    x = torch.rand(4, 1, 8, 8, requires_grad=True)
    a, b = augment(x), augment(x)
    assert not torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="unknown: flip"):
        parse_policy("color,flip")
    with pytest.raises(ValueError, match="transforms images"):
        DiffAugment(DataInfo(shape=(2,), modality="points"))


def test_adaptive_p_rises_while_d_is_overconfident_on_reals_and_falls_after():
    augment = AdaptiveDiffAugment(IMAGES, target=0.6, interval=2, speed_kimg=0.1)
    for _ in range(4):  # D says "real" to every real sample: overfitting by ADA's heuristic
        augment.observe(torch.ones(50))
        augment.update(50)
    high = float(augment.p)
    assert high == pytest.approx(0.2 * 2 / 2 * 1, abs=1e-6) or high > 0  # two adjustments of 100/100 images
    for _ in range(4):
        augment.observe(-torch.ones(50))
        augment.update(50)
    assert float(augment.p) < high
    assert 0.0 <= float(augment.p) <= 1.0
    x = torch.rand(8, 1, 8, 8)
    assert torch.equal(AdaptiveDiffAugment(IMAGES, initial_p=0.0)(x), x)  # p = 0 leaves images as they are


def test_train_augment_puts_the_augmentation_in_front_of_d_and_resumes_bit_exactly(tmp_path, tiny_mnist_root):
    over = {**TINY, "train.augment": "adaptive-diffaugment", "augment.interval": 1, "augment.speed_kimg": 0.5}
    whole = ganzoo.train("vanilla-mnist", steps=4, out=tmp_path / "whole", data_dir=tiny_mnist_root, quiet=True,
                         overrides=over)  # fmt: skip
    assert 0.0 < whole.last_stats["augment_p"] <= 1.0  # a fresh D is confident on reals: p rose
    ganzoo.train("vanilla-mnist", steps=2, out=tmp_path / "part", data_dir=tiny_mnist_root, quiet=True, overrides=over)
    ganzoo.train(resume=tmp_path / "part", steps=4, quiet=True, data_dir=tiny_mnist_root)
    a, b = (ckpt.load_checkpoint(tmp_path / name / "checkpoint.pt") for name in ("whole", "part"))
    for part in ("generator", "discriminator", "augment", "opt_d"):
        assert_same(a[part], b[part], part)


def test_augmentation_parameters_need_an_augmentation(tmp_path, tiny_mnist_root):
    with pytest.raises(ganzoo.ConfigError, match="augment.policy was set, but the run has no augmentation"):
        ganzoo.train("vanilla-mnist", steps=1, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                     overrides={**TINY, "augment.policy": "color"})  # fmt: skip
    with pytest.raises(ganzoo.UnknownNameError, match="unknown augment 'difaugment'"):
        ganzoo.train("vanilla-mnist", steps=1, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                     overrides={**TINY, "train.augment": "difaugment"})  # fmt: skip


def test_the_training_set_can_be_limited_and_the_test_split_stays_whole(tiny_mnist_root):
    spec = ganzoo.get_registry().get("dataset", "fashion-mnist")
    limited = spec.build(tiny_mnist_root, train=True, download=False, train_limit=100)
    full = spec.build(tiny_mnist_root, train=True, download=False)
    assert len(limited) == 100 and torch.equal(limited.x, full.x[:100])
    assert len(spec.build(tiny_mnist_root, train=False, download=False, train_limit=100)) == 128
    with pytest.raises(ValueError, match="train_limit"):
        spec.build(tiny_mnist_root, train=True, download=False, train_limit=-1)
