"""``ganzoo train``: train a recipe, or any combination of registered components."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import click

from ganzoo.cli import completion


@click.command("train")
@click.argument("recipe", required=False, shell_complete=completion.names("recipe"))
@click.option("-g", "--generator", help="Generator name (replaces the recipe's).",
              shell_complete=completion.names("generator"))
@click.option("-d", "--discriminator", help="Discriminator name (replaces the recipe's).",
              shell_complete=completion.names("discriminator"))
@click.option("-l", "--loss", help="Loss name (replaces the recipe's).", shell_complete=completion.names("loss"))
@click.option("--dataset", help="Dataset name (replaces the recipe's).", shell_complete=completion.names("dataset"))
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Override a setting, e.g. train.lr_g=1e-4 or generator.hidden=[128,256]. Repeatable.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML file of settings (between recipe defaults and the command line).")
@click.option("--steps", type=int, help="Generator updates to train for (total, also when resuming).")
@click.option("--batch-size", type=int, help="Samples per batch.")
@click.option("--seed", type=int, help="Random seed (weights, noise, data order).")
@click.option("--device", help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), help="Numeric precision (AMP for bf16/fp16).")
@click.option("--compile/--no-compile", "compile_", default=None, help="torch.compile the networks.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Run directory (default runs/NAME-TIME).")
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path), help="Continue the run in this directory.")
@click.option("--init", "init", metavar="MODEL_OR_RUN", shell_complete=completion.models,
              help="Fine-tune: start from a published model (name, folder, hf://ORG/NAME) or a run directory. "
                   "Matching networks (G, and D when it has one) are loaded; optimizers start fresh. "
                   "--set train.freeze_d_blocks=N freezes D's first N blocks (FreezeD).")
@click.option("--overwrite", is_flag=True, help="Replace an existing, non-empty --out directory.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Dataset root (torchvision layout). Default: $GANZOO_DATA_DIR, else a per-user cache.")
@click.option("--no-download", is_flag=True, help="Never download datasets; fail if they are missing.")
@click.option("--eval-every", type=int, help="Evaluate every N steps (FID/KID or mode coverage), keep best.pt; 0 = off.")
@click.option("--log", "log", multiple=True, metavar="LOGGER", shell_complete=completion.names("logger"),
              help="Also log to LOGGER (ganzoo list loggers): tensorboard, csv or a plugin's. Repeatable; "
                   "metrics.jsonl is always written. Sets train.loggers.")
@click.option("--nproc", type=int, help="Train in N processes on this machine (DistributedDataParallel via torchrun).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def train_command(recipe: Optional[str], generator: Optional[str], discriminator: Optional[str], loss: Optional[str],
                  dataset: Optional[str], assignments: tuple[str, ...], config_file: Optional[Path],
                  steps: Optional[int], batch_size: Optional[int], seed: Optional[int], device: Optional[str],
                  precision: Optional[str], compile_: Optional[bool], out: Optional[Path], resume: Optional[Path],
                  init: Optional[str], overwrite: bool, data_dir: Optional[Path], no_download: bool, eval_every: Optional[int],
                  log: tuple[str, ...], nproc: Optional[int], quiet: bool) -> None:
    """Train RECIPE (see 'ganzoo list recipes'), or --generator/--discriminator/--loss/--dataset.

    Settings come from, lowest first: component defaults, the recipe,
    --config, --set, then the dedicated options (--steps ...). The resolved
    configuration is written to RUN_DIR/config.json.

    \b
    Examples:
      ganzoo train vanilla-mnist
      ganzoo train ring-8 --steps 2000 --out runs/ring
      ganzoo train dcgan-mnist --loss hinge --set train.lr_d=4e-4
      ganzoo train --resume runs/ring --steps 4000
      ganzoo train dcgan-mnist --nproc 2 --eval-every 1000
      ganzoo train dcgan-mnist --log tensorboard --log csv
      ganzoo train dcgan-fashion --init dcgan-mnist --set train.freeze_d_blocks=1
    """
    from ganzoo.config import parse_assignment

    overrides = [parse_assignment(text) for text in assignments]
    if eval_every is not None:
        overrides.append(("train.eval_every", eval_every))
    if log:
        overrides.append(("train.loggers", list(log)))
    if nproc is not None:
        from ganzoo.engine.api import check_before_launch, explicit_overrides
        from ganzoo.engine.launch import check_nproc, launch

        # Mistakes are reported once, here, rather than by every process.
        check_nproc(nproc)
        explicit = explicit_overrides(steps=steps, batch_size=batch_size, seed=seed, device=device,
                                      precision=precision, compile=compile_)  # fmt: skip
        components = {"generator": generator, "discriminator": discriminator, "loss": loss, "dataset": dataset}
        run_dir = check_before_launch(recipe, components, config_file, overrides + explicit, resume, out, overwrite,
                                      nproc)  # fmt: skip
        args = _args_without_nproc(click.get_current_context())
        if out is None and resume is None:
            args += ["--out", str(run_dir)]
        if not quiet:
            click.echo(f"starting {nproc} processes (torchrun, DistributedDataParallel); run directory {run_dir}")
        raise SystemExit(launch(nproc, args))

    from ganzoo.cli.console import make_reporter
    from ganzoo.engine.api import train

    quiet = quiet or os.environ.get("RANK", "0") != "0"  # under torchrun only rank 0 reports
    result = train(
        recipe, generator=generator, discriminator=discriminator, loss=loss, dataset=dataset,
        overrides=overrides, config_file=config_file, steps=steps, batch_size=batch_size, seed=seed,
        device=device, precision=precision, compile=compile_, out=out, resume=resume, overwrite=overwrite, init=init,
        data_dir=data_dir, download=not no_download, quiet=quiet, reporter=None if quiet else make_reporter(),
    )  # fmt: skip
    if not quiet:
        click.echo(
            f"done: {result.step} steps, {result.images_seen / 1000:.1f} kimg in {result.wall_time:.0f}s; "
            f"samples in {result.run_dir / 'samples'}, checkpoint {result.run_dir / 'checkpoint.pt'}"
        )
    if result.collapse is not None:  # said during training too; repeated where a user looks last
        click.echo(f"warning: training looked collapsed from step {result.collapse['since_step']} "
                   f"({result.collapse['sign']}); see 'collapse' in {result.run_dir / 'run.json'}", err=True)  # fmt: skip


def _args_without_nproc(ctx: click.Context) -> list[str]:
    """This invocation's arguments, rebuilt from the parsed values, minus ``--nproc``."""
    args: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.name == "nproc" or value is None or value == ():
            continue
        if isinstance(param, click.Argument):
            args.append(str(value))
        elif isinstance(param, click.Option) and param.is_flag and param.secondary_opts:
            args.append(param.opts[0] if value else param.secondary_opts[0])  # --compile / --no-compile
        elif isinstance(param, click.Option) and param.is_flag:
            if value:
                args.append(param.opts[-1])
        elif isinstance(param, click.Option) and param.multiple:
            for item in value:
                args += [param.opts[-1], str(item)]
        else:
            args += [param.opts[-1], str(value)]
    return args
