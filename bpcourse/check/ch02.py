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

# What a pass means: float64=True (relative error ≤ 1e-9, which float32 rounding,
# about 3e-8, cannot meet); the chapter computes in float64.

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


# ---------------------------------------------------------------------------
# 2.1 linear_backward(X, W, dZ) -> (dX, dW, db)
# ---------------------------------------------------------------------------


def _linear_backward(X, W, dZ):
    """dX = dZ W, dW = dZ^T X, db = dZ^T 1: the linear layer's backward pass."""
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _linear_dw_transposed(X, W, dZ):
    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)


def _linear_dx_through_wt(X, W, dZ):
    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)


def _linear_db_mean(X, W, dZ):
    return dZ @ W, dZ.T @ X, dZ.mean(axis=0)


def _linear_extra_inv_b(X, W, dZ):
    return dZ @ W, dZ.T @ X / len(X), dZ.sum(axis=0) / len(X)


def _linear_db_first_row(X, W, dZ):
    return dZ @ W, dZ.T @ X, dZ[0]


def _linear_cases(rng):
    cases = []
    for B, n in [(2, 2), (7, 4), (1, 5), (16, 6)]:
        cases.append(Case((rng.normal(size=(B, n)), rng.normal(size=(n, n)),
                           rng.normal(size=(B, n))), label=f"batch {B}, {n} in, {n} out"))
    return cases


_LINEAR_RECTANGULAR = Case(
    (np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5], [0.0, -2.0, 1.0], [1.5, 1.0, 1.0]]),
     np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -0.5]]),
     np.array([[1.0, -1.0], [0.5, 0.0], [-2.0, 1.0], [0.0, 0.5]])),
    label="4 examples, 3 inputs, 2 outputs: dX is (4, 3) like X, not (4, 2) like dZ")

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
        Case((np.array([[2.0]]), np.array([[-3.0]]), np.array([[0.5]])),
             label="one example, one input, one output: every array is 1x1"),
    ],
    # last, after the square cases that let a transposed product be named by its values
    random_cases=lambda rng: [*_linear_cases(rng), _LINEAR_RECTANGULAR],
    float64=True,
    returns=("dX", "dW", "db"),
    mistakes=[
        Mistake("dW transposed",
                "X.T @ dZ has shape (n, m), the transpose of dW: for a square weight "
                f"the shapes match and the values are wrong. dW is dZ.T @ X {_SEE_LINEAR}.",
                _linear_dw_transposed),
        Mistake("dX through the transposed weight",
                "The forward pass multiplied by W.T, so the backward pass multiplies "
                f"by W: dX = dZ @ W, not dZ @ W.T {_SEE_LINEAR}.",
                _linear_dx_through_wt),
        Mistake("bias gradient averaged",
                "The bias is broadcast to every row, so its gradient is the sum of the "
                f"rows of dZ, not their mean {_SEE_LINEAR}: any 1/B is already inside dZ.",
                _linear_db_mean),
        Mistake("an extra 1/B",
                f"dZ already holds the loss's 1/B {_SEE_MEAN}; dividing the weight and "
                "bias gradients by the batch size again counts it twice.",
                _linear_extra_inv_b),
        Mistake("bias gradient not summed",
                "db must have the bias's shape (m,): sum dZ over the batch axis, "
                "dZ.sum(axis=0). Taking one row (dZ[0]) keeps only the first example.",
                _linear_db_first_row),
    ],
    doc="dX, dW, db of Z = X W^T + b for a batch.",
)


# ---------------------------------------------------------------------------
# 2.2 ce_grad_by_hand() -> float
# ---------------------------------------------------------------------------


def _ce_grad_by_hand():
    """dL/dZ[0, 0] = (p_0 - y_0) / B with p = (0.7, 0.2, 0.1), label 0, B = 4."""
    return (0.7 - 1.0) / 4


def _hand_no_mean():
    return 0.7 - 1.0


def _hand_sign():
    return (1.0 - 0.7) / 4


def _hand_no_onehot():
    return 0.7 / 4


