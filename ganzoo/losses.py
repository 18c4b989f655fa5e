"""The loss contract: what a ``LossSpec`` builder returns.

A loss sees the discriminator itself, not only its scores, so that losses which
need gradients with respect to D's inputs (WGAN-GP, R1) or real scores in the
generator step (relativistic losses) fit the same interface. Simple losses
only override :meth:`GANLoss.d_objective` and :meth:`GANLoss.g_objective`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import torch
from torch import Tensor, nn

#: ``input_grad(outputs, inputs) -> d(outputs.sum())/d(inputs)`` with a graph,
#: safe under fp16 autocast (the engine scales and unscales it).
InputGrad = Callable[[Tensor, Tensor], Tensor]

#: The largest gradient seed :func:`input_gradients` uses under fp16: a power of two
#: with headroom below fp16's maximum of 65504.
_FP16_SEED_MAX = 2.0**14


@dataclass
class LossTerms:
    """A loss value plus D's detached per-sample scores for logging (``None`` if not computed)."""

    loss: Tensor
    real_score: Optional[Tensor] = None
    fake_score: Optional[Tensor] = None


def input_gradients(outputs: Tensor, inputs: Tensor, scaler: "torch.amp.GradScaler | None" = None) -> Tensor:
    """Gradient of ``outputs.sum()`` w.r.t. ``inputs``, keeping the graph for a penalty.

    Under fp16 the gradient is taken of the output times the scaler's scale, so
    small values do not underflow, and divided by it afterwards -- the recipe of
    PyTorch's AMP examples for gradient penalties. Without a scaler it is plain
    autograd.
    """
    total = outputs.float().sum()
    if scaler is not None and scaler.is_enabled():
        # Each output's gradient starts as the scale itself, cast to the outputs' dtype
        # on the way back through ``.float()``. GradScaler starts at 2**16, above fp16's
        # largest value (65504): capped at 2**14, the seed stays finite, and a scale the
        # scaler has lowered below that is used as it is. A tensor op, so no host sync.
        seed = scaler.scale(torch.ones((), device=outputs.device)).clamp(max=_FP16_SEED_MAX)
        (grad,) = torch.autograd.grad(total * seed, inputs, create_graph=True)
        return grad.float() / seed
    (grad,) = torch.autograd.grad(total, inputs, create_graph=True)
    return grad.float()


def per_sample_norm(grad: Tensor) -> Tensor:
    """L2 norm of each sample's gradient over all non-batch dimensions, shape ``(B,)``."""
    return grad.flatten(start_dim=1).norm(2, dim=1)


def r1_penalty(D: nn.Module, real: Tensor, labels: Optional[Tensor], input_grad: InputGrad) -> Tensor:
    """R1 (Mescheder et al. 2018): ``E ||grad_x D(x)||^2`` on real data, without the gamma/2."""
    real = real.detach().requires_grad_(True)
    scores = D(real, labels)
    return per_sample_norm(input_grad(scores, real)).pow(2).mean()


def batch_independent(D: nn.Module) -> bool:
    """Whether D scores each sample on its own: no batch statistics, no per-call power iteration.

    A discriminator opts in with the class attribute ``independent_scores = True``
    (ganzoo cannot see batch statistics computed in code, such as a minibatch
    standard deviation); even then, batch norm -- which would normalise real
    and fake together if they shared a batch -- and spectral norm -- which
    advances its power iteration once per call -- switch one pass off, since
    either makes one pass over both batches differ from two.
    """
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.utils import parametrize

    # D.modules() also walks into DDP and torch.compile wrappers.
    if not any(getattr(module, "independent_scores", False) for module in D.modules()):
        return False
    for module in D.modules():
        if isinstance(module, _BatchNorm) or parametrize.is_parametrized(module):
            return False
        if any(name.endswith("_orig") for name, _ in module.named_parameters(recurse=False)):
            return False  # the older torch.nn.utils.spectral_norm hook
    return True


def outputs_on_both(D: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor]) -> tuple[Any, Any]:
    """D's outputs on a real and a fake batch: one pass over both when D scores samples independently.

    One pass over both batches stacked is the same function as two passes, in
    half the calls, with larger matrix products and no summing of two sets of
    weight gradients (on 2 CPU cores, vanilla-mnist trains about 15 % faster).
    The outputs are split back into the real and the fake half whether D
    returns a tensor or a dict of heads.
    """
    if real.shape[1:] != fake.shape[1:] or real.dtype != fake.dtype or not batch_independent(D):
        return D(real, labels), D(fake, labels)
    both_labels = torch.cat([labels, labels]) if labels is not None else None
    out = D(torch.cat([real, fake]), both_labels)
    n = len(real)
    if isinstance(out, Mapping):
        return {k: v[:n] for k, v in out.items()}, {k: v[n:] for k, v in out.items()}
    return out[:n], out[n:]


def scores_on_both(D: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor]) -> tuple[Tensor, Tensor]:
    """D's float scores on the real and the fake batch (see :func:`outputs_on_both`)."""
    real_scores, fake_scores = outputs_on_both(D, real, fake, labels)
    return real_scores.float(), fake_scores.float()


class GANLoss:
    """Base class of adversarial objectives.

    Attributes:
        n_critic: discriminator steps per generator step this loss is meant for
            (the engine uses it unless the configuration sets ``n_critic``).
        probability_scores: whether ``sigmoid(score)`` is a probability
            (true for the cross-entropy losses); progress displays D(x) and
            D(G(z)) as probabilities then, and as raw scores otherwise.
        cuda_graph_safe: whether the engine may record one training iteration
            with this loss as a CUDA graph and replay it (``train.cuda_graphs``).
            Replays repeat only GPU work: declare it only when every method
            is tensor code that neither reads a value back to the host
            (``.item()``, ``if tensor:``) nor keeps Python-side state that
            changes between steps (a Python counter or schedule). Generators
            and discriminators declare it the same way, as a class attribute.
            It is read from the object's own class only, not inherited: a
            subclass may add state its parent did not have, so it declares again.
    """

    n_critic: int = 1
    probability_scores: bool = False
    cuda_graph_safe: bool = False

    # -- override these for a simple loss -------------------------------------

    def d_objective(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """The discriminator's loss from its scores on real and fake batches."""
        raise NotImplementedError

    def g_objective(self, fake_scores: Tensor) -> Tensor:
        """The generator's loss from D's scores on a fake batch."""
        raise NotImplementedError

    def penalty(
        self, D: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor], input_grad: InputGrad
    ) -> Optional[Tensor]:
        """An extra term added to the discriminator loss (gradient penalty ...)."""
        return None

    def after_discriminator_step(self, D: nn.Module) -> None:
        """Called after each optimizer step of D (weight clipping ...)."""

    # -- what the engine calls ---------------------------------------------------

    def discriminator_loss(
        self, D: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor], input_grad: InputGrad
    ) -> LossTerms:
        """D's loss on a real batch and a (detached) fake batch."""
        real_scores, fake_scores = scores_on_both(D, real, fake, labels)
        loss = self.d_objective(real_scores, fake_scores)
        extra = self.penalty(D, real, fake, labels, input_grad)
        if extra is not None:
            loss = loss + extra
        return LossTerms(loss, real_scores.detach(), fake_scores.detach())

    def generator_loss(self, D: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor]) -> LossTerms:
        """G's loss; ``real`` is there for losses (relativistic ones) that need it."""
        fake_scores = D(fake, labels).float()
        return LossTerms(self.g_objective(fake_scores), None, fake_scores.detach())
