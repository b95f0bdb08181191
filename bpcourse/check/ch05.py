"""Checks for chapter 5, "Adaptive methods".

Exercise 5.1, ``adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999,
eps=1e-8) -> (theta, m, v, t)``: one step of Adam, checked against
``bpcourse.optim.adam_step``. ``t`` counts the steps already taken; the
function increments it first. See chapter 5, "Adam" and "Bias correction".
"""

import numpy as np

from .. import optim
from ._core import Case, Exercise, Mistake

__all__ = ["adam_step"]


def _a(*rows):
    return np.array(rows, dtype=np.float64)


# Fixed cases: each chosen so that one known mistake shows on it.
_CASES = [
    Case((_a(0.5, -1.0, 2.0), _a(0.1, -0.3, 0.8), np.zeros(3), np.zeros(3), 0),
         label="first step from zero moments (bias correction matters most)"),
    Case((_a(1.0, -2.0), _a(-0.5, 0.25), _a(0.02, -0.01), _a(0.001, 0.0005), 1),
         label="second step, moments already non-zero"),
    Case((_a([0.3, -0.7, 1.1], [2.0, 0.0, -0.4]), _a([1.5, -0.2, 0.0], [-3.0, 0.7, 0.05]),
          _a([0.1, -0.05, 0.0], [-0.2, 0.08, 0.01]), _a([0.3, 0.01, 0.002], [0.9, 0.05, 0.001]),
          9), label="a 2x3 matrix at step 10, one zero gradient"),
    Case((_a(1.0, 2.0, -3.0), _a(0.4, -1.2, 2.5), _a(0.1, -0.1, 0.2), _a(0.05, 0.2, 0.4), 3),
         {"lr": 0.1, "beta1": 0.8, "beta2": 0.95}, label="other lr, beta1 and beta2"),
    Case((_a(0.2, -0.1), _a(2e-5, -1e-5), np.zeros(2), np.zeros(2), 0),
         label="tiny gradients, where eps matters"),
    Case((_a(-1.0, 4.0), _a(0.3, 0.3), _a(0.05, 0.05), _a(0.01, 0.01), 2),
         {"eps": 0.01}, label="large eps"),
]


def _random_cases(rng):
    cases = []
    for i in range(10):
        if i % 2:
            shape = (int(rng.integers(1, 6)),)
        else:
            shape = tuple(int(s) for s in rng.integers(1, 4, 2))
        theta = rng.normal(size=shape)
        g = rng.normal(size=shape) * 10.0 ** rng.uniform(-3, 1)
        m = rng.normal(size=shape) * 0.1
        v = rng.uniform(0, 0.5, size=shape) ** 2
        t = int(rng.integers(0, 50))
        if t == 0:   # no step taken yet: the moments are still zero
            m, v = np.zeros(shape), np.zeros(shape)
        kwargs = {}
        if i % 3 == 0:
            kwargs = {"lr": float(rng.uniform(1e-3, 0.1)), "beta1": float(rng.uniform(0.5, 0.95)),
                      "beta2": float(rng.uniform(0.9, 0.9999))}
        cases.append(Case((theta, g, m, v, t), kwargs, label=f"random {shape} at step {t + 1}"))
    return cases


# Known mistakes, each one change to the correct rule.
def _wrong(*, correct=True, after=False, eps_inside=False, swap=False, g_not_squared=False,
           sign=1.0, keep_t=False, defaults=False, return_hats=False, no_sqrt=False):
    def step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        if defaults:
            lr, beta1, beta2, eps = 1e-3, 0.9, 0.999, 1e-8
        t_new = t + 1
        t_used = t if after else t_new
        a1, a2 = (1 - beta1, 1 - beta2) if not swap else (beta1, beta2)
        b1, b2 = (beta1, beta2) if not swap else (1 - beta1, 1 - beta2)
        m = b1 * m + a1 * g
        v = b2 * v + a2 * (g if g_not_squared else g * g)
        with np.errstate(all="ignore"):
            m_hat = m / (1 - beta1**t_used) if correct else m
            v_hat = v / (1 - beta2**t_used) if correct else v
            root = v_hat if no_sqrt else (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat))
            denom = root if eps_inside else root + eps
            theta = theta - sign * lr * m_hat / denom
        if return_hats:
            m, v = m_hat, v_hat
        return theta, m, v, (t if keep_t else t_new)
    return step


_MISTAKES = [
    Mistake("no bias correction",
            "m̂ = m / (1 − beta1**t) and v̂ = v / (1 − beta2**t) are missing. m and v "
            "start at zero and are biased towards it in the first steps, v the most: "
            "without the correction, and with the default betas, the first steps come "
            "out several times too large (see \"Bias correction\" in chapter 5).",
            _wrong(correct=False)),
    Mistake("t incremented after use",
            "t counts the steps already taken: increment it first, then use the new t in "
            "1 − beta**t (at t = 0 the old t divides by zero).", _wrong(after=True)),
    Mistake("eps inside the square root",
            "The book (and PyTorch) adds eps outside: m̂ / (√v̂ + eps), not m̂ / √(v̂ + eps).",
            _wrong(eps_inside=True)),
    Mistake("beta and 1 − beta swapped",
            "The old moment is kept with weight beta: m = beta1·m + (1 − beta1)·g.",
            _wrong(swap=True)),
    Mistake("v from g instead of g²",
            "The second moment averages the squared gradient: v = beta2·v + (1 − beta2)·g².",
            _wrong(g_not_squared=True)),
    Mistake("sign error", "Adam steps against the gradient: theta − lr·m̂/(√v̂ + eps).",
            _wrong(sign=-1.0)),
    Mistake("t not incremented in the result",
            "Return the new step count t + 1 with theta, m and v.", _wrong(keep_t=True)),
    Mistake("hyperparameters ignored",
            "Use the arguments lr, beta1, beta2 and eps, not fixed numbers.",
            _wrong(defaults=True)),
    Mistake("bias-corrected moments returned as the state",
            "Return m and v, not m̂ and v̂: the correction is applied anew at every step.",
            _wrong(return_hats=True)),
    Mistake("square root of v̂ missing",
            "Divide by √v̂ + eps: v̂ estimates g², so its root has the units of g.",
            _wrong(no_sqrt=True)),
]

adam_step = Exercise(
    id="5.1",
    name="adam_step",
    reference=optim.adam_step,
    cases=_CASES,
    random_cases=_random_cases,
    mistakes=_MISTAKES,
    returns=("theta", "m", "v", "t"),
    hint="Compare your code with the six lines of the update rule, one line at a time.",
    doc='See chapter 5, "Adam".',
)
