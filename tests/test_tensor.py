"""Unit tests of bpcourse.Tensor: semantics, errors, and finite differences for every op."""

import numpy as np
import pytest

import bpcourse.functional as F
from bpcourse import Tensor, no_grad
from bpcourse.gradcheck import gradcheck
from bpcourse.tensor import maximum, unbroadcast

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4))
B = rng.normal(size=(3, 4))
ROW = rng.normal(size=(4,))
COL = rng.normal(size=(3, 1))
POS = np.abs(A) + 0.2

# Every op, checked against central differences (``gradcheck`` sums the output
# with fixed random weights, so that every entry of the gradient matters).
W_OUT = {}


def weighted(f):
    def g(*xs):
        out = f(*xs)
        w = W_OUT.setdefault(out.shape, np.random.default_rng(1).normal(size=out.shape))
        return (out * w).sum()
    return g


FD_CASES = {
    "add broadcast row": (lambda a, b: a + b, (A, ROW)),
    "sub broadcast col": (lambda a, b: a - b, (A, COL)),
    "mul row x col": (lambda a, b: a * b, (ROW, COL)),
    "div": (lambda a, b: a / b, (A, POS)),
    "pow tensor": (lambda a, b: a**b, (POS, B)),
    "pow number": (lambda a: a**3, (A,)),
    "rpow": (lambda a: 2.0**a, (A,)),
    "neg": (lambda a: -a, (A,)),
    "matmul 2d": (lambda a, b: a @ b, (A, B.T)),
    "matmul 1d": (lambda a, b: a @ b, (ROW, B.T)),
    "matmul batched": (lambda a, b: a @ b, (A.reshape(3, 1, 4), B.T)),
    "sum axis": (lambda a: a.sum(axis=0), (A,)),
    "sum keepdims": (lambda a: a.sum(axis=1, keepdims=True), (A,)),
    "mean": (lambda a: a.mean(axis=(0, 1)), (A,)),
    "exp": (lambda a: a.exp(), (A,)),
    "log": (lambda a: a.log(), (POS,)),
    "sqrt": (lambda a: a.sqrt(), (POS,)),
    "abs": (lambda a: a.abs(), (A,)),
    "tanh": (lambda a: a.tanh(), (A,)),
    "sigmoid": (lambda a: a.sigmoid(), (A * 5,)),
    "relu": (lambda a: a.relu(), (A,)),
    "clip": (lambda a: a.clip(-0.3, 0.4), (A,)),
    "maximum": (lambda a, b: maximum(a, b), (A, B)),
    "reshape": (lambda a: a.reshape(2, 6) * 1.5, (A,)),
    "transpose": (lambda a: a.T @ a, (A,)),
    "index ints and slice": (lambda a: a[1:, 2], (A,)),
    "index repeated array": (lambda a: a[np.array([0, 2, 0])], (A,)),
    "softmax": (lambda a: F.softmax(a), (A,)),
    "log_softmax": (lambda a: F.log_softmax(a, axis=0), (A,)),
    "cross_entropy": (lambda a: F.cross_entropy(a, np.array([0, 3, 1])), (A,)),
    "mse_loss": (lambda a, b: F.mse_loss(a, b), (A, B)),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.2), (A,)),
    "linear": (lambda x, W, b: F.linear(x, W, b), (A, B, B[:, 0])),
}


@pytest.mark.parametrize("name", list(FD_CASES))
def test_every_op_against_finite_differences(name):
    f, inputs = FD_CASES[name]
    result = gradcheck(weighted(f), inputs, tol=1e-7)
    assert result.passed, str(result)


def test_grad_is_none_until_backward_and_leaves_accumulate():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # accumulates, like torch
    x.zero_grad()
    assert x.grad is None


def test_zero_dim_tensors_keep_array_grads():
    s = Tensor(3.0, requires_grad=True)
    (s * s).backward()  # two contributions to one 0-d leaf
    assert type(s.grad) is np.ndarray and s.grad.shape == () and s.grad == 6.0
    s.backward()
    assert type(s.grad) is np.ndarray and s.grad == 7.0


