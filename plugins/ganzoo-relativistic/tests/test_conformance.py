"""The plugin's own tests, written with ganzoo's conformance kit."""

from __future__ import annotations

import torch

import ganzoo
import ganzoo.testing as gt


def test_everything_the_plugin_registers_conforms(tmp_path):
    data = gt.make_tiny_mnist(tmp_path / "data")
    checked = gt.check_distribution("ganzoo-relativistic", data_root=data, recipe_overrides={
        "generator.width": 32, "discriminator.hidden": [32]})  # fmt: skip
    assert set(checked) == {"loss:relativistic-average", "generator:resnet-mlp-g", "recipe:ragan-mnist"}


def test_the_generator_loss_depends_on_real_scores():
    loss = ganzoo.get_registry().get("loss", "relativistic-average").build()
    D = torch.nn.Linear(4, 1)
    scores = lambda x, labels=None: D(x).squeeze(1)  # noqa: E731
    fake = torch.randn(8, 4)
    a = loss.generator_loss(scores, torch.randn(8, 4), fake, None).loss
    b = loss.generator_loss(scores, torch.randn(8, 4) + 3, fake, None).loss
    assert not torch.isclose(a, b), "RaSGAN's generator loss must see the real batch"


def test_the_relativistic_losses_have_their_closed_form_at_equal_scores():
    loss = ganzoo.get_registry().get("loss", "relativistic-average").build()
    same = torch.zeros(16)
    # Real and fake scores equal: each term is BCE(0 logit, target) = log 2.
    assert torch.isclose(loss.d_objective(same, same), torch.tensor(2 * 0.6931471805599453))
