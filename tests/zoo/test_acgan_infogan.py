"""ACGAN and InfoGAN: the zoo's proof that contract 2 carries heads, codes and extra networks by name."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

import ganzoo
from ganzoo.cli import cli as main
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.metrics.classes import code_agreement
from ganzoo.specs import DataInfo

MNIST = DataInfo(shape=(1, 28, 28), num_classes=10)
SMALL_ACGAN = {"generator.base_channels": 8, "discriminator.base_channels": 8, "train.batch_size": 16,
               "train.log_every": 1, "train.device": "cpu", "train.grid_size": 20}  # fmt: skip
SMALL_INFOGAN = {"generator.width": 16, "discriminator.base_channels": 8, "discriminator.features": 32,
                 "networks.Q.in_features": 32, "networks.Q.hidden": 16, "train.batch_size": 16, "train.log_every": 1,
                 "train.device": "cpu", "train.grid_size": 20}  # fmt: skip


def test_acgan_networks_have_the_declared_heads_and_shapes():
    from ganzoo.zoo.acgan import AuxiliaryClassifierDiscriminator, ConditionalDCGANGenerator

    G, D = ConditionalDCGANGenerator(MNIST, base_channels=8), AuxiliaryClassifierDiscriminator(MNIST, base_channels=8)
    images = G(torch.randn(3, 100), torch.tensor([1, 2, 3]))
    out = D(images)
    assert images.shape == (3, 1, 28, 28) and out["score"].shape == (3,) and out["class_logits"].shape == (3, 10)
    assert ganzoo.get_registry().get("discriminator", "acgan-d").outputs == ("score", "class_logits")


def test_acgan_trains_and_its_objective_logs_both_terms(tmp_path, tiny_mnist_root):
    result = ganzoo.train("acgan-mnist", steps=3, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                          download=False, overrides=SMALL_ACGAN)  # fmt: skip
    assert {"d_loss", "d_adv", "d_aux", "d_real", "d_fake", "g_loss", "g_adv", "g_aux"} <= result.last_stats.keys()
    assert 0 < result.last_stats["d_real"] < 1  # probabilities: the objective declares probability scores


def test_another_discriminator_with_a_class_head_works_with_acgan_and_the_classic_losses_ignore_the_head(
        tmp_path, tiny_mnist_root):  # fmt: skip
    # A contract-1 loss sees only the score of a several-headed discriminator.
    result = ganzoo.train("acgan-mnist", loss="hinge", steps=2, out=tmp_path / "hinge", data_dir=tiny_mnist_root,
                          quiet=True, download=False, overrides=SMALL_ACGAN)  # fmt: skip
    assert result.step == 2


def test_infogan_trains_q_with_g_optimizer_and_keeps_q_in_checkpoints(tmp_path, tiny_mnist_root):
    result = ganzoo.train("infogan-mnist", steps=3, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                          download=False, overrides=SMALL_INFOGAN)  # fmt: skip
    assert {"g_info_cat", "g_info_cont", "g_adv"} <= result.last_stats.keys()
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert set(state["networks"]) == {"Q"} and state["optimizers"] == {}  # Q rides in G's optimizer
    groups = state["opt_g"]["param_groups"]
    assert len(groups) == 2  # G's parameters, then Q's
    # Adam keeps state only for parameters it stepped: every one of G's and Q's was.
    assert len(state["opt_g"]["state"]) == len(groups[0]["params"]) + len(groups[1]["params"])
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["networks"]["Q"]["optimizer"] == {"share": "G"} and config["inputs"]["name"] == "infogan-codes"


def test_infogan_resume_is_bit_exact(tmp_path, tiny_mnist_root):
    over = {**SMALL_INFOGAN, "train.checkpoint_every": 2}
    ganzoo.train("infogan-mnist", steps=4, out=tmp_path / "whole", data_dir=tiny_mnist_root, quiet=True, overrides=over)
    ganzoo.train("infogan-mnist", steps=2, out=tmp_path / "part", data_dir=tiny_mnist_root, quiet=True, overrides=over)
    ganzoo.train(resume=tmp_path / "part", steps=4, quiet=True, data_dir=tiny_mnist_root)
    a, b = (ckpt.load_checkpoint(tmp_path / name / "checkpoint.pt") for name in ("whole", "part"))
    for part in ("generator", "discriminator", "ema"):
        assert all(torch.equal(a[part][k], b[part][k]) for k in a[part])
    assert all(torch.equal(a["networks"]["Q"][k], b["networks"]["Q"][k]) for k in a["networks"]["Q"])


def test_a_network_override_reaches_the_network_and_a_wrong_name_is_refused(tmp_path, tiny_mnist_root):
    with pytest.raises(ganzoo.ConfigError, match="unknown network 'P'"):
        ganzoo.train("infogan-mnist", steps=1, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                     overrides={**SMALL_INFOGAN, "networks.P.hidden": 4})  # fmt: skip
    with pytest.raises(ganzoo.ConfigError, match="did you mean networks.Q.hidden"):
        ganzoo.train("infogan-mnist", steps=1, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                     overrides={**SMALL_INFOGAN, "networks.Q.hiden": 4})  # fmt: skip


def test_published_infogan_samples_with_codes_and_sweeps_a_continuous_one(tmp_path, tiny_mnist_root):
    ganzoo.train("infogan-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                 overrides=SMALL_INFOGAN)  # fmt: skip
    runner = CliRunner()
    published = runner.invoke(main, ["publish", str(tmp_path / "run"), "--to", str(tmp_path / "models")])
    assert published.exit_code == 0, published.output
    model = ganzoo.load(tmp_path / "models" / "infogan-mnist")
    sevens = model.sample(4, codes={"c0": 7})
    assert sevens.shape == (4, 1, 28, 28) and 0 <= sevens.min() and sevens.max() <= 1
    assert torch.equal(model.sample(4, codes={"c0": 7}), sevens)  # same seed, same samples
    assert not torch.equal(model.sample(4, codes={"c0": 7}, seed=1), sevens)
    swept = runner.invoke(main, ["sample", str(tmp_path / "models" / "infogan-mnist"), "--code", "c1=-2:2", "--n", "30",
                                 "--out", str(tmp_path / "sweep.png")])  # fmt: skip
    assert swept.exit_code == 0, swept.output
    from PIL import Image

    assert Image.open(tmp_path / "sweep.png").size[0] > Image.open(tmp_path / "sweep.png").size[1]  # 10 wide, 3 high
    bad = runner.invoke(main, ["sample", str(tmp_path / "models" / "infogan-mnist"), "--code", "c0=11"])
    assert bad.exit_code != 0 and "whole number from 0 to 9" in bad.output and "Traceback" not in bad.output
    bad = runner.invoke(main, ["sample", str(tmp_path / "models" / "infogan-mnist"), "--code", "c0"])
    assert bad.exit_code != 0 and "NAME=VALUE" in bad.output


def test_code_agreement_maps_each_code_value_to_its_commonest_class():
    codes = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])
    predicted = torch.tensor([5, 5, 3, 7, 7, 7, 5, 5])  # code 0 -> 5 (2 of 3), 1 -> 7, 2 -> 5 (two codes, one digit)
    assert code_agreement(codes, predicted) == pytest.approx(7 / 8)
    with pytest.raises(ValueError):
        code_agreement(codes, predicted[:3])


def test_publishing_with_the_discriminator_keeps_every_network_by_name(tmp_path, tiny_mnist_root):
    from ganzoo.artifacts.models import load_model
    from ganzoo.publish.publish import publish

    ganzoo.train("infogan-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                 overrides=SMALL_INFOGAN)  # fmt: skip
    folder = publish(tmp_path / "run", to=tmp_path / "models", with_discriminator=True)
    config = json.loads((folder / "config.json").read_text())
    assert config["weights"]["other_networks"] == ["Q"] and config["networks"]["Q"]["name"] == "infogan-q"
    full = load_model(folder, with_discriminator=True)
    assert set(full.networks) == {"Q"} and full.discriminator is not None
    state = ckpt.load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert all(torch.equal(full.networks["Q"].state_dict()[k], v) for k, v in state["networks"]["Q"].items())
    assert set(load_model(folder).networks) == set()  # sampling needs neither D nor Q


def test_eval_draws_with_the_models_own_inputs_and_reports_code_agreement(tmp_path, tiny_mnist_root):
    from ganzoo.evaluation.targets import evaluate_target

    ganzoo.train("infogan-mnist", steps=2, out=tmp_path / "run", data_dir=tiny_mnist_root, quiet=True,
                 overrides=SMALL_INFOGAN)  # fmt: skip
    evaluation, record = evaluate_target(tmp_path / "run", n=200, metrics=["fid", "classes"], data_dir=tiny_mnist_root)
    names = {r.metric for r in evaluation.records}
    assert {"fid", "code_agreement"} <= names and "class_agreement" not in names  # InfoGAN: codes, not labels
    agreement = next(r.value for r in evaluation.records if r.metric == "code_agreement")
    assert 0.1 <= agreement <= 1.0
