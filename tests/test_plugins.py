"""Entry-point discovery through real *.dist-info folders on sys.path."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from pathlib import Path

import pytest

from ganzoo.errors import PluginConflictError
from ganzoo.plugins import create_plugin_manager
from ganzoo.registry import Registry

RECIPE_PLUGIN = '''
import ganzoo

@ganzoo.hookimpl
def ganzoo_recipes():
    yield ganzoo.RecipeSpec(
        name="{recipe}", summary="A recipe from {dist}.", generator="toy-mlp-g",
        discriminator="toy-mlp-d", loss="non-saturating", dataset="ring-8",
    )
'''


def install_fake_distribution(site: Path, dist: str, version: str, module: str, source: str, ep_name: str | None = None) -> None:
    """Write a module plus a real ``DIST-VERSION.dist-info`` with a ``ganzoo`` entry point."""
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ganzoo]\n{ep_name or dist} = {module}\n")
    (info / "RECORD").write_text("")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site directory on sys.path for fake distributions (removed after the test)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    for name in [m for m in sys.modules if m.startswith("fakeplug_")]:
        del sys.modules[name]


def build_registry() -> tuple[object, Registry]:
    pm = create_plugin_manager()
    return pm, Registry.from_plugin_manager(pm)


def test_third_party_entry_point_is_discovered_with_its_provenance(site):
    install_fake_distribution(site, "gan-extras", "1.2.3", "fakeplug_extras",
                              RECIPE_PLUGIN.format(recipe="extra-ring", dist="gan-extras"))  # fmt: skip
    pm, registry = build_registry()
    record = pm.records["gan-extras"]
    assert (record.status, record.dist, record.version) == ("loaded", "gan-extras", "1.2.3")
    assert record.hooks == ("ganzoo_recipes",)
    entry = registry.entry("recipe", "extra-ring")
    assert entry.provider == "gan-extras==1.2.3"
    # ganzoo's own zoo comes through the very same entry-point group.
    assert registry.entry("generator", "vanilla-mlp-g").provider.startswith("torch-ganzoo==")


def test_a_plugin_that_fails_to_import_is_reported_and_skipped(site):
    install_fake_distribution(site, "broken-gans", "0.1", "fakeplug_broken", "raise ImportError('needs a missing library')")
    install_fake_distribution(site, "good-gans", "2.0", "fakeplug_good",
                              RECIPE_PLUGIN.format(recipe="good-ring", dist="good-gans"))  # fmt: skip
    pm, registry = build_registry()
    broken = pm.records["broken-gans"]
    assert broken.status == "failed" and "needs a missing library" in broken.error
    assert any("broken-gans" in p and "broken-gans==0.1" in p for p in registry.problems)
    assert registry.get("recipe", "good-ring").name == "good-ring"
    assert "vanilla-mnist" in registry.names("recipe")


def test_a_plugin_yielding_a_malformed_spec_is_skipped_whole(site):
    source = '''
    import ganzoo

    @ganzoo.hookimpl
    def ganzoo_recipes():
        yield ganzoo.RecipeSpec(name="fine-one", summary="Fine.", generator="g", discriminator="d", loss="l", dataset="x")
        yield ganzoo.RecipeSpec(name="Bad Name", summary="Bad.", generator="g", discriminator="d", loss="l", dataset="x")
    '''
    install_fake_distribution(site, "malformed-gans", "0.3", "fakeplug_malformed", source)
    pm, registry = build_registry()
    assert pm.records["malformed-gans"].status == "failed"
    assert "Bad Name" in pm.records["malformed-gans"].error
    assert "fine-one" not in registry.names("recipe")


def test_a_hook_yielding_the_wrong_type_is_reported(site):
    source = '''
    def ganzoo_losses():
        return ["not a spec"]
    '''
    install_fake_distribution(site, "wrongtype-gans", "0.1", "fakeplug_wrongtype", source)
    pm, registry = build_registry()
    assert pm.records["wrongtype-gans"].status == "failed"
    assert "expected ganzoo.LossSpec" in pm.records["wrongtype-gans"].error


def test_a_misspelled_hook_is_an_error_with_a_suggestion(site):
    source = '''
    import ganzoo

    @ganzoo.hookimpl
    def ganzoo_generatorz():
        return []
    '''
    install_fake_distribution(site, "typo-gans", "0.1", "fakeplug_typo", source)
    pm, registry = build_registry()
    record = pm.records["typo-gans"]
    assert record.status == "failed"
    assert "ganzoo_generatorz" in record.error and "ganzoo_generators" in record.error
    assert "typo-gans" not in pm.list_name_plugin() and "vanilla-mnist" in registry.names("recipe")


def test_an_undecorated_hook_function_is_still_registered(site):
    source = RECIPE_PLUGIN.format(recipe="plain-ring", dist="plain").replace("@ganzoo.hookimpl\n", "")
    install_fake_distribution(site, "plain-gans", "0.1", "fakeplug_plain", source)
    _, registry = build_registry()
    assert "plain-ring" in registry.names("recipe")


def test_a_name_clash_between_two_distributions_names_both(site):
    install_fake_distribution(site, "alpha-gans", "1.0", "fakeplug_alpha", RECIPE_PLUGIN.format(recipe="same-name", dist="a"))
    install_fake_distribution(site, "beta-gans", "2.0", "fakeplug_beta", RECIPE_PLUGIN.format(recipe="same-name", dist="b"))
    _, registry = build_registry()
    with pytest.raises(PluginConflictError) as caught:
        registry.get("recipe", "same-name")
    assert "alpha-gans==1.0" in caught.value.message and "beta-gans==2.0" in caught.value.message
    assert any("same-name" in p for p in registry.problems)
    assert "same-name" not in registry.names("recipe")  # neither wins silently
    assert "vanilla-mnist" in registry.names("recipe")  # the rest keeps working


def test_a_clash_with_a_builtin_name_is_reported_too(site):
    install_fake_distribution(site, "copycat-gans", "0.1", "fakeplug_copycat",
                              RECIPE_PLUGIN.format(recipe="vanilla-mnist", dist="copycat"))  # fmt: skip
    _, registry = build_registry()
    with pytest.raises(PluginConflictError, match="copycat-gans==0.1") as caught:
        registry.get("recipe", "vanilla-mnist")
    assert caught.value.fix.endswith("GANZOO_BLOCKED_PLUGINS=copycat-gans")  # not ganzoo's own, nor a placeholder
    # `ganzoo plugins` lists both plugins as loaded, and says what the clash cost.
    from click.testing import CliRunner

    from ganzoo import plugins
    from ganzoo.cli import cli

    plugins.reset()
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0 and "warning: recipe 'vanilla-mnist' is registered twice" in result.output
    problems = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).stdout)["problems"]
    assert any("vanilla-mnist" in p for p in problems)


def test_duplicate_entry_point_names_are_reported(site):
    install_fake_distribution(site, "first-gans", "1.0", "fakeplug_first", RECIPE_PLUGIN.format(recipe="first", dist="f"),
                              ep_name="shared-name")  # fmt: skip
    install_fake_distribution(site, "second-gans", "1.0", "fakeplug_second", RECIPE_PLUGIN.format(recipe="second", dist="s"),
                              ep_name="shared-name")  # fmt: skip
    pm, registry = build_registry()
    failed = [r for r in pm.records.values() if r.status == "failed"]
    assert len(failed) == 1 and "already used by first-gans==1.0" in failed[0].error


def test_disable_switch_loads_only_ganzoos_own_plugins(site, monkeypatch):
    install_fake_distribution(site, "gan-extras", "1.0", "fakeplug_extras2", RECIPE_PLUGIN.format(recipe="extra", dist="x"))
    monkeypatch.setenv("GANZOO_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm, registry = build_registry()
    assert pm.records["gan-extras"].status == "disabled"
    assert "extra" not in registry.names("recipe")
    assert "vanilla-mnist" in registry.names("recipe")
    assert "fakeplug_extras2" not in sys.modules  # not even imported


def test_blocked_plugins_are_not_loaded(site, monkeypatch):
    install_fake_distribution(site, "gan-blocked", "1.0", "fakeplug_blocked", RECIPE_PLUGIN.format(recipe="blocked", dist="b"))
    monkeypatch.setenv("GANZOO_BLOCKED_PLUGINS", "gan-blocked,gan-blokced")
    pm, registry = build_registry()
    assert pm.records["gan-blocked"].status == "blocked"
    assert "blocked" not in registry.names("recipe")
    # A misspelt name blocks nothing, and says so.
    assert [p for p in registry.problems if "GANZOO_BLOCKED_PLUGINS" in p] == [
        "GANZOO_BLOCKED_PLUGINS names 'gan-blokced', which is neither an installed plugin's entry point nor its "
        "distribution: nothing was blocked by it"
    ]


def test_a_plugin_command_joins_the_cli_but_cannot_replace_a_builtin(site):
    from click.testing import CliRunner

    from ganzoo import plugins
    from ganzoo.cli import cli

    source = '''
    import click
    import ganzoo

    @click.command("hello")
    def hello():
        click.echo("hello from a plugin")

    @click.command("list")
    def fake_list():
        click.echo("hijacked")

    @ganzoo.hookimpl
    def ganzoo_commands():
        yield ganzoo.CommandSpec(name="hello", summary="Say hello.", command=hello)
        yield ganzoo.CommandSpec(name="list", summary="Hijack list.", command=fake_list)
    '''
    install_fake_distribution(site, "hello-gans", "0.1", "fakeplug_hello", source)
    plugins.reset()
    runner = CliRunner()
    assert "hello" in runner.invoke(cli, ["--help"]).output
    result = runner.invoke(cli, ["hello"])
    assert result.exit_code == 0 and "hello from a plugin" in result.output
    assert "hijacked" not in runner.invoke(cli, ["list"]).output


LOSS_PLUGIN = '''
import ganzoo
from ganzoo.zoo.gan_losses import NonSaturatingLoss

@ganzoo.hookimpl
def ganzoo_losses():
    yield ganzoo.LossSpec(name="borrowed-loss", summary="The non-saturating loss, from a plugin.",
                          build=NonSaturatingLoss)
'''


def train_with_borrowed_loss(site: Path, run: Path, module: str, forget_providers: bool = False) -> None:
    """Train a tiny ring-8 run with a plugin's loss, then uninstall that plugin (as pip would)."""
    import shutil

    import ganzoo
    from ganzoo import plugins

    install_fake_distribution(site, "borrowed-gans", "1.4", module, LOSS_PLUGIN)
    plugins.reset()
    ganzoo.train("ring-8", loss="borrowed-loss", steps=2, out=run, quiet=True,
                 overrides={"generator.hidden": [8], "discriminator.hidden": [8], "dataset.samples": 256})  # fmt: skip
    if forget_providers:  # as a run from before run.json recorded them
        info = json.loads((run / "run.json").read_text())
        info.pop("providers")
        (run / "run.json").write_text(json.dumps(info))
    for installed in site.glob("borrowed_gans-*.dist-info"):
        shutil.rmtree(installed)
    plugins.reset()


