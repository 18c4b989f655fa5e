"""Train a LeNet evaluation extractor deterministically and write it as a model folder.

Usage (this is how ganzoo's shipped extractors were made)::

    GANZOO_DATA_DIR=... python -m ganzoo.evaluation.train_extractor mnist model_cards/lenet-mnist
    GANZOO_DATA_DIR=... python -m ganzoo.evaluation.train_extractor fashion-mnist model_cards/lenet-fashion-mnist
    GANZOO_DATA_DIR=... python -m ganzoo.evaluation.train_extractor mnist-thick model_cards/lenet-mnist-thick

Deterministic: a fixed seed, seeded shuffling, deterministic algorithms and a
fixed thread count; on the same torch version and CPU type it reproduces the
same weights bit for bit (the card records both).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import ganzoo
from ganzoo.data import resolve_data_root
from ganzoo.evaluation.lenet import LeNet, accuracy
from ganzoo.artifacts.card_format import HUB_DATASETS, dataset_hub_id, front_matter
from ganzoo.artifacts.weights import save_weights, sha256_file

RECIPE = {"epochs": 4, "batch_size": 128, "lr": 1e-3, "optimizer": "Adam", "seed": 0, "threads": 2,
          "lr_schedule": "cosine to 0"}  # fmt: skip
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "mnist-thick": "thick (dilated) MNIST"}


def _images(data: "ganzoo.data.InMemoryData") -> torch.Tensor:
    return data.x.float() * data.scale + data.shift


def train_lenet(dataset: str, data_dir: Path | None = None, recipe: dict = RECIPE) -> tuple[LeNet, dict]:
    """Train LeNet on ``dataset``'s training split; return the model and its measured figures."""
    registry = ganzoo.get_registry()
    spec = registry.get("dataset", dataset)
    root = resolve_data_root(data_dir)
    train = spec.build(root, train=True, download=False)
    test = spec.build(root, train=False, download=False)
    torch.set_num_threads(recipe["threads"])
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(recipe["seed"])
    order = torch.Generator().manual_seed(recipe["seed"])
    model = LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    x, y = _images(train), train.y
    steps_per_epoch = len(x) // recipe["batch_size"]
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, recipe["epochs"] * steps_per_epoch)
    started = time.perf_counter()
    for _ in range(recipe["epochs"]):
        model.train()
        permutation = torch.randperm(len(x), generator=order)
        for step in range(steps_per_epoch):
            index = permutation[step * recipe["batch_size"]:(step + 1) * recipe["batch_size"]]
            loss = F.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    seconds = time.perf_counter() - started
    figures = {
        "test_accuracy": accuracy(model, _images(test), test.y),
        "train_accuracy": accuracy(model, x, y),
        "train_seconds": round(seconds, 1),
    }
    return model.eval(), figures


def write_extractor(dataset: str, out: Path, data_dir: Path | None = None) -> dict:
    """Train and write ``out/model.safetensors``, ``config.json`` and ``README.md``; return the config."""
    model, figures = train_lenet(dataset, data_dir)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    name = out.name
    config = {
        "kind": "extractor", "name": name, "architecture": "ganzoo.evaluation.lenet:LeNet",
        "dataset": dataset, "feature_dim": model.feature_dim, "num_classes": model.num_classes,
        "input": "1x28x28 images in [-1, 1]", "recipe": RECIPE, **figures,
        "torch": torch.__version__, "ganzoo": ganzoo.__version__, "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
    }  # fmt: skip
    weights = out / "model.safetensors"
    save_weights(weights, model.state_dict(), {"format": "pt", "ganzoo_version": ganzoo.__version__,
                                                "kind": "extractor", "config": json.dumps(config, sort_keys=True)})  # fmt: skip
    config["sha256"] = sha256_file(weights)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(extractor_card(config), encoding="utf-8")
    return config


def extractor_card(config: dict) -> str:
    """The model card of an evaluation extractor."""
    title = TITLES.get(config["dataset"], config["dataset"])
    meta = {
        "library_name": "ganzoo", "license": "mit", "tags": ["ganzoo", "feature-extractor", "gan-evaluation", "image-classification"],
        # Listed by Hub id where the dataset has one (a derived dataset such as mnist-thick has none).
        **({"datasets": [HUB_DATASETS[config["dataset"]]]} if config["dataset"] in HUB_DATASETS else {}),
        "pipeline_tag": "image-classification",
        "model-index": [{"name": config["name"], "results": [{
            "task": {"type": "image-classification"},
            "dataset": {"type": dataset_hub_id(config["dataset"]), "name": title, "split": "test"},
            "metrics": [{"type": "accuracy", "value": round(config["test_accuracy"], 4), "name": "test accuracy"}],
        }]}],
    }  # fmt: skip
    recipe = config["recipe"]
    return f"""{front_matter(meta)}
# {config['name']}: LeNet features for evaluating GANs on {title}

A small LeNet-style classifier (two 5x5 convolutions with max pooling, a
128-unit hidden layer, {config['num_classes']} classes) trained by ganzoo on the
{title} training split. `ganzoo eval` uses its 128-d penultimate activations as
the feature space for FID, KID, precision/recall and density/coverage, and its
class predictions for the class histogram of generated samples.

**These numbers are not comparable to published FID/KID values**, which use
Inception-v3 features on other datasets. They compare ganzoo models with each
other, and every metric computed with this network carries its name and hash:
`fid[{config['name']}@{config['sha256'][:8]}]`.

| | |
|---|---|
| test accuracy (10,000 test images) | {config['test_accuracy']:.4f} |
| training accuracy | {config['train_accuracy']:.4f} |
| sha256 of model.safetensors | `{config['sha256']}` |
| input | {config['input']} |
| trained on | {config['machine']}, torch {config['torch']}, {config['train_seconds']} s |

## How it was trained

Deterministically: seed {recipe['seed']}, {recipe['epochs']} epochs of {recipe['optimizer']}
(lr {recipe['lr']}, {recipe['lr_schedule']}) at batch {recipe['batch_size']} on the 60,000 training
images, seeded shuffling, `torch.use_deterministic_algorithms(True)`, {recipe['threads']} threads.
Reproduce it with:

```bash
python -m ganzoo.evaluation.train_extractor {config['dataset']} model_cards/{config['name']}
```

## Intended use and limitations

Evaluating generative models of {title} within ganzoo. It is a small
classifier: its features capture digit/article shape, not fine texture, and
they are blind to anything outside 28x28 grey-scale images of this dataset.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(TITLES))
    parser.add_argument("out", type=Path)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    config = write_extractor(args.dataset, args.out, args.data_dir)
    print(json.dumps({k: config[k] for k in ("name", "test_accuracy", "train_seconds", "sha256")}))


if __name__ == "__main__":
    main()
