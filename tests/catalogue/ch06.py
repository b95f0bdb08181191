"""Chapter 6: wrong solutions a learner might write, and the mistake each check must name.

Written as a learner would write them, independently of the checks' own
variants in ``bpcourse/check/ch06.py``. ``CATALOGUE[name]`` lists
``(wrong_function, expected mistake name or None)``; None means the check must
reject it but claims no name for it.
"""

import math

import numpy as np

import bpcourse.functional as F
from bpcourse import Tensor

# ---------------------------------------------------------------------------
# 6.1 sigmoid_bound_by_hand
# ---------------------------------------------------------------------------


def bound_sigma_at_zero():
    slope = 1 / (1 + math.exp(0))    # sigma(0)
    return slope, (2 * slope) ** 10


def bound_no_weights():
    return 0.25, 0.25**10


def bound_nine_factors():
    factor = 2 * 0.25
    return 0.25, factor**9


def bound_added():
    return 0.25, sum(2 * 0.25 for _ in range(10))


def bound_only_one_number():
    return 0.25


SIGMOID_BOUND_BY_HAND = [
    (bound_sigma_at_zero, "sigma(0) taken for sigma'(0)"),
    (bound_no_weights, "the weights left out of the bound"),
    (bound_nine_factors, "one factor too few"),
    (bound_added, "the factors added instead of multiplied"),
    (bound_only_one_number, None),
]

# ---------------------------------------------------------------------------
# 6.2 grad_norms_per_layer
# ---------------------------------------------------------------------------


def norms_forgot_zero_grad(model, X, y):
    loss = F.cross_entropy(model(Tensor(X)), y)
    loss.backward()
    return np.array([np.linalg.norm(lin.weight.grad) for lin in model.linears])


def norms_with_bias(model, X, y):
    model.zero_grad()
    F.cross_entropy(model(Tensor(X)), y).backward()
    out = []
    for lin in model.linears:
        g = np.concatenate([lin.weight.grad.ravel(), lin.bias.grad])
        out.append(np.linalg.norm(g))
    return np.array(out)


def norms_squared(model, X, y):
    model.zero_grad()
    F.cross_entropy(model(Tensor(X)), y).backward()
    return np.array([(lin.weight.grad**2).sum() for lin in model.linears])


def norms_max_entry(model, X, y):
    model.zero_grad()
    F.cross_entropy(model(Tensor(X)), y).backward()
    return np.array([np.abs(lin.weight.grad).max() for lin in model.linears])


def norms_backwards_order(model, X, y):
    model.zero_grad()
    F.cross_entropy(model(Tensor(X)), y).backward()
    return np.array([np.linalg.norm(lin.weight.grad) for lin in reversed(model.linears)])


def norms_summed_loss(model, X, y):
    model.zero_grad()
    F.cross_entropy(model(Tensor(X)), y, reduction="sum").backward()
    return np.array([np.linalg.norm(lin.weight.grad) for lin in model.linears])


def norms_of_weights(model, X, y):
    return np.array([np.linalg.norm(lin.weight.data) for lin in model.linears])


def norms_in_float32(model, X, y):
    # float32 input to save memory; the norms converted back at the end
    model.zero_grad()
    F.cross_entropy(model(Tensor(X.astype(np.float32))), y).backward()
    return np.array([np.linalg.norm(lin.weight.grad) for lin in model.linears],
                    dtype=np.float64)


def norms_float32_sums(model, X, y):
    model.zero_grad()
    F.cross_entropy(model(Tensor(X)), y).backward()
    return np.array([np.sqrt(np.sum(lin.weight.grad.astype(np.float32) ** 2))
                     for lin in model.linears], dtype=float)


GRAD_NORMS_PER_LAYER = [
    (norms_forgot_zero_grad, "gradients not zeroed first"),
    (norms_with_bias, "bias gradients included"),
    (norms_squared, "squared norms"),
    (norms_max_entry, "largest entry instead of the norm"),
    (norms_backwards_order, "last layer first"),
    (norms_summed_loss, "summed loss instead of the mean"),
    (norms_of_weights, None),
    (norms_in_float32, None),
    (norms_float32_sums, None),
]

