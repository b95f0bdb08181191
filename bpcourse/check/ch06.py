"""Checks for chapter 6: vanishing and exploding gradients.

6.1 ``sigmoid_bound_by_hand()``               the largest sigmoid slope and a depth bound
6.2 ``grad_norms_per_layer(model, X, y)``     gradient norm of every Linear weight
6.3 ``gradient_plots_match()``                which network drew which gradient profile
6.4 ``init_stds(n_in, n_out)``                Glorot's and He's standard deviations
6.5 ``fixed_residual_net(X, width, n_blocks, rng)``  debug an init and a residual block
6.6 ``batch_norm_backward(x, gamma, dy, eps)``  batch normalization's backward pass
6.7 ``clip_global_norm(grads, max_norm)``      clipping by the global norm

The references are written out here, a few lines each, or are the package's
own (``clip.clip_by_norm``); tests/test_check_ch06.py holds them against
PyTorch and finite differences. See chapter 6, "The product of Jacobians".
"""

import math

import numpy as np

from .. import clip, nn
from .. import functional as F
from ..tensor import Tensor
from ._core import TOL, Case, Exercise, Mistake, rel_error

__all__ = ["sigmoid_bound_by_hand", "grad_norms_per_layer", "gradient_plots_match",
           "init_stds", "fixed_residual_net", "batch_norm_backward", "clip_global_norm",
           "BOUND_DEPTH", "BOUND_NORM", "PLOT_NETS", "exercise_curves",
           "buggy_residual_net"]


def _accept_numbers(what, redo, count):
    """An ``accept`` for a tuple of numbers worked out by hand: the one tolerance,
    and on failure which entry is off, never the answer."""
    def accept(got, expected, case):
        try:
            got = tuple(float(x) for x in got)
        except (TypeError, ValueError):
            return f"return a tuple of {count} numbers ({what}); got {got!r}"
        if len(got) != count:
            return f"return a tuple of {count} numbers ({what}); got {len(got)}"
        wrong = [i for i, (g, e) in enumerate(zip(got, expected, strict=True))
                 if rel_error(e, g) > TOL]
        if not wrong:
            return None
        names = what.split(", ")
        return (f"{' and '.join(names[i] for i in wrong)}: "
                f"{', '.join(f'{got[i]:.6g}' for i in wrong)} is not right. {redo}")
    return accept


# ---------------------------------------------------------------------------
# 6.1 sigmoid_bound_by_hand() -> (largest sigma', bound)
# ---------------------------------------------------------------------------

BOUND_DEPTH = 10     # sigmoid layers
BOUND_NORM = 2.0     # the largest singular value of every weight matrix


def _sigmoid_bound_by_hand():
    """sigma'(z) = sigma(1 - sigma) <= 1/4, at z = 0; each layer multiplies the
    gradient's norm by at most ||W|| max sigma' = 2 / 4, so after 10 layers (1/2)^10."""
    top = 0.25
    return top, (BOUND_NORM * top) ** BOUND_DEPTH


