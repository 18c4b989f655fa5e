"""Inception-v3 features from a user's local weights file: pinned names, refusals, no download."""

from __future__ import annotations

import hashlib
import math

import pytest
import torch
from click.testing import CliRunner

from ganzoo.cli import cli
from ganzoo.evaluation.extractors import ExtractorError
from ganzoo.evaluation.inception import FEATURES, InceptionFeatures, inception_spec, load_inception


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    """A torchvision-layout Inception-v3 state dict (random weights: the real file cannot be downloaded here)."""
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    state = inception_v3(weights=None, aux_logits=True, init_weights=True).state_dict()
    for key in [k for k in state if k.endswith("num_batches_tracked")][:3]:
        del state[key]  # as in files written before torch 0.4.1
    path = tmp_path_factory.mktemp("inception") / "inception_v3_google-test.pth"
    torch.save(state, path)
    return path


def test_features_are_2048_wide_for_grey_and_rgb_images_of_any_size(inception_file):
    model = load_inception(inception_spec(inception_file))
    assert not any(p.requires_grad for p in model.parameters()) and not model.training
    with torch.no_grad():
        grey, rgb = model.features(torch.rand(2, 1, 28, 28) * 2 - 1), model.features(torch.rand(2, 3, 64, 64) * 2 - 1)
    assert grey.shape == rgb.shape == (2, FEATURES)
    with pytest.raises(ExtractorError, match="grey or RGB"):
        model.features(torch.zeros(1, 4, 28, 28))


def test_the_spec_is_named_by_the_files_hash_and_can_be_pinned(inception_file):
    digest = hashlib.sha256(inception_file.read_bytes()).hexdigest()
    spec = inception_spec(inception_file)
    assert spec.name == "inception-v3" and spec.sha256 == digest and spec.short_hash == digest[:8]
    assert inception_spec(inception_file, sha256=digest.upper()).sha256 == digest
    with pytest.raises(ExtractorError, match="wrong sha256"):
        inception_spec(inception_file, sha256="0" * 64)


def test_files_that_are_not_inception_weights_are_refused_in_words(tmp_path):
    with pytest.raises(ExtractorError, match="does not exist"):
        inception_spec(tmp_path / "missing.pth")
    other = tmp_path / "other.pth"
    torch.save({"body.0.weight": torch.zeros(3)}, other)
    with pytest.raises(ExtractorError, match="does not hold torchvision's Inception-v3 weights"):
        load_inception(inception_spec(other))
    pickled = tmp_path / "code.pth"
    torch.save({"w": torch.zeros(1), "f": InceptionFeatures}, pickled)  # a class: refused by weights_only
    with pytest.raises(ExtractorError, match="cannot be read as Inception-v3 weights") as caught:
        load_inception(inception_spec(pickled))
    assert "safe loader refused it" in caught.value.why and "weights_only" not in caught.value.message


@pytest.mark.slow
def test_ganzoo_eval_with_inception_pins_every_metric_to_the_file(inception_file, tiny_mnist_root, tmp_path):
    import ganzoo

    run = tmp_path / "run"
    ganzoo.train("vanilla-mnist", steps=2, out=run, data_dir=tiny_mnist_root, quiet=True, download=False,
                 overrides={"generator.hidden": [32, 32], "discriminator.hidden": [32], "train.batch_size": 16})  # fmt: skip
    digest = hashlib.sha256(inception_file.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["eval", str(run), "--n", "12", "--metrics", "fid,kid", "--data-dir",
                                      str(tiny_mnist_root), "--inception", str(inception_file), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    record = json.loads(result.output)
    names = [m["name"] for m in record["metrics"]]
    assert names == [f"fid[inception-v3@{digest[:8]}]", f"kid[inception-v3@{digest[:8]}]"]
    assert all(m["extractor_sha256"] == digest and m["n_generated"] == 12 for m in record["metrics"])
    assert math.isfinite(record["metrics"][0]["value"]) and record["metrics"][0]["value"] >= 0


def test_inception_sha256_without_a_file_is_a_usage_error():
    result = CliRunner().invoke(cli, ["eval", "vanilla-mnist", "--inception-sha256", "ab"])
    assert result.exit_code == 2 and "give --inception PATH as well" in result.output


def test_the_class_histogram_is_refused_with_inception_features(inception_file, tiny_mnist_root):
    from ganzoo.evaluation.evaluate import EvaluationError, evaluate
    from ganzoo.specs import DataInfo
    from ganzoo.zoo.mlp import MLPGenerator

    info = DataInfo(shape=(1, 28, 28), value_range=(-1.0, 1.0), num_classes=10)
    with pytest.raises(EvaluationError, match="needs a classifier"):
        evaluate(MLPGenerator(info, hidden=[8]), info=info, dataset="mnist", dataset_params={}, n=8,
                 metrics=["classes"], data_dir=tiny_mnist_root, extractor=inception_spec(inception_file))  # fmt: skip
