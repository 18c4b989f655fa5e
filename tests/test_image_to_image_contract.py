"""Contract 2 carries image-to-image models: a batch field conditions G, and sample/load translate images.

A toy paired dataset (the source is the image, inverted) and a conditional
objective written for the test, registered as a plugin would be.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from PIL import Image
from torch import nn

import ganzoo
from ganzoo.cli import cli
from ganzoo.data import InMemoryData
from ganzoo.objectives import Objective, Phase, PhaseLoss
from ganzoo.specs import DataInfo

SHAPE = (1, 8, 8)
PAIRED = DataInfo(shape=SHAPE, fields={"source": DataInfo(shape=SHAPE)})


def build_inverted(root: Path, *, train: bool, download: bool, count: int = 64) -> InMemoryData:
    generator = torch.Generator().manual_seed(0 if train else 1)
    images = (torch.rand(count, *SHAPE, generator=generator) * 255).to(torch.uint8)
    return InMemoryData(x=images, y=None, info=PAIRED, scale=2 / 255, shift=-1.0, fields={"source": 255 - images})


class Translator(nn.Module):
    def __init__(self, data: DataInfo) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1), nn.Tanh())

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        return self.net(source)


class PairCritic(nn.Module):
    """Judges (source, image) pairs concatenated along channels: a pix2pix-style conditional D."""

    def __init__(self, data: DataInfo) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(4 * 64, 1))

    def forward(self, pair: torch.Tensor, labels=None) -> torch.Tensor:
        return self.net(pair).squeeze(1)


class PairedL1(Objective):
    requires_fields = ("source",)
    requires_inputs = ("source",)

    def phases(self):
        return [Phase("D", ("D",)), Phase("G", ("G",), new_batch=False)]

    def d_loss(self, ctx):
        source, target = ctx.batch["source"], ctx.batch["image"]
        fake = ctx.generate(ctx.inputs()).detach()
        real_scores = ctx.nets["D"](torch.cat([source, target], 1))
        fake_scores = ctx.nets["D"](torch.cat([source, fake], 1))
        return PhaseLoss(F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean())

    def g_loss(self, ctx):
        source, target = ctx.batch["source"], ctx.batch["image"]
        fake = ctx.generate(ctx.inputs())
        adversarial = F.softplus(-ctx.nets["D"](torch.cat([source, fake], 1))).mean()
        l1 = (fake - target).abs().mean()
        return PhaseLoss(adversarial + 100 * l1, terms={"l1": l1})


class Plugin:
    GANZOO_CONTRACT = "2.0"

    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_datasets():
        yield ganzoo.DatasetSpec(name="inverted", summary="Images and their inverses.", build=build_inverted)

    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_generators():
        yield ganzoo.GeneratorSpec(name="translator", summary="A tiny translator.", build=Translator,
                                   inputs="source-image", check_data=PAIRED)  # fmt: skip

    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_discriminators():
        yield ganzoo.DiscriminatorSpec(name="pair-critic", summary="Judges pairs.", build=PairCritic)

    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_losses():
        yield ganzoo.LossSpec(name="paired-l1", summary="GAN + 100 L1.", build=PairedL1)

    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_recipes():
        yield ganzoo.RecipeSpec(name="invert", summary="Learn to invert.", generator="translator",
                                discriminator="pair-critic", loss="paired-l1", dataset="inverted",
                                params={"train": {"batch_size": 16, "log_every": 1, "grid_size": 8, "device": "cpu"}})  # fmt: skip


@pytest.fixture
def registry():
    """The plugin registered in the process-wide manager, as if installed: the CLI sees it too."""
    import ganzoo.registry
    from ganzoo.plugins import PluginRecord, get_plugin_manager

    get_plugin_manager().register_plugin(Plugin, PluginRecord("toy-i2i", "Plugin", "toy-i2i", "0.0", "pending"))
    ganzoo.registry.get_registry.cache_clear()
    return ganzoo.get_registry()


@pytest.fixture
def published(tmp_path, registry):
    ganzoo.train("invert", steps=30, out=tmp_path / "run", quiet=True, registry=registry,
                 overrides={"train.lr_g": 1e-2})  # fmt: skip
    from ganzoo.publish.publish import publish

    return publish(tmp_path / "run", to=tmp_path / "models", registry=registry)


def test_g_is_conditioned_on_a_batch_field_and_learns_the_mapping(tmp_path, registry):
    result = ganzoo.train("invert", steps=30, out=tmp_path / "run", quiet=True, registry=registry,
                          overrides={"train.lr_g": 1e-2})  # fmt: skip
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["g_l1"] < metrics[0]["g_l1"]  # L1 to the paired target falls: G sees its source
    assert result.step == 30 and (tmp_path / "run" / "samples" / "final.png").is_file()


def test_a_published_image_to_image_model_translates_tensors_and_files(tmp_path, registry, published):
    import yaml

    config = json.loads((published / "config.json").read_text())
    assert config["pipeline_tag"] == "image-to-image" and config["inputs"]["name"] == "source-image"
    card = yaml.safe_load((published / "README.md").read_text().split("---")[1])
    assert card["pipeline_tag"] == "image-to-image"
    assert Image.open(published / "samples.png").size[0] > Image.open(published / "samples.png").size[1]  # in|out|target
    model = ganzoo.load(published, registry=registry)
    images = torch.rand(3, *SHAPE) * 2 - 1
    with torch.no_grad():
        assert model(images).shape == (3, *SHAPE)  # ganzoo.load(NAME)(images) translates a batch
    assert model.sample(source=images).shape == (3, *SHAPE)
    folder = tmp_path / "inputs"
    folder.mkdir()
    for i in range(3):
        Image.fromarray((torch.rand(8, 8) * 255).to(torch.uint8).numpy(), mode="L").save(folder / f"in{i}.png")
    (folder / "notes.txt").write_text("not an image, not read")
    runner = CliRunner()
    done = runner.invoke(cli, ["sample", str(published), "--input", str(folder), "--out", str(tmp_path / "grid.png")])
    assert done.exit_code == 0, done.output
    assert Image.open(tmp_path / "grid.png").size[0] > Image.open(tmp_path / "grid.png").size[1]  # 3 pairs side by side
    done = runner.invoke(cli, ["sample", str(published), "--input", str(folder), "--out-dir", str(tmp_path / "out")])
    assert done.exit_code == 0 and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["in0.png", "in1.png", "in2.png"]


def _not_a_png(folder: Path) -> Path:
    (folder / "x.png").write_bytes(b"not a png")
    return folder


def _saved(image: Image.Image, name: str):
    def make(folder: Path) -> Path:
        image.save(folder / name)
        return folder

    return make


@pytest.mark.parametrize(("make", "words"), [
    (lambda folder: folder, "holds no images"),
    (_not_a_png, "is not an image ganzoo can read"),
    (_saved(Image.new("L", (9, 8)), "big.png"), "is 9x8 pixels, but the model translates 8x8"),
    (_saved(Image.new("RGB", (8, 8)), "rgb.png"), "has 3 channels, but the model translates 1-channel"),
    (lambda folder: folder / "missing.png", "does not exist"),
])  # fmt: skip
def test_bad_inputs_are_refused_in_words(tmp_path, registry, published, make, words):
    folder = tmp_path / "bad"
    folder.mkdir()
    result = CliRunner().invoke(cli, ["sample", str(published), "--input", str(make(folder))])
    assert result.exit_code != 0 and words in result.output and "Traceback" not in result.output


def test_a_noise_model_refuses_input_and_an_image_model_needs_it(tmp_path, registry, published):
    runner = CliRunner()
    result = runner.invoke(cli, ["sample", "vanilla-mnist", "--input", str(tmp_path)])
    assert result.exit_code != 0 and "makes images from noise" in result.output
    result = runner.invoke(cli, ["sample", str(published), "--out", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "--input FILE_OR_DIR" in result.output
