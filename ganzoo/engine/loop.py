"""The adversarial training loop: one function, read top to bottom.

Every combination of generator, discriminator, loss and dataset runs through
:func:`training_loop`. Losses decide *what* is optimised (see
:class:`ganzoo.losses.GANLoss`); this loop decides *how*: k discriminator steps
per generator step, the other network frozen while one trains, fakes detached
in the discriminator step, mixed precision behind one switch, and everything
needed to continue bit-exactly saved in each checkpoint.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import torch
from torch import Tensor, nn

from ganzoo.data import InMemoryData, StreamingData
from ganzoo.engine import checkpoint as ckpt
from ganzoo.engine import health
from ganzoo.engine.batches import BatchSource
from ganzoo.engine.config import RESUMABLE_KEYS
from ganzoo.engine.cuda_graph import Batch, GraphedIteration, graph_blocker
from ganzoo.engine.report import Reporter
from ganzoo.engine.runtime import Precision, optimizer_kwargs
from ganzoo.engine.samples import write_samples
from ganzoo.errors import CheckpointError, ConfigError, GanzooError, TrainingError
from ganzoo.losses import GANLoss, LossTerms, input_gradients, r1_penalty


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


def _make_optimizer(params: Any, kind: str, lr: float, betas: list[float], device: torch.device,
                    impl: str = "auto", capturable: bool = False) -> torch.optim.Optimizer:
    implementation = optimizer_kwargs(device, kind, impl, capturable=capturable)
    try:
        if kind == "rmsprop":
            # RMSprop as in the WGAN paper; betas[1] doubles as the smoothing constant.
            optimizer: torch.optim.Optimizer = torch.optim.RMSprop(params, lr=lr, alpha=betas[1], **implementation)
        else:
            optimizer = torch.optim.Adam(params, lr=lr, betas=tuple(betas), **implementation)
    except RuntimeError as exc:  # e.g. a fused kernel this device lacks
        raise ConfigError(
            f"train.optimizer_impl {impl!r} does not work for {kind} on {device}",
            str(exc),
            "use train.optimizer_impl=auto",
        ) from None
    if capturable:
        # The warm-up steps before a CUDA graph's capture run uncaptured on purpose, and
        # torch would warn once that capturable=True is slower there. The flag that
        # silences it is torch's own (private) one-time-warning marker; an older or newer
        # torch without it just warns once.
        optimizer._warned_capturable_if_run_uncaptured = True  # type: ignore[attr-defined]
    return optimizer


def _unwrap(module: nn.Module) -> nn.Module:
    """The plain module under DDP / torch.compile wrappers (what checkpoints hold)."""
    module = getattr(module, "module", module)
    return getattr(module, "_orig_mod", module)


def training_loop(
    *,
    run_dir: Path,
    config: dict[str, Any],
    generator: nn.Module,
    discriminator: nn.Module,
    loss: GANLoss,
    data: InMemoryData | StreamingData,
    device: torch.device,
    reporter: Reporter,
    resume_state: Optional[dict[str, Any]] = None,
    dist: Distributed = Distributed(),
    train_generator: Optional[nn.Module] = None,
    train_discriminator: Optional[nn.Module] = None,
    evaluator: Optional[Callable[[nn.Module], dict[str, Any]]] = None,
    on_start: Callable[[], None] = lambda: None,
) -> TrainResult:
    """Train ``generator`` against ``discriminator`` as ``config["train"]`` says.

    ``train_generator`` / ``train_discriminator`` are the modules to run
    (compiled or DDP-wrapped versions); the plain ``generator`` and
    ``discriminator`` are what checkpoints and the EMA hold.

    ``evaluator`` (used when ``train.eval_every`` > 0) maps the sampling
    generator to ``{metric: value, ..., "primary": metric to minimise}`` (and
    optionally ``"tiebreak"``: a metric to maximise where primary values tie); each
    result is appended to ``RUN_DIR/eval.jsonl`` and the best checkpoint so far
    is kept as ``RUN_DIR/best.pt`` (with ``best.json``).

    ``on_start`` is called once everything is built and restored, before the
    loop writes anything into ``run_dir``.
    """
    train = config["train"]
    G, D = generator, discriminator
    G_run = train_generator if train_generator is not None else G
    D_run = train_discriminator if train_discriminator is not None else D
    D_for_g = getattr(D_run, "module", D_run) if dist.world_size > 1 else D_run
    info = data.info
    batch_size = train["batch_size"]  # per process
    total_steps = train["steps"]  # generator updates
    n_critic = train["n_critic"] or loss.n_critic  # discriminator steps per generator step
    d_warmup_steps = train["d_warmup_steps"]
    grad_clip = train["grad_clip"]
    r1_gamma = train["r1_gamma"]
    main = dist.is_main
    run_dir = Path(run_dir)

    # Optimisers and precision. One GradScaler per optimizer; both are no-ops unless fp16.
    precision = Precision(device, train["precision"])
    graph_components = {"generator": G, "discriminator": D, "loss": loss}
    graph_blocked_by = graph_blocker(train, device, data, dist.world_size, graph_components)
    graphed = graph_blocked_by is None
    opt_g = _make_optimizer(G.parameters(), train["optimizer"], train["lr_g"], train["betas_g"], device,
                            train["optimizer_impl"], capturable=graphed)  # fmt: skip
    opt_d = _make_optimizer(D.parameters(), train["optimizer"], train["lr_d"], train["betas_d"], device,
                            train["optimizer_impl"], capturable=graphed)  # fmt: skip
    scaler_g, scaler_d = precision.grad_scaler(), precision.grad_scaler()
    input_grad = functools.partial(input_gradients, scaler=scaler_d)

    # Generator EMA: beta per step from a half-life in images (EDM's convention), counting
    # the generator's images -- one batch per G step, not n_critic -- so that the EMA spans
    # the same number of generator updates whatever the loss's n_critic.
    ema_halflife_images = train["ema_halflife_kimg"] * 1000
    ema = copy.deepcopy(G).eval().requires_grad_(False) if ema_halflife_images > 0 else None
    ema_beta = 0.5 ** (batch_size * dist.world_size / ema_halflife_images) if ema is not None else 0.0
    ema_update = _EMA(ema, G, ema_beta) if ema is not None else None

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
    weights_config_json = json.dumps(_weights_config(config), sort_keys=True)
    config_digest = _digest(config)
    if resume_state is not None:
        if resume_state["config_digest"] != config_digest:
            changed = _changed_settings(resume_state.get("config"), _weights_config(config))
            raise TrainingError(
                "the checkpoint was written for a different configuration",
                (f"changed since it was written: {changed}; " if changed else "")
                + "resuming may only change steps, device and logging cadence",
                "resume with the run's own config.json unchanged",
            )
        with _checkpoint_that_fits(run_dir / ckpt.CHECKPOINT_NAME):
            G.load_state_dict(resume_state["generator"])
            D.load_state_dict(resume_state["discriminator"])
            if ema is not None:
                ema.load_state_dict(resume_state["ema"])
            implementation = optimizer_kwargs(device, train["optimizer"], train["optimizer_impl"], capturable=graphed)
            for optimizer, saved in ((opt_g, resume_state["opt_g"]), (opt_d, resume_state["opt_d"])):
                optimizer.load_state_dict(_with_implementation(saved, implementation))
                _match_state_layouts(optimizer)
            scaler_g.load_state_dict(resume_state["scaler_g"])
            scaler_d.load_state_dict(resume_state["scaler_d"])
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

    # Fixed noise for sample grids, from its own generator so it never perturbs training.
    grid_size = train["grid_size"] * (10 if info.modality == "points" else 1)
    fixed = torch.Generator().manual_seed(train["seed"] + 2)
    fixed_z = torch.randn(grid_size, G.latent_dim, generator=fixed).to(device)
    fixed_labels = (torch.arange(grid_size) % info.num_classes).to(device) if info.num_classes else None
    reference = _reference_points(data, grid_size) if info.modality == "points" else None

    def save_checkpoint(name: str = ckpt.CHECKPOINT_NAME) -> float:
        """Write the state (rank 0 only); returns the wall time it records."""
        health.check_weights({"G": G, "D": D, "G_ema": ema}, step, run_dir)  # never a non-finite checkpoint
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
            "generator": G.state_dict(),
            "discriminator": D.state_dict(),
            "ema": ema.state_dict() if ema is not None else {},
            "opt_g": opt_g.state_dict(),
            "opt_d": opt_d.state_dict(),
            "scaler_g": scaler_g.state_dict(),
            "scaler_d": scaler_d.state_dict(),
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
        health.check_weights({"G": G, "D": D, "G_ema": ema}, step, run_dir)  # on every rank, as a checkpoint would
        if not main or evaluator is None or stop_requested.is_set():
            return  # a stop was asked for: the checkpoint comes first
        if last_evaluated == step:
            return  # resuming a finished run: this step was evaluated already
        last_evaluated = step
        sampler = ema if ema is not None else G
        was_training = sampler.training
        sampler.eval()
        # Whatever the evaluator draws, training's random streams continue as if it had not run.
        devices = [device] if device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=devices), torch.no_grad():
                scores = evaluator(sampler)
        finally:
            sampler.train(was_training)
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
            ckpt.atomic_write_bytes(run_dir / BEST_INFO_NAME, (json.dumps(best, indent=2) + "\n").encode())
        reporter.message(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()
                                                      if isinstance(v, float)))  # fmt: skip

    def save_samples(name: str) -> None:
        if not main:
            return
        sampler = ema if ema is not None else G
        was_training = sampler.training
        sampler.eval()
        with torch.no_grad(), precision.autocast():
            fake = sampler(fixed_z, fixed_labels)
        sampler.train(was_training)
        write_samples(run_dir / "samples" / name, fake, info, reference)

    def check_finite(d_loss: Optional[Tensor], g_loss: Optional[Tensor]) -> None:
        bad = [name for name, value in (("D", d_loss), ("G", g_loss)) if value is not None and not math.isfinite(value.item())]
        if bad:
            raise health.loss_divergence(bad, step, run_dir)

    # On CUDA a per-step .item() would stall the GPU; there we check at logging steps only.
    check_every_step = device.type == "cpu"

    def discriminator_step(real: Tensor, labels: Optional[Tensor],
                           keep_graph: bool) -> tuple[Tensor, LossTerms, Tensor]:  # fmt: skip
        """One D update on ``real`` and fresh fakes; returns the fakes, D's loss terms and its total loss.

        D sees the fakes detached from G's graph, so no gradient reaches G.
        With ``keep_graph`` the fakes keep their graph for the generator step
        that reuses them (as the PyTorch DCGAN example does): one G forward
        per iteration, not two.
        """
        z = torch.randn(batch_size, G.latent_dim, device=device, generator=noise)
        with torch.set_grad_enabled(keep_graph), precision.autocast():
            fake = G_run(z, labels)
        with precision.autocast():
            terms = loss.discriminator_loss(D_run, real, fake.detach(), labels, input_grad)
            total = terms.loss
            if r1_gamma:
                total = total + (r1_gamma / 2) * r1_penalty(D_run, real, labels, input_grad)
        _optimizer_step(opt_d, scaler_d, total, D, grad_clip)
        loss.after_discriminator_step(D)
        if check_every_step:  # the CPU path only, which is never captured in a CUDA graph
            check_finite(total, None)
        # Detached, so that what the loop keeps for logging holds no autograd graph alive
        # into the next step (whose gradient accumulators may run on another CUDA stream).
        return fake, LossTerms(terms.loss.detach(), terms.real_score, terms.fake_score), total.detach()

    def adversarial_iteration(real_batch: Callable[[int], Batch]) -> tuple[LossTerms, Tensor, Tensor]:
        """n_critic D steps, then one G step and the EMA update; D's ``d``-th batch is ``real_batch(d)``.

        Returns D's last loss terms and total, and G's loss, detached.
        """
        for d_step in range(n_critic):
            real, labels = real_batch(d_step)
            fake, terms_d, total_d = discriminator_step(real, labels, keep_graph=d_step == n_critic - 1)
        # Generator phase. D is frozen so its parameters collect no gradient; the
        # fakes (and the labels of their real batch) are the last D step's. Under
        # DDP, D runs unwrapped here: it has nothing to synchronise in this step.
        D.requires_grad_(False)
        with precision.autocast():
            terms_g = loss.generator_loss(D_for_g, real, fake, labels)
            total_g = terms_g.loss
        _optimizer_step(opt_g, scaler_g, total_g, G, grad_clip)
        D.requires_grad_(True)
        # D's gradients from its last step are spent: free that memory until the next one.
        opt_d.zero_grad(set_to_none=True)
        if ema_update is not None:
            ema_update.update()
        return terms_d, total_d, total_g.detach()

    def eager_iteration() -> tuple[LossTerms, Tensor, Tensor]:
        """One iteration launched op by op, each D step taking the next batch."""
        return adversarial_iteration(lambda d: batches.next())

    # One iteration as a CUDA graph where the run allows it (cuda_graph.py), else eagerly.
    run_iteration: Callable[[], tuple[LossTerms, Tensor, Tensor]] = eager_iteration
    if graphed:
        assert isinstance(data, InMemoryData)
        run_iteration = GraphedIteration(adversarial_iteration, data, batches.next_indices, n_critic,
                                         batch_size, generators=[noise])  # fmt: skip

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
    collapse = health.CollapseDetector(start_step=step)
    d_terms = None
    d_loss = g_loss = None
    reporter.start(total_steps, step, config.get("recipe") or config["generator"]["name"])
    if rng_note:
        reporter.message(rng_note)
    if device.type == "cuda" and train["cuda_graphs"] and not graphed:
        # Worth a line: on the zoo's network sizes an eager GPU loop is several times slower.
        reporter.message(f"iterations run without a CUDA graph: {graph_blocked_by} (see docs/scale.md, CUDA graphs)")

    # The loop. One iteration = n_critic discriminator steps, then one generator step.
    with _stop_requests() as stop_requested:
        G_run.train()
        D_run.train()
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
                    wall_time=saved_wall_time, generator=(ema if ema is not None else G).eval(),
                    cuda_graph=graph_use(), collapse=collapse.report,
                )  # fmt: skip
                raise interrupted
            if d_steps < d_warmup_steps:  # discriminator warm-up: D steps alone, on fakes made without a graph
                real, labels = batches.next()
                _, d_terms, d_loss = discriminator_step(real, labels, keep_graph=False)
                d_steps += 1
                images_seen += batch_size * dist.world_size
                continue

            d_terms, d_loss, g_loss = run_iteration()
            d_steps += n_critic
            images_seen += n_critic * batch_size * dist.world_size
            step += 1
            if check_every_step:
                check_finite(None, g_loss)  # each D step checked its own loss
            if train["ddp_check"]:
                dist.check_identical({"G": G, "D": D}, device, step)

            # Logging, samples and checkpoints: the only places that wait for the device.
            log_now = step % train["log_every"] == 0 or step == total_steps
            if log_now:
                if not check_every_step:
                    check_finite(d_loss, g_loss)
                now = time.perf_counter()
                last_stats = {
                    "step": step,
                    "kimg": images_seen / 1000,
                    "d_loss": d_loss.item(),
                    "g_loss": g_loss.item(),
                    "d_real": _mean_score(d_terms.real_score, loss),
                    "d_fake": _mean_score(d_terms.fake_score, loss),
                    "img_per_s": (images_seen - last_log_images) / max(now - last_log_time, 1e-9),
                    "wall_time": wall_time_before + (now - started),
                }
                last_log_time, last_log_images = now, images_seen
                if main:
                    with metrics_path.open("a", encoding="utf-8") as handle:
                        handle.write(json.dumps(last_stats) + "\n")
                reporter.update(last_stats)
                if collapse.observe(step, last_stats["d_loss"], last_stats["g_loss"]):
                    reporter.message(collapse.warning())
                if train["stop_on_collapse"] and dist.any(collapse.report is not None, device):
                    raise collapse.error(step, run_dir)
            if step % train["sample_every"] == 0 and step != total_steps:
                save_samples(f"step-{step:07d}.png")
            if step % train["checkpoint_every"] == 0 and step != total_steps:
                if not (check_every_step or log_now):
                    check_finite(d_loss, g_loss)
                save_checkpoint()
            if train["eval_every"] and step % train["eval_every"] == 0 and step != total_steps:
                evaluate_now()

        # The end: always a final checkpoint and grid (even if steps is not a multiple).
        if d_loss is not None and g_loss is not None:
            check_finite(d_loss, g_loss)
        save_checkpoint()
        if train["eval_every"]:
            evaluate_now()
        save_samples(f"step-{step:07d}.png")
        save_samples("final.png")
    reporter.close()
    final = ema if ema is not None else G
    return TrainResult(
        run_dir=run_dir,
        step=step,
        images_seen=images_seen,
        wall_time=wall_time_before + (time.perf_counter() - started),
        last_stats=last_stats,
        generator=final.eval(),
        cuda_graph=graph_use(),
        collapse=collapse.report,
    )


def _optimizer_step(optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, loss_value: Tensor,
                    model: nn.Module, grad_clip: float) -> None:
    """Backward through the (fp16-scaled) loss, optionally clip, and step: one network's update."""
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss_value).backward()
    if grad_clip:
        # Clipping must see true gradient norms, so unscale first (a no-op unless fp16).
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()


