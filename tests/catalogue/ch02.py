"""Chapter 2: wrong solutions a learner might write, and the mistake each check must name.

Written as a learner would write them (not copied from the checks' own
variants), so the test shows the check recognises the mistake in real code.
``CATALOGUE[name]`` lists ``(wrong_function, expected mistake name)``.
"""

import numpy as np

# ---------------------------------------------------------------------------
# 2.1 linear_backward
# ---------------------------------------------------------------------------


def linear_dw_transposed(X, W, dZ):
    dX = dZ @ W
    dW = X.T @ dZ
    db = np.sum(dZ, axis=0)
    return dX, dW, db


def linear_dx_through_wt(X, W, dZ):
    dX = dZ @ W.T
    dW = dZ.T @ X
    db = dZ.sum(0)
    return dX, dW, db


def linear_db_mean(X, W, dZ):
    return dZ @ W, dZ.T @ X, np.mean(dZ, axis=0)


def linear_extra_inv_b(X, W, dZ):
    B = X.shape[0]
    dW = (dZ.T @ X) / B
    db = dZ.sum(axis=0) / B
    return dZ @ W, dW, db


def linear_dx_shaped_like_dz(X, W, dZ):
    dX = np.zeros_like(dZ)               # "the same shape as the error"
    dX[:] = (dZ @ W)[:, :dZ.shape[1]]
    return dX, dZ.T @ X, dZ.sum(axis=0)


def linear_db_first_row(X, W, dZ):
    dX = np.dot(dZ, W)
    dW = np.dot(dZ.T, X)
    db = dZ[0, :]
    return dX, dW, db


# ---------------------------------------------------------------------------
# 2.2 ce_grad_by_hand
# ---------------------------------------------------------------------------


def by_hand_no_mean():
    return -0.3


def by_hand_sign():
    return 0.075


def by_hand_p_over_b():
    return 0.175


def by_hand_over_k():
    return -0.1


def by_hand_dlogp():
    return -1 / 0.7 / 4


# ---------------------------------------------------------------------------
# 2.3 softmax_cross_entropy
# ---------------------------------------------------------------------------


def _stable_softmax(Z, axis=1):
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(Z, axis=1):
    shifted = Z - Z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ce_no_mean_in_grad(Z, y):
    B = len(y)
    log_p = _log_softmax(Z)
    L = -np.mean(log_p[np.arange(B), y])
    Y = np.zeros_like(Z)
    Y[np.arange(B), y] = 1
    return L, np.exp(log_p) - Y


def ce_sign(Z, y):
    B = len(y)
    log_p = _log_softmax(Z)
    L = -np.mean(log_p[range(B), y])
    return L, (np.eye(Z.shape[1])[y] - np.exp(log_p)) / B


def ce_no_onehot(Z, y):
    B = Z.shape[0]
    log_p = _log_softmax(Z)
    return -log_p[np.arange(B), y].mean(), np.exp(log_p) / B


def ce_axis0(Z, y):
    B = Z.shape[0]
    log_p = _log_softmax(Z, axis=0)
    return -log_p[np.arange(B), y].mean(), (np.exp(log_p) - np.eye(Z.shape[1])[y]) / B


def ce_log_of_stable_p(Z, y):
    B = len(y)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = e / e.sum(axis=1, keepdims=True)          # stable, but P can underflow to 0
    return -np.log(P[np.arange(B), y]).mean(), (P - np.eye(Z.shape[1])[y]) / B


def ce_log_plus_tiny(Z, y):
    B = len(y)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = e / e.sum(axis=1, keepdims=True)
    L = -np.log(P[np.arange(B), y] + 1e-12).mean()   # "so the log never sees 0"
    return L, (P - np.eye(Z.shape[1])[y]) / B


def ce_global_max(Z, y):
    B = len(y)
    shifted = Z - Z.max()                          # one max for the whole batch
    e = np.exp(shifted)
    P = e / e.sum(axis=1, keepdims=True)
    log_p = shifted - np.log(e.sum(axis=1, keepdims=True))
    return -log_p[np.arange(B), y].mean(), (P - np.eye(Z.shape[1])[y]) / B


