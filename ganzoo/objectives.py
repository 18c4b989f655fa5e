"""Objectives with phases: what a ``LossSpec`` builder returns under plugin contract 2.

An objective declares its training iteration as data, in the manner of
StyleGAN2-ADA's training loop: a list of :class:`Phase` records, each naming
the networks it updates, how often it runs and how many times in a row::

    class MyObjective(Objective):
        def phases(self):
            return [
                Phase("D", updates=("D",), repeat=self.n_critic),
                Phase("D_reg", updates=("D",), every=16, new_batch=False),  # lazy R1
                Phase("G", updates=("G",), new_batch=False),
            ]

        def d_loss(self, ctx):   # one method per phase: <phase name in lower case>_loss
            ...
            return PhaseLoss(total, terms={"adv": adv}, scores={"real": real, "fake": fake})

For each phase the objective only computes a loss (and named terms to log);
the engine does the mechanics: it freezes the networks the phase does not
update, zeroes gradients, runs the loss under autocast, scales it for fp16,
clips gradients, steps the optimizers, keeps DDP in sync, checks the loss is
finite (naming the phase) and logs every term to ``metrics.jsonl``.

A contract-1 :class:`ganzoo.losses.GANLoss` runs through :class:`GANLossObjective`,
which makes the same calls in the same order as the 1.x loop did, so a seeded
run gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from ganzoo.losses import GANLoss, InputGrad, r1_penalty
from ganzoo.losses import outputs_on_both as both  # one pass of D over real and fake where it can
from ganzoo.specs import NETWORK_NAME_PATTERN


@dataclass(frozen=True)
class Phase:
    """One kind of update in a training iteration.

    Attributes:
        name: an identifier (``"D"``, ``"G_reg"``); the objective's method
            ``<name in lower case>_loss`` computes its loss, and metrics are
            logged as ``<name>_loss`` and ``<name>_<term>`` in lower case.
        updates: the networks whose optimizers step after the phase's backward pass.
        every: the phase runs on iterations ``step % every == 0`` (lazy
            regularisation: ``every=16`` for R1 as in StyleGAN2).
        repeat: how many times in a row it runs (``n_critic`` for a critic).
        new_batch: each repetition takes the next real batch; otherwise the
            phase sees the batch an earlier phase of the iteration took (the
            engine takes one if none has).
        freeze: the networks whose parameters take no gradient during the
            phase; None means every network the phase does not update.
        scale_by_interval: multiply the loss by ``every``, so that a lazy
            regulariser keeps its average strength (StyleGAN2's convention).
    """

    name: str
    updates: tuple[str, ...]
    every: int = 1
    repeat: int = 1
    new_batch: bool = True
    freeze: Optional[tuple[str, ...]] = None
    scale_by_interval: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NETWORK_NAME_PATTERN.match(self.name):
            raise ValueError(f"phase name {self.name!r} must be an identifier (letters, digits, _)")
        object.__setattr__(self, "updates", tuple(self.updates))
        if not self.updates:
            raise ValueError(f"phase {self.name!r} updates no network")
        if self.freeze is not None:
            object.__setattr__(self, "freeze", tuple(self.freeze))
        for value, what in ((self.every, "every"), (self.repeat, "repeat")):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"phase {self.name!r}: {what} must be a positive integer, got {value!r}")

    def due(self, step: int) -> bool:
        """Whether the phase runs in the iteration that starts after ``step`` generator steps."""
        return step % self.every == 0

    @property
    def gain(self) -> int:
        """The factor the engine multiplies the phase's loss by."""
        return self.every if self.scale_by_interval else 1

    @property
    def method(self) -> str:
        """The objective method that computes the phase's loss."""
        return f"{self.name.lower()}_loss"


@dataclass
class PhaseLoss:
    """What a phase's loss method returns.

    ``total`` is the scalar the engine differentiates. ``terms`` are named
    parts to log (detached by the engine). ``scores`` holds a discriminator's
    raw scores on ``"real"`` and ``"fake"`` samples, for the progress display
    (D(x), D(G(z))) and for adaptive augmentation.
    """

    total: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)
    scores: dict[str, Tensor] = field(default_factory=dict)


