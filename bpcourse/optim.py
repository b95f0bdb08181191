"""Optimizers: the pure update rules of chapters 3 to 5 with their state, and torch-style classes.

Read this module top to bottom. First the *pure update rules*: each takes
the parameters ``theta``, the gradient ``g`` and the optimizer's state, and
returns new values without touching its inputs. Each has a *state
initialiser* that returns the state before the first step as a named tuple,
as optax does::

    state = optim.adam_init(theta)                  # AdamState(m, v, t)
    theta, *new = optim.adam_step(theta, g, *state, lr=0.01)
    state = optim.AdamState(*new)

``INITS`` maps each rule to its initialiser (``surfaces.trajectory`` uses
it). Then the *optimizer classes* ``SGD``, ``Adagrad``, ``RMSprop``,
``Adam`` and ``AdamW``, which keep that state for a list of parameters and
have the names, arguments, defaults and arithmetic of ``torch.optim``.
Gradient clipping lives in ``bpcourse.clip``; learning-rate schedules live
in ``bpcourse.schedules`` and are re-exported here, so
``bpcourse.optim.cosine_lr`` works too.

Conventions: where textbooks and PyTorch differ
------------------------------------------------
The same name means slightly different arithmetic in different books and
libraries. This package follows PyTorch, and names the textbook forms:

1. **Momentum form.** PyTorch accumulates gradients, ``v ← μ·v + g`` and
   ``θ ← θ − lr·v`` (``momentum_step``). The classical heavy ball of Polyak
   (1964) and Sutskever et al. (2013) accumulates steps, ``v ← μ·v − lr·g``
   and ``θ ← θ + v`` (``heavy_ball_step``). With a constant ``lr`` the two
   give the same iterates (the classical ``v`` is ``−lr`` times PyTorch's);
   they differ once ``lr`` changes during training, because PyTorch's
   buffer then applies the *new* ``lr`` to the old gradients too.
   A third form keeps an average, ``m ← β·m + (1 − β)·g`` (``ema_momentum_step``,
   as in Adam's first moment); with learning rate ``lr`` it gives the same
   iterates as PyTorch's form with ``lr·(1 − β)``.
2. **Dampening.** PyTorch's ``dampening`` multiplies the new gradient,
   ``v ← μ·v + (1 − dampening)·g``, except at the first step, where PyTorch
   sets ``v ← g`` whatever the dampening. ``momentum_init`` therefore
   starts ``v`` at None, which the rule reads as that first step; ``v = 0``
   gives the textbook start, ``v₁ = (1 − dampening)·g``.
3. **Nesterov form.** Sutskever et al. (2013) evaluate the gradient at the
   look-ahead point: ``v ← μ·v − lr·∇f(θ + μ·v)``, ``θ ← θ + v``. PyTorch
   stores the look-ahead point itself as the parameters, which turns the
   rule into ``v ← μ·v + g``, ``θ ← θ − lr·(g + μ·v)`` with ``g`` taken at the
   stored parameters (``nesterov_step``). Same algorithm, shifted variables.
4. **Epsilon inside or outside the square root.** PyTorch and the Adam paper
   add ``eps`` *outside*: ``θ ← θ − lr·m̂/(√v̂ + eps)``. Some books and
   libraries write ``√(v̂ + eps)``; the two differ only where ``v̂`` is near
   ``eps``. Adagrad and RMSprop here add it outside too, as PyTorch does.
5. **Bias correction.** Adam divides the moments by ``1 − β₁ᵗ`` and
   ``1 − β₂ᵗ`` (with ``t`` counted from 1 after the first step's increment).
   PyTorch folds the corrections into the step size; the pure rule writes
   them out as ``m̂`` and ``v̂`` (``bias_corrected``). RMSprop and momentum
   have no bias correction.
6. **L2 versus decoupled weight decay.** ``weight_decay`` in ``SGD``,
   ``Adagrad``, ``RMSprop`` and ``Adam`` is L2 regularisation: it adds
   ``λ·θ`` to the gradient (``l2_grad``) *before* the moments, so under Adam
   it is rescaled by ``1/(√v̂ + eps)``. ``AdamW`` decays the parameters
   directly, ``θ ← θ − lr·λ·θ``, *before* the Adam update, so the decay is not
   rescaled (Loshchilov and Hutter 2019). Note AdamW multiplies by ``lr``:
   the decay per step is ``lr·λ``, not ``λ``.
7. **RMSprop's names.** Hinton's lecture calls the decay rate ``ρ`` or ``β``;
   PyTorch (and this package) call it ``alpha``, default 0.99 (Keras: 0.9).
   ``centered=True`` subtracts the squared mean gradient (Graves 2013) and
   ``momentum`` adds a buffer *after* the division by ``√v + eps``.
8. **Adagrad's accumulator and lr_decay.** PyTorch starts the sum of squared
   gradients at ``initial_accumulator_value`` (default 0; Duchi et al. use a
   small positive value, TensorFlow 0.1) and divides the learning rate by
   ``1 + (t − 1)·lr_decay``, an extra decay the paper does not have.

Inputs are validated in one place: the classes check their
hyper-parameters once, when they are built (as PyTorch does), and each rule
passes its inputs through ``_checked`` (``lr ≥ 0``, betas in [0, 1),
``eps > 0``, matching shapes), which raises ``ValueError`` naming the
argument; what follows in each rule is its equation, one line each.
"""

