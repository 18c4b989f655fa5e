"""ganzoo plot: curves of runs as a PNG of the expected size, and the 2-D training animation as a GIF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.cli import cli
from ganzoo.plots.series import read_run, read_runs, wall_time_at

pytest.importorskip("matplotlib", reason="the extra 'plots' is not installed (pip install 'torch-ganzoo[plots]')")

RING = {"generator.hidden": [16], "discriminator.hidden": [16], "dataset.samples": 512, "train.batch_size": 64,
        "train.log_every": 2, "train.sample_every": 2, "train.device": "cpu"}


def _scores(generator):
    return {"modes": 3.0, "high_quality": 0.25, "primary": "modes"}


@pytest.fixture(scope="module")
def ring_runs(tmp_path_factory) -> list[Path]:
    """Two tiny ring-8 runs (seeds 0 and 1), evaluated every 4 steps, one also by `ganzoo eval`."""
    base = tmp_path_factory.mktemp("plots")
    runs = []
    for seed in (0, 1):
        run = base / f"ring-{seed}"
        ganzoo.train("ring-8", steps=8, seed=seed, out=run, overrides={**RING, "train.eval_every": 4}, quiet=True,
                     evaluator=_scores)  # fmt: skip
        runs.append(run)
    record = {"step": 8, "metrics": [{"name": "modes", "value": 5.0}]}
    (runs[0] / "eval.json").write_text(json.dumps({"format": "ganzoo-eval", "evaluations": [record]}))
    return runs


def test_the_curves_png_decodes_with_a_row_per_panel(ring_runs, tmp_path):
    out = tmp_path / "curves.png"
    result = CliRunner().invoke(cli, ["plot", *map(str, ring_runs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # Rows: losses, D(x) and D(G(z)), then one per evaluated metric (modes, high_quality); 600 x 300 pixels a panel.
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (1200, 4 * 300)
    assert f"wrote {out} (1200x1200)" in result.output


def test_the_series_hold_every_logged_and_evaluated_number(ring_runs):
    series = read_run(ring_runs[0])
    lines = [json.loads(line) for line in (ring_runs[0] / "metrics.jsonl").read_text().splitlines()]
    assert [p.step for p in series.curves["d_loss"]] == [2, 4, 6, 8]
    assert [p.value for p in series.curves["d_real"]] == [line["d_real"] for line in lines]
    assert [(p.step, p.value, p.offline) for p in series.metrics["modes"]] == [(4, 3.0, False), (8, 3.0, False),
                                                                               (8, 5.0, True)]
    assert series.metrics["modes"][0].wall_time == lines[1]["wall_time"]  # evaluations get the wall time of their step
    labels = [run.label for run in read_runs([ring_runs[0], ring_runs[1], ring_runs[0]])]
    assert labels[1] == "ring-1" and labels[0] == str(ring_runs[0])  # a name given twice is told apart by its path
    assert wall_time_at([(2, 1.0), (6, 3.0)], 4) == 2.0 and wall_time_at([(2, 1.0)], 9) == 1.0


def test_the_animation_has_a_frame_per_sample_step(ring_runs, tmp_path):
    run = ring_runs[1]
    result = CliRunner().invoke(cli, ["plot", str(run), "--animate", str(tmp_path / "ring.gif"), "--fps", "5"])
    assert result.exit_code == 0, result.output
    assert "4 frames: the generated points of each sample step, over the real density" in result.output
    with Image.open(tmp_path / "ring.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (480, 480) and gif.info["duration"] == 200  # steps 2, 4, 6, 8


def test_a_run_without_saved_points_animates_its_own_scatter_plots(ring_runs, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(ring_runs[0], old)
    for points in (old / "samples").glob("*.safetensors"):
        points.unlink()
    result = CliRunner().invoke(cli, ["plot", str(old), "--animate", str(tmp_path / "old.gif")])
    assert result.exit_code == 0 and "predates saved points" in result.output
    with Image.open(tmp_path / "old.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (512, 512)


def test_plot_refuses_what_it_cannot_draw(ring_runs, tmp_path, tiny_mnist_root, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(cli, ["plot", str(ring_runs[0])])
    assert result.exit_code == 2 and "--out FILE.png" in result.output
    result = runner.invoke(cli, ["plot", *map(str, ring_runs), "--animate", str(tmp_path / "a.gif")])
    assert result.exit_code == 2 and "--animate draws one run, and 2 were given" in result.output
    result = runner.invoke(cli, ["plot", str(tmp_path), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "is not a ganzoo run" in result.output
    (tmp_path / "taken.png").write_bytes(b"mine")
    result = runner.invoke(cli, ["plot", str(ring_runs[0]), "--out", str(tmp_path / "taken.png")])
    assert result.exit_code == 1 and "already exists" in result.output
    images = tmp_path / "images"
    ganzoo.train("vanilla-mnist", steps=2, out=images, data_dir=tiny_mnist_root, download=False, quiet=True,
                 overrides={"generator.hidden": [8], "discriminator.hidden": [8], "train.batch_size": 8})  # fmt: skip
    result = runner.invoke(cli, ["plot", str(images), "--animate", str(tmp_path / "i.gif")])
    assert result.exit_code == 1 and "--animate draws 2-D runs" in result.output and not (tmp_path / "i.gif").exists()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = runner.invoke(cli, ["plot", str(ring_runs[0]), "--out", str(tmp_path / "y.png")])
    assert result.exit_code == 1 and "pip install 'torch-ganzoo[plots]'" in result.output


def test_a_real_ganzoo_process_plots(ring_runs, tmp_path):
    done = subprocess.run([sys.executable, "-m", "ganzoo", "plot", str(ring_runs[0]), "--out", str(tmp_path / "c.png")],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Image.open(tmp_path / "c.png").size == (1200, 1200)
