"""Checks for chapter 3: gradient descent and stochastic gradient descent.

3.1 ``gd_step(theta, g, lr)``               one step of gradient descent
3.2 ``stable_lr_by_hand()``                 the largest stable learning rate of a quadratic
3.3 ``minibatch_indices(N, batch_size, rng)``  one epoch's mini-batches of indices
3.4 ``fixed_sgd(theta, X, y, lr0, epochs, batch_size, rng)``  debug an SGD loop
3.5 ``warmup_cosine_lr(step, lr0, warmup, total, lr_min, start_factor)``  a schedule
3.6 ``loss_curve_lrs()``                    which learning rate drew which loss curve

The references are the package's own (``optim.gd_step``,
``schedules.warmup_cosine_lr``) where it has one; the others are written out
here, a few lines each. Randomness comes only from the ``rng`` the case
passes in, and every call gets its own copy, so the learner's function and
the reference draw the same numbers. See chapter 3, "The gradient descent update".
"""

import math

import numpy as np

from .. import optim, schedules
from ._core import Case, Exercise, Mistake, accept_hidden_number

__all__ = ["gd_step", "stable_lr_by_hand", "minibatch_indices", "fixed_sgd",
           "warmup_cosine_lr", "loss_curve_lrs", "STABLE_LR_MATRIX", "CURVE_RATES",
           "CURVE_LETTERS", "exercise_curves", "rates_of_the_curves"]


def _a(*rows):
    return np.array(rows, dtype=np.float64)


# ---------------------------------------------------------------------------
# 3.1 gd_step(theta, g, lr) -> theta
# ---------------------------------------------------------------------------


def _gd_cases(rng):
    cases = []
    for i in range(10):
        shape = ((int(rng.integers(1, 6)),) if i % 2
                 else tuple(int(s) for s in rng.integers(1, 4, 2)))
        cases.append(Case((rng.normal(size=shape), rng.normal(size=shape) * 3,
                           float(rng.uniform(0.01, 1.5))), label=f"random {shape}"))
    return cases


# Known mistakes, each one change to theta - lr * g.


def _gd_plus(theta, g, lr):
    return theta + lr * g


def _gd_no_lr(theta, g, lr):
    return theta - g


def _gd_divide(theta, g, lr):
    return theta - g / lr


def _gd_step_only(theta, g, lr):
    return -lr * g


def _gd_normalised(theta, g, lr):
    return theta - lr * g / np.linalg.norm(g)


def _gd_fixed_lr(theta, g, lr):
    return theta - 0.1 * g


gd_step = Exercise(
    id="3.1", name="gd_step", reference=optim.gd_step,
    cases=[
        Case((_a(1.0, -2.0), _a(0.5, 0.25), 0.1), label="a vector, lr = 0.1"),
        Case((_a(3.0, 3.0), _a(-4.0, 2.0), 0.5), label="a negative gradient entry, lr = 0.5"),
        Case((_a([1.0, 2.0], [3.0, 4.0]), _a([0.3, -0.6], [1.2, 0.0]), 2.0),
             label="a 2x2 matrix of parameters, lr = 2"),
        Case((_a(0.7, -0.4, 0.9), _a(1.0, 2.0, 2.0), 0.25), label="lr = 0.25, |g| = 3"),
        Case((_a(1.0000001, -2.5), _a(1.0, -2.5), 1.0),
             label="theta - lr*g nearly cancels: 1.0000001 - 1 = 1e-7 (float32 rounds "
                   "1.0000001 to 1.00000012)"),
        Case((_a(1.0000001, 0.5), _a(10.0, 2.0), 0.1),
             label="1.0000001 - 0.1*10 = 1e-7: lr = 0.1 must stay float64 (as a float32 "
                   "it is 0.10000000149, and lr*g moves by 1.5e-8)"),
    ],
    random_cases=_gd_cases,
    float64=True,
    mistakes=[
        Mistake("sign error: a step up the gradient",
                "The gradient points uphill; descent goes the other way: theta − lr·g.",
                _gd_plus),
        Mistake("learning rate missing",
                "Scale the gradient by the learning rate: theta − lr·g, not theta − g.",
                _gd_no_lr),
        Mistake("divided by the learning rate",
                "Multiply by lr: theta − lr·g. A larger lr must mean a longer step.",
                _gd_divide),
        Mistake("the step returned instead of the new theta",
                "Return the new parameters theta − lr·g, not just the change −lr·g.",
                _gd_step_only),
        Mistake("gradient normalised to length 1",
                "Gradient descent keeps the gradient's length: the step is lr·g, so it "
                "shrinks as the slope flattens near a minimum "
                '(see chapter 3, "The gradient descent update").',
                _gd_normalised),
        Mistake("learning rate fixed at 0.1",
                "Use the argument lr, not a number written into the function.",
                _gd_fixed_lr),
    ],
    returns=None,
    hint="One line: the new theta is theta minus lr times g "
         '(see chapter 3, "The gradient descent update").',
    doc='See chapter 3, "The gradient descent update".',
)


