"""DCGAN and conditional MLP models, and the plugin that registers them and their recipes."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganzoo.specs import DataInfo
from ganzoo.zoo import dcgan_plugin, losses_plugin
from ganzoo.zoo.conditional import ConditionalMLPDiscriminator, ConditionalMLPGenerator
from ganzoo.zoo.dcgan import DCGANDiscriminator, DCGANGenerator

MNIST = DataInfo((1, 28, 28), 10)
REPO = Path(__file__).resolve().parents[2]


def convs(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]


def batch_norms(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


# -- DCGAN shapes ------------------------------------------------------------------


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_and_backward(size, channels):
    torch.manual_seed(0)
    info = DataInfo((channels, size, size))
    G = DCGANGenerator(info, latent_dim=16, base_channels=8)
    D = DCGANDiscriminator(info, base_channels=8)
    assert G.latent_dim == 16
    fake = G(torch.randn(4, 16))
    assert fake.shape == (4, channels, size, size)
    assert fake.min() >= -1 and fake.max() <= 1
    scores = D(fake)
    assert scores.shape == (4,)
    scores.sum().backward()
    for name, param in list(G.named_parameters()) + list(D.named_parameters()):
        assert param.grad is not None, name


@pytest.mark.parametrize("shape", [(1, 16, 16), (3, 64, 32), (3, 48, 48), (2,), (1, 28)])
def test_dcgan_rejects_unsupported_shapes_with_the_supported_sizes(shape):
    info = DataInfo(shape, modality="points" if len(shape) == 1 else "image")
    for cls in (DCGANGenerator, DCGANDiscriminator):
        with pytest.raises(ValueError, match=r"28x28, 32x32, 64x64|\(C, H, W\)"):
            cls(info)


def test_dcgan_64px_has_the_reference_ladder():
    G = DCGANGenerator(DataInfo((3, 64, 64)), base_channels=64)
    assert [c.out_channels for c in convs(G)] == [512, 256, 128, 64, 3]
    assert convs(G)[0].kernel_size == (4, 4)
    D = DCGANDiscriminator(DataInfo((3, 64, 64)), base_channels=64)
    assert [c.out_channels for c in convs(D)] == [64, 128, 256, 512, 1]


def test_dcgan_layer_types_follow_the_paper():
    G = DCGANGenerator(MNIST, base_channels=8)
    assert isinstance(G.net[-1], nn.Tanh)
    assert any(isinstance(m, nn.ReLU) for m in G.modules())
    assert len(batch_norms(G)) == len(convs(G)) - 1  # every layer but the output
    D = DCGANDiscriminator(DataInfo((1, 64, 64)), base_channels=8)
    # No batch norm right after the input layer; LeakyReLU with slope 0.2.
    assert isinstance(D.net[1], nn.LeakyReLU) and D.net[1].negative_slope == 0.2
    assert len(batch_norms(D)) == len(convs(D)) - 2  # neither the first nor the output layer
    assert all(m.negative_slope == 0.2 for m in D.modules() if isinstance(m, nn.LeakyReLU))


def test_discriminator_batch_norm_can_be_turned_off():
    D = DCGANDiscriminator(DataInfo((1, 64, 64)), base_channels=8, batch_norm=False)
    assert batch_norms(D) == []
    # Without batch norm the hidden convolutions need their bias back.
    assert all(c.bias is not None for c in convs(D))


def test_spectral_norm_parametrizes_every_convolution_and_replaces_batch_norm():
    torch.manual_seed(0)
    D = DCGANDiscriminator(DataInfo((3, 32, 32)), base_channels=8, spectral_norm=True)
    layers = convs(D)
    assert layers and all(parametrize.is_parametrized(c, "weight") for c in layers)
    assert batch_norms(D) == []
    plain = DCGANDiscriminator(DataInfo((3, 32, 32)), base_channels=8)
    assert not any(parametrize.is_parametrized(c) for c in convs(plain))
    # Training-mode forwards run the power iteration; the weights then have spectral norm ~1.
    x = torch.randn(1, 3, 32, 32)
    for _ in range(5):
        D(x)
    for conv in layers:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.05)


def test_batch_norm_eps_and_momentum_are_the_defaults_not_the_bn_0_8_bug():
    models = [
        DCGANGenerator(MNIST, base_channels=8),
        DCGANDiscriminator(MNIST, base_channels=8),
        ConditionalMLPGenerator(MNIST, hidden=[16, 32]),
    ]
    norms = [bn for model in models for bn in batch_norms(model)]
    assert len(norms) >= 4
    for bn in norms:
        assert bn.eps == 1e-5
        assert bn.momentum == 0.1


def test_weights_are_initialised_as_in_the_paper():
    torch.manual_seed(0)
    G = DCGANGenerator(DataInfo((3, 64, 64)), base_channels=64)
    D = DCGANDiscriminator(DataInfo((3, 64, 64)), base_channels=64)
    D_sn = DCGANDiscriminator(DataInfo((3, 64, 64)), base_channels=64, spectral_norm=True)
    conv_weights = [c.weight for c in convs(G) + convs(D)]
    conv_weights += [c.parametrizations.weight.original for c in convs(D_sn)]
    for weight in conv_weights:
        if weight.numel() >= 10_000:
            assert abs(weight.mean().item()) < 0.002
            assert weight.std().item() == pytest.approx(0.02, rel=0.05)
    biases = [c.bias for c in convs(G) + convs(D) + convs(D_sn) if c.bias is not None]
    assert biases and all(torch.all(b == 0) for b in biases)
    scales = torch.cat([bn.weight.detach() for bn in batch_norms(G) + batch_norms(D)])
    assert scales.mean().item() == pytest.approx(1.0, abs=0.002)
    assert scales.std().item() == pytest.approx(0.02, rel=0.1)
    assert all(torch.all(bn.bias == 0) for bn in batch_norms(G) + batch_norms(D))


def test_invalid_widths_are_rejected():
    with pytest.raises(ValueError, match="base_channels"):
        DCGANGenerator(MNIST, base_channels=0)
    with pytest.raises(ValueError, match="latent_dim"):
        DCGANGenerator(MNIST, latent_dim=-3)


# -- conditional MLPs ----------------------------------------------------------------


@pytest.mark.parametrize("cls", [ConditionalMLPGenerator, ConditionalMLPDiscriminator])
def test_conditional_models_need_labelled_data(cls):
    with pytest.raises(ValueError, match="num_classes"):
        cls(DataInfo((1, 28, 28), 0))


def test_conditional_models_reject_missing_or_misshapen_labels():
    G, D = ConditionalMLPGenerator(MNIST, hidden=[16]), ConditionalMLPDiscriminator(MNIST, hidden=[16])
    with pytest.raises(ValueError, match="labels"):
        G(torch.randn(2, G.latent_dim))
    with pytest.raises(ValueError, match="labels"):
        D(torch.randn(2, 1, 28, 28))
    with pytest.raises(ValueError, match="shape"):
        G(torch.randn(2, G.latent_dim), torch.zeros(3, dtype=torch.long))


@pytest.mark.parametrize("embed_dim", [0, 8])
def test_conditional_outputs_depend_on_the_label(embed_dim):
    torch.manual_seed(0)
    G = ConditionalMLPGenerator(MNIST, latent_dim=16, hidden=[32, 64], embed_dim=embed_dim).eval()
    D = ConditionalMLPDiscriminator(MNIST, hidden=[32], embed_dim=embed_dim, dropout=0.0).eval()
    z = torch.randn(1, 16).expand(10, 16)
    labels = torch.arange(10)
    fake = G(z, labels)
    assert fake.shape == (10, 1, 28, 28) and fake.abs().max() <= 1
    # Same noise, ten labels: ten different images, and D scores one image differently per label.
    assert all(not torch.allclose(fake[0], fake[i]) for i in range(1, 10))
    scores = D(fake[:1].expand(10, 1, 28, 28), labels)
    assert scores.shape == (10,)
    assert len(set(scores.tolist())) == 10
    (scores.sum() + fake.sum()).backward()
    assert all(p.grad is not None for p in list(G.parameters()) + list(D.parameters()))


# -- the plugins -----------------------------------------------------------------------


def test_plugin_modules_import_without_torch():
    code = (
        "import sys, ganzoo.zoo.dcgan_plugin, ganzoo.zoo.losses_plugin; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def builder_keywords(spec) -> set[str]:
    signature = inspect.signature(spec.build.resolve())
    return {name for name in signature.parameters if name not in ("self", "data")}


@pytest.mark.parametrize(
    "spec",
    list(dcgan_plugin.ganzoo_generators()) + list(dcgan_plugin.ganzoo_discriminators()),
    ids=lambda spec: spec.name,
)
def test_every_model_builds_with_its_defaults_on_mnist(spec):
    # Defaults hold every keyword, so each can be overridden with --set.
    assert set(spec.defaults) == builder_keywords(spec)
    torch.manual_seed(0)
    model = spec.build(MNIST, **spec.defaults)
    labels = torch.arange(4) % 10
    if spec.kind == "generator":
        out = model(torch.randn(4, model.latent_dim), labels)
        assert out.shape == (4, 1, 28, 28)
    else:
        out = model(torch.rand(4, 1, 28, 28) * 2 - 1, labels)
        assert out.shape == (4,)
    assert spec.conditional == spec.name.startswith("cgan")


def test_every_loss_spec_lists_every_builder_keyword():
    for spec in losses_plugin.ganzoo_losses():
        assert set(spec.defaults) == builder_keywords(spec), spec.name


RECIPES = list(dcgan_plugin.ganzoo_recipes())


def test_recipe_names():
    assert [r.name for r in RECIPES] == [
        "dcgan-mnist", "dcgan-fashion", "diffaugment-fashion-6k", "lsgan-mnist", "wgan-gp-mnist", "hinge-sn-mnist", "cgan-mnist",
    ]  # fmt: skip
    assert all(r.paper and r.expect for r in RECIPES)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_recipe_params_are_known_keys_and_one_training_step_runs(recipe):
    """Build what the recipe names with its params and take one D and one G step."""
    from ganzoo.config import TRAIN_DEFAULTS
    from ganzoo.losses import input_gradients

    specs = {s.name: s for hook in (dcgan_plugin.ganzoo_generators, dcgan_plugin.ganzoo_discriminators,
                                     losses_plugin.ganzoo_losses) for s in hook()}  # fmt: skip
    assert set(recipe.params.get("train", {})) <= set(TRAIN_DEFAULTS)
    assert recipe.dataset in ("mnist", "fashion-mnist")
    params = {}
    for kind in ("generator", "discriminator", "loss"):
        spec = specs[getattr(recipe, kind)]
        overrides = dict(recipe.params.get(kind, {}))
        assert set(overrides) <= set(spec.defaults), f"{kind} keys {set(overrides) - set(spec.defaults)}"
        params[kind] = {**spec.defaults, **overrides}
    torch.manual_seed(0)
    G = specs[recipe.generator].build(MNIST, **params["generator"])
    D = specs[recipe.discriminator].build(MNIST, **params["discriminator"])
    loss = specs[recipe.loss].build(**params["loss"])
    real, labels = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10
    with torch.no_grad():
        fake = G(torch.randn(8, G.latent_dim), labels)
    loss.discriminator_loss(D, real, fake, labels, input_gradients).loss.backward()
    loss.generator_loss(D, real, G(torch.randn(8, G.latent_dim), labels), labels).loss.backward()
    assert all(p.grad is not None for p in G.parameters())


def test_wgan_gp_recipe_has_no_batch_norm_in_the_critic():
    (recipe,) = [r for r in RECIPES if r.loss == "wgan-gp"]
    spec = next(s for s in dcgan_plugin.ganzoo_discriminators() if s.name == recipe.discriminator)
    D = spec.build(MNIST, **{**spec.defaults, **recipe.params["discriminator"]})
    assert batch_norms(D) == []
    assert recipe.params["train"]["n_critic"] == 5
    assert recipe.params["train"]["betas_d"][1] == 0.9  # beta2 0.9 as in the WGAN-GP paper and code


def test_recipes_resolve_in_a_registry_with_the_other_zoo_plugins():
    """No name clashes with the rest of the zoo, and the engine's resolver accepts every recipe."""
    from ganzoo.config import build_config
    from ganzoo.plugins import PluginRecord, create_plugin_manager
    from ganzoo.registry import Registry
    from ganzoo.zoo import augment_plugin, datasets_plugin, inputs_plugin, mlp_plugin

    pm = create_plugin_manager(entry_points=False)
    for module in (mlp_plugin, datasets_plugin, dcgan_plugin, losses_plugin, inputs_plugin, augment_plugin):
        pm.register_plugin(module, PluginRecord(module.__name__, module.__name__, "ganzoo", "test", "pending"))
    registry = Registry.from_plugin_manager(pm)
    for recipe in RECIPES:
        config = build_config(registry, recipe.name)
        assert config["generator"]["name"] == recipe.generator
        for section, values in recipe.params.items():
            target = config["train"] if section == "train" else config[section]["params"]
            assert {k: target[k] for k in values} == dict(values)