# ---------------------------------------------------------------------------
# 6.3 gradient_plots_match (the answer is (3, 1, 4, 2))
# ---------------------------------------------------------------------------


def plots_sigmoid_tanh_swapped():
    return (3, 2, 4, 1)


def plots_relu_swapped():
    return (4, 1, 3, 2)


def plots_he_for_tanh():
    return (2, 1, 4, 3)


def plots_vanish_for_explode():
    return (3, 4, 1, 2)


def plots_repeated():
    return (3, 1, 4, 4)


GRADIENT_PLOTS_MATCH = [
    (plots_sigmoid_tanh_swapped, "sigmoid and tanh swapped"),
    (plots_relu_swapped, "He and the too-large ReLU init swapped"),
    (plots_he_for_tanh, "the ReLU network at He taken for tanh"),
    (plots_vanish_for_explode, "vanishing read as exploding"),
    (plots_repeated, None),
]

# ---------------------------------------------------------------------------
# 6.4 init_stds
# ---------------------------------------------------------------------------


def stds_he_fan_out(n_in, n_out):
    glorot = np.sqrt(2 / (n_in + n_out))
    he = np.sqrt(2 / n_out)
    return float(glorot), float(he)


def stds_variances(n_in, n_out):
    return 2 / (n_in + n_out), 2 / n_in


def stds_lecun(n_in, n_out):
    return math.sqrt(2 / (n_in + n_out)), 1 / math.sqrt(n_in)


def stds_glorot_sum(n_in, n_out):
    return 1 / math.sqrt(n_in + n_out), math.sqrt(2 / n_in)


def stds_uniform_limits(n_in, n_out):
    a = math.sqrt(6 / (n_in + n_out))
    b = math.sqrt(6 / n_in)
    return a, b


def stds_swapped(n_in, n_out):
    he = math.sqrt(2 / n_in)
    glorot = math.sqrt(2 / (n_in + n_out))
    return he, glorot


def stds_glorot_mean_of_fans(n_in, n_out):
    return math.sqrt(1 / ((n_in + n_out) / 2) / 2), math.sqrt(2 / n_in)


INIT_STDS = [
    (stds_he_fan_out, "fan-out used for He"),
    (stds_variances, "variances instead of standard deviations"),
    (stds_lecun, "He without the factor 2"),
    (stds_glorot_sum, "Glorot without the factor 2"),
    (stds_uniform_limits, "uniform bounds instead of standard deviations"),
    (stds_swapped, "Glorot and He swapped"),
    (stds_glorot_mean_of_fans, None),
]

# ---------------------------------------------------------------------------
# 6.5 fixed_residual_net
# ---------------------------------------------------------------------------


def resnet_only_skip_fixed(X, width, n_blocks, rng):
    W0 = rng.normal(0.0, np.sqrt(2 / width), size=(width, X.shape[1]))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / width), size=(width, width))
        h = h + np.maximum(h @ W.T, 0.0)
    return h


def resnet_only_init_fixed(X, width, n_blocks, rng):
    n_in = X.shape[1]
    W0 = rng.normal(0.0, np.sqrt(2 / n_in), size=(width, n_in))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / width), size=(width, width))
        out = h + np.maximum(h @ W.T, 0.0)
        h = h + out
    return h


def resnet_relu_outside(X, width, n_blocks, rng):
    n_in = X.shape[1]
    W0 = rng.normal(0.0, np.sqrt(2 / n_in), size=(width, n_in))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / width), size=(width, width))
        h = np.maximum(h + h @ W.T, 0.0)
    return h


def resnet_dropped_skip(X, width, n_blocks, rng):
    n_in = X.shape[1]
    W0 = rng.normal(0.0, np.sqrt(2 / n_in), size=(width, n_in))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / width), size=(width, width))
        out = np.maximum(h @ W.T, 0.0)
        h = out
    return h


def resnet_wrong_draw_order(X, width, n_blocks, rng):
    n_in = X.shape[1]
    Ws = [rng.normal(0.0, np.sqrt(2 / width), size=(width, width)) for _ in range(n_blocks)]
    W0 = rng.normal(0.0, np.sqrt(2 / n_in), size=(width, n_in))
    h = np.maximum(X @ W0.T, 0.0)
    for W in Ws:
        h = h + np.maximum(h @ W.T, 0.0)
    return h


