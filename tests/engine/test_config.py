"""Configuration: precedence, typing, validation and helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganzoo.config import TRAIN_DEFAULTS, build_config, parse_assignment, resumed_config
from ganzoo.devices import resolve_device
from ganzoo.errors import ConfigError, UnknownNameError


def test_recipe_params_override_component_defaults(registry):
    config = build_config(registry, "ring-8")
    assert config["generator"]["name"] == "vanilla-mlp-g"
    assert config["generator"]["params"]["latent_dim"] == 2  # recipe value, default is 100
    assert config["generator"]["params"]["batch_norm"] is False  # untouched default
    assert config["train"]["batch_size"] == 256
    assert config["train"]["log_every"] == TRAIN_DEFAULTS["log_every"]


def test_precedence_defaults_recipe_file_set_explicit(registry, tmp_path: Path):
    from ganzoo.config import load_config_file

    toml = tmp_path / "run.toml"
    toml.write_text('recipe = "ring-8"\n[train]\nsteps = 111\nlr_g = 0.5\nseed = 7\n[generator]\nhidden = [8, 8]\n')
    names, file_overrides = load_config_file(toml)
    assert names == {"recipe": "ring-8"}
    cli_set = [parse_assignment("train.lr_g=0.25"), parse_assignment("seed=9")]
    explicit = [("train.seed", 11)]
    config = build_config(registry, names["recipe"], {}, file_overrides + cli_set + explicit)
    assert config["train"]["steps"] == 111  # file beats recipe (3000)
    assert config["train"]["lr_g"] == 0.25  # --set beats file
    assert config["train"]["seed"] == 11  # --seed beats --set
    assert config["generator"]["params"]["hidden"] == [8, 8]
    assert config["train"]["lr_d"] == 1e-3  # recipe beats default (2e-4)


def test_a_recipe_on_the_command_line_and_another_in_the_file_is_refused(registry, tmp_path: Path):
    from ganzoo.engine.api import resolve_run

    toml = tmp_path / "run.toml"
    toml.write_text('recipe = "vanilla-mnist"\n[generator]\nhidden = [8, 8]\n')
    with pytest.raises(ConfigError, match="two recipes were given: 'dcgan-mnist' on the command line and 'vanilla-mnist'"):
        resolve_run(registry, "dcgan-mnist", {}, toml, [], None, tmp_path / "out")
    config, _ = resolve_run(registry, "vanilla-mnist", {}, toml, [], None, tmp_path / "out")  # the same one: fine
    assert config["generator"]["params"]["hidden"] == [8, 8]


def test_components_replace_the_recipes_and_drop_its_params_for_them(registry):
    config = build_config(registry, "ring-8", {"generator": "toy-mlp-g"})
    assert config["generator"] == {"name": "toy-mlp-g", "params": dict(registry.get("generator", "toy-mlp-g").defaults)}
    assert config["discriminator"]["params"]["hidden"] == [128, 128, 128]  # still the recipe's


def test_components_without_recipe_must_all_be_named(registry):
    with pytest.raises(ConfigError, match="no discriminator, loss, dataset given"):
        build_config(registry, None, {"generator": "toy-mlp-g"})


def test_unknown_key_lists_the_valid_keys(registry):
    with pytest.raises(ConfigError) as caught:
        build_config(registry, "ring-8", {}, [("train.learning_rate", 1.0)])
    assert "lr_d" in caught.value.message and "lr_g" in caught.value.message
    with pytest.raises(ConfigError, match="did you mean generator.hidden"):
        build_config(registry, "ring-8", {}, [("generator.hiden", [4])])


def test_unknown_section_suggests_one(registry):
    with pytest.raises(ConfigError, match="did you mean 'generator'"):
        build_config(registry, "ring-8", {}, [("generater.hidden", [4])])


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("train.steps", "many", "must be an integer"),
        ("train.lr_g", "fast", "must be a number"),
        ("train.compile", 1, "must be true or false"),
        ("train.betas_g", 0.5, "must be a list"),
        ("generator.hidden", ["a"], "must be an integer"),
    ],
)
def test_values_are_typed_against_defaults(registry, key, value, message):
    with pytest.raises(ConfigError, match=message):
        build_config(registry, "ring-8", {}, [(key, value)])


def test_ints_widen_to_floats_and_integral_floats_narrow(registry):
    config = build_config(registry, "ring-8", {}, [("train.lr_g", 1), ("train.steps", 20.0)])
    assert config["train"]["lr_g"] == 1.0 and isinstance(config["train"]["lr_g"], float)
    assert config["train"]["steps"] == 20 and isinstance(config["train"]["steps"], int)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("train.batch_size", 0, "batch_size must be positive"),
        ("train.steps", -5, "steps must be positive"),
        ("train.lr_d", -1e-4, "positive learning rate"),
        ("train.lr_g", 0.0, "positive learning rate"),
        ("train.betas_d", [0.5, 1.5], "two numbers in"),
        ("train.precision", "fp8", "must be one of fp32, bf16, fp16"),
        ("train.grad_clip", -1.0, "must not be negative"),
        ("train.seed", 2**32, r"seed must be at most 4294967295"),  # the data order's seed must fit 64 bits
    ],
)
def test_bad_values_are_clear_errors(registry, key, value, message):
    with pytest.raises(ConfigError, match=message):
        build_config(registry, "ring-8", {}, [(key, value)])


def test_parse_assignment_reads_json_and_plain_strings():
    assert parse_assignment("generator.hidden=[1, 2]") == ("generator.hidden", [1, 2])
    assert parse_assignment("lr_g=1e-4") == ("lr_g", 1e-4)
    assert parse_assignment("train.compile=True") == ("train.compile", True)
    assert parse_assignment("dataset.path=/tmp/x y") == ("dataset.path", "/tmp/x y")
    with pytest.raises(ConfigError, match="key=value"):
        parse_assignment("no-equals-sign")


def test_bad_toml_is_a_clear_error(tmp_path: Path):
    from ganzoo.config import load_config_file

    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nsteps=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_file(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config_file(tmp_path / "missing.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"\xff\xfe[train]\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config_file(latin)
    odd = tmp_path / "odd.toml"
    odd.write_text("optimizer = 'sgd'\n")
    with pytest.raises(ConfigError, match="unexpected top-level key"):
        load_config_file(odd)


def test_unknown_recipe_suggests(registry):
    with pytest.raises(UnknownNameError, match="did you mean ring-8"):
        build_config(registry, "ring8")


def test_resuming_may_change_only_cadence_keys(registry):
    saved = build_config(registry, "ring-8")
    assert resumed_config(saved, [("train.steps", 9000)])["train"]["steps"] == 9000
    with pytest.raises(ConfigError, match="cannot change when resuming"):
        resumed_config(saved, [("train.lr_g", 1.0)])
    with pytest.raises(ConfigError, match="cannot change when resuming"):
        resumed_config(saved, [("generator.hidden", [3])])
    with pytest.raises(ConfigError, match=r"unknown key train.lrg. did you mean train.lr_g\?"):
        resumed_config(saved, [("train.lrg", 0.1)])


def test_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_asked_for_but_absent_is_a_clear_error():
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda:1")


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda c: [1, 2], "holds a JSON list"),
        (lambda c: {k: v for k, v in c.items() if k != "dataset"}, "'dataset' section is missing"),
        (lambda c: {**c, "train": {**c["train"], "steps": "abc"}}, "train.steps is 'abc', not a number"),
        (lambda c: {**c, "train": None}, "'train' section is missing"),
    ],
)
def test_an_edited_run_config_is_refused_in_words(registry, edit, problem):
    from ganzoo.config import check_saved_config

    saved = build_config(registry, "ring-8")
    check_saved_config(saved)  # what ganzoo wrote passes
    with pytest.raises(ConfigError, match=problem) as caught:
        check_saved_config(edit(saved))
    assert "not one ganzoo wrote" in caught.value.what
