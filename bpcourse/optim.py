"""Optimizers: the update rules of chapters 3 to 5, then torch-style classes.

Read this module top to bottom: first the *pure update rules* (functions
that take the parameters ``theta``, the gradient ``g`` and the optimizer's
state, and return new values without touching their inputs), then the
*optimizer classes* ``SGD``, ``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW``,
which keep that state for a list of parameters and have the names, arguments,
defaults and arithmetic of ``torch.optim``, and last *gradient clipping*.
Learning-rate schedules live in ``bpcourse.schedules`` and are re-exported
here, so ``bpcourse.optim.cosine_lr`` works too.

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
   sets ``v ← g`` whatever the dampening. Pass ``v=None`` to the pure rule for
   that first step; ``v = 0`` gives the textbook start, ``v₁ = (1 − dampening)·g``.
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
   them out as ``m̂`` and ``v̂``. RMSprop and momentum have no bias correction.
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

Every rule validates its inputs (``lr ≥ 0``, betas in [0, 1), ``eps > 0``,
matching shapes) and raises ``ValueError`` naming the argument.
"""

import math

import numpy as np

# ---------------------------------------------------------------------------
# Validation, shared by the rules and the classes
# ---------------------------------------------------------------------------


def _array(x, name):
    """``x`` as a float64 array (a copy only when the dtype changes)."""
    if x is None:
        raise TypeError(f"{name} is None; pass a number or a numpy array")
    try:
        out = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number or an array of numbers,"
                        f" got {type(x).__name__}") from err
    return out


def _same_shape(theta, x, name):
    """Convert ``x`` and check it has the shape of ``theta``."""
    x = _array(x, name)
    if x.shape != theta.shape:
        raise ValueError(f"{name} has shape {x.shape} but theta has shape {theta.shape}")
    return x


def _state(theta, x, name):
    """A state array, or zeros when ``x`` is None (no step taken yet)."""
    if x is None:
        return np.zeros_like(theta)
    return _same_shape(theta, x, name)


def _check_lr(lr):
    if not isinstance(lr, (int, float, np.floating, np.integer)) or isinstance(lr, bool):
        raise TypeError(f"lr must be a number, got {type(lr).__name__}")
    if not lr >= 0:  # also catches NaN
        raise ValueError(f"lr must be >= 0, got {lr}")


def _check_range(name, x, low=0.0, high=1.0, high_open=True):
    if not isinstance(x, (int, float, np.floating, np.integer)) or isinstance(x, bool):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    ok = low <= x < high if high_open else low <= x <= high
    if not ok:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {x}")


def _check_nonneg(name, x):
    _check_range(name, x, 0.0, math.inf)


def _check_eps(eps):
    if not isinstance(eps, (int, float, np.floating, np.integer)) or isinstance(eps, bool):
        raise TypeError(f"eps must be a number, got {type(eps).__name__}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")


def _check_t(t):
    if t is None:
        return 0
    if isinstance(t, bool) or not float(t).is_integer() or t < 0:
        raise ValueError(f"t (steps already taken) must be an integer >= 0, got {t!r}")
    return int(t)


def _start(theta, g):
    theta = _array(theta, "theta")
    return theta, _same_shape(theta, g, "g")


# ---------------------------------------------------------------------------
# Pure update rules (chapters 3 to 5)
# ---------------------------------------------------------------------------


def gd_step(theta, g, lr):
    """One step of gradient descent. Returns the new ``theta``.

    theta ← theta − lr · g

    See chapter 3, "The gradient descent update".
    """
    theta, g = _start(theta, g)
    _check_lr(lr)
    return theta - lr * g


def l2_grad(g, theta, weight_decay):
    """The gradient of ``loss + (weight_decay / 2)·‖theta‖²``.

    g ← g + weight_decay · theta

    This is what ``weight_decay`` means in SGD, Adagrad, RMSprop and Adam.
    See chapter 5, "AdamW: decoupled weight decay".
    """
    theta = _array(theta, "theta")
    g = _same_shape(theta, g, "g")
    _check_nonneg("weight_decay", weight_decay)
    return g + weight_decay * theta


