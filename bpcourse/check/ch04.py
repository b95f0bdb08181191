"""Checks for chapter 4: momentum.

4.1 ``optimal_momentum_by_hand()``                the best (lr, momentum) for a quadratic
4.2 ``diverging_pairs()``                         predict which (lr, momentum) pairs diverge
4.3 ``momentum_step(theta, g, v, lr, momentum, dampening)``  PyTorch's momentum, one step
4.4 ``fixed_momentum(theta0, A, lr, momentum, steps)``  debug a momentum loop
4.5 ``convert_velocity(v, lr, momentum)``         a velocity in the two other conventions
4.6 ``nesterov_step(theta, g, v, lr, momentum)``   Nesterov momentum in PyTorch's form

The references of 4.3 and 4.6 are the package's own rules
(``optim.momentum_step``, ``optim.nesterov_step``); the others are written
out here, a few lines each. See chapter 4, "Heavy ball".
"""

import numpy as np

from .. import optim
from ._core import TOL, Case, Exercise, Mistake, rel_error

__all__ = ["momentum_step", "nesterov_step", "optimal_momentum_by_hand", "diverging_pairs",
           "fixed_momentum", "convert_velocity", "OPTIMAL_MATRIX", "PAIRS_L", "PAIRS"]

# Where the chapter teaches what a hint asks for: its headings, as the learner sees them.
_SEE_FORMS = '(see chapter 4, "PyTorch\'s form and the classical one")'
_SEE_NESTEROV = '(see chapter 4, "Nesterov momentum")'
_SEE_OPTIMAL = '(see chapter 4, "The best learning rate and momentum")'
_SEE_STABLE = '(see chapter 4, "When heavy ball converges")'
_F32 = (" If your numbers agree with the expected ones to about 7 digits but no more, "
        "something was computed in float32: keep everything float64.")


def _a(*rows):
    return np.array(rows, dtype=np.float64)


def _shape(rng, i):
    if i % 2:
        return (int(rng.integers(1, 6)),)
    return tuple(int(s) for s in rng.integers(1, 4, 2))


# ---------------------------------------------------------------------------
# 4.3 momentum_step(theta, g, v, lr, momentum=0.9, dampening=0.0) -> (theta, v)
# ---------------------------------------------------------------------------


def _momentum_cases(rng):
    cases = []
    for i in range(10):
        shape = _shape(rng, i)
        v = None if i % 4 == 0 else rng.normal(size=shape)
        kwargs = {"momentum": float(rng.uniform(0.5, 0.99))}
        if i % 3 == 0:
            kwargs["dampening"] = float(rng.uniform(0.1, 0.9))
        cases.append(Case((rng.normal(size=shape), rng.normal(size=shape) * 2, v,
                           float(rng.uniform(0.01, 0.5))), kwargs,
                          label=f"random {shape}" + (", first step" if v is None else "")))
    return cases


