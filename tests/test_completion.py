"""Shell completion: recipe, component, logger and model names, through click's shell_complete."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ganzoo.cli import cli


def complete(words: str) -> list[str]:
    """What bash would be offered after ``words`` (the last word is the one being completed)."""
    env = {"_GANZOO_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    if words.endswith(" "):
        env["COMP_CWORD"] = str(len(words.split()))
    result = CliRunner().invoke(cli, [], env=env, prog_name="ganzoo")
    assert result.exit_code == 0, result.output
    return result.output.split()


@pytest.mark.parametrize(("words", "offered"), [
    ("ganzoo train van", ["plain,vanilla-mnist", "plain,vanilla-mnist-small"]),
    ("ganzoo train ring-8 --loss hi", ["plain,hinge"]),
    ("ganzoo train --generator dcgan", ["plain,dcgan-g"]),
    ("ganzoo train --dataset fashion", ["plain,fashion-mnist"]),
    ("ganzoo train ring-8 --log c", ["plain,csv"]),
    ("ganzoo list lo", ["plain,loggers", "plain,losses"]),
    ("ganzoo list losses wgan", ["plain,wgan-gp"]),
])  # fmt: skip
def test_registered_names_complete(words, offered):
    assert complete(words) == offered


def test_models_complete_with_the_shells_file_names_as_the_fallback():
    offered = complete("ganzoo sample dcgan")
    assert offered[0] == "file,dcgan" and {"plain,dcgan-mnist", "plain,dcgan-fashion"} <= set(offered[1:])
    assert "plain,lenet-mnist" not in complete("ganzoo eval ")  # evaluation networks are not models to sample
    assert complete("ganzoo train ring-8 --init ri") == ["file,ri", "plain,ring-8"]
    assert complete("ganzoo sample runs/ri") == ["file,runs/ri"]  # a path: the shell completes it


def test_a_real_ganzoo_process_prints_each_shells_script():
    for shell, marker in (("bash", "complete -o nosort -F"), ("zsh", "compdef"), ("fish", "complete --no-files")):
        done = subprocess.run([sys.executable, "-m", "ganzoo"], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "_GANZOO_COMPLETE": f"{shell}_source"})  # fmt: skip
        assert done.returncode == 0 and marker in done.stdout, (shell, done.stdout[:300], done.stderr)
