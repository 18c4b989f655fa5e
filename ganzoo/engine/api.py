"""``ganzoo.train``: resolve a configuration, prepare a run directory, build, train.

The run directory's layout, and reading one back, is :mod:`ganzoo.artifacts.runs`.
The engine reports progress through the :class:`~ganzoo.engine.report.Reporter`
it is given (the CLI passes its rich one); it imports nothing from the CLI.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

import torch
from torch import nn

import ganzoo
from ganzoo.data import InMemoryData, resolve_data_root
from ganzoo.artifacts import atomic
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.artifacts.runs import CONFIG_NAME, RUN_INFO_NAME, component_providers, read_run_config
from ganzoo.config import (
    build_config,
    load_config_file,
    network_entry,
    network_names,
    parse_assignment,
    resumed_config,
)
from ganzoo.engine.build import (
    build_augment,
    build_component,
    build_loggers,
    build_networks,
    build_objective,
    build_sampler,
    check_data_fit,
    check_declared_fit,
    check_labels,
    dry_run,
    wrap_networks,
)
from ganzoo.engine.finetune import freeze_blocks, init_networks, read_init_source
from ganzoo.engine.loop import Distributed, Interrupted, TrainResult, training_loop
from ganzoo.engine.report import PlainReporter, Reporter
from ganzoo.engine.health import outcome
from ganzoo.engine.run_directory import Replacement, RunLock, check_new_run_dir, check_resumable
from ganzoo.devices import resolve_device
from ganzoo.engine.runtime import configure_backends, to_channels_last
from ganzoo.errors import ConfigError, GanzooError, RunDirectoryError, UnknownNameError
from ganzoo.loggers import LoggerGroup
from ganzoo.specs import DataInfo
from ganzoo.untrusted import install_advice


Overrides = Union[Mapping[str, Any], Iterable[Union[tuple[str, Any], str]]]


def train(
    recipe: Optional[str] = None,
    *,
    generator: Optional[str] = None,
    discriminator: Optional[str] = None,
    loss: Optional[str] = None,
    dataset: Optional[str] = None,
    overrides: Overrides = (),
    config_file: Union[str, Path, None] = None,
    steps: Optional[int] = None,
    batch_size: Optional[int] = None,
    seed: Optional[int] = None,
    device: Optional[str] = None,
    precision: Optional[str] = None,
    compile: Optional[bool] = None,
    out: Union[str, Path, None] = None,
    resume: Union[str, Path, None] = None,
    overwrite: bool = False,
    data_dir: Union[str, Path, None] = None,
    download: bool = True,
    quiet: bool = False,
    reporter: Optional[Reporter] = None,
    registry: Any = None,
    dist: Optional[Distributed] = None,
    evaluator: Any = None,
    loggers: Optional[Iterable[str]] = None,
    init: Union[str, Path, None] = None,
) -> TrainResult:
    """Train a recipe, or any combination of registered components.

    Precedence, lowest first: component defaults < recipe < ``config_file`` <
    ``overrides`` < the explicit keyword arguments (``steps``, ``device`` ...).
    ``overrides`` maps ``"section.key"`` (or a bare train key) to a value, e.g.
    ``{"train.lr_g": 1e-4, "generator.hidden": [128, 256]}``.

    Under ``torchrun`` (``RANK`` / ``WORLD_SIZE`` set) it joins the process
    group (gloo on CPU, nccl on CUDA) and trains with DistributedDataParallel.
    ``evaluator`` replaces the one ``train.eval_every`` builds (a callable
    ``generator -> {metric: value, "primary": name}``). ``reporter`` receives
    the progress (a :class:`~ganzoo.engine.report.Reporter`; plain lines by
    default, nothing with ``quiet``; ``ganzoo train`` passes its progress bar).
    ``loggers`` names experiment loggers (``["tensorboard", "csv"]``: sets
    ``train.loggers``, as ``ganzoo train --log`` does). ``init`` starts the
    networks from a published model, ``hf://ORG/NAME`` or a run directory
    (fine-tuning, :mod:`ganzoo.engine.finetune`; ``train.freeze_d_blocks``
    freezes D's first blocks); optimizers start fresh.

    Example::

        result = ganzoo.train("ring-8", steps=200, out="runs/ring", quiet=True)
        print(result.run_dir, result.last_stats["d_loss"])
    """
    # Released however the run ends: the locks on the run directory (rank 0 only).
    with contextlib.ExitStack() as run_locks:
        registry = registry or ganzoo.get_registry()
        dist = dist or Distributed.from_environment()
        explicit = explicit_overrides(steps=steps, batch_size=batch_size, seed=seed, device=device, precision=precision,
                                      compile=compile, loggers=list(loggers) if loggers is not None else None)  # fmt: skip
        override_list = _override_pairs(overrides)

        # Configuration and run directory.
        old_run_lock: Optional[RunLock] = None
        components = {"generator": generator, "discriminator": discriminator, "loss": loss, "dataset": dataset}
        if init is not None and resume is not None:
            raise ConfigError("--init and --resume were both given",
                              "--init starts a new run from a model's weights; --resume continues a run from its "
                              "own checkpoint", "drop one of them")  # fmt: skip
        config, run_dir = resolve_run(registry, recipe, components, config_file, override_list + explicit, resume, out)
        if resume is not None:
            if dist.is_main:
                run_locks.callback(RunLock(run_dir).release)  # before reading: no other process may be writing it
            resume_state = ckpt.load_checkpoint(run_dir / ckpt.CHECKPOINT_NAME)
            if resume_state["step"] > config["train"]["steps"]:
                # Refused before anything is rebuilt or written: the run stays exactly as it was.
                raise ConfigError(
                    f"the run is already at step {resume_state['step']}; steps {config['train']['steps']} asks for fewer",
                    "resuming trains up to the given number of steps",
                    f"give a larger --steps to continue {run_dir}",
                )
        else:
            if dist.is_main:
                check_new_run_dir(run_dir, overwrite)  # refuse early, create only once all is built
                if run_dir.is_dir() and any(run_dir.iterdir()):  # --overwrite of a run: it must not be in use
                    old_run_lock = RunLock(run_dir)
                    run_locks.callback(old_run_lock.release)
            resume_state = None
        config["ganzoo_version"] = ganzoo.__version__
        train_cfg = config["train"]
        # Built (not started) before anything is read or written: a logger that cannot work is refused first.
        loggers = build_loggers(registry, config) if dist.is_main else {}

        # Device and backends.
        created_group = False
        device = resolve_device(train_cfg["device"])
        if dist.world_size > 1 and device.type == "cuda":
            device = _local_gpu(int(os.environ.get("LOCAL_RANK", dist.rank)))
        if dist.world_size > 1:
            created_group = join_process_group(device)
            run_dir = Path(_from_rank_zero(str(run_dir)))  # the default name holds rank 0's clock
        configure_backends(device, tf32=train_cfg["tf32"], cudnn_benchmark=train_cfg["cudnn_benchmark"])

        # Components. The objective first: a combination that cannot work is refused before any data is read.
        objective, phases = build_objective(registry, config)
        check_declared_fit(registry, config, objective)
        # A source that cannot be read (not in the Hub cache, another format) is refused before any data is read.
        init_states, init_config = read_init_source(init, registry) if init is not None else ({}, None)
        data = _build_dataset_once_per_machine(registry, config, data_dir, download, dist)
        torch.manual_seed(train_cfg["seed"])  # seeding first makes weight initialisation part of the run's seed
        modules = build_networks(registry, config, data.info)
        if init is not None:  # after the networks are built, before the optimizers and the EMA (the loop makes them)
            config["init"] = init_networks(modules, init_states, init, init_config)
        sampler = build_sampler(registry, config, data.info, modules["G"][1])
        augment = build_augment(registry, config, data.info)
        check_labels(registry, config, data.info)
        check_data_fit(objective, sampler, data.info, config)
        modules = {name: (kind, module.to(device)) for name, (kind, module) in modules.items()}
        augment = augment.to(device) if augment is not None else None
        if isinstance(data, InMemoryData) and train_cfg["data_on_device"]:
            data = data.to(device)
        # CUDA and the CPU's oneDNN run convolutions faster in channels_last; MPS stays as it was (untested here).
        # Compiled on CUDA, inductor picks conv layouts itself, and torch 2.11's inductor failed a
        # stride check in a channels_last ConvTranspose2d's weight gradient (an H100, 2026-11-25).
        compiled_on_cuda = train_cfg["compile"] and device.type == "cuda"
        if device.type != "mps" and train_cfg["channels_last"] and not compiled_on_cuda:
            modules = {name: (kind, to_channels_last(module)) for name, (kind, module) in modules.items()}
        dry_run(modules, sampler, data, device, registry, config)
        if evaluator is None and train_cfg["eval_every"] and dist.is_main:
            evaluator = _training_evaluator(config, data.info, device, registry, data_dir, sampler)
        if train_cfg["compile"] and device.type == "cuda":
            _without_inductor_layout_changes()
        # FreezeD: before DDP wraps D, which then leaves the frozen parameters out of its gradient buckets.
        frozen_blocks, frozen = freeze_blocks(modules["D"][1], train_cfg["freeze_d_blocks"])
        networks = wrap_networks(modules, config, device, dist, objective, phases, augment,
                                 multi_output=_multi_output_discriminators(registry, config),
                                 fixed={"D": frozen})  # fmt: skip

        # Run bookkeeping, once the loop has restored its state and is about to train:
        # a run that cannot start (a checkpoint of another configuration, a dataset
        # smaller than a batch) leaves a new run directory uncreated and a resumed
        # one exactly as it was -- its config.json, run.json and stale temporaries.
        # An --overwrite keeps the old run aside while the new one trains (run_directory.py).
        records_written = False
        replacement = Replacement(run_dir, overwrite)

        def write_run_records() -> None:
            nonlocal records_written
            if dist.is_main:
                if resume_state is None:
                    if old_run_lock is not None:
                        old_run_lock.release()  # start() takes it again, for the moment of the move
                    replacement.start()
                    run_locks.callback(RunLock(run_dir).release)
                else:
                    atomic.remove_stale_temporaries(run_dir)
                atomic.atomic_write_bytes(run_dir / CONFIG_NAME, (json.dumps(config, indent=2) + "\n").encode())
                _write_run_info(run_dir, "running", config, device, dist, data_info=data.info,
                                providers=component_providers(registry, config))  # fmt: skip
                reporter.message(f"run directory: {run_dir}")
                if config.get("init") and resume_state is None:
                    fresh = config["init"]["fresh"]
                    reporter.message(f"fine-tuning from {init}: loaded {', '.join(config['init']['networks'])}"
                                     + (f"; from scratch (the source has none): {', '.join(fresh)}" if fresh else "")
                                     + "; optimizers start fresh")  # fmt: skip
                if frozen_blocks:
                    reporter.message(f"FreezeD: D's first {len(frozen_blocks)} block(s) take no gradient: "
                                     + ", ".join(frozen_blocks))  # fmt: skip
                logger.start(run_dir, start_step=resume_state["step"] if resume_state is not None else 0,
                             config=config)  # fmt: skip
            records_written = True

        reporter = Reporter() if quiet or not dist.is_main else (reporter or PlainReporter())
        logger = LoggerGroup(loggers, warn=None if quiet else reporter.message)
        try:
            result = training_loop(
                run_dir=run_dir, config=config, networks=networks, objective=objective, phases=phases,
                sampler=sampler, data=data, device=device, reporter=reporter, resume_state=resume_state,
                dist=dist, augment=augment, evaluator=evaluator, on_start=write_run_records, logger=logger,
            )  # fmt: skip
        except Interrupted as stopped:
            if dist.is_main and records_written:
                _write_run_info(run_dir, "interrupted", config, device, dist, result=stopped.result)
                replacement.finish(keep_new=True)  # a stop saves a checkpoint first
            if created_group:
                leave_process_group(dist, wait_for_others=False)  # the loop's stop already waited for rank 0
            raise
        except BaseException as exc:
            reporter.close()
            if dist.is_main and not records_written:
                replacement.finish(keep_new=False)  # failed while creating it: undo, old run back
            if dist.is_main and records_written:
                # Without a checkpoint of its own the new run has nothing worth keeping: an
                # overwritten run comes back; otherwise the failure is recorded in run.json.
                # A diverged or collapsed run is kept whatever it has: its config and metrics are the evidence.
                status, fields = outcome(exc)
                keep_new = status != "failed" or (run_dir / ckpt.CHECKPOINT_NAME).is_file()
                if keep_new or replacement.aside is None:
                    _write_run_info(run_dir, status, config, device, dist, error=f"{type(exc).__name__}: {exc}",
                                    **fields)  # fmt: skip
                replacement.finish(keep_new=keep_new)
            if created_group:
                leave_process_group(dist, wait_for_others=False)
            raise
        finally:
            logger.close()
        if dist.is_main:
            _write_run_info(run_dir, "finished", config, device, dist, result=result)
            replacement.finish(keep_new=True)
        if created_group:
            leave_process_group(dist)
        return result


#: How long a collective may wait for the slowest rank: rank 0 evaluates (10,000
#: samples, maybe an Inception network on a CPU) while the others wait at the next step.
COLLECTIVE_TIMEOUT = _dt.timedelta(hours=2)


def explicit_overrides(**train_values: Any) -> list[tuple[str, Any]]:
    """The dedicated options (``steps=``, ``seed=`` ...) as ``train.*`` overrides; None means not given."""
    # A torch.device is accepted where a device name is: the config holds its name.
    return [(f"train.{key}", str(value) if isinstance(value, torch.device) else value)
            for key, value in train_values.items() if value is not None]  # fmt: skip


def _override_pairs(overrides: Overrides) -> list[tuple[str, Any]]:
    """``{"k": v}``, ``[("k", v)]`` or ``["k=v"]`` (as on the command line) as a list of pairs."""
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    if isinstance(overrides, str):
        raise ConfigError("overrides must be a mapping or a list, not one string", f"got {overrides!r}",
                          f"pass [{overrides!r}] or {{'section.key': value}}")  # fmt: skip
    pairs = []
    for item in overrides:
        if isinstance(item, str):
            pairs.append(parse_assignment(item))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            pairs.append((item[0], item[1]))
        else:
            raise ConfigError(f"cannot read the override {item!r}", "each must be a (key, value) pair or 'key=value'",
                              "pass e.g. {'train.lr_g': 1e-4} or ['train.lr_g=1e-4']")  # fmt: skip
    return pairs


def resolve_run(registry: Any, recipe: Optional[str], components: Mapping[str, Optional[str]],
                config_file: Union[str, Path, None], overrides: list[tuple[str, Any]],
                resume: Union[str, Path, None], out: Union[str, Path, None]) -> tuple[dict[str, Any], Path]:
    """The run's resolved configuration and directory (nothing is created or built)."""
    if resume is not None:
        if recipe or any(components.values()) or config_file:
            raise ConfigError(
                "--resume continues a run with its own configuration",
                "a recipe, components or a config file were given as well",
                "drop them, or start a new run with --out",
            )
        if out is not None and Path(out).resolve() != Path(resume).resolve():
            raise ConfigError(
                "--resume continues a run in its own directory",
                f"--out {out} names another one",
                "drop --out (to copy a run elsewhere, copy its directory first and resume the copy)",
            )
        run_dir = Path(resume)
        check_resumable(run_dir)
        return resumed_config(read_run_config(run_dir, registry), overrides), run_dir
    file_names, file_overrides = load_config_file(Path(config_file)) if config_file else ({}, [])
    file_recipe = file_names.pop("recipe", None)
    if recipe and file_recipe and recipe != file_recipe:
        # The file's other keys were written for its own recipe: silently taking one of the
        # two would end in errors about keys the other recipe's components lack.
        raise ConfigError(
            f"two recipes were given: {recipe!r} on the command line and {file_recipe!r} in {config_file}",
            "a run has one recipe, and the file's settings were written for its own",
            f"drop one of them (or make {config_file} name {recipe!r})",
        )
    recipe = recipe or file_recipe
    chosen = {**file_names, **{kind: name for kind, name in components.items() if name}}
    config = build_config(registry, recipe, chosen, file_overrides + overrides)
    return config, Path(out) if out else _default_run_dir(config)


def check_before_launch(recipe: Optional[str], components: Mapping[str, Optional[str]],
                        config_file: Union[str, Path, None], overrides: list[tuple[str, Any]],
                        resume: Union[str, Path, None], out: Union[str, Path, None], overwrite: bool,
                        nproc: int = 1) -> Path:
    """What ``--nproc`` checks once before starting processes: configuration, run directory, device.

    Returns the run directory, so that every process is told the same one.
    """
    config, run_dir = resolve_run(ganzoo.get_registry(), recipe, components, config_file, overrides, resume, out)
    if resume is not None:
        ckpt.load_checkpoint(run_dir / ckpt.CHECKPOINT_NAME)  # a missing or corrupt one is reported here, once
    else:
        check_new_run_dir(run_dir, overwrite)
    if resolve_device(config["train"]["device"]).type == "cuda":
        _local_gpu(nproc - 1)  # one GPU per process: refuse too many processes now, once
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if nproc > cores:
            # Allowed (it works, and a test may want it), but rarely what anyone means on a CPU.
            print(f"warning: {nproc} processes on {cores} CPU core(s): they will share cores, and the run "
                  f"will be slower than with --nproc {cores}", file=sys.stderr)
    return run_dir


def join_process_group(device: torch.device) -> bool:
    """Join torchrun's process group: nccl for CUDA devices, gloo otherwise.

    Returns whether this call created it; a group the caller set up (a script
    of its own under torchrun) is used as it is and left for the caller to end.
    """
    import inspect

    import torch.distributed as torch_dist

    if torch_dist.is_initialized():
        return False
    if device.type == "cuda":
        # nccl puts a collective's buffers on the current device: make it this rank's GPU.
        torch.cuda.set_device(device)
        accepted = inspect.signature(torch_dist.init_process_group).parameters
        extra = {"device_id": device} if "device_id" in accepted else {}  # torch >= 2.3
        torch_dist.init_process_group(backend="nccl", timeout=COLLECTIVE_TIMEOUT, **extra)
    else:
        torch_dist.init_process_group(backend="gloo", timeout=COLLECTIVE_TIMEOUT)
    return True


def leave_process_group(dist: Distributed, wait_for_others: bool = True) -> None:
    """Leave the process group cleanly (a process that exits inside one may abort).

    On success every rank first waits until rank 0 has written its final files,
    so no process is gone while another still uses the group.
    """
    import torch.distributed as torch_dist

    if dist.world_size == 1 or not torch_dist.is_initialized():
        return
    if wait_for_others:
        torch_dist.barrier()
    torch_dist.destroy_process_group()


def _local_gpu(local_rank: int) -> torch.device:
    """The GPU of this process: one per process on each machine."""
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise ConfigError(
            f"process {local_rank} on this machine has no GPU of its own: the machine has {count}",
            "each process of a multi-process CUDA run trains on one GPU",
            f"start at most {count} processes per machine (--nproc / --nproc-per-node {count})",
        )
    return torch.device("cuda", local_rank)


def _from_rank_zero(value: Any) -> Any:
    """Rank 0's ``value`` on every rank (a collective)."""
    import torch.distributed as torch_dist

    holder = [value]
    torch_dist.broadcast_object_list(holder, src=0)
    return holder[0]


def _build_dataset_once_per_machine(registry: Any, config: dict[str, Any], data_dir: Any, download: bool,
                                    dist: Distributed) -> Any:
    """The dataset; with several processes the first on each machine downloads it while the others wait."""
    if dist.world_size == 1:
        return _build_dataset(registry, config, data_dir, download)
    import torch.distributed as torch_dist

    first_here = int(os.environ.get("LOCAL_RANK", dist.rank)) == 0
    data = _build_dataset(registry, config, data_dir, download) if first_here else None
    torch_dist.barrier()  # if the first process fails instead, torchrun ends the ones waiting here
    return data if data is not None else _build_dataset(registry, config, data_dir, download)


def _training_evaluator(config: dict[str, Any], info: DataInfo, device: torch.device, registry: Any,
                        data_dir: Any, sampler: Any = None) -> Any:
    """The evaluator ``train.eval_every`` asks for, or a clear error before training starts."""
    from ganzoo.evaluation.training import build_training_evaluator

    try:
        return build_training_evaluator(config, info, device, registry=registry, data_dir=data_dir, sampler=sampler)
    except GanzooError as exc:
        raise ConfigError(
            f"train.eval_every={config['train']['eval_every']} was set, but this run cannot be evaluated: {exc.what}",
            exc.why,
            f"{exc.fix.rstrip('.')}; or train without evaluation (train.eval_every=0)" if exc.fix
            else "train without evaluation (train.eval_every=0)",
        ) from None


def _multi_output_discriminators(registry: Any, config: Mapping[str, Any]) -> list[str]:
    """The discriminator networks that return several heads (a contract-1 loss sees only their scores)."""
    names = []
    for name in network_names(config):
        entry = network_entry(config, name)
        if entry["kind"] == "discriminator" and len(registry.get("discriminator", entry["name"]).outputs) > 1:
            names.append(name)
    return names


def _default_run_dir(config: dict[str, Any]) -> Path:
    name = config.get("recipe") or config["generator"]["name"]
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{name}-{stamp}"


def _build_dataset(registry: Any, config: dict[str, Any], data_dir: Any, download: bool) -> Any:
    spec = registry.get("dataset", config["dataset"]["name"])
    return build_component("dataset", spec, config["dataset"]["params"], resolve_data_root(data_dir), train=True,
                           download=download)  # fmt: skip


def _without_inductor_layout_changes() -> None:
    """Stop inductor from re-laying out convolutions on CUDA (a process-wide setting).

    torch 2.11's inductor failed its own stride check in the backward of
    dcgan-mnist's ConvTranspose2d layers with its layout optimisation on, with
    or without channels_last weights (an H100, 2026-11-25); with it off the
    compiled run trained.
    """
    try:
        import torch._inductor.config as inductor_config
    except ImportError:  # a torch without inductor compiles nothing anyway
        return
    if hasattr(inductor_config, "layout_optimization"):
        inductor_config.layout_optimization = False


def environment(device: torch.device) -> dict[str, Any]:
    """Versions and hardware, recorded in run.json and model cards."""
    info: dict[str, Any] = {
        "ganzoo": ganzoo.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": str(device),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    commit = _git_commit()
    if commit:
        info["ganzoo_git_commit"] = commit
    return info


def _git_commit() -> Optional[str]:
    source = Path(__file__).resolve().parents[2]
    if not (source / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _write_run_info(run_dir: Path, status: str, config: dict[str, Any], device: torch.device, dist: Distributed,
                    result: Optional[TrainResult] = None, error: str = "", data_info: Optional[DataInfo] = None,
                    providers: Optional[dict[str, str]] = None, **fields: Any) -> None:
    """Create or update run.json; ``fields`` are further keys to record (``diverged_at_step`` ...)."""
    path = run_dir / RUN_INFO_NAME
    try:
        info = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError:
        info = {}
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    info.setdefault("created", now)
    if data_info is not None:  # what the networks were built for: sample, eval and publish need no dataset for it
        info["data"] = data_info.to_json()
    if providers is not None:  # which distribution to reinstall should a component's plugin go missing
        info["providers"] = providers
    info.update(
        status=status,
        updated=now,
        recipe=config.get("recipe"),
        world_size=dist.world_size,
        environment=environment(device),
        error=error,
    )
    info.pop("collapse", None)  # an earlier segment's; this one's comes with its result or fields
    if result is not None:
        info.update(step=result.step, images_seen=result.images_seen, wall_time_s=round(result.wall_time, 3),
                    last_stats=result.last_stats or info.get("last_stats", {}), cuda_graph=result.cuda_graph)  # fmt: skip
        if result.collapse is not None:
            info["collapse"] = result.collapse
    else:  # running again, or failed: where an earlier stop left off no longer describes the run
        for key in ("step", "images_seen", "wall_time_s", "last_stats", "cuda_graph", "diverged_at_step"):
            info.pop(key, None)
    info.update(fields)
    atomic.atomic_write_bytes(path, (json.dumps(info, indent=2) + "\n").encode())