def test_intermediate_grads_are_kept_and_reset_each_pass():
    x = Tensor([1.0, -2.0], requires_grad=True)
    h = x * 3.0
    out = (h * h).sum()
    out.backward()
    out.backward()
    np.testing.assert_array_equal(h.grad, 2 * h.data)  # this pass only
    np.testing.assert_array_equal(x.grad, 2 * 18 * x.data)  # two passes


def test_diamond_and_shared_tensor():
    a = Tensor([3.0], requires_grad=True)
    (a * a + a).sum().backward()
    assert a.grad[0] == 7.0


def test_backward_on_non_scalar_needs_grad():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"scalar.*\(2, 3\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))
    g = np.arange(6.0).reshape(2, 3)
    y.backward(g)
    assert g[1, 2] == 5.0  # the given grad is not changed


def test_backward_without_requires_grad_is_an_error():
    with pytest.raises(ValueError, match="does not require grad"):
        (Tensor([1.0]) * 2).backward()


@pytest.mark.parametrize(
    "op, pattern",
    [
        (lambda a, b: a + b, r"\(2, 3\) and \(4,\)"),
        (lambda a, b: a * b, r"\(2, 3\) and \(4,\)"),
        (lambda a, b: a - b, r"\(2, 3\) and \(4,\)"),
        (lambda a, b: a / b, r"\(2, 3\) and \(4,\)"),
        (lambda a, b: a @ b, r"\(2, 3\) and \(4,\)"),
        (lambda a, b: maximum(a, b), r"\(2, 3\) and \(4,\)"),
        (lambda a, b: F.mse_loss(a, b), r"\(2, 3\).*\(4,\)"),
        (lambda a, b: F.linear(b, a), r"\(4,\).*\(2, 3\)"),
    ],
)
def test_shape_errors_name_both_shapes(op, pattern):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    with pytest.raises(ValueError, match=pattern):
        op(a, b)


def test_other_errors_are_clear():
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)
    with pytest.raises(TypeError, match="str"):
        Tensor(np.ones(2)) + "a"
    with pytest.raises(TypeError, match="float64"):
        Tensor({"a": 1})
    with pytest.raises(ValueError, match="axis 2"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match="one element"):
        Tensor(np.ones(2)).item()


def test_no_grad_records_nothing_and_restores():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (w * 2.0).sum()
    assert not y.requires_grad and y.parents == ()
    z = (w * 2.0).sum()
    assert z.requires_grad and z.parents

    @no_grad()
    def evaluate():
        return w * 3.0

    assert not evaluate().requires_grad


def test_detach_cuts_the_graph_and_shares_data():
    w = Tensor([1.0, 2.0], requires_grad=True)
    d = (w * 2.0).detach()
    assert not d.requires_grad and d.parents == ()
    out = (d * w).sum()
    out.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])  # d counted as a constant


def test_constructor_copies_and_ops_do_not_mutate_inputs():
    a = np.array([1.0, 2.0])
    t = Tensor(a, requires_grad=True)
    t.data += 1.0
    assert a[0] == 1.0
    b = np.array([3.0, 4.0])
    out = (t * b).sum()
    out.backward()
    np.testing.assert_array_equal(b, [3.0, 4.0])
    assert Tensor([1, 2]).data.dtype == np.float64


def test_leaf_grads_own_their_memory():
    # a + b hands the same upstream gradient to both inputs; the engine must
    # copy, or an in-place change to a.grad (clipping, say) would change b.grad
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 0.0
    np.testing.assert_array_equal(b.grad, np.ones(3))
    c = Tensor(np.ones((2, 2)), requires_grad=True)
    c.sum().backward()  # gradient of sum is a read-only broadcast
    c.grad += 1.0
    np.testing.assert_array_equal(c.grad, 2 * np.ones((2, 2)))


def test_unbroadcast_sums_over_stretched_axes():
    g = np.ones((5, 3, 4))
    np.testing.assert_array_equal(unbroadcast(g, (4,)), 15 * np.ones(4))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), 20 * np.ones((3, 1)))
    np.testing.assert_array_equal(unbroadcast(g, ()), 60.0)


def test_properties_and_repr():
    t = Tensor(np.zeros((2, 3)), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert "requires_grad=True" in repr(t)
    assert np.asarray(t).shape == (2, 3)
    assert Tensor(2.5).item() == 2.5
