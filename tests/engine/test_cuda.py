"""The CUDA paths of the engine. Skipped without a CUDA device: run them on a GPU machine.

    python -m pytest tests/engine/test_cuda.py --run-slow -v
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganzoo
from conftest import make_registry
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.engine.report import Reporter
from ganzoo.losses import GANLoss
from test_training import checkpoint_tensors

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")

TINY_DCGAN = {
    "generator.base_channels": 16, "discriminator.base_channels": 16, "train.batch_size": 32,
    "train.log_every": 2, "train.sample_every": 4, "train.checkpoint_every": 4,
}  # fmt: skip


def train_dcgan(out, data_root, steps=6, **kwargs):
    overrides = dict(TINY_DCGAN, **kwargs.pop("overrides", {}))
    return ganzoo.train("dcgan-mnist", steps=steps, out=out, data_dir=data_root, device="cuda",
                        overrides=overrides, quiet=True, download=False, **kwargs)  # fmt: skip


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_dcgan_trains_on_cuda_in_each_precision_and_its_checkpoint_loads_on_the_cpu(tmp_path, tiny_mnist_root,
                                                                                     precision):
    result = train_dcgan(tmp_path / "run", tiny_mnist_root, precision=precision)
    assert result.step == 6 and math.isfinite(result.last_stats["d_loss"])
    assert json.loads((tmp_path / "run" / "run.json").read_text())["environment"]["device"].startswith("cuda")
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")  # mapped to the CPU
    assert all(t.device.type == "cpu" for t in state["generator"].values())
    assert (state["scaler_g"] != {}) == (precision == "fp16")  # a GradScaler per optimizer for fp16 only


def test_cuda_resume_continues_the_run_deterministically(tmp_path, tiny_mnist_root):
    # cuDNN's autotuner may pick other kernels per process; turn it off to compare bits.
    settings = {"train.cudnn_benchmark": False, "train.tf32": False}
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        train_dcgan(tmp_path / "whole", tiny_mnist_root, steps=8, overrides=settings)
        train_dcgan(tmp_path / "halves", tiny_mnist_root, steps=4, overrides=settings)
        ganzoo.train(resume=tmp_path / "halves", steps=8, data_dir=tiny_mnist_root, quiet=True, download=False)
    finally:
        torch.use_deterministic_algorithms(False)
    whole, halves = checkpoint_tensors(tmp_path / "whole" / "checkpoint.pt"), checkpoint_tensors(tmp_path / "halves" / "checkpoint.pt")
    assert whole["step"] == halves["step"] == 8
    for name in whole["generator"]:
        assert torch.allclose(whole["generator"][name], halves["generator"][name], atol=1e-5), name


@pytest.mark.slow
def test_compiled_training_on_cuda(tmp_path, tiny_mnist_root):
    result = train_dcgan(tmp_path / "run", tiny_mnist_root, steps=4, compile=True)
    assert result.step == 4 and math.isfinite(result.last_stats["g_loss"])


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices for an nccl run")
def test_two_gpu_nccl_run_with_the_consistency_check(tmp_path, tiny_mnist_root):
    done = subprocess.run([sys.executable, "-m", "ganzoo", "train", "dcgan-mnist", "--nproc", "2", "--steps", "6",
                           "--device", "cuda", "--out", str(tmp_path / "run"), "--data-dir", str(tiny_mnist_root),
                           "--no-download", "--quiet", "--set", "train.ddp_check=true",
                           *[f"--set={k}={v}" for k, v in TINY_DCGAN.items()]],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "run" / "run.json").read_text())["world_size"] == 2


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_data_held_in_host_memory_trains_exactly_as_data_on_the_gpu(tmp_path, tiny_mnist_root, device):
    # Batches come by index either way; off the device the stored uint8 rows cross in pinned
    # memory and are decoded on the GPU by the same operations: the same bits. "auto" resolves
    # to an unindexed cuda device, which must not be mistaken for a different one.
    settings = {"train.cudnn_benchmark": False, "train.tf32": False}
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        for name, on_device in (("on", True), ("off", False)):
            ganzoo.train("dcgan-mnist", steps=4, out=tmp_path / name, data_dir=tiny_mnist_root, device=device,
                         overrides={**TINY_DCGAN, **settings, "train.data_on_device": on_device},
                         quiet=True, download=False)  # fmt: skip
    finally:
        torch.use_deterministic_algorithms(False)
    on, off = checkpoint_tensors(tmp_path / "on" / "checkpoint.pt"), checkpoint_tensors(tmp_path / "off" / "checkpoint.pt")
    for name in on["generator"]:
        assert torch.equal(on["generator"][name], off["generator"][name]), name


def test_a_foreach_checkpoint_resumes_with_fused_adam_on_the_gpu(tmp_path, tiny_mnist_root):
    # torch places Adam's step counters by the param groups' fused flag when loading; the
    # resumed run's flag must be the one in force then, or fused Adam gets host counters.
    train_dcgan(tmp_path / "run", tiny_mnist_root, steps=2, overrides={"train.optimizer_impl": "foreach"})
    result = ganzoo.train(resume=tmp_path / "run", steps=4, data_dir=tiny_mnist_root, quiet=True, download=False,
                          overrides={"train.optimizer_impl": "auto"})  # fmt: skip
    assert result.step == 4 and math.isfinite(result.last_stats["d_loss"])
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert state["opt_g"]["param_groups"][0]["fused"] is True


DETERMINISTIC = {"train.cudnn_benchmark": False, "train.tf32": False}
TINY_MLP = {"train.batch_size": 32, "train.log_every": 2, "train.sample_every": 4, "train.checkpoint_every": 4}


@pytest.mark.parametrize(
    ("recipe", "overrides", "device"),
    [
        ("dcgan-mnist", TINY_DCGAN, "cuda"),  # batch norm, channels_last, fused Adam
        ("vanilla-mnist", TINY_MLP, "auto"),  # dropout draws from the default CUDA generator; unindexed "cuda"
        ("wgan-gp-mnist", TINY_DCGAN, "cuda"),  # 5 D steps per iteration, double backward, torch.rand
    ],
)  # fmt: skip
def test_iterations_replayed_as_a_cuda_graph_train_as_the_eager_loop(tmp_path, tiny_mnist_root, recipe, overrides,
                                                                     device):  # fmt: skip
    # 3 eager warm-up iterations, the capture, then replays: the same arithmetic, batches and noise.
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        results = {
            graphs: ganzoo.train(recipe, steps=9, out=tmp_path / f"graphs-{graphs}", data_dir=tiny_mnist_root,
                                 device=device, quiet=True, download=False,
                                 overrides={**overrides, **DETERMINISTIC, "train.cuda_graphs": graphs})
            for graphs in (True, False)
        }  # fmt: skip
    finally:
        torch.use_deterministic_algorithms(False)
    assert results[True].cuda_graph == "replayed"
    assert results[False].cuda_graph == "not used: train.cuda_graphs is off"
    assert json.loads((tmp_path / "graphs-True" / "run.json").read_text())["cuda_graph"] == "replayed"
    graphed = checkpoint_tensors(tmp_path / "graphs-True" / "checkpoint.pt")
    eager = checkpoint_tensors(tmp_path / "graphs-False" / "checkpoint.pt")
    for part in ("generator", "discriminator", "ema"):
        for name in eager[part]:
            assert torch.allclose(graphed[part][name], eager[part][name], rtol=1e-5, atol=1e-6), (part, name)
    assert graphed["rng"]["noise"].equal(eager["rng"]["noise"])  # the noise generator advanced alike
    assert results[True].last_stats["d_loss"] == pytest.approx(results[False].last_stats["d_loss"], rel=1e-4)


class _UndeclaredLoss(GANLoss):
    """A plain non-saturating loss that does not declare cuda_graph_safe."""

    probability_scores = True

    def d_objective(self, real_scores, fake_scores):
        return torch.nn.functional.softplus(-real_scores).mean() + torch.nn.functional.softplus(fake_scores).mean()

    def g_objective(self, fake_scores):
        return torch.nn.functional.softplus(-fake_scores).mean()


class _HostReadingLoss(_UndeclaredLoss):
    """Declares itself graph-safe but waits for the host: its capture must fail in words."""

    cuda_graph_safe = True

    def d_objective(self, real_scores, fake_scores):
        value = super().d_objective(real_scores, fake_scores)
        if value.item() > 1e6:  # a host read: not allowed while a graph is captured
            raise AssertionError("unreachable at these sizes")
        return value


class _TestLossesPlugin:
    @staticmethod
    @ganzoo.hookimpl
    def ganzoo_losses():
        yield ganzoo.LossSpec(name="host-reading", summary="Reads a value back each step.", build=_HostReadingLoss)
        yield ganzoo.LossSpec(name="undeclared", summary="Declares nothing.", build=_UndeclaredLoss)


def test_a_failed_capture_stops_in_words_and_the_run_resumes_without_graphs(tmp_path, tiny_mnist_root):
    # The capture is at the 4th iteration (after 3 eager ones); the checkpoint at step 2 stays intact.
    # It runs in its own process: torch leaves a failed capture's stream unusable in the one it failed in.
    script = f"""