def momentum_step(theta, g, v, lr, momentum=0.9, dampening=0.0):
    """SGD with momentum in PyTorch's form. Returns ``(theta, v)``.

    v ← momentum · v + (1 − dampening) · g
    theta ← theta − lr · v

    ``v=None`` marks the first step, where PyTorch sets ``v ← g`` (no
    dampening); ``v = 0`` gives the textbook start. With ``dampening = 0``
    the two agree. See chapter 4, "PyTorch's form and the classical one".
    """
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_nonneg("momentum", momentum)
    _check_range("dampening", dampening, high_open=False)
    if v is None:
        v = g.copy()
    else:
        v = momentum * _same_shape(theta, v, "v") + (1 - dampening) * g
    return theta - lr * v, v


def heavy_ball_step(theta, g, v, lr, momentum=0.9):
    """Polyak's heavy ball, in the classical form of Sutskever et al. (2013).

    v ← momentum · v − lr · g
    theta ← theta + v

    Returns ``(theta, v)``; ``v`` starts at 0 (``None`` means 0). Here ``v`` is
    the step itself, so ``v = −lr · v_pytorch`` while ``lr`` stays constant.
    See chapter 4, "Heavy ball".
    """
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_nonneg("momentum", momentum)
    v = momentum * _state(theta, v, "v") - lr * g
    return theta + v, v


def ema_momentum_step(theta, g, m, lr, beta=0.9):
    """Momentum as an exponential moving average of gradients.

    m ← beta · m + (1 − beta) · g
    theta ← theta − lr · m

    Returns ``(theta, m)``; ``m`` starts at 0 (``None`` means 0). The same
    iterates as ``momentum_step`` with ``lr`` multiplied by ``1 − beta``.
    See chapter 4, "Momentum as a low-pass filter".
    """
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_range("beta", beta)
    m = beta * _state(theta, m, "m") + (1 - beta) * g
    return theta - lr * m, m


def nesterov_step(theta, g, v, lr, momentum=0.9):
    """Nesterov momentum in PyTorch's form. Returns ``(theta, v)``.

    v ← momentum · v + g
    theta ← theta − lr · (g + momentum · v)

    ``v=None`` marks the first step (``v ← g``, the same as ``v = 0`` here).
    Sutskever et al. (2013) write ``v ← μ·v − lr·∇f(θ + μ·v)``, ``θ ← θ + v``:
    the gradient at a look-ahead point. Storing that look-ahead point as the
    parameters gives exactly this rule. See chapter 4, "Nesterov momentum".
    """
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_nonneg("momentum", momentum)
    v = g.copy() if v is None else momentum * _same_shape(theta, v, "v") + g
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
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_nonneg("lr_decay", lr_decay)
    _check_eps(eps)
    t = _check_t(t) + 1
    lr_t = lr / (1 + (t - 1) * lr_decay)
    s = _state(theta, s, "s") + g * g
    return theta - lr_t * g / (np.sqrt(s) + eps), s, t


