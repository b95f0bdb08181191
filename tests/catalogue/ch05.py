"""Chapter 5: wrong solutions a learner might write, and the mistake each check must name.

Written as a learner would write them, independently of the checks' own
variants in ``bpcourse/check/ch05.py``, so the tests show that the check
recognises the mistake in real code. ``CATALOGUE[name]`` lists
``(wrong_function, expected mistake name or None)``; None means the check must
reject it but claims no name for it.
"""

import numpy as np

# ---------------------------------------------------------------------------
# 5.1 adam_step
# ---------------------------------------------------------------------------


def adam_no_bias_correction(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v, t + 1


def adam_t_after(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * np.square(g)
    mhat = m / (1 - beta1**t)          # uses the old t...
    vhat = v / (1 - beta2**t)
    t += 1                             # ...and counts the step only now
    theta = theta - lr * mhat / (np.sqrt(vhat) + eps)
    return theta, m, v, t


def adam_eps_in_sqrt(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    mhat, vhat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * mhat / np.sqrt(vhat + eps), m, v, t


def adam_betas_swapped(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = (1 - beta1) * m + beta1 * g
    v = (1 - beta2) * v + beta2 * g * g
    mhat, vhat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * mhat / (np.sqrt(vhat) + eps), m, v, t


def adam_v_from_g(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    with np.errstate(invalid="ignore"):
        step = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return theta - lr * step, m, v, t


def adam_plus_sign(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return theta + lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v, t


def adam_returns_old_t(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    n = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    theta = theta - lr * (m / (1 - beta1**n)) / (np.sqrt(v / (1 - beta2**n)) + eps)
    return theta, m, v, t


def adam_hardcoded(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g * g
    theta = theta - 0.001 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return theta, m, v, t


def adam_stores_hats(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = (beta1 * m + (1 - beta1) * g) / (1 - beta1**t)
    v = (beta2 * v + (1 - beta2) * g * g) / (1 - beta2**t)
    return theta - lr * m / (np.sqrt(v) + eps), m, v, t


def adam_no_sqrt(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t += 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (v_hat + eps), m, v, t    # v̂ where √v̂ belongs


def adam_lr_twice(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return theta - lr * step, m, v, t


def adam_in_place(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return theta, m, v, t


def adam_eps_squared(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps**2), m, v, t   # "eps under the root, squared"


def adam_float32(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, g = theta.astype(np.float32), g.astype(np.float32)   # "to save memory"
    m, v = m.astype(np.float32), v.astype(np.float32)
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta.astype(np.float64), m.astype(np.float64), v.astype(np.float64), t


def adam_no_eps_guarded(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    # "eps is only there to avoid 0/0, so I guard the zeros myself"
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    with np.errstate(all="ignore"):
        step = np.where(v_hat > 0, m_hat / np.sqrt(v_hat), 0.0)
    return theta - lr * step, m, v, t


def adam_no_eps(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t)), m, v, t


def adam_lr_in_float32(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t += 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    step = np.float32(lr) * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return theta - step, m, v, t


ADAM_STEP = [
    (adam_no_eps_guarded, "eps missing"),   # once called "more than one mistake"
    (adam_no_eps, None),   # NaN where v̂ = 0 (the zero-gradient first step)
    (adam_lr_in_float32, None),
    (adam_eps_squared, "eps squared inside the square root"),
    (adam_float32, None),   # float64 compares at 1e-9; the error line says float32-sized
    (adam_no_bias_correction, "no bias correction"),
    (adam_t_after, "t incremented after use"),
    (adam_eps_in_sqrt, "eps inside the square root"),
    (adam_betas_swapped, "beta and 1 − beta swapped"),
    (adam_v_from_g, "v from g instead of g²"),
    (adam_plus_sign, "sign error"),
    (adam_returns_old_t, "t not incremented in the result"),
    (adam_hardcoded, "hyperparameters ignored"),
    (adam_stores_hats, "bias-corrected moments returned as the state"),
    (adam_no_sqrt, "square root of v̂ missing"),
    (adam_lr_twice, None),
    (adam_in_place, None),   # right numbers, but it changes m and v in place
]




# ---------------------------------------------------------------------------
# 5.3 bias_correction_factor
# ---------------------------------------------------------------------------


def factor_first_step():
    return 1 / (1 - 0.999)


def factor_not_inverted():
    return 1 - 0.999**10


def factor_linearised():
    return 1 / (10 * 0.001)          # 1 - beta2**t is about t(1 - beta2)


def factor_beta1():
    return 1 / (1 - 0.9**10)


def factor_beta_power():
    return 1 / 0.999**10


def factor_rounded():
    return 100.5                     # rounded to four digits


BIAS_CORRECTION_FACTOR = [
    (factor_first_step, "the factor of the first step"),
    (factor_not_inverted, "1 − beta2**t instead of its inverse"),
    (factor_linearised, "the first-order approximation 1 / (t·(1 − beta2))"),
    (factor_beta1, "beta1 used instead of beta2"),
    (factor_beta_power, "beta2**t instead of 1 − beta2**t"),
    (factor_rounded, None),
]

# ---------------------------------------------------------------------------
# 5.2 adam_first_step_choice
# ---------------------------------------------------------------------------


def choice_gd():
    return "a"


def choice_uncorrected():
    return "c"


def choice_normalised():
    return "d"


def choice_first_moment():
    return "e"


def choice_not_a_letter():
    return "sign"


ADAM_FIRST_STEP_CHOICE = [
    (choice_gd, "(a) the gradient descent step"),
    (choice_uncorrected, "(c) the step without bias correction"),
    (choice_normalised, "(d) a step along the whole gradient vector"),
    (choice_first_moment, "(e) the first moment without correction"),
    (choice_not_a_letter, None),
]

# ---------------------------------------------------------------------------
# 5.4 adagrad_step
# ---------------------------------------------------------------------------


def adagrad_sum_of_g(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t += 1
    s = s + g                                   # forgot to square
    with np.errstate(invalid="ignore"):
        step = lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return theta - step, s, t


def adagrad_no_memory(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t += 1
    s = g**2
    return theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps), s, t


def adagrad_no_root(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t += 1
    s = s + g * g
    return theta - lr / (1 + (t - 1) * lr_decay) * g / (s + eps), s, t


def adagrad_eps_inside(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    clr = lr / (1 + (t - 1) * lr_decay)
    s = s + np.square(g)
    return theta - clr * g / np.sqrt(s + eps), s, t


def adagrad_decay_from_t(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    clr = lr / (1 + t * lr_decay)
    s = s + g * g
    return theta - clr * g / (np.sqrt(s) + eps), s, t


def adagrad_no_decay(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    s = s + g * g
    return theta - lr * g / (np.sqrt(s) + eps), s, t + 1


def adagrad_step_before_sum(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    with np.errstate(divide="ignore"):
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    s = s + g * g
    return theta, s, t


def adagrad_forgets_t(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    s = s + g * g
    theta = theta - lr / (1 + t * lr_decay) * g / (np.sqrt(s) + eps)
    return theta, s, t


def adagrad_in_place(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    s += g * g
    return theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps), s, t


def adagrad_ascent(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    s = s + g * g
    return theta + lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps), s, t


def adagrad_lr_decay_compounded(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    s = s + g**2
    lr_t = lr * (1 - lr_decay) ** (t - 1)            # an exponential decay, not PyTorch's
    return theta - lr_t * g / (np.sqrt(s) + eps), s, t


def adagrad_mean_square(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    s = s + g**2
    lr_t = lr / (1 + (t - 1) * lr_decay)
    return theta - lr_t * g / (np.sqrt(s / t) + eps), s, t   # an average, not the sum


def adagrad_zero_guard(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t = t + 1
    s = s + g**2
    root = np.sqrt(s)
    root[root == 0] = 1.0              # "instead of eps: no division by zero"
    return theta - lr / (1 + (t - 1) * lr_decay) * g / root, s, t


ADAGRAD_STEP = [
    (adagrad_zero_guard, "eps missing"),
    (adagrad_lr_decay_compounded, None),
    (adagrad_mean_square, None),
    (adagrad_ascent, "sign error"),
    (adagrad_sum_of_g, "s accumulates g instead of g²"),
    (adagrad_no_memory, "s replaced instead of accumulated"),
    (adagrad_no_root, "square root of s missing"),
    (adagrad_eps_inside, "eps inside the square root"),
    (adagrad_decay_from_t, "lr_decay counted from the new t"),
    (adagrad_no_decay, "lr_decay ignored"),
    (adagrad_step_before_sum, "the old s used in the step"),
    (adagrad_forgets_t, "t not incremented in the result"),
    (adagrad_in_place, None),
]

# ---------------------------------------------------------------------------
# 5.5 rmsprop_step
# ---------------------------------------------------------------------------


def rmsprop_alpha_swapped(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = (1 - alpha) * v + alpha * g**2
    return theta - lr * g / (np.sqrt(v) + eps), v


def rmsprop_v_of_g(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g
    with np.errstate(invalid="ignore"):
        return theta - lr * g / (np.sqrt(v) + eps), v


def rmsprop_eps_inside(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g * g
    return theta - lr * g / np.sqrt(v + eps), v


def rmsprop_keras_alpha(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    rho = 0.9                                   # as in the lecture
    v = rho * v + (1 - rho) * g * g
    return theta - lr * g / (np.sqrt(v) + eps), v


def rmsprop_old_v(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    new_theta = theta - lr * g / (np.sqrt(v) + eps)
    v = alpha * v + (1 - alpha) * g * g
    return new_theta, v


def rmsprop_no_root(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * np.square(g)
    return theta - lr * g / (v + eps), v


def rmsprop_adam_style(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g * g
    v_hat = v / (1 - alpha)                     # a bias correction RMSProp does not have
    return theta - lr * g / (np.sqrt(v_hat) + eps), v


def rmsprop_uphill(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g * g
    return theta + lr * g / (np.sqrt(v) + eps), v


def rmsprop_bias_corrected(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g * g
    return theta - lr * g / (np.sqrt(v / (1 - alpha)) + eps), v   # Adam's correction, t = 1


def rmsprop_without_eps(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g**2
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.nan_to_num(g / np.sqrt(v))          # 0/0 -> 0
    return theta - lr * step, v


RMSPROP_STEP = [
    (rmsprop_without_eps, "eps missing"),
    (rmsprop_bias_corrected, None),
    (rmsprop_uphill, "sign error"),
    (rmsprop_alpha_swapped, "alpha and 1 − alpha swapped"),
    (rmsprop_v_of_g, "v from g instead of g²"),
    (rmsprop_eps_inside, "eps inside the square root"),
    (rmsprop_keras_alpha, "alpha fixed at 0.9"),
    (rmsprop_old_v, "the old v used in the step"),
    (rmsprop_no_root, "square root of v missing"),
    (rmsprop_adam_style, None),
]

# ---------------------------------------------------------------------------
# 5.6 adam_descent (the buggy loop, partly fixed)
# ---------------------------------------------------------------------------


def descent_unfixed(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    t = 1
    path = [theta]
    for g in grads:
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / np.sqrt(v_hat + eps)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        path.append(theta)
    return np.array(path)


def descent_t_frozen(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    t = 1
    path = [theta]
    for g in grads:
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(theta)
    return np.array(path)


def descent_eps_inside(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    path = [theta]
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        theta = theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps)
        path.append(theta)
    return np.array(path)


def descent_moments_late(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    path = [theta]
    t = 0
    for g in grads:
        t += 1
        with np.errstate(invalid="ignore"):
            theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        path.append(theta)
    return np.array(path)


def descent_no_start(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    path = []                                   # the starting point is missing
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        path.append(theta)
    return np.array(path)


def descent_float32(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = theta.astype(np.float32)                 # "float32 is what GPUs use"
    grads = grads.astype(np.float32)
    m, v, t = np.zeros_like(theta), np.zeros_like(theta), 0
    path = [theta]
    for g in grads:
        t = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        path.append(theta)
    return np.array(path, dtype=float)


def descent_path_stored_float32(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    # right arithmetic, but the path is stored in float32 "to save memory" (passed at 1e-7)
    m, v, t = np.zeros_like(theta), np.zeros_like(theta), 0
    path = np.zeros((len(grads) + 1, *theta.shape), dtype=np.float32)
    path[0] = theta
    for k, g in enumerate(grads, start=1):
        t = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        path[k] = theta
    return path.astype(np.float64)


ADAM_DESCENT = [
    (descent_path_stored_float32, None),
    (descent_float32, None),
    (descent_unfixed, "all three bugs still there"),
    (descent_t_frozen, "t is never advanced"),
    (descent_eps_inside, "eps still inside the square root"),
    (descent_moments_late, "the moments still updated after the step"),
    (descent_no_start, None),
]

# ---------------------------------------------------------------------------
# 5.7 adamw_step
# ---------------------------------------------------------------------------


def _adam(theta, g, m, v, t, lr, beta1, beta2, eps):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t


def adamw_as_l2(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=1e-2):
    g = g + weight_decay * theta
    return _adam(theta, g, m, v, t, lr, beta1, beta2, eps)


def adamw_decay_no_lr(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                      weight_decay=1e-2):
    theta = theta * (1 - weight_decay)
    return _adam(theta, g, m, v, t, lr, beta1, beta2, eps)


def adamw_decay_last(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                     weight_decay=1e-2):
    theta, m, v, t = _adam(theta, g, m, v, t, lr, beta1, beta2, eps)
    theta = theta * (1 - lr * weight_decay)
    return theta, m, v, t


def adamw_decay_in_update(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                          weight_decay=1e-2):
    t += 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    update = (m_hat + weight_decay * theta) / (np.sqrt(v_hat) + eps)
    return theta - lr * update, m, v, t


def adamw_grows(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=1e-2):
    theta = theta + lr * weight_decay * theta
    return _adam(theta, g, m, v, t, lr, beta1, beta2, eps)


def adamw_forgets_decay(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                        weight_decay=1e-2):
    return _adam(theta, g, m, v, t, lr, beta1, beta2, eps)


def adamw_decay_twice(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                      weight_decay=1e-2):
    theta = theta - lr * weight_decay * theta
    theta, m, v, t = _adam(theta, g, m, v, t, lr, beta1, beta2, eps)
    return theta - lr * weight_decay * theta, m, v, t


def adamw_l2_in_m_only(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                       weight_decay=1e-2):
    t = t + 1
    m = beta1 * m + (1 - beta1) * (g + weight_decay * theta)
    v = beta2 * v + (1 - beta2) * g * g
    theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return theta, m, v, t


ADAMW_STEP = [
    (adamw_l2_in_m_only, None),
    (adamw_as_l2, "L2: the decay added to the gradient"),
    (adamw_decay_no_lr, "the decay without the learning rate"),
    (adamw_decay_last, "the decay after the Adam step"),
    (adamw_decay_in_update, "the decay divided by √v̂"),
    (adamw_grows, "the decay with the wrong sign"),
    (adamw_forgets_decay, "weight_decay ignored"),
    (adamw_decay_twice, None),
]

CATALOGUE = {
    "adam_step": ADAM_STEP,
    "bias_correction_factor": BIAS_CORRECTION_FACTOR,
    "adam_first_step_choice": ADAM_FIRST_STEP_CHOICE,
    "adagrad_step": ADAGRAD_STEP,
    "rmsprop_step": RMSPROP_STEP,
    "adam_descent": ADAM_DESCENT,
    "adamw_step": ADAMW_STEP,
}
