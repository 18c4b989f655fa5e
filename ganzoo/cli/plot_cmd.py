"""``ganzoo plot``: training curves of runs, overlaid, and the 2-D training animation (the extra ``plots``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click


@click.command("plot")
@click.argument("runs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="PNG of the curves: losses, D(x), D(G(z)), other terms and every evaluated metric, "
                   "over steps and over wall time.")
@click.option("--animate", "animation", type=click.Path(dir_okay=False, path_type=Path),
              help="2-D runs: a GIF of the generated points over the real density at each sample step (one RUN).")
@click.option("--fps", type=float, default=4.0, show_default=True, help="Frames per second of --animate.")
@click.option("--title", help="The figure's title (default: the runs' names).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="--animate: the dataset root, for datasets read from files (default: $GANZOO_DATA_DIR).")
def plot_command(runs: tuple[Path, ...], out: Optional[Path], animation: Optional[Path], fps: float,
                 title: Optional[str], force: bool, data_dir: Optional[Path]) -> None:
    """Plot training runs: RUN [RUN ...] overlaid and labelled by their directory names.

    \b
    Examples:
      ganzoo plot runs/dcgan-a runs/dcgan-b --out curves.png
      ganzoo plot runs/ring --out ring.png --animate ring.gif
    """
    from ganzoo.artifacts.atomic import atomic_write_bytes
    from ganzoo.errors import GanzooError
    from ganzoo.plots.figure import require_matplotlib

    if out is None and animation is None:
        raise click.UsageError("say what to draw: --out FILE.png (curves) and/or --animate FILE.gif (2-D runs)")
    for path, suffix in ((out, ".png"), (animation, ".gif")):
        if path is not None and path.suffix.lower() != suffix:
            raise click.UsageError(f"{path} is not a {suffix} file; name it {path.with_suffix(suffix)}")
        if path is not None and path.exists() and not force:
            raise GanzooError(f"{path} already exists", "ganzoo does not overwrite files unless asked",
                              "pass --force, or choose another file name")  # fmt: skip
    if animation is not None and len(runs) != 1:
        raise click.UsageError(f"--animate draws one run, and {len(runs)} were given")
    if not 0 < fps <= 50:
        raise click.UsageError(f"--fps must be in (0, 50], got {fps}")
    require_matplotlib()
    if out is not None:
        from ganzoo.plots.figure import curves_png
        from ganzoo.plots.series import read_runs

        png, (width, height) = curves_png(read_runs(list(runs)), title=title)
        atomic_write_bytes(out, png)
        click.echo(f"wrote {out} ({width}x{height})")
    if animation is not None:
        from ganzoo.plots.animation import animate

        gif, count, note = animate(runs[0], fps=fps, data_dir=data_dir)
        atomic_write_bytes(animation, gif)
        click.echo(f"wrote {animation}: {note}")