sigmoid_bound_by_hand = Exercise(
    id="6.1", name="sigmoid_bound_by_hand", reference=_sigmoid_bound_by_hand,
    cases=[Case((), label=f"{BOUND_DEPTH} sigmoid layers, every ‖W‖ = {BOUND_NORM:g}")],
    accept=_accept_numbers(
        "the largest slope, the bound", 'Redo it with "Saturating activations" in '
        "chapter 6: the largest slope of the sigmoid, then one factor per layer.", 2),
    mistakes=[
        Mistake("sigma(0) taken for sigma'(0)",
                "σ(0) = 1/2 is the sigmoid's value at 0; its slope there is "
                "σ(0)(1 − σ(0)) = 1/4.",
                lambda: (0.5, 1.0)),
        Mistake("the weights left out of the bound",
                "Each layer's Jacobian is diag(σ′) W: its norm is at most "
                "max σ′ · ‖W‖ = 1/4 · 2, not 1/4.",
                lambda: (0.25, 0.25**BOUND_DEPTH)),
        Mistake("one factor too few",
                "There are D = 10 layers between the output and the input, so ten "
                "factors of max σ′ · ‖W‖, not nine.",
                lambda: (0.25, 0.5 ** (BOUND_DEPTH - 1))),
        Mistake("the factors added instead of multiplied",
                "The chain rule multiplies one Jacobian per layer; the bound is a "
                "product (a power), not a sum.",
                lambda: (0.25, BOUND_DEPTH * 0.5)),
    ],
    hint="Largest slope: differentiate σ(z) = 1/(1 + e^(−z)) and find where "
         "σ(1 − σ) is largest. Bound: one factor max σ′ · ‖W‖ per layer "
         '(see chapter 6, "Saturating activations").',
    doc="Return (largest sigma', bound on the factor after 10 layers).",
)


# ---------------------------------------------------------------------------
# 6.2 grad_norms_per_layer(model, X, y) -> array of per-layer weight-gradient norms
# ---------------------------------------------------------------------------


def _grad_norms_per_layer(model, X, y):
    """‖∂L/∂W‖ of every Linear layer, first to last, for the mean cross-entropy."""
    model.zero_grad()
    loss = F.cross_entropy(model(Tensor(X)), y)
    loss.backward()
    return np.array([np.linalg.norm(layer.weight.grad) for layer in model.linears])


def _model(sizes, activation, seed, warm=True):
    """An MLP whose parameters already hold a gradient from another batch (when
    ``warm``), as they do in the middle of training."""
    rng = np.random.default_rng(seed)
    model = nn.MLP(sizes, activation=activation, rng=rng)
    if warm:
        Xw = rng.normal(size=(3, sizes[0]))
        F.cross_entropy(model(Tensor(Xw)), rng.integers(0, sizes[-1], 3)).backward()
    return model


def _norms_case(sizes, activation, batch, seed, label, warm=True):
    rng = np.random.default_rng(seed + 1000)
    X = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch)
    return Case((_model(sizes, activation, seed, warm), X, y), label=label)


def _norms_random(rng):
    cases = []
    for i in range(6):
        depth = int(rng.integers(2, 6))
        sizes = [int(s) for s in rng.integers(2, 7, depth + 1)]
        act = ("tanh", "relu", "sigmoid")[i % 3]
        batch = int(rng.integers(1, 6))
        cases.append(_norms_case(sizes, act, batch, int(rng.integers(10**6)),
                                 f"random MLP {sizes}, {act}, batch of {batch}"))
    return cases


def _norms_wrong(kind):
    def norms(model, X, y):
        if kind != "no zero_grad":
            model.zero_grad()
        logits = model(Tensor(X))
        if kind == "sum":
            loss = F.cross_entropy(logits, y, reduction="sum")
        else:
            loss = F.cross_entropy(logits, y)
        loss.backward()
        layers = model.linears
        if kind == "bias":
            out = [math.sqrt(np.sum(m.weight.grad**2) + np.sum(m.bias.grad**2))
                   for m in layers]
        elif kind == "squared":
            out = [np.sum(m.weight.grad**2) for m in layers]
        elif kind == "max":
            out = [np.max(np.abs(m.weight.grad)) for m in layers]
        else:
            out = [np.linalg.norm(m.weight.grad) for m in layers]
        if kind == "reversed":
            out = out[::-1]
        return np.array(out)
    return norms