def _hand_over_k():
    return (0.7 - 1.0) / 3


def _hand_dlogp():
    return -1.0 / 0.7 / 4


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
                _hand_no_mean),
        Mistake("the sign is flipped",
                "The gradient is p - y, not y - p: raising the true class's logit "
                "lowers the loss, so its derivative is negative.",
                _hand_sign),
        Mistake("the one-hot label is not subtracted",
                "0.7 / 4 is p / B. The true class's entry also gets -1 from the "
                f"-z_y term of the loss {_SEE_SOFTMAX}.",
                _hand_no_onehot),
        Mistake("divided by the number of classes",
                "The mean is over the B = 4 examples of the batch, not the K = 3 classes.",
                _hand_over_k),
        Mistake("the derivative of log p instead of the loss",
                "-1/p_y is the derivative of the loss with respect to p_y, not to the "
                "logit z_0: the softmax's own derivative p_y(1 - p_y) must follow.",
                _hand_dlogp),
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


# Known mistakes, each one change to the reference.


def _ce_no_mean_in_grad(Z, y):
    L, dZ = _softmax_cross_entropy(Z, y)
    return L, dZ * len(Z)


def _ce_sign(Z, y):
    L, dZ = _softmax_cross_entropy(Z, y)
    return L, -dZ


def _ce_no_onehot(Z, y):
    L, _ = _softmax_cross_entropy(Z, y)
    return L, np.exp(_log_softmax(Z)) / len(Z)


def _ce_axis0(Z, y):
    B, K = Z.shape
    log_P = _log_softmax(Z, axis=0)
    return float(-log_P[np.arange(B), y].mean()), (np.exp(log_P) - _one_hot(y, K)) / B


def _ce_unstable(Z, y):
    B, K = Z.shape
    with np.errstate(all="ignore"):
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        return float(-np.log(P[np.arange(B), y]).mean()), (P - _one_hot(y, K)) / B


def _ce_one_max(Z, y):
    B, K = Z.shape
    Zs = Z - Z.max()
    with np.errstate(all="ignore"):
        P = np.exp(Zs) / np.exp(Zs).sum(axis=1, keepdims=True)
        log_P = Zs - np.log(np.exp(Zs).sum(axis=1, keepdims=True))
    return float(-log_P[np.arange(B), y].mean()), (P - _one_hot(y, K)) / B


def _ce_log_of_p(Z, y):
    B, K = Z.shape
    P = np.exp(_log_softmax(Z))
    with np.errstate(divide="ignore"):
        return float(-np.log(P[np.arange(B), y]).mean()), (P - _one_hot(y, K)) / B


def _ce_log_of_p_plus_tiny(Z, y):
    B, K = Z.shape
    P = np.exp(_log_softmax(Z))
    return float(-np.log(P[np.arange(B), y] + 1e-12).mean()), (P - _one_hot(y, K)) / B


