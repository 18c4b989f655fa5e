"""The mechanics of an objective's phases: which run when, and one phase's update.

An objective (:mod:`ganzoo.objectives`) says what each phase optimises; the
:class:`PhaseRunner` does the rest, the same way for every objective: it
freezes the networks a phase does not update, zeroes their gradients, runs
the loss under autocast, multiplies a lazy phase's loss by its interval,
scales it for fp16, clips each network's gradients, steps the optimizers
and checks the loss is finite, naming the phase. Under DDP the networks a
phase trains run wrapped (their gradients are averaged across processes) and
the frozen ones unwrapped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from ganzoo.augment import Augment
from ganzoo.engine.networks import NetworkSet
from ganzoo.engine.runtime import Precision
from ganzoo.errors import ConfigError, GanzooError, TrainingError
from ganzoo.inputs import InputSampler
from ganzoo.losses import input_gradients
from ganzoo.objectives import Objective, Phase, PhaseContext, PhaseLoss

#: ``next_batch(d)``: the ``d``-th real batch of an iteration.
NextBatch = Callable[[int], dict[str, Tensor]]


@dataclass
class PhaseRecord:
    """A phase's last loss, terms and scores, detached: what logging and the divergence check read."""

    total: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)
    scores: dict[str, Tensor] = field(default_factory=dict)


def check_phases(phases: Sequence[Phase], networks: NetworkSet, objective: Objective) -> None:
    """Refuse, in words, phases that name networks the run does not have, or that repeat a name."""
    names = [phase.name for phase in phases]
    if not phases:
        raise ConfigError(f"the objective {type(objective).__name__} declares no phases", "", "fix the objective")
    if len(set(names)) != len(names):
        raise ConfigError(f"the objective {type(objective).__name__} declares the phases {names}",
                          "each phase needs a name of its own (metrics are logged by it)", "rename one")  # fmt: skip
    for phase in phases:
        for name in phase.updates + (phase.freeze or ()):
            if name not in networks:
                raise ConfigError(
                    f"phase {phase.name!r} of {type(objective).__name__} uses a network {name!r} this run does not have",
                    f"the run's networks are {', '.join(networks.names())}",
                    f"add {name} to the recipe's networks (or --set networks.{name}...)",
                )
        if not hasattr(objective, phase.method):
            raise ConfigError(f"{type(objective).__name__} declares phase {phase.name!r} but has no {phase.method}()",
                              "the engine calls <phase name in lower case>_loss(ctx) for each phase",
                              f"add {phase.method}(self, ctx) to the objective")  # fmt: skip


def batches_needed(phases: Sequence[Phase]) -> int:
    """Real batches an iteration of ``phases`` takes."""
    count, have = 0, False
    for phase in phases:
        if phase.new_batch:
            count += phase.repeat
            have = True
        elif not have:
            count, have = count + 1, True
    return count


class _Context(PhaseContext):
    """The engine's :class:`PhaseContext`: one object, refilled for every phase."""

    def __init__(self, runner: "PhaseRunner") -> None:
        self._runner = runner
        self.scratch = {}
        self.batch = {}
        self.batch_size = runner.batch_size
        self.modules = runner.networks.modules()
        self.nets = _Callables(runner.networks)

    def inputs(self, n: Optional[int] = None) -> dict[str, Tensor]:
        runner = self._runner
        return runner.sampler.sample(n or self.batch_size, batch=self.batch, generator=runner.noise,
                                     device=runner.device)  # fmt: skip

    def generate(self, inputs: Mapping[str, Tensor], network: str = "G") -> Any:
        return self._runner.sampler.call(self.nets[network], inputs)

    def input_grad(self, outputs: Tensor, inputs: Tensor) -> Tensor:
        return input_gradients(outputs, inputs, self._runner.current_scaler)


class _Callables(Mapping[str, nn.Module]):
    """``ctx.nets``: each network as the current phase may call it (trained: wrapped; frozen: unwrapped)."""

    def __init__(self, networks: NetworkSet) -> None:
        self._networks = networks

    def __getitem__(self, name: str) -> nn.Module:
        return self._networks.callable(name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._networks.names())

    def __len__(self) -> int:
        return len(self._networks.names())


