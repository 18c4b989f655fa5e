"""``ganzoo sample``: images (a grid, a grid of seeds, single files, or a latent walk as a strip or a GIF)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

import click

from ganzoo.cli import completion

#: Frames of a walk when --frames is not given, per keyframe: a strip (PNG, 10 for two keyframes) and a GIF.
STRIP_FRAMES_PER_KEYFRAME, GIF_FRAMES_PER_KEYFRAME = 5, 16


class Keyframes(click.ParamType):
    """``--interpolate`` alone (a walk between two draws, or through the --seeds) or ``--interpolate K``."""

    name = "K"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Union[bool, int]:
        if value is True or value == "default":
            return True
        try:
            count = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of keyframes (write MODEL before --interpolate, "
                      "or give a number: --interpolate 4)", param, ctx)  # fmt: skip
        if count < 2:
            self.fail(f"a walk passes through at least 2 keyframes, got {count}", param, ctx)
        return count


@click.command("sample")
@click.argument("model", shell_complete=completion.models)
@click.option("--n", "n", type=int, help="Samples to draw (default 64; with --interpolate, the frames: see --frames).")
@click.option("--seed", type=int, help="Seed of the noise (default 0).")
@click.option("--seeds", "seeds_text", metavar="LIST",
              help="A grid of one sample per seed, e.g. 0-15 or 1,5,9 (each as --seed S --n 1 draws it); "
                   "with --interpolate, the walk's keyframes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="PNG to write (default MODEL-seedS.png); with --interpolate also a .gif: an animated walk.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), help="Write one PNG per sample into this folder.")
@click.option("--class", "--label", "class_", type=int, help="Class to draw (class-conditional models).")
@click.option("--code", "codes", multiple=True, metavar="NAME=VALUE",
              help="Set a latent code (InfoGAN models): c0=3 fixes a code, c1=-2:2 sweeps it along each row. Repeatable.")
@click.option("--input", "input_", type=click.Path(path_type=Path),
              help="Image-to-image models: an image file or a folder of images to translate.")
@click.option("--direction", type=click.Choice(["a2b", "b2a"]), default="a2b", show_default=True,
              help="With --input: translate a -> b (the generator) or b -> a (a CycleGAN's G_ba).")
@click.option("--interpolate", type=Keyframes(), is_flag=False, flag_value="default", default=None,
              help="A latent walk through K keyframes (alone: 2, or one per --seeds): spherical for Gaussian noise, "
                   "linear for codes. A .png is a strip; a .gif an animation that loops back to the first keyframe.")
@click.option("--frames", type=int, help="Frames of the walk (default 5 per keyframe for a strip, 16 for a GIF).")
@click.option("--fps", type=float, default=16.0, show_default=True, help="Frames per second of a GIF walk.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="For a run directory from before run.json recorded its data's shape: the dataset root.")
@click.option("--force", is_flag=True, help="Overwrite existing output files (with --out-dir, also remove the "
                                           "numbered images of an earlier, larger draw).")
def sample_command(model: str, n: Optional[int], seed: Optional[int], seeds_text: Optional[str], out: Optional[Path],
                   out_dir: Optional[Path], class_: Optional[int], codes: tuple[str, ...], input_: Optional[Path], direction: str,
                   interpolate: Union[bool, int, None], frames: Optional[int], fps: float, device: str,
                   data_dir: Optional[Path], force: bool) -> None:
    """Draw samples from MODEL: a name from the zoo (ganzoo list marks recipes with weights), a published folder,
    a .safetensors file, a training run's directory (its EMA generator), or a model on the Hugging Face Hub,
    hf://ORG/NAME[@REVISION] (the extra 'hub'; cached, so it works offline once fetched).

    \b
    Examples:
      ganzoo sample vanilla-mnist
      ganzoo sample cgan-mnist --class 7 --n 16 --out sevens.png
      ganzoo sample dcgan-mnist --interpolate --n 12 --seed 3
      ganzoo sample dcgan-mnist --interpolate 6 --frames 96 --out walk.gif
      ganzoo sample dcgan-mnist --seeds 0-15 --out seeds.png
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
    seeds = sampling.parse_seeds(seeds_text) if seeds_text is not None else None
    if seeds is not None and seed is not None:
        raise SampleError("--seed and --seeds were both given", "--seeds draws one sample per seed",
                          "choose one of them")  # fmt: skip
    seed = seed if seed is not None else 0
    gif = out is not None and out.suffix.lower() == ".gif"
    if out is not None and out.suffix.lower() != ".png" and not (gif and interpolate):
        raise SampleError(f"--out {out} is not a .png file", "ganzoo writes sample grids as PNG, and latent walks "
                          "(--interpolate) as PNG strips or GIF animations", f"name it {out.with_suffix('.png')}")  # fmt: skip
    if frames is not None and not interpolate:
        raise SampleError("--frames was given without --interpolate", "frames are the steps of a latent walk",
                          "add --interpolate, or draw --n samples")  # fmt: skip
    if frames is not None and n is not None and frames != n:
        raise SampleError(f"--frames {frames} and --n {n} were both given", "for a walk, --n is the number of frames",
                          "give one of them")  # fmt: skip
    if seeds is not None and n is not None and not interpolate:
        raise SampleError("--n and --seeds were both given", "a seed grid draws one sample per seed",
                          "drop --n (the grid has as many samples as seeds)")  # fmt: skip
    keyframes = len(seeds) if seeds is not None and interpolate else sampling.keyframe_count(interpolate or False)
    per_keyframe = GIF_FRAMES_PER_KEYFRAME if gif else STRIP_FRAMES_PER_KEYFRAME
    n = frames or n or (per_keyframe * keyframes if interpolate else len(seeds) if seeds is not None else 64)
    if n < 1 or n > 100_000:
        raise SampleError(f"--n must be between 1 and 100000, got {n}", "", "pass --n between 1 and 100000")
    if interpolate and n < 2:
        raise SampleError(f"--interpolate needs at least 2 frames, got {n}", "a walk goes from one keyframe "
                          "to another", "pass --frames 2 or more")  # fmt: skip
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
    interpolate = interpolate or False
    if out_dir is not None:
        paths = sampling.write_images(loaded, out_dir, n=n, seed=seed, labels=labels, force=force,
                                      interpolate=interpolate, codes=code_values, seeds=seeds)  # fmt: skip
        click.echo(f"wrote {len(paths)} image{'s' if len(paths) != 1 else ''} to {out_dir}")
        return
    if gif:
        sampling.write_walk_gif(loaded, out, frames=n, keyframes=interpolate, seed=seed, labels=labels, force=force,
                                codes=code_values, seeds=seeds, fps=fps)  # fmt: skip
        click.echo(f"wrote {out} ({n} frames through {keyframes} keyframes)")
        return
    default_name = f"{name}-seeds" if seeds is not None else f"{name}-seed{seed}"
    out = out or Path(f"{default_name}{'-interp' if interpolate else ''}.png")
    sampling.write_grid(loaded, out, n=n, seed=seed, labels=labels, force=force, interpolate=interpolate,
                        codes=code_values, seeds=seeds)  # fmt: skip
    click.echo(f"wrote {out}")


def _code(text: str) -> tuple[str, str]:
    """``"c0=3"`` -> ``("c0", "3")``."""
    from ganzoo.artifacts.sampling import SamplingError

    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise SamplingError(f"cannot read --code {text!r}", "codes look like NAME=VALUE",
                            "write e.g. --code c0=3 or --code c1=-2:2")  # fmt: skip
    return name.strip(), value.strip()
