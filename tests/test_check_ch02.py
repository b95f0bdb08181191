"""Chapter 2's checks: references against PyTorch, wrong solutions named, stubs not attempted."""



import numpy as np
import pytest
import torch

from bpcourse.check import ch02
from bpcourse.check._core import REGISTRY, rel_error

NAMES = ["linear_backward", "ce_grad_by_hand", "softmax_cross_entropy", "mlp_backward",
         "numerical_gradient", "fixed_grads", "memory_prediction"]
TOL = 1e-10


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=grad)


# --- every reference agrees with an independent computation --------------------------


def test_linear_backward_matches_torch():
    for case in ch02.linear_backward.cases():
        X, W, dZ = case.args
        Xt, Wt = _t(X), _t(W)
        bt = _t(np.zeros(W.shape[0]))
        (Xt @ Wt.T + bt).backward(torch.tensor(dZ))
        dX, dW, db = ch02._linear_backward(X, W, dZ)
        assert rel_error(dX, Xt.grad.numpy()) < TOL
        assert rel_error(dW, Wt.grad.numpy()) < TOL
        assert rel_error(db, bt.grad.numpy()) < TOL


def test_softmax_cross_entropy_matches_torch():
    for case in ch02.softmax_cross_entropy.cases():
        Z, y = case.args
        Zt = _t(Z)
        loss = torch.nn.functional.cross_entropy(Zt, torch.tensor(y))
        loss.backward()
        L, dZ = ch02._softmax_cross_entropy(Z, y)
        assert np.isfinite(dZ).all()
        assert abs(L - loss.item()) <= TOL * max(1.0, abs(L))
        assert rel_error(dZ, Zt.grad.numpy()) < TOL


def test_ce_grad_by_hand_is_the_torch_gradient():
    p = np.array([0.7, 0.2, 0.1])
    Z = _t(np.vstack([np.log(p), np.zeros((3, 3))]))
    torch.nn.functional.cross_entropy(Z, torch.tensor([0, 1, 2, 0])).backward()
    assert abs(ch02._ce_grad_by_hand() - Z.grad[0, 0].item()) < 1e-12


def _torch_mlp(X, y, weights, biases, hidden):
    Ws, bs = [_t(W) for W in weights], [_t(b) for b in biases]
    a = torch.tensor(X)
    for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        a = a @ W.T + b
        if i < len(Ws) - 1:
            a = hidden(a)
    loss = torch.nn.functional.cross_entropy(a, torch.tensor(y))
    loss.backward()
    return loss.item(), [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs]


def test_mlp_backward_matches_torch():
    for case in ch02.mlp_backward.cases():
        L, dWs, dbs = ch02._reference_mlp_backward(*case.args)
        Lt, dWt, dbt = _torch_mlp(*case.args, hidden=torch.tanh)
        assert abs(L - Lt) < TOL
        for ours, theirs in zip(dWs + dbs, dWt + dbt, strict=True):
            assert rel_error(ours, theirs) < TOL


def test_fixed_grads_matches_torch_and_buggy_grads_do_not():
    for case in ch02.fixed_grads.cases():
        X, y, W1, b1, W2, b2 = case.args
        _, dWt, dbt = _torch_mlp(X, y, [W1, W2], [b1, b2], hidden=torch.relu)
        dW1, db1, dW2, db2 = ch02._fixed_grads(*case.args)
        theirs_all = [dWt[0], dbt[0], dWt[1], dbt[1]]
        for ours, theirs in zip([dW1, db1, dW2, db2], theirs_all, strict=True):
            assert rel_error(ours, theirs) < TOL
        buggy = ch02.fixed_grads.mistakes[0].fn(*case.args)
        assert rel_error(buggy[0], dWt[0]) > 1e-3


