"""When the engine replays iterations as a CUDA graph, and how a run records it (no GPU needed).

The replays themselves are tested on a GPU in test_cuda.py.
"""

from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo.data import InMemoryData
from ganzoo.engine.config import TRAIN_DEFAULTS
from ganzoo.engine.cuda_graph import graph_blocker
from ganzoo.specs import DataInfo

SAFE = type("Safe", (), {"cuda_graph_safe": True})()
UNDECLARED = object()
SAFE_PARTS = {"generator": SAFE, "discriminator": SAFE, "loss": SAFE}
CUDA = torch.device("cuda")  # a device object only: graph_blocker inspects, it never allocates


def host_data() -> InMemoryData:
    return InMemoryData(x=torch.zeros(4, 1), y=None, info=DataInfo(shape=(1,), modality="points"))


@pytest.mark.parametrize(
    ("change", "device", "world_size", "parts", "reason"),
    [
        ({"cuda_graphs": False}, CUDA, 1, SAFE_PARTS, "train.cuda_graphs is off"),
        ({}, torch.device("cpu"), 1, SAFE_PARTS, "CUDA devices only"),
        ({}, CUDA, 2, SAFE_PARTS, "DistributedDataParallel"),
        ({"precision": "fp16"}, CUDA, 1, SAFE_PARTS, "GradScaler"),
        ({"compile": True}, CUDA, 1, SAFE_PARTS, "torch.compile"),
        ({}, CUDA, 1, {**SAFE_PARTS, "loss": UNDECLARED}, "the loss does not declare cuda_graph_safe"),
        ({}, CUDA, 1, {**SAFE_PARTS, "generator": UNDECLARED, "loss": UNDECLARED},
         "the generator and loss do not declare"),
        ({}, CUDA, 1, SAFE_PARTS, "batches are read outside the GPU"),  # the data is in host memory
    ],
)  # fmt: skip
def test_each_reason_a_run_cannot_replay_a_graph_is_named(change, device, world_size, parts, reason):
    train = {**TRAIN_DEFAULTS, **change}
    assert reason in graph_blocker(train, device, host_data(), world_size, parts)


def test_the_zoo_declares_its_networks_and_losses_graph_safe():
    # Plugins opt in; the zoo's own components are tensor code and all opt in.
    registry = ganzoo.get_registry()
    info = DataInfo(shape=(1, 28, 28), num_classes=10, modality="image", value_range=(-1.0, 1.0))
    for name in ("vanilla-mnist", "dcgan-mnist", "cgan-mnist", "wgan-gp-mnist", "hinge-sn-mnist", "lsgan-mnist"):
        recipe = registry.get("recipe", name)
        for kind, component in (("generator", recipe.generator), ("discriminator", recipe.discriminator)):
            built = registry.get(kind, component).build(info)
            assert getattr(built, "cuda_graph_safe", False), (name, kind)
        assert registry.get("loss", recipe.loss).build().cuda_graph_safe, name


def test_run_json_says_why_a_cpu_run_replays_no_graph(tmp_path, tiny_mnist_root):
    ganzoo.train("vanilla-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, device="cpu",
                 batch_size=16, quiet=True, download=False)  # fmt: skip
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["cuda_graph"] == "not used: CUDA graphs exist on CUDA devices only"
