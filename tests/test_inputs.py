"""Generator-input samplers: what they draw for training, for grids and for a user's request."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.inputs import ClassLabelInputs, GaussianInputs, InfoGANCodes, SourceImageInputs
from ganzoo.specs import DataInfo

LABELLED = DataInfo(shape=(1, 8, 8), num_classes=10)


class _G(nn.Module):
    latent_dim = 4
    categorical_codes = [10, 3]
    continuous_codes = 2

    def forward(self, **inputs):  # pragma: no cover - samplers only read the attributes
        raise AssertionError


def test_gaussian_inputs_draw_from_the_given_generator_only_and_take_the_batch_labels():
    sampler = GaussianInputs(LABELLED, _G())
    labels = torch.arange(5)
    state = torch.get_rng_state()
    a = sampler.sample(5, batch={"label": labels}, generator=torch.Generator().manual_seed(1), device=torch.device("cpu"))
    b = sampler.sample(5, batch={"label": labels}, generator=torch.Generator().manual_seed(1), device=torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), state)  # the global stream is untouched
    assert torch.equal(a["z"], b["z"]) and a["z"].shape == (5, 4) and a["labels"] is labels
    assert sampler.sample(5, batch={}, generator=torch.Generator(), device=torch.device("cpu"))["labels"] is None


def test_a_grid_shows_every_class_in_turn():
    grid = GaussianInputs(LABELLED, _G()).fixed(12, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert grid["labels"].tolist() == [i % 10 for i in range(12)]


def test_class_label_inputs_draw_labels_uniformly_and_need_labelled_data():
    sampler = ClassLabelInputs(LABELLED, _G())
    drawn = sampler.sample(4000, batch={}, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    counts = torch.bincount(drawn["labels"], minlength=10)
    assert counts.min() > 300 and counts.max() < 500
    with pytest.raises(ValueError, match="labelled data"):
        ClassLabelInputs(DataInfo(shape=(1, 8, 8)), _G())


def test_infogan_codes_are_drawn_in_range_and_requested_by_name():
    sampler = InfoGANCodes(LABELLED, _G(), sweep_steps=5)
    assert list(sampler.codes) == ["c0", "c1", "c2", "c3"]
    drawn = sampler.sample(1000, batch={}, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert drawn["codes_cat"].shape == (1000, 2) and drawn["codes_cat"][:, 0].max() == 9 and drawn["codes_cat"][:, 1].max() == 2
    assert drawn["codes_cont"].abs().max() <= 1 and drawn["codes_cont"].shape == (1000, 2)
    fixed = sampler.request(6, generator=torch.Generator().manual_seed(0), codes={"c0": "3", "c3": "0.5"})
    assert fixed["codes_cat"][:, 0].tolist() == [3] * 6 and torch.all(fixed["codes_cont"][:, 1] == 0.5)
    # A sweep: rows share their noise, the swept code runs -2..2 along each row, c0 counts up the rows.
    sweep = sampler.request(10, generator=torch.Generator().manual_seed(0), codes={"c2": "-2:2"})
    assert torch.allclose(sweep["codes_cont"][:5, 0], torch.linspace(-2, 2, 5))
    assert torch.equal(sweep["z"][0], sweep["z"][4]) and not torch.equal(sweep["z"][0], sweep["z"][5])
    assert sweep["codes_cat"][:, 0].tolist() == [0] * 5 + [1] * 5


@pytest.mark.parametrize(("codes", "words"), [
    ({"c9": "1"}, "unknown code 'c9'"),
    ({"c0": "12"}, "whole number from 0 to 9"),
    ({"c0": "1:3"}, "whole number from 0 to 9"),
    ({"c2": "x"}, "give a number, or a sweep"),
    ({"c2": "-1:1", "c3": "-1:1"}, "sweep one code at a time"),
])  # fmt: skip
def test_bad_code_requests_are_refused_in_words(codes, words):
    with pytest.raises(ValueError, match=words):
        InfoGANCodes(LABELLED, _G()).request(4, generator=torch.Generator(), codes=codes)


def test_noise_models_refuse_codes_and_image_models_need_their_source():
    with pytest.raises(ValueError, match="takes no codes"):
        GaussianInputs(LABELLED, _G()).request(2, generator=torch.Generator(), codes={"c0": "1"})
    paired = DataInfo(shape=(1, 8, 8), fields={"source": DataInfo(shape=(1, 8, 8))})
    sampler = SourceImageInputs(paired, _G())
    assert sampler.pipeline_tag == "image-to-image" and sampler.needs_examples
    batch = {"image": torch.zeros(3, 1, 8, 8), "source": torch.ones(3, 1, 8, 8)}
    assert torch.equal(sampler.sample(3, batch=batch, generator=torch.Generator(), device=torch.device("cpu"))["source"],
                       batch["source"])  # fmt: skip
    with pytest.raises(ValueError, match="give the images to translate"):
        sampler.request(2, generator=torch.Generator())
    with pytest.raises(ValueError, match="translates"):
        sampler.request(2, generator=torch.Generator(), source=torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match="no field 'source'"):
        SourceImageInputs(LABELLED, _G(), field="source")
    unpaired = SourceImageInputs(DataInfo(shape=(1, 8, 8), fields={"b": DataInfo(shape=(1, 8, 8))}), _G())
    assert unpaired.field == "image"  # unpaired data: the batch's own images (domain a) are translated
