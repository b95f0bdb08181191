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
# arithmetic (about 7 digits) loses the answer; the chapter works in float64.
_RULE = "relative error ≤ 1e-7: float64 arithmetic"

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
def _adam_float32(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    f32 = np.float32
    theta, g, m, v = (np.asarray(a, dtype=f32) for a in (theta, g, m, v))
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return tuple(a.astype(np.float64) for a in (theta, m, v)) + (t,)



def _wrong(*, correct=True, after=False, eps_inside=False, swap=False, g_not_squared=False,
           sign=1.0, keep_t=False, defaults=False, return_hats=False, no_sqrt=False,
           eps_squared=False):
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
            if eps_squared:
                denom = np.sqrt(v_hat + eps * eps)
            elif no_sqrt:
                denom = v_hat + eps
            elif eps_inside:
                denom = np.sqrt(v_hat + eps)
            else:
                denom = np.sqrt(v_hat) + eps
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
    Mistake("eps squared inside the square root",
            "√(v̂ + eps²) is not √v̂ + eps: the two agree only where v̂ is much larger "
            "than eps², and differ where the gradient is small or eps is large. The book "
            "(and PyTorch) adds eps outside: m̂ / (√v̂ + eps).", _wrong(eps_squared=True)),
    Mistake("computed in float32",
            "Some of the arithmetic ran in float32 (7 significant digits), which loses "
            "the answer where a step lands next to zero. Keep every array in float64: no "
            "astype(np.float32) or dtype=np.float32.", _adam_float32),
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
    rule=_RULE,
    returns=("theta", "m", "v", "t"),
    hint="Compare your code with the six lines of the update rule, one line at a time.",
    doc='See chapter 5, "Adam".',
)


# ---------------------------------------------------------------------------
# 5.3 bias_correction_factor() -> 1 / (1 − beta2**10), a number by hand
# ---------------------------------------------------------------------------


def _bias_correction_factor():
    return 1 / (1 - 0.999**10)


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
                lambda: 1 / (1 - 0.999)),
        Mistake("1 − beta2**t instead of its inverse",
                "v̂ = v / (1 − beta2**t): v is divided by 1 − beta2**t, so v is multiplied "
                "by 1 / (1 − beta2**t), a number larger than 1.",
                lambda: 1 - 0.999**10),
        Mistake("the first-order approximation 1 / (t·(1 − beta2))",
                "1 − beta2**t ≈ t·(1 − beta2) is close but not exact; the exercise asks "
                "for the exact factor 1 / (1 − beta2**t).",
                lambda: 1 / (10 * (1 - 0.999))),
        Mistake("beta1 used instead of beta2",
                "v is the average of g², kept with beta2 = 0.999; beta1 = 0.9 is m's.",
                lambda: 1 / (1 - 0.9**10)),
        Mistake("beta2**t instead of 1 − beta2**t",
                "The weights of an average started at zero sum to 1 − beta2**t, and that "
                "sum is what v̂ divides by.",
                lambda: 1 / 0.999**10),
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