grad_norms_per_layer = Exercise(
    id="6.2", name="grad_norms_per_layer", reference=_grad_norms_per_layer,
    cases=[
        _norms_case([3, 4, 4, 2], "tanh", 4, 1, "MLP [3, 4, 4, 2], tanh, fresh gradients",
                    warm=False),
        _norms_case([4, 5, 5, 5, 3], "sigmoid", 5, 2,
                    "MLP [4, 5, 5, 5, 3], sigmoid; the parameters hold an old gradient"),
        _norms_case([2, 6, 3], "relu", 1, 3, "MLP [2, 6, 3], ReLU, a batch of one"),
        _norms_case([5, 3, 3, 3, 3, 4], "tanh", 6, 4, "MLP [5, 3, 3, 3, 3, 4], tanh"),
    ],
    random_cases=_norms_random,
    observe=lambda returned, args, kwargs: returned,
    mistakes=[
        Mistake("gradients not zeroed first",
                "backward() adds into .grad: call model.zero_grad() before the forward "
                "pass, or the old gradient is counted too.",
                _norms_wrong("no zero_grad")),
        Mistake("bias gradients included",
                "Take the norm of each layer's weight gradient, layer.weight.grad, alone.",
                _norms_wrong("bias")),
        Mistake("squared norms",
                "The Frobenius norm is the square root of the sum of squares: "
                "np.linalg.norm(layer.weight.grad).",
                _norms_wrong("squared")),
        Mistake("largest entry instead of the norm",
                "Use the Frobenius norm of the whole gradient, np.linalg.norm(G), not "
                "its largest entry.",
                _norms_wrong("max")),
        Mistake("last layer first",
                "Return the norms in the order of model.linears: the first layer (next "
                "to the input) first.",
                _norms_wrong("reversed")),
        Mistake("summed loss instead of the mean",
                "F.cross_entropy(logits, y) averages over the batch; use it as it is.",
                _norms_wrong("sum")),
    ],
    float64=True,
    hint="zero_grad, forward, mean cross-entropy, backward, then "
         "np.linalg.norm(layer.weight.grad) for layer in model.linears "
         '(see chapter 6, "Saturating activations").',
    doc="Return a float64 array of ‖∂L/∂W‖ per Linear layer, first layer first.",
)


# ---------------------------------------------------------------------------
# 6.3 gradient_plots_match() -> (network of curve A, ..., network of curve D)
# ---------------------------------------------------------------------------

# The four networks of the chapter's mystery figure (20 layers, width 64):
# number -> (activation, weight std as a multiple of 1/sqrt(fan_in)).
# Which network drew which curve is the exercise, so no name here holds the
# pairing: ``exercise_curves`` computes it and returns only the curves.
PLOT_NETS = {
    1: ("sigmoid", 1.0),
    2: ("tanh", 1.0),
    3: ("relu", math.sqrt(2.0)),
    4: ("relu", 2.0),
}
_SHUFFLE = 50        # the permutation of the four networks the figure draws


def _gradient_plots_match():
    """The networks of curves A, B, C and D, in that order."""
    order = np.random.default_rng(_SHUFFLE).permutation(len(PLOT_NETS)) + 1
    return tuple(int(n) for n in order)


def exercise_curves():
    """The chapter's mystery figure: {letter: gradient std per layer} of the four
    networks of PLOT_NETS, in a shuffled order (the exercise is to undo it)."""
    from .. import widgets  # matplotlib and ipywidgets only when drawn

    curves = {}
    for letter, number in zip("ABCD", _gradient_plots_match(), strict=True):
        act, gain = PLOT_NETS[number]
        stats = widgets.deep_network_stats(20, 64, act, gain=gain,
                                           rng=np.random.default_rng(0))
        curves[letter] = stats["grad_std"]
    return curves


def _accept_plots(got, expected, case):
    try:
        got = tuple(int(x) for x in got)
    except (TypeError, ValueError):
        return f"return a tuple of four network numbers, one per curve A to D; got {got!r}"
    if len(got) != 4:
        return f"return four network numbers, one per curve A to D; got {len(got)}"
    if sorted(got) != [1, 2, 3, 4]:
        return "each network drew exactly one curve: use each of 1, 2, 3, 4 once"
    right = sum(g == e for g, e in zip(got, expected, strict=True))
    return None if right == 4 else f"{right} of the 4 curves are matched correctly"


