"""Checks for chapter 5, "Adaptive methods".

- 5.1 ``adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999,
  eps=1e-8) -> (theta, m, v, t)``: one step of Adam, checked against
  ``bpcourse.optim.adam_step``. ``t`` counts the steps already taken; the
  function increments it first. See chapter 5, "Adam" and "Bias correction".
- 5.2 ``adam_first_step_choice()``: predict Adam's first step (a letter).
- 5.3 ``bias_correction_factor()``: 1 / (1 − beta2**t) for beta2 = 0.999,
  t = 10, a number by hand.
- 5.4 ``adagrad_step(theta, g, s, t, lr=1e-2, lr_decay=0, eps=1e-10)`` and
  5.5 ``rmsprop_step(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8)``, PyTorch's
  conventions, against ``bpcourse.optim``. See chapter 5, "AdaGrad" and "RMSProp".
- 5.6 ``adam_descent(theta, grads, ...)``: a buggy Adam loop, debugged.
- 5.7 ``adamw_step(..., weight_decay=1e-2)``: the decay on theta, not on g.
  See chapter 5, "AdamW: decoupled weight decay".

Every rule's cases include a step that lands next to zero, where float32
arithmetic loses the answer: the chapter asks for float64.
"""

import numpy as np

from .. import optim
from ._core import Case, Exercise, Mistake, accept_hidden_number

# Each rule's cases include a step that lands next to zero, where float32
# arithmetic (about 7 digits) loses the answer; the chapter works in float64,
# and float64=True compares at 1e-9, under which even a result rounded to
# float32 at the end (about 3e-8) fails.
__all__ = ["adam_step", "bias_correction_factor", "adam_first_step_choice", "adagrad_step",
           "rmsprop_step", "adamw_step", "adam_descent"]


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
    Case((_a(0.5, -1.0, 2.0), _a(0.0, -0.3, 0.8), np.zeros(3), np.zeros(3), 0),
         label="first step, one zero gradient: v̂ = 0 there, and eps keeps 0/0 away"),
    Case((_a(-1.0, 4.0), _a(0.3, 0.3), _a(0.05, 0.05), _a(0.01, 0.01), 2),
         {"eps": 0.01}, label="large eps"),
    Case((_a(1.0, -1.0), _a(0.4, -0.1), np.zeros(2), np.zeros(2), 0),
         {"eps": 0.3}, label="eps comparable to the gradient"),
    Case((_a(0.100001, -0.100002, 0.05), _a(0.3, -2.0, 4e-3), np.zeros(3), np.zeros(3), 0),
         {"lr": 0.1}, label="a step that lands next to zero (float64 needed)"),
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
def _adam_moments(g, m, v, beta1, beta2):
    """The two moment updates every Adam mistake below shares (correct)."""
    return beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g