from typing import NamedTuple

import numpy as np

# ---------------------------------------------------------------------------
# Validation, shared by the rules and the classes
# ---------------------------------------------------------------------------

# Each hyper-parameter's allowed values: a test and the words for it.
_RANGES = {
    "lr": (lambda x: x >= 0, ">= 0"),
    "momentum": (lambda x: x >= 0, ">= 0"),
    "weight_decay": (lambda x: x >= 0, ">= 0"),
    "lr_decay": (lambda x: x >= 0, ">= 0"),
    "initial_accumulator_value": (lambda x: x >= 0, ">= 0"),
    "max_norm": (lambda x: x >= 0, ">= 0"),  # bpcourse.clip
    "clip_value": (lambda x: x >= 0, ">= 0"),
    "dampening": (lambda x: 0 <= x <= 1, "in [0, 1]"),
    "beta": (lambda x: 0 <= x < 1, "in [0, 1)"),
    "beta1": (lambda x: 0 <= x < 1, "in [0, 1)"),
    "beta2": (lambda x: 0 <= x < 1, "in [0, 1)"),
    "alpha": (lambda x: 0 <= x < 1, "in [0, 1)"),
    "eps": (lambda x: x > 0, "> 0"),
}


# Python's and numpy's real numbers (a tuple: isinstance against numbers.Real is
# five times slower, and the rules check their hyper-parameters at every step).
_NUMBER = (int, float, np.integer, np.floating)


def _check(name, x):
    """Raise unless the hyper-parameter ``name`` is a number in its range (NaN never is)."""
    if not isinstance(x, _NUMBER) or isinstance(x, bool):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    ok, allowed = _RANGES[name]
    if not ok(x):
        raise ValueError(f"{name} must be {allowed}, got {x}")


def _array(x, name):
    """``x`` as a float64 array (a copy only when the dtype changes)."""
    if x is None:
        raise TypeError(f"{name} is None; pass a number or a numpy array")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number or an array of numbers,"
                        f" got {type(x).__name__}") from err


def _same_shape(theta, x, name):
    """Convert ``x`` and check it has the shape of ``theta``."""
    x = _array(x, name)
    if x.shape != theta.shape:
        raise ValueError(f"{name} has shape {x.shape} but theta has shape {theta.shape}")
    return x


def _steps_taken(t):
    if isinstance(t, bool) or not float(t).is_integer() or t < 0:
        raise ValueError(f"t (steps already taken) must be an integer >= 0, got {t!r}")
    return int(t)


