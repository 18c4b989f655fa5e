"""Model cards: Hugging Face-style README.md with YAML front matter, for generators and extractors.

The front matter is what the Hub reads (``huggingface_hub.ModelCard(...).data``):
``library_name``, ``license``, ``tags`` (with an ``arxiv:ID`` tag per cited
paper, which links the model to the paper on the Hub), ``datasets`` by their
Hub ids, ``pipeline_tag`` for image models, and ``model-index`` whose metric
``type`` is the plain metric id (``fid``) and whose ``name`` pins the feature
extractor and its hash (``fid[lenet-mnist@748c6f52]``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from ganzoo.distribution import DISTRIBUTION_NAME, canonical_provider, project_url
from ganzoo.artifacts.card_format import HUB_DATASETS, arxiv_tags, dataset_hub_id, front_matter, split_front_matter

def ganzoo_link() -> str:
    """"ganzoo", linked to the project's address when the package metadata has one (never invented)."""
    url = project_url()
    return f"[ganzoo]({url})" if url else "ganzoo"


DATASET_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "ring-8": "Ring of 8 Gaussians",
                  "grid-25": "Grid of 25 Gaussians"}  # fmt: skip


def model_card(config: Mapping[str, Any], *, license: str = "mit") -> str:
    """The README.md of a published generator: YAML front matter, then the card body."""
    name = config["name"]
    dataset = config["dataset"]["name"]
    title = DATASET_TITLES.get(dataset, dataset)
    images = config["data"]["modality"] == "image"
    conditional = bool(config["generator"].get("conditional"))
    evaluation = list(config.get("evaluation") or [])
    papers = [config.get("paper") or ""] + [config[k].get("paper") or "" for k in ("generator", "discriminator", "loss", "dataset")
                                             if isinstance(config.get(k), Mapping)]  # fmt: skip
    meta: dict[str, Any] = {
        "library_name": "ganzoo",
        "license": license,
        "tags": ["ganzoo", "gan", "pytorch", "safetensors", config["generator"]["name"], config["loss"]["name"]]
        + (["class-conditional"] if conditional else []) + ([] if images else ["2d-toy-data"]) + arxiv_tags(papers),
    }
    pipeline_tag = config.get("pipeline_tag") or "unconditional-image-generation"
    if dataset in HUB_DATASETS:
        meta["datasets"] = [HUB_DATASETS[dataset]]
    if images:
        meta["pipeline_tag"] = pipeline_tag
    task = {"type": pipeline_tag if images else "density-estimation",
            "name": "Class-conditional image generation" if conditional else "Image generation" if images else "2-D generation"}  # fmt: skip
    meta["model-index"] = [{
        "name": name,
        "results": [{
            "task": task,
            "dataset": {"type": dataset_hub_id(dataset), "name": title, "split": _split(evaluation)},
            # The Hub's metric type is the plain id; the name keeps what it was computed with.
            "metrics": [{"type": _metric_id(r), "name": r["name"], "value": _round(r["value"]), "verified": False}
                        for r in evaluation],
        }] if evaluation else [],
    }]  # fmt: skip
    return front_matter(meta) + "\n" + _body(config, title, evaluation, images, conditional)


def _scope(config: Mapping[str, Any], title: str, images: bool) -> str:
    """What the model is good for, in the card's words: images and 2-D toy distributions differ."""
    if not images:
        return (f"A small model for learning, teaching and research on GANs: it draws 2-D points from an "
                f"approximation of the {title} distribution and nothing else, the classic test of mode coverage "
                "and mode collapse. Expect some probability mass between the modes.")  # fmt: skip
    size = "x".join(str(s) for s in config["data"]["shape"])
    return (f"A small model for learning, teaching and research on GANs: it makes {size} images like those of "
            f"{title} and nothing else. It was trained for minutes on a CPU, so its samples are recognisable but "
            "far from state-of-the-art quality; expect artefacts and some missing variety.")  # fmt: skip


def _stopped_early(training: Mapping[str, Any]) -> str:
    planned = training.get("planned_steps")
    if training.get("status") == "interrupted" and planned and planned > training["steps"]:
        return f" (interrupted: {planned:,} steps were planned)"
    return ""


def _metric_id(record: Mapping[str, Any]) -> str:
    """``fid`` for ``fid[lenet-mnist@748c6f52]``: the record's ``metric``, else its name up to the bracket."""
    return str(record.get("metric") or str(record["name"]).partition("[")[0])


