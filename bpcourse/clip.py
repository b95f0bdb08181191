"""Gradient clipping: cap the gradients' joint norm, or each entry, before a step (chapter 6).

Two pure functions work on arrays and return new ones, ``clip_by_norm`` and
``clip_by_value``; two more, ``clip_grad_norm`` and ``clip_grad_value``, clip
the ``.grad`` of a list of parameters as ``torch.nn.utils.clip_grad_norm_``
and ``clip_grad_value_`` do, with the same arithmetic (PyTorch's ``1e-6``
guard, the norm of the per-tensor norms). Each returns the total norm before
clipping, the number a training loop logs.
"""

import math

import numpy as np

from .optim import _array, _check


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
    _check("max_norm", max_norm)
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
    _check("clip_value", clip_value)
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


__all__ = ["clip_by_norm", "clip_by_value", "clip_grad_norm", "clip_grad_value"]
