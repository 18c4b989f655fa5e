"""``ganzoo sample``: images (a grid, single files, or a latent interpolation) from a published model."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click


@click.command("sample")
@click.argument("model")
@click.option("--n", "n", type=int, help="Samples to draw (default 64; frames of the strip with --interpolate: 10).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the noise.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="PNG to write (default MODEL-seedS.png).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), help="Write one PNG per sample into this folder.")
@click.option("--class", "--label", "class_", type=int, help="Class to draw (class-conditional models).")
@click.option("--code", "codes", multiple=True, metavar="NAME=VALUE",
              help="Set a latent code (InfoGAN models): c0=3 fixes a code, c1=-2:2 sweeps it along each row. Repeatable.")
@click.option("--input", "input_", type=click.Path(path_type=Path),
              help="Image-to-image models: an image file or a folder of images to translate.")
@click.option("--direction", type=click.Choice(["a2b", "b2a"]), default="a2b", show_default=True,
              help="With --input: translate a -> b (the generator) or b -> a (a CycleGAN's G_ba).")
@click.option("--interpolate", is_flag=True, help="A strip walking the latent space between two noise vectors.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="For a run directory from before run.json recorded its data's shape: the dataset root.")
@click.option("--force", is_flag=True, help="Overwrite existing output files (with --out-dir, also remove the "
                                           "numbered images of an earlier, larger draw).")
def sample_command(model: str, n: Optional[int], seed: int, out: Optional[Path], out_dir: Optional[Path],
                   class_: Optional[int], codes: tuple[str, ...], input_: Optional[Path], direction: str, interpolate: bool, device: str,
                   data_dir: Optional[Path], force: bool) -> None:
    """Draw samples from MODEL: a name from the zoo (ganzoo list marks recipes with weights), a published folder,
    a .safetensors file, a training run's directory (its EMA generator), or a model on the Hugging Face Hub,
    hf://ORG/NAME[@REVISION] (the extra 'hub'; cached, so it works offline once fetched).

    \b
    Examples:
      ganzoo sample vanilla-mnist
      ganzoo sample cgan-mnist --class 7 --n 16 --out sevens.png
      ganzoo sample dcgan-mnist --interpolate --n 12 --seed 3
      ganzoo sample vanilla-mnist --n 100 --out-dir digits/
      ganzoo sample infogan-mnist --code c1=-2:2 --n 100
      ganzoo sample pix2pix-edges2fashion --input edges/ --out-dir translated/
      ganzoo sample cyclegan-mnist2thick --input bold-digits/ --direction b2a
      ganzoo sample hf://my-org/my-ring@main
    """
    from ganzoo.devices import resolve_device
    from ganzoo.artifacts import sampling
    from ganzoo.artifacts.models import load_model
    from ganzoo.artifacts.sampling import SamplingError as SampleError

    if out is not None and out_dir is not None:
        raise SampleError("--out and --out-dir were both given", "one writes a grid, the other single images", "choose one")
    n = n if n is not None else (10 if interpolate else 64)
    if n < 1 or n > 100_000:
        raise SampleError(f"--n must be between 1 and 100000, got {n}", "", "pass --n between 1 and 100000")
    if interpolate and n < 2:
        raise SampleError(f"--interpolate needs at least 2 frames, got --n {n}", "a strip walks from one noise vector "
                          "to another", "pass --n 2 or more (default 10)")  # fmt: skip
    if out is not None and out.suffix.lower() != ".png":
        raise SampleError(f"--out {out} is not a .png file", "ganzoo writes sample grids as PNG",
                          f"name it {out.with_suffix('.png')}")  # fmt: skip
    loaded = load_model(model, device=resolve_device(device), data_dir=data_dir)  # a run: its EMA generator
    # The default output is a file in the current directory: a model's name was checked to be a plain
    # name when its config was read (ganzoo.untrusted), and a run's is its own directory's name.
    name = loaded.config.get("name") or Path(model).resolve().stem
    if direction != "a2b" and input_ is None:
        raise SampleError("--direction was given without --input", "a direction says which way images are translated",
                          "add --input FILE_OR_DIR")  # fmt: skip
    if input_ is not None:
        paths = sampling.write_translations(loaded, input_, out=out, out_dir=out_dir, seed=seed, force=force,
                                            direction=direction)  # fmt: skip
        click.echo(f"wrote {paths[0] if out_dir is None else f'{len(paths)} images to {out_dir}'}")
        return
    labels = sampling.class_labels(loaded, class_, n)
    code_values = dict(_code(text) for text in codes)
    if out_dir is not None:
        paths = sampling.write_images(loaded, out_dir, n=n, seed=seed, labels=labels, force=force,
                                      interpolate=interpolate, codes=code_values)  # fmt: skip
        click.echo(f"wrote {len(paths)} image{'s' if len(paths) != 1 else ''} to {out_dir}")
        return
    out = out or Path(f"{name}-seed{seed}{'-interp' if interpolate else ''}.png")
    sampling.write_grid(loaded, out, n=n, seed=seed, labels=labels, force=force, interpolate=interpolate,
                        codes=code_values)  # fmt: skip
    click.echo(f"wrote {out}")


def _code(text: str) -> tuple[str, str]:
    """``"c0=3"`` -> ``("c0", "3")``."""
    from ganzoo.artifacts.sampling import SamplingError

    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise SamplingError(f"cannot read --code {text!r}", "codes look like NAME=VALUE",
                            "write e.g. --code c0=3 or --code c1=-2:2")  # fmt: skip
    return name.strip(), value.strip()
