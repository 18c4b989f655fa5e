"""The fastest any fp32 engine could train vanilla-mnist on this CPU: its matrix products alone.

    python benchmarks/gemm_bound.py [--batch 64] [--repeats 30] [--textbook-steps 300] [--data-dir DIR]

One training iteration of vanilla-mnist (one D step, one G step, the G
forward reused) needs a fixed list of matrix products: per Linear layer the
forward, the input gradient and the weight gradient, as many times as the
engine runs them (D sees real and fake in its step and fake again in G's; the
first layer's input gradient is only needed where it reaches G). This script
times exactly those products with ``torch.mm`` (best of ``--repeats``), adds
them up, and reports the resulting bound on images/s -- an engine that did
nothing but these products, with no activations, optimizer or data. It also
runs the textbook loop (``textbook_loop.py``) in the same process, so the
bound is printed as a multiple of it: the largest speed-up over the textbook
loop that fp32 arithmetic on this machine allows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import torch

G_LAYERS = [(100, 256), (256, 512), (512, 1024), (1024, 784)]  # vanilla-mlp-g defaults
D_LAYERS = [(784, 1024), (1024, 512), (512, 256), (256, 1)]  # vanilla-mlp-d defaults


def iteration_products(batch: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of every matrix product of one iteration: an (m, k) @ (k, n) each."""
    products = []

    def forward(layers, times):
        products.extend([(batch, i, o)] * times for i, o in layers)

    def input_grads(layers, times, first_too):
        for index, (i, o) in enumerate(layers):
            if index or first_too:
                products.extend([(batch, o, i)] * times)

    def weight_grads(layers, times):
        products.extend([(o, batch, i)] * times for i, o in layers)

    forward(G_LAYERS, 1)  # the generator, once, its fakes reused by the G step
    forward(D_LAYERS, 3)  # D on real and on fake in the D step, on fake in the G step
    weight_grads(D_LAYERS, 2)  # D step: real and fake
    input_grads(D_LAYERS, 2, first_too=False)  # D step: nothing flows into the data or the detached fakes
    input_grads(D_LAYERS, 1, first_too=True)  # G step: through D (frozen) to the fakes
    weight_grads(G_LAYERS, 1)
    input_grads(G_LAYERS, 1, first_too=False)
    flat = []
    for item in products:
        flat.extend(item if isinstance(item, list) else [item])
    return flat


def best_time(m: int, k: int, n: int, repeats: int) -> float:
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return best


def iteration_time_in_sequence(products: list[tuple[int, int, int]], repeats: int) -> float:
    """The products run back to back on their own operands, as in a real iteration (best of ``repeats``).

    Every product gets distinct matrices, so the weights (12 MB for G and D) do
    not stay in the cache between uses, unlike in :func:`best_time`.
    """
    operands = [(torch.randn(m, k), torch.randn(k, n)) for m, k, n in products]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for a, b in operands:
            torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--textbook-steps", type=int, default=300, help="timed steps of the textbook loop (0: skip)")
    parser.add_argument("--data-dir", help="folder holding MNIST/raw")
    args = parser.parse_args(argv)

    import machine_info
    import mnist_files

    print(machine_info.one_line(machine_info.describe()))
    products = iteration_products(args.batch)
    times = {shape: best_time(*shape, args.repeats) for shape in sorted(set(products))}
    seconds = sum(times[shape] for shape in products)
    flops = sum(2 * m * k * n for m, k, n in products)
    bound = args.batch / seconds
    print(f"{len(products)} matrix products per iteration at batch {args.batch}: {flops / 1e9:.2f} GFLOP")
    print(f"  their best times add up to {seconds * 1e3:.2f} ms = {flops / seconds / 1e9:.0f} GFLOP/s")
    print(f"  bound: {bound:,.0f} img/s for an engine doing nothing else (each product cache-hot)")
    sequence = iteration_time_in_sequence(products, max(3, args.repeats // 3))
    print(f"  the same products back to back on distinct operands: {sequence * 1e3:.2f} ms = "
          f"{args.batch / sequence:,.0f} img/s")
    if args.textbook_steps:
        import textbook_loop
        from engine_runs import registry_with_loss

        data_root = mnist_files.find_mnist(args.data_dir)
        if data_root is None:
            data_root = mnist_files.write_synthetic_mnist(Path(tempfile.mkdtemp()) / "data")
        registry, _ = registry_with_loss()
        windows = max(1, args.textbook_steps // 50)
        result = textbook_loop.train(registry, data_root, batch_size=args.batch, warmup_steps=50, windows=windows,
                                     window_steps=50)  # fmt: skip
        textbook = result["img_per_s"]
        print(f"textbook loop, same process: {textbook:,.0f} img/s")
        print(f"largest possible fp32 speed-up over it on this machine: {bound / textbook:.2f}x "
              f"(cache-hot), {args.batch / sequence / textbook:.2f}x (back to back)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