# ---------------------------------------------------------------------------
# 3.2 stable_lr_by_hand() -> float
# ---------------------------------------------------------------------------

STABLE_LR_MATRIX = np.array([[5.0, 3.0], [3.0, 5.0]])   # eigenvalues 2 and 8


def _stable_lr_by_hand():
    """lr < 2/L with L = 8, the largest eigenvalue of [[5, 3], [3, 5]]."""
    return 2.0 / float(np.linalg.eigvalsh(STABLE_LR_MATRIX).max())


def _one_over_l():
    return 1 / 8


def _smallest_eigenvalue():
    return 2 / 2


def _one_over_mu():
    return 1 / 2


def _diagonal_entry():
    return 2 / 5


def _sum_of_eigenvalues():
    return 2 / 10


_accept_number = accept_hidden_number(
    "the largest stable learning rate",
    "Find the eigenvalues of A, then the condition in "
    'chapter 3, "When it converges".')


stable_lr_by_hand = Exercise(
    id="3.2", name="stable_lr_by_hand", reference=_stable_lr_by_hand,
    cases=[Case((), label="f(θ) = ½ θᵀAθ with A = [[5, 3], [3, 5]]")],
    accept=_accept_number,
    mistakes=[
        Mistake("1/L instead of 2/L",
                "lr = 1/L is the learning rate that removes the stiffest direction in one "
                "step; gradient descent still converges up to 2/L "
                '(see chapter 3, "When it converges"). '
                "(Or did you take the Hessian of ½θᵀAθ to be 2A? It is A.)",
                _one_over_l),
        Mistake("the smallest eigenvalue used",
                "Every direction must contract: |1 − lr·λᵢ| < 1 for all i, and the "
                "largest eigenvalue L is the first to fail.",
                _smallest_eigenvalue),
        Mistake("1/μ_min: the smallest eigenvalue and no factor 2",
                "The bound comes from the largest eigenvalue, and it is 2/L: "
                "|1 − lr·L| < 1 means 0 < lr < 2/L.",
                _one_over_mu),
        Mistake("a diagonal entry used as the curvature",
                "A is not diagonal: its curvatures along the eigenvectors are its "
                "eigenvalues, here 2 and 8, not the diagonal entries 5 and 5.",
                _diagonal_entry),
        Mistake("0.2 = 2/10: both eigenvalues used",
                "2/10 is 2/(L + μ_min), which equals 2/trace(A) here: the rate that balances "
                "the fastest and the slowest direction, not the largest stable one. "
                "Stability needs the largest eigenvalue alone.",
                _sum_of_eigenvalues),
    ],
    doc="Return the number: the supremum of the learning rates for which GD converges.",
)


