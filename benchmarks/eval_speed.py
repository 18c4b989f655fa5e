"""How long `ganzoo eval` takes for 10,000 samples (issue target: under 30 s on 2 CPU cores).

    python benchmarks/eval_speed.py [--n 10000] [--data-dir DIR] [--models vanilla-mnist,dcgan-mnist]

For each shipped model it times the whole evaluation (every metric family)
and its parts in the same process: drawing the samples, embedding generated
and reference images with the LeNet extractor, and each metric. The baseline
is the part no evaluation can skip (generating and embedding the samples);
the table prints the whole evaluation as a ratio of it, so the cost of the
metrics themselves is visible independent of the machine.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

import ganzoo
from ganzoo.evaluation import extractors
from ganzoo.evaluation.evaluate import build_reference, embed, generate, to_unit_range
from ganzoo.evaluation.targets import evaluate_target
from ganzoo.metrics import classes, frechet, kernel, manifold
from ganzoo.artifacts.models import load_model

TARGET_S = 30.0


def _timed(function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def measure(name: str, n: int, data_dir: str | None) -> dict[str, float]:
    model = load_model(name)
    config = model.config
    spec = extractors.extractor_for_dataset(config["dataset"]["name"])
    extractor = extractors.load_extractor(spec)
    device = torch.device("cpu")
    reference, t_data = _timed(build_reference, config["dataset"]["name"], config["dataset"]["params"], data_dir)
    real_images = to_unit_range(reference.batch(torch.arange(min(n, len(reference))))[0], reference.info)
    (fake, _), t_generate = _timed(generate, model.generator, n, seed=0, device=device,
                                   num_classes=model.info.num_classes if model.conditional else 0)  # fmt: skip
    (real_f, real_logits), t_embed_real = _timed(embed, extractor, real_images, device)
    (fake_f, fake_logits), t_embed_fake = _timed(embed, extractor, to_unit_range(fake, model.info), device)
    figures = {
        "load data": t_data,
        "generate": t_generate,
        "embed (real + fake)": t_embed_real + t_embed_fake,
        "fid": _timed(frechet.fid_from_features, real_f, fake_f)[1],
        "kid (100 x 1000)": _timed(kernel.kid, real_f, fake_f, generator=torch.Generator().manual_seed(0))[1],
        "precision/recall": _timed(manifold.precision_recall, real_f, fake_f)[1],
        "density/coverage": _timed(manifold.density_coverage, real_f, fake_f)[1],
        "classes": _timed(classes.class_histogram, fake_logits, 10)[1],
    }
    _, figures["whole `ganzoo eval` (fresh call)"] = _timed(evaluate_target, name, n=n, data_dir=data_dir)
    figures["baseline: generate + embed"] = t_generate + t_embed_real + t_embed_fake
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--data-dir", default=os.environ.get("GANZOO_DATA_DIR"))
    parser.add_argument("--models", default="vanilla-mnist,dcgan-mnist")
    args = parser.parse_args()
    print(f"ganzoo {ganzoo.__version__}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, n = {args.n}")  # fmt: skip
    for name in args.models.split(","):
        figures = measure(name, args.n, args.data_dir)
        whole, baseline = figures["whole `ganzoo eval` (fresh call)"], figures["baseline: generate + embed"]
        print(f"\n{name}")
        for label, seconds in figures.items():
            print(f"  {label:<36} {seconds:7.2f} s")
        verdict = "met" if whole < TARGET_S else "NOT met"
        print(f"  whole / baseline = {whole / baseline:.2f}x; target < {TARGET_S:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
