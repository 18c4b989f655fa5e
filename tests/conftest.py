"""Shared fixtures: isolated plugin managers, tiny generated datasets, the real-data switch."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import struct
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
    eps = metadata.entry_points(group="ganzoo")
    return {ep.name: importlib.import_module(ep.value) for ep in eps if ep.dist is not None and ep.dist.name == "ganzoo"}


def make_registry(*extra_plugins: object):
    """A registry from a fresh plugin manager holding ganzoo's own plugins plus ``extra_plugins``."""
    from ganzoo.plugins import PluginRecord, create_plugin_manager
    from ganzoo.registry import Registry

    pm = create_plugin_manager(entry_points=False)
    for name, module in own_plugin_modules().items():
        pm.register_plugin(module, PluginRecord(name, module.__name__, "ganzoo", "test", "pending"))
    for index, plugin in enumerate(extra_plugins):
        name = f"test-plugin-{index}"
        pm.register_plugin(plugin, PluginRecord(name, repr(plugin), "test-dist", "0.0", "pending"))
    return Registry.from_plugin_manager(pm)


@pytest.fixture
def registry():
    """ganzoo's own registry, built from a fresh plugin manager (no third-party entry points)."""
    return make_registry()


def write_idx_images(path: Path, images) -> None:
    """Write uint8 images (N, 28, 28) as an IDX3 file (magic 2051), the format MNIST ships in."""
    n, rows, cols = images.shape
    path.write_bytes(struct.pack(">IIII", 2051, n, rows, cols) + images.numpy().astype("uint8").tobytes())


def write_idx_labels(path: Path, labels) -> None:
    """Write uint8 labels (N,) as an IDX1 file (magic 2049)."""
    path.write_bytes(struct.pack(">II", 2049, len(labels)) + labels.numpy().astype("uint8").tobytes())


def make_tiny_mnist(root: Path, folder: str = "MNIST", train: int = 512, test: int = 128, seed: int = 0) -> Path:
    """A tiny MNIST-shaped dataset in torchvision's layout: ROOT/FOLDER/raw/*-ubyte.

    Each image is a bright square whose position encodes its label, so the
    data has structure a GAN can learn and tests can check.
    """
    import torch

    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = torch.randint(0, 10, (count,), generator=generator)
        images = torch.zeros(count, 28, 28, dtype=torch.uint8)
        for i, label in enumerate(labels.tolist()):
            row, col = 2 + (label // 5) * 12, 2 + (label % 5) * 5
            images[i, row : row + 10, col : col + 4] = 255
        images = (images.float() * (0.8 + 0.2 * torch.rand(count, 1, 1, generator=generator))).to(torch.uint8)
        write_idx_images(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx_labels(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


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
