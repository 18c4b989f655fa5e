"""The wheel carries the pretrained zoo as data files, and an installed ganzoo finds it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ganzoo.artifacts.store import source_model_dir
from plugin_env import make_venv

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_model_folder_is_listed_as_wheel_data():
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {p.name for p in source_model_dir().iterdir() if p.is_dir() and not p.name.startswith(".")}
    listed = {Path(target).name for target in data_files}
    assert shipped == listed, f"pyproject.toml data-files: missing {shipped - listed}, stale {listed - shipped}"
    for target, sources in data_files.items():
        assert sources == [f"model_cards/{Path(target).name}/*"]


@pytest.mark.slow
def test_a_wheel_install_samples_the_pretrained_zoo_without_the_source_tree(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True, timeout=300)  # fmt: skip
    (wheel,) = wheels.glob("torch_ganzoo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not any(n.startswith("plugins/") for n in names), "the example plugins must not be in ganzoo's wheel"
    assert any(n.endswith("share/ganzoo/model_cards/vanilla-mnist/model.safetensors") for n in names)

    venv = tmp_path / "venv"
    python = make_venv(venv)  # sees this interpreter's torch; the wheel installed into it comes first
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, capture_output=True,
                   timeout=300)  # fmt: skip
    probe = subprocess.run([str(python), "-c", "import ganzoo, ganzoo.artifacts.store as s; print(ganzoo.__file__); "
                            "print(s.find_model('vanilla-mnist'))"], capture_output=True, text=True, check=True, cwd=tmp_path)  # fmt: skip
    package_file, model_folder = probe.stdout.split()
    assert str(venv) in package_file, "the test must exercise the wheel, not the editable checkout"
    assert model_folder.startswith(str(venv)) and "share/ganzoo/model_cards" in model_folder
    done = subprocess.run([str(python), "-m", "ganzoo", "sample", "vanilla-mnist", "--out", "d.png"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "d.png").stat().st_size > 0
