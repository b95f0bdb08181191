"""Chapter 3: wrong solutions a learner might write, and the mistake each check must name.

Written as a learner would write them, independently of the checks' own
variants in ``bpcourse/check/ch03.py``, so the tests show that the check
recognises the mistake in real code. ``CATALOGUE[name]`` lists
``(wrong_function, expected mistake name or None)``; None means the check must
reject it but claims no name for it.
"""

import math

import numpy as np

# ---------------------------------------------------------------------------
# 3.1 gd_step
# ---------------------------------------------------------------------------


def gd_plus(theta, g, lr):
    return theta + lr * g


def gd_forgot_lr(theta, g, lr):
    new_theta = theta - g
    return new_theta


def gd_over_lr(theta, g, lr):
    return theta - g / lr


def gd_returns_update(theta, g, lr):
    update = -lr * g
    return update


def gd_unit_step(theta, g, lr):
    direction = g / np.sqrt(np.sum(g**2))
    return theta - lr * direction


def gd_hardcoded(theta, g, lr):
    return theta - 0.1 * g


def gd_in_place(theta, g, lr):
    theta -= lr * g
    return theta


def gd_in_float32(theta, g, lr):
    step = (theta.astype(np.float32) - np.float32(lr) * g.astype(np.float32))
    return step.astype(theta.dtype)      # "float32 is enough for a step"


def gd_lr_as_float32(theta, g, lr):
    lr = np.float32(lr)                  # "the weights are float32 anyway"
    return theta - lr * g


GD_STEP = [
    (gd_plus, "sign error: a step up the gradient"),
    (gd_forgot_lr, "learning rate missing"),
    (gd_over_lr, "divided by the learning rate"),
    (gd_returns_update, "the step returned instead of the new theta"),
    (gd_unit_step, "gradient normalised to length 1"),
    (gd_hardcoded, "learning rate fixed at 0.1"),
    (gd_in_place, None),
    (gd_in_float32, None),
    (gd_lr_as_float32, None),   # lr = 0.1 rounded to 0.10000000149
]

# ---------------------------------------------------------------------------
# 3.2 stable_lr_by_hand
# ---------------------------------------------------------------------------


def lr_one_over_L():
    return 1 / 8


def lr_from_min_eigenvalue():
    return 2 / 2


def lr_from_diagonal():
    A = np.array([[5.0, 3.0], [3.0, 5.0]])
    return 2 / A.diagonal().max()


def lr_from_trace():
    return 2 / np.trace(np.array([[5.0, 3.0], [3.0, 5.0]]))


def lr_one_over_mu():
    return 1 / min(np.linalg.eigvalsh(np.array([[5.0, 3.0], [3.0, 5.0]])))


def lr_rounded_guess():
    return 0.3


def lr_balanced():
    L, mu = 8.0, 2.0
    return 2 / (L + mu)          # "the optimal step size"


STABLE_LR_BY_HAND = [
    (lr_one_over_L, "1/L instead of 2/L"),
    (lr_from_min_eigenvalue, "the smallest eigenvalue used"),
    (lr_from_diagonal, "a diagonal entry used as the curvature"),
    (lr_from_trace, "0.2 = 2/10: both eigenvalues used"),
    (lr_balanced, None),         # the same number: named by it, 2/(L + mu_min) in the hint
    (lr_one_over_mu, "1/μ_min: the smallest eigenvalue and no factor 2"),
    (lr_rounded_guess, None),
]

# ---------------------------------------------------------------------------
# 3.3 minibatch_indices
# ---------------------------------------------------------------------------


def mb_in_order(N, batch_size, rng):
    idx = np.arange(N)
    return [idx[i:i + batch_size] for i in range(0, N, batch_size)]


