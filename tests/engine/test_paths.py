"""The engine's other paths on CPU: streamed datasets, channels_last, torch.compile."""

from __future__ import annotations


import pytest
import torch

import ganzoo
from ganzoo.engine.batches import BatchSource, epoch_permutation
from ganzoo.engine.runtime import Precision, has_conv, to_channels_last
from conftest import make_image_folder
from test_training import assert_same, checkpoint_tensors


FOLDER_SETTINGS = {
    "dataset.size": 8,
    "dataset.channels": 1,
    "generator.hidden": [16],
    "discriminator.hidden": [16],
    "train.batch_size": 8,
    "train.num_workers": 0,
    "train.log_every": 2,
}


def test_image_folder_streams_through_a_dataloader_and_resumes_exactly(tmp_path):
    folder = make_image_folder(tmp_path / "images")
    settings = dict(FOLDER_SETTINGS, **{"dataset.path": str(folder)})
    common = dict(generator="vanilla-mlp-g", discriminator="vanilla-mlp-d", loss="non-saturating",
                  dataset="image-folder", overrides=settings, quiet=True)  # fmt: skip
    whole = ganzoo.train(steps=10, out=tmp_path / "whole", **common)
    assert whole.step == 10 and whole.images_seen == 80  # crosses an epoch of 48 images
    ganzoo.train(steps=5, out=tmp_path / "halves", **common)
    ganzoo.train(resume=tmp_path / "halves", steps=10, quiet=True)
    assert_same(checkpoint_tensors(tmp_path / "whole" / "checkpoint.pt"), checkpoint_tensors(tmp_path / "halves" / "checkpoint.pt"))


def test_image_folder_with_workers(tmp_path):
    folder = make_image_folder(tmp_path / "images", count=32)
    settings = dict(FOLDER_SETTINGS, **{"dataset.path": str(folder), "train.num_workers": 2})
    result = ganzoo.train(generator="vanilla-mlp-g", discriminator="vanilla-mlp-d", loss="non-saturating",
                          dataset="image-folder", steps=4, out=tmp_path / "run", overrides=settings, quiet=True)  # fmt: skip
    assert result.step == 4


def test_image_folder_without_images_is_a_clear_error(tmp_path):
    from ganzoo.errors import DataNotFoundError

    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="no images found"):
        ganzoo.train(generator="vanilla-mlp-g", discriminator="vanilla-mlp-d", loss="non-saturating",
                     dataset="image-folder", overrides={"dataset.path": str(tmp_path / "empty")},
                     out=tmp_path / "run", quiet=True)  # fmt: skip
    with pytest.raises(DataNotFoundError, match="needs a folder"):
        ganzoo.train(generator="vanilla-mlp-g", discriminator="vanilla-mlp-d", loss="non-saturating",
                     dataset="image-folder", out=tmp_path / "run2", quiet=True)  # fmt: skip


@pytest.mark.parametrize("workers", [0, 1])
def test_an_image_that_cannot_be_decoded_is_named_in_the_error(tmp_path, workers):
    from ganzoo.errors import DataError

    folder = make_image_folder(tmp_path / "images", count=16)
    broken = sorted(folder.rglob("*.png"))[3]
    broken.write_bytes(b"not a png at all")
    settings = dict(FOLDER_SETTINGS, **{"dataset.path": str(folder), "train.num_workers": workers})
    with pytest.raises(DataError, match="could not be read") as caught:
        ganzoo.train(generator="vanilla-mlp-g", discriminator="vanilla-mlp-d", loss="non-saturating",
                     dataset="image-folder", steps=4, out=tmp_path / "run", overrides=settings, quiet=True)  # fmt: skip
    assert f"cannot read the image {broken}" in caught.value.why
    assert "Traceback" not in caught.value.message


def test_truncated_mnist_files_are_called_truncated_not_missing(tmp_path, tiny_mnist_root):
    from ganzoo.errors import DataError

    images = tiny_mnist_root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])
    with pytest.raises(DataError, match="are there but cannot be read") as caught:
        ganzoo.train("vanilla-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, download=False,
                     quiet=True)  # fmt: skip
    assert "truncated or corrupt" in caught.value.why