def _plots_swap(a, b):
    return lambda: tuple(b if n == a else a if n == b else n
                         for n in _gradient_plots_match())


gradient_plots_match = Exercise(
    id="6.3", name="gradient_plots_match", reference=_gradient_plots_match,
    cases=[Case((), label="four 20-layer networks at initialization")],
    accept=_accept_plots,
    mistakes=[
        Mistake("sigmoid and tanh swapped",
                "Both saturate, but the sigmoid's slope is at most 1/4 while tanh's is "
                "1 at zero: the sigmoid network's gradient falls far faster towards "
                "the first layers.",
                _plots_swap(1, 2)),
        Mistake("He and the too-large ReLU init swapped",
                "With std √2/√n_in (He) the gradient keeps its size through a ReLU "
                "network; with 2/√n_in every layer multiplies it by about √2, so it "
                "grows towards the first layers.",
                _plots_swap(3, 4)),
        Mistake("the ReLU network at He taken for tanh",
                "Both are nearly flat, but tanh with std 1/√n_in still loses a little "
                "per layer (its slope is below 1 away from 0); He's ReLU network keeps "
                "the gradient exactly on average.",
                _plots_swap(2, 3)),
        Mistake("vanishing read as exploding",
                "The first layer is on the left: a curve that is low on the left has "
                "a gradient that vanished on its way back from the output.",
                _plots_swap(1, 4)),
    ],
    hint="Work out the factor per layer of each network: max σ′ times the weights' "
         'scale (see chapter 6, "Initialization that keeps variance"), then find it '
         "as a slope on the log scale.",
    doc="Return the network numbers (1 to 4) of curves A, B, C and D.",
)


# ---------------------------------------------------------------------------
# 6.4 init_stds(n_in, n_out) -> (Glorot std, He std)
# ---------------------------------------------------------------------------


def _init_stds(n_in, n_out):
    """Glorot: Var = 2 / (n_in + n_out); He: Var = 2 / n_in (normal distributions)."""
    return math.sqrt(2.0 / (n_in + n_out)), math.sqrt(2.0 / n_in)


def _stds_random(rng):
    cases = []
    for _ in range(8):
        n_in, n_out = (int(n) for n in rng.integers(1, 1000, 2))
        if n_in == n_out:
            n_out += 1
        cases.append(Case((n_in, n_out), label=f"n_in = {n_in}, n_out = {n_out}"))
    return cases


init_stds = Exercise(
    id="6.4", name="init_stds", reference=_init_stds,
    cases=[
        Case((784, 256), label="n_in = 784, n_out = 256"),
        Case((100, 400), label="n_in = 100, n_out = 400"),
        Case((64, 10), label="n_in = 64, n_out = 10"),
        Case((1, 3), label="n_in = 1, n_out = 3"),
        Case((50, 50), label="n_in = n_out = 50"),
    ],
    random_cases=_stds_random,
    mistakes=[
        Mistake("fan-out used for He",
                "He keeps the forward variance, which sums over the n_in inputs of a "
                "unit: Var(W) = 2 / n_in.",
                lambda n_in, n_out: (math.sqrt(2 / (n_in + n_out)), math.sqrt(2 / n_out))),
        Mistake("variances instead of standard deviations",
                "2/(n_in + n_out) and 2/n_in are variances; the standard deviation is "
                "their square root.",
                lambda n_in, n_out: (2 / (n_in + n_out), 2 / n_in)),
        Mistake("He without the factor 2",
                "ReLU zeroes half of its inputs, so it halves the second moment; He "
                "doubles the variance to make up for it: 2 / n_in.",
                lambda n_in, n_out: (math.sqrt(2 / (n_in + n_out)), math.sqrt(1 / n_in))),
        Mistake("Glorot without the factor 2",
                "Glorot averages the two conditions 1/n_in and 1/n_out through their "
                "harmonic mean: Var = 2 / (n_in + n_out).",
                lambda n_in, n_out: (math.sqrt(1 / (n_in + n_out)), math.sqrt(2 / n_in))),
        Mistake("uniform bounds instead of standard deviations",
                "√(6/(n_in + n_out)) is the bound a of Glorot's uniform U(−a, a); the "
                "normal distribution's standard deviation is √(2/(n_in + n_out)).",
                lambda n_in, n_out: (math.sqrt(6 / (n_in + n_out)), math.sqrt(6 / n_in))),
        Mistake("Glorot and He swapped",
                "Return Glorot's standard deviation first, then He's.",
                lambda n_in, n_out: (math.sqrt(2 / n_in), math.sqrt(2 / (n_in + n_out)))),
    ],
    returns=("glorot_std", "he_std"),
    hint='See chapter 6, "Xavier initialization" and "He initialization".',
    doc="Return (Glorot's std, He's std) for a layer from n_in to n_out units.",
)