def _ce_sum_loss(Z, y):
    L, dZ = _softmax_cross_entropy(Z, y)
    return L * len(Z), dZ


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
        Case((np.array([[0.5, -1.0, 2.0, 0.0]]), np.array([3])),
             label="a batch of one: Z has shape (1, 4)"),
        Case((np.array([[1.0, 0.0, -1.0, 2.0], [0.0, 3.0, 1.0, 1.0], [2.0, 2.0, 0.0, -1.0]]),
              np.array([0, 1, 0])),
             label="labels 0 and 1 only, of K = 4 classes: K is Z's width, not y.max() + 1"),
        Case((np.array([[0.0, 800.0, 1.0], [2.0, 1.0, 0.0]]), np.array([0, 0])),
             label="p of the true class is e^-800, which underflows to 0: its log must "
                   "still be -800 (log p = z_y - logsumexp z)"),
        Case((np.array([[1000.0, 999.0], [-3.0, -5.0]]), np.array([1, 0])),
             label="rows on very different scales: each row needs its own maximum"),
    ],
    random_cases=_ce_cases,
    returns=("L", "dZ"),
    float64=True,
    mistakes=[
        Mistake("the 1/B of the mean is missing",
                "Y_hat - Y is the gradient of the *sum* of the losses. The loss is their mean "
                f"{_SEE_MEAN}, so dZ = (Y_hat - Y) / B.",
                _ce_no_mean_in_grad),
        Mistake("the sign is flipped",
                f"The gradient is Y_hat - Y, not Y - Y_hat {_SEE_SOFTMAX}.",
                _ce_sign),
        Mistake("the one-hot labels are not subtracted",
                "P / B is the derivative of log-sum-exp alone; the -z_y term of the loss "
                "contributes -1 at the true class: dZ = (Y_hat - Y) / B.",
                _ce_no_onehot),
        Mistake("softmax over the wrong axis",
                "Each example (row) has its own softmax over its K classes: normalise "
                "along axis=1, with keepdims=True.",
                _ce_axis0),
        Mistake("exp overflows: the row maximum is not subtracted",
                "np.exp(1000) is inf, and inf / inf is NaN. Softmax does not change when a "
                "constant is added to a row: compute Z - Z.max(axis=1, keepdims=True) "
                "(a new array) first.",
                _ce_unstable),
        Mistake("one maximum for the whole array, not one per row",
                "Z.max() is the largest logit of the whole batch; a row far below it "
                "underflows to 0 / 0. Subtract each row's own maximum: "
                "Z.max(axis=1, keepdims=True).",
                _ce_one_max),
        Mistake("the log of a probability that underflowed",
                "p_y = e^-800 is 0 in floating point, and log 0 = -inf. Take the log "
                "before the exponential: log p_y = (z_y - max) - log(sum(exp(z - max))), "
                f"which is finite {_SEE_SOFTMAX}.",
                _ce_log_of_p),
        Mistake("1e-12 added inside the log",
                "log(p + 1e-12) is finite but wrong where p_y underflows: it gives 27.6, "
                "not the true -log p_y. Compute log p_y = (z_y - max) - "
                "log(sum(exp(z - max))) directly.",
                _ce_log_of_p_plus_tiny),
        Mistake("the loss is summed, not averaged",
                "The loss is the mean over the batch: divide the sum of -log p by B.",
                _ce_sum_loss),
    ],
    doc="Mean softmax-cross-entropy and its gradient (Y_hat - Y)/B.",
)


# ---------------------------------------------------------------------------
# 2.4 mlp_backward(X, y, weights, biases) -> (L, dWs, dbs)
# ---------------------------------------------------------------------------


def _mlp_forward(X, weights, biases):
    """Every layer's input A[l] (A[0] = X; the last entry is the logits) and its Z."""
    A, Zs = [X], []
    for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
        Z = A[-1] @ W.T + b
        Zs.append(Z)
        A.append(np.tanh(Z) if l < len(weights) - 1 else Z)
    return A, Zs


def _output_error(logits, y):
    """The mean loss and (BP1): delta = (Y_hat - Y) / B."""
    B, K = logits.shape
    log_P = _log_softmax(logits)
    return float(-log_P[np.arange(B), y].mean()), (np.exp(log_P) - _one_hot(y, K)) / B


def _tanh_prime(Z, A):
    return 1 - A**2


def _down(delta, W):
    return delta @ W


def _backprop(A, Zs, weights, delta, tanh_prime=_tanh_prime, down=_down):
    """(BP2)-(BP4) from the top layer's error ``delta``."""
    dWs, dbs = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        dWs[l] = delta.T @ A[l]                                           # (BP3)
        dbs[l] = delta.sum(axis=0)                                        # (BP4)
        if l > 0:
            delta = down(delta, weights[l]) * tanh_prime(Zs[l - 1], A[l])  # (BP2)
    return dWs, dbs


def _reference_mlp_backward(X, y, weights, biases):
    """Loss and gradients of a tanh MLP with a mean softmax-cross-entropy output."""
    A, Zs = _mlp_forward(X, weights, biases)
    L, delta = _output_error(A[-1], y)
    return (L, *_backprop(A, Zs, weights, delta))