def test_batches_cover_each_epoch_once_and_shard_across_ranks():
    from ganzoo.data import InMemoryData
    from ganzoo.specs import DataInfo

    data = InMemoryData(x=torch.arange(40.0).unsqueeze(1), y=None, info=DataInfo(shape=(1,), modality="points"))
    seen = []
    for rank in range(2):
        source = BatchSource(data, batch_size=5, seed=3, device=torch.device("cpu"), rank=rank, world_size=2)
        assert source.batches_per_epoch == 4
        seen += [source.next()["image"] for _ in range(4)]
    values = torch.cat(seen).flatten().long().sort().values
    assert torch.equal(values, torch.arange(40))  # every sample exactly once across the two ranks
    assert not torch.equal(epoch_permutation(40, 3, 0), epoch_permutation(40, 3, 1))  # a new order each epoch
    assert torch.equal(epoch_permutation(40, 3, 1), epoch_permutation(40, 3, 1))  # and a reproducible one


def test_data_in_host_memory_is_sent_as_stored_and_decoded_on_the_training_device():
    # The "meta" device stands in for a GPU here: it records where, what dtype and what shape.
    from ganzoo.data import InMemoryData
    from ganzoo.specs import DataInfo

    info = DataInfo(shape=(1, 4, 4), num_classes=10, modality="image", value_range=(-1.0, 1.0))
    data = InMemoryData(x=torch.randint(0, 256, (40, 1, 4, 4), dtype=torch.uint8), y=torch.randint(0, 10, (40,)),
                        info=info, scale=2 / 255, shift=-1.0)  # fmt: skip
    on_host = BatchSource(data, batch_size=8, seed=0, device=torch.device("meta"))
    on_cpu = BatchSource(data, batch_size=8, seed=0, device=torch.device("cpu"))
    for _ in range(6):  # across an epoch boundary (5 batches per epoch)
        batch, batch_cpu = on_host.next(), on_cpu.next()
        (x, labels), (x_cpu, labels_cpu) = (batch["image"], batch["label"]), (batch_cpu["image"], batch_cpu["label"])
        assert x.device.type == labels.device.type == "meta"
        assert x.dtype == torch.float32 and x.shape == x_cpu.shape == (8, 1, 4, 4)
        assert labels.shape == labels_cpu.shape == (8,)
    assert (on_host.epoch, on_host.cursor) == (on_cpu.epoch, on_cpu.cursor) == (1, 1)
    # decode() is the very arithmetic batch() applies, so either path gives the same values.
    indices = torch.tensor([3, 1, 4])
    assert torch.equal(data.decode(data.x[indices]), data.batch(indices)[0])


def test_batch_indices_follow_the_same_order_as_the_batches():
    # A CUDA graph gathers its batches from next_indices(); they must be next()'s batches.
    from ganzoo.data import InMemoryData
    from ganzoo.specs import DataInfo

    data = InMemoryData(x=torch.arange(40.0).unsqueeze(1) * 3, y=torch.arange(40) % 7, info=DataInfo(shape=(1,)))
    by_batch = BatchSource(data, batch_size=8, seed=5, device=torch.device("cpu"))
    by_index = BatchSource(data, batch_size=8, seed=5, device=torch.device("cpu"))
    for _ in range(12):  # over two epoch boundaries (5 batches per epoch)
        batch = by_batch.next()
        gathered = data.batch_fields(by_index.next_indices())
        assert batch.keys() == gathered.keys() == {"image", "label"}
        assert all(torch.equal(batch[key], gathered[key]) for key in batch)
    assert (by_batch.epoch, by_batch.cursor) == (by_index.epoch, by_index.cursor) == (2, 2)


def test_channels_last_applies_to_conv_nets_only():
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
    mlp = torch.nn.Linear(3, 3)
    assert has_conv(conv) and not has_conv(mlp)
    to_channels_last(conv)
    assert conv[0].weight.is_contiguous(memory_format=torch.channels_last)
    to_channels_last(mlp)  # a no-op, not an error
    out = conv(torch.randn(2, 1, 8, 8).to(memory_format=torch.channels_last))
    assert out.shape == (2, 4, 6, 6)


