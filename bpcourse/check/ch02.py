"""Checks for chapter 2, "Backpropagation through a network".

Seven exercises. Each declares its reference (written here in plain numpy,
straight from the chapter's equations, and tested against PyTorch), fixed
cases, seeded random cases, and the known mistakes the check recognises:

2.1 ``linear_backward``        a linear layer's backward pass for a batch
2.2 ``ce_grad_by_hand``        one entry of (Y_hat - Y)/B, computed by hand
2.3 ``softmax_cross_entropy``  the mean loss and its gradient (Y_hat - Y)/B
2.4 ``mlp_backward``           the full backward pass of a tanh MLP
2.5 ``numerical_gradient``     a central-difference gradient checker
2.6 ``fixed_grads``            debug: a transposed weight gradient, a missing 1/B
2.7 ``memory_prediction``      predict-then-run: activations against batch size

Weights in the cases are square wherever a transposed matrix would otherwise
only give a wrong *shape*: then the mistake gives wrong *values*, and the
check can name it instead of reporting a shape.

Messages point to the chapter's sections by their headings, never by equation
labels, which a learner does not see on the page.
"""

import numpy as np

from ._core import Case, Exercise, Mistake, accept_hidden_number

# Where the chapter teaches what a hint asks for: its headings, as the learner sees them.
_SEE_LINEAR = '(see chapter 2, "The gradient of a linear layer, for a batch")'
_SEE_MEAN = '(see chapter 2, "The loss: a mean over the batch, and softmax with cross-entropy")'
_SEE_SOFTMAX = '(see chapter 2, "Softmax and cross-entropy")'
_SEE_DIFFERENCES = '(see chapter 2, "Finite differences")'

# ---------------------------------------------------------------------------
# Shared pieces: softmax and one-hot, as the chapter writes them
# ---------------------------------------------------------------------------


def _log_softmax(Z, axis=1):
    Zs = Z - Z.max(axis=axis, keepdims=True)
    return Zs - np.log(np.exp(Zs).sum(axis=axis, keepdims=True))


def _one_hot(y, K):
    return np.eye(K)[y]


def _mlp_forward(X, weights, biases, act=np.tanh):
    """Activations A[0] = X, ..., A[D-1] and the logits: the MLP's forward pass."""
    A = [X]
    for W, b in zip(weights[:-1], biases[:-1], strict=True):
        A.append(act(A[-1] @ W.T + b))
    return A, A[-1] @ weights[-1].T + biases[-1]


# ---------------------------------------------------------------------------
# 2.1 linear_backward(X, W, dZ) -> (dX, dW, db)
# ---------------------------------------------------------------------------


def _linear_backward(X, W, dZ):
    """dX = dZ W, dW = dZ^T X, db = dZ^T 1: the linear layer's backward pass."""
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _linear_cases(rng):
    cases = []
    for B, n in [(2, 2), (7, 4), (1, 5), (16, 6)]:
        cases.append(Case((rng.normal(size=(B, n)), rng.normal(size=(n, n)),
                           rng.normal(size=(B, n))), label=f"batch {B}, {n} in, {n} out"))
    return cases