class PhaseContext:
    """What a phase's loss method is given; the engine fills it in.

    Attributes:
        phase: the :class:`Phase` being run.
        repetition: 0 to ``phase.repeat - 1``.
        step: generator steps done before this iteration.
        warmup: true during ``train.d_warmup_steps`` (phases that do not update G, alone).
        batch: the real batch's named fields (``"image"``, ``"label"`` when
            labelled, and any field the dataset declares).
        nets: the networks by name, ready to call (under DDP, in training
            mode; discriminators see augmented inputs when ``train.augment`` is set).
        modules: the same networks as plain modules, as checkpoints hold them
            (for work on the weights themselves, such as clipping).
        scratch: a dict emptied at the start of every iteration, for passing
            tensors between phases (a G step may reuse the fakes of the last D step).
        batch_size: samples per batch in this process.
    """

    phase: Phase
    repetition: int
    step: int
    warmup: bool
    batch: Mapping[str, Tensor]
    nets: Mapping[str, nn.Module]
    modules: Mapping[str, nn.Module]
    scratch: dict[str, Any]
    batch_size: int

    def inputs(self, n: Optional[int] = None) -> dict[str, Tensor]:
        """Fresh generator inputs for ``n`` samples (default: the batch size) from the run's input sampler."""
        raise NotImplementedError

    def generate(self, inputs: Mapping[str, Tensor], network: str = "G") -> Any:
        """Run a generator on ``inputs`` with the input sampler's calling convention."""
        raise NotImplementedError

    def input_grad(self, outputs: Tensor, inputs: Tensor) -> Tensor:
        """``d(outputs.sum())/d(inputs)`` with a graph, safe under fp16 (see :func:`ganzoo.losses.input_gradients`)."""
        raise NotImplementedError

    @property
    def last_repetition(self) -> bool:
        """Whether this is the phase's last repetition in the iteration."""
        return self.repetition == self.phase.repeat - 1


class Objective:
    """Base class of contract-2 objectives: phases as data, one loss method per phase.

    Class attributes declare what the objective needs; a configuration that
    cannot give it is refused before training, in words:

    Attributes:
        networks: the networks it uses by name (``G`` and ``D`` always exist;
            others come from the recipe's ``networks``).
        requires_outputs: per network, the heads it reads besides ``score``
            (``{"D": ("class_logits",)}``); checked against the
            discriminator's declared ``outputs``.
        requires_inputs: generator-input fields it reads (``("codes_cat",)``).
        requires_fields: batch fields it reads besides ``image`` (``("source",)``).
        requires_labels: whether the data must be labelled.
        accepts_patch_scores: whether it works with a discriminator that
            scores patches, ``(B, ...)``, rather than samples.
        probability_scores: whether ``sigmoid(score)`` is a probability (the
            progress display then shows D(x) as one).
        cuda_graph_safe: see :class:`ganzoo.losses.GANLoss`; read from the
            object's own class only.
        twice_differentiated: the networks whose outputs a phase
            differentiates with respect to their inputs (R1, path length);
            ``--compile`` leaves them uncompiled (torch.compile has no double backward).
    """

    networks: tuple[str, ...] = ("G", "D")
    twice_differentiated: tuple[str, ...] = ()
    requires_outputs: Mapping[str, tuple[str, ...]] = {}
    requires_inputs: tuple[str, ...] = ()
    requires_fields: tuple[str, ...] = ()
    requires_labels: bool = False
    accepts_patch_scores: bool = False
    probability_scores: bool = False
    cuda_graph_safe: bool = False

    def phases(self) -> Sequence[Phase]:
        """The phases of one iteration, in the order they run."""
        raise NotImplementedError

    def loss(self, ctx: PhaseContext) -> PhaseLoss:
        """The loss of ``ctx.phase``: calls the method :attr:`Phase.method` names."""
        method = getattr(self, ctx.phase.method, None)
        if method is None:
            raise NotImplementedError(f"{type(self).__name__} has no method {ctx.phase.method}() for phase {ctx.phase.name!r}")
        return method(ctx)

    def after_step(self, ctx: PhaseContext) -> None:
        """Called after each optimizer step of a phase (weight clipping, a running mean ...)."""

    def state_dict(self) -> dict[str, Any]:
        """State to checkpoint (image pools, running means): tensors and plain values only."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        if state:
            raise ValueError(f"{type(self).__name__} keeps no state, but the checkpoint holds {sorted(state)}")


# -- outputs ---------------------------------------------------------------------


def scores_of(output: Any) -> Tensor:
    """A discriminator's scores: the tensor itself, or its ``"score"`` entry."""
    return output["score"] if isinstance(output, Mapping) else output


def image_of(output: Any) -> Tensor:
    """A generator's samples: the tensor itself, or its ``"image"`` entry."""
    return output["image"] if isinstance(output, Mapping) else output


