"""``ganzoo publish``: a finished run to a model folder (safetensors, config, samples, model card)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click


@click.command("publish")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Model name (default: the run's recipe). Letters, digits and dashes.")
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path),
              help="Folder the model folder is created in (default ./model_cards; in a ganzoo source checkout, "
                   "where that is the shipped zoo, --to is required).")
@click.option("--with-discriminator", is_flag=True,
              help="Also publish the discriminator and the run's other trained networks (InfoGAN's Q ...).")
@click.option("--best", "use_best", is_flag=True, help="Publish the checkpoint --eval-every ranked best, not the latest.")
@click.option("--force", is_flag=True, help="Replace an existing model of that name.")
@click.option("--license", "license_", default="mit", show_default=True, help="License id for the model card.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Dataset root (for the data's shape).")
@click.option("--push", "push_to", metavar="ORG/NAME",
              help="Also upload the published folder to this Hugging Face Hub model repository (the extra 'hub'; "
                   "log in with 'hf auth login' or set HF_TOKEN).")
@click.option("--private", is_flag=True, help="With --push: create the Hub repository as private.")
def publish_command(run_dir: Path, name: Optional[str], to: Optional[Path], with_discriminator: bool, use_best: bool,
                    force: bool, license_: str, data_dir: Optional[Path], push_to: Optional[str], private: bool) -> None:
    """Publish RUN_DIR's generator (its EMA) as TO/NAME/: model.safetensors, config.json, samples.png, README.md.

    The card holds the newest results of `ganzoo eval RUN_DIR`; evaluate first
    to have them in it. Nothing is replaced without --force, and a failing
    publish leaves no half-written folder.

    \b
    Examples:
      ganzoo eval runs/my-run && ganzoo publish runs/my-run --name my-digits --to my-models
      ganzoo sample my-models/my-digits
      ganzoo publish runs/my-run --name my-digits --to my-models --push my-org/my-digits
    """
    from ganzoo.publish.publish import publish

    if private and not push_to:
        raise click.UsageError("--private applies to --push ORG/NAME; give --push as well")
    if push_to:  # a bad name or a missing extra is said before the publishing work, not after it
        from ganzoo.artifacts import hub

        hub.validate_repo_id(push_to)
        hub.require_hub()
    folder = publish(run_dir, name=name, to=to, with_discriminator=with_discriminator, use_best=use_best, force=force,
                     license=license_, data_dir=data_dir, warn=lambda text: click.echo(f"warning: {text}", err=True))  # fmt: skip
    click.echo(f"published {folder} (model.safetensors, config.json, samples.png, README.md)")
    if push_to:
        url = hub.push(folder, push_to, private=private)
        click.echo(f"pushed to {push_to}: {url}")
        click.echo(f"load it with: ganzoo sample hf://{push_to}")