linear_backward = Exercise(
    id="2.1", name="linear_backward", reference=_linear_backward,
    cases=[
        Case((np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
              np.array([[1.0, -1.0], [2.0, 0.5]]),
              np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])),
             label="a batch of 3, a 2x2 weight, small integers"),
        Case((np.array([[0.5, -1.0, 2.0]]), np.array([[1.0, 0.0, -2.0], [0.5, 1.0, 1.0],
                                                      [0.0, 3.0, 1.0]]),
              np.array([[1.0, -2.0, 0.5]])),
             label="one example: dW is the outer product of delta and x"),
    ],
    random_cases=_linear_cases,
    returns=("dX", "dW", "db"),
    mistakes=[
        Mistake("dW transposed",
                "X.T @ dZ has shape (n, m), the transpose of dW: for a square weight "
                f"the shapes match and the values are wrong. dW is dZ.T @ X {_SEE_LINEAR}.",
                lambda X, W, dZ: (dZ @ W, X.T @ dZ, dZ.sum(axis=0))),
        Mistake("dX through the transposed weight",
                "The forward pass multiplied by W.T, so the backward pass multiplies "
                f"by W: dX = dZ @ W, not dZ @ W.T {_SEE_LINEAR}.",
                lambda X, W, dZ: (dZ @ W.T, dZ.T @ X, dZ.sum(axis=0))),
        Mistake("bias gradient averaged",
                "The bias is broadcast to every row, so its gradient is the sum of the "
                f"rows of dZ, not their mean {_SEE_LINEAR}: any 1/B is already inside dZ.",
                lambda X, W, dZ: (dZ @ W, dZ.T @ X, dZ.mean(axis=0))),
        Mistake("an extra 1/B",
                f"dZ already holds the loss's 1/B {_SEE_MEAN}; dividing the weight and "
                "bias gradients by the batch size again counts it twice.",
                lambda X, W, dZ: (dZ @ W, dZ.T @ X / len(X), dZ.sum(axis=0) / len(X))),
        Mistake("bias gradient not summed",
                "db must have the bias's shape (m,): sum dZ over the batch axis, "
                "dZ.sum(axis=0). Taking one row (dZ[0]) keeps only the first example.",
                lambda X, W, dZ: (dZ @ W, dZ.T @ X, dZ[0])),
    ],
    doc="dX, dW, db of Z = X W^T + b for a batch.",
)


# ---------------------------------------------------------------------------
# 2.2 ce_grad_by_hand() -> float
# ---------------------------------------------------------------------------


def _ce_grad_by_hand():
    """dL/dZ[0, 0] = (p_0 - y_0) / B with p = (0.7, 0.2, 0.1), label 0, B = 4."""
    return (0.7 - 1.0) / 4


_accept_number = accept_hidden_number(
    "dL/dZ[0, 0]",
    f"Redo it with (Y_hat - Y)/B {_SEE_SOFTMAX}: the probability, minus the one-hot "
    "label, then the mean's factor.")


ce_grad_by_hand = Exercise(
    id="2.2", name="ce_grad_by_hand", reference=_ce_grad_by_hand,
    cases=[Case((), label="p = (0.7, 0.2, 0.1), label 0, B = 4")],
    accept=_accept_number,
    mistakes=[
        Mistake("the 1/B of the mean is missing",
                "-0.3 is the gradient of one example's loss. The loss is the mean over "
                f"B = 4 examples {_SEE_MEAN}, so each entry is divided by 4.",
                lambda: 0.7 - 1.0),
        Mistake("the sign is flipped",
                "The gradient is p - y, not y - p: raising the true class's logit "
                "lowers the loss, so its derivative is negative.",
                lambda: (1.0 - 0.7) / 4),
        Mistake("the one-hot label is not subtracted",
                "0.7 / 4 is p / B. The true class's entry also gets -1 from the "
                f"-z_y term of the loss {_SEE_SOFTMAX}.",
                lambda: 0.7 / 4),
        Mistake("divided by the number of classes",
                "The mean is over the B = 4 examples of the batch, not the K = 3 classes.",
                lambda: (0.7 - 1.0) / 3),
        Mistake("the derivative of log p instead of the loss",
                "-1/p_y is the derivative of the loss with respect to p_y, not to the "
                "logit z_0: the softmax's own derivative p_y(1 - p_y) must follow.",
                lambda: -1.0 / 0.7 / 4),
    ],
    doc="Return the number you computed by hand.",
)


# ---------------------------------------------------------------------------
# 2.3 softmax_cross_entropy(Z, y) -> (L, dZ)
# ---------------------------------------------------------------------------


def _softmax_cross_entropy(Z, y):
    """L = mean_i -log p_{i, y_i} and dZ = (Y_hat - Y)/B: mean softmax-cross-entropy."""
    B, K = Z.shape
    log_P = _log_softmax(Z)
    return float(-log_P[np.arange(B), y].mean()), (np.exp(log_P) - _one_hot(y, K)) / B


def _ce_mistake(dz=None, loss=None, axis=1):
    def wrong(Z, y):
        B, K = Z.shape
        log_P = _log_softmax(Z, axis=axis)
        P, Y = np.exp(log_P), _one_hot(y, K)
        L = float(-log_P[np.arange(B), y].mean()) if loss is None else loss(log_P, y)
        return L, (P - Y) / B if dz is None else dz(P, Y, B)
    return wrong


