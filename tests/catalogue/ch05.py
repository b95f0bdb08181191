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


ADAM_STEP = [
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

CATALOGUE = {"adam_step": ADAM_STEP}
