"""bpcourse.init: sample variances against the formulas, gains against PyTorch."""

import math

import numpy as np
import pytest
import torch

from bpcourse import init

SHAPE = (400, 300)  # fan_out = 400, fan_in = 300: 120,000 samples
FAN_IN, FAN_OUT = 300, 400


def sample_var(w):
    return float(np.mean(w**2))  # mean 0 by construction


@pytest.mark.parametrize(
    "fn, kwargs, expected_var",
    [
        (init.normal, {"std": 0.3}, 0.09),
        (init.uniform, {"low": -2.0, "high": 2.0}, 16 / 12),
        (init.xavier_uniform, {}, 2 / (FAN_IN + FAN_OUT)),
        (init.xavier_uniform, {"gain": 5 / 3}, (5 / 3) ** 2 * 2 / (FAN_IN + FAN_OUT)),
        (init.xavier_normal, {}, 2 / (FAN_IN + FAN_OUT)),
        (init.kaiming_uniform, {"nonlinearity": "relu"}, 2 / FAN_IN),
        (init.kaiming_normal, {"nonlinearity": "relu"}, 2 / FAN_IN),
        (init.kaiming_normal, {"nonlinearity": "relu", "mode": "fan_out"}, 2 / FAN_OUT),
        (init.kaiming_normal, {"nonlinearity": "tanh"}, (25 / 9) / FAN_IN),
        (init.kaiming_uniform, {"a": math.sqrt(5)}, 1 / (3 * FAN_IN)),
    ],
)
def test_sample_variance_matches_the_formula(fn, kwargs, expected_var):
    w = fn(SHAPE, rng=np.random.default_rng(0), **kwargs)
    assert w.shape == SHAPE and w.dtype == np.float64
    # 120,000 samples: the sample variance is within 2% with overwhelming probability
    assert sample_var(w) == pytest.approx(expected_var, rel=0.02)
    assert abs(w.mean()) < 4 * math.sqrt(expected_var / w.size) + 1e-12


def test_uniform_bounds_are_exact():
    w = init.xavier_uniform(SHAPE, rng=np.random.default_rng(1))
    a = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert w.max() <= a and w.min() >= -a and w.max() > 0.99 * a
    w = init.kaiming_uniform((16, 64), a=math.sqrt(5), rng=np.random.default_rng(1))
    assert np.abs(w).max() <= 1 / 8  # PyTorch's Linear default: U(+-1/sqrt(fan_in))


@pytest.mark.parametrize(
    "name, param", [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                    ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_gains_equal_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_fans_follow_torch_for_conv_shapes():
    assert init.fans((8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match=r"\(5,\)"):
        init.fans((5,))


def test_same_rng_seed_same_weights_and_rng_is_required():
    a = init.kaiming_normal((3, 4), rng=np.random.default_rng(7))
    b = init.kaiming_normal((3, 4), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="Generator"):
        init.normal((3, 4), rng=7)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal((3, 4), mode="fan_avg", rng=np.random.default_rng(0))
    np.testing.assert_array_equal(init.zeros((2, 2)), np.zeros((2, 2)))
