"""The adversarial training loop: one function, read top to bottom.

Every combination of networks, objective, inputs and dataset runs through
:func:`training_loop`. The objective decides *what* is optimised, as phases
(see :mod:`ganzoo.objectives`); :mod:`ganzoo.engine.phases` does each phase's
update; this loop decides *when*: the iterations, logging, sample grids,
evaluation and checkpoints, with everything needed to continue bit-exactly
saved in each checkpoint.
"""

from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import torch
from torch import Tensor, nn

from ganzoo.augment import Augment
from ganzoo.data import InMemoryData, StreamingData, first_samples
from ganzoo.artifacts import atomic
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.engine import health
from ganzoo.engine.batches import BatchSource
from ganzoo.config import weights_config
from ganzoo.engine.cuda_graph import GraphedIteration, graph_blocker, graph_parts
from ganzoo.engine.networks import NetworkSet, optimizer_settings
from ganzoo.engine.phases import PhaseRecord, PhaseRunner, batches_needed
from ganzoo.engine.report import Reporter
from ganzoo.engine.runtime import Precision
from ganzoo.artifacts.pictures import write_samples
from ganzoo.errors import CheckpointError, GanzooError, TrainingError
from ganzoo.inputs import InputSampler
from ganzoo.loggers import Logger
from ganzoo.objectives import Objective, Phase, image_of


class Interrupted(GanzooError):
    """Training was stopped by Ctrl-C or SIGTERM after saving a checkpoint.

    ``result`` holds where it stopped (step, images, wall time, last logged
    statistics), for ``run.json``.
    """

    exit_code = 130
    same_on_every_rank = True
    result: Optional["TrainResult"] = None


@dataclass
class TrainResult:
    """What a finished run leaves behind."""

    run_dir: Path
    step: int
    images_seen: int
    wall_time: float  # seconds spent training, summed over resumes
    last_stats: dict[str, Any]
    generator: nn.Module  # the EMA generator when EMA is on, in eval mode
    cuda_graph: str = "not used"  # "replayed" when iterations ran as one CUDA graph, else why not
    collapse: Optional[dict[str, Any]] = None  # when training looked collapsed: health.CollapseDetector's report


EVAL_LOG_NAME = "eval.jsonl"
#: Multi-process runs: steps between the ranks' agreement on a Ctrl-C / SIGTERM.
STOP_CHECK_EVERY = 10
BEST_CHECKPOINT_NAME = "best.pt"
BEST_INFO_NAME = "best.json"


@dataclass
class Distributed:
    """This process's place in a multi-process run (rank 0 of 1 when alone)."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls) -> "Distributed":
        """The rank and world size torchrun sets (``RANK``, ``WORLD_SIZE``); rank 0 of 1 otherwise."""
        return cls(rank=int(os.environ.get("RANK", 0)), world_size=int(os.environ.get("WORLD_SIZE", 1)))

    def any(self, flag: bool, device: torch.device) -> bool:
        """Whether ``flag`` is true on any rank (a collective: every rank must call it)."""
        if self.world_size == 1:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=device)
        torch.distributed.all_reduce(value, op=torch.distributed.ReduceOp.MAX)
        return bool(value.item())

    def barrier(self) -> None:
        """Wait for every rank (a no-op alone)."""
        if self.world_size > 1:
            torch.distributed.barrier()

    def check_identical(self, modules: dict[str, nn.Module], device: torch.device, step: int) -> None:
        """Raise if any rank's weights differ from rank 0's (DDP keeps them bit-identical)."""
        if self.world_size == 1:
            return
        sums = torch.stack([p.detach().double().sum() for m in modules.values() for p in m.parameters()]).to(device)
        gathered = [torch.empty_like(sums) for _ in range(self.world_size)]
        torch.distributed.all_gather(gathered, sums)
        for rank, other in enumerate(gathered[1:], start=1):
            if not torch.equal(other, gathered[0]):
                raise TrainingError(
                    f"rank {rank}'s weights differ from rank 0's after step {step}",
                    "the processes of a distributed run have diverged",
                    "report this with the run's config; train with one process meanwhile",
                )


def _rng_state(noise: torch.Generator, device: torch.device) -> dict[str, Any]:
    """Every random stream the run draws from: the CPU's, the noise generator's and the training GPU's."""
    # Only the training GPU's generator (dropout, the penalties' mixing weights) drives
    # the run: the states of every visible GPU would tie the checkpoint to this
    # machine's GPU count.
    return {
        "torch": torch.get_rng_state(),
        "noise": noise.get_state(),
        "noise_device": noise.device.type,
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
    }