def ce_classes_from_labels(Z, y):
    B = len(y)
    K = y.max() + 1                                # "the number of classes"
    log_p = _log_softmax(Z)
    return -log_p[np.arange(B), y].mean(), (np.exp(log_p) - np.eye(K)[y]) / B


def ce_squeezed(Z, y):
    B = len(y)
    log_p = _log_softmax(Z)
    dZ = (np.exp(log_p) - np.eye(Z.shape[1])[y]) / B
    return -log_p[np.arange(B), y].mean(), dZ.squeeze()   # "tidy up the shape"


def ce_no_max_shift(Z, y):
    expZ = np.exp(Z)
    P = expZ / expZ.sum(axis=1, keepdims=True)
    B = len(y)
    L = -np.log(P[np.arange(B), y]).mean()
    return L, (P - np.eye(Z.shape[1])[y]) / B


def ce_sum_loss(Z, y):
    B = Z.shape[0]
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    L = -log_p[np.arange(B), y].sum()
    return L, (np.exp(log_p) - np.eye(Z.shape[1])[y]) / B


# ---------------------------------------------------------------------------
# 2.4 mlp_backward
# ---------------------------------------------------------------------------


def _learner_mlp(X, y, weights, biases, variant):
    acts, pre = [X], []
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = acts[-1] @ W.T + b
        pre.append(z)
        last = i == len(weights) - 1
        acts.append(np.tanh(z) if (not last or variant == "tanh_out") else z)
    logits = acts[-1]
    B = len(y)
    P = _stable_softmax(logits)
    L = -np.mean(np.log(P[np.arange(B), y]))
    d = P.copy()
    d[np.arange(B), y] -= 1
    if variant != "no_mean":
        d /= B
    if variant == "tanh_out":
        d = d * (1 - logits**2)
    dWs, dbs = [], []
    for i in range(len(weights) - 1, -1, -1):
        dWs.insert(0, d.T @ acts[i])
        dbs.insert(0, d.sum(axis=0))
        if i == 0:
            break
        W = weights[i].T if variant == "through_wt" else weights[i]
        up = d @ W
        if variant == "deriv_of_z":
            d = up * (1 - pre[i - 1] ** 2)
        elif variant == "no_deriv":
            d = up
        else:
            d = up * (1 - acts[i] ** 2)
    return L, dWs, dbs


def mlp_deriv_of_z(X, y, weights, biases):
    return _learner_mlp(X, y, weights, biases, "deriv_of_z")


def mlp_no_deriv(X, y, weights, biases):
    return _learner_mlp(X, y, weights, biases, "no_deriv")


def mlp_through_wt(X, y, weights, biases):
    return _learner_mlp(X, y, weights, biases, "through_wt")


def mlp_no_mean(X, y, weights, biases):
    return _learner_mlp(X, y, weights, biases, "no_mean")


def mlp_tanh_out(X, y, weights, biases):
    return _learner_mlp(X, y, weights, biases, "tanh_out")


# ---------------------------------------------------------------------------
# 2.5 numerical_gradient
# ---------------------------------------------------------------------------


def numgrad_forward(f, theta, h=1e-5):
    grad = np.zeros(theta.shape)
    base = f(theta)
    for i in np.ndindex(theta.shape):
        t = theta.astype(float)
        t[i] += h
        grad[i] = (f(t) - base) / h
    return grad


def numgrad_backward(f, theta, h=1e-5):
    grad = np.zeros_like(theta, dtype=float)
    f0 = f(theta.copy())
    for i in np.ndindex(*theta.shape):
        t = theta.astype(float)
        t[i] = t[i] - h
        grad[i] = (f0 - f(t)) / h
    return grad


def numgrad_over_h(f, theta, h=1e-5):
    grad = np.zeros_like(theta, dtype=float)
    for i in np.ndindex(theta.shape):
        plus, minus = theta.astype(float), theta.astype(float)
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / h
    return grad


