"""The command line: CliRunner for behaviour, real subprocesses for start-up and entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import ganzoo
from ganzoo.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and ganzoo.__version__ in result.output


def test_help_lists_the_commands(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("list", "train", "plugins"):
        assert command in result.output


def test_list_plain_output_groups_by_kind(runner):
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 0, result.output
    assert "recipes:" in result.output and "datasets:" in result.output
    line = next(l for l in result.output.splitlines() if l.strip().startswith("vanilla-mnist "))
    assert "vanilla-mlp-g / vanilla-mlp-d / non-saturating / mnist" in line
    assert f" torch-ganzoo=={ganzoo.__version__}" in line  # the distribution's name, not the import name


def test_list_kind_and_pattern(runner):
    result = runner.invoke(cli, ["list", "recipes", "ring*"])
    assert result.exit_code == 0
    assert "ring-8" in result.output and "vanilla-mnist" not in result.output and "datasets:" not in result.output


def test_a_lone_pattern_argument_is_a_pattern(runner):
    result = runner.invoke(cli, ["list", "*mnist*"])
    assert result.exit_code == 0
    assert "vanilla-mnist" in result.output and "fashion-mnist" in result.output and "ring-8" not in result.output
    assert "was read as a name pattern" not in result.output
    # A pattern that matches nothing says how the word was read.
    result = runner.invoke(cli, ["list", "recip*s"])
    assert result.exit_code == 0 and "no entries match 'recip*s'" in result.output
    assert "was read as a name pattern: it is not one of the kinds recipes, generators" in result.output
    # A mistyped kind, or an exact name nothing registers, is an error with suggestions.
    result = runner.invoke(cli, ["list", "recipies"])
    assert result.exit_code == 2 and "'recipies' is neither a kind nor a registered name" in result.output
    assert "did you mean recipes" in result.output
    result = runner.invoke(cli, ["list", "generator", "toy-mlp", "--json"])
    assert result.exit_code == 2 and "did you mean toy-mlp-g" in result.output


def test_list_json_schema(runner):
    result = runner.invoke(cli, ["list", "--json"])
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert set(payload) == {"entries", "problems"}
    kinds = {e["kind"] for e in payload["entries"]}
    assert {"recipe", "generator", "discriminator", "dataset"} <= kinds
    for entry in payload["entries"]:
        assert {"kind", "name", "summary", "provider", "distribution", "version", "plugin"} <= set(entry)
        assert entry["provider"] == f"{entry['distribution']}=={entry['version']}"
        if entry["kind"] == "recipe":
            assert set(entry["components"]) == {"generator", "discriminator", "loss", "dataset"}
            assert isinstance(entry["params"], dict)
        elif entry["kind"] != "command":
            assert isinstance(entry["defaults"], dict)


def test_list_unknown_kind_with_pattern_is_a_clean_error(runner):
    result = runner.invoke(cli, ["list", "recipy", "*"])
    assert result.exit_code == 2
    assert "did you mean recipe" in result.output
    assert "Traceback" not in result.output


def test_list_no_match_says_so(runner):
    result = runner.invoke(cli, ["list", "recipes", "nothing-like-this*"])
    assert result.exit_code == 0 and "no recipes match" in result.output


def test_plugins_json_reports_ganzoos_own(runner):
    result = runner.invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    plugins = {p["name"]: p for p in json.loads(result.output)["plugins"]}
    own = plugins["ganzoo-mlp"]
    assert own["distribution"] == "torch-ganzoo" and own["status"] == "loaded"
    assert "ganzoo_recipes" in own["hooks"] and "recipe:vanilla-mnist" in own["contributes"]


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})  # fmt: skip


@pytest.mark.parametrize("args", [["--help"], ["list"], ["plot", "--help"], ["train", "--help"], ["sample", "--help"]])
def test_help_and_list_import_neither_torch_nor_the_plotting_and_logging_extras(args):
    code = (
        "import sys; from ganzoo.cli import cli\n"
        f"try:\n    cli.main({args!r}, standalone_mode=False)\n"
        "finally:\n    heavy = [m for m in ('torch', 'matplotlib', 'tensorboard') if m in sys.modules]\n"
        "    print('IMPORTED', heavy)\n"
    )
    # Third-party plugins may import what they like; ganzoo's own must not.
    env = {**os.environ, "GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("IMPORTED []")


def test_real_ganzoo_process_lists_json():
    out = subprocess.run(["ganzoo", "list", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    names = {e["name"] for e in json.loads(out.stdout)["entries"]}
    assert "vanilla-mnist" in names


def test_user_errors_exit_non_zero_without_traceback():
    out = _run("train", "vanila-mnist", "--steps", "1")
    assert out.returncode == 2
    assert "did you mean vanilla-mnist" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


RING_TINY = ["--steps", "2", "--set", "generator.hidden=[8]", "--set", "discriminator.hidden=[8]",
             "--set", "dataset.samples=256"]


@pytest.mark.parametrize("code, words", [(28, "the disk is full"), (30, "the file system is read-only"),
                                         (13, "there is no permission")])
def test_what_the_operating_system_refuses_is_an_error_in_words(runner, tmp_path, monkeypatch, code, words):
    import errno

    from ganzoo.artifacts import atomic

    assert code in (errno.ENOSPC, errno.EROFS, errno.EACCES)
    # Modules that bind the name at import must bind the real function, or the patch outlives this test.
    import ganzoo.artifacts.pictures, ganzoo.evaluation.targets, ganzoo.artifacts.sampling, ganzoo.artifacts.weights  # noqa: F401

    def refuse(path, data):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(atomic, "atomic_write_bytes", refuse)
    result = runner.invoke(cli, ["train", "ring-8", "--out", str(tmp_path / "run"), *RING_TINY])
    assert result.exit_code == 1, result.output
    assert "could not read or write" in result.output and "config.json" in result.output
    assert words in result.output and "Fix:" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)


def test_ctrl_c_before_training_exits_with_130(runner, tmp_path, monkeypatch):
    import ganzoo.engine.api as api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "resolve_run", interrupted)
    result = runner.invoke(cli, ["train", "ring-8", "--out", str(tmp_path / "run"), *RING_TINY])
    assert result.exit_code == 130 and "Interrupted." in result.output


def test_a_reader_that_goes_away_ends_the_command_as_sigpipe_would():
    # `ganzoo list | head -1` once head has gone: no traceback, no message to a closed pipe; exit 141.
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write
    try:
        writer = subprocess.run([sys.executable, "-m", "ganzoo", "list"], stdout=write_end, stderr=subprocess.PIPE,
                                timeout=60)  # fmt: skip
    finally:
        os.close(write_end)
    assert writer.returncode == 141, writer.stderr
    assert b"Traceback" not in writer.stderr and b"Error" not in writer.stderr