def _first_step_dampened(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """The first step starts from v = 0 and dampens g: v₁ = (1 − dampening)·g."""
    v = momentum * (np.zeros_like(theta) if v is None else v) + (1 - dampening) * g
    return theta - lr * v, v


def _zero_as_first(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """A zero velocity taken for the first step: v = g whenever v is None or all 0."""
    if v is None or not np.any(v):
        return optim.momentum_step(theta, g, None, lr, momentum, dampening)
    return optim.momentum_step(theta, g, v, lr, momentum, dampening)


def _no_dampening(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """v = momentum·v + g, whatever the dampening."""
    v = g.copy() if v is None else momentum * v + g
    return theta - lr * v, v


def _dampening_on_v(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """The memory dampened instead of the gradient: v = (1 − dampening)·momentum·v + g."""
    v = g.copy() if v is None else momentum * (1 - dampening) * v + g
    return theta - lr * v, v


def _moving_average(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """The moving-average convention, v = momentum·v + (1 − momentum)·g, after step 1."""
    v = g.copy() if v is None else momentum * v + (1 - momentum) * g
    return theta - lr * v, v


def _lr_in_v(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """lr moved into the buffer: v = momentum·v + lr·(1 − dampening)·g, theta − v."""
    v = lr * g if v is None else momentum * v + lr * (1 - dampening) * g
    return theta - v, v


def _step_with_old_v(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """theta moved with the velocity of the previous step (0 before the first)."""
    v_old = np.zeros_like(theta) if v is None else v
    _, v = optim.momentum_step(theta, g, v, lr, momentum, dampening)
    return theta - lr * v_old, v


def _step_uphill(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """theta + lr·v: a step up the velocity."""
    _, v = optim.momentum_step(theta, g, v, lr, momentum, dampening)
    return theta + lr * v, v


momentum_step = Exercise(
    id="4.3", name="momentum_step", reference=optim.momentum_step,
    cases=[
        Case((_a(1.0, -2.0), _a(0.5, 0.25), None, 0.1), label="the first step (v=None): v = g"),
        Case((_a(1.0, -2.0), _a(0.5, 0.25), None, 0.1), {"dampening": 0.5},
             label="the first step with dampening 0.5: still v = g"),
        Case((_a(0.3, 0.7, -1.1), _a(1.0, -2.0, 0.5), _a(0.2, 0.1, -0.4), 0.05),
             label="a later step, momentum 0.9"),
        Case((_a(0.3, 0.7, -1.1), _a(1.0, -2.0, 0.5), _a(0.2, 0.1, -0.4), 0.05),
             {"momentum": 0.5, "dampening": 0.3}, label="a later step, dampening 0.3"),
        Case((_a([1.0, 2.0], [3.0, 4.0]), _a([0.3, -0.6], [1.2, 0.0]), np.zeros((2, 2)), 0.2),
             {"momentum": 0.8, "dampening": 0.5},
             label="v = 0 (the textbook start) with dampening 0.5"),
        Case((_a(2.0, -1.0), np.zeros(2), _a(0.5, -0.5), 0.1),
             label="a zero gradient: the velocity still moves theta"),
        Case((_a(0.5, 0.5), _a(1.0, 1.0), _a(1.0, -1.0), 0.1), {"momentum": 0.0},
             label="momentum 0: plain gradient descent"),
        Case((_a([0.4, -0.2]), _a([1.5, 0.5]), _a([0.3, -0.6]), 0.1), {"dampening": 0.1},
             label="a 1x2 array (one row): its shape must stay (1, 2)"),
        Case((_a([2.0]), _a([-1.0]), _a([0.5]), 0.3), {"momentum": 0.5},
             label="a 1x1 array"),
    ],
    random_cases=_momentum_cases,
    mistakes=[
        Mistake("a zero velocity taken for the first step",
                "Only v = None marks the first step. A velocity of zeros is an ordinary "
                "velocity: v = momentum·0 + (1 − dampening)·g, dampened like any later "
                "step. Test `v is None`, not whether v is zero.", _zero_as_first),
        Mistake("the first step dampened",
                "PyTorch's first step sets v = g exactly, whatever the dampening; "
                "(1 − dampening) multiplies g only from the second step on "
                + _SEE_FORMS + ".", _first_step_dampened),
        Mistake("dampening ignored",
                "From the second step on, the new gradient is scaled by 1 − dampening: "
                "v = momentum·v + (1 − dampening)·g.", _no_dampening),
        Mistake("dampening applied to the old velocity",
                "Dampening scales the *new* gradient, not the memory: "
                "v = momentum·v + (1 − dampening)·g.", _dampening_on_v),
        Mistake("the moving-average form",
                "v = momentum·v + (1 − momentum)·g is the moving-average convention; "
                "PyTorch adds the whole gradient, v = momentum·v + (1 − dampening)·g "
                + _SEE_FORMS + ".", _moving_average),
        Mistake("the learning rate inside the velocity",
                "That is Sutskever's convention, where v is the step itself. In PyTorch's "
                "form v accumulates gradients and lr multiplies it at the update: "
                "theta − lr·v.", _lr_in_v),
        Mistake("theta moved with the old velocity",
                "Update v first, then take the step with the *new* v: theta − lr·v.",
                _step_with_old_v),
        Mistake("sign error: a step up the velocity",
                "v points uphill, like the gradients it sums: theta − lr·v.",
                _step_uphill),
    ],
    returns=("theta", "v"),
    float64=True,
    hint="Two lines: v = momentum·v + (1 − dampening)·g (or v = g when v is None), then "
         "theta − lr·v " + _SEE_FORMS + "." + _F32,
    doc='See chapter 4, "PyTorch\'s form and the classical one".',
)


# ---------------------------------------------------------------------------
# 4.6 nesterov_step(theta, g, v, lr, momentum=0.9) -> (theta, v)
# ---------------------------------------------------------------------------


def _nesterov_cases(rng):
    cases = []
    for i in range(10):
        shape = _shape(rng, i)
        v = None if i % 4 == 0 else rng.normal(size=shape)
        cases.append(Case((rng.normal(size=shape), rng.normal(size=shape) * 2, v,
                           float(rng.uniform(0.01, 0.5))),
                          {"momentum": float(rng.uniform(0.5, 0.99))},
                          label=f"random {shape}" + (", first step" if v is None else "")))
    return cases


def _nesterov_heavy_ball(theta, g, v, lr, momentum=0.9):
    """Ordinary momentum: theta − lr·v."""
    return optim.momentum_step(theta, g, v, lr, momentum)


def _nesterov_lr_in_v(theta, g, v, lr, momentum=0.9):
    """v = momentum·v + lr·g, theta − (lr·g + momentum·v): the same theta, v lr times too small."""
    v = momentum * (np.zeros_like(theta) if v is None else v) + lr * g
    return theta - (lr * g + momentum * v), v


def _nesterov_no_g(theta, g, v, lr, momentum=0.9):
    """The gradient left out of the step: theta − lr·momentum·v."""
    _, v = optim.nesterov_step(theta, g, v, lr, momentum)
    return theta - lr * momentum * v, v


def _nesterov_v_twice(theta, g, v, lr, momentum=0.9):
    """The new velocity in place of the gradient: theta − lr·(v + momentum·v)."""
    _, v = optim.nesterov_step(theta, g, v, lr, momentum)
    return theta - lr * (v + momentum * v), v


nesterov_step = Exercise(
    id="4.6", name="nesterov_step", reference=optim.nesterov_step,
    cases=[
        Case((_a(1.0, -2.0), _a(0.5, 0.25), None, 0.1), label="the first step (v=None): v = g"),
        Case((_a(0.3, 0.7, -1.1), _a(1.0, -2.0, 0.5), _a(0.2, 0.1, -0.4), 0.05),
             label="a later step, momentum 0.9"),
        Case((_a([1.0, 2.0], [3.0, 4.0]), _a([0.3, -0.6], [1.2, 0.0]), _a([1, -1], [0.5, 2]),
              0.2), {"momentum": 0.5}, label="a 2x2 matrix, momentum 0.5"),
        Case((_a(2.0, -1.0), np.zeros(2), _a(0.5, -0.5), 0.1),
             label="a zero gradient: the velocity still moves theta"),
        Case((_a([0.4, -0.2]), _a([1.5, 0.5]), _a([0.3, -0.6]), 0.1),
             label="a 1x2 array (one row): its shape must stay (1, 2)"),
    ],
    random_cases=_nesterov_cases,
    mistakes=[
        Mistake("heavy ball, not Nesterov",
                "Your step equals theta − lr·v with the new v, which is ordinary momentum "
                "(so does lr·(g + momentum·v) with the *old* v). Nesterov's step uses the "
                "gradient once more, with the new v: theta − lr·(g + momentum·v) "
                + _SEE_NESTEROV + ".",
                _nesterov_heavy_ball),
        Mistake("the learning rate inside the velocity",
                "PyTorch's v sums gradients, v = momentum·v + g, and lr multiplies the "
                "whole step: theta − lr·(g + momentum·v). Your theta may be right, but the "
                "v you return is lr times too small.", _nesterov_lr_in_v),
        Mistake("the gradient left out of the step",
                "The step is lr·(g + momentum·v): the fresh gradient plus the momentum "
                "term, not the momentum term alone.", _nesterov_no_g),
        Mistake("the velocity in place of the gradient",
                "The step is lr·(g + momentum·v), with g the gradient just computed; "
                "lr·(v + momentum·v) = lr·(1 + momentum)·v puts the velocity where g "
                "belongs.",
                _nesterov_v_twice),
    ],
    returns=("theta", "v"),
    float64=True,
    hint="Two lines: v = momentum·v + g (v = g when v is None), then "
         "theta − lr·(g + momentum·v) " + _SEE_NESTEROV + "." + _F32,
    doc='See chapter 4, "Nesterov momentum".',
)


# ---------------------------------------------------------------------------
# 4.1 optimal_momentum_by_hand() -> (lr, momentum)
# ---------------------------------------------------------------------------

OPTIMAL_MATRIX = np.array([[13.0, 12.0], [12.0, 13.0]])   # eigenvalues 25 and 1


def _optimal_for(L, mu_min):
    """Polyak's tuning: lr = 4/(√L + √mu_min)², momentum = ((√κ − 1)/(√κ + 1))²."""
    root_kappa = np.sqrt(L / mu_min)
    lr = 4 / (np.sqrt(L) + np.sqrt(mu_min)) ** 2
    momentum = ((root_kappa - 1) / (root_kappa + 1)) ** 2
    return float(lr), float(momentum)


def _optimal_momentum_by_hand():
    mu_min, L = np.linalg.eigvalsh(OPTIMAL_MATRIX)
    return _optimal_for(L, mu_min)


def _as_pair(returned, args, kwargs):
    """Two numbers as a tuple of floats, whether they came as a tuple, a list or an array."""
    if isinstance(returned, (tuple, list, np.ndarray)) and np.shape(returned) == (2,):
        try:
            return tuple(float(x) for x in returned)
        except (TypeError, ValueError):
            return returned
    return returned


def _accept_pair(got, expected, case):
    """Judge each number by the tolerance; say which is wrong, never the answer."""
    try:
        lr, momentum = (float(x) for x in got)
    except (TypeError, ValueError):
        return f"return a pair of numbers, (lr, momentum); got {got!r}"
    wrong, rounded = [], False
    for name, what, x, e in (("lr", "learning rate", lr, expected[0]),
                             ("momentum", "momentum", momentum, expected[1])):
        if rel_error(e, x) > TOL:
            wrong.append(f"{name} = {x:.6g} is not the best {what}")
            rounded = rounded or rel_error(e, x) < 1e-2
    if not wrong:
        return None
    if rounded:
        return ("; ".join(wrong) + ", though close: was it rounded? Return it exactly, "
                "for example as a fraction such as 2 / 7, not as decimals.")
    return ("; ".join(wrong) + ". Find the eigenvalues of A first, then use the formulas "
            "of " + _SEE_OPTIMAL[5:-1] + ".")


def _rate_as_momentum():
    """The rate (√κ − 1)/(√κ + 1) returned as the momentum, not its square."""
    lr, momentum = _optimal_momentum_by_hand()
    return lr, float(np.sqrt(momentum))


def _gd_step_size():
    """Gradient descent's best step 2/(L + μ_min) with the right momentum."""
    mu_min, L = np.linalg.eigvalsh(OPTIMAL_MATRIX)
    return float(2 / (L + mu_min)), _optimal_momentum_by_hand()[1]


def _kappa_not_root():
    """((κ − 1)/(κ + 1))² as the momentum."""
    mu_min, L = np.linalg.eigvalsh(OPTIMAL_MATRIX)
    kappa = L / mu_min
    return _optimal_momentum_by_hand()[0], float(((kappa - 1) / (kappa + 1)) ** 2)


def _diagonal_as_curvatures():
    """The diagonal entries 13 and 13 taken for L and μ_min."""
    return _optimal_for(OPTIMAL_MATRIX[0, 0], OPTIMAL_MATRIX[1, 1])


def _step_without_roots():
    """4/(L + μ_min) as the step, without the square roots."""
    mu_min, L = np.linalg.eigvalsh(OPTIMAL_MATRIX)
    return float(4 / (L + mu_min)), _optimal_momentum_by_hand()[1]


optimal_momentum_by_hand = Exercise(
    id="4.1", name="optimal_momentum_by_hand", reference=_optimal_momentum_by_hand,
    cases=[Case((), label="f(θ) = ½ θᵀAθ with A = [[13, 12], [12, 13]]")],
    observe=_as_pair,
    accept=_accept_pair,
    mistakes=[
        Mistake("the rate given as the momentum",
                "(√κ − 1)/(√κ + 1) is the *rate*, √μ; the momentum is its square, "
                "((√κ − 1)/(√κ + 1))².", _rate_as_momentum),
        Mistake("gradient descent's best step",
                "2/(L + μ_min) is the best step *without* momentum. With momentum the "
                "best step is larger: 4/(√L + √μ_min)².", _gd_step_size),
        Mistake("κ in place of √κ",
                "The momentum is ((√κ − 1)/(√κ + 1))², with the square root of κ = L/μ_min.",
                _kappa_not_root),
        Mistake("the diagonal entries used as curvatures",
                "A is not diagonal: its curvatures are its eigenvalues (try the vectors "
                "(1, 1) and (1, −1)), not the diagonal entries 13 and 13.",
                _diagonal_as_curvatures),
        Mistake("4/(L + μ_min) without the square roots",
                "The best step is 4/(√L + √μ_min)²: square roots of the eigenvalues, "
                "then the square of their sum.", _step_without_roots),
    ],
    rule="both numbers to a relative error ≤ 1e-7",
    doc="Return the pair (lr, momentum) that makes heavy ball fastest on "
        "f(θ) = ½ θᵀAθ, A = [[13, 12], [12, 13]].",
)


# ---------------------------------------------------------------------------
# 4.2 diverging_pairs() -> a string of letters
# ---------------------------------------------------------------------------

# Heavy ball on a quadratic with curvatures L = 10 and mu_min = 1; the pairs
# (lr, momentum) the chapter lists as A to F.
PAIRS_L = 10.0
PAIRS = {"A": (0.15, 0.0), "B": (0.25, 0.0), "C": (0.25, 0.5),
         "D": (0.35, 0.5), "E": (0.05, 0.99), "F": (0.39, 0.9)}


def _diverging(limit):
    return "".join(k for k, (lr, mu) in PAIRS.items() if not lr * PAIRS_L < limit(mu))


def _diverging_pairs():
    """Heavy ball converges on every curvature iff 0 < lr·L < 2(1 + momentum)."""
    return _diverging(lambda mu: 2 * (1 + mu))


def _accept_letters(got, expected, case):
    """Any order, either case; say how many are right, never which."""
    letters = got.replace(",", "").replace(" ", "").upper()
    unknown = sorted(set(letters) - set(PAIRS))
    if unknown:
        return f"{unknown[0]!r} is not one of the pairs A to F"
    if len(set(letters)) < len(letters):
        return "each letter at most once"
    if set(letters) == set(expected):
        return None
    right = sum((k in letters) == (k in expected) for k in PAIRS)
    return f"{right} of the 6 pairs are classified correctly"


def _gd_limit():
    """lr·L < 2, gradient descent's limit, for every pair."""
    return _diverging(lambda mu: 2.0)


def _momentum_shrinks_limit():
    """lr·L < 2(1 − momentum)."""
    return _diverging(lambda mu: 2 * (1 - mu))


def _large_momentum_diverges():
    """The right answer, plus the pair with momentum 0.99."""
    return "".join(sorted(set(_diverging_pairs()) | {"E"}))


def _no_factor_two():
    """lr·L < 1 + momentum."""
    return _diverging(lambda mu: 1 + mu)


diverging_pairs = Exercise(
    id="4.2", name="diverging_pairs", reference=_diverging_pairs,
    cases=[Case((), label="heavy ball on a quadratic with L = 10, μ_min = 1; pairs A to F")],
    accept=_accept_letters,
    mistakes=[
        Mistake("gradient descent's limit lr < 2/L used",
                "Momentum moves the limit: heavy ball is stable for lr·L < 2(1 + momentum), "
                "so with momentum 0.5 a step up to 3/L is fine " + _SEE_STABLE + ".",
                _gd_limit),
        Mistake("momentum taken to shrink the limit",
                "The limit grows with the momentum: lr·L < 2(1 + momentum), not "
                "2(1 − momentum). A heavier ball tolerates a *longer* step.",
                _momentum_shrinks_limit),
        Mistake("a large momentum taken to diverge",
                "Any momentum below 1 is stable on its own: the roots have |z| = √momentum "
                "< 1 in the oscillating regime. It is lr·L against 2(1 + momentum) that "
                "decides.", _large_momentum_diverges),
        Mistake("the factor 2 left out",
                "The limit is lr·L < 2(1 + momentum): with momentum 0 it must be gradient "
                "descent's 2/L, not 1/L " + _SEE_STABLE + ".",
                _no_factor_two),
    ],
    doc='Return the letters of the pairs that diverge, as one string, e.g. "ACE".',
)


# ---------------------------------------------------------------------------
# 4.4 fixed_momentum(theta0, A, lr, momentum, steps) -> theta
# ---------------------------------------------------------------------------


def _fixed_momentum(theta0, A, lr, momentum, steps):
    """Heavy ball in PyTorch's form on f(θ) = ½θᵀAθ, ``steps`` steps from ``theta0``."""
    theta, v = np.array(theta0, dtype=np.float64), None
    for _ in range(steps):
        theta, v = optim.momentum_step(theta, A @ theta, v, lr, momentum)
    return theta


def _loop_cases(rng):
    cases = []
    for _ in range(6):
        d = int(rng.integers(2, 5))
        Q = np.linalg.qr(rng.normal(size=(d, d)))[0]
        eig = rng.uniform(0.5, 5.0, size=d)
        A = Q @ np.diag(eig) @ Q.T
        steps = int(rng.integers(2, 30))
        cases.append(Case((rng.normal(size=d), A, float(rng.uniform(0.02, 1.0) / eig.max()),
                           float(rng.uniform(0.3, 0.95)), steps),
                          label=f"random {d}-dimensional quadratic, {steps} steps"))
    return cases


def _velocity_reset(theta0, A, lr, momentum, steps):
    """v = 0 inside the loop: gradient descent with lr."""
    theta = np.array(theta0, dtype=np.float64)
    for _ in range(steps):
        theta = theta - lr * (A @ theta)
    return theta


def _lr_twice(theta0, A, lr, momentum, steps):
    """v = momentum·v + lr·g, theta − lr·v."""
    theta, v = np.array(theta0, dtype=np.float64), np.zeros(len(theta0))
    for _ in range(steps):
        v = momentum * v + lr * (A @ theta)
        theta = theta - lr * v
    return theta


def _both_bugs(theta0, A, lr, momentum, steps):
    """buggy_momentum itself: gradient descent with lr²."""
    theta = np.array(theta0, dtype=np.float64)
    for _ in range(steps):
        theta = theta - lr * lr * (A @ theta)
    return theta


def _step_before_velocity(theta0, A, lr, momentum, steps):
    """theta − lr·v with the velocity of the previous step, then v updated."""
    theta, v = np.array(theta0, dtype=np.float64), np.zeros(len(theta0))
    for _ in range(steps):
        g = A @ theta
        theta = theta - lr * v
        v = momentum * v + g
    return theta


def _gradient_once(theta0, A, lr, momentum, steps):
    """g = A @ theta0 computed once, before the loop."""
    theta, v = np.array(theta0, dtype=np.float64), np.zeros(len(theta0))
    g = A @ theta
    for _ in range(steps):
        v = momentum * v + g
        theta = theta - lr * v
    return theta


_A2 = _a([3.0, 1.0], [1.0, 2.0])

fixed_momentum = Exercise(
    id="4.4", name="fixed_momentum", reference=_fixed_momentum,
    cases=[
        Case((_a(1.0, -1.0), _A2, 0.1, 0.9, 1), label="one step"),
        Case((_a(1.0, -1.0), _A2, 0.1, 0.9, 2), label="two steps"),
        Case((_a(1.0, -1.0), _A2, 0.1, 0.9, 20), label="20 steps"),
        Case((_a(2.0, 0.5), _A2, 0.3, 0.5, 10), label="lr = 0.3, momentum 0.5, 10 steps"),
        Case((_a(1.0, -1.0), _A2, 0.1, 0.9, 0), label="no steps at all"),
    ],
    random_cases=_loop_cases,
    mistakes=[
        Mistake("velocity reset every step",
                "v = np.zeros_like(theta) belongs before the loop: inside it, the memory "
                "is wiped at every step and momentum becomes plain gradient descent.",
                _velocity_reset),
        Mistake("learning rate applied twice",
                "In PyTorch's form v sums gradients, v = momentum·v + g, and lr appears "
                "once, in theta − lr·v " + _SEE_FORMS + ".",
                _lr_twice),
        Mistake("both bugs still there",
                "This is what buggy_momentum computes: the velocity is reset at every "
                "step *and* lr is applied twice. Fix both.",
                _both_bugs),
        Mistake("theta moved with the old velocity",
                "Update v first, then step with the new v: theta = theta − lr·v.",
                _step_before_velocity),
        Mistake("the gradient computed once, before the loop",
                "The gradient changes as theta moves: compute g = A @ theta at every "
                "step, inside the loop.", _gradient_once),
    ],
    returns=None,
    float64=True,
    hint="Your loop does not follow heavy ball in PyTorch's form. buggy_momentum has two "
         "bugs, where the velocity starts and how often the learning rate is applied: fix "
         "those, change nothing else, and compare each line with momentum_step." + _F32,
    doc="buggy_momentum with its two bugs fixed.",
)


# ---------------------------------------------------------------------------
# 4.5 convert_velocity(v, lr, momentum) -> (u, m)
# ---------------------------------------------------------------------------


def _convert_velocity(v, lr, momentum):
    """PyTorch's v as Sutskever's u = −lr·v and as the moving average m = (1 − momentum)·v."""
    v = np.asarray(v, dtype=np.float64)
    return -lr * v, (1 - momentum) * v


def _convert_cases(rng):
    cases = []
    for i in range(8):
        shape = _shape(rng, i)
        cases.append(Case((rng.normal(size=shape), float(rng.uniform(0.01, 0.5)),
                           float(rng.uniform(0.5, 0.99))), label=f"random {shape}"))
    return cases


def _u_sign(v, lr, momentum):
    """u = +lr·v."""
    return lr * v, (1 - momentum) * v


def _u_over_lr(v, lr, momentum):
    """u = −v/lr."""
    return -v / lr, (1 - momentum) * v


def _u_no_lr(v, lr, momentum):
    """u = −v."""
    return -v, (1 - momentum) * v


def _m_over(v, lr, momentum):
    """m = v/(1 − momentum)."""
    return -lr * v, v / (1 - momentum)


def _m_times_mu(v, lr, momentum):
    """m = momentum·v."""
    return -lr * v, momentum * v


def _m_with_lr(v, lr, momentum):
    """m = −lr·(1 − momentum)·v."""
    return -lr * v, -lr * (1 - momentum) * v


convert_velocity = Exercise(
    id="4.5", name="convert_velocity", reference=_convert_velocity,
    cases=[
        Case((_a(1.0, -2.0), 0.1, 0.9), label="lr = 0.1, momentum 0.9"),
        Case((_a([0.5, 0.0], [-1.5, 4.0]), 0.25, 0.5), label="a 2x2 velocity, momentum 0.5"),
        Case((_a(3.0, 1.0), 0.05, 0.0), label="momentum 0"),
        Case((np.zeros(3), 0.1, 0.9), label="a zero velocity"),
    ],
    random_cases=_convert_cases,
    mistakes=[
        Mistake("Sutskever's velocity with the wrong sign",
                "Sutskever's v is the step itself, θ ← θ + v, so it points downhill: "
                "u = −lr·v " + _SEE_FORMS + ".", _u_sign),
        Mistake("divided by the learning rate",
                "Sutskever's velocity already contains the learning rate: u = −lr·v, "
                "not −v/lr.", _u_over_lr),
        Mistake("the learning rate left out",
                "Sutskever's v is the step, lr times PyTorch's buffer: u = −lr·v.",
                _u_no_lr),
        Mistake("the average divided by 1 − momentum",
                "The average adds only (1 − momentum)·g per step, so it is smaller than "
                "PyTorch's sum: m = (1 − momentum)·v.", _m_over),
        Mistake("the average scaled by the momentum",
                "Compare one update of each: m = momentum·m + (1 − momentum)·g stays equal "
                "to (1 − momentum)·v, not momentum·v.", _m_times_mu),
        Mistake("the learning rate put into the average",
                "The moving average holds gradients, like PyTorch's v; the learning rate "
                "stays outside: m = (1 − momentum)·v.", _m_with_lr),
    ],
    returns=("u (Sutskever's velocity)", "m (the moving average)"),
    float64=True,
    hint="Write one update of each form and ask which multiple of v keeps it true "
         + _SEE_FORMS + "." + _F32,
    doc="Return (u, m): Sutskever's velocity and the moving-average state.",
)