TINY_DCGAN = {"generator.base_channels": 8, "discriminator.base_channels": 8, "train.batch_size": 16,
              "train.log_every": 2, "train.checkpoint_every": 4, "train.sample_every": 100}


def _train_dcgan(out, data_root, steps, **overrides):
    return ganzoo.train("dcgan-mnist", steps=steps, out=out, data_dir=data_root, download=False, quiet=True,
                        device="cpu", overrides={**TINY_DCGAN, **overrides})  # fmt: skip


def test_conv_nets_train_channels_last_on_cpu_and_resume_from_a_contiguous_checkpoint(tmp_path, tiny_mnist_root):
    whole = _train_dcgan(tmp_path / "whole", tiny_mnist_root, steps=8)
    conv_weight = next(p for p in whole.generator.parameters() if p.dim() == 4)
    assert conv_weight.is_contiguous(memory_format=torch.channels_last)
    _train_dcgan(tmp_path / "halves", tiny_mnist_root, steps=4)
    # Rewrite the halfway checkpoint as a contiguous-layout run would have saved it (an older
    # ganzoo, or channels_last off): the fused Adam step must not pair moments with the wrong weights.
    path = tmp_path / "halves" / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    rewritten = 0
    for opt in ("opt_g", "opt_d"):
        for moments in state[opt]["state"].values():
            for key, value in moments.items():
                if not value.is_contiguous():  # saved channels_last
                    moments[key] = value.contiguous()
                    rewritten += 1
    assert rewritten >= 8  # both moments of at least four conv weights
    torch.save(state, path)
    ganzoo.train(resume=tmp_path / "halves", steps=8, quiet=True, data_dir=tiny_mnist_root, download=False)
    assert_same(checkpoint_tensors(tmp_path / "whole" / "checkpoint.pt"), checkpoint_tensors(path))


def test_channels_last_can_be_switched_off(tmp_path, tiny_mnist_root):
    result = _train_dcgan(tmp_path / "run", tiny_mnist_root, steps=2, **{"train.channels_last": False})
    assert all(p.is_contiguous() for p in result.generator.parameters())


def test_precision_is_one_switch():
    cpu = torch.device("cpu")
    assert not Precision(cpu, "bf16").grad_scaler().is_enabled()  # bf16 needs no scaling
    assert Precision(cpu, "fp16").grad_scaler().is_enabled()
    with Precision(cpu, "bf16").autocast():
        assert torch.mm(torch.randn(2, 2), torch.randn(2, 2)).dtype == torch.bfloat16
    with Precision(cpu, "fp32").autocast():
        assert torch.mm(torch.randn(2, 2), torch.randn(2, 2)).dtype == torch.float32


@pytest.mark.slow
def test_compile_trains_on_cpu(tmp_path):
    result = ganzoo.train("ring-8", steps=6, out=tmp_path / "run", compile=True, quiet=True,
                          overrides={"generator.hidden": [16], "discriminator.hidden": [16], "train.batch_size": 32,
                                     "dataset.samples": 512, "train.log_every": 3})  # fmt: skip
    assert result.step == 6
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert not any("_orig_mod" in key for key in state["generator"])  # checkpoints hold the plain modules


@pytest.mark.parametrize("loss, r1_gamma", [("non-saturating", 1.0), ("wgan-gp", 0.0)])
def test_compile_with_a_gradient_penalty_trains_on_cpu(tmp_path, loss, r1_gamma):
    # R1 and WGAN-GP differentiate through D with create_graph=True, which compiled backward
    # passes refuse unless their buffers are not donated.
    result = ganzoo.train("ring-8", loss=loss, steps=3, out=tmp_path / "run", compile=True, quiet=True,
                          overrides={"generator.hidden": [16], "discriminator.hidden": [16], "train.batch_size": 32,
                                     "dataset.samples": 512, "train.r1_gamma": r1_gamma, "train.n_critic": 1})  # fmt: skip
    assert result.step == 3
