"""pix2pix and CycleGAN: derived datasets, networks, image pools, their losses' gradients, sampling and evaluation."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

import ganzoo
import ganzoo.testing as gt
from ganzoo.cli import cli
from ganzoo.metrics.pairwise import l1, psnr, ssim
from ganzoo.specs import DataInfo
from ganzoo.zoo.translation_data import build_edges2fashion, build_mnist2thick, dilate, sobel_edges
from ganzoo.zoo.translation_objectives import CycleGANObjective, ImagePool

TINY_PIX2PIX = {"generator.base_channels": 8, "discriminator.base_channels": 8, "train.batch_size": 16,
                "train.log_every": 1, "train.device": "cpu", "train.grid_size": 8}  # fmt: skip
TINY_CYCLEGAN = {"generator.base_channels": 4, "generator.blocks": 1, "networks.G_ba.base_channels": 4,
                 "networks.G_ba.blocks": 1, "discriminator.base_channels": 8, "networks.D_a.base_channels": 8,
                 "train.batch_size": 8, "train.log_every": 1, "train.device": "cpu", "train.grid_size": 8}  # fmt: skip


def test_edges_outline_shapes_and_flat_images_have_none():
    square = torch.zeros(1, 1, 12, 12, dtype=torch.uint8)
    square[..., 3:9, 3:9] = 255
    edges = sobel_edges(square, threshold=0.5)
    assert edges.dtype == torch.uint8 and set(edges.unique().tolist()) == {0, 255}
    assert edges[0, 0, 6, 6] == 0 and edges[0, 0, 3, 6] == 255  # inside is flat; the border is an edge
    assert not sobel_edges(torch.full((1, 1, 12, 12), 200, dtype=torch.uint8), 0.5).any()
    bold = dilate(square, 3)
    assert bold.sum() > square.sum() and bold[0, 0, 2, 6] == 255 and torch.equal(dilate(square, 1), square)


def test_edges2fashion_pairs_each_garment_with_its_edges_and_follows_fashion_mnists_split(tiny_mnist_root):
    train = build_edges2fashion(tiny_mnist_root, train=True, download=False)
    test = build_edges2fashion(tiny_mnist_root, train=False, download=False)
    fashion = ganzoo.get_registry().get("dataset", "fashion-mnist")
    assert torch.equal(train.x, fashion.build(tiny_mnist_root, train=True, download=False).x)
    assert torch.equal(test.x, fashion.build(tiny_mnist_root, train=False, download=False).x)
    assert torch.equal(train.fields["source"], sobel_edges(train.x, 0.5))
    again = build_edges2fashion(tiny_mnist_root, train=True, download=False)
    assert torch.equal(again.fields["source"], train.fields["source"])  # deterministic


def test_the_unpaired_domains_come_from_disjoint_halves(tiny_mnist_root):
    mnist = ganzoo.get_registry().get("dataset", "mnist").build(tiny_mnist_root, train=True, download=False)
    both = build_mnist2thick(tiny_mnist_root, train=True, download=False)
    half = len(mnist) // 2
    assert torch.equal(both.x, mnist.x[:half])  # domain a: the first half, thin
    assert torch.equal(both.fields["b"], dilate(mnist.x[half:2 * half], 3))  # domain b: the second half, dilated
    a = build_mnist2thick(tiny_mnist_root, train=True, download=False, domain="a")
    b = build_mnist2thick(tiny_mnist_root, train=True, download=False, domain="b")
    assert torch.equal(a.x, both.x) and torch.equal(b.x, both.fields["b"]) and torch.equal(b.y, mnist.y[half:2 * half])
    with pytest.raises(ValueError, match="domain"):
        build_mnist2thick(tiny_mnist_root, train=True, download=False, domain="c")


@pytest.mark.parametrize(("kind", "name"), [("generator", "unet-g"), ("generator", "resnet-g"),
                                            ("discriminator", "patchgan-d")])  # fmt: skip
def test_translation_networks_conform(kind, name):
    spec = ganzoo.get_registry().get(kind, name)
    (gt.check_generator if kind == "generator" else gt.check_discriminator)(spec)


def test_the_image_pool_fills_then_swaps_half_and_round_trips():
    torch.manual_seed(0)
    pool = ImagePool(4)
    first = torch.arange(3.0).view(3, 1)
    assert torch.equal(pool.query(first), first) and pool.count == 3  # while filling: the images themselves
    returned = pool.query(torch.full((200, 1), 9.0))
    assert pool.count == 4
    old = (returned != 9.0).sum().item()
    assert 0 < old < 200 and 9.0 in pool.images.flatten().tolist()  # some swapped for history, stored in their place
    restored = ImagePool(4)
    restored.load_state_dict(pool.state_dict())
    assert torch.equal(restored.images, pool.images) and restored.count == 4
    assert torch.equal(ImagePool(0).query(first), first)


class _Context:
    """Just enough of a PhaseContext to call an objective's loss outside the engine."""

    def __init__(self, nets, batch):
        self.nets, self.modules, self.batch, self.scratch = nets, nets, batch, {}

    def inputs(self, n=None):
        return {"source": self.batch["image"]}

    def generate(self, inputs, network="G"):
        return self.nets[network](**inputs)


