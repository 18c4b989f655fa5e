"""FastDropout behaves as nn.Dropout: same distribution, eval identity, gradients through kept units."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.specs import DataInfo
from ganzoo.zoo.layers import FastDropout
from ganzoo.zoo.mlp import MLPDiscriminator, MLPGenerator

POINTS = DataInfo(shape=(2,), modality="points")


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5])
def test_units_are_kept_with_probability_one_minus_p_and_scaled(p):
    torch.manual_seed(0)
    x = torch.ones(256, 1024)
    out = FastDropout(p).train()(x)
    kept = out != 0
    assert kept.float().mean().item() == pytest.approx(1 - p, abs=0.005)
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / (1 - p)))
    assert out.mean().item() == pytest.approx(1.0, abs=0.01)  # unbiased, like nn.Dropout


def test_eval_mode_and_p_zero_are_the_identity_and_p_one_drops_all():
    x = torch.randn(8, 16)
    assert FastDropout(0.3).eval()(x) is x and FastDropout(0.0).train()(x) is x
    assert not FastDropout(1.0).train()(x).any()


def test_gradient_flows_through_kept_units_only_and_it_is_an_nn_dropout():
    torch.manual_seed(1)
    x = torch.randn(32, 64, requires_grad=True)
    layer = FastDropout(0.4).train()
    out = layer(x)
    out.sum().backward()
    assert torch.equal(x.grad != 0, out != 0)
    assert isinstance(layer, nn.Dropout) and layer.state_dict() == {}


def test_bf16_inputs_keep_the_exact_fraction():
    torch.manual_seed(0)
    out = FastDropout(0.3).train()(torch.ones(2048, 1024, dtype=torch.bfloat16))
    assert out.dtype == torch.bfloat16
    assert (out != 0).float().mean().item() == pytest.approx(0.7, abs=0.001)


def test_cpu_masks_use_p_rounded_to_sixteen_bits_and_stay_unbiased():
    torch.manual_seed(0)
    p = 0.3
    out = FastDropout(p).train()(torch.ones(512, 1024))
    dropped_lanes = round(p * 2**16)  # 19661
    kept_values = out[out != 0]
    # The scale is that of the rounded p, so E[out] = x exactly.
    assert torch.all(kept_values == 2**16 / (2**16 - dropped_lanes))
    assert kept_values.numel() / out.numel() == pytest.approx(1 - dropped_lanes / 2**16, abs=0.003)


def test_neighbouring_units_are_dropped_independently():
    # Four units share one 64-bit draw; their masks must still be independent.
    torch.manual_seed(3)
    kept = (FastDropout(0.5).train()(torch.ones(200_000, 4)) != 0).float()
    for a in range(4):
        for b in range(a + 1, 4):
            assert (kept[:, a] * kept[:, b]).mean().item() == pytest.approx(0.25, abs=0.005)


def test_masks_follow_the_global_seed_and_odd_sizes_work():
    layer = FastDropout(0.3).train()
    x = torch.ones(3, 5, 7)  # 105 units: not a multiple of the four lanes per draw
    torch.manual_seed(11)
    first = layer(x)
    torch.manual_seed(11)
    assert torch.equal(layer(x), first)
    assert not torch.equal(layer(x), first)  # a new draw without reseeding
    assert first.shape == x.shape


def test_p_too_small_to_represent_drops_nothing():
    x = torch.ones(64, 64)
    assert torch.equal(FastDropout(1e-6).train()(x), x)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_inplace_gives_the_same_result_in_the_input(dtype):
    x = torch.randn(64, 256).to(dtype)
    torch.manual_seed(5)
    expected = FastDropout(0.3).train()(x)
    y = x.clone()
    torch.manual_seed(5)
    out = FastDropout(0.3, inplace=True).train()(y)
    assert out is y and torch.equal(y, expected)


def test_bf16_products_are_rounded_once_not_the_scale():
    # Rounding 1/0.7 to bf16 (1.4297) would scale every kept unit 0.08 % too much.
    torch.manual_seed(0)
    x = (torch.rand(1024, 1024) + 0.5).bfloat16()
    out = FastDropout(0.3).train()(x)
    kept = out != 0
    ratio = (out[kept].float() / x[kept].float()).mean().item()
    assert ratio == pytest.approx(2**16 / (2**16 - round(0.3 * 2**16)), abs=1e-4)


def test_p_within_half_a_lane_of_one_drops_everything():
    assert not FastDropout(1 - 1e-7).train()(torch.ones(64, 64)).any()


@pytest.mark.parametrize("kwargs", [{"latent_dim": 0}, {"hidden": (8, 0)}], ids=["latent_dim", "hidden"])
def test_mlp_generator_layer_sizes_must_be_positive(kwargs):
    # Zero-width layers used to build and train silently, learning nothing.
    with pytest.raises(ValueError, match="must be a positive integer"):
        MLPGenerator(POINTS, **kwargs)


def test_mlp_discriminator_layer_sizes_must_be_positive():
    with pytest.raises(ValueError, match=r"hidden\[0\] must be a positive integer, got -1"):
        MLPDiscriminator(POINTS, hidden=(-1,))
