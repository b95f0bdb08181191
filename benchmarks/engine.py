"""Benchmark of the autodiff engines: one training step against its peers.

    python benchmarks/engine.py            # full run (about a minute)
    python benchmarks/engine.py --quick    # fewer repeats

Part 1, ``Tensor``: one SGD step (forward, backward, update) of an MLP with
tanh hidden layers and softmax cross-entropy, float64, one BLAS thread, at
three sizes, timed for ``bpcourse.Tensor``, the same step hand-written in
numpy (the floor for any numpy-based engine) and PyTorch CPU eager.

Part 2, ``Value``: one step of a 2-16-16-1 ReLU MLP with a squared-error loss
over a batch of 32, built from scalars, for ``bpcourse.Value`` and
``micrograd`` (PyPI, 0.1.0), with the same code for both.

Implementations are timed in turn (round robin) so that a change in machine
load hits all of them alike; each figure is the median over the repeats.
"""

import argparse
import platform
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import bpcourse
import bpcourse.functional as F
from bpcourse import nn
from bpcourse.tensor import Tensor

LR = 0.1
SIZES = [  # (layer sizes, batch)
    ([2, 16, 16, 2], 32),
    ([64, 128, 128, 10], 64),
    ([784, 256, 256, 10], 128),
]


# -- part 1: Tensor, numpy, torch --------------------------------------------


def make_problem(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], size=batch)
    model = nn.MLP(sizes, activation="tanh", rng=rng)
    return X, y, [p.data.copy() for p in model.parameters()]


def bpcourse_stepper(X, y, init):
    sizes = [init[0].shape[1]] + [W.shape[0] for W in init[0::2]]
    model = nn.MLP(sizes, activation="tanh", rng=np.random.default_rng(0))
    params = model.parameters()
    for p, w in zip(params, init, strict=True):
        p.data[...] = w
    Xt = Tensor(X)

    def step():
        loss = F.cross_entropy(model(Xt), y)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.item()

    return step


def numpy_stepper(X, y, init):
    """The same step written by hand in numpy: the floor for a numpy engine."""
    W1, b1, W2, b2, W3, b3 = (w.copy() for w in init)
    n = X.shape[0]
    rows = np.arange(n)

    def step():
        h1 = np.tanh(X @ W1.T + b1)
        h2 = np.tanh(h1 @ W2.T + b2)
        z = h2 @ W3.T + b3
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = (np.log(s[:, 0]) - z[rows, y]).mean()
        d3 = e / s
        d3[rows, y] -= 1.0
        d3 /= n
        d2 = (d3 @ W3) * (1.0 - h2 * h2)
        d1 = (d2 @ W2) * (1.0 - h1 * h1)
        grads = (d1.T @ X, d1.sum(axis=0), d2.T @ h1, d2.sum(axis=0), d3.T @ h2, d3.sum(axis=0))
        for p, g in zip((W1, b1, W2, b2, W3, b3), grads, strict=True):
            p -= LR * g
        return float(loss)

    return step


def torch_stepper(X, y, init):
    layers = []
    for i in range(0, len(init), 2):
        lin = torch.nn.Linear(init[i].shape[1], init[i].shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(init[i]))
            lin.bias.copy_(torch.from_numpy(init[i + 1]))
        layers += [lin, torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1])
    params = list(model.parameters())
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    return step