def _restore_rng(state: dict[str, Any], noise: torch.Generator, device: torch.device, reseed: int) -> Optional[str]:
    """Continue the saved random streams; returns a note when the noise stream had to restart.

    A generator's state only fits a generator of the same kind: a run moved
    between the CPU and a GPU (which ``--resume --device`` allows) restarts its
    noise from ``reseed`` instead -- such a run is not bit-exact anyway, as the
    devices' kernels differ.
    """
    torch.set_rng_state(state["torch"])
    note = None
    # Checkpoints from before "noise_device" did not say; a mismatched state has another size.
    saved_on = state.get("noise_device")
    try:
        if saved_on not in (None, noise.device.type):
            raise RuntimeError(f"saved for {saved_on}")
        noise.set_state(state["noise"])
    except RuntimeError:
        noise.manual_seed(reseed)
        note = (f"the noise generator restarts from a seed: the checkpoint's state is for another "
                f"device type than {noise.device.type}")  # fmt: skip
    cuda = state.get("cuda")
    if device.type == "cuda" and isinstance(cuda, Tensor):
        torch.cuda.set_rng_state(cuda, device)
    elif device.type == "cuda" and isinstance(cuda, list):
        # Older checkpoints held every visible GPU's state, indexed by device number.
        index = device.index if device.index is not None else torch.cuda.current_device()
        if index < len(cuda):
            torch.cuda.set_rng_state(cuda[index], device)
    return note


@contextmanager
def _checkpoint_that_fits(path: Path) -> Iterator[None]:
    """Turn a checkpoint whose tensors do not fit this run's networks or optimizers into a CheckpointError."""
    try:
        yield
    except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as exc:
        lines = str(exc).strip().splitlines()
        raise CheckpointError(
            f"checkpoint {path} does not fit this run",
            f"{type(exc).__name__}: {' '.join(line.strip() for line in lines[:3])[:300]}",
            "resume with the checkpoint this run wrote (a damaged or edited file cannot be repaired)",
        ) from None