def _checked(theta, g, **named):
    """The rules' one validation. Returns ``theta``, ``g`` and the state, in order.

    ``theta``, ``g`` and every state array become float64 arrays of one
    shape (a state of None becomes zeros); ``t`` must be an integer >= 0
    (None means 0); every other keyword is a hyper-parameter, checked
    against ``_RANGES`` and not returned.
    """
    theta = _array(theta, "theta")
    out = [theta, _same_shape(theta, g, "g")]
    for name, x in named.items():
        if name in _RANGES:
            _check(name, x)
        elif name == "t":
            out.append(0 if x is None else _steps_taken(x))
        elif x is None:
            out.append(np.zeros_like(theta))
        else:
            out.append(_same_shape(theta, x, name))
    return out


# ---------------------------------------------------------------------------
# Moving averages: Adam's moments, RMSprop's mean square, the range test
# ---------------------------------------------------------------------------


def ema(avg, x, beta):
    """One update of an exponential moving average. Returns the new average.

    avg ← beta · avg + (1 − beta) · x

    Each past ``x`` keeps weight ``beta`` per step, so the average covers
    about ``1/(1 − beta)`` steps. See chapter 4, "Momentum as a low-pass filter".
    """
    return beta * avg + (1 - beta) * x


def bias_corrected(avg, beta, t):
    """An average started at 0, corrected after ``t`` updates: ``avg / (1 − betaᵗ)``.

    Started at 0, the average after ``t`` updates of a constant ``x`` is
    ``(1 − betaᵗ)·x``; dividing by ``1 − betaᵗ`` gives ``x`` back.
    See chapter 5, "Bias correction".
    """
    return avg / (1 - beta**t)


# ---------------------------------------------------------------------------
# State: one named tuple and one initialiser per rule
# ---------------------------------------------------------------------------


class GDState(NamedTuple):
    """Gradient descent keeps no state."""


class MomentumState(NamedTuple):
    """``v``: PyTorch's momentum buffer; None before the first step (then ``v ← g``)."""

    v: np.ndarray | None


class HeavyBallState(NamedTuple):
    """``v``: the last step taken (classical form)."""

    v: np.ndarray


class EMAMomentumState(NamedTuple):
    """``m``: the moving average of the gradients."""

    m: np.ndarray


class NesterovState(NamedTuple):
    """``v``: PyTorch's momentum buffer."""

    v: np.ndarray


class AdagradState(NamedTuple):
    """``s``: the sum of squared gradients; ``t``: the steps taken."""

    s: np.ndarray
    t: int


class RMSpropState(NamedTuple):
    """``v``: the moving average of the squared gradients."""

    v: np.ndarray


class RMSpropFullState(NamedTuple):
    """``v``: mean square; ``gbar``: mean gradient (centered); ``b``: momentum buffer."""

    v: np.ndarray
    gbar: np.ndarray
    b: np.ndarray


class AdamState(NamedTuple):
    """``m``, ``v``: the first and second moments; ``t``: the steps taken."""

    m: np.ndarray
    v: np.ndarray
    t: int


class AMSGradState(NamedTuple):
    """Adam's state and ``v_max``, the running maximum of ``v``."""

    m: np.ndarray
    v: np.ndarray
    v_max: np.ndarray
    t: int


def _zeros(theta):
    return np.zeros_like(_array(theta, "theta"))


def gd_init(theta):
    """The state of ``gd_step`` before the first step: ``GDState()`` (none)."""
    return GDState()


def momentum_init(theta):
    """The state of ``momentum_step`` before the first step: ``MomentumState(v=None)``.

    None, not zeros: PyTorch's first step sets ``v ← g`` whatever the
    dampening (convention 2 in the module docstring).
    """
    return MomentumState(v=None)


def heavy_ball_init(theta):
    """The state of ``heavy_ball_step`` before the first step: ``v = 0``."""
    return HeavyBallState(v=_zeros(theta))


def ema_momentum_init(theta):
    """The state of ``ema_momentum_step`` before the first step: ``m = 0``."""
    return EMAMomentumState(m=_zeros(theta))


def nesterov_init(theta):
    """The state of ``nesterov_step`` before the first step: ``v = 0`` (so ``v₁ = g``)."""
    return NesterovState(v=_zeros(theta))


def adagrad_init(theta, initial_accumulator_value=0.0):
    """The state of ``adagrad_step`` before the first step: ``s`` filled with
    ``initial_accumulator_value`` (PyTorch's default 0), ``t = 0``."""
    _check("initial_accumulator_value", initial_accumulator_value)
    return AdagradState(s=np.full_like(_zeros(theta), float(initial_accumulator_value)), t=0)