def _split(evaluation: list[Mapping[str, Any]]) -> str:
    return str(evaluation[0]["reference"]).partition(":")[2] or "test" if evaluation else "test"


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _body(config: Mapping[str, Any], title: str, evaluation: list[Mapping[str, Any]], images: bool, conditional: bool) -> str:
    name = config["name"]
    training = config["training"]
    train = config["train"]
    g, d, loss = config["generator"], config["discriminator"], config["loss"]
    paper = config.get("paper") or g.get("paper") or ""
    what = config.get("recipe_summary") or f"A {g['name']} generator trained against {d['name']} with the {loss['name']} loss."
    weights = "an exponential moving average of the generator" if config["weights"]["generator"] == "ema" else "the generator"
    lines = [
        f"# {name}",
        "",
        f"{what} Trained with {ganzoo_link()} on {title}; the weights are {weights}"
        + (" and the discriminator." if config["weights"]["discriminator"] else "."),
        "",
    ]
    if paper:
        lines += [f"Paper: {paper}.", ""]
    lines += ["![samples](samples.png)", "",
              "*Samples drawn with seed 0" + (", one column per class" if conditional else "") + ".*", ""]  # fmt: skip
    lines += ["## How it was trained", "", "| | |", "|---|---|"]
    rows = [
        ("recipe", f"`{config['recipe']}`" if config.get("recipe") else "(components given directly)"),
        ("generator", f"`{g['name']}` {json.dumps(g['params'])} from {canonical_provider(g['provider'])}"),
        ("discriminator", f"`{d['name']}` {json.dumps(d['params'])} from {canonical_provider(d['provider'])}"),
        ("loss", f"`{loss['name']}` {json.dumps(loss['params'])} from {canonical_provider(loss['provider'])}"),
        ("dataset", f"`{config['dataset']['name']}` {json.dumps(config['dataset']['params'])}"),
        ("steps / images seen", f"{training['steps']:,} / {training['images_seen']:,}" + _stopped_early(training)),
        ("batch size", str(train.get("batch_size"))),
        ("learning rates (G / D)", f"{train.get('lr_g')} / {train.get('lr_d')}, betas {train.get('betas_g')} / {train.get('betas_d')}"),
        ("EMA half-life", f"{train.get('ema_halflife_kimg')} kimg"),
    ]
    # The regularisers and schedule knobs, only where the run used them.
    optional = (("n_critic", "discriminator steps per generator step"), ("r1_gamma", "R1 penalty γ"),
                ("grad_clip", "gradient clipping (max norm)"), ("d_warmup_steps", "discriminator warm-up steps"))
    rows += [(label, str(train[key])) for key, label in optional if train.get(key)]
    rows += [
        ("precision", str(train.get("precision"))),
        ("seed", str(training.get("seed"))),
        ("wall time", f"{training['wall_time_s']:.0f} s on {training.get('hardware')}, {training.get('world_size', 1)} process(es)"),
        ("software", f"torch {training.get('torch')}, ganzoo {training.get('ganzoo')}"
         + (f", commit `{training['git_commit'][:12]}`" if training.get("git_commit") else "")),
    ]  # fmt: skip
    lines += [f"| {k} | {v} |" for k, v in rows] + [""]
    if training.get("command"):
        exact = ("bit for bit on a CPU with the same torch and ganzoo" if training.get("world_size", 1) == 1
                 else f"trained with {training['world_size']} processes: add --nproc {training['world_size']}, "
                 "and expect the same training, not the same bits")  # fmt: skip
        lines += [f"Reproduce it ({exact}):", "", "```bash",
                  training["command"], "```", ""]  # fmt: skip
    elif config.get("recipe"):  # cards published before the command was recorded
        lines += ["Reproduce it:", "", "```bash", f"ganzoo train {config['recipe']} --seed {training.get('seed')}", "```", ""]
    lines += ["## Evaluation", ""]
    if evaluation:
        first = evaluation[0]
        lines += [f"{first['n_generated']:,} generated samples against {first['n_reference']:,} reference samples "
                  f"({first['reference']}), seed {first['seed']}." if first["n_reference"] else
                  f"{first['n_generated']:,} generated samples, seed {first['seed']} (the VEEGAN / PacGAN protocol: "
                  "a sample is high quality within 3 standard deviations of a mode; a mode is covered with 20 of them).",
                  "", "| metric | value | better |", "|---|---|---|"]  # fmt: skip
        for record in evaluation:
            std = f" ± {_round(record['std'])}" if record.get("std") is not None else ""
            lines.append(f"| `{record['name']}` | {_round(record['value'])}{std} | {'higher' if record.get('higher_is_better') else 'lower'} |")
        if any(r.get("extractor") for r in evaluation):
            lines += ["", "Image metrics are computed in the feature space of ganzoo's LeNet extractor for this dataset "
                      "(named with its hash in brackets). **They are not comparable to published FID / KID numbers**, "
                      "which use Inception-v3 features; they compare ganzoo models with each other."]  # fmt: skip
        lines.append("")
    else:
        lines += ["Not evaluated: run `ganzoo eval` on the run directory before publishing.", ""]
    cls = " --class 3" if conditional else ""
    lines += [
        "## How to use",
        "",
        "```bash",
        f"pip install {DISTRIBUTION_NAME}",
        f"ganzoo sample {name} --n 64 --seed 1{cls} --out samples.png",
        "```",
        "",
        "```python",
        "import torch, ganzoo",
        "",
        f'G = ganzoo.load("{name}")  # eval mode; strict, safetensors only',
        "z = torch.randn(16, G.latent_dim)",
        "with torch.no_grad():",
        f"    x = G(z{', torch.full((16,), 3)' if conditional else ''})  # {'images in ' + str(config['data']['value_range']) if images else '2-D points'}",
        "```",
        "",
        "## Intended use and limitations",
        "",
        _scope(config, title, images) + " Do not use generated samples as if they were real data (for example to pad a dataset for "
        "evaluation, or to pass off synthetic images as genuine); generative models can be misused to produce "
        "deceptive fake media, and anyone publishing generated content should label it as synthetic.",
        "",
    ]
    return "\n".join(lines)


def render_card(folder: str | Path) -> str:
    """The README.md that the current code writes for the model (or extractor) folder ``folder``, from its
    config.json alone: re-rendering a card never touches, and needs no, weights."""
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if config.get("kind") == "extractor":
        from ganzoo.evaluation.train_extractor import extractor_card

        return extractor_card(config)
    meta_text, _ = split_front_matter((folder / "README.md").read_text(encoding="utf-8"))
    license = re.search(r'^license: "?([^"\n]+)"?$', meta_text, re.MULTILINE)
    return model_card(config, license=license.group(1) if license else "mit")