def test_a_run_whose_plugin_was_uninstalled_names_the_distribution_to_reinstall(site, tmp_path):
    import ganzoo
    from ganzoo.errors import ConfigError
    from ganzoo.evaluation.targets import evaluate_target

    run = tmp_path / "run"
    train_with_borrowed_loss(site, run, "fakeplug_borrowed")
    for attempt in (lambda: ganzoo.train(resume=run, steps=4, quiet=True), lambda: evaluate_target(run, n=100)):
        with pytest.raises(ConfigError, match="needs the loss 'borrowed-loss', which no installed plugin provides") as caught:
            attempt()
        assert caught.value.fix == "pip install borrowed-gans==1.4"


def test_a_run_from_before_providers_were_recorded_gets_the_plain_unknown_name_error(site, tmp_path):
    import ganzoo
    from ganzoo.errors import UnknownNameError

    run = tmp_path / "run"
    train_with_borrowed_loss(site, run, "fakeplug_borrowed2", forget_providers=True)
    with pytest.raises(UnknownNameError, match="unknown loss 'borrowed-loss'"):
        ganzoo.train(resume=run, steps=4, quiet=True)


def test_a_blocked_name_skipped_for_another_reason_still_counts_as_matched(site, monkeypatch):
    install_fake_distribution(site, "gan-extras", "1.0", "fakeplug_extras3", RECIPE_PLUGIN.format(recipe="extra3", dist="x"))
    monkeypatch.setenv("GANZOO_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("GANZOO_BLOCKED_PLUGINS", "gan-extras")
    pm, registry = build_registry()
    assert pm.records["gan-extras"].status == "disabled"
    assert not [p for p in registry.problems if "GANZOO_BLOCKED_PLUGINS" in p]


def test_an_install_under_the_former_distribution_name_is_superseded_not_a_clash(site):
    """pip keeps an old `ganzoo` install beside `torch-ganzoo`; the zoo's own entry points must still load."""
    for dist, version in (("ganzoo", "0.0.9"), ("torch-ganzoo", "0.1.0")):  # the former name sorts first
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text("[ganzoo]\nganzoo-mlp = ganzoo.zoo.mlp_plugin\n")
    importlib.invalidate_caches()
    pm = create_plugin_manager()
    loaded = pm.records["ganzoo-mlp"]
    assert (loaded.dist, loaded.status) == ("torch-ganzoo", "loaded")
    stale = pm.records["ganzoo-mlp (ganzoo)"]
    assert stale.status == "superseded" and "pip uninstall ganzoo" in stale.error
    assert not [r for r in pm.records.values() if r.status == "failed"]
