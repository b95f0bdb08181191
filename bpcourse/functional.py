"""Softmax, losses, activations and the linear layer, as functions of Tensors.

See chapter 2, "Softmax and cross-entropy". The functions here that
PyTorch would build from several operations are single nodes with their own
backward, because their gradients are simpler and more stable than the
composition: softmax followed by cross-entropy has the gradient

    dL/dz = (p - y) / N,        p = softmax(z),  y = one-hot targets

and computing it that way never divides by a probability that underflowed.
"""

import numpy as np

from .tensor import Tensor, _coerce

__all__ = [
    "linear", "softmax", "log_softmax", "cross_entropy", "mse_loss",
    "relu", "tanh", "sigmoid", "leaky_relu",
]


def _tensor(x, name):
    if isinstance(x, Tensor):
        return x
    return _coerce(x, name)


def linear(x, W, b=None):
    """x W^T + b, one node (PyTorch's ``F.linear``): W has shape (out, in).

    Backward, for a batch x of shape (N, in) and g = dL/d out of shape (N, out):
    dL/dx = g W,  dL/dW = g^T x,  dL/db = sum of g over the batch. See chapter 2,
    "The gradient of a linear layer, for a batch".
    """
    if type(x) is not Tensor:
        x = _tensor(x, "linear")
    if type(W) is not Tensor:
        W = _tensor(W, "linear")
    xd, Wd = x.data, W.data
    try:
        out = xd @ Wd.T
    except ValueError:
        out = None
    if out is None or Wd.ndim != 2:
        raise ValueError(
            f"linear: input of shape {xd.shape} does not fit weight of shape {Wd.shape} "
            f"(the input's last axis must equal the weight's second axis)"
        )
    if b is None:
        prev = (x, W)
    else:
        if type(b) is not Tensor:
            b = _tensor(b, "linear")
        if b.data.shape != out.shape[-1:]:
            raise ValueError(
                f"linear: bias of shape {b.data.shape} does not fit weight of shape "
                f"{Wd.shape} (expected ({Wd.shape[0]},))"
            )
        out += b.data  # `out` is new: adding in place saves a copy
        prev = (x, W, b)

    def _backward(g):
        if xd.ndim == 2:
            g2, x2 = g, xd
        else:  # fold any batch axes into one
            g2, x2 = g.reshape(-1, Wd.shape[0]), xd.reshape(-1, Wd.shape[1])
        gx = g @ Wd if x.requires_grad else None
        gW = g2.T @ x2 if W.requires_grad else None
        if b is None:
            return gx, gW
        # np.add.reduce is g2.sum(axis=0) without a Python-level wrapper call
        return gx, gW, (np.add.reduce(g2, axis=0) if b.requires_grad else None)

    return Tensor._make(out, prev, _backward, "linear")


def softmax(x, axis=-1):
    """softmax(z)_i = e^(z_i - max z) / sum_j e^(z_j - max z) along ``axis``.

    Subtracting the max changes nothing mathematically and stops e^z from
    overflowing. Backward: dL/dz = p * (g - sum(g * p)).
    """
    x = _tensor(x, "softmax")
    z = x.data - x.data.max(axis=axis, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=axis, keepdims=True)

    def _backward(g):
        return (p * (g - (g * p).sum(axis=axis, keepdims=True)),)

    return Tensor._make(p, (x,), _backward, "softmax")


def log_softmax(x, axis=-1):
    """log softmax(z) = z - logsumexp(z), computed stably (no overflow at |z| = 1000).

    Backward: dL/dz = g - softmax(z) * sum(g).
    """
    x = _tensor(x, "log_softmax")
    z = x.data - x.data.max(axis=axis, keepdims=True)
    out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    def _backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return Tensor._make(out, (x,), _backward, "log_softmax")


def cross_entropy(logits, targets, reduction="mean"):
    """Softmax cross-entropy of logits (N, C) against integer class targets (N,).

        L = -(1/N) sum_n log softmax(z_n)[y_n]

    One node whose backward is (p - y) / N (see the module docstring). ``reduction`` is
    "mean" (default, as PyTorch), "sum" or "none". A single example of shape
    (C,) with a scalar target works too.
    """
    logits = _tensor(logits, "cross_entropy")
    zd = logits.data
    if zd.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must have shape (N, C) or (C,), got {zd.shape}")
    t = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    single = zd.ndim == 1
    z2 = zd[None, :] if single else zd
    t = t.reshape(1) if single and t.ndim == 0 else t
    n, c = z2.shape
    if t.shape != (n,):
        raise ValueError(
            f"cross_entropy: targets of shape {t.shape} do not fit logits of shape {zd.shape} "
            f"(expected ({n},): one class index per row)"
        )
    if t.dtype.kind not in "iu":
        if t.dtype.kind != "f" or not np.all(t == np.round(t)):
            raise TypeError("cross_entropy: targets must be integer class indices")
        t = t.astype(np.intp)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )
    rows = np.arange(n)
    z = z2 - np.maximum.reduce(z2, axis=1, keepdims=True)
    e = np.exp(z)
    s = np.add.reduce(e, axis=1, keepdims=True)
    # indexing raises for t >= C; a negative t would silently wrap, so test it
    if n and t.dtype.kind == "i" and np.minimum.reduce(t) < 0:
        raise ValueError(f"cross_entropy: targets must lie in [0, {c}), got {t.min()}")
    try:
        z_t = z[rows, t]
    except IndexError:
        raise ValueError(f"cross_entropy: targets must lie in [0, {c}), got {t.max()}") from None
    losses = np.log(s[:, 0]) - z_t  # -log p_y, computed without forming p
    if reduction == "mean":
        out = np.add.reduce(losses) / n
    elif reduction == "sum":
        out = np.add.reduce(losses)
    else:
        out = losses.reshape(()) if single else losses

    def _backward(g):
        d = e / s  # p = softmax(z), a new array, so it can be changed in place
        d[rows, t] -= 1.0  # p - y
        if reduction == "mean":
            d *= float(g) / n
        elif reduction == "sum":
            d *= float(g)
        else:
            d *= np.reshape(g, (n, 1))
        return (d[0] if single else d,)

    return Tensor._make(out, (logits,), _backward, "cross_entropy")


def mse_loss(pred, target):
    """Mean squared error, (1/n) sum_i (pred_i - target_i)^2 over all entries.

    ``pred`` and ``target`` must have the same shape (PyTorch only warns; a
    silently broadcast (N,) against (N, 1) is a classic bug).
    """
    pred, target = _tensor(pred, "mse_loss"), _tensor(target, "mse_loss")
    if pred.shape != target.shape:
        raise ValueError(
            f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}"
        )
    d = pred - target
    return (d * d).mean()


def relu(x):
    """max(0, x), elementwise."""
    return _tensor(x, "relu").relu()


def tanh(x):
    """tanh x, elementwise."""
    return _tensor(x, "tanh").tanh()


def sigmoid(x):
    """1 / (1 + e^-x), elementwise and stable."""
    return _tensor(x, "sigmoid").sigmoid()


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, negative_slope * x otherwise; the gradient likewise (slope at 0)."""
    x = _tensor(x, "leaky_relu")
    xd = x.data
    slope = np.where(xd > 0, 1.0, negative_slope)
    return Tensor._make(xd * slope, (x,), lambda g: (g * slope,), "leaky_relu")