def _ce_unstable(Z, y):
    B, K = Z.shape
    with np.errstate(all="ignore"):
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        return float(-np.log(P[np.arange(B), y]).mean()), (P - _one_hot(y, K)) / B


def _ce_cases(rng):
    cases = []
    for B, K, scale in [(5, 3, 1.0), (8, 4, 4.0), (3, 3, 0.1), (12, 5, 2.0)]:
        cases.append(Case((rng.normal(size=(B, K)) * scale, rng.integers(0, K, size=B)),
                          label=f"{B} examples, {K} classes"))
    return cases


softmax_cross_entropy = Exercise(
    id="2.3", name="softmax_cross_entropy", reference=_softmax_cross_entropy,
    cases=[
        Case((np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0],
                        [1.0, -1.0, 3.0]]), np.array([0, 1, 2, 2])),
             label="4 examples, 3 classes"),
        Case((np.array([[1000.0, 0.0, -1000.0], [3.0, 1002.0, 1001.0]]), np.array([0, 2])),
             label="logits near 1000: exp overflows unless the row maximum is subtracted"),
    ],
    random_cases=_ce_cases,
    returns=("L", "dZ"),
    mistakes=[
        Mistake("the 1/B of the mean is missing",
                "Y_hat - Y is the gradient of the *sum* of the losses. The loss is their mean "
                f"{_SEE_MEAN}, so dZ = (Y_hat - Y) / B.",
                _ce_mistake(dz=lambda P, Y, B: P - Y)),
        Mistake("the sign is flipped",
                f"The gradient is Y_hat - Y, not Y - Y_hat {_SEE_SOFTMAX}.",
                _ce_mistake(dz=lambda P, Y, B: (Y - P) / B)),
        Mistake("the one-hot labels are not subtracted",
                "P / B is the derivative of log-sum-exp alone; the -z_y term of the loss "
                "contributes -1 at the true class: dZ = (Y_hat - Y) / B.",
                _ce_mistake(dz=lambda P, Y, B: P / B)),
        Mistake("softmax over the wrong axis",
                "Each example (row) has its own softmax over its K classes: normalise "
                "along axis=1, with keepdims=True.",
                _ce_mistake(axis=0)),
        Mistake("exp overflows: the row maximum is not subtracted",
                "np.exp(1000) is inf, and inf / inf is NaN. Softmax does not change when a "
                "constant is added to a row: compute Z - Z.max(axis=1, keepdims=True) "
                "(a new array) first.",
                _ce_unstable),
        Mistake("the loss is summed, not averaged",
                "The loss is the mean over the batch: divide the sum of -log p by B.",
                _ce_mistake(loss=lambda log_P, y: float(-log_P[np.arange(len(y)), y].sum()))),
    ],
    doc="Mean softmax-cross-entropy and its gradient (Y_hat - Y)/B.",
)


# ---------------------------------------------------------------------------
# 2.4 mlp_backward(X, y, weights, biases) -> (L, dWs, dbs)
# ---------------------------------------------------------------------------


def _mlp_backward(X, y, weights, biases, deriv=lambda Z, A: 1 - A**2, through_T=False,
                  inv_B=True, out_act=False):
    """(BP1)-(BP4) for a tanh MLP; the keyword arguments make the known mistakes."""
    A = [X]
    Zs = []
    for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
        Z = A[-1] @ W.T + b
        Zs.append(Z)
        if l < len(weights) - 1 or out_act:
            A.append(np.tanh(Z))
        else:
            A.append(Z)
    B, K = A[-1].shape
    log_P = _log_softmax(A[-1])
    L = float(-log_P[np.arange(B), y].mean())
    delta = (np.exp(log_P) - _one_hot(y, K)) / (B if inv_B else 1)       # (BP1)
    if out_act:
        delta = delta * (1 - A[-1] ** 2)
    dWs, dbs = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        dWs[l] = delta.T @ A[l]                                           # (BP3)
        dbs[l] = delta.sum(axis=0)                                        # (BP4)
        if l > 0:
            W = weights[l].T if through_T else weights[l]
            delta = (delta @ W) * deriv(Zs[l - 1], A[l])                 # (BP2)
    return L, dWs, dbs