# ---------------------------------------------------------------------------
# 6.5 fixed_residual_net(X, width, n_blocks, rng) -> h
# ---------------------------------------------------------------------------


def buggy_residual_net(X, width, n_blocks, rng):
    """A ReLU layer from X's features to ``width`` units, then ``n_blocks`` residual
    blocks h <- h + relu(h W^T), every W He-initialised. Two lines are wrong."""
    n_in = X.shape[1]
    W0 = rng.normal(0.0, np.sqrt(2 / width), size=(width, n_in))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / width), size=(width, width))
        out = h + np.maximum(h @ W.T, 0.0)
        h = h + out
    return h


def _fixed_residual_net(X, width, n_blocks, rng):
    n_in = X.shape[1]
    W0 = rng.normal(0.0, np.sqrt(2 / n_in), size=(width, n_in))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / width), size=(width, width))
        h = h + np.maximum(h @ W.T, 0.0)
    return h


def _resnet_wrong(kind):
    def net(X, width, n_blocks, rng):
        n_in = X.shape[1]
        fan = {"fan-out kept": width, "batch size": X.shape[0]}.get(kind, n_in)
        scale = (lambda var: var) if kind == "variance as std" else np.sqrt
        W0 = rng.normal(0.0, scale(2 / fan), size=(width, n_in))
        h = np.maximum(X @ W0.T, 0.0)
        block_fan = n_in if kind == "n_in in blocks" else width
        for _ in range(n_blocks):
            W = rng.normal(0.0, scale(2 / block_fan), size=(width, width))
            if kind == "skip twice kept":
                h = h + (h + np.maximum(h @ W.T, 0.0))
            elif kind == "relu after the sum":
                h = np.maximum(h + h @ W.T, 0.0)
            elif kind == "no skip":
                h = np.maximum(h @ W.T, 0.0)
            else:
                h = h + np.maximum(h @ W.T, 0.0)
        return h
    return net


def _resnet_case(B, d, width, n_blocks, seed, label):
    X = np.random.default_rng(seed).normal(size=(B, d))
    return Case((X, width, n_blocks, np.random.default_rng(seed + 1)), label=label)


def _resnet_random(rng):
    cases = []
    for _ in range(6):
        B, d, width = (int(n) for n in rng.integers(1, 9, 3))
        if d == width:
            width += 2
        n_blocks = int(rng.integers(1, 5))
        cases.append(_resnet_case(B, d, width, n_blocks, int(rng.integers(10**6)),
                                  f"B = {B}, {d} features, width {width}, "
                                  f"{n_blocks} blocks"))
    return cases