adam_first_step_choice = Exercise(
    id="5.2", name="adam_first_step_choice", reference=_adam_first_step_choice,
    cases=[Case((), label="Adam's first step, default betas, |g| much larger than eps")],
    accept=_accept_letter,
    mistakes=[
        Mistake("(a) the gradient descent step",
                "After one step m̂ = g and v̂ = g², so m̂ / √v̂ = g / |g|: the size of g "
                "cancels.",
                lambda: "a"),
        Mistake("(c) the step without bias correction",
                "That is what m / √v gives before the correction: (1 − beta1) / "
                "√(1 − beta2) ≈ 3.16. The correction divides it out exactly at t = 1.",
                lambda: "c"),
        Mistake("(d) a step along the whole gradient vector",
                "The division by √v̂ is element by element: every coordinate is divided "
                "by its own |g_i|, not by the length of the vector.",
                lambda: "d"),
        Mistake("(e) the first moment without correction",
                "m = (1 − beta1)·g = 0.1·g after one step, but m̂ divides by 1 − beta1 and "
                "v̂ by 1 − beta2, and the size of g cancels in m̂ / √v̂.",
                lambda: "e"),
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


def _adagrad(*, square=True, accumulate=True, root=True, eps_inside=False, decay_t=False,
             no_decay=False, keep_t=False, sign=1.0, old_s=False):
    def step(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
        t_new = t + 1
        lr_t = lr if no_decay else lr / (1 + (t_new if decay_t else t_new - 1) * lr_decay)
        gg = g * g if square else g
        s_new = s + gg if accumulate else gg
        used = s if old_s else s_new
        with np.errstate(all="ignore"):
            if eps_inside:
                denom = np.sqrt(used + eps)
            elif root:
                denom = np.sqrt(used) + eps
            else:
                denom = used + eps
            theta = theta - sign * lr_t * g / denom
        return theta, s_new, (t if keep_t else t_new)
    return step


adagrad_step = Exercise(
    id="5.4", name="adagrad_step", reference=optim.adagrad_step,
    cases=_ADAGRAD_CASES,
    random_cases=_adagrad_random,
    mistakes=[
        Mistake("s accumulates g instead of g²",
                "s is the running sum of *squared* gradients: s = s + g².", _adagrad(square=False)),
        Mistake("s replaced instead of accumulated",
                "AdaGrad adds every new g² to the sum, s = s + g²; s = g² forgets the past "
                "(and with a decay it would be RMSProp).", _adagrad(accumulate=False)),
        Mistake("square root of s missing",
                "Divide by √s + eps: s sums squared gradients, so its root has the units of g.",
                _adagrad(root=False)),
        Mistake("eps inside the square root",
                "PyTorch adds eps outside: g / (√s + eps), not g / √(s + eps).",
                _adagrad(eps_inside=True)),
        Mistake("lr_decay counted from the new t",
                "PyTorch divides by 1 + (t − 1)·lr_decay with the new t, so the first step "
                "uses lr itself.", _adagrad(decay_t=True)),
        Mistake("lr_decay ignored",
                "Divide the learning rate by 1 + (t − 1)·lr_decay, with t the new step count.",
                _adagrad(no_decay=True)),
        Mistake("the old s used in the step",
                "Add g² to s first, then divide by √s + eps: the first step from s = 0 "
                "would otherwise divide by eps alone.", _adagrad(old_s=True)),
        Mistake("t not incremented in the result",
                "Return the new step count t + 1 with theta and s.", _adagrad(keep_t=True)),
        Mistake("sign error", "AdaGrad steps against the gradient: theta − lr·g/(√s + eps).",
                _adagrad(sign=-1.0)),
    ],
    rule=_RULE,
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


def _rmsprop(*, swap=False, square=True, eps_inside=False, alpha_fixed=None, old_v=False,
             root=True, sign=1.0):
    def step(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
        a = alpha if alpha_fixed is None else alpha_fixed
        keep, new = (1 - a, a) if swap else (a, 1 - a)
        v_new = keep * v + new * (g * g if square else g)
        used = v if old_v else v_new
        with np.errstate(all="ignore"):
            if eps_inside:
                denom = np.sqrt(used + eps)
            elif root:
                denom = np.sqrt(used) + eps
            else:
                denom = used + eps
            theta = theta - sign * lr * g / denom
        return theta, v_new
    return step


rmsprop_step = Exercise(
    id="5.5", name="rmsprop_step", reference=optim.rmsprop_step,
    cases=_RMSPROP_CASES,
    random_cases=_rmsprop_random,
    mistakes=[
        Mistake("alpha and 1 − alpha swapped",
                "PyTorch's alpha is the weight of the *old* average: v = alpha·v + "
                "(1 − alpha)·g².", _rmsprop(swap=True)),
        Mistake("v from g instead of g²",
                "v averages the squared gradient: v = alpha·v + (1 − alpha)·g².",
                _rmsprop(square=False)),
        Mistake("eps inside the square root",
                "PyTorch adds eps outside: g / (√v + eps), not g / √(v + eps).",
                _rmsprop(eps_inside=True)),
        Mistake("alpha fixed at 0.9",
                "Use the argument alpha (PyTorch's default is 0.99; 0.9 is the lecture's "
                "and Keras's value).", _rmsprop(alpha_fixed=0.9)),
        Mistake("the old v used in the step",
                "Update v first, then divide by √v + eps with the new v.", _rmsprop(old_v=True)),
        Mistake("square root of v missing",
                "Divide by √v + eps: v estimates g², so its root has the units of g.",
                _rmsprop(root=False)),
        Mistake("sign error", "RMSProp steps against the gradient: theta − lr·g/(√v + eps).",
                _rmsprop(sign=-1.0)),
    ],
    rule=_RULE,
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


def _adamw(*, l2=False, no_lr=False, after=False, sign=1.0, none=False, scaled=False):
    def step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        wd = 0.0 if none else weight_decay
        if l2:
            g = g + wd * theta
        elif not (after or scaled):
            theta = theta - sign * (1.0 if no_lr else lr) * wd * theta
        t = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        if scaled:
            theta_new = theta - lr * (m_hat + wd * theta) / (np.sqrt(v_hat) + eps)
        else:
            theta_new = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        if after:
            theta_new = theta_new - lr * wd * theta_new
        return theta_new, m, v, t
    return step


adamw_step = Exercise(
    id="5.7", name="adamw_step", reference=optim.adamw_step,
    cases=_ADAMW_CASES,
    random_cases=_adamw_random,
    mistakes=[
        Mistake("L2: the decay added to the gradient",
                "That is Adam with L2 regularisation: weight_decay·theta enters m and v and "
                "is divided by √v̂. AdamW decays theta itself, theta = theta − "
                "lr·weight_decay·theta, and keeps g as it is.", _adamw(l2=True)),
        Mistake("the decay without the learning rate",
                "PyTorch's AdamW decays by lr·weight_decay per step: theta = theta − "
                "lr·weight_decay·theta.", _adamw(no_lr=True)),
        Mistake("the decay after the Adam step",
                "Decay theta first, then take the Adam step from the decayed theta.",
                _adamw(after=True)),
        Mistake("the decay divided by √v̂",
                "The decoupled decay is not rescaled: theta − lr·weight_decay·theta, "
                "outside the division by √v̂ + eps.", _adamw(scaled=True)),
        Mistake("the decay with the wrong sign",
                "Decay shrinks theta: theta = theta − lr·weight_decay·theta.",
                _adamw(sign=-1.0)),
        Mistake("weight_decay ignored",
                "Decay theta first: theta = theta − lr·weight_decay·theta, then the Adam step.",
                _adamw(none=True)),
    ],
    rule=_RULE,
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


def _buggy_descent(*, frozen_t=False, eps_inside=False, moments_after=False):
    def run(theta, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = np.zeros_like(theta)
        v = np.zeros_like(theta)
        t = 0
        path = [theta]
        for g in grads:
            if frozen_t:
                t = 1
            else:
                t = t + 1
            if not moments_after:
                m = beta1 * m + (1 - beta1) * g
                v = beta2 * v + (1 - beta2) * g**2
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
            with np.errstate(all="ignore"):
                theta = theta - lr * m_hat / denom
            if moments_after:
                m = beta1 * m + (1 - beta1) * g
                v = beta2 * v + (1 - beta2) * g**2
            path.append(theta)
        return np.array(path)
    return run


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
                _buggy_descent(frozen_t=True, eps_inside=True, moments_after=True)),
        Mistake("t is never advanced",
                "t must count the steps: with t stuck at 1 the bias correction divides by "
                "1 − beta1 and 1 − beta2 at every step, and the steps stay too large.",
                _buggy_descent(frozen_t=True)),
        Mistake("eps still inside the square root",
                "Divide by √v̂ + eps, not √(v̂ + eps).", _buggy_descent(eps_inside=True)),
        Mistake("the moments still updated after the step",
                "Update m and v with the new gradient *before* the step that uses them: "
                "otherwise each step uses the previous gradients, and the first step does "
                "nothing.", _buggy_descent(moments_after=True)),
    ],
    rule=_RULE,
    hint="Three bugs: check where t changes, where eps goes, and when m and v are updated.",
    doc='Return the path, shape (steps + 1, *theta.shape). See chapter 5, "Adam".',
)