def _reference_mlp_backward(X, y, weights, biases):
    """Loss and gradients of a tanh MLP with a mean softmax-cross-entropy output."""
    return _mlp_backward(X, y, weights, biases)


def _mlp_case(rng, B, width, depth, label):
    weights = [rng.normal(size=(width, width)) / np.sqrt(width) for _ in range(depth)]
    biases = [rng.normal(size=width) * 0.5 for _ in range(depth)]
    X = rng.normal(size=(B, width))
    y = rng.integers(0, width, size=B)
    return Case((X, y, weights, biases), label=label)


def _mlp_cases(rng):
    return [_mlp_case(rng, B, w, d, f"batch {B}, {d} layers of width {w}")
            for B, w, d in [(6, 3, 2), (9, 4, 3), (4, 5, 4), (20, 3, 5)]]


mlp_backward = Exercise(
    id="2.4", name="mlp_backward", reference=_reference_mlp_backward,
    cases=[_mlp_case(np.random.default_rng(2), 5, 3, 3, "batch 5, 3 layers of width 3"),
           _mlp_case(np.random.default_rng(3), 1, 2, 2, "one example, 2 layers of width 2"),
           _mlp_case(np.random.default_rng(4), 8, 4, 1, "a single layer: softmax regression")],
    random_cases=_mlp_cases,
    returns=("L", "dWs", "dbs"),
    mistakes=[
        Mistake("tanh' computed from Z instead of A",
                "tanh'(Z) = 1 - tanh(Z)**2 = 1 - A**2, with A the layer's output; "
                "1 - Z**2 is a different function.",
                lambda X, y, W, b: _mlp_backward(X, y, W, b, deriv=lambda Z, A: 1 - Z**2)),
        Mistake("the activation's derivative is missing",
                "(BP2) multiplies delta @ W entry-wise by σ'(Z) of the layer below: "
                "the error must pass back through the tanh as well as the weights.",
                lambda X, y, W, b: _mlp_backward(X, y, W, b, deriv=lambda Z, A: 1.0)),
        Mistake("the error sent back through W.T",
                f"Going down, delta @ W {_SEE_LINEAR}: the forward pass used W.T, the "
                "backward pass uses W. With square weights both have the right shape, so "
                "only the values show the mistake.",
                lambda X, y, W, b: _mlp_backward(X, y, W, b, through_T=True)),
        Mistake("the 1/B of the mean is missing",
                "(BP1) is (Y_hat - Y) / B: the mean over the batch puts 1/B into every "
                "gradient.",
                lambda X, y, W, b: _mlp_backward(X, y, W, b, inv_B=False)),
        Mistake("tanh applied to the output layer",
                "The last layer's output is the logits, with no activation: softmax "
                "comes straight after the last linear layer.",
                lambda X, y, W, b: _mlp_backward(X, y, W, b, out_act=True)),
    ],
    doc="Loss and gradients of a tanh MLP of any depth.",
)


# ---------------------------------------------------------------------------
# 2.5 numerical_gradient(f, theta, h=1e-5) -> array shaped like theta
# ---------------------------------------------------------------------------


def _difference(f, theta, h, kind):
    t = np.array(theta, dtype=float)
    g = np.zeros_like(t)
    f0 = f(t.copy()) if kind in ("forward", "backward") else None
    for i in np.ndindex(t.shape):
        old = t[i]
        t[i] = old + h
        f_plus = f(t.copy())
        t[i] = old - h
        f_minus = f(t.copy())
        if kind != "not restored":
            t[i] = old
        if kind == "forward":
            g[i] = (f_plus - f0) / h
        elif kind == "backward":
            g[i] = (f0 - f_minus) / h
        elif kind == "over h":
            g[i] = (f_plus - f_minus) / h
        else:
            g[i] = (f_plus - f_minus) / (2 * h)
    return g


def _numerical_gradient(f, theta, h=1e-5):
    """Central differences: (f(theta + h e_i) - f(theta - h e_i)) / 2h."""
    return _difference(f, theta, h, "central")