def numgrad_not_restored(f, theta, h=1e-5):
    t = theta.astype(float)
    grad = np.zeros_like(t)
    for i in np.ndindex(t.shape):
        t[i] += h
        fp = f(t)
        t[i] -= 2 * h
        fm = f(t)
        grad[i] = (fp - fm) / (2 * h)
    return grad


def numgrad_all_at_once(f, theta, h=1e-5):
    slope = (f(theta + h) - f(theta - h)) / (2 * h)
    return slope * np.ones_like(theta, dtype=float)


def numgrad_integer_copy(f, theta, h=1e-5):
    grad = np.zeros(theta.shape)
    for i in np.ndindex(theta.shape):
        plus, minus = theta.copy(), theta.copy()   # integer theta: stays integer
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def numgrad_own_default_h(f, theta, h=1e-4):      # "1e-4 is safer"
    grad = np.zeros(theta.shape)
    for i in np.ndindex(theta.shape):
        plus, minus = theta.astype(float), theta.astype(float)
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def numgrad_flat(f, theta, h=1e-5):
    t = np.array(theta, dtype=float).squeeze()     # "works on vectors"
    grad = np.zeros(t.shape)
    for i in np.ndindex(t.shape):
        plus, minus = t.copy(), t.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus.reshape(theta.shape)) - f(minus.reshape(theta.shape))) / (2 * h)
    return grad


# ---------------------------------------------------------------------------
# 2.6 fixed_grads
# ---------------------------------------------------------------------------


def _forward(X, W1, b1, W2, b2):
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    return Z1, A1, _stable_softmax(A1 @ W2.T + b2)


def debug_unchanged(X, y, W1, b1, W2, b2):
    Z1, A1, P = _forward(X, W1, b1, W2, b2)
    d2 = P - np.eye(P.shape[1])[y]
    d1 = (d2 @ W2) * (Z1 > 0)
    return X.T @ d1, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


def debug_still_transposed(X, y, W1, b1, W2, b2):
    Z1, A1, P = _forward(X, W1, b1, W2, b2)
    d2 = (P - np.eye(P.shape[1])[y]) / X.shape[0]
    d1 = (d2 @ W2) * (Z1 > 0)
    return X.T @ d1, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


def debug_still_no_mean(X, y, W1, b1, W2, b2):
    Z1, A1, P = _forward(X, W1, b1, W2, b2)
    d2 = P - np.eye(P.shape[1])[y]
    d1 = (d2 @ W2) * (Z1 > 0)
    return d1.T @ X, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


def debug_mean_twice(X, y, W1, b1, W2, b2):
    B = X.shape[0]
    Z1, A1, P = _forward(X, W1, b1, W2, b2)
    d2 = (P - np.eye(P.shape[1])[y]) / B
    d1 = (d2 @ W2) * (Z1 > 0)
    return d1.T @ X / B, d1.sum(axis=0) / B, d2.T @ A1 / B, d2.sum(axis=0) / B


def debug_mean_on_last_layer(X, y, W1, b1, W2, b2):
    B = X.shape[0]
    Z1, A1, P = _forward(X, W1, b1, W2, b2)
    d2 = P - np.eye(P.shape[1])[y]
    d1 = (d2 @ W2) * (Z1 > 0)
    return d1.T @ X, d1.sum(axis=0), d2.T @ A1 / B, d2.sum(axis=0) / B


def debug_relu_mask_ge(X, y, W1, b1, W2, b2):
    # both bugs fixed, and the mask "tidied" to >=: relu'(0) = 1
    Z1, A1, P = _forward(X, W1, b1, W2, b2)
    d2 = (P - np.eye(P.shape[1])[y]) / X.shape[0]
    d1 = (d2 @ W2) * (Z1 >= 0)
    return d1.T @ X, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


def debug_relu_heaviside_half(X, y, W1, b1, W2, b2):
    Z1, A1, P = _forward(X, W1, b1, W2, b2)
    d2 = (P - np.eye(P.shape[1])[y]) / X.shape[0]
    d1 = (d2 @ W2) * np.heaviside(Z1, 0.5)
    return d1.T @ X, d1.sum(axis=0), d2.T @ A1, d2.sum(axis=0)