@contextmanager
def _stop_requests() -> Iterator[threading.Event]:
    """Turn the first Ctrl-C / SIGTERM into a request to stop at the next step boundary.

    Stopping between steps keeps the checkpoint consistent; a second Ctrl-C
    interrupts at once. Repeated SIGTERMs are harmless: launchers such as
    torchrun forward a terminal's signal to processes that got it already,
    and a SIGTERM must not cut the checkpoint it asked for.
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def handler(signum: int, frame: Any) -> None:
        if requested.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        requested.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requested
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def training_loop(
    *,
    run_dir: Path,
    config: dict[str, Any],
    networks: NetworkSet,
    objective: Objective,
    phases: Sequence[Phase],
    sampler: InputSampler,
    data: InMemoryData | StreamingData,
    device: torch.device,
    reporter: Reporter,
    resume_state: Optional[dict[str, Any]] = None,
    dist: Distributed = Distributed(),
    augment: Optional[Augment] = None,
    evaluator: Optional[Callable[[nn.Module], dict[str, Any]]] = None,
    on_start: Callable[[], None] = lambda: None,
    logger: Optional[Logger] = None,
) -> TrainResult:
    """Train ``networks`` by ``objective``'s ``phases`` as ``config["train"]`` says.

    ``networks`` holds every network by name (G and D, and any other the
    objective uses), already placed and wrapped for training; ``sampler``
    draws G's inputs; ``augment`` (``train.augment``) is already in front of
    the discriminators and is told D's real scores.

    ``evaluator`` (used when ``train.eval_every`` > 0) maps the sampling
    generator to ``{metric: value, ..., "primary": metric to minimise}`` (and
    optionally ``"tiebreak"``: a metric to maximise where primary values tie); each
    result is appended to ``RUN_DIR/eval.jsonl`` and the best checkpoint so far
    is kept as ``RUN_DIR/best.pt`` (with ``best.json``).

    ``on_start`` is called once everything is built and restored, before the
    loop writes anything into ``run_dir``. ``logger`` (a started
    :class:`~ganzoo.loggers.Logger`, usually a group) receives each stats
    line, evaluation and sample grid -- only at those steps, never inside one.
    """
    # Settings.
    logger = logger or Logger()
    train = config["train"]
    info = data.info
    batch_size = train["batch_size"]  # per process
    total_steps = train["steps"]  # training iterations: one generator step each
    d_warmup_steps = train["d_warmup_steps"]  # discriminator-phase steps alone before the first iteration
    main = dist.is_main
    run_dir = Path(run_dir)

    # Optimizers, precision and EMAs. A CUDA graph needs capturable optimizers from the first step.
    precision = Precision(device, train["precision"])
    graph_blocked_by = graph_blocker(train, device, data, dist.world_size, graph_parts(networks, objective, sampler, augment),
                                     uniform=all(phase.every == 1 for phase in phases))  # fmt: skip
    graphed = graph_blocked_by is None
    # EMA: beta per iteration from a half-life in images (EDM's convention), counting the
    # generator's images -- one batch per iteration, whatever the discriminator steps.
    ema_halflife_images = train["ema_halflife_kimg"] * 1000
    networks.prepare(trained=set().union(*(phase.updates for phase in phases)), settings=optimizer_settings(config),
                     device=device, impl=train["optimizer_impl"], capturable=graphed, precision=precision,
                     ema_beta=0.5 ** (batch_size * dist.world_size / ema_halflife_images) if ema_halflife_images > 0 else 0.0)  # fmt: skip

    # State: fresh, or restored exactly from a checkpoint.
    # Each rank draws its own noise (rank 0 as in a one-process run), so the
    # processes do not all make the same fakes.
    noise = torch.Generator(device=device).manual_seed(train["seed"] + 1 + 1000 * dist.rank)
    if dist.rank:
        torch.manual_seed(train["seed"] + 1000 * dist.rank)  # dropout masks differ per rank too
    step = d_steps = images_seen = epoch = cursor = 0
    wall_time_before = 0.0
    rng_note: Optional[str] = None
    # What determines the weights, fixed for the run: every checkpoint records it and its digest.
    weights_config_json = json.dumps(weights_config(config), sort_keys=True)
    config_digest = _digest(config)
    if resume_state is not None:
        if resume_state["config_digest"] != config_digest:
            changed = _changed_settings(resume_state.get("config"), weights_config(config))
            raise TrainingError(
                "the checkpoint was written for a different configuration",
                (f"changed since it was written: {changed}; " if changed else "")
                + "resuming may only change steps, device and logging cadence",
                "resume with the run's own config.json unchanged",
            )
        with _checkpoint_that_fits(run_dir / ckpt.CHECKPOINT_NAME):
            networks.load_state_dict(resume_state)
            objective.load_state_dict(resume_state["objective"])
            if augment is not None:
                augment.load_state_dict(resume_state["augment"])
            step, d_steps, images_seen = resume_state["step"], resume_state["d_steps"], resume_state["images_seen"]
            epoch, cursor = resume_state["epoch"], resume_state["cursor"]
            if resume_state["world_size"] != dist.world_size:
                cursor = rescaled_cursor(cursor, batch_size, resume_state["world_size"], dist.world_size)
        wall_time_before = resume_state["wall_time"]
        if dist.is_main:
            rng_note = _restore_rng(resume_state["rng"], noise, device, reseed=train["seed"] + 1 + step)
        else:
            # The checkpoint holds rank 0's RNG; the other ranks (whose number may
            # differ from the saved run's) continue from seeds of their own.
            noise.manual_seed(train["seed"] + 1 + 1000 * dist.rank + step)
            torch.manual_seed(train["seed"] + 1000 * dist.rank + step)
    batches = BatchSource(
        data, batch_size, train["seed"], device, epoch=epoch, cursor=cursor,
        rank=dist.rank, world_size=dist.world_size, num_workers=train["num_workers"],
    )  # fmt: skip

    def nonfinite(phase_names: Sequence[str], at_step: int) -> TrainingError:
        """The divergence error: which phases' losses, the networks they update, where, and what is kept."""
        updated = sorted({name for phase in phases if phase.name in phase_names for name in phase.updates})
        return health.loss_divergence(phase_names, at_step, run_dir, updated=updated)

    def check_weights() -> None:
        """No non-finite network or EMA is ever checkpointed or evaluated (one reduction per network)."""
        health.check_weights({**networks.modules(), **{f"{name}_ema": ema for name, ema in networks.emas.items()}},
                             step, run_dir)  # fmt: skip

    # On CUDA a per-step .item() would stall the GPU; there the losses are checked at logging steps only.
    runner = PhaseRunner(objective=objective, phases=phases, networks=networks, sampler=sampler, precision=precision,
                         noise=noise, device=device, batch_size=batch_size, grad_clip=train["grad_clip"],
                         augment=augment, check_every_phase=device.type == "cpu",
                         on_nonfinite=lambda name, at: nonfinite([name], at))  # fmt: skip

    # Fixed inputs for sample grids, from their own generator so they never perturb training.
    grid_size = train["grid_size"] * (10 if info.modality == "points" else 1)
    fixed_inputs = sampler.fixed(grid_size, generator=torch.Generator().manual_seed(train["seed"] + 2), device=device,
                                 examples=first_samples(data, grid_size, device) if sampler.needs_examples else None)  # fmt: skip
    reference = _reference_points(data, grid_size) if info.modality == "points" else None

    def save_checkpoint(name: str = ckpt.CHECKPOINT_NAME) -> float:
        """Write the state (rank 0 only); returns the wall time it records."""
        check_weights()  # never a non-finite checkpoint
        wall_time = wall_time_before + (time.perf_counter() - started)
        state = {
            "config_digest": config_digest,
            # What the digest was taken of, as JSON: a refused resume can name what changed.
            "config": weights_config_json,
            "step": step,
            "d_steps": d_steps,
            "images_seen": images_seen,
            "epoch": batches.epoch,
            "cursor": batches.cursor,
            "world_size": dist.world_size,  # how many shards ``cursor`` counts batches of
            "wall_time": wall_time,
            **networks.state_dict(),
            "objective": objective.state_dict(),
            "augment": augment.state_dict() if augment is not None else {},
            "rng": _rng_state(noise, device),
        }
        if main:
            ckpt.save_checkpoint(run_dir / name, state)
        return wall_time

    # A resumed run's best so far is whatever best.pt holds, even when it comes from a
    # stretch after the checkpoint that this resume trains again (the process died
    # before its next checkpoint): a model that was evaluated is never thrown away,
    # and later evaluations replace it only when they beat it.
    has_best_file = resume_state is not None and (run_dir / BEST_CHECKPOINT_NAME).is_file()
    best = _read_best(run_dir) if has_best_file else None
    last_evaluated = _last_evaluated_step(run_dir / EVAL_LOG_NAME, step) if resume_state is not None else None

    def evaluate_now() -> None:
        """Score the sampling generator; keep the checkpoint with the lowest primary metric."""
        nonlocal best, last_evaluated
        check_weights()  # on every rank, as a checkpoint would
        if not main or evaluator is None or stop_requested.is_set():
            return  # a stop was asked for: the checkpoint comes first
        if last_evaluated == step:
            return  # resuming a finished run: this step was evaluated already
        last_evaluated = step
        sampler_net = networks.sampling("G")
        was_training = sampler_net.training
        sampler_net.eval()
        # Whatever the evaluator draws, training's random streams continue as if it had not run.
        devices = [device] if device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=devices), torch.no_grad():
                scores = evaluator(sampler_net)
        finally:
            sampler_net.train(was_training)
        primary = scores.get("primary")
        record = {"step": step, "images_seen": images_seen, **scores}
        with (run_dir / EVAL_LOG_NAME).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        value = scores.get(primary) if primary else None
        tiebreak = scores.get("tiebreak")
        tiebreak_value = scores.get(tiebreak) if tiebreak else None
        if value is not None and math.isfinite(value) and _better(value, tiebreak_value, best):
            best = {"step": step, "metric": primary, "value": value}
            if tiebreak_value is not None:
                best.update(tiebreak=tiebreak, tiebreak_value=tiebreak_value)
            save_checkpoint(BEST_CHECKPOINT_NAME)
            atomic.atomic_write_bytes(run_dir / BEST_INFO_NAME, (json.dumps(best, indent=2) + "\n").encode())
        logger.log_eval(step, scores)
        reporter.message(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()
                                                      if isinstance(v, float)))  # fmt: skip

    def save_samples(name: str, log: bool = True) -> None:
        if not main:
            return
        sampler_net = networks.sampling("G")
        was_training = sampler_net.training
        sampler_net.eval()
        with torch.no_grad(), precision.autocast():
            fake = image_of(sampler.call(sampler_net, fixed_inputs))
        sampler_net.train(was_training)
        png = write_samples(run_dir / "samples" / name, fake, info, reference)
        if log:
            logger.log_image(step, "samples", png)

    def check_finite(records: dict[str, PhaseRecord]) -> None:
        bad = [name for name, record in records.items() if not math.isfinite(record.total.item())]
        if bad:
            raise nonfinite(bad, step)

    # One iteration as a CUDA graph where the run allows it (cuda_graph.py), else eagerly.
    def eager_iteration() -> dict[str, PhaseRecord]:
        """One iteration launched op by op, each phase taking its batches as it needs them."""
        return runner.iteration(step, lambda d: batches.next())

    run_iteration: Callable[[], dict[str, PhaseRecord]] = eager_iteration
    if graphed:
        assert isinstance(data, InMemoryData)
        run_iteration = GraphedIteration(lambda real_batch: runner.iteration(step, real_batch), data,
                                         batches.next_indices, batches_needed(phases), batch_size,
                                         generators=[noise])  # fmt: skip

    def graph_use() -> str:
        """For run.json: "replayed", or why iterations ran eagerly."""
        if isinstance(run_iteration, GraphedIteration):
            return run_iteration.status
        return f"not used: {graph_blocked_by}"

    on_start()
    metrics_path = run_dir / "metrics.jsonl"
    if main:
        _truncate_metrics(metrics_path, step)
        _truncate_metrics(run_dir / EVAL_LOG_NAME, step)
    started = time.perf_counter()
    last_log_time, last_log_images = started, images_seen
    last_stats: dict[str, Any] = {}
    last: dict[str, PhaseRecord] = {}  # each phase's latest record, in the order phases are declared
    collapse = health.CollapseDetector(start_step=step)
    reporter.start(total_steps, step, config.get("recipe") or config["generator"]["name"])
    if rng_note:
        reporter.message(rng_note)
    if device.type == "cuda" and train["cuda_graphs"] and not graphed:
        # Worth a line: on the zoo's network sizes an eager GPU loop is several times slower.
        reporter.message(f"iterations run without a CUDA graph: {graph_blocked_by} (see docs/scale.md, CUDA graphs)")

    # The loop. One iteration = the objective's phases due at this step (D n_critic times, then G ...).
    with _stop_requests() as stop_requested:
        for network in networks:
            network.run.train()
        while step < total_steps:
            # All ranks must stop at the same step, or the others would wait forever in
            # DDP; they agree every STOP_CHECK_EVERY steps (a collective that waits for the device).
            stop_now = stop_requested.is_set() if dist.world_size == 1 else (
                step % STOP_CHECK_EVERY == 0 and dist.any(stop_requested.is_set(), device))
            if stop_now:
                saved_wall_time = save_checkpoint()
                dist.barrier()  # the others exit only once rank 0's checkpoint is on disk
                reporter.message(f"interrupted at step {step}; checkpoint saved")
                reporter.close()
                interrupted = Interrupted(
                    f"training was interrupted at step {step} of {total_steps}",
                    f"a checkpoint was saved in {run_dir}",
                    f"continue with: ganzoo train --resume {run_dir}",
                )
                interrupted.result = TrainResult(
                    run_dir=run_dir, step=step, images_seen=images_seen, last_stats=last_stats,
                    wall_time=saved_wall_time, generator=networks.sampling("G").eval(), cuda_graph=graph_use(),
                    collapse=collapse.report,
                )  # fmt: skip
                raise interrupted
            if d_steps < d_warmup_steps:  # discriminator warm-up: its phases alone, once each, eagerly
                last.update(runner.iteration(step, lambda d: batches.next(), warmup=True))
                d_steps += 1
                images_seen += len(runner.warmup_phases()) * batch_size * dist.world_size
                continue

            if train["lr_schedule"] == "linear-decay":  # derived from the step, so a resume continues it exactly
                networks.scale_learning_rates(linear_decay(step, total_steps, train["lr_decay_start"]))
            due = runner.due(step)
            last.update(run_iteration())
            iteration_images = batches_needed(due) * batch_size * dist.world_size
            d_steps += sum(phase.repeat for phase in due if phase.name == "D")
            images_seen += iteration_images
            step += 1
            if augment is not None:
                augment.update(iteration_images)
            if train["ddp_check"]:
                dist.check_identical(networks.modules(), device, step)

            # Logging, samples and checkpoints: the only places that wait for the device.
            log_now = step % train["log_every"] == 0 or step == total_steps
            if log_now:
                if not runner.check_every_phase:
                    check_finite(last)
                now = time.perf_counter()
                last_stats = {"step": step, "kimg": images_seen / 1000, **_phase_stats(last, objective)}
                if augment is not None:
                    last_stats.update(augment.stats())
                last_stats["img_per_s"] = (images_seen - last_log_images) / max(now - last_log_time, 1e-9)
                last_stats["wall_time"] = wall_time_before + (now - started)
                last_log_time, last_log_images = now, images_seen
                if main:
                    with metrics_path.open("a", encoding="utf-8") as handle:
                        handle.write(json.dumps(last_stats) + "\n")
                    logger.log_metrics(step, last_stats)
                reporter.update(last_stats)
                # The losses of a D and a G phase, when the objective has them (every contract-1 loss does).
                if "d_loss" in last_stats and "g_loss" in last_stats and collapse.observe(
                        step, last_stats["d_loss"], last_stats["g_loss"]):  # fmt: skip
                    reporter.message(collapse.warning())
                if train["stop_on_collapse"] and dist.any(collapse.report is not None, device):
                    raise collapse.error(step, run_dir)
            if step % train["sample_every"] == 0 and step != total_steps:
                save_samples(f"step-{step:07d}.png")
            if step % train["checkpoint_every"] == 0 and step != total_steps:
                if not (runner.check_every_phase or log_now):
                    check_finite(last)
                save_checkpoint()
            if train["eval_every"] and step % train["eval_every"] == 0 and step != total_steps:
                evaluate_now()

        # The end: always a final checkpoint and grid (even if steps is not a multiple).
        if last:
            check_finite(last)
        save_checkpoint()
        if train["eval_every"]:
            evaluate_now()
        save_samples(f"step-{step:07d}.png")
        save_samples("final.png", log=False)  # the same grid as the last step's
    reporter.close()
    return TrainResult(
        run_dir=run_dir,
        step=step,
        images_seen=images_seen,
        wall_time=wall_time_before + (time.perf_counter() - started),
        last_stats=last_stats,
        generator=networks.sampling("G").eval(),
        cuda_graph=graph_use(),
        collapse=collapse.report,
    )


