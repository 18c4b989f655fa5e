"""How fast can *any* eager PyTorch loop train a recipe's networks on this CPU? The engine against that floor.

    python benchmarks/minimal_loop.py [--recipe vanilla-mnist --recipe dcgan-mnist] [--batch 64] [--steps 200]

A hand-written loop with nothing but the work: the recipe's generator and
discriminator built by their registered builders (channels_last for conv
nets, as the engine places them on a CPU), real-and-fake scored in one pass
of D when D allows it (two otherwise, as the engine does for batch norm),
the G forward reused, fused Adam, data already one tensor in memory, no EMA,
logging, checkpoints or checks. For vanilla-mnist it runs four variants (as
is, without dropout, without Adam's step, without both); then
``ganzoo.train`` runs the same recipe and batch size in the same process, so
the printout says how far the engine is from the floor (benchmarks/README.md,
"The eager floor").
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import engine_runs
import machine_info
import mnist_files


def build(registry, recipe_name: str, batch: int, dropout: bool):
    """The recipe's networks and fused Adam optimizers, as the engine builds and places them."""
    from ganzoo.engine.runtime import to_channels_last
    from ganzoo.specs import DataInfo

    recipe = registry.get("recipe", recipe_name)
    info = DataInfo(shape=(1, 28, 28), num_classes=10)
    g_spec, d_spec = registry.get("generator", recipe.generator), registry.get("discriminator", recipe.discriminator)
    g_params = {**g_spec.defaults, **recipe.params.get("generator", {})}
    d_params = {**d_spec.defaults, **recipe.params.get("discriminator", {})}
    if not dropout:
        d_params["dropout"] = 0.0
    torch.manual_seed(0)
    G, D = to_channels_last(g_spec.build(info, **g_params)), to_channels_last(d_spec.build(info, **d_params))
    betas = (0.5, 0.999)
    return G, D, torch.optim.Adam(G.parameters(), 2e-4, betas=betas, fused=True), \
        torch.optim.Adam(D.parameters(), 2e-4, betas=betas, fused=True)


def time_variant(registry, recipe: str, batch: int, steps: int, dropout: bool, adam: bool) -> float:
    """Median seconds per iteration over 4 windows, after a warm-up."""
    from ganzoo.losses import batch_independent

    G, D, opt_g, opt_d = build(registry, recipe, batch, dropout)
    one_pass = batch_independent(D)
    data = torch.rand(60_000, 1, 28, 28) * 2 - 1
    order = torch.randperm(len(data))
    cursor = 0

    def iteration() -> None:
        nonlocal cursor
        real = data[order[cursor : cursor + batch]]
        cursor = (cursor + batch) % (len(data) - batch)
        fake = G(torch.randn(batch, G.latent_dim))
        if one_pass:
            scores = D(torch.cat([real, fake.detach()]))
            real_scores, fake_scores = scores[:batch], scores[batch:]
        else:
            real_scores, fake_scores = D(real), D(fake.detach())
        d_loss = F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        if adam:
            opt_d.step()
        D.requires_grad_(False)
        g_loss = F.softplus(-D(fake)).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        if adam:
            opt_g.step()
        D.requires_grad_(True)

    for _ in range(20):
        iteration()
    windows = []
    for _ in range(4):
        started = time.perf_counter()
        for _ in range(steps // 4):
            iteration()
        windows.append((time.perf_counter() - started) / (steps // 4))
    return statistics.median(windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", action="append", help="vanilla-mnist and/or dcgan-mnist (default: both)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--data-dir", help="directory containing MNIST/raw/ (default: synthetic IDX files)")
    args = parser.parse_args()
    print("machine:", machine_info.one_line(machine_info.describe()))
    for recipe in args.recipe or ["vanilla-mnist", "dcgan-mnist"]:
        registry, _ = engine_runs.registry_with_loss(recipe)
        print(f"\n== {recipe}: minimal eager loop, batch {args.batch} (median of 4 windows of {args.steps // 4} "
              "iterations)")  # fmt: skip
        variants = [("as the recipe", True, True)]
        if recipe == "vanilla-mnist":  # the variants that show what the floor is made of (its dropout, its Adam)
            variants += [("without dropout", False, True), ("without Adam's step", True, False),
                         ("without both", False, False)]  # fmt: skip
        rows = []
        for label, dropout, adam in variants:
            seconds = time_variant(registry, recipe, args.batch, args.steps, dropout, adam)
            rows.append((label, seconds))
            print(f"{label:22s} {seconds * 1e3:7.2f} ms/iteration  {args.batch / seconds:8,.0f} img/s")
        with tempfile.TemporaryDirectory() as scratch:
            root = mnist_files.find_mnist(args.data_dir) or mnist_files.write_synthetic_mnist(Path(scratch) / "data")
            # The recipe as a user runs it: EMA, checks, logging and the final checkpoint included.
            engine = engine_runs.train(registry, Path(scratch) / "run", root, batch_size=args.batch,
                                       steps=args.steps + 50, log_every=50, recipe=recipe)  # fmt: skip
        floor = args.batch / rows[0][1]
        print(f"ganzoo.train           {args.batch / engine['img_per_s'] * 1e3:7.2f} ms/iteration  "
              f"{engine['img_per_s']:8,.0f} img/s  = {engine['img_per_s'] / floor:.2f}x the minimal loop (which has no "
              "EMA, logging, checks or checkpoints)")  # fmt: skip


if __name__ == "__main__":
    main()
