"""Batches in a reproducible order that a checkpoint can capture and restore.

Each epoch's order is a permutation drawn from ``(seed, epoch)`` alone, so the
data order is fully described by two integers -- ``epoch`` and ``cursor``
(batches already taken this epoch) -- and resuming needs no saved generator.
With several processes, each rank takes every ``world_size``-th index.
"""

from __future__ import annotations

from typing import Iterator, Optional

import torch
from torch import Tensor

from ganzoo.data import InMemoryData, StreamingData
from ganzoo.errors import ConfigError, DataError

_EPOCH_STRIDE = 1_000_003  # a prime, so (seed, epoch) pairs do not collide for small values


def epoch_permutation(num_samples: int, seed: int, epoch: int) -> Tensor:
    """The sample order of one epoch."""
    generator = torch.Generator().manual_seed(seed * _EPOCH_STRIDE + epoch)
    return torch.randperm(num_samples, generator=generator)


class BatchSource:
    """Yields batches -- dicts of named fields (``"image"``, ``"label"`` ...) -- on the training device, epoch after epoch."""

    def __init__(
        self,
        data: InMemoryData | StreamingData,
        batch_size: int,
        seed: int,
        device: torch.device,
        *,
        epoch: int = 0,
        cursor: int = 0,
        rank: int = 0,
        world_size: int = 1,
        num_workers: int = 0,
    ) -> None:
        self.data, self.batch_size, self.seed, self.device = data, batch_size, seed, device
        self.rank, self.world_size, self.num_workers = rank, world_size, num_workers
        self.epoch, self.cursor = epoch, cursor
        self.batches_per_epoch = (len(data) // world_size) // batch_size
        if self.batches_per_epoch < 1:
            raise ConfigError(
                f"the dataset has {len(data)} samples: too few for one batch of {batch_size}"
                + (f" on each of {world_size} processes" if world_size > 1 else ""),
                "every step draws a full batch (the last, incomplete batch of an epoch is dropped)",
                f"give a --batch-size of at most {len(data) // world_size}, or use more data",
            )
        self._order: Optional[Tensor] = None
        # In-memory data left on the CPU while training on an accelerator (train.data_on_device off).
        self._data_in_host_memory = (
            isinstance(data, InMemoryData) and data.x.device.type == "cpu" and device.type != "cpu"
        )
        self._stream: Optional[Iterator[tuple[Tensor, Tensor]]] = None

    def _shard(self) -> Tensor:
        order = epoch_permutation(len(self.data), self.seed, self.epoch)
        return order[self.rank :: self.world_size][: self.batches_per_epoch * self.batch_size]

    def next(self) -> dict[str, Tensor]:
        """The next batch; advances ``cursor`` (and ``epoch`` at the end of one)."""
        self._turn_epoch_if_done()
        if isinstance(self.data, InMemoryData):
            batch = self._next_in_memory()
        else:
            batch = self._next_streamed()
        self.cursor += 1
        return batch

    def _turn_epoch_if_done(self) -> None:
        """Start the next epoch (a new order) once this one's batches are used up."""
        if self.cursor >= self.batches_per_epoch:
            self.epoch, self.cursor = self.epoch + 1, 0
            self._order, self._stream = None, None

    def next_indices(self) -> Tensor:
        """The next batch's sample indices, on the data's device, without gathering it; advances like :meth:`next`.

        For in-memory data only: a captured CUDA graph gathers and decodes
        the batch itself, from indices copied into its own buffer.
        """
        if not isinstance(self.data, InMemoryData):
            raise TypeError("next_indices needs in-memory data")
        self._turn_epoch_if_done()
        indices = self._slice()
        self.cursor += 1
        return indices

    def _slice(self) -> Tensor:
        """This cursor's index slice of the epoch's order."""
        if self._order is None:
            # One host-to-device copy per epoch; per batch only an index slice.
            self._order = self._shard().to(self.data.x.device)
        start = self.cursor * self.batch_size
        return self._order[start : start + self.batch_size]

    def _next_in_memory(self) -> dict[str, Tensor]:
        assert isinstance(self.data, InMemoryData)
        indices = self._slice()
        if not self._data_in_host_memory:
            return self.data.batch_fields(indices)
        # train.data_on_device off: gather the stored rows (uint8 for MNIST, a quarter of
        # float32's bytes), send them through pinned memory, and decode them on the device.
        batch = {"image": self.data.decode(self._to_device(self.data.x[indices]))}
        if self.data.y is not None:
            batch["label"] = self._to_device(self.data.y[indices])
        for name, values in self.data.fields.items():
            picked = self._to_device(values[indices])
            batch[name] = self.data.decode(picked) if picked.dtype == torch.uint8 else picked
        return batch

    def _to_device(self, host: Tensor) -> Tensor:
        """A host tensor on the training device; through pinned memory, asynchronously, on CUDA."""
        if self.device.type == "cuda":
            return host.pin_memory().to(self.device, non_blocking=True)
        return host.to(self.device)

    def _next_streamed(self) -> dict[str, Tensor]:
        assert isinstance(self.data, StreamingData)
        if self._stream is None:
            remaining = self._shard()[self.cursor * self.batch_size :].tolist()
            loader = torch.utils.data.DataLoader(
                self.data.dataset,
                batch_size=self.batch_size,
                sampler=remaining,
                num_workers=self.num_workers,
                pin_memory=self.device.type == "cuda",
                drop_last=True,
                # The loader draws its workers' base seed from this generator; left to
                # the global RNG, creating a loader on resume would shift every later
                # random number and break bit-exact resume.
                generator=torch.Generator().manual_seed(self.seed * _EPOCH_STRIDE + self.epoch),
            )
            self._stream = iter(loader)
        try:
            sample = next(self._stream)
        except StopIteration:
            raise
        except Exception as exc:
            # From a worker the error arrives as text ending in its own last line ("ValueError: ...").
            lines = [line for line in str(exc).strip().splitlines() if line.strip()]
            raise DataError(
                "a batch of the dataset could not be read",
                lines[-1].strip() if lines else type(exc).__name__,
                "fix or remove that file, then train again (or --resume RUN_DIR from its last checkpoint)",
            ) from None
        if isinstance(sample, dict):  # a dataset with named fields
            return {name: value.to(self.device, non_blocking=True) for name, value in sample.items()}
        x, y = sample
        batch = {"image": x.to(self.device, non_blocking=True)}
        if self.data.info.num_classes:
            batch["label"] = y.to(self.device, non_blocking=True)
        return batch