def linear_decay(step: int, total_steps: int, start: float) -> float:
    """The learning-rate factor of iteration ``step``: 1 until ``start * total_steps``, then linearly to 0 at the end.

    CycleGAN's schedule (constant for the first half, then down to zero).
    """
    begin = int(start * total_steps)
    if step < begin:
        return 1.0
    return max(0.0, (total_steps - step) / max(1, total_steps - begin))


def _phase_stats(records: dict[str, PhaseRecord], objective: Objective) -> dict[str, Any]:
    """``d_loss``, ``d_real``, ``d_fake``, ``g_loss``, ``g_reg_loss``, ``g_<term>`` ...: each phase's last values."""
    stats: dict[str, Any] = {}
    for name, record in records.items():
        prefix = name.lower()
        stats[f"{prefix}_loss"] = record.total.item()
        for term, value in record.terms.items():
            stats[f"{prefix}_{term}"] = value.float().mean().item()
        for which, scores in record.scores.items():
            stats[f"{prefix}_{which}"] = _mean_score(scores, objective)
    return stats


def _mean_score(scores: Optional[Tensor], objective: Objective) -> Optional[float]:
    if scores is None:
        return None
    if objective.probability_scores:
        return torch.sigmoid(scores.float()).mean().item()
    return scores.float().mean().item()


