"""Learning-rate schedules, and the learning-rate range test (chapter 3).

Each schedule comes twice:

* a plain function of the step, ``cosine_lr(step, lr0, total)``, to plot and
  to reason with (step 0 is before the first update);
* a scheduler object that drives an optimizer, ``CosineAnnealingLR(opt,
  T_max)``, with the names and numbers of ``torch.optim.lr_scheduler``:
  creating it sets the optimizer's learning rate for step 0, and each
  ``.step()`` (call it after ``optimizer.step()``) moves to the next step.

``bpcourse.optim`` re-exports everything here.
"""

import math

import numpy as np

# ---------------------------------------------------------------------------
# Schedules as functions of the step
# ---------------------------------------------------------------------------


def _check_step(step):
    if isinstance(step, bool) or not float(step).is_integer() or step < 0:
        raise ValueError(f"step must be an integer >= 0, got {step!r}")


def _check_positive_int(name, n):
    if isinstance(n, bool) or not float(n).is_integer() or n < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {n!r}")


def _check_lr0(lr0):
    if not lr0 >= 0:
        raise ValueError(f"lr0 must be >= 0, got {lr0}")


def constant_lr(step, lr0):
    """lr_t = lr0. The baseline every other schedule is compared with."""
    _check_step(step)
    _check_lr0(lr0)
    return float(lr0)


def step_lr(step, lr0, step_size, gamma=0.1):
    """Divide the rate by a constant factor every ``step_size`` steps.

    lr_t = lr0 · gamma^⌊t / step_size⌋

    See chapter 3, "Learning-rate schedules".
    """
    _check_step(step)
    _check_lr0(lr0)
    _check_positive_int("step_size", step_size)
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    return lr0 * gamma ** (step // step_size)


def exponential_lr(step, lr0, gamma):
    """lr_t = lr0 · gammaᵗ. See chapter 3, "Learning-rate schedules"."""
    _check_step(step)
    _check_lr0(lr0)
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    return lr0 * gamma**step


def cosine_lr(step, lr0, total, lr_min=0.0):
    """Cosine annealing from ``lr0`` at step 0 to ``lr_min`` at step ``total``.

    lr_t = lr_min + (lr0 − lr_min) · (1 + cos(π · t / total)) / 2

    Past ``total`` the cosine rises again, as in PyTorch's
    ``CosineAnnealingLR``: stop training at ``total``.
    See chapter 3, "Learning-rate schedules".
    """
    _check_step(step)
    _check_lr0(lr0)
    _check_positive_int("total", total)
    if not 0 <= lr_min:
        raise ValueError(f"lr_min must be >= 0, got {lr_min}")
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * step / total)) / 2


def warmup_cosine_lr(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    """Linear warm-up for ``warmup`` steps, then cosine annealing to ``total``.

    lr_t = lr0 · (start_factor + (1 − start_factor) · t / warmup)       for t < warmup
    lr_t = lr_min + (lr0 − lr_min) · (1 + cos(π · (t − warmup) / (total − warmup))) / 2

    The same numbers as PyTorch's ``SequentialLR`` of ``LinearLR(start_factor,
    total_iters=warmup)`` and ``CosineAnnealingLR(T_max=total − warmup)``
    with ``milestones=[warmup]``. See chapter 3, "Learning-rate schedules".
    """
    _check_step(step)
    _check_lr0(lr0)
    _check_positive_int("warmup", warmup)
    _check_positive_int("total", total)
    if not total > warmup:
        raise ValueError(f"total ({total}) must be larger than warmup ({warmup})")
    if not 0 < start_factor <= 1:
        raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    return cosine_lr(step - warmup, lr0, total - warmup, lr_min)


# ---------------------------------------------------------------------------
# Scheduler objects that drive an optimizer
# ---------------------------------------------------------------------------


class LRScheduler:
    """Base class: sets ``group["lr"]`` to ``self.lr_at(t, base_lr)`` at each step.

    ``base_lrs`` are the groups' learning rates when the scheduler is made;
    ``last_epoch`` counts the calls to ``step()`` (PyTorch's name, although
    here, as in most training loops, it counts optimizer steps).
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"optimizer must have param_groups, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, step, base_lr):
        raise NotImplementedError

    def _apply(self):
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.lr_at(self.last_epoch, base_lr)

    def step(self):
        """Move to the next step and set the optimizer's learning rates."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per group."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state_dict):
        self.last_epoch = state_dict["last_epoch"]
        self.base_lrs = list(state_dict["base_lrs"])
        self._apply()


class StepLR(LRScheduler):
    """``lr_t = base_lr · gamma^⌊t / step_size⌋`` (``step_lr``), as PyTorch's StepLR."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        _check_positive_int("step_size", step_size)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, step, base_lr):
        return step_lr(step, base_lr, self.step_size, self.gamma)


class ExponentialLR(LRScheduler):
    """``lr_t = base_lr · gammaᵗ`` (``exponential_lr``), as PyTorch's ExponentialLR."""

    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, step, base_lr):
        return exponential_lr(step, base_lr, self.gamma)