def resnet_rows_as_fan_in(X, width, n_blocks, rng):
    n_in = len(X)
    W0 = rng.normal(0.0, np.sqrt(2 / n_in), size=(width, X.shape[1]))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / width), size=(width, width))
        h = h + np.maximum(h @ W.T, 0.0)
    return h


def resnet_fan_in_everywhere(X, width, n_blocks, rng):
    fan_in = X.shape[1]
    W0 = rng.normal(0.0, np.sqrt(2 / fan_in), size=(width, fan_in))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, np.sqrt(2 / fan_in), size=(width, width))
        h = h + np.maximum(h @ W.T, 0.0)
    return h


def resnet_variance_as_scale(X, width, n_blocks, rng):
    n_in = X.shape[1]
    W0 = rng.normal(0.0, 2 / n_in, size=(width, n_in))
    h = np.maximum(X @ W0.T, 0.0)
    for _ in range(n_blocks):
        W = rng.normal(0.0, 2 / width, size=(width, width))
        h = h + np.maximum(h @ W.T, 0.0)
    return h


FIXED_RESIDUAL_NET = [
    (resnet_only_skip_fixed, "fan-out kept in the first layer"),
    (resnet_only_init_fixed, "skip added twice kept"),
    (resnet_relu_outside, "activation after the sum"),
    (resnet_dropped_skip, "skip connection removed"),
    (resnet_wrong_draw_order, None),
    (resnet_rows_as_fan_in, "the batch size used as the fan-in"),
    (resnet_fan_in_everywhere, "the input's fan-in used in the blocks too"),
    (resnet_variance_as_scale, "a variance passed as the standard deviation"),
]

# ---------------------------------------------------------------------------
# 6.6 batch_norm_backward
# ---------------------------------------------------------------------------


def _stats(x, eps):
    mu = x.mean(axis=0)
    std = np.sqrt(((x - mu) ** 2).mean(axis=0) + eps)
    return mu, std, (x - mu) / std


def bn_constant_stats(x, gamma, dy, eps=1e-5):
    mu, std, x_hat = _stats(x, eps)
    return dy * gamma / std, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_forgot_variance(x, gamma, dy, eps=1e-5):
    mu, std, x_hat = _stats(x, eps)
    dxhat = dy * gamma
    dx = dxhat / std - np.mean(dxhat, axis=0) / std
    return dx, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_forgot_mean(x, gamma, dy, eps=1e-5):
    B = len(x)
    mu, std, x_hat = _stats(x, eps)
    dxhat = dy * gamma
    dvar = np.sum(dxhat * (x - mu), axis=0) * -0.5 * std**-3
    dx = dxhat / std + dvar * 2 * (x - mu) / B
    return dx, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_ddof_one(x, gamma, dy, eps=1e-5):
    B = len(x)
    mu = x.mean(axis=0)
    var = np.sum((x - mu) ** 2, axis=0) / (B - 1)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    dxhat = dy * gamma
    dx = (B * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)
          * B / (B - 1)) / (B * std)
    return dx, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_no_gamma(x, gamma, dy, eps=1e-5):
    B = len(x)
    mu, std, x_hat = _stats(x, eps)
    dx = (B * dy - dy.sum(axis=0) - x_hat * (dy * x_hat).sum(axis=0)) / (B * std)
    return dx, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_dgamma_raw_x(x, gamma, dy, eps=1e-5):
    B = len(x)
    mu, std, x_hat = _stats(x, eps)
    dxhat = dy * gamma
    dx = (B * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)) / (B * std)
    return dx, np.sum(dy * x, axis=0), np.sum(dy, axis=0)


def bn_dbeta_mean(x, gamma, dy, eps=1e-5):
    B = len(x)
    mu, std, x_hat = _stats(x, eps)
    dxhat = dy * gamma
    dx = (B * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)) / (B * std)
    return dx, np.sum(dy * x_hat, axis=0), np.mean(dy, axis=0)