def _reference_points(data: InMemoryData | StreamingData, count: int) -> Optional[Tensor]:
    if not isinstance(data, InMemoryData):
        return None
    generator = torch.Generator().manual_seed(12345)
    index = torch.randint(len(data), (min(count, len(data)),), generator=generator)
    return data.batch(index.to(data.x.device))[0].cpu()


def _digest(config: dict[str, Any]) -> str:
    """A hash of :func:`ganzoo.config.weights_config`."""
    import hashlib

    return hashlib.sha256(json.dumps(weights_config(config), sort_keys=True).encode()).hexdigest()[:16]


def _changed_settings(saved_json: Optional[str], current: dict[str, Any], limit: int = 5) -> str:
    """``generator.params.hidden: [32] -> [15]; ...`` between a checkpoint's configuration and this one."""
    if not saved_json:
        return ""
    try:
        saved = json.loads(saved_json)
    except ValueError:
        return ""

    def flat(value: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(value, dict):
            return {k: v for key, item in value.items() for k, v in flat(item, f"{prefix}{key}.").items()}
        return {prefix.rstrip("."): value}

    before, after = flat(saved), flat(current)
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k, "(absent)") != after.get(k, "(absent)"))
    shown = [f"{k}: {json.dumps(before.get(k, '(absent)'))} -> {json.dumps(after.get(k, '(absent)'))}" for k in keys[:limit]]
    return "; ".join(shown) + (f"; and {len(keys) - limit} more" if len(keys) > limit else "")