def _all_at_once(f, theta, h=1e-5):
    t = np.array(theta, dtype=float)
    return np.full_like(t, (f(t + h) - f(t - h)) / (2 * h))


class _Fn:
    """A test function with a readable name in the report, e.g. ``f(t) = sum(t**3)``."""

    def __init__(self, text, fn):
        self.text, self.fn = text, fn

    def __call__(self, t):
        return self.fn(np.asarray(t, dtype=float))

    def __repr__(self):
        return f"<f(t) = {self.text}>"

    def __deepcopy__(self, memo):
        return self


_CUBE = _Fn("sum(t**3)", lambda t: float(np.sum(t**3)))
_MIXED = _Fn("sum(sin(3t)) + t[0]*t[-1] + 0.5*sum(t**2)**2",
             lambda t: float(np.sin(3 * t).sum() + t.flat[0] * t.flat[-1]
                             + 0.5 * np.sum(t**2) ** 2))
_LOSS = _Fn("softmax-cross-entropy of a 4x3 logit matrix t, labels (0, 2, 1, 1)",
            lambda t: _softmax_cross_entropy(t.reshape(4, 3), np.array([0, 2, 1, 1]))[0])


def _numgrad_cases(rng):
    return [Case((_MIXED, rng.normal(size=shape)), {"h": h}, label=f"shape {shape}, h = {h:g}")
            for shape, h in [((5,), 1e-5), ((2, 3), 1e-4), ((3, 2, 2), 1e-5)]]


numerical_gradient = Exercise(
    id="2.5", name="numerical_gradient", reference=_numerical_gradient,
    cases=[
        Case((_CUBE, np.array([1.0, -2.0, 0.5])), label="f = sum(t**3) at (1, -2, 0.5)"),
        Case((_CUBE, np.array([2.0, 1.0])), {"h": 1e-3}, label="h = 1e-3 given"),
        Case((_MIXED, np.array([[0.3, -0.7], [1.1, 0.2]])), label="a 2x2 theta"),
        Case((_LOSS, np.linspace(-2, 2, 12).reshape(4, 3)), {"h": 1e-4},
             label="a loss of 12 logits"),
    ],
    random_cases=_numgrad_cases,
    mistakes=[
        Mistake("forward difference",
                f"(f(theta + h e_i) - f(theta)) / h has error about h f''/2 {_SEE_DIFFERENCES}. "
                "Use the central difference (f(theta + h e_i) - f(theta - h e_i)) / 2h.",
                lambda f, theta, h=1e-5: _difference(f, theta, h, "forward")),
        Mistake("backward difference",
                "(f(theta) - f(theta - h e_i)) / h is one-sided, with error about h f''/2. "
                "Use both sides: (f(theta + h e_i) - f(theta - h e_i)) / 2h.",
                lambda f, theta, h=1e-5: _difference(f, theta, h, "backward")),
        Mistake("divided by h instead of 2h",
                "theta + h e_i and theta - h e_i are 2h apart: divide the difference by 2h.",
                lambda f, theta, h=1e-5: _difference(f, theta, h, "over h")),
        Mistake("theta_i not put back",
                "After evaluating f at theta_i - h, set theta_i back to its old value; "
                "otherwise every later entry is measured at a shifted point.",
                lambda f, theta, h=1e-5: _difference(f, theta, h, "not restored")),
        Mistake("every entry perturbed at once",
                "theta + h moves all entries together and measures a directional "
                "derivative. Perturb one entry at a time: theta + h e_i, with e_i the "
                "i-th unit vector.",
                _all_at_once),
    ],
    doc="Central-difference gradient of f at theta.",
)


# ---------------------------------------------------------------------------
# 2.6 fixed_grads(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)
# ---------------------------------------------------------------------------


def _relu_net_grads(X, y, W1, b1, W2, b2, inv_B=True, transposed=False, twice=False,
                    late_B=False):
    B = X.shape[0]
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    log_P = _log_softmax(A1 @ W2.T + b2)
    d2 = (np.exp(log_P) - _one_hot(y, W2.shape[0])) / (B if inv_B else 1)
    d1 = (d2 @ W2) * (Z1 > 0)
    dW1 = X.T @ d1 if transposed else d1.T @ X
    grads = [dW1, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)]
    if twice:
        grads = [g / B for g in grads]
    if late_B:
        grads[2], grads[3] = grads[2] / B, grads[3] / B
    return tuple(grads)


