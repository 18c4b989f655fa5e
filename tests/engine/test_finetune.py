"""Fine-tuning: --init from a run or a published model, mismatches in words, FreezeD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import ganzoo
from conftest import assert_same
from ganzoo.artifacts import checkpoint as ckpt
from ganzoo.cli import cli
from ganzoo.config import build_config, weights_config
from ganzoo.engine.finetune import blocks, freeze_blocks
from ganzoo.errors import ConfigError
from ganzoo.publish.publish import publish
from ganzoo.publish.reproduce import reproduce_command
from ganzoo.specs import DataInfo

RING = {"generator.hidden": [16, 16], "discriminator.hidden": [16, 16], "dataset.samples": 512,
        "train.batch_size": 64, "train.log_every": 5, "train.device": "cpu"}
#: Learning rates so small that one step leaves every weight where it started (to within 1e-6).
STILL = {"train.lr_g": 1e-12, "train.lr_d": 1e-12}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("finetune") / "source"
    ganzoo.train("ring-8", steps=20, out=run, overrides=RING, quiet=True)
    return run


def close(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].float(), b[k].float(), atol=1e-6) for k in a)


def test_init_from_a_run_loads_g_from_its_ema_and_d_and_starts_the_optimizers_afresh(source, tmp_path):
    result = ganzoo.train("ring-8", steps=1, out=tmp_path / "tuned", overrides={**RING, **STILL}, quiet=True,
                          init=source)  # fmt: skip
    assert result.step == 1
    before, after = ckpt.load_checkpoint(source / "checkpoint.pt"), ckpt.load_checkpoint(tmp_path / "tuned" / "checkpoint.pt")
    assert close(after["generator"], before["ema"]) and close(after["ema"], before["ema"])
    assert close(after["discriminator"], before["discriminator"])
    assert {state["step"].item() for state in after["opt_g"]["state"].values()} == {1.0}  # a fresh Adam, one step
    assert after["images_seen"] == 64
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["init"] == {"from": str(source), "networks": ["G", "D"], "fresh": []}
    # The start is part of what the weights depend on, and of the command that trains them again.
    assert weights_config(config) != weights_config({k: v for k, v in config.items() if k != "init"})
    assert f"--init {source}" in reproduce_command(config, ganzoo.get_registry(), 1)


def test_a_fine_tuned_run_resumes_and_init_with_resume_is_refused(source, tmp_path):
    run = tmp_path / "tuned"
    ganzoo.train("ring-8", steps=2, out=run, overrides=RING, quiet=True, init=source)
    assert ganzoo.train(resume=run, steps=4, quiet=True).step == 4
    with pytest.raises(ConfigError, match="--init and --resume"):
        ganzoo.train(resume=run, steps=6, quiet=True, init=source)
    result = CliRunner().invoke(cli, ["train", "--resume", str(run), "--steps", "6", "--init", str(source)])
    assert result.exit_code == 2 and "--init and --resume were both given" in result.output


def test_a_mismatch_names_the_differing_tensors_and_creates_nothing(source, tmp_path):
    out = tmp_path / "wider"
    result = CliRunner().invoke(cli, ["train", "ring-8", "--steps", "2", "--out", str(out), "--init", str(source),
                                      "--set", "generator.hidden=[32,16]", "--set", "discriminator.hidden=[16,16]",
                                      "--set", "dataset.samples=512"])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "its weights do not fit this run's networks" in result.output
    assert "G: net.0.weight is (16, 2) in the source, (32, 2) here" in result.output
    assert "D:" not in result.output.split("(the source")[0]  # D matched; only G's tensors are named
    assert "Traceback" not in result.output and not out.exists()


def test_init_from_a_published_model_with_and_without_its_discriminator(source, tmp_path):
    with_d = publish(source, name="with-d", to=tmp_path / "models", with_discriminator=True)
    without_d = publish(source, name="without-d", to=tmp_path / "models")
    G_published = ganzoo.load(with_d).generator.state_dict()
    ganzoo.train("ring-8", steps=1, out=tmp_path / "a", overrides={**RING, **STILL}, quiet=True, init=with_d)
    a = ckpt.load_checkpoint(tmp_path / "a" / "checkpoint.pt")
    assert close(a["generator"], G_published)
    assert close(a["discriminator"], ckpt.load_checkpoint(source / "checkpoint.pt")["discriminator"])
    ganzoo.train("ring-8", steps=1, out=tmp_path / "b", overrides={**RING, **STILL}, quiet=True, init=without_d)
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    assert config["init"]["networks"] == ["G"] and config["init"]["fresh"] == ["D"]
    assert close(ckpt.load_checkpoint(tmp_path / "b" / "checkpoint.pt")["generator"], G_published)


def test_freeze_d_keeps_the_first_blocks_exactly_and_trains_the_rest(source, tmp_path):
    run = tmp_path / "frozen"
    messages = []

    class Listen(ganzoo.engine.report.Reporter):
        def message(self, text):
            messages.append(text)

    ganzoo.train("ring-8", steps=5, out=run, overrides={**RING, "train.freeze_d_blocks": 2}, init=source,
                 reporter=Listen())  # fmt: skip
    before = ckpt.load_checkpoint(source / "checkpoint.pt")["discriminator"]
    after = ckpt.load_checkpoint(run / "checkpoint.pt")
    D = after["discriminator"]
    for name in ("net.1.weight", "net.1.bias", "net.3.weight", "net.3.bias"):  # the first two Linear layers
        assert torch.equal(D[name], before[name]), name
    assert not torch.equal(D["net.5.weight"], before["net.5.weight"])  # the last block trains
    assert len(after["opt_d"]["state"]) == 2  # Adam holds only the last block's weight and bias
    assert any("FreezeD: D's first 2 block(s) take no gradient: net.1 (Linear), net.3 (Linear)" in m for m in messages)
    assert any(m.startswith(f"fine-tuning from {source}: loaded G, D") for m in messages)
    assert ganzoo.train(resume=run, steps=8, quiet=True).step == 8  # resumes with the same optimizer layout
    with pytest.raises(ConfigError, match="would freeze all of D, which has 3 blocks"):
        ganzoo.train("ring-8", steps=1, out=tmp_path / "all", overrides={**RING, "train.freeze_d_blocks": 3}, quiet=True)


def test_blocks_of_the_zoos_discriminators(registry):
    info = DataInfo(shape=(1, 28, 28), num_classes=10)
    dcgan = registry.get("discriminator", "dcgan-d")
    found = [description for description, _ in blocks(dcgan.build(info, **dcgan.defaults))]
    assert found == ["net.0 (Conv2d)", "net.2 (Conv2d) + net.3 (BatchNorm2d)", "net.5 (Conv2d)"]
    sn = dcgan.build(info, **{**dcgan.defaults, "spectral_norm": True, "batch_norm": False})
    described, names = freeze_blocks(sn, 1)
    assert described == ["net.0 (ParametrizedConv2d)"] and set(names) == {"net.0.bias", "net.0.parametrizations.weight.original"}
    assert not any(p.requires_grad for n, p in sn.named_parameters() if n in names)
    assert all(p.requires_grad for n, p in sn.named_parameters() if n not in names)
    acgan = registry.get("discriminator", "acgan-d")
    assert [d for d, _ in blocks(acgan.build(info, **acgan.defaults))][:2] == ["body.0 (Conv2d)",
                                                                               "body.2 (Conv2d) + body.3 (BatchNorm2d)"]


def test_freeze_d_blocks_is_a_setting_outside_the_digest_at_zero(registry):
    plain = build_config(registry, "ring-8")
    assert plain["train"]["freeze_d_blocks"] == 0 and "freeze_d_blocks" not in weights_config(plain)["train"]
    frozen = build_config(registry, "ring-8", overrides=[("train.freeze_d_blocks", 1)])
    assert weights_config(frozen)["train"]["freeze_d_blocks"] == 1
    with pytest.raises(ConfigError, match="must not be negative"):
        build_config(registry, "ring-8", overrides=[("train.freeze_d_blocks", -1)])