def test_numerical_gradient_reference_against_closed_forms():
    theta = np.array([[0.3, -0.7], [1.1, 0.2]])
    g = ch02._numerical_gradient(ch02._CUBE, theta)
    assert rel_error(g, 3 * theta**2) < 1e-9
    t = theta.ravel()
    s = np.sum(t**2)
    exact = 3 * np.cos(3 * t) + 2 * s * t
    exact[0] += t[-1]
    exact[-1] += t[0]
    assert rel_error(ch02._numerical_gradient(ch02._MIXED, theta).ravel(), exact) < 1e-9
    # the loss case against (P - Y)/B
    Z = np.linspace(-2, 2, 12).reshape(4, 3)
    _, dZ = ch02._softmax_cross_entropy(Z, np.array([0, 2, 1, 1]))
    assert rel_error(ch02._numerical_gradient(ch02._LOSS, Z, h=1e-4), dZ) < 1e-7


def test_memory_prediction_matches_a_count():
    # The activations a forward pass keeps: one (B, n) array per layer, so bytes are linear in B.
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(128, 16))] + [rng.normal(size=(128, 128)) for _ in range(3)]

    def kept(B):
        A = [rng.normal(size=(B, 16))]
        for W in weights:
            A.append(np.tanh(A[-1] @ W.T))
        return sum(a.nbytes for a in A)

    assert kept(512) / kept(256) == pytest.approx(2.0)
    assert ch02._by_the_count() == "b"
    assert not hasattr(ch02, "_memory_prediction")


# --- the checks: references pass, the catalogue is rejected with its hint --------------


def test_numerical_gradient_that_mutates_theta_is_rejected():
    def mutating(f, theta, h=1e-5):
        g = np.zeros_like(theta)
        for i in np.ndindex(theta.shape):
            theta[i] += h
            fp = f(theta)
            theta[i] -= 2 * h
            fm = f(theta)
            theta[i] += h          # restored up to rounding only
            g[i] = (fp - fm) / (2 * h)
        theta[...] = theta + 1.0   # and a plain mutation, so the test cannot depend on rounding
        return g

    result = REGISTRY["numerical_gradient"].run(mutating)
    assert result.status == "failed"
    assert "changed its input `theta`" in result.headline


def test_answers_by_hand_and_by_choice_are_not_given_away():
    # A wrong number or letter gets a hint, never the expected answer.
    result = REGISTRY["ce_grad_by_hand"].run(lambda: -0.08)
    assert result.status == "failed" and "-0.075" not in str(result)
    result = REGISTRY["memory_prediction"].run(lambda: "c")
    assert result.status == "failed" and "(c) quadruple" in result.hint
    assert "'b'" not in str(result) and '"b"' not in str(result).replace('"b", ', "")


def test_choice_accepts_either_case():
    for answer in ["b", "B", " (b) "]:
        assert REGISTRY["memory_prediction"].run(lambda a=answer: a).status == "passed"
    assert REGISTRY["ce_grad_by_hand"].run(lambda: -0.3 / 4).status == "passed"


def test_square_weights_let_transposes_be_named():
    # A transposed square matrix has the right shape and wrong values: that is what the
    # check needs to name the mistake (a non-square one would stop at the shape).
    # (the one rectangular case comes last: there a shape confusion shows)
    assert all(c.args[1].shape[0] == c.args[1].shape[1]
               for c in ch02.linear_backward.cases()[:-1])
    assert ch02.linear_backward.cases()[-1].args[1].shape == (2, 3)
    for c in ch02.mlp_backward.cases():
        assert all(W.shape[0] == W.shape[1] for W in c.args[2][1:])
    assert all(c.args[2].shape[0] == c.args[2].shape[1] for c in ch02.fixed_grads.cases())



def test_module_docstring_names_the_chapter():
    assert "chapter 2" in ch02.__doc__


def test_bad_returns_get_clear_messages():
    ex = REGISTRY["linear_backward"]
    r = ex.run(lambda X, W, dZ: [list(dZ @ W), list(dZ.T @ X), list(dZ.sum(axis=0))])
    assert r.status == "failed" and "numpy array" in str(r)
    r = ex.run(lambda X, W, dZ: (dZ @ W, dZ.T @ X, dZ.sum(axis=0, keepdims=True)))
    assert r.status == "failed" and "shape" in str(r) and "db" in str(r)
    r = ex.run(lambda X, W, dZ: None)
    assert r.status == "failed" and "None" in str(r)
    r = REGISTRY["mlp_backward"].run(lambda X, y, weights, biases: 1 / 0)
    assert r.status == "failed" and "ZeroDivisionError" in str(r)
