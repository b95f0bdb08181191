"""Weight initialization: keep the variance of signals steady through the layers.

See chapter 6, "Initialization that keeps variance". Each function takes the
weight's ``shape`` and an explicit ``rng`` (a ``numpy.random.Generator``) and
returns a new float64 array. A weight matrix has shape (fan_out, fan_in), as
``Linear.weight``; for more axes, PyTorch's convention is kept: the axes after
the first two multiply both fans (a convolution's receptive field).

The formulas, with n_in = fan_in and n_out = fan_out:

=================  ==============================  ===========================
function           distribution                    variance
=================  ==============================  ===========================
xavier_uniform     U(-a, a), a = g sqrt(6/(n_in+n_out))   g^2 * 2 / (n_in + n_out)
xavier_normal      N(0, s^2), s = g sqrt(2/(n_in+n_out))  g^2 * 2 / (n_in + n_out)
kaiming_uniform    U(-a, a), a = g sqrt(3/n)             g^2 / n
kaiming_normal     N(0, s^2), s = g / sqrt(n)            g^2 / n
=================  ==============================  ===========================

with g the gain of the nonlinearity (``calculate_gain``) and n = n_in
("fan_in", keeps the forward signal) or n_out ("fan_out", keeps the gradient).

References: X. Glorot and Y. Bengio, "Understanding the difficulty of training
deep feedforward neural networks", AISTATS 2010; K. He, X. Zhang, S. Ren and
J. Sun, "Delving deep into rectifiers", ICCV 2015.
"""

import math

import numpy as np

__all__ = [
    "calculate_gain", "fans", "zeros", "normal", "uniform",
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
]


def calculate_gain(nonlinearity, param=None):
    """The gain g that restores unit variance after a nonlinearity (as PyTorch).

    linear and sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu with slope a (default 0.01): sqrt(2 / (1 + a^2)); selu: 3/4.
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + a * a))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def fans(shape):
    """(fan_in, fan_out) of a weight of shape (out, in, *receptive_field)."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            f"fans: need a weight with at least 2 axes (out, in), got shape {shape}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _check_rng(rng, name):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: rng must be a numpy.random.Generator "
            f"(e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )


def zeros(shape, rng=None):
    """All zeros (variance 0). ``rng`` is accepted, and unused, for a uniform signature."""
    return np.zeros(tuple(shape))


def normal(shape, std=1.0, mean=0.0, *, rng):
    """N(mean, std^2): variance std^2."""
    _check_rng(rng, "normal")
    return rng.normal(mean, std, size=tuple(shape))


def uniform(shape, low=-1.0, high=1.0, *, rng):
    """U(low, high): variance (high - low)^2 / 12."""
    _check_rng(rng, "uniform")
    return rng.uniform(low, high, size=tuple(shape))


def xavier_uniform(shape, gain=1.0, *, rng):
    """Glorot and Bengio (2010): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Variance gain^2 * 2 / (fan_in + fan_out): the compromise between keeping
    the forward variance (1/fan_in) and the backward variance (1/fan_out).
    See chapter 6, "Xavier initialization".
    """
    _check_rng(rng, "xavier_uniform")
    fan_in, fan_out = fans(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=tuple(shape))


def xavier_normal(shape, gain=1.0, *, rng):
    """Glorot and Bengio (2010): N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)).

    Variance gain^2 * 2 / (fan_in + fan_out). See chapter 6, "Xavier initialization".
    """
    _check_rng(rng, "xavier_normal")
    fan_in, fan_out = fans(shape)
    return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=tuple(shape))


def _kaiming_gain_fan(shape, a, mode, nonlinearity, name):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{name}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(shape)
    return calculate_gain(nonlinearity, a), (fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, rng):
    """He et al. (2015): U(-b, b), b = gain * sqrt(3 / fan), variance gain^2 / fan.

    With ReLU (gain sqrt 2) the variance 2 / fan_in makes up for ReLU zeroing
    half of its inputs. ``a`` is the leaky-ReLU slope used by the gain, as in
    PyTorch; a = sqrt(5) gives PyTorch's default Linear init, U(+-1/sqrt(fan_in)).
    See chapter 6, "He initialization".
    """
    _check_rng(rng, "kaiming_uniform")
    gain, fan = _kaiming_gain_fan(shape, a, mode, nonlinearity, "kaiming_uniform")
    bound = gain * math.sqrt(3.0 / fan)
    return rng.uniform(-bound, bound, size=tuple(shape))


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, rng):
    """He et al. (2015): N(0, s^2), s = gain / sqrt(fan), variance gain^2 / fan.

    See chapter 6, "He initialization".
    """
    _check_rng(rng, "kaiming_normal")
    gain, fan = _kaiming_gain_fan(shape, a, mode, nonlinearity, "kaiming_normal")
    return rng.normal(0.0, gain / math.sqrt(fan), size=tuple(shape))