class ScoresOnly(nn.Module):
    """A discriminator with several outputs, seen through its scores alone (for contract-1 losses)."""

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return scores_of(self.discriminator(x, labels))


# -- the contract-1 adapter -------------------------------------------------------------


class GANLossObjective(Objective):
    """A contract-1 :class:`ganzoo.losses.GANLoss` as phases: ``D`` (``n_critic`` times), then ``G``.

    Each ``D`` repetition takes a new batch and fresh noise; the last one keeps
    its fakes' graph, and ``G`` reuses those fakes and that batch's labels (one
    generator forward per iteration, as the PyTorch DCGAN example does). ``G``
    is not frozen in ``D``: its fakes reach D detached, so it collects no
    gradient, and its graph stays whole for the ``G`` phase. ``r1_gamma`` adds
    ``gamma/2 * R1`` to D's loss (``train.r1_gamma``). This is the 1.x loop's
    order of calls exactly, so a seeded run gives the same weights.
    """

    networks = ("G", "D")
    probability_scores = False

    def __init__(self, loss: GANLoss, n_critic: int, r1_gamma: float = 0.0) -> None:
        self.legacy = loss
        self.n_critic = int(n_critic)
        self.r1_gamma = float(r1_gamma)
        self.probability_scores = bool(loss.probability_scores)
        self.accepts_patch_scores = bool(getattr(loss, "accepts_patch_scores", False))

    def phases(self) -> Sequence[Phase]:
        return [
            Phase("D", updates=("D",), repeat=self.n_critic, freeze=()),
            Phase("G", updates=("G",), new_batch=False),
        ]

    def d_loss(self, ctx: PhaseContext) -> PhaseLoss:
        labels = ctx.batch.get("label")
        real = ctx.batch["image"]
        keep_graph = ctx.last_repetition and not ctx.warmup  # the G phase reuses these fakes
        inputs = ctx.inputs()
        with torch.set_grad_enabled(keep_graph):
            fake = image_of(ctx.generate(inputs))
        D = ctx.nets["D"]
        terms = self.legacy.discriminator_loss(D, real, fake.detach(), labels, ctx.input_grad)
        total = terms.loss
        if self.r1_gamma:
            total = total + (self.r1_gamma / 2) * r1_penalty(D, real, labels, ctx.input_grad)
        if keep_graph:
            ctx.scratch["fake"] = fake
        scores = {name: value for name, value in (("real", terms.real_score), ("fake", terms.fake_score))
                  if value is not None}  # fmt: skip
        return PhaseLoss(total, scores=scores)

    def g_loss(self, ctx: PhaseContext) -> PhaseLoss:
        terms = self.legacy.generator_loss(ctx.nets["D"], ctx.batch["image"], ctx.scratch.pop("fake"),
                                           ctx.batch.get("label"))  # fmt: skip
        return PhaseLoss(terms.loss)

    def after_step(self, ctx: PhaseContext) -> None:
        if ctx.phase.name == "D":
            self.legacy.after_discriminator_step(ctx.modules["D"])


def as_objective(loss: Any, n_critic: int = 0, r1_gamma: float = 0.0) -> Objective:
    """An :class:`Objective` for what a ``LossSpec`` built: itself, or a GANLoss through the adapter.

    ``n_critic`` (``train.n_critic``; 0 means the loss's own) and ``r1_gamma``
    apply to contract-1 losses; ``n_critic`` also sets the repeat of a
    contract-2 objective's ``"D"`` phase.
    """
    if isinstance(loss, GANLoss):
        return GANLossObjective(loss, n_critic or loss.n_critic, r1_gamma)
    if isinstance(loss, Objective):
        return loss
    raise TypeError(f"a loss builder must return a ganzoo.objectives.Objective or a ganzoo.losses.GANLoss, "
                    f"got {type(loss).__name__}")  # fmt: skip


def with_repeat(phases: Sequence[Phase], name: str, repeat: int) -> list[Phase]:
    """``phases`` with phase ``name`` repeated ``repeat`` times (``train.n_critic`` for a ``"D"`` phase)."""
    from dataclasses import replace

    return [replace(p, repeat=repeat) if p.name == name and repeat else p for p in phases]


__all__ = [
    "GANLossObjective",
    "InputGrad",
    "Objective",
    "Phase",
    "PhaseContext",
    "PhaseLoss",
    "ScoresOnly",
    "as_objective",
    "both",
    "image_of",
    "scores_of",
    "with_repeat",
]