fixed_residual_net = Exercise(
    id="6.5", name="fixed_residual_net", reference=_fixed_residual_net,
    cases=[
        _resnet_case(4, 3, 8, 2, 11, "4 examples, 3 features, width 8, 2 blocks"),
        _resnet_case(5, 12, 4, 3, 12, "5 examples, 12 features, width 4, 3 blocks"),
        _resnet_case(1, 6, 6, 4, 13, "a batch of one, 6 features, width 6, 4 blocks"),
        _resnet_case(3, 2, 5, 0, 14, "no residual blocks, 2 features, width 5"),
    ],
    random_cases=_resnet_random,
    mistakes=[
        Mistake("fan-out kept in the first layer",
                "He's variance is 2 / fan_in, and the first layer's fan-in is the "
                "number of input features, X.shape[1], not the width.",
                _resnet_wrong("fan-out kept")),
        Mistake("skip added twice kept",
                "A block adds its branch to h once: h = h + relu(h Wᵀ). Adding h to a "
                "result that already contains h doubles the signal in every block.",
                _resnet_wrong("skip twice kept")),
        Mistake("activation after the sum",
                "The identity path must stay clean: h + relu(h Wᵀ), not relu(h + h Wᵀ).",
                _resnet_wrong("relu after the sum")),
        Mistake("skip connection removed",
                "Keep the skip: each block returns h + relu(h Wᵀ).",
                _resnet_wrong("no skip")),
        Mistake("the batch size used as the fan-in",
                "X has one example per row: the fan-in of the first layer is the "
                "number of features, X.shape[1], not the number of examples X.shape[0].",
                _resnet_wrong("batch size")),
        Mistake("the input's fan-in used in the blocks too",
                "A block maps width units to width units: its fan-in is width. Only "
                "the first layer's fan-in is X.shape[1].",
                _resnet_wrong("n_in in blocks")),
        Mistake("a variance passed as the standard deviation",
                "rng.normal(0.0, scale, size) takes the standard deviation: "
                "np.sqrt(2 / fan_in), not 2 / fan_in.",
                _resnet_wrong("variance as std")),
    ],
    float64=True,
    hint="Draw the weights in the same order and with the same shapes as buggy_"
         "residual_net; fix only the two wrong lines "
         '(see chapter 6, "Residual connections").',
    doc="buggy_residual_net with its two bugs fixed.",
)


# ---------------------------------------------------------------------------
# 6.6 batch_norm_backward(x, gamma, dy, eps) -> (dx, dgamma, dbeta)
# ---------------------------------------------------------------------------


def _batch_norm_backward(x, gamma, dy, eps=1e-5):
    """Training mode, x of shape (B, C): the backward pass of
    y = (x - mean) / sqrt(var + eps) * gamma + beta, batch statistics, var biased."""
    mean = x.mean(axis=0)
    s = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mean) / s
    d_hat = dy * gamma
    dx = (d_hat - d_hat.mean(axis=0) - x_hat * (d_hat * x_hat).mean(axis=0)) / s
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def _bn_wrong(kind):
    def backward(x, gamma, dy, eps=1e-5):
        B = x.shape[0]
        if kind == "eps fixed":
            eps = 1e-5
        mean = x.mean(axis=0)
        var = x.var(axis=0, ddof=1) if kind == "unbiased" else x.var(axis=0)
        s = np.sqrt(var) + eps if kind == "eps outside" else np.sqrt(var + eps)
        x_hat = (x - mean) / s
        d_hat = dy if kind == "no gamma" else dy * gamma
        if kind == "constants":
            dx = d_hat / s
        elif kind == "no variance path":
            dx = (d_hat - d_hat.mean(axis=0)) / s
        elif kind == "no mean path":
            dx = (d_hat - x_hat * (d_hat * x_hat).mean(axis=0)) / s
        elif kind == "unbiased":
            dx = (d_hat - d_hat.mean(axis=0)
                  - x_hat * (d_hat * x_hat).sum(axis=0) / (B - 1)) / s
        else:
            dx = (d_hat - d_hat.mean(axis=0) - x_hat * (d_hat * x_hat).mean(axis=0)) / s
        dgamma = (dy * x).sum(axis=0) if kind == "dgamma from x" else (dy * x_hat).sum(axis=0)
        dbeta = dy.mean(axis=0) if kind == "dbeta mean" else dy.sum(axis=0)
        return dx, dgamma, dbeta
    return backward