class CosineAnnealingLR(LRScheduler):
    """Cosine from ``base_lr`` to ``eta_min`` over ``T_max`` steps (``cosine_lr``)."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        _check_positive_int("T_max", T_max)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, step, base_lr):
        return cosine_lr(step, base_lr, self.T_max, self.eta_min)


class WarmupCosineLR(LRScheduler):
    """Linear warm-up then cosine (``warmup_cosine_lr``).

    PyTorch spells it ``SequentialLR(opt, [LinearLR(opt, start_factor,
    total_iters=warmup_steps), CosineAnnealingLR(opt, total_steps −
    warmup_steps, eta_min)], milestones=[warmup_steps])``.
    """

    def __init__(self, optimizer, warmup_steps, total_steps, eta_min=0.0, start_factor=0.01):
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        self.eta_min, self.start_factor = eta_min, start_factor
        warmup_cosine_lr(0, 1.0, warmup_steps, total_steps, eta_min, start_factor)  # validate
        super().__init__(optimizer)

    def lr_at(self, step, base_lr):
        return warmup_cosine_lr(step, base_lr, self.warmup_steps, self.total_steps,
                                self.eta_min, self.start_factor)


class LambdaLR(LRScheduler):
    """``lr_t = base_lr · lr_lambda(t)``, as PyTorch's LambdaLR."""

    def __init__(self, optimizer, lr_lambda):
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a function of the step, got {lr_lambda!r}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, step, base_lr):
        return base_lr * self.lr_lambda(step)


# ---------------------------------------------------------------------------
# The learning-rate range test
# ---------------------------------------------------------------------------


def lr_range_test(closure, optimizer, lr_min=1e-6, lr_max=10.0, steps=100, diverge=4.0,
                  smoothing=0.9):
    """Sweep the learning rate exponentially and record the loss (Smith 2017).

    lr_k = lr_min · (lr_max / lr_min)^(k / (steps − 1)),  k = 0, 1, ...

    ``closure()`` must zero the gradients, compute the loss on a fresh
    mini-batch, call ``backward()`` and return the loss as a number; then the
    optimizer takes one step at ``lr_k``. The sweep stops early once the
    smoothed loss exceeds ``diverge`` times the best smoothed loss so far, or
    is not finite. The smoothing is an exponential moving average with
    coefficient ``smoothing``, bias-corrected like Adam's moments (0: none).

    Returns ``(lrs, losses)``: the rates tried and the raw losses they gave.
    The parameters and the optimizer's state are restored afterwards, so the
    test does not change the model. See chapter 3, "A learning-rate range test".
    """
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min}, lr_max={lr_max}")
    _check_positive_int("steps", steps)
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    if not diverge > 1:
        raise ValueError(f"diverge must be > 1, got {diverge}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    # Imported here, not at the top: optim re-exports this module, so a top-level
    # import would make each module wait for the other.
    from .optim import bias_corrected, ema

    params = [p for group in optimizer.param_groups for p in group["params"]]
    saved_data = [np.array(p.data, dtype=np.float64, copy=True) for p in params]
    saved_state = optimizer.state_dict()
    lrs = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    tried, losses = [], []
    avg, best = 0.0, math.inf
    try:
        for k, lr in enumerate(lrs):
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            loss = float(closure())
            tried.append(float(lr))
            losses.append(loss)
            if not math.isfinite(loss):
                break
            avg = ema(avg, loss, smoothing)
            smooth = bias_corrected(avg, smoothing, k + 1)
            if smooth > diverge * best:
                break
            best = min(best, smooth)
            optimizer.step()
    finally:
        for p, data in zip(params, saved_data, strict=True):
            p.data = data
            p.grad = None
        optimizer.load_state_dict(saved_state)
    return np.array(tried), np.array(losses)
