"""Every registered component and recipe passes ganzoo.testing's conformance checks."""

from __future__ import annotations

import pytest

import ganzoo.testing as gt
from conftest import make_image_folder, make_registry

REGISTRY = make_registry()


def _ids(kind: str) -> list[str]:
    return REGISTRY.names(kind)


def data_info_for(kind: str, name: str, data_root):
    """The DataInfo of the first recipe's dataset that uses this component (else the default)."""
    for recipe in REGISTRY.list("recipe"):
        if recipe.spec.components[kind] == name:
            dataset = REGISTRY.get("dataset", recipe.spec.dataset)
            params = dict(recipe.spec.params.get("dataset", {}))
            return dataset.build(data_root, train=True, download=False, **{**dict(dataset.defaults), **params}).info
    return gt.DEFAULT_INFO


@pytest.mark.parametrize("name", _ids("generator"))
def test_generator_conforms(name, tiny_mnist_root):
    gt.check_generator(REGISTRY.get("generator", name), data_info_for("generator", name, tiny_mnist_root))


@pytest.mark.parametrize("name", _ids("discriminator"))
def test_discriminator_conforms(name, tiny_mnist_root):
    gt.check_discriminator(REGISTRY.get("discriminator", name), data_info_for("discriminator", name, tiny_mnist_root))


@pytest.mark.parametrize("name", _ids("network"))
def test_network_conforms(name):
    gt.check_network(REGISTRY.get("network", name))


@pytest.mark.parametrize("name", _ids("loss"))
def test_loss_conforms(name, tiny_mnist_root):
    gt.check_loss(REGISTRY.get("loss", name), data_root=tiny_mnist_root, registry=REGISTRY)


@pytest.mark.parametrize("name", _ids("input"))
def test_input_sampler_conforms(name):
    gt.check_input_sampler(REGISTRY.get("input", name), registry=REGISTRY)


@pytest.mark.parametrize("name", _ids("augment"))
def test_augmentation_conforms(name):
    gt.check_augment(REGISTRY.get("augment", name))


@pytest.mark.parametrize("name", _ids("dataset"))
def test_dataset_conforms(name, tiny_mnist_root, tmp_path):
    params = {}
    if name == "image-folder":
        params = {"path": str(make_image_folder(tmp_path / "images", count=4)), "size": 16}
    gt.check_dataset(REGISTRY.get("dataset", name), tiny_mnist_root, **params)


@pytest.mark.parametrize("name", _ids("recipe"))
def test_recipe_smoke_trains(name, tiny_mnist_root, tmp_path):
    spec = REGISTRY.get("recipe", name)
    for kind, component in spec.components.items():
        REGISTRY.get(kind, component)  # every part it names is registered
    gt.check_spec_metadata(spec)
    assert spec.paper or spec.dataset in ("curve-2d",), f"recipe {name} should cite its paper"
    assert spec.expect, f"recipe {name} should say what to expect"
    gt.check_recipe(name, data_root=tiny_mnist_root, out=tmp_path / "run", registry=REGISTRY)


@pytest.mark.slow
def test_check_distribution_covers_ganzoos_own_plugins(tiny_mnist_root, tmp_path):
    folder = {"image-folder": {"path": str(make_image_folder(tmp_path / "images", count=4)), "size": 16}}
    checked = gt.check_distribution("torch-ganzoo", data_root=tiny_mnist_root, registry=REGISTRY, smoke_steps=1,
                                    recipe_overrides={"train.batch_size": 8}, dataset_params=folder)  # fmt: skip
    for expected in ("recipe:vanilla-mnist", "loss:non-saturating", "loss:infogan", "network:infogan-q",
                     "input:infogan-codes", "augment:diffaugment", "dataset:mnist", "extractor:lenet-mnist"):
        assert expected in checked


def test_conformance_checks_can_fail():
    import torch

    import ganzoo

    class WrongShape(torch.nn.Module):
        latent_dim = 4

        def __init__(self, data):
            super().__init__()
            self.linear = torch.nn.Linear(4, 5)

        def forward(self, z, labels=None):
            return self.linear(z)

    spec = ganzoo.GeneratorSpec(name="wrong", summary="Wrong shape.", build=WrongShape)
    with pytest.raises(AssertionError, match="output"):
        gt.check_generator(spec)
    with pytest.raises(AssertionError, match="nothing from 'not-installed'"):
        gt.check_distribution("not-installed", data_root=".", registry=REGISTRY)
