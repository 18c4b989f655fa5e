"""Spec records: validation of names, summaries, defaults and recipes."""

from __future__ import annotations

import pytest

import ganzoo
from ganzoo.specs import DataInfo, SpecError, lazy, validate_name


def _builder(*args, **kwargs):
    return (args, kwargs)


@pytest.mark.parametrize("name", ["mnist", "dcgan-mnist", "a", "0-9", "ring-8"])
def test_valid_names_pass(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "-lead", "Upper", "has space", "../escape", "a/b", "under_score", "dot.ted", 3, None])
def test_invalid_names_are_refused_because_they_become_paths(name):
    with pytest.raises(SpecError, match="a-z0-9"):
        validate_name(name)


def test_generator_spec_freezes_a_deep_copy_of_its_defaults():
    hidden = [16, 32]
    spec = ganzoo.GeneratorSpec(name="g", summary="A generator.", build=_builder, defaults={"hidden": hidden})
    hidden.append(64)  # the caller's list must not leak into the registry
    assert spec.defaults["hidden"] == [16, 32]
    with pytest.raises(TypeError):
        spec.defaults["hidden"] = [1]  # type: ignore[index]
    with pytest.raises(Exception):
        spec.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "defaults, message",
    [({"fn": print}, "JSON-serialisable"), ({"x": float("nan")}, "JSON-serialisable"), ([1, 2], "mapping")],
)
def test_non_json_defaults_are_refused(defaults, message):
    with pytest.raises(SpecError, match=message):
        ganzoo.LossSpec(name="l", summary="A loss.", build=_builder, defaults=defaults)


@pytest.mark.parametrize("summary", ["", "   ", "two\nlines", None])
def test_summary_must_be_one_line(summary):
    with pytest.raises(SpecError, match="summary"):
        ganzoo.DatasetSpec(name="d", summary=summary, build=_builder)


def test_build_must_be_callable():
    with pytest.raises(SpecError, match="callable"):
        ganzoo.DatasetSpec(name="d", summary="Data.", build="not callable")


def test_recipe_validates_component_names_and_sections():
    ok = ganzoo.RecipeSpec(name="r", summary="A recipe.", generator="g", discriminator="d", loss="l", dataset="x",
                           params={"train": {"steps": 3}})  # fmt: skip
    assert ok.components == {"generator": "g", "discriminator": "d", "loss": "l", "dataset": "x"}
    with pytest.raises(SpecError, match="generator"):
        ganzoo.RecipeSpec(name="r", summary="A recipe.", generator="Bad Name", discriminator="d", loss="l", dataset="x")
    with pytest.raises(SpecError, match="unknown params sections"):
        ganzoo.RecipeSpec(name="r", summary="A recipe.", generator="g", discriminator="d", loss="l", dataset="x",
                          params={"optimizer": {}})  # fmt: skip


def test_lazy_imports_only_when_called():
    builder = lazy("collections:OrderedDict")
    assert builder(a=1) == {"a": 1}
    assert builder == lazy("collections:OrderedDict")
    with pytest.raises(SpecError):
        lazy("no-colon")


def test_data_info_checks_its_fields():
    info = DataInfo(shape=(1, 28, 28), num_classes=10)
    assert info.to_json() == {"shape": [1, 28, 28], "num_classes": 10, "modality": "image", "value_range": [-1.0, 1.0]}
    with pytest.raises(SpecError):
        DataInfo(shape=(0, 28))
    with pytest.raises(SpecError):
        DataInfo(shape=(2,), modality="audio")
    with pytest.raises(SpecError):
        DataInfo(shape=(2,), value_range=(1.0, -1.0))


def test_command_spec_requires_a_click_command():
    import click

    @click.command()
    def hello():
        pass

    assert ganzoo.CommandSpec(name="hello", summary="Hi.", command=hello).command is hello
    with pytest.raises(SpecError, match="click.Command"):
        ganzoo.CommandSpec(name="hello", summary="Hi.", command=print)