import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); sys.path.insert(0, {str(Path(__file__).parents[1])!r})
import ganzoo
from conftest import make_registry
from ganzoo.errors import GanzooError
from test_cuda import _TestLossesPlugin, TINY_MLP
try:
    ganzoo.train("vanilla-mnist", loss="host-reading", steps=8, out={str(tmp_path / "run")!r}, device="cuda",
                 data_dir={str(tiny_mnist_root)!r}, quiet=True, download=False,
                 overrides={{**TINY_MLP, "train.checkpoint_every": 2}}, registry=make_registry(_TestLossesPlugin))
except GanzooError as exc:
    print(exc.message); sys.exit(exc.exit_code)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "could not be recorded as a CUDA graph" in done.stdout and "train.cuda_graphs=false" in done.stdout, done.stdout + done.stderr
    assert ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 2
    result = ganzoo.train(resume=tmp_path / "run", steps=8, data_dir=tiny_mnist_root, quiet=True, download=False,
                          overrides={"train.cuda_graphs": False}, registry=make_registry(_TestLossesPlugin))  # fmt: skip
    assert result.step == 8 and math.isfinite(result.last_stats["d_loss"])
    assert result.cuda_graph == "not used: train.cuda_graphs is off"


class _Messages(Reporter):
    def __init__(self):
        self.lines = []

    def message(self, text):
        self.lines.append(text)


def test_a_gpu_run_without_a_graph_says_why(tmp_path, tiny_mnist_root):
    messages = _Messages()
    result = ganzoo.train("vanilla-mnist", loss="undeclared", steps=5, out=tmp_path / "run", device="cuda",
                          data_dir=tiny_mnist_root, quiet=False, reporter=messages, download=False,
                          overrides=TINY_MLP, registry=make_registry(_TestLossesPlugin))  # fmt: skip
    assert result.cuda_graph == "not used: the loss does not declare cuda_graph_safe = True"
    assert any("without a CUDA graph: the loss does not declare" in line for line in messages.lines), messages.lines
