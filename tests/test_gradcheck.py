"""bpcourse.gradcheck against closed forms, and its verdicts on right and wrong gradients."""

import numpy as np
import pytest

import bpcourse.functional as F
from bpcourse import Tensor, nn
from bpcourse.gradcheck import (
    gradcheck,
    gradcheck_module,
    numerical_grad,
    numerical_param_grads,
    rel_error,
)


def test_numerical_grad_matches_closed_form_and_leaves_x_alone():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    before = x.copy()
    g = numerical_grad(lambda a: np.sum(np.sin(a) * a), x)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_numerical_grad_on_a_transposed_view():
    x = np.arange(6.0).reshape(2, 3).T  # not C-contiguous
    g = numerical_grad(lambda a: np.sum(a**2 * np.arange(6.0).reshape(3, 2)), x)
    np.testing.assert_allclose(g, 2 * x * np.arange(6.0).reshape(3, 2), rtol=1e-8)


def test_rel_error_is_cs231n():
    assert rel_error([1.0, 0.0], [3.0, 0.0]) == 0.5                 # the largest entry
    assert rel_error([1e-10], [0.0]) == pytest.approx(1e-2)          # floor of 1e-8
    assert rel_error(1.0, 1.1) == pytest.approx(0.1 / 2.1, rel=1e-12)
    assert rel_error([1.0, np.nan], [1.0, np.nan]) == 0.0            # NaN in the same place
    assert rel_error([1.0], [np.nan]) == np.inf
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0


def test_correct_hand_gradient_passes():
    x = np.array([0.1, -0.4, 2.0])
    r = gradcheck(lambda a: np.sum(np.tanh(a)), x, analytic=1 - np.tanh(x) ** 2)
    assert r.passed and r.max_rel_error < 1e-8
    assert "PASSED" in str(r)


def test_wrong_gradient_fails_and_names_the_worst_entry():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    wrong = 2 * x
    wrong[1, 0] += 0.5  # one bad entry
    r = gradcheck(lambda a: np.sum(a**2), x, analytic=wrong)
    assert not r.passed and not r
    assert r.worst == ("x", (1, 0))
    assert r.max_rel_error == pytest.approx(0.5 / 12.5, rel=1e-6)
    report = str(r)
    assert "FAILED" in report and "x[1, 0]" in report and "6.5" in report


def test_gradcheck_of_the_engine_with_several_inputs():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    r = gradcheck(lambda x, y: (x @ y).tanh().sum(), (a, b))
    assert r.passed
    assert [name for name, _, _ in r.per_input] == ["input 0", "input 1"]


def test_gradcheck_module_passes_and_restores_parameters():
    rng = np.random.default_rng(0)
    m = nn.MLP([3, 4, 2], activation="tanh", rng=rng)
    before = [p.data.copy() for p in m.parameters()]
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    r = gradcheck_module(lambda: F.cross_entropy(m(Tensor(X)), y), m)
    assert r.passed, str(r)
    for p, b in zip(m.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    assert "layers.0.weight" in str(r)


def test_gradcheck_module_catches_a_broken_backward():
    class Broken(nn.Module):
        def __init__(self):
            self.w = Tensor([0.5, -1.0], requires_grad=True)

        def forward(self, x):
            # x * w with a backward that forgets the factor x (a classic mistake)
            out = Tensor._make(x.data * self.w.data, (self.w,), lambda g: (g,), "bad")
            return out.sum()

    m = Broken()
    r = gradcheck_module(lambda: m(Tensor([3.0, 2.0])), m)
    assert not r.passed and r.worst[0] == "w"


def test_numerical_param_grads_closed_form():
    w = Tensor([1.0, -2.0], requires_grad=True)
    (g,) = numerical_param_grads(lambda: (w * w * w).sum(), [w])
    np.testing.assert_allclose(g, 3 * w.data**2, rtol=1e-8)


@pytest.mark.parametrize("module", [nn.ReLU(), nn.Sequential(nn.Tanh(), nn.Identity())],
                         ids=["ReLU", "Sequential of activations"])
def test_gradcheck_module_without_parameters_is_a_clear_value_error(module):
    # (it used to fail with an IndexError from deep inside, on names[0])
    x = Tensor([[0.5, -1.0]], requires_grad=True)
    with pytest.raises(ValueError, match="has no parameters.*use gradcheck"):
        gradcheck_module(lambda: module(x).sum(), module)


def test_gradcheck_with_no_inputs_is_a_clear_value_error():
    for empty in ((), []):
        with pytest.raises(ValueError, match="inputs is empty"):
            gradcheck(lambda: Tensor(1.0), empty)