def rmsprop_init(theta):
    """The state of ``rmsprop_step`` before the first step: ``v = 0``."""
    return RMSpropState(v=_zeros(theta))


def rmsprop_full_init(theta):
    """The state of ``rmsprop_full_step`` before the first step: all zeros."""
    return RMSpropFullState(v=_zeros(theta), gbar=_zeros(theta), b=_zeros(theta))


def adam_init(theta):
    """The state of ``adam_step`` (and ``adamw_step``) before the first step:
    ``m = v = 0``, ``t = 0``."""
    return AdamState(m=_zeros(theta), v=_zeros(theta), t=0)


def amsgrad_init(theta):
    """The state of ``amsgrad_step`` before the first step: all zeros, ``t = 0``."""
    return AMSGradState(m=_zeros(theta), v=_zeros(theta), v_max=_zeros(theta), t=0)


def adamw_init(theta):
    """The state of ``adamw_step`` before the first step: Adam's, ``AdamState``."""
    return adam_init(theta)


# ---------------------------------------------------------------------------
# Pure update rules (chapters 3 to 5)
# ---------------------------------------------------------------------------


def gd_step(theta, g, lr):
    """One step of gradient descent. Returns the new ``theta``.

    theta ← theta − lr · g

    See chapter 3, "The gradient descent update".
    """
    theta, g = _checked(theta, g, lr=lr)
    return theta - lr * g


def l2_grad(g, theta, weight_decay):
    """The gradient of ``loss + (weight_decay / 2)·‖theta‖²``.

    g ← g + weight_decay · theta

    This is what ``weight_decay`` means in SGD, Adagrad, RMSprop and Adam.
    See chapter 5, "AdamW: decoupled weight decay".
    """
    theta, g = _checked(theta, g, weight_decay=weight_decay)
    return g + weight_decay * theta