def rescaled_cursor(cursor: int, batch_size: int, saved_world_size: int, world_size: int) -> int:
    """The batch cursor of a resumed epoch when the number of processes changed.

    With W processes the epoch's first ``cursor * batch_size * W`` positions of
    its permutation are consumed (rank r takes positions r, r + W, ...). The new
    cursor is the first that starts at or after that point, so no sample of the
    epoch is seen twice; at most one batch's worth per process is skipped.
    """
    consumed = cursor * batch_size * saved_world_size
    per_step = batch_size * world_size
    return -(-consumed // per_step)


def _better(value: float, tiebreak_value: Optional[float], best: Optional[dict[str, Any]]) -> bool:
    """Lower primary value wins; on a tie, a higher tie-break value (e.g. the high-quality share); else the earlier."""
    if best is None or value < best["value"]:
        return True
    earlier_tiebreak = best.get("tiebreak_value")
    return (value == best["value"] and tiebreak_value is not None and earlier_tiebreak is not None
            and tiebreak_value > earlier_tiebreak)  # fmt: skip


def _last_evaluated_step(path: Path, up_to: int) -> Optional[int]:
    """The last step ``eval.jsonl`` holds up to ``up_to`` (a resumed run does not evaluate it again)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    last = None
    for line in lines:
        try:
            step = int(json.loads(line)["step"])
        except (ValueError, KeyError, TypeError):
            continue
        if step <= up_to:
            last = step
    return last


def _read_best(run_dir: Path) -> Optional[dict[str, Any]]:
    """The best evaluation so far of a resumed run (``best.json``), if any."""
    try:
        return json.loads((run_dir / BEST_INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop metrics lines past ``step`` (written after the checkpoint a resume starts from)."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line)
        except (ValueError, KeyError):
            continue
    atomic.atomic_write_bytes(path, ("\n".join(kept) + "\n" if kept else "").encode())
