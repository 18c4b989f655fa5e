"""``ganzoo eval``: offline metrics of a run or a published model, every number pinned to what produced it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from ganzoo.cli import completion


@click.command("eval")
@click.argument("target", shell_complete=completion.models)
@click.option("--n", "n", type=int, default=10_000, show_default=True, help="Generated samples (and at most as many reference samples).")
@click.option("--metrics", help="Comma-separated families: fid,kid,pr,dc,classes for images; modes for 2-D mixtures. Default: all that apply.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the noise (and of KID's subsets).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Dataset root for the reference split. Default: $GANZOO_DATA_DIR, else a per-user cache.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the results as JSON to this file.")
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")
@click.option("--inception", type=click.Path(dir_okay=False, path_type=Path),
              help="Compute image metrics on Inception-v3 features from this local weights file "
                   "(torchvision's inception_v3_google-0cc3c7bd.pth or a .safetensors copy). Never downloaded.")
@click.option("--inception-sha256", metavar="HEX", help="Refuse the --inception file unless it has this sha256.")
def eval_command(target: str, n: int, metrics: Optional[str], seed: int, device: str, data_dir: Optional[Path],
                 out: Optional[Path], force: bool, as_json: bool, inception: Optional[Path],
                 inception_sha256: Optional[str]) -> None:
    """Evaluate TARGET: a run directory (its EMA generator), a published model (name, folder or .safetensors), or
    a model on the Hugging Face Hub, hf://ORG/NAME[@REVISION] (the extra 'hub').

    Image metrics are computed in the feature space of a LeNet classifier that
    ganzoo trained for the dataset; their names carry the extractor and its
    hash, e.g. fid[lenet-mnist@1a2b3c4d], because they are not comparable to
    Inception-based FIDs. With --inception FILE they use Inception-v3
    features from a weights file you provide instead (names such as
    fid[inception-v3@0cc3c7bd]). A run directory's results are appended to
    RUN_DIR/eval.json, where `ganzoo publish` finds them.

    \b
    Examples:
      ganzoo eval runs/vanilla-mnist-20261124-101500
      ganzoo eval vanilla-mnist --n 5000 --metrics fid,kid --json
      ganzoo eval model_cards/ring-8
      ganzoo eval dcgan-mnist --inception ~/.cache/torch/hub/checkpoints/inception_v3_google-0cc3c7bd.pth
    """
    from ganzoo.artifacts.atomic import atomic_write_bytes
    from ganzoo.devices import resolve_device
    from ganzoo.evaluation.targets import append_run_evaluation, evaluate_target
    from ganzoo.artifacts.store import names_run_dir

    if out is not None and out.exists() and not force:  # refused before the minutes of evaluation, not after
        raise click.UsageError(f"{out} exists; pass --force to replace it, or choose another --out")
    families = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    extractor = None
    if inception is not None:
        from ganzoo.evaluation.inception import inception_spec

        extractor = inception_spec(inception, inception_sha256)
    elif inception_sha256 is not None:
        raise click.UsageError("--inception-sha256 pins an --inception file; give --inception PATH as well")
    evaluation, record = evaluate_target(target, n=n, metrics=families, seed=seed, device=str(resolve_device(device)),
                                         data_dir=data_dir, extractor=extractor)  # fmt: skip
    # Shown first, so that a file that cannot be written loses no result.
    if as_json:
        click.echo(json.dumps(record, indent=2))
    else:
        _print(record)
    if names_run_dir(target):
        _, set_aside = append_run_evaluation(Path(target), record)
        if set_aside is not None:
            click.echo(f"warning: the run's eval.json could not be read; it was kept as {set_aside} and a new "
                       "one started", err=True)  # fmt: skip
    if out is not None:
        atomic_write_bytes(out, (json.dumps(record, indent=2) + "\n").encode())


def _print(record: dict) -> None:
    from ganzoo.cli import console

    rows = []
    for m in record["metrics"]:
        std = f" ± {m['std']:.4g}" if m.get("std") is not None else ""
        rows.append([m["name"], f"{m['value']:.4g}{std}", "higher" if m["higher_is_better"] else "lower",
                     f"{m['n_generated']} / {m['n_reference'] or '-'}", m["reference"]])  # fmt: skip
    # Mode coverage compares with the mixture's known centres, not with reference samples: "-".
    columns = ["metric", "value", "better", "N gen / N ref", "reference"]
    if console.is_terminal():
        console.print_table(f"{record['target']} (seed {record['metrics'][0]['seed']}, {record['seconds']} s)", columns, rows)
    else:
        for row in rows:
            click.echo("  ".join(row))
    if any((m.get("extractor") or "").startswith("lenet-") for m in record["metrics"]):
        click.echo("note: LeNet-feature metrics compare ganzoo models with each other, not with published Inception FIDs.")
