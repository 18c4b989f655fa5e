"""Refusing non-finite weights and samples wherever they are about to be used (sampled, evaluated, published).

A diverged generator draws black pictures and makes metrics fail; these
checks say so in words instead. The training engine's own checks (no
non-finite checkpoint is ever written) are in :mod:`ganzoo.engine.health`.
"""

from __future__ import annotations

from typing import Mapping, Type

import torch
from torch import Tensor

from ganzoo.errors import GanzooError

#: What the fix says where diverged weights are about to be used (sampled, evaluated, published).
EARLIER_WEIGHTS_FIX = ("use weights from before the run diverged (an earlier checkpoint or its best.pt), "
                       "or train again with lower learning rates")  # fmt: skip


@torch.no_grad()
def non_finite_tensors(tensors: Mapping[str, Tensor]) -> list[str]:
    """The names of the floating-point tensors in a state dict that hold a NaN or an infinity."""
    return [name for name, t in tensors.items()
            if isinstance(t, Tensor) and t.is_floating_point() and not bool(torch.isfinite(t).all())]  # fmt: skip


def refuse_non_finite(tensors: Mapping[str, Tensor], what: str, source: object, error: Type[GanzooError]) -> None:
    """Raise ``error`` if ``what`` (e.g. "the generator's weights") in ``source`` hold a NaN or an infinity.

    For everything that loads weights to use them: a non-finite generator
    draws black pictures and makes metrics fail, so it is refused in words.
    """
    bad = non_finite_tensors(tensors)
    if bad:
        raise error(
            f"{what} in {source} are not finite",
            f"{len(bad)} of {len(tensors)} tensors, such as {bad[0]!r}, hold NaN or infinite values: "
            "the training run they come from diverged",
            EARLIER_WEIGHTS_FIX,
        )


def refuse_non_finite_samples(samples: Tensor, error: Type[GanzooError]) -> Tensor:
    """``samples``, or ``error`` if any is NaN or infinite (finite weights can still overflow)."""
    bad = int((~torch.isfinite(samples.reshape(len(samples), -1))).any(dim=1).sum()) if len(samples) else 0
    if bad:
        raise error(
            f"{bad} of {len(samples)} generated samples are not finite",
            "the generator's outputs overflow, even where its weights are finite: the training run diverged",
            EARLIER_WEIGHTS_FIX,
        )
    return samples
