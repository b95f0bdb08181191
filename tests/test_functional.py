"""bpcourse.functional: closed forms, stability at extreme logits, and input checks."""

import numpy as np
import pytest

import bpcourse.functional as F
from bpcourse import Tensor


def test_softmax_rows_sum_to_one_and_match_the_formula():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    p = F.softmax(Tensor(z)).data
    e = np.exp(z)
    np.testing.assert_allclose(p, e / e.sum(axis=1, keepdims=True), rtol=1e-15)


@pytest.mark.parametrize("f", [F.softmax, F.log_softmax])
def test_softmax_and_log_softmax_do_not_overflow_at_1000(f):
    z = Tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    out = f(z)
    assert np.all(np.isfinite(out.data))
    out.backward(np.ones((1, 3)))
    assert np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(F.log_softmax(z).data, [[0.0, -2000.0, -1000.0]])


def test_cross_entropy_gradient_is_p_minus_y_over_n():
    z = Tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], requires_grad=True)
    y = np.array([0, 2])
    loss = F.cross_entropy(z, y)
    p = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    assert loss.item() == pytest.approx(-np.mean(np.log(p[[0, 1], y])), rel=1e-14)
    loss.backward()
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(z.grad, (p - onehot) / 2, rtol=1e-13, atol=1e-16)


def test_cross_entropy_of_uniform_logits_is_log_c():
    loss = F.cross_entropy(Tensor(np.zeros((4, 10))), np.arange(4))
    assert loss.item() == pytest.approx(np.log(10.0), rel=1e-15)


def test_cross_entropy_accepts_integral_floats_and_tensors():
    z = Tensor(np.zeros((2, 3)))
    a = F.cross_entropy(z, np.array([0.0, 2.0])).item()
    b = F.cross_entropy(z, Tensor([0, 2])).item()
    assert a == b == pytest.approx(np.log(3.0))


@pytest.mark.parametrize(
    "targets, error, pattern",
    [
        (np.array([0, 1, 2]), ValueError, r"\(3,\).*\(2, 3\)"),
        (np.array([0, 3]), ValueError, r"\[0, 3\)"),
        (np.array([0, -1]), ValueError, r"\[0, 3\)"),
        (np.array([0.5, 1.0]), TypeError, "integer"),
    ],
)
def test_cross_entropy_rejects_bad_targets(targets, error, pattern):
    with pytest.raises(error, match=pattern):
        F.cross_entropy(Tensor(np.zeros((2, 3))), targets)


def test_cross_entropy_rejects_bad_logits_and_reduction():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3, 4))), np.array([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), reduction="max")


def test_mse_loss_is_the_mean_square_and_refuses_silent_broadcasting():
    pred = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    loss = F.mse_loss(pred, np.array([1.0, 0.0, 1.0]))
    assert loss.item() == pytest.approx((0 + 4 + 9) / 3)
    loss.backward()
    np.testing.assert_allclose(pred.grad, [0.0, 4 / 3, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        F.mse_loss(pred, np.ones((3, 1)))


def test_activations_values():
    x = Tensor([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(F.relu(x).data, [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(F.leaky_relu(x, 0.1).data, [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(F.tanh(x).data, np.tanh(x.data), rtol=1e-15)
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x.data)), rtol=1e-15)


def test_linear_bias_gradient_sums_over_the_batch():
    x = Tensor(np.ones((5, 2)))
    W = Tensor(np.zeros((3, 2)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    F.linear(x, W, b).sum().backward()
    np.testing.assert_array_equal(b.grad, [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(W.grad, 5 * np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"bias of shape \(2,\)"):
        F.linear(x, W, Tensor(np.zeros(2)))
