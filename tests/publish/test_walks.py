"""Latent walks through K keyframes (PNG strips, GIF animations) and seed grids, from the CLI and from Python."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.artifacts.sampling import SamplingError, parse_seeds
from ganzoo.cli import cli
from ganzoo.inputs import GaussianInputs, InfoGANCodes, slerp
from ganzoo.specs import DataInfo


class _Latent(torch.nn.Module):
    latent_dim = 4
    categorical_codes = [10]
    continuous_codes = 2


def test_a_walk_passes_through_its_keyframes_on_great_circles_and_loops_back():
    sampler = GaussianInputs(DataInfo(shape=(2,), modality="points"), _Latent())
    keyframes = sampler.request(3, generator=torch.Generator().manual_seed(0))
    z = keyframes["z"]
    open_walk = sampler.walk(9, keyframes=keyframes)["z"]  # keyframes at frames 0, 4 and 8
    assert torch.allclose(open_walk[[0, 4, 8]], z, atol=1e-6)
    assert torch.allclose(open_walk[:5], slerp(z[0], z[1], 5), atol=1e-5)
    loop = sampler.walk(6, keyframes=keyframes, loop=True)["z"]  # keyframes at frames 0, 2 and 4; 5 is on the way back
    assert torch.allclose(loop[[0, 2, 4]], z, atol=1e-6)
    assert torch.allclose(loop[5], slerp(z[2], z[0], 3)[1], atol=1e-5)


def test_codes_walk_in_straight_lines_and_categories_hold():
    sampler = InfoGANCodes(DataInfo(shape=(1, 28, 28)), _Latent())
    keyframes = sampler.request(2, generator=torch.Generator().manual_seed(1))
    walk = sampler.walk(5, keyframes=keyframes)
    assert torch.allclose(walk["codes_cont"][2], keyframes["codes_cont"].mean(0), atol=1e-6)
    assert (walk["codes_cat"] == keyframes["codes_cat"][0]).all()
    with pytest.raises(ValueError, match="at least 2 keyframes"):
        sampler.walk(5, keyframes=sampler.request(1, generator=torch.Generator()))


def test_a_gif_walk_has_the_frames_asked_for_and_loops(tmp_path):
    out = tmp_path / "walk.gif"
    result = CliRunner().invoke(cli, ["sample", "vanilla-mnist", "--interpolate", "3", "--frames", "12",
                                      "--out", str(out), "--fps", "10"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "12 frames through 3 keyframes" in result.output
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames == 12 and gif.info["loop"] == 0 and gif.info["duration"] == 100
        assert gif.size == (140, 140)  # 28 x 28 enlarged 5 times, to at least 128 pixels
    # The default length: 16 frames per keyframe; with --seeds, one keyframe per seed.
    result = CliRunner().invoke(cli, ["sample", "vanilla-mnist", "--seeds", "3,4", "--interpolate", "--out",
                                      str(tmp_path / "seeds.gif")])  # fmt: skip
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "seeds.gif") as gif:
        assert gif.n_frames == 32


def test_python_walks_and_seed_grids_match_single_draws():
    model = ganzoo.load("vanilla-mnist")
    grid = model.sample(seeds=[3, 8, 5])
    assert grid.shape == (3, 1, 28, 28)
    for row, seed in zip(grid, (3, 8, 5)):
        assert torch.allclose(row, model.sample(1, seed=seed)[0], atol=1e-6)  # the same draw, batched
    walk = model.sample(7, seeds=[3, 8], interpolate=True)
    assert torch.allclose(walk[0], grid[0], atol=1e-5) and torch.allclose(walk[-1], grid[1], atol=1e-5)
    frames = model.sample(8, interpolate=4, loop=True, pil=True)
    assert len(frames) == 8 and frames[0].size == (28, 28)
    strip = model.sample(6, seed=2, interpolate=True)  # the two-keyframe strip of ganzoo 0.1, unchanged
    ends = torch.randn(2, model.latent_dim, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.allclose(strip[0], ((model(ends[:1])[0] + 1) / 2).clamp(0, 1), atol=1e-5)


def test_seed_grids_from_the_command_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["sample", "cgan-mnist", "--seeds", "0-3,10", "--out-dir", str(tmp_path / "one")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [f"seed-{s}.png" for s in (0, 1, 10, 2, 3)]
    result = runner.invoke(cli, ["sample", "vanilla-mnist", "--seeds", "0-15", "--out", str(tmp_path / "grid.png")])
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "grid.png").size == (4 * 30 + 2, 4 * 30 + 2)  # 4 x 4, torchvision's 2-pixel padding


@pytest.mark.parametrize(("args", "words"), [
    (["--seeds", "0-3", "--seed", "1"], "--seed and --seeds were both given"),
    (["--seeds", "5-2"], "a range runs upwards"),
    (["--seeds", "a-b"], "is neither a seed nor a range"),
    (["--seeds", "0-3", "--n", "4"], "--n and --seeds were both given"),
    (["--frames", "8"], "--frames was given without --interpolate"),
    (["--interpolate", "--frames", "8", "--n", "9"], "--frames 8 and --n 9 were both given"),
    (["--out", "grid.gif"], "is not a .png file"),
    (["--interpolate", "1"], "at least 2 keyframes"),
    (["--interpolate", "3", "--seeds", "0-1"], "--interpolate 3 and 2 seeds were given"),
    (["--interpolate", "--code", "c1=-2:2"], "--interpolate and a code sweep were both given"),
])  # fmt: skip
def test_walks_and_seed_grids_refuse_what_they_cannot_do(tmp_path, args, words):
    result = CliRunner().invoke(cli, ["sample", "vanilla-mnist", *args], catch_exceptions=False)
    assert result.exit_code == 2 and words in result.output, result.output
    assert "Traceback" not in result.output


def test_a_point_model_walks_as_a_scatter_plot_not_a_gif(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["sample", "ring-8", "--interpolate", "4", "--out", str(tmp_path / "walk.gif")])
    assert result.exit_code == 2 and "write it as a scatter plot" in result.output and not (tmp_path / "walk.gif").exists()
    result = runner.invoke(cli, ["sample", "ring-8", "--interpolate", "4", "--out", str(tmp_path / "walk.png")])
    assert result.exit_code == 0 and (tmp_path / "walk.png").is_file()
    with pytest.raises(SamplingError, match="names more than"):
        parse_seeds("0-100000")


def test_a_real_ganzoo_process_writes_a_gif_walk(tmp_path):
    done = subprocess.run([sys.executable, "-m", "ganzoo", "sample", "dcgan-mnist", "--interpolate", "2", "--frames", "6",
                           "--out", str(tmp_path / "walk.gif")], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 6
