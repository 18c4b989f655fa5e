"""Shared fixtures: isolated plugin managers, tiny generated datasets, the real-data switch."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
from pathlib import Path

import pytest

REAL_DATA_ENV = "GANZOO_TEST_DATA_DIR"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """No test sees the user's plugin switches or cache, nor another test's cached registry."""
    from ganzoo import plugins

    for name in ("GANZOO_DISABLE_PLUGIN_AUTOLOAD", "GANZOO_BLOCKED_PLUGINS", "GANZOO_MODEL_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path_factory.mktemp("empty-data-root")))
    plugins.reset()
    yield
    plugins.reset()


def own_plugin_modules() -> dict[str, object]:
    """ganzoo's own plugin modules, as its installed entry points list them."""
    from ganzoo.distribution import is_own

    eps = metadata.entry_points(group="ganzoo")
    return {ep.name: importlib.import_module(ep.value) for ep in eps if ep.dist is not None and is_own(ep.dist.name)}


def make_registry(*extra_plugins: object):
    """A registry from a fresh plugin manager holding ganzoo's own plugins plus ``extra_plugins``."""
    from ganzoo.distribution import DISTRIBUTION_NAME
    from ganzoo.plugins import PluginRecord, create_plugin_manager
    from ganzoo.registry import Registry

    pm = create_plugin_manager(entry_points=False)
    for name, module in own_plugin_modules().items():
        pm.register_plugin(module, PluginRecord(name, module.__name__, DISTRIBUTION_NAME, "test", "pending"))
    for index, plugin in enumerate(extra_plugins):
        name = f"test-plugin-{index}"
        pm.register_plugin(plugin, PluginRecord(name, repr(plugin), "test-dist", "0.0", "pending"))
    return Registry.from_plugin_manager(pm)


def assert_same(a, b, where="state"):
    """Recursive, bit-exact equality of checkpoint contents."""
    import torch

    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture
def registry():
    """ganzoo's own registry, built from a fresh plugin manager (no third-party entry points)."""
    return make_registry()


from ganzoo.testing import make_tiny_mnist, write_idx_images, write_idx_labels  # noqa: E402,F401  (tests import them from here)


def make_image_folder(folder: Path, count: int = 48) -> Path:
    """A folder (with sub-folders) of small random PNG images."""
    import torch
    from PIL import Image

    folder.mkdir(parents=True)
    generator = torch.Generator().manual_seed(0)
    for i in range(count):
        pixels = (torch.rand(20, 24, 3, generator=generator) * 255).to(torch.uint8).numpy()
        sub = folder / ("a" if i % 2 else "b")  # nested folders are searched too
        sub.mkdir(exist_ok=True)
        Image.fromarray(pixels).save(sub / f"img{i}.png")
    return folder


@pytest.fixture
def tiny_mnist_root(tmp_path: Path) -> Path:
    """A data root with tiny MNIST and Fashion-MNIST files, read through the real torchvision loader."""
    root = tmp_path / "data"
    make_tiny_mnist(root, "MNIST")
    make_tiny_mnist(root, "FashionMNIST", seed=1)
    return root


@pytest.fixture
def real_data_dir() -> Path:
    """The real MNIST / Fashion-MNIST root, or skip with the reason."""
    value = os.environ.get(REAL_DATA_ENV)
    if not value:
        pytest.skip(f"real datasets not available: set {REAL_DATA_ENV} to a root holding MNIST/raw and FashionMNIST/raw")
    root = Path(value)
    if not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file():
        pytest.skip(f"{REAL_DATA_ENV}={root} does not hold MNIST/raw/train-images-idx3-ubyte")
    return root