def momentum_step(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """SGD with momentum in PyTorch's form. Returns ``(theta, v)``.

    v ← momentum · v + (1 − dampening) · g
    theta ← theta − lr · v

    ``v=None`` marks the first step, where PyTorch sets ``v ← g`` (no
    dampening; ``momentum_init`` starts there); ``v = 0`` gives the textbook
    start. With ``dampening = 0`` the two agree.
    See chapter 4, "PyTorch's form and the classical one".
    """
    first = v is None
    theta, g, v = _checked(theta, g, v=v, lr=lr, momentum=momentum, dampening=dampening)
    v = g.copy() if first else momentum * v + (1 - dampening) * g
    return theta - lr * v, v


def heavy_ball_step(theta, g, v, lr, momentum=0.9):
    """Polyak's heavy ball, in the classical form of Sutskever et al. (2013).

    v ← momentum · v − lr · g
    theta ← theta + v

    Returns ``(theta, v)``; ``v`` starts at 0 (``None`` means 0). Here ``v`` is
    the step itself, so ``v = −lr · v_pytorch`` while ``lr`` stays constant.
    See chapter 4, "Heavy ball".
    """
    theta, g, v = _checked(theta, g, v=v, lr=lr, momentum=momentum)
    v = momentum * v - lr * g
    return theta + v, v


def ema_momentum_step(theta, g, m, lr, beta=0.9):
    """Momentum as an exponential moving average of gradients.

    m ← beta · m + (1 − beta) · g
    theta ← theta − lr · m

    Returns ``(theta, m)``; ``m`` starts at 0 (``None`` means 0). The same
    iterates as ``momentum_step`` with ``lr`` multiplied by ``1 − beta``.
    See chapter 4, "Momentum as a low-pass filter".
    """
    theta, g, m = _checked(theta, g, m=m, lr=lr, beta=beta)
    m = ema(m, g, beta)
    return theta - lr * m, m


def nesterov_step(theta, g, v, lr, momentum=0.9):
    """Nesterov momentum in PyTorch's form. Returns ``(theta, v)``.

    v ← momentum · v + g
    theta ← theta − lr · (g + momentum · v)

    ``v`` starts at 0 (``None`` means 0, which is also PyTorch's first step,
    ``v ← g``). Sutskever et al. (2013) write ``v ← μ·v − lr·∇f(θ + μ·v)``,
    ``θ ← θ + v``: the gradient at a look-ahead point. Storing that
    look-ahead point as the parameters gives exactly this rule.
    See chapter 4, "Nesterov momentum".
    """
    theta, g, v = _checked(theta, g, v=v, lr=lr, momentum=momentum)
    v = momentum * v + g
    return theta - lr * (g + momentum * v), v


def adagrad_step(theta, g, s, t, lr=1e-2, lr_decay=0.0, eps=1e-10):
    """AdaGrad, as PyTorch computes it. Returns ``(theta, s, t)``.

    t ← t + 1
    lr_t ← lr / (1 + (t − 1) · lr_decay)
    s ← s + g²
    theta ← theta − lr_t · g / (√s + eps)

    ``s`` is the running sum of squared gradients (``None`` means 0) and ``t``
    the number of steps already taken. See chapter 5, "AdaGrad".
    """
    theta, g, s, t = _checked(theta, g, s=s, t=t, lr=lr, lr_decay=lr_decay, eps=eps)
    t = t + 1
    lr_t = lr / (1 + (t - 1) * lr_decay)
    s = s + g * g
    return theta - lr_t * g / (np.sqrt(s) + eps), s, t


def rmsprop_step(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    """RMSprop (Hinton's lecture 6e). Returns ``(theta, v)``.

    v ← alpha · v + (1 − alpha) · g²
    theta ← theta − lr · g / (√v + eps)

    ``v`` starts at 0 (``None`` means 0); there is no bias correction, so
    the first steps are large. See chapter 5, "RMSProp".
    """
    theta, g, v = _checked(theta, g, v=v, lr=lr, alpha=alpha, eps=eps)
    v = ema(v, g * g, alpha)
    return theta - lr * g / (np.sqrt(v) + eps), v


def rmsprop_full_step(theta, g, v, gbar, b, lr=1e-2, alpha=0.99, eps=1e-8,
                      momentum=0.0, centered=False):
    """RMSprop with PyTorch's options. Returns ``(theta, v, gbar, b)``.

    v ← alpha · v + (1 − alpha) · g²
    gbar ← alpha · gbar + (1 − alpha) · g          (if centered)
    d ← g / (√(v − gbar²) + eps)                  (centered)
    d ← g / (√v + eps)                            (otherwise)
    b ← momentum · b + d                          (if momentum > 0)
    theta ← theta − lr · b                        (if momentum > 0)
    theta ← theta − lr · d                        (otherwise)

    ``gbar`` (the mean gradient) and ``b`` (the momentum buffer) start at 0
    (``None`` means 0) and stay 0 when their option is off.
    See chapter 5, "RMSProp".
    """
    theta, g, v, gbar, b = _checked(theta, g, v=v, gbar=gbar, b=b, lr=lr, alpha=alpha,
                                    eps=eps, momentum=momentum)
    v = ema(v, g * g, alpha)
    if centered:
        gbar = ema(gbar, g, alpha)
        d = g / (np.sqrt(v - gbar * gbar) + eps)
    else:
        d = g / (np.sqrt(v) + eps)
    if momentum > 0:
        b = momentum * b + d
        return theta - lr * b, v, gbar, b
    return theta - lr * d, v, gbar, b


def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam (Kingma and Ba 2015). Returns ``(theta, m, v, t)``.

    t ← t + 1
    m ← beta1 · m + (1 − beta1) · g
    v ← beta2 · v + (1 − beta2) · g²
    m̂ ← m / (1 − beta1ᵗ)
    v̂ ← v / (1 − beta2ᵗ)
    theta ← theta − lr · m̂ / (√v̂ + eps)

    ``t`` is the number of steps already taken (0 before the first step);
    ``m`` and ``v`` start at 0 (``None`` means 0). See chapter 5, "Adam" and
    "Bias correction".
    """
    theta, g, m, v, t = _checked(theta, g, m=m, v=v, t=t, lr=lr, beta1=beta1, beta2=beta2,
                                 eps=eps)
    t = t + 1
    m = ema(m, g, beta1)
    v = ema(v, g * g, beta2)
    m_hat = bias_corrected(m, beta1, t)
    v_hat = bias_corrected(v, beta2, t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t


def amsgrad_step(theta, g, m, v, v_max, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam with AMSGrad's running maximum (Reddi et al. 2018), as PyTorch.

    t ← t + 1
    m ← beta1 · m + (1 − beta1) · g
    v ← beta2 · v + (1 − beta2) · g²
    v_max ← max(v_max, v)
    m̂ ← m / (1 − beta1ᵗ)
    v̂ ← v_max / (1 − beta2ᵗ)
    theta ← theta − lr · m̂ / (√v̂ + eps)

    Returns ``(theta, m, v, v_max, t)``. The step size can then only shrink,
    which repairs Adam's counterexamples. See chapter 5, "AMSGrad".
    """
    theta, g, m, v, v_max, t = _checked(theta, g, m=m, v=v, v_max=v_max, t=t, lr=lr,
                                        beta1=beta1, beta2=beta2, eps=eps)
    t = t + 1
    m = ema(m, g, beta1)
    v = ema(v, g * g, beta2)
    v_max = np.maximum(v_max, v)
    m_hat = bias_corrected(m, beta1, t)
    v_hat = bias_corrected(v_max, beta2, t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, v_max, t


def decoupled_decay(theta, lr, weight_decay):
    """AdamW's weight decay, applied to the parameters themselves.

    theta ← theta − lr · weight_decay · theta

    See chapter 5, "AdamW: decoupled weight decay".
    """
    theta = _array(theta, "theta")
    _check("lr", lr)
    _check("weight_decay", weight_decay)
    return theta - lr * weight_decay * theta


def adamw_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    """AdamW (Loshchilov and Hutter 2019), as PyTorch. Returns ``(theta, m, v, t)``.

    theta ← theta − lr · weight_decay · theta
    t ← t + 1
    m ← beta1 · m + (1 − beta1) · g
    v ← beta2 · v + (1 − beta2) · g²
    m̂ ← m / (1 − beta1ᵗ)
    v̂ ← v / (1 − beta2ᵗ)
    theta ← theta − lr · m̂ / (√v̂ + eps)

    The decay acts on ``theta`` before the Adam step and never enters ``m``
    or ``v``. See chapter 5, "AdamW: decoupled weight decay".
    """
    theta, g = _checked(theta, g)
    theta = decoupled_decay(theta, lr, weight_decay)
    return adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)


# Each rule's state initialiser: ``INITS[rule](theta)`` is the state before
# the first step, in the order the rule takes and returns it. A chapter that
# adds a rule adds its initialiser here.
INITS = {
    gd_step: gd_init,
    momentum_step: momentum_init,
    heavy_ball_step: heavy_ball_init,
    ema_momentum_step: ema_momentum_init,
    nesterov_step: nesterov_init,
    adagrad_step: adagrad_init,
    rmsprop_step: rmsprop_init,
    rmsprop_full_step: rmsprop_full_init,
    adam_step: adam_init,
    amsgrad_step: amsgrad_init,
    adamw_step: adamw_init,
}


# ---------------------------------------------------------------------------
# Optimizer classes, with torch.optim's names, defaults and arithmetic
# ---------------------------------------------------------------------------


class Optimizer:
    """Base class: holds parameter groups and per-parameter state.

    ``params`` is an iterable of Tensors (or of any objects with ``.data``
    and ``.grad`` float64 arrays), or a list of dicts ``{"params": [...],
    "lr": ...}`` for groups with their own hyper-parameters, as in PyTorch.

    ``step()`` replaces each ``p.data`` with a new array rather than writing
    into the old one (PyTorch updates in place): an array a learner passed in
    is never changed behind their back. Parameters whose ``grad`` is None are
    skipped, as in PyTorch.
    """

    def __init__(self, params, defaults):
        if isinstance(params, dict) or hasattr(params, "data"):
            raise TypeError("params must be an iterable of parameters (e.g. model.parameters()),"
                            f" got a single {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError("params is empty: the optimizer has nothing to update")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        self.defaults = dict(defaults)
        self.param_groups = []
        for group in params:
            group = dict(group)
            group["params"] = list(group["params"])
            for p in group["params"]:
                if not (hasattr(p, "data") and hasattr(p, "grad")):
                    raise TypeError("every parameter needs .data and .grad,"
                                    f" got {type(p).__name__}")
            for key, value in self.defaults.items():
                group.setdefault(key, value)
            self._validate(group)
            self.param_groups.append(group)
        # Per-parameter state, keyed by the parameter's position over all groups.
        self.state = {}

    def _validate(self, group):
        """Check each hyper-parameter of ``group`` once, here at construction, as PyTorch does."""
        for name, x in group.items():
            if name in _RANGES:
                _check(name, x)

    def _params(self):
        """Yield ``(index, parameter, group)`` over all groups."""
        i = 0
        for group in self.param_groups:
            for p in group["params"]:
                yield i, p, group
                i += 1

    @property
    def lr(self):
        """The learning rate of the first group; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value):
        _check("lr", value)
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``p.grad = None`` (PyTorch's default), or zeros."""
        for _, p, _ in self._params():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.grad)

    def step(self):
        """Update every parameter that has a gradient."""
        for i, p, group in self._params():
            if p.grad is None:
                continue
            if np.shape(p.grad) != np.shape(p.data):
                raise ValueError(f"parameter {i}: grad has shape {np.shape(p.grad)} but data"
                                 f" has shape {np.shape(p.data)}")
            # the rules convert and check the arrays themselves
            p.data = self._update(p.data, p.grad, self.state.setdefault(i, {}), group)

    def _update(self, theta, g, state, group):
        raise NotImplementedError

    def state_dict(self):
        """A copy of the state and hyper-parameters (parameters as indices)."""
        groups, i = [], 0
        for group in self.param_groups:
            hyper = {k: v for k, v in group.items() if k != "params"}
            hyper["params"] = list(range(i, i + len(group["params"])))
            i += len(group["params"])
            groups.append(hyper)
        state = {k: {name: _copy(x) for name, x in s.items()} for k, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict()`` returned (for the same parameters)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"state_dict has {len(groups)} parameter groups, the optimizer"
                             f" has {len(self.param_groups)}")
        for saved, group in zip(groups, self.param_groups, strict=True):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"a saved group has {len(saved['params'])} parameters, the"
                                 f" optimizer's has {len(group['params'])}")
        for saved, group in zip(groups, self.param_groups, strict=True):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {int(k): {name: _copy(x) for name, x in s.items()}
                      for k, s in state_dict["state"].items()}

    def __repr__(self):
        hyper = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
        n = sum(len(g["params"]) for g in self.param_groups)
        return f"{type(self).__name__}({n} parameters, {hyper})"


def _copy(x):
    return x.copy() if isinstance(x, np.ndarray) else x


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, as ``torch.optim.SGD``.

    g ← g + weight_decay · theta                  (if weight_decay > 0)
    v ← momentum · v + (1 − dampening) · g        (v ← g at the first step)
    g ← g + momentum · v                          (if nesterov)
    g ← v                                         (otherwise, if momentum > 0)
    theta ← theta − lr · g

    See chapter 3, "Full batch, mini-batch and single-example SGD", and
    chapter 4, "Nesterov momentum".
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, nesterov=False, weight_decay=0):
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "nesterov": nesterov, "weight_decay": weight_decay})

    def _validate(self, group):
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0")

    def _update(self, theta, g, state, group):
        lr, mu = group["lr"], group["momentum"]
        if group["weight_decay"]:
            g = l2_grad(g, theta, group["weight_decay"])
        if mu == 0:
            return gd_step(theta, g, lr)
        if group["nesterov"]:
            theta, state["v"] = nesterov_step(theta, g, state.get("v"), lr, mu)
        else:
            theta, state["v"] = momentum_step(theta, g, state.get("v"), lr, mu, group["dampening"])
        return theta