# Known mistakes, each one change to the reference.


def _one_minus_z_squared(Z, A):
    return 1 - Z**2


def _no_derivative(Z, A):
    return 1.0


def _down_through_wt(delta, W):
    return delta @ W.T


def _mlp_deriv_of_z(X, y, weights, biases):
    A, Zs = _mlp_forward(X, weights, biases)
    L, delta = _output_error(A[-1], y)
    return (L, *_backprop(A, Zs, weights, delta, tanh_prime=_one_minus_z_squared))


def _mlp_no_deriv(X, y, weights, biases):
    A, Zs = _mlp_forward(X, weights, biases)
    L, delta = _output_error(A[-1], y)
    return (L, *_backprop(A, Zs, weights, delta, tanh_prime=_no_derivative))


def _mlp_through_wt(X, y, weights, biases):
    A, Zs = _mlp_forward(X, weights, biases)
    L, delta = _output_error(A[-1], y)
    return (L, *_backprop(A, Zs, weights, delta, down=_down_through_wt))


def _mlp_no_mean(X, y, weights, biases):
    A, Zs = _mlp_forward(X, weights, biases)
    L, delta = _output_error(A[-1], y)
    return (L, *_backprop(A, Zs, weights, delta * len(X)))


def _mlp_tanh_out(X, y, weights, biases):
    A, Zs = _mlp_forward(X, weights, biases)
    A[-1] = np.tanh(A[-1])
    L, delta = _output_error(A[-1], y)
    return (L, *_backprop(A, Zs, weights, delta * (1 - A[-1] ** 2)))


def _mlp_case(rng, B, width, depth, label, classes=None):
    weights = [rng.normal(size=(width, width)) / np.sqrt(width) for _ in range(depth)]
    biases = [rng.normal(size=width) * 0.5 for _ in range(depth)]
    X = rng.normal(size=(B, width))
    y = rng.integers(0, classes or width, size=B)
    return Case((X, y, weights, biases), label=label)


def _mlp_cases(rng):
    return [_mlp_case(rng, B, w, d, f"batch {B}, {d} layers of width {w}")
            for B, w, d in [(6, 3, 2), (9, 4, 3), (4, 5, 4), (20, 3, 5)]]


mlp_backward = Exercise(
    id="2.4", name="mlp_backward", reference=_reference_mlp_backward,
    cases=[_mlp_case(np.random.default_rng(2), 5, 3, 3, "batch 5, 3 layers of width 3"),
           _mlp_case(np.random.default_rng(3), 1, 2, 2, "one example, 2 layers of width 2"),
           _mlp_case(np.random.default_rng(4), 8, 4, 1, "a single layer: softmax regression"),
           _mlp_case(np.random.default_rng(5), 6, 4, 2,
                     "labels 0 and 1 only, of 4 classes: K is the width of the logits",
                     classes=2)],
    random_cases=_mlp_cases,
    returns=("L", "dWs", "dbs"),
    float64=True,
    mistakes=[
        Mistake("tanh' computed from Z instead of A",
                "tanh'(Z) = 1 - tanh(Z)**2 = 1 - A**2, with A the layer's output; "
                "1 - Z**2 is a different function.",
                _mlp_deriv_of_z),
        Mistake("the activation's derivative is missing",
                "(BP2) multiplies delta @ W entry-wise by the activation's derivative at "
                "the layer below: the error must pass back through the tanh as well as "
                "the weights.",
                _mlp_no_deriv),
        Mistake("the error sent back through W.T",
                f"Going down, delta @ W {_SEE_LINEAR}: the forward pass used W.T, the "
                "backward pass uses W. With square weights both have the right shape, so "
                "only the values show the mistake.",
                _mlp_through_wt),
        Mistake("the 1/B of the mean is missing",
                "(BP1) is (Y_hat - Y) / B: the mean over the batch puts 1/B into every "
                "gradient.",
                _mlp_no_mean),
        Mistake("tanh applied to the output layer",
                "The last layer's output is the logits, with no activation: softmax "
                "comes straight after the last linear layer.",
                _mlp_tanh_out),
    ],
    doc="Loss and gradients of a tanh MLP of any depth.",
)