def time_round_robin(steppers, repeats, min_time):
    """Median seconds per call of each stepper, timed in turn."""
    counts = {}
    for name, step in steppers.items():  # warm up, and pick calls per repeat
        step()
        t0, k = time.perf_counter(), 0
        while time.perf_counter() - t0 < min_time:
            step()
            k += 1
        counts[name] = max(k, 1)
    samples = {name: [] for name in steppers}
    for _ in range(repeats):
        for name, step in steppers.items():
            t0 = time.perf_counter()
            for _ in range(counts[name]):
                step()
            samples[name].append((time.perf_counter() - t0) / counts[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def bench_tensor(repeats, min_time):
    rows = []
    for sizes, batch in SIZES:
        X, y, init = make_problem(sizes, batch)
        steppers = {
            "bpcourse": bpcourse_stepper(X, y, init),
            "numpy": numpy_stepper(X, y, init),
            "torch": torch_stepper(X, y, init),
        }
        # the three steps compute the same loss from the same weights
        losses = {name: step() for name, step in steppers.items()}
        spread = max(losses.values()) - min(losses.values())
        if spread > 1e-9:
            raise RuntimeError(f"the three steps disagree: {losses}")
        t = time_round_robin(steppers, repeats, min_time)
        rows.append(("-".join(map(str, sizes)), batch, t))
    return rows


# -- part 2: Value against micrograd -----------------------------------------


def scalar_mlp(V, sizes, rng):
    """[(W, b)] per layer, as lists of scalars of class V."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = [[V(float(rng.uniform(-1, 1))) for _ in range(n_in)] for _ in range(n_out)]
        layers.append((W, [V(0.0) for _ in range(n_out)]))
    return layers


def scalar_forward(layers, x):
    """micrograd's neuron, sum(w_i x_i) + b, with ReLU on the hidden layers."""
    for k, (W, b) in enumerate(layers):
        out = [sum((wi * xi for wi, xi in zip(w, x, strict=True)), bi)
               for w, bi in zip(W, b, strict=True)]
        x = [o.relu() for o in out] if k < len(layers) - 1 else out
    return x


def scalar_stepper(V, X, Y):
    layers = scalar_mlp(V, [2, 16, 16, 1], np.random.default_rng(1))
    params = [p for W, b in layers for row in (*W, b) for p in row]

    def step():
        loss = sum(((scalar_forward(layers, x)[0] - y) ** 2 for x, y in zip(X, Y, strict=True)),
                   0.0) * (1.0 / len(X))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= 0.01 * p.grad
        return loss.data

    return step


def bench_value(repeats):
    from micrograd.engine import Value as MicrogradValue

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(32, 2)).tolist(), rng.normal(size=32).tolist()
    steppers = {
        "bpcourse.Value": scalar_stepper(bpcourse.Value, X, Y),
        "micrograd": scalar_stepper(MicrogradValue, X, Y),
    }
    losses = [step() for step in steppers.values()]
    if abs(losses[0] - losses[1]) > 1e-9:
        raise RuntimeError(f"Value and micrograd disagree: {losses}")
    return time_round_robin(steppers, repeats, min_time=0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats, min_time = (5, 0.05) if args.quick else (15, 0.2)
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        rows = bench_tensor(repeats, min_time)
        scalar = bench_value(max(3, repeats // 3))
    print(f"# Python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__}, one thread, float64, median of {repeats}\n")
    print("## One SGD step of a tanh MLP with softmax cross-entropy\n")
    print("| sizes | batch | bpcourse.Tensor | numpy by hand | PyTorch eager "
          "| Tensor / numpy | Tensor / PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for sizes, batch, t in rows:
        print(f"| {sizes} | {batch} | {t['bpcourse'] * 1e6:.0f} us | {t['numpy'] * 1e6:.0f} us "
              f"| {t['torch'] * 1e6:.0f} us | {t['bpcourse'] / t['numpy']:.2f} "
              f"| {t['bpcourse'] / t['torch']:.2f} |")
    print("\n## One step of a scalar 2-16-16-1 ReLU MLP, batch 32\n")
    print("| bpcourse.Value | micrograd | micrograd / Value |")
    print("|---|---|---|")
    v, m = scalar["bpcourse.Value"], scalar["micrograd"]
    print(f"| {v * 1e3:.1f} ms | {m * 1e3:.1f} ms | {m / v:.1f}x faster |")


if __name__ == "__main__":
    main()