def _bn_case(B, C, seed, label, eps=None, scale=1.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, C)) * scale + rng.normal(size=C)
    gamma = rng.uniform(0.5, 2.0, C) * rng.choice([-1.0, 1.0], C)
    dy = rng.normal(size=(B, C))
    return Case((x, gamma, dy), {} if eps is None else {"eps": eps}, label=label)


def _bn_random(rng):
    cases = []
    for _ in range(8):
        B, C = int(rng.integers(2, 9)), int(rng.integers(1, 6))
        cases.append(_bn_case(B, C, int(rng.integers(10**6)), f"B = {B}, C = {C}",
                              scale=float(rng.uniform(0.3, 3.0))))
    return cases


batch_norm_backward = Exercise(
    id="6.6", name="batch_norm_backward", reference=_batch_norm_backward,
    cases=[
        _bn_case(4, 3, 21, "B = 4, C = 3"),
        _bn_case(2, 2, 22, "a batch of two (the smallest batch normalization accepts)"),
        _bn_case(6, 1, 23, "one channel, B = 6, eps = 0.1", eps=0.1),
        _bn_case(5, 4, 24, "B = 5, C = 4, inputs of scale 10", scale=10.0),
    ],
    random_cases=_bn_random,
    mistakes=[
        Mistake("mean and variance treated as constants",
                "The batch's mean and variance depend on every x in the batch: the "
                "gradient has two more terms, −mean(dx̂) and −x̂·mean(dx̂·x̂).",
                _bn_wrong("constants")),
        Mistake("the path through the variance missing",
                "The variance depends on x too: subtract x̂·mean(dx̂·x̂) as well.",
                _bn_wrong("no variance path")),
        Mistake("the path through the mean missing",
                "The mean depends on every x: subtract mean(dx̂) as well.",
                _bn_wrong("no mean path")),
        Mistake("the unbiased variance used",
                "Training mode normalizes with the biased variance (divide by B); only "
                "the running average stores the unbiased one.",
                _bn_wrong("unbiased")),
        Mistake("gamma left out of dx",
                "y = γ x̂ + β, so ∂L/∂x̂ = γ · ∂L/∂y before it goes back through the "
                "normalization.",
                _bn_wrong("no gamma")),
        Mistake("dgamma from x instead of x_hat",
                "γ multiplies the normalized x̂: ∂L/∂γ = Σ over the batch of dy · x̂.",
                _bn_wrong("dgamma from x")),
        Mistake("dbeta averaged over the batch",
                "β is added to every row, so its gradient is the sum over the batch.",
                _bn_wrong("dbeta mean")),
        Mistake("eps outside the square root",
                "Batch normalization adds eps to the variance, inside the square root: "
                "s = √(var + eps), not √var + eps (Adam's ε is the one outside).",
                _bn_wrong("eps outside")),
        Mistake("the eps argument ignored",
                "Use the eps your function is given; 1e-5 is only its default.",
                _bn_wrong("eps fixed")),
    ],
    returns=("dx", "dgamma", "dbeta"),
    float64=True,
    hint='Follow the derivation in chapter 6, "Normalization", term by term.',
    doc="Return (dx, dgamma, dbeta) for a batch x of shape (B, C) in training mode.",
)


# ---------------------------------------------------------------------------
# 6.7 clip_global_norm(grads, max_norm) -> (clipped, norm)
# ---------------------------------------------------------------------------


def _clip_global_norm(grads, max_norm):
    """g <- g · min(1, max_norm / (‖g‖ + 1e-6)) with ‖g‖ over every array at once."""
    clipped, norm = clip.clip_by_norm(list(grads), max_norm)
    return list(clipped), norm


