"""Chapter 4: wrong solutions a learner might write, and the mistake each check must name.

Written as a learner would write them, independently of the checks' own
variants in ``bpcourse/check/ch04.py``, so the tests show that the check
recognises the mistake in real code. ``CATALOGUE[name]`` lists
``(wrong_function, expected mistake name or None)``; None means the check must
reject it but claims no name for it.
"""

import math

import numpy as np

# ---------------------------------------------------------------------------
# 4.3 momentum_step
# ---------------------------------------------------------------------------


def momentum_first_step_dampened(theta, g, v, lr, momentum=0.9, dampening=0.0):
    if v is None:
        v = np.zeros_like(g)
    v = momentum * v + (1 - dampening) * g
    return theta - lr * v, v


def momentum_no_dampening(theta, g, v, lr, momentum=0.9, dampening=0.0):
    if v is None:
        v = g
    else:
        v = momentum * v + g
    return theta - lr * v, v


def momentum_damps_memory(theta, g, v, lr, momentum=0.9, dampening=0.0):
    if v is None:
        new_v = g.copy()
    else:
        new_v = (1 - dampening) * momentum * v + g
    return theta - lr * new_v, new_v


def momentum_average(theta, g, v, lr, momentum=0.9, dampening=0.0):
    if v is None:
        return theta - lr * g, g.copy()
    v = momentum * v + (1 - momentum) * g
    return theta - lr * v, v


def momentum_sutskever_buffer(theta, g, v, lr, momentum=0.9, dampening=0.0):
    if v is None:
        v = lr * g
    else:
        v = momentum * v + lr * (1 - dampening) * g
    theta = theta - v
    return theta, v


def momentum_step_then_update(theta, g, v, lr, momentum=0.9, dampening=0.0):
    if v is None:
        v = np.zeros_like(theta)
        new_theta = theta - lr * v
        return new_theta, g.copy()
    new_theta = theta - lr * v
    v = momentum * v + (1 - dampening) * g
    return new_theta, v


def momentum_uphill(theta, g, v, lr, momentum=0.9, dampening=0.0):
    v = g.copy() if v is None else momentum * v + (1 - dampening) * g
    return theta + lr * v, v


def momentum_in_place(theta, g, v, lr, momentum=0.9, dampening=0.0):
    if v is None:
        v = g.copy()
    else:
        v *= momentum
        v += (1 - dampening) * g
    return theta - lr * v, v


def momentum_zero_means_start(theta, g, v, lr, momentum=0.9, dampening=0.0):
    # no velocity yet, or an all-zero one: start the buffer from g
    if v is None or not v.any():
        v = g.copy()
    else:
        v = momentum * v + (1 - dampening) * g
    return theta - lr * v, v


def momentum_shortcut_first(theta, g, v, lr, momentum=0.9, dampening=0.0):
    # first step: nothing to remember yet, so no step either
    if v is None:
        return theta, g.copy()
    v = momentum * v + (1 - dampening) * g
    return theta - lr * v, v


def momentum_float32(theta, g, v, lr, momentum=0.9, dampening=0.0):
    g32 = g.astype(np.float32)
    if v is None:
        v32 = g32.copy()
    else:
        v32 = np.float32(momentum) * v.astype(np.float32) + np.float32(1 - dampening) * g32
    return (theta - lr * v32).astype(np.float64), v32.astype(np.float64)


def momentum_returns_theta_only(theta, g, v, lr, momentum=0.9, dampening=0.0):
    v = g if v is None else momentum * v + (1 - dampening) * g
    return theta - lr * v


MOMENTUM_STEP = [
    (momentum_first_step_dampened, "the first step dampened"),
    (momentum_no_dampening, "dampening ignored"),
    (momentum_damps_memory, "dampening applied to the old velocity"),
    (momentum_average, "the moving-average form"),
    (momentum_sutskever_buffer, "the learning rate inside the velocity"),
    (momentum_step_then_update, "theta moved with the old velocity"),
    (momentum_uphill, "sign error: a step up the velocity"),
    (momentum_in_place, None),
    (momentum_returns_theta_only, None),
    (momentum_zero_means_start, "a zero velocity taken for the first step"),
    (momentum_shortcut_first, None),   # named "theta moved with the old velocity"
    (momentum_float32, None),
]

# ---------------------------------------------------------------------------
# 4.6 nesterov_step
# ---------------------------------------------------------------------------


def nesterov_is_heavy_ball(theta, g, v, lr, momentum=0.9):
    v = g.copy() if v is None else momentum * v + g
    return theta - lr * v, v


def nesterov_lr_in_buffer(theta, g, v, lr, momentum=0.9):
    if v is None:
        v = np.zeros_like(theta)
    v = momentum * v + lr * g
    theta = theta - lr * g - momentum * v
    return theta, v


