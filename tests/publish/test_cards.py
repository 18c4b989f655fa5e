"""Model cards parse as the Hub parses them, say what the Hub expects, and cannot drift from the code."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

import ganzoo
from ganzoo.artifacts import yaml_emit
from ganzoo.publish.card import HUB_DATASETS, arxiv_tags, render_card, split_front_matter
from ganzoo.publish.publish import publish
from ganzoo.artifacts.store import source_model_dir

CARDS = sorted(p for p in source_model_dir().iterdir() if (p / "README.md").is_file())
GENERATOR_CARDS = [p for p in CARDS if json.loads((p / "config.json").read_text()).get("format") == "ganzoo-model"]


@pytest.mark.parametrize("folder", CARDS, ids=lambda p: p.name)
def test_a_shipped_card_is_what_the_code_writes_from_its_config(folder):
    """Cards are re-rendered from config.json (never from the weights) whenever the card code changes."""
    assert (folder / "README.md").read_text(encoding="utf-8") == render_card(folder), (
        f"re-render it: python -c \"from ganzoo.publish.card import render_card; "
        f"open('{folder}/README.md', 'w').write(render_card('{folder}'))\""
    )


@pytest.mark.parametrize("folder", CARDS, ids=lambda p: p.name)
def test_no_card_links_an_address_ganzoo_made_up(folder):
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert "github.com/ganzoo" not in text
    assert "pip install ganzoo\n" not in text  # PyPI's ganzoo is another project


def check_card_data(readme: Path, config: dict) -> None:
    """The card's front matter as huggingface_hub reads it."""
    from huggingface_hub import ModelCard

    card = ModelCard.load(readme, ignore_metadata_errors=False)
    data = card.data
    assert data.library_name == "ganzoo" and data.license == "mit"
    tags = data.tags
    assert {"ganzoo", "gan", "pytorch", "safetensors"} <= set(tags)
    papers = [config.get("paper") or ""] + [config[k].get("paper") or "" for k in ("generator", "loss", "dataset")]
    expected_arxiv = arxiv_tags(papers)
    assert expected_arxiv and all(tag in tags for tag in expected_arxiv)
    dataset = config["dataset"]["name"]
    assert data.datasets == ([HUB_DATASETS[dataset]] if dataset in HUB_DATASETS else None)
    images = config["data"]["modality"] == "image"
    assert data.pipeline_tag == ("unconditional-image-generation" if images else None)
    results = data.eval_results or []
    assert len(results) == len(config["evaluation"])
    for result, record in zip(results, config["evaluation"]):
        assert result.metric_type == record["metric"] and "[" not in result.metric_type  # plain: fid, kid, ...
        assert result.metric_name == record["name"]  # ... the name keeps the extractor and its hash
        if record.get("extractor_sha256"):
            assert record["extractor_sha256"][:8] in result.metric_name
        assert math.isclose(result.metric_value, record["value"], rel_tol=1e-5)
        assert result.dataset_type == HUB_DATASETS.get(dataset, dataset) and result.verified is False


@pytest.mark.parametrize("folder", GENERATOR_CARDS, ids=lambda p: p.name)
def test_a_shipped_generator_card_parses_with_huggingface_hub(folder):
    pytest.importorskip("huggingface_hub")
    check_card_data(folder / "README.md", json.loads((folder / "config.json").read_text()))


@pytest.mark.parametrize("folder", [p for p in CARDS if p not in GENERATOR_CARDS], ids=lambda p: p.name)
def test_a_shipped_extractor_card_parses_with_huggingface_hub(folder):
    pytest.importorskip("huggingface_hub")
    from huggingface_hub import ModelCard

    config = json.loads((folder / "config.json").read_text())
    data = ModelCard.load(folder / "README.md", ignore_metadata_errors=False).data
    assert data.library_name == "ganzoo" and data.pipeline_tag == "image-classification"
    # Listed by Hub id where the dataset has one; a derived dataset (mnist-thick) has none and is left out.
    assert data.datasets == ([HUB_DATASETS[config["dataset"]]] if config["dataset"] in HUB_DATASETS else None)
    (result,) = data.eval_results
    assert (result.metric_type, result.metric_value) == ("accuracy", round(config["test_accuracy"], 4))


def test_a_card_ganzoo_publish_writes_parses_with_huggingface_hub(tmp_path, tiny_mnist_root):
    pytest.importorskip("huggingface_hub")
    run = tmp_path / "run"
    ganzoo.train("vanilla-mnist", steps=4, out=run, data_dir=tiny_mnist_root, quiet=True, download=False,
                 overrides={"generator.hidden": [16], "discriminator.hidden": [16], "train.batch_size": 16})  # fmt: skip
    from ganzoo.evaluation.targets import append_run_evaluation, evaluate_target

    _, record = evaluate_target(run, n=64, metrics=["fid", "pr"], data_dir=tiny_mnist_root)
    append_run_evaluation(run, record)
    folder = publish(run, to=tmp_path / "models", data_dir=tiny_mnist_root)
    config = json.loads((folder / "config.json").read_text())
    assert [r["metric"] for r in config["evaluation"]] == ["fid", "precision", "recall"]
    check_card_data(folder / "README.md", config)
    assert (folder / "README.md").read_text() == render_card(folder)


AWKWARD = ["", " ", "plain", "a: b", "- dash", "#hash", "quote \" and ' both", "back\\slash", "new\nline", "tab\there",
           "yes", "no", "null", "~", "1e3", "0x10", "01", ".nan", "@at", "`tick`", "{flow}", "[list]", "é ü 漢字 🙂",
           "\u2028", "\x7f", "key: value # comment", "*anchor", "&ref", "!tag", "%percent", "| literal", "> folded"]


@pytest.mark.parametrize("value", AWKWARD + [0, -1, 10**20, 0.1, 1e-300, 1.5e300, float("inf"), float("-inf"), True,
                                            False, None, [], {}, [[1, [2]], {"a": []}]])  # fmt: skip
def test_the_emitter_round_trips_through_pyyaml(value):
    """ganzoo writes YAML without PyYAML; PyYAML, which the Hub uses to read it, must read back exactly what was meant."""
    document = {"key": value, "list": [value, {"inner": value}], str(value) if not isinstance(value, (list, dict)) else "k": 1}
    text = yaml_emit.dump(document)
    assert yaml.safe_load(text) == document
    _, body = split_front_matter("---\n" + text + "---\nbody")
    assert body == "body"


def test_the_emitter_writes_nan_as_yaml_nan():
    assert math.isnan(yaml.safe_load(yaml_emit.dump({"x": float("nan")}))["x"])