def bn_over_features(x, gamma, dy, eps=1e-5):
    # normalizes each example over its features: layer norm, not batch norm
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) / std
    d = dy * gamma
    C = x.shape[1]
    dx = (C * d - d.sum(axis=1, keepdims=True)
          - x_hat * (d * x_hat).sum(axis=1, keepdims=True)) / (C * std)
    return dx, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_eps_outside_sqrt(x, gamma, dy, eps=1e-5):
    # eps where Adam puts it
    B = len(x)
    mu = x.mean(axis=0)
    std = x.std(axis=0) + eps
    x_hat = (x - mu) / std
    dxhat = dy * gamma
    dx = (B * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)) / (B * std)
    return dx, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_default_eps_only(x, gamma, dy, eps=1e-5):
    B = len(x)
    mu, std, x_hat = _stats(x, 1e-5)
    dxhat = dy * gamma
    dx = (B * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)) / (B * std)
    return dx, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)


def bn_dgamma_scaled_by_gamma(x, gamma, dy, eps=1e-5):
    B = len(x)
    mu, std, x_hat = _stats(x, eps)
    dxhat = dy * gamma
    dx = (B * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0)) / (B * std)
    return dx, np.sum(dxhat * x_hat, axis=0), np.sum(dy, axis=0)


BATCH_NORM_BACKWARD = [
    (bn_constant_stats, "mean and variance treated as constants"),
    (bn_forgot_variance, "the path through the variance missing"),
    (bn_forgot_mean, "the path through the mean missing"),
    (bn_ddof_one, "the unbiased variance used"),
    (bn_no_gamma, "gamma left out of dx"),
    (bn_dgamma_raw_x, "dgamma from x instead of x_hat"),
    (bn_dbeta_mean, "dbeta averaged over the batch"),
    (bn_over_features, None),
    (bn_eps_outside_sqrt, "eps outside the square root"),
    (bn_default_eps_only, "the eps argument ignored"),
    (bn_dgamma_scaled_by_gamma, None),
]

# ---------------------------------------------------------------------------
# 6.7 clip_global_norm
# ---------------------------------------------------------------------------


def clip_each_own_norm(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * min(1.0, max_norm / (n + 1e-6)))
    return out, total


def clip_values(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    return [np.clip(g, -max_norm, max_norm) for g in grads], total


def clip_always_rescale(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    return [g * max_norm / (total + 1e-6) for g in grads], total


def clip_sum_of_norms(grads, max_norm):
    total = sum(float(np.linalg.norm(g)) for g in grads)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * factor for g in grads], total


def clip_reports_new_norm(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    factor = min(1.0, max_norm / (total + 1e-6))
    clipped = [g * factor for g in grads]
    return clipped, math.sqrt(sum(float(np.sum(g * g)) for g in clipped))


def clip_without_guard(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    if total > max_norm:
        return [g * (max_norm / total) for g in grads], total
    return [g.copy() for g in grads], total


def clip_in_place(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    factor = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= factor
    return grads, total


def clip_norm_in_float32(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g.astype(np.float32) ** 2) for g in grads)))
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * factor for g in grads], total


def clip_eps_inside_sqrt(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads) + 1e-6)
    factor = min(1.0, max_norm / total)
    return [g * factor for g in grads], total


CLIP_GLOBAL_NORM = [
    (clip_each_own_norm, "each array clipped by its own norm"),
    (clip_values, "clipped by value"),
    (clip_always_rescale, "scaled even below max_norm"),
    (clip_sum_of_norms, "the norm as a sum of norms"),
    (clip_reports_new_norm, "the norm after clipping returned"),
    (clip_without_guard, "1e-6 left out of the factor"),
    (clip_in_place, None),
    (clip_norm_in_float32, None),
    (clip_eps_inside_sqrt, None),
]

CATALOGUE = {
    "sigmoid_bound_by_hand": SIGMOID_BOUND_BY_HAND,
    "grad_norms_per_layer": GRAD_NORMS_PER_LAYER,
    "gradient_plots_match": GRADIENT_PLOTS_MATCH,
    "init_stds": INIT_STDS,
    "fixed_residual_net": FIXED_RESIDUAL_NET,
    "batch_norm_backward": BATCH_NORM_BACKWARD,
    "clip_global_norm": CLIP_GLOBAL_NORM,
}
