"""When the engine replays iterations as a CUDA graph, and how a run records it (no GPU needed).

The replays themselves are tested on a GPU in test_cuda.py.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

import ganzoo
from ganzoo.data import InMemoryData
from ganzoo.config import TRAIN_DEFAULTS
from ganzoo.engine.cuda_graph import declares_graph_safe, graph_blocker
from ganzoo.specs import DataInfo

SAFE = type("Safe", (), {"cuda_graph_safe": True})()
UNDECLARED = object()
INHERITED = type("Inherited", (type(SAFE),), {})()  # a subclass that did not declare it again
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
        ({}, CUDA, 1, {**SAFE_PARTS, "discriminator": INHERITED}, "the discriminator does not declare"),
        ({}, CUDA, 1, SAFE_PARTS, "batches are read outside the GPU"),  # the data is in host memory
    ],
)  # fmt: skip
def test_each_reason_a_run_cannot_replay_a_graph_is_named(change, device, world_size, parts, reason):
    train = {**TRAIN_DEFAULTS, **change}
    assert reason in graph_blocker(train, device, host_data(), world_size, parts)


def test_data_on_the_current_gpu_passes_under_an_unindexed_cuda_device(monkeypatch):
    # --device auto resolves to "cuda", while data moved there reports "cuda:0": the same GPU.
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    on_gpu = lambda index: InMemoryData(x=SimpleNamespace(shape=(4, 1), device=torch.device("cuda", index)),  # noqa: E731
                                        y=None, info=DataInfo(shape=(1,), modality="points"))  # fmt: skip
    train = dict(TRAIN_DEFAULTS)
    assert graph_blocker(train, CUDA, on_gpu(0), 1, SAFE_PARTS) is None
    assert graph_blocker(train, torch.device("cuda", 0), on_gpu(0), 1, SAFE_PARTS) is None
    assert "outside the GPU" in graph_blocker(train, CUDA, on_gpu(1), 1, SAFE_PARTS)


def test_the_zoo_declares_every_recipe_graph_safe():
    # Plugins opt in; the zoo's own components are tensor code and each class opts in itself -- all but
    # CycleGAN's objective, whose image pools keep Python-side state (and whose recipe decays its rates).
    registry = ganzoo.get_registry()
    image = DataInfo(shape=(1, 28, 28), num_classes=10, modality="image", value_range=(-1.0, 1.0))
    points = DataInfo(shape=(2,), modality="points")
    zoo_recipes = [name for name in registry.names("recipe") if registry.entry("recipe", name).provider.startswith("torch-ganzoo==")]
    assert len(zoo_recipes) >= 10
    for name in zoo_recipes:
        recipe = registry.get("recipe", name)
        for kind, component in (("generator", recipe.generator), ("discriminator", recipe.discriminator)):
            spec = registry.get(kind, component)
            info = spec.check_data or (image if "mnist" in recipe.dataset else points)
            assert declares_graph_safe(spec.build(info)), (name, kind)
        loss = registry.get("loss", recipe.loss).build()
        assert declares_graph_safe(loss) or recipe.loss == "cyclegan", name
    assert not declares_graph_safe(registry.get("loss", "cyclegan").build())


def test_run_json_says_why_a_cpu_run_replays_no_graph(tmp_path, tiny_mnist_root):
    ganzoo.train("vanilla-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, device="cpu",
                 batch_size=16, quiet=True, download=False)  # fmt: skip
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["cuda_graph"] == "not used: CUDA graphs exist on CUDA devices only"
