"""Benchmark of the optimizers: one ``step()`` of each class against ``torch.optim``.

    python benchmarks/optim.py            # full run (under a minute)
    python benchmarks/optim.py --quick    # fewer repeats

Each optimizer updates a parameter set of 10 k or 1 M float64 entries, split
over four tensors like a small MLP's weights and biases, with fresh random
gradients; one BLAS/intra-op thread for both. The two implementations are
timed in turn (round robin) so that a change in machine load hits both alike;
each figure is the median over the repeats, and the ratio is bpcourse's time
over PyTorch's (lower is better; 1.0 means equal).
"""

import argparse
import platform
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from bpcourse import optim

CASES = [
    ("SGD", optim.SGD, torch.optim.SGD, {"lr": 0.01}),
    ("SGD momentum", optim.SGD, torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    ("SGD Nesterov", optim.SGD, torch.optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", optim.Adagrad, torch.optim.Adagrad, {}),
    ("RMSprop", optim.RMSprop, torch.optim.RMSprop, {}),
    ("RMSprop centered+mom", optim.RMSprop, torch.optim.RMSprop,
     {"momentum": 0.9, "centered": True}),
    ("Adam", optim.Adam, torch.optim.Adam, {}),
    ("Adam amsgrad", optim.Adam, torch.optim.Adam, {"amsgrad": True}),
    ("AdamW", optim.AdamW, torch.optim.AdamW, {}),
]

SIZES = {  # total entries: shapes of four tensors (weight, bias, weight, bias)
    "10k": [(64, 120), (120,), (120, 18), (18,)],
    "1M": [(784, 1000), (1000,), (1000, 215), (215,)],
}


class Param:
    def __init__(self, data):
        self.data = data
        self.grad = None


def bench(name, ours_cls, torch_cls, kwargs, shapes, repeats, rng):
    ours = [Param(rng.standard_normal(s)) for s in shapes]
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    opt, topt = ours_cls(ours, **kwargs), torch_cls(theirs, **kwargs)
    grads = [rng.standard_normal(s) for s in shapes]
    for p, tp, g in zip(ours, theirs, grads, strict=True):
        p.grad, tp.grad = g, torch.tensor(g)
    times = {"bpcourse": [], "torch": []}
    for _ in range(3):  # warm up: state allocated, caches filled
        opt.step()
        topt.step()
    for _ in range(repeats):
        t0 = time.perf_counter()
        opt.step()
        t1 = time.perf_counter()
        topt.step()
        t2 = time.perf_counter()
        times["bpcourse"].append(t1 - t0)
        times["torch"].append(t2 - t1)
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"# {platform.processor() or platform.machine()}, numpy {np.__version__},"
          f" torch {torch.__version__}, one thread, median of repeats\n")
    with threadpool_limits(1):
        for size, shapes in SIZES.items():
            n = sum(int(np.prod(s)) for s in shapes)
            repeats = {"10k": 200, "1M": 30}[size] // (4 if args.quick else 1)
            print(f"## {n:,} parameters\n")
            print("| optimizer | bpcourse | torch.optim | ratio |")
            print("|---|---:|---:|---:|")
            for name, ours_cls, torch_cls, kwargs in CASES:
                t = bench(name, ours_cls, torch_cls, kwargs, shapes, repeats, rng)
                print(f"| {name} | {1e6 * t['bpcourse']:.0f} µs | {1e6 * t['torch']:.0f} µs |"
                      f" {t['bpcourse'] / t['torch']:.2f} |")
            print()


if __name__ == "__main__":
    main()