# ---------------------------------------------------------------------------
# 2.5 numerical_gradient(f, theta, h=1e-5) -> array shaped like theta
# ---------------------------------------------------------------------------


def _numerical_gradient(f, theta, h=1e-5):
    """Central differences: (f(theta + h e_i) - f(theta - h e_i)) / 2h."""
    t = np.array(theta, dtype=float)     # a float copy: theta may hold integers
    g = np.zeros_like(t)
    for i in np.ndindex(t.shape):
        old = t[i]
        t[i] = old + h
        f_plus = f(t.copy())
        t[i] = old - h
        f_minus = f(t.copy())
        t[i] = old
        g[i] = (f_plus - f_minus) / (2 * h)
    return g


# Known mistakes, each one change to the reference.


def _forward_difference(f, theta, h=1e-5):
    t = np.array(theta, dtype=float)
    g = np.zeros_like(t)
    f0 = f(t.copy())
    for i in np.ndindex(t.shape):
        old = t[i]
        t[i] = old + h
        g[i] = (f(t.copy()) - f0) / h
        t[i] = old
    return g


def _backward_difference(f, theta, h=1e-5):
    return _forward_difference(f, theta, -h)     # (f(theta) - f(theta - h e_i)) / h


def _over_h(f, theta, h=1e-5):
    return 2 * _numerical_gradient(f, theta, h)


def _not_restored(f, theta, h=1e-5):
    t = np.array(theta, dtype=float)
    g = np.zeros_like(t)
    for i in np.ndindex(t.shape):
        old = t[i]
        t[i] = old + h
        f_plus = f(t.copy())
        t[i] = old - h
        g[i] = (f_plus - f(t.copy())) / (2 * h)
    return g


def _all_at_once(f, theta, h=1e-5):
    t = np.array(theta, dtype=float)
    return np.full_like(t, (f(t + h) - f(t - h)) / (2 * h))


def _integer_copy(f, theta, h=1e-5):
    t = np.array(theta)                  # keeps an integer dtype: t[i] + h is truncated
    g = np.zeros(t.shape)
    for i in np.ndindex(t.shape):
        old = t[i]
        t[i] = old + h
        f_plus = f(t.copy())
        t[i] = old - h
        f_minus = f(t.copy())
        t[i] = old
        g[i] = (f_plus - f_minus) / (2 * h)
    return g


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
_STEEP = _Fn("sum(exp(200 t)) / 200", lambda t: float(np.sum(np.exp(200 * t))) / 200)


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
        Case((_STEEP, np.array([0.01, -0.02, 0.015])),
             label="h not given: curved enough that only the default h = 1e-5 agrees"),
        Case((_CUBE, np.array([1, -2, 3])),
             label="an integer theta: theta + h must not be rounded back to an integer"),
        Case((_CUBE, np.array([[0.5]])), label="a 1x1 theta: the result is 1x1 too"),
    ],
    random_cases=_numgrad_cases,
    float64=True,
    mistakes=[
        Mistake("forward difference",
                f"(f(theta + h e_i) - f(theta)) / h has error about h f''/2 {_SEE_DIFFERENCES}. "
                "Use the central difference (f(theta + h e_i) - f(theta - h e_i)) / 2h.",
                _forward_difference),
        Mistake("backward difference",
                "(f(theta) - f(theta - h e_i)) / h is one-sided, with error about h f''/2. "
                "Use both sides: (f(theta + h e_i) - f(theta - h e_i)) / 2h.",
                _backward_difference),
        Mistake("divided by h instead of 2h",
                "theta + h e_i and theta - h e_i are 2h apart: divide the difference by 2h.",
                _over_h),
        Mistake("theta_i not put back",
                "After evaluating f at theta_i - h, set theta_i back to its old value; "
                "otherwise every later entry is measured at a shifted point.",
                _not_restored),
        Mistake("every entry perturbed at once",
                "theta + h moves all entries together and measures a directional "
                "derivative. Perturb one entry at a time: theta + h e_i, with e_i the "
                "i-th unit vector.",
                _all_at_once),
        Mistake("an integer theta copied as integers",
                "theta.copy() of an integer array stays integer, so t[i] = old + h is "
                "rounded back to old and both sides give the same f. Copy it as floats: "
                "t = np.array(theta, dtype=float).",
                _integer_copy),
    ],
    doc="Central-difference gradient of f at theta.",
)