# ---------------------------------------------------------------------------
# 3.3 minibatch_indices(N, batch_size, rng) -> list of index arrays
# ---------------------------------------------------------------------------


def _minibatch_indices(N, batch_size, rng):
    """One epoch: a random order of 0..N-1, cut into consecutive batches (the last may be short)."""
    order = rng.permutation(N)
    return [order[start:start + batch_size] for start in range(0, N, batch_size)]


class _Epoch:
    """An epoch's batches as the learner wrote them, each sorted: the order inside a
    batch does not change its mean gradient, so it is not compared. Shown as lists."""

    def __init__(self, batches):
        self.batches = batches   # a tuple of sorted tuples of ints

    def __repr__(self):
        return "[" + ", ".join(str(list(b)) for b in self.batches) + "]"


def _epoch(batches, N):
    """The batches as an _Epoch, or a TypeError/ValueError that says what is wrong."""
    if batches is None:
        raise TypeError("your function returned None: is a `return` missing?")
    if isinstance(batches, (str, bytes, dict)):
        raise TypeError("return a list of index arrays, one per batch; got "
                        f"{type(batches).__name__}")
    try:
        batches = list(batches)
    except TypeError:
        raise TypeError("return a list of index arrays, one per batch; got "
                        f"{type(batches).__name__}") from None
    out = []
    for k, batch in enumerate(batches):
        idx = np.atleast_1d(np.asarray(batch))
        if idx.size and (idx.ndim != 1 or idx.dtype.kind not in "iu"):
            raise TypeError(f"batch {k} should be a 1-D array of integer indices; it has "
                            f"shape {idx.shape} and dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= N):
            bad = idx[(idx < 0) | (idx >= N)][0]
            raise ValueError(f"batch {k} holds the index {bad}, outside 0..{N - 1}")
        out.append(tuple(sorted(int(i) for i in idx)))
    return _Epoch(tuple(out))


class _Summarised:
    """``fn``, returning its batches as an ``_Epoch``; its signature stays ``fn``'s.

    A callable object, not a function, so that errors inside the learner's
    code are still reported at the learner's line (``__wrapped__``).
    """

    def __init__(self, fn):
        self.__wrapped__ = fn

    def __call__(self, N, batch_size, rng):
        return _epoch(self.__wrapped__(N, batch_size, rng), N)


class _MinibatchExercise(Exercise):
    """Compares what the batches are, not how they are written (list or generator)."""

    def run(self, fn):
        if callable(fn) and not isinstance(fn, _Summarised):
            fn = _Summarised(fn)
        return super().run(fn)


def _rng(seed):
    return np.random.default_rng(seed)


def _minibatch_cases(rng):
    cases = []
    for _ in range(8):
        N = int(rng.integers(5, 40))
        B = int(rng.integers(1, N + 3))
        cases.append(Case((N, B, _rng(int(rng.integers(2**31)))), label=f"random N = {N}, B = {B}"))
    return cases


# Known mistakes, each one change to the reference.


def _mb_no_shuffle(N, batch_size, rng):
    order = np.arange(N)
    return [order[s:s + batch_size] for s in range(0, N, batch_size)]


def _mb_drop_last(N, batch_size, rng):
    order = rng.permutation(N)
    return [order[s:s + batch_size] for s in range(0, N, batch_size) if s + batch_size <= N]


def _mb_replacement(N, batch_size, rng):
    order = rng.integers(0, N, size=N)
    return [order[s:s + batch_size] for s in range(0, N, batch_size)]


def _mb_choice(N, batch_size, rng):
    order = rng.choice(N, size=N, replace=False)
    return [order[s:s + batch_size] for s in range(0, N, batch_size)]


def _mb_wrap(N, batch_size, rng):
    twice = np.tile(rng.permutation(N), 2)
    return [twice[s:s + batch_size] for s in range(0, N, batch_size)]


def _mb_count(N, batch_size, rng):
    return np.array_split(rng.permutation(N), batch_size)


def _mb_new_permutation(N, batch_size, rng):
    return [rng.permutation(N)[s:s + batch_size] for s in range(0, N, batch_size)]


def _mb_extra_empty_batch(N, batch_size, rng):
    order = rng.permutation(N)
    return [order[k * batch_size:(k + 1) * batch_size] for k in range(N // batch_size + 1)]


minibatch_indices = _MinibatchExercise(
    id="3.3", name="minibatch_indices", reference=_Summarised(_minibatch_indices),
    cases=[
        Case((10, 3, _rng(0)), label="N = 10, B = 3: the last batch has 1 example"),
        Case((12, 4, _rng(1)), label="N = 12, B = 4: three full batches, and no empty fourth"),
        Case((7, 10, _rng(2)), label="N = 7, B = 10: one batch, shorter than B"),
        Case((6, 1, _rng(3)), label="N = 6, B = 1: single-example SGD"),
        Case((9, 2, _rng(4)), label="N = 9, B = 2"),
        Case((5, 5, _rng(5)), label="N = B = 5: one full batch"),
    ],
    random_cases=_minibatch_cases,
    mistakes=[   # each wrapped like the learner's function, to compare the same way
        Mistake("no shuffling",
                "Draw a new random order every epoch, order = rng.permutation(N), and cut "
                "that into batches; np.arange(N) visits the examples in the same order "
                "every time.",
                _Summarised(_mb_no_shuffle)),
        Mistake("the last, shorter batch dropped",
                "When B does not divide N, the last batch holds the N mod B examples left "
                "over; an epoch must use every example once.",
                _Summarised(_mb_drop_last)),
        Mistake("sampled with replacement",
                "rng.integers draws with replacement, so some examples come twice and "
                "others not at all. An epoch is a permutation: rng.permutation(N).",
                _Summarised(_mb_replacement)),
        Mistake("order drawn with rng.choice",
                "rng.choice(N, N, replace=False) is also a random order, but not the same "
                "numbers: use rng.permutation(N), as the exercise asks, so the check can "
                "reproduce your batches.",
                _Summarised(_mb_choice)),
        Mistake("the last batch filled up from the start",
                "The last batch is simply shorter: order[start:start + batch_size] stops at "
                "N by itself.",
                _Summarised(_mb_wrap)),
        Mistake("batch_size read as the number of batches",
                "batch_size is the number of examples per batch; np.array_split(order, k) "
                "makes k batches. Slice order[start:start + batch_size] for start = 0, B, 2B, ...",
                _Summarised(_mb_count)),
        Mistake("a new permutation for every batch",
                "Draw one permutation per epoch, before the loop over batches, and cut "
                "it into slices. A fresh permutation for each batch makes the batches "
                "overlap: some examples come in two batches, others in none.",
                _Summarised(_mb_new_permutation)),
        Mistake("an extra, empty last batch",
                "N // batch_size + 1 batches is one too many when batch_size divides N: "
                "the last one is empty (and its mean gradient is 0/0). "
                "range(0, N, batch_size) gives exactly the starts you need.",
                _Summarised(_mb_extra_empty_batch)),
    ],
    hint="order = rng.permutation(N), then slices of it of length batch_size.",
    doc='See chapter 3, "Full batch, mini-batch and single-example SGD".',
)


# ---------------------------------------------------------------------------
# 3.4 fixed_sgd(theta, X, y, lr0, epochs, batch_size, rng) -> theta
# ---------------------------------------------------------------------------


def _fixed_sgd(theta, X, y, lr0, epochs, batch_size, rng):
    """Mini-batch SGD on 𝓛(θ) = 1/(2N)·‖Xθ − y‖², lr = lr0·0.5^epoch.

    One permutation per epoch, for X and y alike.
    """
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        theta = _sgd_epoch(theta, X, y, order, order, lr0 * 0.5**epoch, batch_size)
    return theta


def _sgd_epoch(theta, X, y, order_X, order_y, lr, batch_size):
    """One pass over the batches; returns a new theta (the caller's is not changed)."""
    for start in range(0, len(y), batch_size):
        Xb = X[order_X[start:start + batch_size]]
        yb = y[order_y[start:start + batch_size]]
        theta = theta - lr * (Xb.T @ (Xb @ theta - yb)) / len(yb)
    return theta


# Known mistakes, each one change to the reference.


def _sgd_two_orders(theta, X, y, lr0, epochs, batch_size, rng):
    for epoch in range(epochs):
        order_X, order_y = rng.permutation(len(y)), rng.permutation(len(y))
        theta = _sgd_epoch(theta, X, y, order_X, order_y, lr0 * 0.5**epoch, batch_size)
    return theta


def _sgd_once(theta, X, y, lr0, epochs, batch_size, rng):
    order = rng.permutation(len(y))
    for epoch in range(epochs):
        theta = _sgd_epoch(theta, X, y, order, order, lr0 * 0.5**epoch, batch_size)
    return theta


def _sgd_no_shuffle(theta, X, y, lr0, epochs, batch_size, rng):
    order = np.arange(len(y))
    for epoch in range(epochs):
        theta = _sgd_epoch(theta, X, y, order, order, lr0 * 0.5**epoch, batch_size)
    return theta


def _sgd_per_step(theta, X, y, lr0, epochs, batch_size, rng):
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            theta = _sgd_epoch(theta, X[idx], y[idx], np.arange(len(idx)),
                               np.arange(len(idx)), lr0 * 0.5**step, batch_size)
            step += 1
    return theta


def _sgd_constant(theta, X, y, lr0, epochs, batch_size, rng):
    for _ in range(epochs):
        order = rng.permutation(len(y))
        theta = _sgd_epoch(theta, X, y, order, order, lr0, batch_size)
    return theta


def _sgd_fixed_b(theta, X, y, lr0, epochs, batch_size, rng):
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            Xb, yb = X[idx], y[idx]
            theta = theta - lr0 * 0.5**epoch * (Xb.T @ (Xb @ theta - yb)) / batch_size
    return theta


def _sgd_cases(rng):
    cases = []
    for N, d, B, epochs in [(10, 2, 3, 3), (13, 3, 4, 2), (9, 2, 2, 4), (16, 3, 5, 3)]:
        X = rng.normal(size=(N, d))
        y = X @ rng.normal(size=d) + 0.3 * rng.normal(size=N)
        cases.append(Case((rng.normal(size=d), X, y, float(rng.uniform(0.05, 0.3)), epochs, B,
                           _rng(int(rng.integers(2**31)))),
                          label=f"N = {N}, d = {d}, B = {B}, {epochs} epochs"))
    return cases


def _sgd_divisible_case():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(12, 2))
    y = X @ np.array([1.0, -0.5]) + 0.3 * rng.normal(size=12)
    return Case((np.array([0.2, 0.1]), X, y, 0.2, 2, 4, _rng(7)),
                label="N = 12, B = 4: three full batches an epoch, and no empty fourth "
                      "(its mean gradient would be 0/0 = NaN)")


_SGD_DIVISIBLE = _sgd_divisible_case()

fixed_sgd = Exercise(
    id="3.4", name="fixed_sgd", reference=_fixed_sgd,
    cases=[*_sgd_cases(np.random.default_rng(3))[:1], _SGD_DIVISIBLE],
    random_cases=_sgd_cases,
    mistakes=[
        Mistake("X and y shuffled with different permutations",
                "Each example is a pair (xᵢ, yᵢ): draw one permutation per epoch and index "
                "both X and y with it. Two permutations pair inputs with the wrong targets, "
                "and the loss stalls at about the variance of y.",
                _sgd_two_orders),
        Mistake("one permutation for all epochs",
                "Draw a new permutation at the start of every epoch, inside the epoch loop.",
                _sgd_once),
        Mistake("shuffling removed",
                "The bug was two permutations, not shuffling itself: draw one permutation "
                "per epoch, order = rng.permutation(N), and use it for X and y.",
                _sgd_no_shuffle),
        Mistake("learning rate halved every step",
                "The schedule halves lr once per epoch: lr = lr0 · 0.5**epoch.",
                _sgd_per_step),
        Mistake("schedule removed",
                "Keep the schedule of the original: lr = lr0 · 0.5**epoch.",
                _sgd_constant),
        Mistake("divided by batch_size on the last, shorter batch",
                "The mean over a batch divides by the number of examples in it, len(yb), "
                "which is smaller than batch_size for the last batch.",
                _sgd_fixed_b),
    ],
    hint="Two things are wrong in buggy_sgd: how the examples are shuffled, and how theta "
         "is updated. Run it twice from the same theta0 and print theta0 afterwards.",
    doc="buggy_sgd with its two bugs fixed.",
    float64=True,
)


# ---------------------------------------------------------------------------
# 3.5 warmup_cosine_lr(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01) -> float
# ---------------------------------------------------------------------------


def _warmup_cosine_lr(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    return schedules.warmup_cosine_lr(step, lr0, warmup, total, lr_min, start_factor)


# Known mistakes, each one change to the schedule.


def _cosine(step, lr0, warmup, total, lr_min):
    angle = math.pi * (step - warmup) / (total - warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(angle)) / 2


def _lr_ramp_from_zero(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * step / warmup
    return _cosine(step, lr0, warmup, total, lr_min)


def _lr_ramp_max(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * max(start_factor, step / warmup)
    return _cosine(step, lr0, warmup, total, lr_min)


def _lr_not_shifted(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * step / total)) / 2


def _lr_over_total(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * (step - warmup) / total)) / 2


def _lr_no_half(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + (lr0 - lr_min) * math.cos(math.pi * (step - warmup) / (total - warmup))


def _lr_no_pi(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos((step - warmup) / (total - warmup))) / 2


def _lr_no_lr_min(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    return _warmup_cosine_lr(step, lr0, warmup, total, 0.0, start_factor)


def _lr_min_added(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    return lr_min + _warmup_cosine_lr(step, lr0, warmup, total, 0.0, start_factor)


def _schedule_cases(rng):
    cases = []
    for _ in range(10):
        warmup = int(rng.integers(1, 20))
        total = warmup + int(rng.integers(1, 100))
        kwargs = {}
        if rng.random() < 0.5:
            kwargs["lr_min"] = float(rng.uniform(0, 0.01))
        if rng.random() < 0.5:
            kwargs["start_factor"] = float(rng.uniform(0.01, 1.0))
        step = int(rng.integers(0, total + 1))
        cases.append(Case((step, float(rng.uniform(0.01, 1.0)), warmup, total), kwargs,
                          label=f"random: step {step} of {total}, warm-up {warmup}"))
    return cases


warmup_cosine_lr = Exercise(
    id="3.5", name="warmup_cosine_lr", reference=_warmup_cosine_lr,
    cases=[
        Case((0, 0.1, 10, 110), label="step 0: the warm-up starts at start_factor·lr0"),
        Case((4, 0.1, 10, 110), label="step 4 of a 10-step warm-up"),
        Case((10, 0.1, 10, 110), label="step 10: the warm-up is over, lr = lr0"),
        Case((60, 0.1, 10, 110), label="halfway through the cosine"),
        Case((35, 0.1, 10, 110), label="a quarter of the way through the cosine"),
        Case((110, 0.1, 10, 110), label="the last step: lr = lr_min"),
        Case((85, 0.5, 10, 110), {"lr_min": 0.05}, label="lr_min = 0.05, three quarters"),
        Case((3, 0.2, 5, 20), {"start_factor": 0.2}, label="start_factor = 0.2"),
        Case((1, 0.2, 10, 50), {"start_factor": 0.5},
             label="start_factor = 0.5, step 1: the ramp is already above 0.5·lr0"),
    ],
    random_cases=_schedule_cases,
    mistakes=[
        Mistake("warm-up ramp lr0·t/warmup, from 0",
                "The warm-up starts at start_factor·lr0, not at 0: "
                "lr0·(start_factor + (1 − start_factor)·t/warmup).",
                _lr_ramp_from_zero),
        Mistake("warm-up ramp lr0·max(start_factor, t/warmup)",
                "max(s, t/w) stays flat at s and then follows t/w: a different line. The "
                "ramp goes straight from s·lr0 at t = 0 to lr0 at t = warmup: "
                "lr0·(s + (1 − s)·t/warmup).",
                _lr_ramp_max),
        Mistake("cosine not shifted by the warm-up",
                "The cosine starts when the warm-up ends: use t − warmup and "
                "total − warmup in it, so that lr = lr0 at t = warmup.",
                _lr_not_shifted),
        Mistake("cosine spread over total instead of total − warmup",
                "After the warm-up, total − warmup steps remain; the cosine must reach "
                "lr_min at the last of them: cos(π·(t − warmup)/(total − warmup)).",
                _lr_over_total),
        Mistake("(1 + cos)/2 missing",
                "cos runs from 1 to −1; (1 + cos)/2 runs from 1 to 0, which is what "
                "scales lr0 − lr_min. Without it the rate goes negative.",
                _lr_no_half),
        Mistake("π missing in the cosine",
                "The angle runs from 0 to π over the cosine phase: cos(π·(t − warmup)/"
                "(total − warmup)).",
                _lr_no_pi),
        Mistake("lr_min ignored",
                "The cosine goes from lr0 down to lr_min: lr_min + (lr0 − lr_min)·(1 + cos)/2.",
                _lr_no_lr_min),
        Mistake("lr_min added without shrinking the range",
                "lr_min + lr0·(1 + cos)/2 starts at lr0 + lr_min. Scale the range "
                "lr0 − lr_min: lr_min + (lr0 − lr_min)·(1 + cos)/2.",
                _lr_min_added),
    ],
    hint="Two branches: t < warmup (a straight line) and t ≥ warmup (half a cosine); "
         "check both ends of each against the formula in "
         'chapter 3, "The schedules used in practice".',
    doc='See chapter 3, "The schedules used in practice".',
    float64=True,
)


# ---------------------------------------------------------------------------
# 3.6 loss_curve_lrs() -> (lr of A, lr of B, lr of C, lr of D)
# ---------------------------------------------------------------------------

# The chapter's four loss curves, A to D, each drawn with one of these rates.
# Which rate drew which curve is the exercise, so no name here holds the
# pairing: the curves are drawn by ``exercise_curves`` below, which computes
# it, and the chapter's cell shows only the curves.
CURVE_RATES = (0.01, 0.3, 1.5, 5.0)
CURVE_LETTERS = "ABCD"
# Sorted: too small (hardly moves), good (falls fastest, smooth), stable at the
# start but too large once training sharpens the curvature (falls for ~10 steps,
# climbs, recovers, keeps spiking), above the limit (up at once, and stays up).
# The chapter's figure and the hints below describe these shapes.
_SORTED = CURVE_RATES
_SHUFFLE = 50    # np.random.default_rng(_SHUFFLE).permutation(4) orders the rates


def _loss_curve_lrs():
    """The rates of curves A, B, C and D, in that order."""
    return tuple(CURVE_RATES[int(i)] for i in np.random.default_rng(_SHUFFLE).permutation(4))


def exercise_curves(make_model, X, y, epochs=6, batch_size=32):
    """{letter: loss of every step} of the four SGD runs of exercise 3.6."""
    from .. import functional, train  # not at import time: checks stay light

    histories = {}
    for letter, lr in zip(CURVE_LETTERS, _loss_curve_lrs(), strict=True):
        net = make_model()
        history = train.fit(net, functional.cross_entropy, (X, y),
                            optim.SGD(net.parameters(), lr=lr), epochs=epochs,
                            batch_size=batch_size, rng=np.random.default_rng(4),
                            verbose=False)
        histories[letter] = history.loss
    return histories


def rates_of_the_curves():
    """After exercise 3.6: {letter: learning rate} of its four curves."""
    return dict(zip(CURVE_LETTERS, _loss_curve_lrs(), strict=True))


def _accept_curves(got, expected, case):
    """Count the right answers without saying which ones they are."""
    try:
        got = tuple(float(x) for x in got)
    except (TypeError, ValueError):
        return f"return a tuple of four learning rates, one per curve A to D; got {got!r}"
    if len(got) != 4:
        return f"return four learning rates, one per curve A to D; got {len(got)}"
    unknown = [x for x in got if all(abs(x - lr) > 1e-9 * lr for lr in CURVE_RATES)]
    if unknown:
        return (f"{unknown[0]:g} is not one of the four learning rates "
                f"{', '.join(f'{lr:g}' for lr in _SORTED)}")
    if len({round(x, 12) for x in got}) < 4:
        return "each learning rate drew exactly one curve: use each of the four once"
    right = sum(abs(g - e) <= 1e-9 * e for g, e in zip(got, expected, strict=True))
    if right == 4:
        return None
    return f"{right} of the 4 curves are matched correctly"


def _swapped(lo, hi):
    """The answer with the rates of rank ``lo`` and ``hi`` (0 = smallest) exchanged."""
    a, b = _SORTED[lo], _SORTED[hi]
    return tuple(b if lr == a else a if lr == b else lr for lr in _loss_curve_lrs())


def _curves_small_and_good_swapped():
    return _swapped(0, 1)


def _curves_good_and_large_swapped():
    return _swapped(1, 2)


def _curves_large_and_divergent_swapped():
    return _swapped(2, 3)


def _curves_reversed():
    return tuple(_SORTED[3 - _SORTED.index(lr)] for lr in _loss_curve_lrs())


loss_curve_lrs = Exercise(
    id="3.6", name="loss_curve_lrs", reference=_loss_curve_lrs,
    cases=[Case((), label="four SGD runs on the digits network")],
    accept=_accept_curves,
    mistakes=[
        Mistake("the smallest and the good rate swapped",
                "The curve that hardly moves has too small a rate: it is stable, it just "
                "needs many more steps. The good rate falls fastest, stays smooth and "
                "ends lowest.",
                _curves_small_and_good_swapped),
        Mistake("the good rate and the too-large stable one swapped",
                "The rate that is stable at the start but too large once training "
                "sharpens the curvature falls for a few steps, then climbs, comes back "
                "down, and keeps spiking above the good run. The good rate goes down "
                "from the start and stays smooth.",
                _curves_good_and_large_swapped),
        Mistake("the divergent curve given a stable rate",
                "The curve that jumps up at once and stays high has the largest rate: "
                "it is past the stability limit from the first step "
                '(see chapter 3, "When it converges"), the tanh units saturate, and '
                "the loss never comes back down.",
                _curves_large_and_divergent_swapped),
        Mistake("the order reversed",
                "Too small a rate does not make the loss go up: it is stable, and the "
                "loss hardly falls. It is too large a rate that overshoots and makes the "
                "loss go *up*; the higher it goes and stays, the larger the rate.",
                _curves_reversed),
    ],
    hint="Too small: smooth but slow. Good: falls fastest and stays smooth. Too large "
         "once the curvature grows: falls for a few steps, climbs, then recovers with "
         "spikes. Past the limit: up at once and stays up. "
         'See chapter 3, "Reading loss curves".',
    doc="Return (lr of curve A, lr of curve B, lr of curve C, lr of curve D).",
)