def _adam_no_bias_correction(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _adam_moments(g, m, v, beta1, beta2)
    return theta - lr * m / (np.sqrt(v) + eps), m, v, t + 1


def _adam_t_after(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _adam_moments(g, m, v, beta1, beta2)
    with np.errstate(all="ignore"):
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)   # the old t
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t + 1


def _adam_eps_inside(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m, v = _adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v, t


def _adam_eps_squared(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m, v = _adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps * eps), m, v, t


def _adam_no_eps(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m, v = _adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    with np.errstate(all="ignore"):
        return theta - lr * m_hat / np.sqrt(v_hat), m, v, t


def _adam_swapped(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = (1 - beta1) * m + beta1 * g
    v = (1 - beta2) * v + beta2 * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t


def _adam_v_from_g(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    with np.errstate(all="ignore"):
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t


def _adam_sign(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m, v = _adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta + lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t


def _adam_keeps_t(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, m, v, _ = optim.adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)
    return theta, m, v, t


def _adam_defaults(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return optim.adam_step(theta, g, m, v, t)


def _adam_returns_hats(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m, v = _adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat, t


def _adam_no_sqrt(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m, v = _adam_moments(g, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (v_hat + eps), m, v, t


_MISTAKES = [
    Mistake("no bias correction",
            "m̂ = m / (1 − beta1**t) and v̂ = v / (1 − beta2**t) are missing. m and v "
            "start at zero and are biased towards it in the first steps, v the most: "
            "without the correction, and with the default betas, the first steps come "
            "out several times too large (see \"Bias correction\" in chapter 5).",
            _adam_no_bias_correction),
    Mistake("t incremented after use",
            "t counts the steps already taken: increment it first, then use the new t in "
            "1 − beta**t (at t = 0 the old t divides by zero).", _adam_t_after),
    Mistake("eps inside the square root",
            "The book (and PyTorch) adds eps outside: m̂ / (√v̂ + eps), not m̂ / √(v̂ + eps).",
            _adam_eps_inside),
    Mistake("eps squared inside the square root",
            "√(v̂ + eps²) is not √v̂ + eps: the two agree only where v̂ is much larger "
            "than eps², and differ where the gradient is small or eps is large. The book "
            "(and PyTorch) adds eps outside: m̂ / (√v̂ + eps).", _adam_eps_squared),
    Mistake("eps missing",
            "The step divides by √v̂ + eps, and eps is what keeps it finite where v̂ = 0 "
            "(a coordinate whose gradients have all been zero) and small where the "
            "gradient is tiny: m̂ / (√v̂ + eps), not m̂ / √v̂.", _adam_no_eps),
    Mistake("beta and 1 − beta swapped",
            "The old moment is kept with weight beta: m = beta1·m + (1 − beta1)·g.",
            _adam_swapped),
    Mistake("v from g instead of g²",
            "The second moment averages the squared gradient: v = beta2·v + (1 − beta2)·g².",
            _adam_v_from_g),
    Mistake("sign error", "Adam steps against the gradient: theta − lr·m̂/(√v̂ + eps).",
            _adam_sign),
    Mistake("t not incremented in the result",
            "Return the new step count t + 1 with theta, m and v.", _adam_keeps_t),
    Mistake("hyperparameters ignored",
            "Use the arguments lr, beta1, beta2 and eps, not fixed numbers.",
            _adam_defaults),
    Mistake("bias-corrected moments returned as the state",
            "Return m and v, not m̂ and v̂: the correction is applied anew at every step.",
            _adam_returns_hats),
    Mistake("square root of v̂ missing",
            "Divide by √v̂ + eps: v̂ estimates g², so its root has the units of g.",
            _adam_no_sqrt),
]

adam_step = Exercise(
    id="5.1",
    name="adam_step",
    reference=optim.adam_step,
    cases=_CASES,
    random_cases=_random_cases,
    mistakes=_MISTAKES,
    float64=True,
    returns=("theta", "m", "v", "t"),
    hint="Compare your code with the six lines of the update rule, one line at a time.",
    doc='See chapter 5, "Adam".',
)


# ---------------------------------------------------------------------------
# 5.3 bias_correction_factor() -> 1 / (1 − beta2**10), a number by hand
# ---------------------------------------------------------------------------


def _bias_correction_factor():
    return 1 / (1 - 0.999**10)


def _factor_first_step():
    return 1 / (1 - 0.999)


def _factor_not_inverted():
    return 1 - 0.999**10


def _factor_first_order():
    return 1 / (10 * (1 - 0.999))


def _factor_beta1():
    return 1 / (1 - 0.9**10)


def _factor_beta2_power():
    return 1 / 0.999**10


bias_correction_factor = Exercise(
    id="5.3", name="bias_correction_factor", reference=_bias_correction_factor,
    cases=[Case((), label="beta2 = 0.999, after t = 10 steps")],
    accept=accept_hidden_number(
        "the factor v̂ / v after ten steps",
        'Write v̂ = v / (1 − beta2**t) with t = 10, and compute it without rounding '
        '(see "Bias correction" in chapter 5).'),
    mistakes=[
        Mistake("the factor of the first step",
                "That is 1 / (1 − beta2), the factor at t = 1. After ten steps the "
                "average holds ten terms: use beta2**10.",
                _factor_first_step),
        Mistake("1 − beta2**t instead of its inverse",
                "v̂ = v / (1 − beta2**t): v is divided by 1 − beta2**t, so v is multiplied "
                "by 1 / (1 − beta2**t), a number larger than 1.",
                _factor_not_inverted),
        Mistake("the first-order approximation 1 / (t·(1 − beta2))",
                "1 − beta2**t ≈ t·(1 − beta2) is close but not exact; the exercise asks "
                "for the exact factor 1 / (1 − beta2**t).",
                _factor_first_order),
        Mistake("beta1 used instead of beta2",
                "v is the average of g², kept with beta2 = 0.999; beta1 = 0.9 is m's.",
                _factor_beta1),
        Mistake("beta2**t instead of 1 − beta2**t",
                "The weights of an average started at zero sum to 1 − beta2**t, and that "
                "sum is what v̂ divides by.",
                _factor_beta2_power),
    ],
    hint='Write v̂ = v / (1 − beta2**t) with t = 10 (see "Bias correction" in chapter 5).',
    doc="Return 1 / (1 − beta2**t) for beta2 = 0.999 and t = 10, as a number.",
)


# ---------------------------------------------------------------------------
# 5.2 adam_first_step_choice() -> "b": Adam's first step is −lr·sign(g)
# ---------------------------------------------------------------------------

_CHOICES = ("a", "b", "c", "d", "e")


def _adam_first_step_choice():
    return "b"


def _accept_letter(got, expected, case):
    """Accept the letter in either case, with or without brackets; never show the answer."""
    letter = str(got).strip().strip("()").lower()
    if letter not in _CHOICES:
        return f"answer with one letter from \"a\" to \"e\"; got {got!r}"
    return None if letter == expected else f"({letter}) is not Adam's first step."


def _choice_a():
    return "a"


def _choice_c():
    return "c"


def _choice_d():
    return "d"


def _choice_e():
    return "e"


adam_first_step_choice = Exercise(
    id="5.2", name="adam_first_step_choice", reference=_adam_first_step_choice,
    cases=[Case((), label="Adam's first step, default betas, |g| much larger than eps")],
    accept=_accept_letter,
    mistakes=[
        Mistake("(a) the gradient descent step",
                "After one step m̂ = g and v̂ = g², so m̂ / √v̂ = g / |g|: the size of g "
                "cancels.",
                _choice_a),
        Mistake("(c) the step without bias correction",
                "That is what m / √v gives before the correction: (1 − beta1) / "
                "√(1 − beta2) ≈ 3.16. The correction divides it out exactly at t = 1.",
                _choice_c),
        Mistake("(d) a step along the whole gradient vector",
                "The division by √v̂ is element by element: every coordinate is divided "
                "by its own |g_i|, not by the length of the vector.",
                _choice_d),
        Mistake("(e) the first moment without correction",
                "m = (1 − beta1)·g = 0.1·g after one step, but m̂ divides by 1 − beta1 and "
                "v̂ by 1 − beta2, and the size of g cancels in m̂ / √v̂.",
                _choice_e),
    ],
    hint="Write m and v after one step from zero, correct them with t = 1, and divide.",
    doc='Return the letter of the right answer. See chapter 5, "Bias correction".',
)


# ---------------------------------------------------------------------------
# 5.4 adagrad_step(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10)
# ---------------------------------------------------------------------------

_ADAGRAD_CASES = [
    Case((_a(0.5, -1.0, 2.0), _a(0.1, -0.3, 0.8), np.zeros(3), 0),
         label="first step from s = 0, t = 0"),
    Case((_a(1.0, -2.0), _a(-0.5, 0.25), _a(0.4, 0.09), 3), {"lr": 0.1},
         label="a later step, s already non-zero"),
    Case((_a(0.3, 0.7), _a(0.2, -0.6), _a(0.5, 0.2), 5), {"lr": 0.1, "lr_decay": 0.1},
         label="lr_decay = 0.1 at step 6"),
    Case((_a(0.3, 0.7), _a(0.2, -0.6), np.zeros(2), 0), {"lr": 0.1, "lr_decay": 0.5},
         label="lr_decay at the first step (no decay yet)"),
    Case((_a([0.3, -0.7, 1.1], [2.0, 0.0, -0.4]), _a([1.5, 0.0, 0.0], [-3.0, 0.7, 0.05]),
          _a([0.3, 0.0, 0.2], [0.9, 0.05, 0.001]), 9),
         label="a 2x3 matrix, zero gradients (one with s = 0)"),
    Case((_a(0.2, -0.1), _a(1e-3, -2e-3), np.zeros(2), 0), {"eps": 1e-3},
         label="eps comparable to the gradient"),
    Case((_a(0.100001, -0.050002), _a(0.3, -2.0), np.zeros(2), 0), {"lr": 0.1},
         label="a step that lands next to zero (float64 needed)"),
]


def _adagrad_random(rng):
    cases = []
    for i in range(8):
        shape = (int(rng.integers(1, 5)),) if i % 2 else (2, int(rng.integers(1, 4)))
        theta = rng.normal(size=shape)
        g = rng.normal(size=shape) * 10.0 ** rng.uniform(-2, 1)
        t = int(rng.integers(0, 30))
        s = np.zeros(shape) if t == 0 else rng.uniform(0, 2, size=shape) * (t + 1)
        kwargs = {"lr": float(rng.uniform(0.01, 0.5))}
        if i % 3 == 0:
            kwargs["lr_decay"] = float(rng.uniform(0.01, 0.2))
        cases.append(Case((theta, g, s, t), kwargs, label=f"random {shape} at step {t + 1}"))
    return cases


def _ag_lr(lr, lr_decay, t):
    """PyTorch's decayed learning rate at the new step count t (correct)."""
    return lr / (1 + (t - 1) * lr_decay)


def _ag_g_not_squared(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, s + g
    with np.errstate(all="ignore"):
        return theta - _ag_lr(lr, lr_decay, t) * g / (np.sqrt(s) + eps), s, t


def _ag_replaced(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, g * g
    return theta - _ag_lr(lr, lr_decay, t) * g / (np.sqrt(s) + eps), s, t


def _ag_no_sqrt(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, s + g * g
    return theta - _ag_lr(lr, lr_decay, t) * g / (s + eps), s, t


def _ag_eps_inside(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, s + g * g
    return theta - _ag_lr(lr, lr_decay, t) * g / np.sqrt(s + eps), s, t


def _ag_decay_new_t(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, s + g * g
    return theta - lr / (1 + t * lr_decay) * g / (np.sqrt(s) + eps), s, t


def _ag_no_decay(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, s + g * g
    return theta - lr * g / (np.sqrt(s) + eps), s, t


def _ag_old_s(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s_new = t + 1, s + g * g
    return theta - _ag_lr(lr, lr_decay, t) * g / (np.sqrt(s) + eps), s_new, t


def _ag_no_eps(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, s + g * g
    with np.errstate(all="ignore"):
        step = np.where(s > 0, g / np.sqrt(s), 0.0)   # 0/0 guarded, eps left out
    return theta - _ag_lr(lr, lr_decay, t) * step, s, t


def _ag_keeps_t(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    theta, s, _ = optim.adagrad_step(theta, g, s, t, lr, lr_decay, eps)
    return theta, s, t


def _ag_sign(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    t, s = t + 1, s + g * g
    return theta + _ag_lr(lr, lr_decay, t) * g / (np.sqrt(s) + eps), s, t


adagrad_step = Exercise(
    id="5.4", name="adagrad_step", reference=optim.adagrad_step,
    cases=_ADAGRAD_CASES,
    random_cases=_adagrad_random,
    mistakes=[
        Mistake("s accumulates g instead of g²",
                "s is the running sum of *squared* gradients: s = s + g².", _ag_g_not_squared),
        Mistake("s replaced instead of accumulated",
                "AdaGrad adds every new g² to the sum, s = s + g²; s = g² forgets the past "
                "(and with a decay it would be RMSProp).", _ag_replaced),
        Mistake("square root of s missing",
                "Divide by √s + eps: s sums squared gradients, so its root has the units of g.",
                _ag_no_sqrt),
        Mistake("eps inside the square root",
                "PyTorch adds eps outside: g / (√s + eps), not g / √(s + eps).",
                _ag_eps_inside),
        Mistake("eps missing",
                "Divide by √s + eps, not by √s alone: eps is part of the rule, and it "
                "changes the step wherever √s is not much larger than eps.", _ag_no_eps),
        Mistake("lr_decay counted from the new t",
                "PyTorch divides by 1 + (t − 1)·lr_decay with the new t, so the first step "
                "uses lr itself.", _ag_decay_new_t),
        Mistake("lr_decay ignored",
                "Divide the learning rate by 1 + (t − 1)·lr_decay, with t the new step count.",
                _ag_no_decay),
        Mistake("the old s used in the step",
                "Add g² to s first, then divide by √s + eps: the first step from s = 0 "
                "would otherwise divide by eps alone.", _ag_old_s),
        Mistake("t not incremented in the result",
                "Return the new step count t + 1 with theta and s.", _ag_keeps_t),
        Mistake("sign error", "AdaGrad steps against the gradient: theta − lr·g/(√s + eps).",
                _ag_sign),
    ],
    float64=True,
    returns=("theta", "s", "t"),
    hint="Compare your code with the four lines of the update rule, one line at a time.",
    doc='See chapter 5, "AdaGrad".',
)


# ---------------------------------------------------------------------------
# 5.5 rmsprop_step(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8), PyTorch's convention
# ---------------------------------------------------------------------------

_RMSPROP_CASES = [
    Case((_a(0.5, -1.0, 2.0), _a(0.1, -0.3, 0.8), np.zeros(3)),
         label="first step from v = 0 (no bias correction: 10·lr)"),
    Case((_a(1.0, -2.0), _a(-0.5, 0.25), _a(0.04, 0.09)), label="a later step"),
    Case((_a(1.0, -2.0), _a(-0.5, 0.25), _a(0.04, 0.09)), {"alpha": 0.9, "lr": 0.1},
         label="alpha = 0.9, the lecture's and Keras's value"),
    Case((_a([0.3, -0.7], [2.0, 0.0]), _a([1.5, 0.0], [-3.0, 0.7]),
          _a([0.3, 0.0], [0.9, 0.05])), label="a 2x2 matrix, zero gradients (one with v = 0)"),
    Case((_a(0.2, -0.1), _a(1e-4, -2e-4), _a(1e-8, 0.0)), {"eps": 1e-4},
         label="eps comparable to the gradient's root mean square"),
    Case((_a(0.100001, -0.100002), _a(0.3, -2.0), np.zeros(2)), {"lr": 0.01},
         label="a step that lands next to zero (float64 needed)"),
]


def _rmsprop_random(rng):
    cases = []
    for i in range(8):
        shape = (int(rng.integers(1, 5)),) if i % 2 else (2, int(rng.integers(1, 4)))
        theta = rng.normal(size=shape)
        g = rng.normal(size=shape) * 10.0 ** rng.uniform(-2, 1)
        v = rng.uniform(0, 1, size=shape) ** 2
        kwargs = {"lr": float(rng.uniform(1e-3, 0.1))}
        if i % 3 == 0:
            kwargs["alpha"] = float(rng.uniform(0.5, 0.98))
        cases.append(Case((theta, g, v), kwargs, label=f"random {shape}"))
    return cases


def _rp_swapped(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = (1 - alpha) * v + alpha * g * g
    return theta - lr * g / (np.sqrt(v) + eps), v


def _rp_g_not_squared(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g
    with np.errstate(all="ignore"):
        return theta - lr * g / (np.sqrt(v) + eps), v


def _rp_eps_inside(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g * g
    return theta - lr * g / np.sqrt(v + eps), v


def _rp_alpha_09(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    return optim.rmsprop_step(theta, g, v, lr, 0.9, eps)


def _rp_old_v(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v_new = alpha * v + (1 - alpha) * g * g
    return theta - lr * g / (np.sqrt(v) + eps), v_new


def _rp_no_sqrt(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g * g
    return theta - lr * g / (v + eps), v


def _rp_no_eps(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * (g * g)
    with np.errstate(all="ignore"):
        step = np.where(v > 0, g / np.sqrt(v), 0.0)   # 0/0 guarded, eps left out
    return theta - lr * step, v


def _rp_sign(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * g * g
    return theta + lr * g / (np.sqrt(v) + eps), v


rmsprop_step = Exercise(
    id="5.5", name="rmsprop_step", reference=optim.rmsprop_step,
    cases=_RMSPROP_CASES,
    random_cases=_rmsprop_random,
    mistakes=[
        Mistake("alpha and 1 − alpha swapped",
                "PyTorch's alpha is the weight of the *old* average: v = alpha·v + "
                "(1 − alpha)·g².", _rp_swapped),
        Mistake("v from g instead of g²",
                "v averages the squared gradient: v = alpha·v + (1 − alpha)·g².",
                _rp_g_not_squared),
        Mistake("eps inside the square root",
                "PyTorch adds eps outside: g / (√v + eps), not g / √(v + eps).",
                _rp_eps_inside),
        Mistake("eps missing",
                "Divide by √v + eps, not by √v alone: eps is part of the rule, and it "
                "changes the step wherever √v is not much larger than eps.", _rp_no_eps),
        Mistake("alpha fixed at 0.9",
                "Use the argument alpha (PyTorch's default is 0.99; 0.9 is the lecture's "
                "and Keras's value).", _rp_alpha_09),
        Mistake("the old v used in the step",
                "Update v first, then divide by √v + eps with the new v.", _rp_old_v),
        Mistake("square root of v missing",
                "Divide by √v + eps: v estimates g², so its root has the units of g.",
                _rp_no_sqrt),
        Mistake("sign error", "RMSProp steps against the gradient: theta − lr·g/(√v + eps).",
                _rp_sign),
    ],
    float64=True,
    returns=("theta", "v"),
    hint="Two lines: the average v, then the step. Compare each with the update rule.",
    doc='See chapter 5, "RMSProp".',
)


# ---------------------------------------------------------------------------
# 5.7 adamw_step(theta, g, m, v, t, ..., weight_decay=1e-2)
# ---------------------------------------------------------------------------

_ADAMW_CASES = [
    Case((_a(0.5, -1.0, 2.0), _a(0.1, -0.3, 0.8), np.zeros(3), np.zeros(3), 0),
         label="first step, default weight_decay = 0.01"),
    Case((_a(1.0, -2.0, 3.0), _a(0.4, -1.2, 0.0), _a(0.1, -0.1, 0.0), _a(0.05, 0.2, 0.0), 3),
         {"lr": 0.1, "weight_decay": 0.5},
         label="lr·weight_decay = 0.05, a zero gradient where v = 0"),
    Case((_a(1.0, -2.0), _a(-0.5, 0.25), _a(0.02, -0.01), _a(0.001, 0.0005), 1),
         {"weight_decay": 0.0}, label="weight_decay = 0: plain Adam"),
    Case((_a([0.3, -0.7, 1.1], [2.0, 0.0, -0.4]), _a([1.5, -0.2, 0.0], [-3.0, 0.7, 0.05]),
          _a([0.1, -0.05, 0.0], [-0.2, 0.08, 0.01]), _a([0.3, 0.01, 0.002], [0.9, 0.05, 0.001]),
          9), {"lr": 0.05, "weight_decay": 0.1, "beta1": 0.8, "beta2": 0.95},
         label="a 2x3 matrix at step 10, other betas"),
    Case((_a(0.2, -0.1), _a(2e-5, -1e-5), np.zeros(2), np.zeros(2), 0), {"eps": 1e-4},
         label="tiny gradients, large eps"),
    Case((_a(0.100001, -0.100002), _a(0.3, -2.0), np.zeros(2), np.zeros(2), 0),
         {"lr": 0.1, "weight_decay": 1e-7},
         label="a step that lands next to zero (float64 needed)"),
]


def _adamw_random(rng):
    cases = []
    for i in range(8):
        shape = (int(rng.integers(1, 5)),) if i % 2 else (2, int(rng.integers(1, 4)))
        theta = rng.normal(size=shape)
        g = rng.normal(size=shape) * 10.0 ** rng.uniform(-2, 1)
        t = int(rng.integers(0, 30))
        m = np.zeros(shape) if t == 0 else rng.normal(size=shape) * 0.1
        v = np.zeros(shape) if t == 0 else rng.uniform(0, 0.5, size=shape) ** 2
        kwargs = {"lr": float(rng.uniform(0.01, 0.2)),
                  "weight_decay": float(rng.uniform(0.05, 1.0))}
        cases.append(Case((theta, g, m, v, t), kwargs, label=f"random {shape} at step {t + 1}"))
    return cases


def _aw_l2(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return optim.adam_step(theta, g + weight_decay * theta, m, v, t, lr, beta1, beta2, eps)


def _aw_no_lr(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    theta = theta - weight_decay * theta
    return optim.adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)


def _aw_after(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    theta, m, v, t = optim.adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)
    return theta - lr * weight_decay * theta, m, v, t


def _aw_scaled(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    with np.errstate(all="ignore"):
        return theta - lr * (m_hat + weight_decay * theta) / (np.sqrt(v_hat) + eps), m, v, t


def _aw_sign(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    theta = theta + lr * weight_decay * theta
    return optim.adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)


def _aw_no_decay(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return optim.adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)


adamw_step = Exercise(
    id="5.7", name="adamw_step", reference=optim.adamw_step,
    cases=_ADAMW_CASES,
    random_cases=_adamw_random,
    mistakes=[
        Mistake("L2: the decay added to the gradient",
                "That is Adam with L2 regularisation: weight_decay·theta enters m and v and "
                "is divided by √v̂. AdamW decays theta itself, theta = theta − "
                "lr·weight_decay·theta, and keeps g as it is.", _aw_l2),
        Mistake("the decay without the learning rate",
                "PyTorch's AdamW decays by lr·weight_decay per step: theta = theta − "
                "lr·weight_decay·theta.", _aw_no_lr),
        Mistake("the decay after the Adam step",
                "Decay theta first, then take the Adam step from the decayed theta.",
                _aw_after),
        Mistake("the decay divided by √v̂",
                "The decoupled decay is not rescaled: theta − lr·weight_decay·theta, "
                "outside the division by √v̂ + eps.", _aw_scaled),
        Mistake("the decay with the wrong sign",
                "Decay shrinks theta: theta = theta − lr·weight_decay·theta.",
                _aw_sign),
        Mistake("weight_decay ignored",
                "Decay theta first: theta = theta − lr·weight_decay·theta, then the Adam step.",
                _aw_no_decay),
    ],
    float64=True,
    returns=("theta", "m", "v", "t"),
    hint="First the decay of theta, then the six lines of Adam with g unchanged.",
    doc='See chapter 5, "AdamW: decoupled weight decay".',
)


# ---------------------------------------------------------------------------
# 5.6 adam_descent(theta, grads, ...) -> path: the debugged Adam loop
# ---------------------------------------------------------------------------


def _adam_descent(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    t = 0
    path = [theta]
    for g in grads:
        theta, m, v, t = optim.adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)
        path.append(theta)
    return np.array(path)


def _descent_with(theta, grads, lr, beta1, beta2, eps, *, t_of, denom, before):
    """The given loop, with where t changes, where eps goes and when m and v
    are updated as arguments: one helper the four bug functions below share."""
    m, v, t, path = np.zeros_like(theta), np.zeros_like(theta), 0, [theta]
    for g in grads:
        t = t_of(t)
        if before:
            m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        with np.errstate(all="ignore"):
            theta = theta - lr * m_hat / denom(v_hat, eps)
        if not before:
            m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2
        path.append(theta)
    return np.array(path)


def _advance(t):
    return t + 1


def _stuck(t):
    return 1


def _outside(v_hat, eps):
    return np.sqrt(v_hat) + eps


def _inside(v_hat, eps):
    return np.sqrt(v_hat + eps)


def _descent_as_given(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _descent_with(theta, grads, lr, beta1, beta2, eps, t_of=_stuck, denom=_inside,
                         before=False)


def _descent_t_stuck(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _descent_with(theta, grads, lr, beta1, beta2, eps, t_of=_stuck, denom=_outside,
                         before=True)


def _descent_eps_inside(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _descent_with(theta, grads, lr, beta1, beta2, eps, t_of=_advance, denom=_inside,
                         before=True)


def _descent_moments_after(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _descent_with(theta, grads, lr, beta1, beta2, eps, t_of=_advance, denom=_outside,
                         before=False)


def _grads(*rows):
    return np.array(rows, dtype=np.float64)


_DESCENT_CASES = [
    Case((_a(1.0, -0.5), _grads([0.5, -0.2], [0.4, -0.1], [0.3, 0.1], [0.2, 0.2], [0.1, 0.3])),
         {"lr": 0.1}, label="five steps on a 2-vector"),
    Case((_a(0.3, 0.2), _grads([1e-4, -2e-4], [2e-4, -1e-4], [1e-4, 1e-4])),
         {"lr": 0.01}, label="tiny gradients, where eps matters"),
    Case((_a(2.0), _grads([1.0])), {"lr": 0.5}, label="a single step"),
    Case((_a([0.5, -1.0], [1.5, 0.0]), np.stack([_a([0.3, -0.6], [1.2, 0.1]) * k
                                                  for k in (1.0, -0.5, 2.0, 0.25)])),
         {"lr": 0.05, "beta1": 0.8, "beta2": 0.95}, label="a 2x2 matrix, four steps, other betas"),
    Case((_a(0.0, 1.0, -1.0), np.tile(_a(0.2, -0.4, 0.6), (12, 1))), {"lr": 0.01},
         label="twelve steps of a constant gradient"),
    Case((_a(0.100001, -0.100002), _grads([0.3, -2.0], [0.2, -1.0])), {"lr": 0.1},
         label="a first step that lands next to zero (float64 needed)"),
]


def _descent_random(rng):
    cases = []
    for _ in range(4):
        shape = (int(rng.integers(1, 4)),)
        steps = int(rng.integers(2, 15))
        theta = rng.normal(size=shape)
        grads = rng.normal(size=(steps, *shape)) * 10.0 ** rng.uniform(-2, 0.5)
        cases.append(Case((theta, grads), {"lr": float(rng.uniform(0.01, 0.2))},
                          label=f"random, {steps} steps"))
    return cases


adam_descent = Exercise(
    id="5.6", name="adam_descent", reference=_adam_descent,
    cases=_DESCENT_CASES,
    random_cases=_descent_random,
    mistakes=[
        Mistake("all three bugs still there",
                "Advance t at every step, update m and v before they are used, and add eps "
                "outside the square root.",
                _descent_as_given),
        Mistake("t is never advanced",
                "t must count the steps: with t stuck at 1 the bias correction divides by "
                "1 − beta1 and 1 − beta2 at every step, and the steps stay too large.",
                _descent_t_stuck),
        Mistake("eps still inside the square root",
                "Divide by √v̂ + eps, not √(v̂ + eps).", _descent_eps_inside),
        Mistake("the moments still updated after the step",
                "Update m and v with the new gradient *before* the step that uses them: "
                "otherwise each step uses the previous gradients, and the first step does "
                "nothing.", _descent_moments_after),
    ],
    float64=True,
    hint="Three bugs: check where t changes, where eps goes, and when m and v are updated.",
    doc='Return the path, shape (steps + 1, *theta.shape). See chapter 5, "Adam".',
)
