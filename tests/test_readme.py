"""README cannot drift: its commands are CI's, its zoo figures are the shipped cards', its tour runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(name: str) -> str:
    """The text between README's snippet markers ``[start:name]`` and ``[end:name]`` (docs/index.md includes it)."""
    match = re.search(rf"<!-- --8<-- \[start:{name}\] -->\n(.*?)\n<!-- --8<-- \[end:{name}\] -->", README, re.DOTALL)
    assert match, f"README lost its {name!r} block"
    return match.group(1)


def test_readme_is_short():
    assert len(README.splitlines()) < 300


def test_readmes_test_command_is_what_ci_runs():
    commands = [line for line in block("commands").splitlines() if line and not line.startswith(("#", "```"))]
    assert len(commands) == 2 and "ganzoo train vanilla-mnist" in commands[0] and "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines(), "README's install + test command and .ci/run differ"
    assert "mkdocs build --strict" in ci and '"$status" -eq 5' in ci


def test_readme_gives_the_cpu_only_torch_hint_and_the_distribution_name():
    assert "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu" in block("install")
    assert "torch-ganzoo" in block("install")


def test_readme_links_point_at_files_that_exist():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), f"README links {target}, which does not exist"


def test_the_zoo_tables_figures_are_the_shipped_cards():
    zoo = README[README.index("## The zoo"):README.index("\n## ", README.index("## The zoo") + 1)]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9-]+)` \|.*$", zoo, re.MULTILINE)}
    shipped = [p for p in (ROOT / "model_cards").iterdir() if (p / "config.json").is_file()
               and json.loads((p / "config.json").read_text()).get("format") == "ganzoo-model"]  # fmt: skip
    assert shipped
    for folder in shipped:
        config = json.loads((folder / "config.json").read_text())
        row = rows[folder.name]
        values = {r["metric"]: r["value"] for r in config["evaluation"]}
        if "fid" in values:
            assert f"FID {values['fid']:.1f}" in row
            assert f"precision / recall {values['precision']:.2f} / {values['recall']:.2f}" in row
        else:
            assert f"{values['modes_covered']:.0f} / 8 modes, {100 * values['high_quality']:.1f} % high quality" in row
        assert f"{config['training']['wall_time_s']:.0f} s, 2 CPU cores" in row
        assert "2 cores" in config["training"]["hardware"]
    import ganzoo

    assert set(rows) == set(ganzoo.get_registry().names("recipe")), "the zoo table lists every recipe, once"


@pytest.mark.slow
def test_the_five_minute_tour_runs(tmp_path):
    """Every command of README's tour in a real ganzoo process (ring-8 shortened to 300 steps), then its Python."""
    env = {**os.environ, "GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1"}
    tour = block("tour")
    shell, python = re.findall(r"```(?:bash|python)\n(.*?)```", tour, re.DOTALL)
    for line in shell.splitlines():
        command = line.split("  #")[0].strip()
        if not command:
            continue
        if command.startswith("ganzoo train"):
            command += " --steps 300"
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "ring.png").is_file() and (tmp_path / "my-models" / "my-ring" / "README.md").is_file()
    python = python.replace("steps=2000", "steps=20")
    done = subprocess.run([sys.executable, "-c", python], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