def _with_implementation(saved: dict[str, Any], implementation: dict[str, bool]) -> dict[str, Any]:
    """A saved optimizer state with this run's fused/foreach choice in its param groups.

    ``load_state_dict`` restores every param-group option, the implementation
    flags included, and places Adam's ``step`` counters by them (on the
    parameter's device for fused, on the CPU otherwise). Rewriting the flags
    before loading gives a run resumed on another device, or with another
    ``train.optimizer_impl``, its own kernels with their counters where those
    kernels expect them.
    """
    groups = []
    for group in saved["param_groups"]:
        group = dict(group)
        for flag in ("foreach", "fused", "capturable"):
            if flag in group:
                group[flag] = implementation.get(flag)
        groups.append(group)
    return {**saved, "param_groups": groups}


@torch.no_grad()
def _match_state_layouts(optimizer: torch.optim.Optimizer) -> None:
    """Give every per-parameter state tensor its parameter's memory layout.

    A checkpoint with contiguous conv weights (from an older ganzoo, or from
    MPS, where ganzoo does not use channels_last) resumed into channels_last
    ones, or the reverse, loads Adam's moments in the other layout. The fused
    Adam kernel walks a weight and its moments in memory order, so it would
    pair each element of the weight with another element's moments, silently.
    """
    for group in optimizer.param_groups:
        for param in group["params"]:
            for key, value in optimizer.state.get(param, {}).items():
                if isinstance(value, Tensor) and value.shape == param.shape and value.stride() != param.stride():
                    optimizer.state[param][key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


class _EMA:
    """ema = beta * ema + (1 - beta) * model after each generator step; buffers (BatchNorm statistics) copied.

    The tensor lists are built once; each update is one multi-tensor lerp over
    all parameters, as ``torch.optim.swa_utils``' EMA does, instead of one call per tensor.
    """

    def __init__(self, ema: nn.Module, model: nn.Module, beta: float) -> None:
        self.beta = beta
        self.ema_params, self.params = list(ema.parameters()), list(model.parameters())
        self.ema_buffers, self.buffers = list(ema.buffers()), list(model.buffers())

    @torch.no_grad()
    def update(self) -> None:
        torch._foreach_lerp_(self.ema_params, self.params, 1.0 - self.beta)
        for b_ema, b in zip(self.ema_buffers, self.buffers):
            b_ema.copy_(b)


def _mean_score(scores: Optional[Tensor], loss: GANLoss) -> Optional[float]:
    if scores is None:
        return None
    if loss.probability_scores:
        return torch.sigmoid(scores.float()).mean().item()
    return scores.float().mean().item()


def _reference_points(data: InMemoryData | StreamingData, count: int) -> Optional[Tensor]:
    if not isinstance(data, InMemoryData):
        return None
    generator = torch.Generator().manual_seed(12345)
    index = torch.randint(len(data), (min(count, len(data)),), generator=generator)
    return data.batch(index.to(data.x.device))[0].cpu()


def _weights_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a configuration that determines the learned weights (not steps, device or logging cadence)."""
    stable = copy.deepcopy(config)
    for key in RESUMABLE_KEYS:
        stable.get("train", {}).pop(key, None)
    stable.pop("ganzoo_version", None)
    return stable


def _digest(config: dict[str, Any]) -> str:
    """A hash of :func:`_weights_config`."""
    import hashlib

    return hashlib.sha256(json.dumps(_weights_config(config), sort_keys=True).encode()).hexdigest()[:16]


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
    ckpt.atomic_write_bytes(path, ("\n".join(kept) + "\n" if kept else "").encode())
