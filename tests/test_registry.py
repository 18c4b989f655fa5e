"""Registry look-ups, listings and errors."""

from __future__ import annotations

import pytest

import ganzoo
from conftest import make_registry
from ganzoo.errors import UnknownNameError
from ganzoo.registry import normalise_kind


def test_lookup_by_kind_and_name(registry):
    spec = registry.get("recipe", "vanilla-mnist")
    assert spec.generator == "vanilla-mlp-g" and spec.dataset == "mnist"
    assert registry.get("generators", "vanilla-mlp-g").kind == "generator"  # plural kinds work


def test_unknown_name_suggests_the_closest_matches(registry):
    with pytest.raises(UnknownNameError) as caught:
        registry.get("recipe", "vanila-mnist")
    assert "did you mean vanilla-mnist" in str(caught.value)
    assert "ganzoo list recipes" in str(caught.value)
    assert caught.value.exit_code != 0


def test_unknown_name_without_close_matches_still_says_what_to_do(registry):
    with pytest.raises(UnknownNameError, match="no installed plugin provides"):
        registry.get("dataset", "zzzzzz")


def test_glob_patterns_filter_listings(registry):
    names = [e.name for e in registry.list("recipe", "*mnist*")]
    assert names and all("mnist" in n for n in names)
    assert "ring-8" not in names
    everything = registry.list()
    assert {e.kind for e in everything} >= {"recipe", "generator", "discriminator", "dataset"}


def test_listing_order_is_stable_and_sorted(registry):
    names = [e.name for e in registry.list("dataset")]
    assert names == sorted(names)


@pytest.mark.parametrize("alias, kind", [("recipes", "recipe"), ("losses", "loss"), ("G", "generator"), ("dataset", "dataset")])
def test_kind_aliases(alias, kind):
    assert normalise_kind(alias) == kind


def test_unknown_kind_is_a_helpful_error():
    with pytest.raises(UnknownNameError, match="did you mean recipe"):
        normalise_kind("recipy")


def test_every_entry_records_its_provider(registry):
    for entry in registry:
        assert entry.provider == "torch-ganzoo==test"
        assert entry.plugin.startswith("ganzoo-")


def test_a_recipe_may_use_another_plugins_components():
    class OtherPlugin:
        @staticmethod
        @ganzoo.hookimpl
        def ganzoo_recipes():
            yield ganzoo.RecipeSpec(name="borrowed", summary="Uses the zoo's parts.", generator="vanilla-mlp-g",
                                    discriminator="vanilla-mlp-d", loss="non-saturating", dataset="mnist")  # fmt: skip

    registry = make_registry(OtherPlugin)
    entry = registry.entry("recipe", "borrowed")
    assert entry.provider == "test-dist==0.0"
    assert registry.get("generator", entry.spec.generator).name == "vanilla-mlp-g"