# ---------------------------------------------------------------------------
# 2.6 fixed_grads(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)
# ---------------------------------------------------------------------------


def _relu_net_errors(X, y, W1, b1, W2, b2):
    """The hidden activations and both error terms, d2 = (Y_hat - Y)/B and d1."""
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    _, d2 = _output_error(A1 @ W2.T + b2, y)
    d1 = (d2 @ W2) * (Z1 > 0)
    return A1, d2, d1


def _fixed_grads(X, y, W1, b1, W2, b2):
    """Gradients of a one-hidden-layer ReLU network, (BP1)-(BP4)."""
    A1, d2, d1 = _relu_net_errors(X, y, W1, b1, W2, b2)
    return d1.T @ X, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


# Known mistakes: buggy_grads, and fixes that went half-way or too far.


def _debug_unchanged(X, y, W1, b1, W2, b2):
    A1, d2, d1 = _relu_net_errors(X, y, W1, b1, W2, b2)
    B = len(X)
    return X.T @ d1 * B, d1.sum(axis=0) * B, d2.T @ A1 * B, d2.sum(axis=0) * B


def _debug_still_transposed(X, y, W1, b1, W2, b2):
    A1, d2, d1 = _relu_net_errors(X, y, W1, b1, W2, b2)
    return X.T @ d1, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


def _debug_still_no_mean(X, y, W1, b1, W2, b2):
    return tuple(g * len(X) for g in _fixed_grads(X, y, W1, b1, W2, b2))


def _debug_mean_twice(X, y, W1, b1, W2, b2):
    return tuple(g / len(X) for g in _fixed_grads(X, y, W1, b1, W2, b2))


def _debug_mean_on_last_layer(X, y, W1, b1, W2, b2):
    dW1, db1, dW2, db2 = _fixed_grads(X, y, W1, b1, W2, b2)
    return dW1 * len(X), db1 * len(X), dW2, db2


def _debug_relu_at_zero(X, y, W1, b1, W2, b2):
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    _, d2 = _output_error(A1 @ W2.T + b2, y)
    d1 = (d2 @ W2) * (Z1 >= 0)
    return d1.T @ X, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


def _debug_cases(rng):
    cases = []
    for B, n, K in [(10, 4, 3), (5, 3, 3), (12, 6, 2)]:
        cases.append(Case((rng.normal(size=(B, n)), rng.integers(0, K, size=B),
                           rng.normal(size=(n, n)), rng.normal(size=n) * 0.1,
                           rng.normal(size=(K, n)), rng.normal(size=K) * 0.1),
                          label=f"batch {B}, {n} inputs, {n} hidden, {K} classes"))
    return cases


def _debug_case(rng, B, n, K, y, label):
    return Case((rng.normal(size=(B, n)), np.array(y), rng.normal(size=(n, n)),
                 rng.normal(size=n) * 0.1, rng.normal(size=(K, n)), rng.normal(size=K) * 0.1),
                label=label)


