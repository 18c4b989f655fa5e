"""The plugin contract's version: 1.x plugins load, newer ones are refused naming both versions."""

from __future__ import annotations

import types

import pytest
import torch

import ganzoo
from ganzoo import hookspecs
from ganzoo.plugins import PluginRecord, create_plugin_manager


def _plugin(contract):
    module = types.ModuleType("versioned_plugin")
    if contract is not None:
        module.GANZOO_CONTRACT = contract

    @ganzoo.hookimpl
    def ganzoo_losses():
        yield ganzoo.LossSpec(name="versioned", summary="A loss.", build=ganzoo.lazy("ganzoo.zoo.gan_losses:HingeLoss"))

    module.ganzoo_losses = ganzoo_losses
    return module


@pytest.mark.parametrize("contract", [None, "1.0", "1.1", "2.0", "2", "2.1"])
def test_plugins_for_this_or_an_older_contract_load(contract):
    pm = create_plugin_manager(entry_points=False)
    record = PluginRecord("versioned", "versioned_plugin", "versioned", "1.0", "pending")
    assert pm.register_plugin(_plugin(contract), record)
    assert record.status == "loaded"


@pytest.mark.parametrize(("contract", "words"), [
    ("3.0", "it needs plugin contract 3.0, but this ganzoo provides 2.1"),
    ("2.7", "it needs plugin contract 2.7, but this ganzoo provides 2.1"),
    ("two", "must look like '2.0'"),
    (2.0, "must be a string"),
])  # fmt: skip
def test_a_plugin_needing_a_newer_contract_is_skipped_with_both_versions(contract, words):
    pm = create_plugin_manager(entry_points=False)
    record = PluginRecord("versioned", "versioned_plugin", "versioned", "1.0", "pending")
    assert not pm.register_plugin(_plugin(contract), record)
    assert record.status == "failed" and words in record.error
    from ganzoo.registry import Registry

    registry = Registry.from_plugin_manager(pm)
    assert "versioned" not in registry.names("loss")
    assert any(words in problem for problem in registry.problems)


def test_the_contract_version_is_the_documented_one():
    assert ganzoo.HOOK_CONTRACT_VERSION == hookspecs.HOOK_CONTRACT_VERSION == "2.1"
    assert hookspecs.parse_contract("2.0") == (2, 0) and hookspecs.contract_problem("1.1") is None


def test_a_plugin_builds_another_plugins_component_by_name():
    from ganzoo.specs import DataInfo

    data = DataInfo(shape=(1, 28, 28), num_classes=10)

    class Wrapper(torch.nn.Module):
        """A discriminator around any registered one: what a DiffAugment-style wrapper needed a private lookup for."""

        def __init__(self, data, inner="dcgan-d", **inner_params):
            super().__init__()
            self.inner = ganzoo.build("discriminator", inner, data, **inner_params)

        def forward(self, x, labels=None):
            return self.inner(x, labels)

    wrapped = Wrapper(data, base_channels=8)
    assert wrapped(torch.zeros(2, 1, 28, 28)).shape == (2,)
    assert wrapped.inner.net[0].out_channels == 8  # the override reached it; the rest are dcgan-d's defaults
    with pytest.raises(ganzoo.ConfigError, match="could not build discriminator 'dcgan-d'"):
        ganzoo.build("discriminator", "dcgan-d", data, base_chanels=8)
    with pytest.raises(ganzoo.UnknownNameError):
        ganzoo.build("discriminator", "no-such-d", data)