def nesterov_momentum_term_only(theta, g, v, lr, momentum=0.9):
    if v is None:
        v = np.zeros_like(g)
    v = momentum * v + g
    return theta - lr * momentum * v, v


def nesterov_velocity_twice(theta, g, v, lr, momentum=0.9):
    v = g if v is None else g + momentum * v
    step = v + momentum * v
    return theta - lr * step, v


def nesterov_first_step_zero(theta, g, v, lr, momentum=0.9):
    if v is None:
        return theta.copy(), np.zeros_like(g)
    v = momentum * v + g
    return theta - lr * (g + momentum * v), v


def nesterov_old_velocity(theta, g, v, lr, momentum=0.9):
    v_prev = np.zeros_like(g) if v is None else v
    v_new = momentum * v_prev + g
    return theta - lr * (g + momentum * v_prev), v_new


def nesterov_one_plus(theta, g, v, lr, momentum=0.9):
    v = g.copy() if v is None else momentum * v + g
    return theta - lr * (1 + momentum) * v, v


def nesterov_float32(theta, g, v, lr, momentum=0.9):
    v = np.zeros_like(g) if v is None else v
    v = (momentum * v + g).astype(np.float32)
    step = (g + momentum * v).astype(np.float32)
    return theta - lr * step, v.astype(np.float64)


NESTEROV_STEP = [
    (nesterov_is_heavy_ball, "heavy ball, not Nesterov"),
    (nesterov_lr_in_buffer, "the learning rate inside the velocity"),
    (nesterov_momentum_term_only, "the gradient left out of the step"),
    (nesterov_velocity_twice, "the velocity in place of the gradient"),
    (nesterov_first_step_zero, None),
    (nesterov_old_velocity, None),   # named "heavy ball, not Nesterov": same numbers
    (nesterov_one_plus, None),   # named "the velocity in place of the gradient"
    (nesterov_float32, None),
]

# ---------------------------------------------------------------------------
# 4.1 optimal_momentum_by_hand
# ---------------------------------------------------------------------------


def optimal_rate_not_squared():
    L, mu = 25, 1
    k = math.sqrt(L / mu)
    return 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, (k - 1) / (k + 1)


def optimal_gd_step():
    lr = 2 / (25 + 1)
    momentum = ((5 - 1) / (5 + 1)) ** 2
    return lr, momentum


def optimal_kappa_not_root():
    kappa = 25 / 1
    return 4 / 36, ((kappa - 1) / (kappa + 1)) ** 2


def optimal_from_diagonal():
    L = mu = 13.0
    kappa = L / mu
    lr = 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    return lr, ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2


def optimal_no_roots_in_step():
    return 4 / (25 + 1), 0.4444444444444444


def optimal_rounded():
    # eigenvalues 25 and 1, worked out on paper to three places
    return 0.111, 0.444


def optimal_lr_over_L():
    return 1 / 25, 4 / 9


def optimal_swapped():
    return 4 / 9, 1 / 9


OPTIMAL_MOMENTUM_BY_HAND = [
    (optimal_rate_not_squared, "the rate given as the momentum"),
    (optimal_gd_step, "gradient descent's best step"),
    (optimal_kappa_not_root, "κ in place of √κ"),
    (optimal_from_diagonal, "the diagonal entries used as curvatures"),
    (optimal_no_roots_in_step, "4/(L + μ_min) without the square roots"),
    (optimal_swapped, None),
    (optimal_rounded, None),
    (optimal_lr_over_L, None),
]

# ---------------------------------------------------------------------------
# 4.2 diverging_pairs
# ---------------------------------------------------------------------------


def pairs_gd_limit():
    # lr * L < 2, as for gradient descent
    return "BCDF"


def pairs_momentum_shrinks():
    return "BCDEF"


def pairs_big_momentum_diverges():
    return "BDEF"


def pairs_no_factor_two():
    return "ABCDF"


def pairs_none():
    return ""


def pairs_all():
    return "ABCDEF"


DIVERGING_PAIRS = [
    (pairs_gd_limit, "gradient descent's limit lr < 2/L used"),
    (pairs_momentum_shrinks, "momentum taken to shrink the limit"),
    (pairs_big_momentum_diverges, "a large momentum taken to diverge"),
    (pairs_no_factor_two, "the factor 2 left out"),
    (pairs_none, None),
    (pairs_all, None),
]

# ---------------------------------------------------------------------------
# 4.4 fixed_momentum
# ---------------------------------------------------------------------------