def rmsprop_step(theta, g, v, lr=1e-2, alpha=0.99, eps=1e-8):
    """RMSprop (Hinton's lecture 6e). Returns ``(theta, v)``.

    v ← alpha · v + (1 − alpha) · g²
    theta ← theta − lr · g / (√v + eps)

    ``v`` starts at 0 (``None`` means 0); there is no bias correction, so
    the first steps are large. See chapter 5, "RMSProp".
    """
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_range("alpha", alpha)
    _check_eps(eps)
    v = alpha * _state(theta, v, "v") + (1 - alpha) * g * g
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
    (``None`` means 0) and are returned unchanged when their option is off.
    See chapter 5, "RMSProp".
    """
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_range("alpha", alpha)
    _check_eps(eps)
    _check_nonneg("momentum", momentum)
    v = alpha * _state(theta, v, "v") + (1 - alpha) * g * g
    if centered:
        gbar = alpha * _state(theta, gbar, "gbar") + (1 - alpha) * g
        d = g / (np.sqrt(v - gbar * gbar) + eps)
    else:
        d = g / (np.sqrt(v) + eps)
    if momentum > 0:
        b = momentum * _state(theta, b, "b") + d
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
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_range("beta1", beta1)
    _check_range("beta2", beta2)
    _check_eps(eps)
    t = _check_t(t) + 1
    m = beta1 * _state(theta, m, "m") + (1 - beta1) * g
    v = beta2 * _state(theta, v, "v") + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
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
    theta, g = _start(theta, g)
    _check_lr(lr)
    _check_range("beta1", beta1)
    _check_range("beta2", beta2)
    _check_eps(eps)
    t = _check_t(t) + 1
    m = beta1 * _state(theta, m, "m") + (1 - beta1) * g
    v = beta2 * _state(theta, v, "v") + (1 - beta2) * g * g
    v_max = np.maximum(_state(theta, v_max, "v_max"), v)
    m_hat = m / (1 - beta1**t)
    v_hat = v_max / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, v_max, t


def decoupled_decay(theta, lr, weight_decay):
    """AdamW's weight decay, applied to the parameters themselves.

    theta ← theta − lr · weight_decay · theta

    See chapter 5, "AdamW: decoupled weight decay".
    """
    theta = _array(theta, "theta")
    _check_lr(lr)
    _check_nonneg("weight_decay", weight_decay)
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
    theta, g = _start(theta, g)
    theta = decoupled_decay(theta, lr, weight_decay)
    return adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)


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
        _check_lr(group["lr"])

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
        _check_lr(value)
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
            theta = _array(p.data, f"parameter {i} data")
            g = _array(p.grad, f"parameter {i} grad")
            if g.shape != theta.shape:
                raise ValueError(f"parameter {i}: grad has shape {g.shape} but data has shape"
                                 f" {theta.shape}")
            self.state.setdefault(i, {})
            p.data = self._update(theta, g, self.state[i], group)

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
        _check_lr(group["lr"])
        _check_nonneg("momentum", group["momentum"])
        _check_range("dampening", group["dampening"], high_open=False)
        _check_nonneg("weight_decay", group["weight_decay"])
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
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        self.initial_accumulator_value = initial_accumulator_value
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay,
                                  "weight_decay": weight_decay, "eps": eps})
        # PyTorch creates the accumulator at construction, so state_dict() has it at once.
        for i, p, _ in self._params():
            shape = np.shape(p.data)
            self.state[i] = {"s": np.full(shape, float(initial_accumulator_value)), "t": 0}

    def _validate(self, group):
        _check_lr(group["lr"])
        _check_nonneg("lr_decay", group["lr_decay"])
        _check_nonneg("weight_decay", group["weight_decay"])
        _check_eps(group["eps"])

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

    def _validate(self, group):
        _check_lr(group["lr"])
        _check_range("alpha", group["alpha"])
        _check_eps(group["eps"])
        _check_nonneg("weight_decay", group["weight_decay"])
        _check_nonneg("momentum", group["momentum"])

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
        if gbar is not None:
            state["gbar"] = gbar
        if b is not None:
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
        _check_lr(group["lr"])
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        _check_range("beta1", betas[0])
        _check_range("beta2", betas[1])
        _check_eps(group["eps"])
        _check_nonneg("weight_decay", group["weight_decay"])

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


# ---------------------------------------------------------------------------
# Gradient clipping (chapter 6)
# ---------------------------------------------------------------------------


def _as_list(grads):
    if isinstance(grads, np.ndarray):
        return [grads], True
    return list(grads), False


def _total_norm(grads, norm_type):
    if norm_type == math.inf:
        return max((float(np.max(np.abs(g))) if g.size else 0.0) for g in grads)
    # Like PyTorch: the norm of the per-tensor norms.
    norms = np.array([np.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    return float(np.linalg.norm(norms, ord=norm_type))


def clip_by_norm(grads, max_norm, norm_type=2.0):
    """Scale gradients so their joint norm is at most ``max_norm``.

    ‖g‖ ← (Σ over all entries |g|^p)^(1/p)
    g ← g · min(1, max_norm / (‖g‖ + 1e-6))

    ``grads`` is one array or a list of arrays (one per parameter). Returns
    ``(clipped, norm)``: new arrays in the same form, and the norm *before*
    clipping. The ``1e-6`` is PyTorch's guard against dividing by zero.
    Pure: the inputs are not modified. See chapter 6, "Clipping by norm".
    """
    arrays, single = _as_list(grads)
    arrays = [_array(g, "grads") for g in arrays]
    _check_nonneg("max_norm", max_norm)
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"norm_type must be > 0 (or inf), got {norm_type}")
    norm = _total_norm(arrays, norm_type) if arrays else 0.0
    scale = min(1.0, max_norm / (norm + 1e-6))
    with np.errstate(invalid="ignore"):  # an infinite norm gives NaN, as in PyTorch
        clipped = [g * scale for g in arrays]
    return (clipped[0] if single else clipped), norm


def clip_by_value(grads, clip_value):
    """Clamp every gradient entry into ``[−clip_value, clip_value]``.

    g ← min(max(g, −clip_value), clip_value)

    Returns ``(clipped, norm)`` with the 2-norm before clipping; the inputs
    are not modified. Clipping by value changes the gradient's direction,
    clipping by norm does not. See chapter 6, "Clipping by norm".
    """
    arrays, single = _as_list(grads)
    arrays = [_array(g, "grads") for g in arrays]
    _check_nonneg("clip_value", clip_value)
    norm = _total_norm(arrays, 2.0) if arrays else 0.0
    clipped = [np.clip(g, -clip_value, clip_value) for g in arrays]
    return (clipped[0] if single else clipped), norm


def _with_grads(params):
    if hasattr(params, "grad"):
        params = [params]
    return [p for p in params if p.grad is not None]


def clip_grad_norm(params, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Clip the parameters' gradients by their joint norm, as ``torch.nn.utils.clip_grad_norm_``.

    The one place in the package that changes its arguments: like PyTorch,
    it replaces each ``p.grad`` by the clipped gradient, because that is its
    job. Returns the total norm before clipping. See ``clip_by_norm``.
    """
    params = _with_grads(params)
    clipped, norm = clip_by_norm([np.asarray(p.grad, dtype=np.float64) for p in params],
                                 max_norm, norm_type)
    if error_if_nonfinite and not math.isfinite(norm):
        raise RuntimeError(f"the total gradient norm is {norm}: cannot clip it")
    for p, g in zip(params, clipped, strict=True):
        p.grad = g
    return norm


def clip_grad_value(params, clip_value):
    """Clamp the parameters' gradients, as ``torch.nn.utils.clip_grad_value_``.

    Replaces each ``p.grad`` (see ``clip_grad_norm``). Returns the total
    2-norm before clipping (PyTorch returns None).
    """
    params = _with_grads(params)
    clipped, norm = clip_by_value([np.asarray(p.grad, dtype=np.float64) for p in params],
                                  clip_value)
    for p, g in zip(params, clipped, strict=True):
        p.grad = g
    return norm


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
    "gd_step", "l2_grad", "momentum_step", "heavy_ball_step", "ema_momentum_step",
    "nesterov_step", "adagrad_step", "rmsprop_step", "rmsprop_full_step", "adam_step",
    "amsgrad_step", "decoupled_decay", "adamw_step",
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
    "clip_by_norm", "clip_by_value", "clip_grad_norm", "clip_grad_value",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "WarmupCosineLR",
    "LambdaLR", "constant_lr", "step_lr", "exponential_lr", "cosine_lr", "warmup_cosine_lr",
    "lr_range_test",
]