fixed_grads = Exercise(
    id="2.6", name="fixed_grads", reference=_fixed_grads,
    cases=[*_debug_cases(np.random.default_rng(1))[:1],
           _debug_case(np.random.default_rng(6), 1, 3, 3, [2], "a batch of one"),
           _debug_case(np.random.default_rng(7), 6, 3, 3, [0, 1, 1, 0, 1, 0],
                       "labels 0 and 1 only, of 3 classes"),
           Case((np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [0.5, 2.0, -1.0]]),
                 np.array([0, 1, 2]),
                 np.array([[2.0, 2.0, 5.0], [1.0, -0.5, 0.3], [-1.0, 0.4, 2.0]]),
                 np.array([0.0, 0.1, 0.0]),
                 np.array([[0.5, -1.0, 0.2], [1.0, 0.3, -0.4], [-0.6, 0.8, 1.0]]),
                 np.array([0.1, -0.1, 0.0])),
                label="hidden units with Z1 exactly 0, where ReLU's derivative is 0")],
    random_cases=_debug_cases,
    returns=("dW1", "db1", "dW2", "db2"),
    float64=True,
    mistakes=[
        Mistake("both bugs still there",
                "This is what buggy_grads returns. Three gradients are B times too large, "
                "and dW1 is transposed.",
                _debug_unchanged),
        Mistake("dW1 is still transposed",
                "The 1/B is fixed; now compare dW1 = X.T @ d1 with (BP3), delta^T A: "
                "it is the transpose, with the right shape only because W1 is square.",
                _debug_still_transposed),
        Mistake("the 1/B is still missing",
                "dW1 is fixed; the other gradients are still exactly B times too large. "
                "(BP1): the error at the output is (Y_hat - Y) / B.",
                _debug_still_no_mean),
        Mistake("1/B applied twice",
                "Divide once, in (BP1): d2 = (Y_hat - Y) / B. Every gradient below inherits it; "
                "dividing the gradients by B again makes them B times too small.",
                _debug_mean_twice),
        Mistake("1/B applied to dW2 and db2 only",
                "Dividing the last layer's gradients by B leaves d1, and so dW1 and db1, "
                "B times too large. Put the 1/B into d2 itself, before d1 is computed.",
                _debug_mean_on_last_layer),
        Mistake("relu' at 0 taken as 1",
                "ReLU's derivative at exactly 0 is 0, as in chapter 1 and in PyTorch: the "
                "mask is (Z1 > 0), not (Z1 >= 0). buggy_grads had that line right.",
                _debug_relu_at_zero),
    ],
    doc="buggy_grads with its two bugs fixed.",
)


# ---------------------------------------------------------------------------
# 2.7 memory_prediction() -> "a" | "b" | "c" | "d"
# ---------------------------------------------------------------------------


def _by_the_count():
    """The option the count of kept numbers gives: B·(sum of the widths) per pass.

    Not stored as a letter: the reference works it out, as the section does.
    """
    widths = [16, 128, 128, 128, 128, 4]      # input, 4 hidden layers, output
    ratio = (512 * sum(widths)) / (256 * sum(widths))
    return {1.0: "a", 2.0: "b", 4.0: "c", 0.5: "d"}[ratio]


def _says_same():
    return "a"


def _says_quadruple():
    return "c"


def _says_halve():
    return "d"


def _accept_choice(got, expected, case):
    """Accept the letter in either case, with or without brackets; never show the answer."""
    letter = str(got).strip().strip("()").lower()
    if letter not in ("a", "b", "c", "d"):
        return f"answer with one letter, \"a\", \"b\", \"c\" or \"d\"; got {got!r}"
    return None if letter == expected else f"({letter}) is not what happens."


memory_prediction = Exercise(
    id="2.7", name="memory_prediction", reference=_by_the_count,
    cases=[Case((), label="batch 256 -> 512, same network")],
    accept=_accept_choice,
    mistakes=[
        Mistake("(a) the same",
                "The weights do not change, but the activations do: the forward pass "
                "keeps one row per example in every layer.",
                _says_same),
        Mistake("(c) quadruple",
                "Nothing stored grows with the square of the batch: each layer keeps a "
                "B x n_l array, linear in B.",
                _says_quadruple),
        Mistake("(d) halve",
                "The loss is a mean, but the activations of every example must be kept "
                "to compute its share of the gradient.",
                _says_halve),
    ],
    doc='Return "a", "b", "c" or "d".',
)