def fixed_still_resets(theta0, A, lr, momentum, steps):
    theta = theta0.copy()
    for _ in range(steps):
        v = np.zeros_like(theta)
        g = A @ theta
        v = momentum * v + g
        theta = theta - lr * v
    return theta


def fixed_lr_still_twice(theta0, A, lr, momentum, steps):
    theta = theta0.copy()
    v = np.zeros_like(theta)
    for _ in range(steps):
        g = A @ theta
        v = momentum * v + lr * g
        theta = theta - lr * v
    return theta


def fixed_nothing(theta0, A, lr, momentum, steps):
    theta = theta0.copy()
    for _ in range(steps):
        v = np.zeros_like(theta)
        g = A @ theta
        v = momentum * v + lr * g
        theta = theta - lr * v
    return theta


def fixed_step_before_velocity(theta0, A, lr, momentum, steps):
    theta = theta0.copy()
    v = np.zeros_like(theta)
    for _ in range(steps):
        g = A @ theta
        theta = theta - lr * v
        v = momentum * v + g
    return theta


def fixed_gradient_outside(theta0, A, lr, momentum, steps):
    theta = theta0.copy()
    v = np.zeros_like(theta)
    g = A @ theta
    for _ in range(steps):
        v = momentum * v + g
        theta = theta - lr * v
    return theta


def fixed_in_float32(theta0, A, lr, momentum, steps):
    theta = theta0.astype(np.float32)
    v = np.zeros_like(theta)
    for _ in range(steps):
        v = momentum * v + A.astype(np.float32) @ theta
        theta = theta - lr * v
    return theta.astype(np.float64)


def fixed_nesterov_instead(theta0, A, lr, momentum, steps):
    theta = theta0.copy()
    v = np.zeros_like(theta)
    for _ in range(steps):
        g = A @ theta
        v = momentum * v + g
        theta = theta - lr * (g + momentum * v)
    return theta


def fixed_one_step_short(theta0, A, lr, momentum, steps):
    theta = theta0.copy()
    v = np.zeros_like(theta)
    for _ in range(steps - 1):
        v = momentum * v + A @ theta
        theta = theta - lr * v
    return theta


FIXED_MOMENTUM = [
    (fixed_still_resets, "velocity reset every step"),
    (fixed_lr_still_twice, "learning rate applied twice"),
    (fixed_nothing, "both bugs still there"),
    (fixed_step_before_velocity, "theta moved with the old velocity"),
    (fixed_gradient_outside, "the gradient computed once, before the loop"),
    (fixed_one_step_short, None),
    (fixed_in_float32, None),
    (fixed_nesterov_instead, None),
]

# ---------------------------------------------------------------------------
# 4.5 convert_velocity
# ---------------------------------------------------------------------------


def convert_positive_u(v, lr, momentum):
    return lr * v, (1 - momentum) * v


def convert_u_over_lr(v, lr, momentum):
    u = -v / lr
    m = v * (1 - momentum)
    return u, m


def convert_u_no_lr(v, lr, momentum):
    return -v, (1 - momentum) * v


def convert_m_divided(v, lr, momentum):
    return -lr * v, v / (1 - momentum)


def convert_m_times_mu(v, lr, momentum):
    u = -lr * v
    m = momentum * v
    return u, m


def convert_m_with_lr(v, lr, momentum):
    u = -lr * v
    return u, (1 - momentum) * u


def convert_effective_step(v, lr, momentum):
    # Sutskever's step uses the effective learning rate lr / (1 - momentum)
    return -lr / (1 - momentum) * v, (1 - momentum) * v


def convert_float32(v, lr, momentum):
    v32 = v.astype(np.float32)
    return (-lr * v32).astype(np.float64), ((1 - momentum) * v32).astype(np.float64)


def convert_returns_lists(v, lr, momentum):
    return list(-lr * v), list((1 - momentum) * v)


CONVERT_VELOCITY = [
    (convert_positive_u, "Sutskever's velocity with the wrong sign"),
    (convert_u_over_lr, "divided by the learning rate"),
    (convert_u_no_lr, "the learning rate left out"),
    (convert_m_divided, "the average divided by 1 − momentum"),
    (convert_m_times_mu, "the average scaled by the momentum"),
    (convert_m_with_lr, "the learning rate put into the average"),
    (convert_returns_lists, None),
    (convert_effective_step, None),
    (convert_float32, None),
]

CATALOGUE = {
    "momentum_step": MOMENTUM_STEP,
    "nesterov_step": NESTEROV_STEP,
    "optimal_momentum_by_hand": OPTIMAL_MOMENTUM_BY_HAND,
    "diverging_pairs": DIVERGING_PAIRS,
    "fixed_momentum": FIXED_MOMENTUM,
    "convert_velocity": CONVERT_VELOCITY,
}