# ---------------------------------------------------------------------------
# 2.7 memory_prediction
# ---------------------------------------------------------------------------


def predict_same():
    return "a"


def predict_quadruple():
    return "c"


def predict_halve():
    return "d"


def predict_not_a_letter():
    return "double"


def ce_mean_factor_in_float32(Z, y):
    B, K = Z.shape
    log_p = _log_softmax(Z)
    inv_b = np.float32(1 / B)            # "a float32 scalar keeps the array small"
    return float(-log_p[np.arange(B), y].mean()), (np.exp(log_p) - np.eye(K)[y]) * inv_b


CATALOGUE = {
    "linear_backward": [
        (linear_dw_transposed, "dW transposed"),
        (linear_dx_through_wt, "dX through the transposed weight"),
        (linear_db_mean, "bias gradient averaged"),
        (linear_extra_inv_b, "an extra 1/B"),
        (linear_db_first_row, "bias gradient not summed"),
        (linear_dx_shaped_like_dz, None),   # right only while W is square
    ],
    "ce_grad_by_hand": [
        (by_hand_no_mean, "the 1/B of the mean is missing"),
        (by_hand_sign, "the sign is flipped"),
        (by_hand_p_over_b, "the one-hot label is not subtracted"),
        (by_hand_over_k, "divided by the number of classes"),
        (by_hand_dlogp, "the derivative of log p instead of the loss"),
    ],
    "softmax_cross_entropy": [
        (ce_no_mean_in_grad, "the 1/B of the mean is missing"),
        (ce_sign, "the sign is flipped"),
        (ce_no_onehot, "the one-hot labels are not subtracted"),
        (ce_axis0, "softmax over the wrong axis"),
        (ce_sum_loss, "the loss is summed, not averaged"),
        (ce_no_max_shift, "exp overflows: the row maximum is not subtracted"),
        (ce_log_of_stable_p, "the log of a probability that underflowed"),
        (ce_log_plus_tiny, "1e-12 added inside the log"),
        (ce_global_max, "one maximum for the whole array, not one per row"),
        (ce_classes_from_labels, None),   # a shape error on labels without the last class
        (ce_squeezed, None),
        (ce_mean_factor_in_float32, None),   # 1/B rounded: 3e-8, float64 asks for 1e-9
    ],
    "mlp_backward": [
        (mlp_deriv_of_z, "tanh' computed from Z instead of A"),
        (mlp_no_deriv, "the activation's derivative is missing"),
        (mlp_through_wt, "the error sent back through W.T"),
        (mlp_no_mean, "the 1/B of the mean is missing"),
        (mlp_tanh_out, "tanh applied to the output layer"),
    ],
    "numerical_gradient": [
        (numgrad_forward, "forward difference"),
        (numgrad_backward, "backward difference"),
        (numgrad_over_h, "divided by h instead of 2h"),
        (numgrad_not_restored, "theta_i not put back"),
        (numgrad_all_at_once, "every entry perturbed at once"),
        (numgrad_integer_copy, "an integer theta copied as integers"),
        (numgrad_own_default_h, None),
        (numgrad_flat, None),
    ],
    "fixed_grads": [
        (debug_unchanged, "both bugs still there"),
        (debug_still_transposed, "dW1 is still transposed"),
        (debug_still_no_mean, "the 1/B is still missing"),
        (debug_mean_twice, "1/B applied twice"),
        (debug_mean_on_last_layer, "1/B applied to dW2 and db2 only"),
        (debug_relu_mask_ge, "relu' at 0 taken as 1"),
        (debug_relu_heaviside_half, None),
    ],
    "memory_prediction": [
        (predict_same, "(a) the same"),
        (predict_quadruple, "(c) quadruple"),
        (predict_halve, "(d) halve"),
        (predict_not_a_letter, None),
    ],
}