def _clip_wrong(kind):
    def clip(grads, max_norm):
        norms = [float(np.sqrt(np.sum(g**2))) for g in grads]
        total = sum(norms) if kind == "sum of norms" else math.sqrt(sum(n**2 for n in norms))
        if kind == "per tensor":
            return [g * min(1.0, max_norm / (n + 1e-6)) for g, n in zip(grads, norms,
                                                                       strict=True)], total
        if kind == "by value":
            return [np.clip(g, -max_norm, max_norm) for g in grads], total
        if kind == "always":
            scale = max_norm / (total + 1e-6)
        elif kind == "no guard":
            scale = min(1.0, max_norm / total) if total > 0 else 1.0
        else:
            scale = min(1.0, max_norm / (total + 1e-6))
        out = [g * scale for g in grads]
        if kind == "norm after":
            total = math.sqrt(sum(float(np.sum(g**2)) for g in out))
        return out, total
    return clip


def _clip_case(shapes, scale, max_norm, seed, label):
    rng = np.random.default_rng(seed)
    return Case(([rng.normal(size=s) * scale for s in shapes], max_norm), label=label)


def _clip_random(rng):
    cases = []
    for _ in range(8):
        shapes = [tuple(int(n) for n in rng.integers(1, 5, int(rng.integers(1, 3))))
                  for _ in range(int(rng.integers(1, 4)))]
        cases.append(_clip_case(shapes, float(10 ** rng.uniform(-1, 1.5)),
                                float(rng.uniform(0.5, 5.0)), int(rng.integers(10**6)),
                                f"{len(shapes)} arrays of shapes {shapes}"))
    return cases


clip_global_norm = Exercise(
    id="6.7", name="clip_global_norm", reference=_clip_global_norm,
    cases=[
        _clip_case([(3, 2), (3,)], 5.0, 1.0, 31, "a weight and a bias, norm above 1"),
        _clip_case([(4,), (2, 2)], 0.1, 1.0, 32, "norm below max_norm: unchanged"),
        _clip_case([(2, 3)], 1.0, 0.5, 33, "a single array"),
        Case(([np.zeros((2, 2)), np.zeros(3)], 1.0), label="all-zero gradients"),
        _clip_case([(5,), (1, 5), (2,)], 0.004, 0.001, 34,
                   "a tiny norm, 0.01, clipped to 0.001"),
    ],
    random_cases=_clip_random,
    mistakes=[
        Mistake("each array clipped by its own norm",
                "Clipping by the global norm scales every array by the same factor, "
                "computed from the norm of all of them together.",
                _clip_wrong("per tensor")),
        Mistake("clipped by value",
                "Clip by the norm: multiply every entry by one factor; clamping entries "
                "changes the gradient's direction.",
                _clip_wrong("by value")),
        Mistake("scaled even below max_norm",
                "A gradient whose norm is already below max_norm stays as it is: the "
                "factor is min(1, max_norm / (norm + 1e-6)).",
                _clip_wrong("always")),
        Mistake("the norm as a sum of norms",
                "The global norm is the norm of all entries together: the square root "
                "of the sum of the squared norms, not the sum of the norms.",
                _clip_wrong("sum of norms")),
        Mistake("the norm after clipping returned",
                "Return the norm before clipping (as torch.nn.utils.clip_grad_norm_ "
                "does): it is what you log to see how large the gradients were.",
                _clip_wrong("norm after")),
        Mistake("1e-6 left out of the factor",
                "Divide by norm + 1e-6, as PyTorch does; it matters when the norm is "
                "small.",
                _clip_wrong("no guard")),
    ],
    returns=("clipped", "norm"),
    float64=True,
    hint='See chapter 6, "Clipping by norm": one norm over all arrays, one factor.',
    doc="Return (list of clipped arrays, the global norm before clipping).",
)
