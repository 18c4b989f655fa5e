"""FastDropout behaves as nn.Dropout: same distribution, eval identity, gradients through kept units."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.zoo.layers import FastDropout


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