def mb_drop_last(N, batch_size, rng):
    perm = rng.permutation(N)
    return [perm[k * batch_size:(k + 1) * batch_size] for k in range(N // batch_size)]


def mb_with_replacement(N, batch_size, rng):
    idx = rng.integers(0, N, size=N)
    batches = []
    for start in range(0, N, batch_size):
        batches.append(idx[start:start + batch_size])
    return batches


def mb_choice(N, batch_size, rng):
    perm = rng.choice(N, size=N, replace=False)
    return [perm[s:s + batch_size] for s in range(0, N, batch_size)]


def mb_array_split(N, batch_size, rng):
    return list(np.array_split(rng.permutation(N), batch_size))


def mb_pad_last(N, batch_size, rng):
    perm = rng.permutation(N)
    batches = []
    for s in range(0, N, batch_size):
        b = perm[s:s + batch_size]
        if len(b) < batch_size:                         # "make every batch full"
            b = np.concatenate([b, perm[:batch_size - len(b)]])
        batches.append(b)
    return batches


def mb_one_based(N, batch_size, rng):
    perm = rng.permutation(N) + 1                     # "example 1 is the first one"
    return [perm[s:s + batch_size] for s in range(0, N, batch_size)]


def mb_shuffle_every_batch(N, batch_size, rng):
    batches = []
    for start in range(0, N, batch_size):
        order = rng.permutation(N)                      # "a fresh shuffle for each batch"
        batches.append(order[start:start + batch_size])
    return batches


def mb_one_batch_too_many(N, batch_size, rng):
    order = rng.permutation(N)
    n_batches = N // batch_size + 1      # "+ 1 for the leftovers"
    return [order[k * batch_size:(k + 1) * batch_size] for k in range(n_batches)]


MINIBATCH_INDICES = [
    (mb_in_order, "no shuffling"),
    (mb_drop_last, "the last, shorter batch dropped"),
    (mb_with_replacement, "sampled with replacement"),
    (mb_choice, "order drawn with rng.choice"),
    (mb_array_split, "batch_size read as the number of batches"),
    (mb_pad_last, "the last batch filled up from the start"),
    (mb_shuffle_every_batch, "a new permutation for every batch"),
    (mb_one_based, None),    # index N is outside 0..N-1: the check says so
    (mb_one_batch_too_many, "an extra, empty last batch"),
]

# ---------------------------------------------------------------------------
# 3.4 fixed_sgd (the given buggy_sgd, fixed wrongly or partly)
# ---------------------------------------------------------------------------


def sgd_only_in_place_fixed(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    for epoch in range(epochs):
        lr = lr0 * 0.5**epoch
        order_X = rng.permutation(N)
        order_y = rng.permutation(N)
        for start in range(0, N, batch_size):
            Xb = X[order_X[start:start + batch_size]]
            yb = y[order_y[start:start + batch_size]]
            g = Xb.T @ (Xb @ theta - yb) / len(yb)
            theta = theta - lr * g
    return theta


def sgd_only_shuffle_fixed(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    for epoch in range(epochs):
        lr = lr0 * 0.5**epoch
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            Xb = X[order[start:start + batch_size]]
            yb = y[order[start:start + batch_size]]
            g = Xb.T @ (Xb @ theta - yb) / len(yb)
            theta -= lr * g
    return theta


def sgd_permutation_outside(theta, X, y, lr0, epochs, batch_size, rng):
    theta = theta.copy()
    N = len(y)
    order = rng.permutation(N)
    for epoch in range(epochs):
        lr = lr0 * 0.5**epoch
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            g = X[idx].T @ (X[idx] @ theta - y[idx]) / len(idx)
            theta = theta - lr * g
    return theta


def sgd_no_shuffle(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    for epoch in range(epochs):
        lr = lr0 * 0.5**epoch
        for start in range(0, N, batch_size):
            Xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            theta = theta - lr * Xb.T @ (Xb @ theta - yb) / len(yb)
    return theta


def sgd_halves_every_step(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    lr = lr0
    for _epoch in range(epochs):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            Xb = X[order[start:start + batch_size]]
            yb = y[order[start:start + batch_size]]
            theta = theta - lr * (Xb.T @ (Xb @ theta - yb) / len(yb))
            lr = lr * 0.5
    return theta


def sgd_divides_by_batch_size(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    for epoch in range(epochs):
        lr = lr0 * 0.5**epoch
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            Xb = X[order[start:start + batch_size]]
            yb = y[order[start:start + batch_size]]
            g = Xb.T @ (Xb @ theta - yb) / batch_size
            theta = theta - lr * g
    return theta


def sgd_dropped_schedule(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    for _epoch in range(epochs):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            Xb = X[order[start:start + batch_size]]
            yb = y[order[start:start + batch_size]]
            theta = theta - lr0 * Xb.T @ (Xb @ theta - yb) / len(yb)
    return theta


def sgd_one_batch_more(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    for epoch in range(epochs):
        lr = lr0 * 0.5**epoch
        order = rng.permutation(N)
        for k in range(N // batch_size + 1):       # "+ 1 for the short last batch"
            idx = order[k * batch_size:(k + 1) * batch_size]
            g = X[idx].T @ (X[idx] @ theta - y[idx]) / len(idx)
            theta = theta - lr * g
    return theta


def sgd_rounded_to_float32(theta, X, y, lr0, epochs, batch_size, rng):
    N = len(y)
    for epoch in range(epochs):
        lr = lr0 * 0.5**epoch
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            g = X[idx].T @ (X[idx] @ theta - y[idx]) / len(idx)
            theta = theta - lr * g
    return theta.astype(np.float32).astype(np.float64)   # "weights are stored in float32"


FIXED_SGD = [
    (sgd_only_in_place_fixed, "X and y shuffled with different permutations"),
    (sgd_only_shuffle_fixed, None),   # still updates theta in place: the check says so
    (sgd_permutation_outside, "one permutation for all epochs"),
    (sgd_no_shuffle, "shuffling removed"),
    (sgd_halves_every_step, "learning rate halved every step"),
    (sgd_divides_by_batch_size, "divided by batch_size on the last, shorter batch"),
    (sgd_dropped_schedule, "schedule removed"),
    (sgd_one_batch_more, None),   # N = 12, B = 4: an empty batch, 0/0 = NaN
    (sgd_rounded_to_float32, None),   # float64 asked: float32 rounding misses 1e-9
]

# ---------------------------------------------------------------------------
# 3.5 warmup_cosine_lr
# ---------------------------------------------------------------------------


def wc_warmup_from_zero(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * step / warmup
    progress = (step - warmup) / (total - warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * progress)) / 2


def wc_unshifted(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * step / total))


def wc_over_total(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * (step - warmup) / total))


def wc_plain_cosine(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + (lr0 - lr_min) * np.cos(np.pi * (step - warmup) / (total - warmup))


def wc_no_pi(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + (lr0 - lr_min) * (1 + np.cos((step - warmup) / (total - warmup))) / 2


def wc_forgot_lr_min(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr0 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))) / 2


def wc_lr_min_on_top(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + lr0 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))) / 2


def wc_integer_progress(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step // warmup)
    progress = (step - warmup) / (total - warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * progress)) / 2


def wc_warmup_max(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * max(start_factor, step / warmup)   # "never below start_factor"
    progress = (step - warmup) / (total - warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * progress)) / 2


def wc_in_float32(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    lr0, lr_min = np.float32(lr0), np.float32(lr_min)   # "a rate needs no float64"
    if step < warmup:
        lr = lr0 * (start_factor + (1 - start_factor) * np.float32(step / warmup))
    else:
        progress = np.float32((step - warmup) / (total - warmup))
        lr = lr_min + (lr0 - lr_min) * (1 + np.cos(np.float32(np.pi) * progress)) / 2
    return float(lr)


WARMUP_COSINE_LR = [
    (wc_warmup_from_zero, "warm-up ramp lr0·t/warmup, from 0"),
    (wc_warmup_max, "warm-up ramp lr0·max(start_factor, t/warmup)"),
    (wc_unshifted, "cosine not shifted by the warm-up"),
    (wc_over_total, "cosine spread over total instead of total − warmup"),
    (wc_plain_cosine, "(1 + cos)/2 missing"),
    (wc_no_pi, "π missing in the cosine"),
    (wc_forgot_lr_min, "lr_min ignored"),
    (wc_lr_min_on_top, "lr_min added without shrinking the range"),
    (wc_integer_progress, None),   # // makes the warm-up a flat step
    (wc_in_float32, None),   # float64 asked: float32 arithmetic misses 1e-9
]

# ---------------------------------------------------------------------------
# 3.6 loss_curve_lrs (the curves: A = 1.5, B = 0.01, C = 5.0, D = 0.3)
# ---------------------------------------------------------------------------


def curves_small_and_good_swapped():
    return (1.5, 0.3, 5.0, 0.01)


def curves_good_and_large_swapped():
    return (0.3, 0.01, 5.0, 1.5)


def curves_divergent_missed():
    return (5.0, 0.01, 1.5, 0.3)


def curves_reversed():
    return (0.3, 5.0, 0.01, 1.5)


def curves_one_rate_twice():
    return (1.5, 0.01, 5.0, 1.5)


def curves_not_a_rate():
    return (1.5, 0.01, 5.0, 0.1)


LOSS_CURVE_LRS = [
    (curves_small_and_good_swapped, "the smallest and the good rate swapped"),
    (curves_good_and_large_swapped, "the good rate and the too-large stable one swapped"),
    (curves_divergent_missed, "the divergent curve given a stable rate"),
    (curves_reversed, "the order reversed"),
    (curves_one_rate_twice, None),
    (curves_not_a_rate, None),
]

CATALOGUE = {
    "gd_step": GD_STEP,
    "stable_lr_by_hand": STABLE_LR_BY_HAND,
    "minibatch_indices": MINIBATCH_INDICES,
    "fixed_sgd": FIXED_SGD,
    "warmup_cosine_lr": WARMUP_COSINE_LR,
    "loss_curve_lrs": LOSS_CURVE_LRS,
}