def _fixed_grads(X, y, W1, b1, W2, b2):
    """Gradients of a one-hidden-layer ReLU network, (BP1)-(BP4)."""
    return _relu_net_grads(X, y, W1, b1, W2, b2)


def _debug_cases(rng):
    cases = []
    for B, n, K in [(10, 4, 3), (5, 3, 3), (12, 6, 2)]:
        cases.append(Case((rng.normal(size=(B, n)), rng.integers(0, K, size=B),
                           rng.normal(size=(n, n)), rng.normal(size=n) * 0.1,
                           rng.normal(size=(K, n)), rng.normal(size=K) * 0.1),
                          label=f"batch {B}, {n} inputs, {n} hidden, {K} classes"))
    return cases


fixed_grads = Exercise(
    id="2.6", name="fixed_grads", reference=_fixed_grads,
    cases=_debug_cases(np.random.default_rng(1))[:1],
    random_cases=_debug_cases,
    returns=("dW1", "db1", "dW2", "db2"),
    mistakes=[
        Mistake("both bugs still there",
                "This is what buggy_grads returns. Three gradients are B times too large, "
                "and dW1 is transposed.",
                lambda *a: _relu_net_grads(*a, inv_B=False, transposed=True)),
        Mistake("dW1 is still transposed",
                "The 1/B is fixed; now compare dW1 = X.T @ d1 with (BP3), delta^T A: "
                "it is the transpose, with the right shape only because W1 is square.",
                lambda *a: _relu_net_grads(*a, transposed=True)),
        Mistake("the 1/B is still missing",
                "dW1 is fixed; the other gradients are still exactly B times too large. "
                "(BP1): the error at the output is (Y_hat - Y) / B.",
                lambda *a: _relu_net_grads(*a, inv_B=False)),
        Mistake("1/B applied twice",
                "Divide once, in (BP1): d2 = (Y_hat - Y) / B. Every gradient below inherits it; "
                "dividing the gradients by B again makes them B times too small.",
                lambda *a: _relu_net_grads(*a, twice=True)),
        Mistake("1/B applied to dW2 and db2 only",
                "Dividing the last layer's gradients by B leaves d1, and so dW1 and db1, "
                "B times too large. Put the 1/B into d2 itself, before d1 is computed.",
                lambda *a: _relu_net_grads(*a, inv_B=False, late_B=True)),
    ],
    doc="buggy_grads with its two bugs fixed.",
)


# ---------------------------------------------------------------------------
# 2.7 memory_prediction() -> "a" | "b" | "c" | "d"
# ---------------------------------------------------------------------------


def _memory_prediction():
    """Doubling the batch about doubles the activations kept for the backward pass."""
    return "b"


def _accept_choice(got, expected, case):
    """Accept the letter in either case, with or without brackets; never show the answer."""
    letter = str(got).strip().strip("()").lower()
    if letter not in ("a", "b", "c", "d"):
        return f"answer with one letter, \"a\", \"b\", \"c\" or \"d\"; got {got!r}"
    return None if letter == expected else f"({letter}) is not what happens."


memory_prediction = Exercise(
    id="2.7", name="memory_prediction", reference=_memory_prediction,
    cases=[Case((), label="batch 256 -> 512, same network")],
    accept=_accept_choice,
    mistakes=[
        Mistake("(a) the same",
                "The weights do not change, but the activations do: the forward pass "
                "keeps one row per example in every layer.",
                lambda: "a"),
        Mistake("(c) quadruple",
                "Nothing stored grows with the square of the batch: each layer keeps a "
                "B x n_l array, linear in B.",
                lambda: "c"),
        Mistake("(d) halve",
                "The loss is a mean, but the activations of every example must be kept "
                "to compute its share of the gradient.",
                lambda: "d"),
    ],
    doc='Return "a", "b", "c" or "d".',
)