def test_cycle_and_identity_terms_reach_both_generators_and_no_discriminator():
    from ganzoo.zoo.translation_nets import PatchDiscriminator, ResNetGenerator

    data = DataInfo(shape=(1, 28, 28), fields={"b": DataInfo(shape=(1, 28, 28))})
    torch.manual_seed(0)
    nets = {"G": ResNetGenerator(data, 4, 1, target_field="b"), "G_ba": ResNetGenerator(data, 4, 1, source_field="b"),
            "D": PatchDiscriminator(data, 8, field="b"), "D_a": PatchDiscriminator(data, 8)}  # fmt: skip
    batch = {"image": torch.rand(2, 1, 28, 28) * 2 - 1, "b": torch.rand(2, 1, 28, 28) * 2 - 1}
    for term in ("cycle", "identity"):
        for net in nets.values():
            net.zero_grad(set_to_none=True)
        out = CycleGANObjective().g_loss(_Context(nets, batch))
        out.terms[term].backward()
        for name in ("G", "G_ba"):
            assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in nets[name].parameters()), (term, name)
        for name in ("D", "D_a"):
            assert all(p.grad is None for p in nets[name].parameters()), (term, name)


def test_ssim_psnr_and_l1_of_identical_and_different_images():
    x = torch.rand(3, 1, 28, 28)
    assert torch.allclose(ssim(x, x), torch.ones(3)) and torch.all(l1(x, x) == 0) and torch.all(psnr(x, x) > 90)
    noisy = (x + 0.2 * torch.randn_like(x)).clamp(0, 1)
    assert torch.all(ssim(noisy, x) < 0.9) and torch.all(psnr(noisy, x) < 20) and torch.all(l1(noisy, x) > 0.05)
    with pytest.raises(ValueError):
        ssim(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8))


def test_pix2pix_trains_is_evaluated_on_its_test_pairs_and_translates_files(tmp_path, tiny_mnist_root):
    from ganzoo.evaluation.targets import evaluate_target

    result = ganzoo.train("pix2pix-edges2fashion", steps=3, out=tmp_path / "run", data_dir=tiny_mnist_root,
                          quiet=True, overrides=TINY_PIX2PIX)  # fmt: skip
    assert {"d_loss", "g_adv", "g_l1", "d_real"} <= result.last_stats.keys()
    evaluation, _ = evaluate_target(tmp_path / "run", n=64, data_dir=tiny_mnist_root)
    values = {r.metric: r for r in evaluation.records}
    assert {"l1", "psnr", "ssim", "fid"} <= values.keys() and evaluation.primary == values["fid"].name
    assert values["fid"].extractor == "lenet-fashion-mnist" and -1 <= values["ssim"].value <= 1


def test_cyclegan_trains_both_ways_with_pools_and_decay_and_translates_back(tmp_path, tiny_mnist_root):
    from ganzoo.artifacts import checkpoint as ckpt
    from ganzoo.evaluation.targets import evaluate_target

    result = ganzoo.train("cyclegan-mnist2thick", steps=4, out=tmp_path / "run", data_dir=tiny_mnist_root,
                          quiet=True, overrides=TINY_CYCLEGAN)  # fmt: skip
    assert {"g_adv", "g_cycle", "g_identity", "d_a", "d_b"} <= result.last_stats.keys()
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert state["objective"]["pool_a"]["count"] == state["objective"]["pool_b"]["count"] == 32  # 4 batches of 8
    assert state["opt_g"]["param_groups"][0]["lr"] < 2e-4  # linearly decayed in the second half
    assert set(state["networks"]) == {"G_ba", "D_a"}
    evaluation, _ = evaluate_target(tmp_path / "run", n=64, data_dir=tiny_mnist_root)
    names = {r.name.split("[")[0] + "[" + r.name.split("[")[1].split(":")[0] for r in evaluation.records}
    assert names == {"fid[a2b", "content_preservation[a2b", "fid[b2a", "content_preservation[b2a"}
    extractors = {r.name.split(":")[0].split("[")[1]: r.extractor for r in evaluation.records}
    assert extractors == {"a2b": "lenet-mnist-thick", "b2a": "lenet-mnist"}  # judged in the target domain
    from PIL import Image

    folder = tmp_path / "bold"
    folder.mkdir()
    Image.new("L", (28, 28)).save(folder / "x.png")
    runner = CliRunner()
    back = runner.invoke(cli, ["sample", str(tmp_path / "run"), "--input", str(folder), "--direction", "b2a",
                               "--out", str(tmp_path / "back.png")])  # fmt: skip
    assert back.exit_code == 0, back.output
    noise = runner.invoke(cli, ["sample", "vanilla-mnist", "--direction", "b2a"])
    assert noise.exit_code != 0 and "--direction was given without --input" in noise.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["inputs"] == {"name": "source-image", "params": {"field": ""}}  # "": source if paired, else image