class PhaseRunner:
    """Runs an objective's phases: one iteration at a time, or a phase alone (discriminator warm-up)."""

    def __init__(self, *, objective: Objective, phases: Sequence[Phase], networks: NetworkSet, sampler: InputSampler,
                 precision: Precision, noise: torch.Generator, device: torch.device, batch_size: int,
                 grad_clip: float, augment: Optional[Augment] = None, check_every_phase: bool = False,
                 on_nonfinite: Callable[[str, int], GanzooError]) -> None:  # fmt: skip
        self.objective, self.phases, self.networks = objective, list(phases), networks
        self.sampler, self.precision, self.noise, self.device = sampler, precision, noise, device
        self.batch_size, self.grad_clip, self.augment = batch_size, grad_clip, augment
        self.check_every_phase, self.on_nonfinite = check_every_phase, on_nonfinite
        self.current_scaler: Optional[torch.amp.GradScaler] = None
        self.ctx = _Context(self)
        self.all_trained = set().union(*(phase.updates for phase in self.phases))
        self._started = False
        # Per phase, fixed for the run: the networks it freezes and the optimizers it steps.
        self._plan = {
            phase.name: (phase.freeze if phase.freeze is not None else
                         tuple(name for name in networks.names() if name not in phase.updates),
                         list(dict.fromkeys(networks.owner[name] for name in phase.updates)))
            for phase in self.phases
        }  # fmt: skip

    # -- schedule --------------------------------------------------------------------------

    def due(self, step: int) -> list[Phase]:
        """The phases of the iteration after ``step`` generator steps."""
        return [phase for phase in self.phases if phase.due(step)]

    def warmup_phases(self) -> list[Phase]:
        """The phases ``train.d_warmup_steps`` runs alone: those that do not update G."""
        return [phase for phase in self.phases if "G" not in phase.updates]

    @property
    def uniform(self) -> bool:
        """Whether every iteration runs the same phases (what a CUDA graph replays)."""
        return all(phase.every == 1 for phase in self.phases)

    # -- running ---------------------------------------------------------------------------

    def iteration(self, step: int, next_batch: NextBatch, warmup: bool = False) -> dict[str, PhaseRecord]:
        """Every phase due at ``step`` (each ``repeat`` times; in warm-up, the warm-up phases once).

        Returns the records of the phases that ran; the EMAs are updated once
        at the end of a training iteration.
        """
        ctx = self.ctx
        ctx.scratch.clear()
        ctx.step, ctx.warmup = step, warmup
        phases = self.warmup_phases() if warmup else self.due(step)
        batches_taken = 0
        have_batch = False
        records: dict[str, PhaseRecord] = {}
        for phase in phases:
            for repetition in range(1 if warmup else phase.repeat):
                if phase.new_batch or not have_batch:
                    ctx.batch = next_batch(batches_taken)
                    batches_taken += 1
                    have_batch = True
                records[phase.name] = self.run_phase(phase, repetition)
        if not warmup:
            self.networks.update_emas()
        return records

    def run_phase(self, phase: Phase, repetition: int) -> PhaseRecord:
        """One update: freeze, loss, backward, clip, step; the detached record of it."""
        ctx, networks = self.ctx, self.networks
        ctx.phase, ctx.repetition = phase, repetition
        frozen, owners = self._plan[phase.name]
        networks.set_trainable(frozen)
        self.current_scaler = scaler = networks.scalers[owners[0]]
        try:
            with self.precision.autocast():
                out: PhaseLoss = self.objective.loss(ctx)
            total = out.total * phase.gain if phase.gain != 1 else out.total
            for owner in owners:
                networks.optimizers[owner].zero_grad(set_to_none=True)
            scaler.scale(total).backward()
        except GanzooError:
            raise
        except (RuntimeError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            if self._started:
                raise
            raise self._first_step_error(phase, exc) from exc
        if self.grad_clip:
            # Clipping must see true gradient norms, so unscale first (a no-op unless fp16).
            for owner in owners:
                scaler.unscale_(networks.optimizers[owner])
            for name in phase.updates:
                nn.utils.clip_grad_norm_(networks[name].module.parameters(), self.grad_clip)
        for owner in owners:
            scaler.step(networks.optimizers[owner])
        scaler.update()
        self.objective.after_step(ctx)
        # This phase's gradients are spent: free their memory until the networks' next phase.
        for owner in owners:
            networks.optimizers[owner].zero_grad(set_to_none=True)
        real_scores = out.scores.get("real")
        if self.augment is not None and real_scores is not None:
            self.augment.observe(real_scores)
        total = total.detach()
        if self.check_every_phase and not math.isfinite(total.item()):  # the CPU path, never captured in a graph
            raise self.on_nonfinite(phase.name, ctx.step)
        self._started = True
        return PhaseRecord(total, {k: v.detach() for k, v in out.terms.items()},
                           {k: v.detach() for k, v in out.scores.items()})  # fmt: skip

    def _first_step_error(self, phase: Phase, exc: BaseException) -> TrainingError:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        return TrainingError(
            f"phase {phase.name!r} of {type(self.objective).__name__} failed at its first step",
            f"{type(exc).__name__}: {' '.join(lines[:2])[:400]} -- the objective, its networks "
            f"({', '.join(phase.updates)} updated) and the data do not fit together",
            "check that the networks, input sampler and dataset are the ones the objective was written for "
            "(a recipe made for it names them: ganzoo list recipes)",
        )