class Adagrad(Optimizer):
    """AdaGrad (Duchi et al. 2011), as ``torch.optim.Adagrad``: see ``adagrad_step``.

    ``weight_decay`` adds ``weight_decay · theta`` to ``g`` first (L2);
    ``initial_accumulator_value`` is the starting value of ``s``.
    See chapter 5, "AdaGrad".
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, eps=1e-10,
                 initial_accumulator_value=0):
        self.initial_accumulator_value = initial_accumulator_value
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay,
                                  "weight_decay": weight_decay, "eps": eps})
        # PyTorch creates the accumulator at construction, so state_dict() has it at once.
        for i, p, _ in self._params():
            self.state[i] = adagrad_init(p.data, initial_accumulator_value)._asdict()

    def _update(self, theta, g, state, group):
        if group["weight_decay"]:
            g = l2_grad(g, theta, group["weight_decay"])
        theta, state["s"], state["t"] = adagrad_step(
            theta, g, state["s"], state["t"], group["lr"], group["lr_decay"], group["eps"])
        return theta


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``: see ``rmsprop_step``, ``rmsprop_full_step``.

    ``weight_decay`` adds ``weight_decay · theta`` to ``g`` first (L2).
    See chapter 5, "RMSProp".
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _update(self, theta, g, state, group):
        if group["weight_decay"]:
            g = l2_grad(g, theta, group["weight_decay"])
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        if group["momentum"] == 0 and not group["centered"]:
            theta, state["v"] = rmsprop_step(theta, g, state.get("v"), lr, alpha, eps)
            return theta
        theta, state["v"], gbar, b = rmsprop_full_step(
            theta, g, state.get("v"), state.get("gbar"), state.get("b"), lr, alpha, eps,
            group["momentum"], group["centered"])
        if group["centered"]:
            state["gbar"] = gbar
        if group["momentum"] > 0:
            state["b"] = b
        return theta


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: see ``adam_step`` and ``amsgrad_step``.

    ``weight_decay`` here is L2 (added to ``g`` before the moments), not
    AdamW's decoupled decay. See chapter 5, "Adam".
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False):
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad})

    def _validate(self, group):
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        _check("beta1", betas[0])
        _check("beta2", betas[1])
        super()._validate(group)

    def _update(self, theta, g, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        if wd and self._decoupled:
            theta = decoupled_decay(theta, lr, wd)
        elif wd:
            g = l2_grad(g, theta, wd)
        m, v, t = state.get("m"), state.get("v"), state.get("t", 0)
        if group["amsgrad"]:
            theta, m, v, state["v_max"], t = amsgrad_step(
                theta, g, m, v, state.get("v_max"), t, lr, beta1, beta2, eps)
        else:
            theta, m, v, t = adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)
        state["m"], state["v"], state["t"] = m, v, t
        return theta


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: decoupled decay, then Adam (``adamw_step``).

    See chapter 5, "AdamW: decoupled weight decay".
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


# Schedules are their own module; importing them here keeps one entry point.
from .schedules import (  # noqa: E402
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    StepLR,
    WarmupCosineLR,
    constant_lr,
    cosine_lr,
    exponential_lr,
    lr_range_test,
    step_lr,
    warmup_cosine_lr,
)

__all__ = [
    "ema", "bias_corrected", "INITS",
    "GDState", "MomentumState", "HeavyBallState", "EMAMomentumState", "NesterovState",
    "AdagradState", "RMSpropState", "RMSpropFullState", "AdamState", "AMSGradState",
    "gd_init", "momentum_init", "heavy_ball_init", "ema_momentum_init", "nesterov_init",
    "adagrad_init", "rmsprop_init", "rmsprop_full_init", "adam_init", "amsgrad_init",
    "adamw_init",
    "gd_step", "l2_grad", "momentum_step", "heavy_ball_step", "ema_momentum_step",
    "nesterov_step", "adagrad_step", "rmsprop_step", "rmsprop_full_step", "adam_step",
    "amsgrad_step", "decoupled_decay", "adamw_step",
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "WarmupCosineLR",
    "LambdaLR", "constant_lr", "step_lr", "exponential_lr", "cosine_lr", "warmup_cosine_lr",
    "lr_range_test",
]
