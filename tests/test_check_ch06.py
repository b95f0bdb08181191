"""Chapter 6's checks: their truth against PyTorch, finite differences and closed forms."""

import math

import numpy as np
import pytest
import torch

from bpcourse import Tensor, gradcheck, nn
from bpcourse.check import ch06, rel_error

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_sigmoid_bound_is_the_largest_slope_and_holds_on_random_networks():
    z = np.linspace(-10, 10, 200001)
    s = 1 / (1 + np.exp(-z))
    top, bound = ch06.sigmoid_bound_by_hand.reference()
    assert abs((s * (1 - s)).max() - top) < 1e-12
    assert rel_error(bound, 2.0**-10) == 0.0
    # the bound holds for real sigmoid networks whose weights have norm 2
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.normal(size=8)
        J = np.eye(8)
        for _ in range(ch06.BOUND_DEPTH):
            W = rng.normal(size=(8, 8))
            W *= ch06.BOUND_NORM / np.linalg.norm(W, 2)
            zl = W @ x
            x = 1 / (1 + np.exp(-zl))
            J = np.diag(x * (1 - x)) @ W @ J
        assert np.linalg.norm(J, 2) <= bound


@pytest.mark.parametrize("k", range(1, 11))
def test_grad_norms_per_layer_truth_is_torchs(k):
    model, X, y = ch06.grad_norms_per_layer.case(k).args
    ours = ch06.grad_norms_per_layer.reference(model, X, y)
    layers = []
    for i, lin in enumerate(model.linears):
        t = torch.nn.Linear(lin.in_features, lin.out_features, dtype=torch.float64)
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(lin.weight.data))
            t.bias.copy_(torch.from_numpy(lin.bias.data))
        layers.append(t)
        if i < len(model.linears) - 1:
            layers.append(type(model.layers[1]).__name__)
    acts = {"Tanh": torch.tanh, "ReLU": torch.relu, "Sigmoid": torch.sigmoid}
    h = torch.from_numpy(X)
    for layer in layers:
        h = acts[layer](h) if isinstance(layer, str) else layer(h)
    torch.nn.functional.cross_entropy(h, torch.from_numpy(y)).backward()
    theirs = [float(t.weight.grad.norm()) for t in layers if not isinstance(t, str)]
    assert rel_error(ours, np.array(theirs)) <= 1e-12


@pytest.mark.parametrize("k", range(1, 13))
def test_batch_norm_backward_truth_is_torchs_and_finite_differences(k):
    case = ch06.batch_norm_backward.case(k)
    x, gamma, dy = case.args
    eps = case.kwargs.get("eps", 1e-5)
    dx, dgamma, dbeta = ch06.batch_norm_backward.reference(x, gamma, dy, **case.kwargs)
    bn = torch.nn.BatchNorm1d(x.shape[1], eps=eps, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
    xt = torch.tensor(x, requires_grad=True)
    bn(xt).backward(torch.from_numpy(dy))
    assert rel_error(dx, xt.grad.numpy()) <= 1e-9
    assert rel_error(dgamma, bn.weight.grad.numpy()) <= 1e-10
    assert rel_error(dbeta, bn.bias.grad.numpy()) <= 1e-12

    def loss(xv):
        mean = xv.mean(axis=0)
        y = (xv - mean) / np.sqrt(xv.var(axis=0) + eps) * gamma
        return float(np.sum(y * dy))

    numeric = gradcheck.numerical_grad(loss, x)
    if x.shape[0] > 2:
        assert rel_error(dx, numeric) <= 1e-5
    else:  # two values per channel: x_hat is +-1 and dx is 0 up to eps
        assert np.abs(dx - numeric).max() <= 1e-6 * np.abs(dy * gamma).max()


def test_batch_norm_backward_matches_the_package_layer():
    x, gamma, dy = ch06.batch_norm_backward.case(1).args
    bn = nn.BatchNorm1d(x.shape[1])
    bn.weight.data[...] = gamma
    xt = Tensor(x, requires_grad=True)
    bn(xt).backward(dy)
    dx, dgamma, dbeta = ch06.batch_norm_backward.reference(x, gamma, dy)
    assert rel_error(dx, xt.grad) <= 1e-12
    assert rel_error(dgamma, bn.weight.grad) <= 1e-12
    assert rel_error(dbeta, bn.bias.grad) <= 1e-12


@pytest.mark.parametrize("k", range(1, 14))
def test_clip_global_norm_truth_is_torchs_clip_grad_norm(k):
    grads, max_norm = ch06.clip_global_norm.case(k).args
    clipped, norm = ch06.clip_global_norm.reference(grads, max_norm)
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    assert rel_error(norm, float(total)) <= 1e-12
    for c, p in zip(clipped, params, strict=True):
        assert rel_error(c, p.grad.numpy()) <= 1e-12


@pytest.mark.parametrize(("n_in", "n_out"), [(784, 256), (100, 400), (64, 10)])
def test_init_stds_are_torchs(n_in, n_out):
    glorot, he = ch06.init_stds.reference(n_in, n_out)
    torch.manual_seed(0)
    w = torch.empty(n_out, n_in, dtype=torch.float64)
    torch.nn.init.xavier_normal_(w)
    assert abs(float(w.std()) / glorot - 1) < 0.02
    torch.nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(float(w.std()) / he - 1) < 0.02
    # and the closed forms torch uses
    assert math.isclose(glorot, math.sqrt(2 / (n_in + n_out)))
    assert math.isclose(he, math.sqrt(2) / math.sqrt(n_in))


def test_buggy_residual_net_explodes_and_the_fix_keeps_the_scale():
    X = np.random.default_rng(0).normal(size=(64, 100))
    width, n_blocks = 20, 12
    buggy = ch06.buggy_residual_net(X, width, n_blocks, np.random.default_rng(1))
    fixed = ch06.fixed_residual_net.reference(X, width, n_blocks, np.random.default_rng(1))
    # the skip added twice: h grows by more than sqrt 2 per block over the fix
    assert buggy.std() / fixed.std() > 2 ** (n_blocks / 2)
    # the first layer with the fan-in keeps the second moment of X (about 1)
    W0 = np.random.default_rng(1).normal(0, math.sqrt(2 / 100), size=(width, 100))
    first = np.maximum(X @ W0.T, 0)
    assert 0.7 < np.mean(first**2) < 1.3


def test_gradient_plot_networks_have_the_shapes_the_hints_describe():
    from bpcourse import widgets

    slopes = {}
    for number, (act, gain) in ch06.PLOT_NETS.items():
        stats = widgets.deep_network_stats(depth=20, width=64, activation=act, gain=gain,
                                           rng=np.random.default_rng(0))
        g = np.log10(stats["grad_std"])
        slopes[number] = (g[-1] - g[0]) / (len(g) - 1)   # per layer, towards the output
    # sigmoid vanishes fastest; tanh loses a little; He flat; too large explodes
    assert slopes[1] > 0.3
    assert 0.0 < slopes[2] < 0.1
    assert abs(slopes[3]) < 0.03
    assert slopes[4] < -0.1


def test_no_name_a_learner_sees_holds_the_curves_pairing():
    # exercise 6.3's answer is computed, never stored: the figure's cell calls
    # exercise_curves(), which returns the curves without the networks
    answer = ch06.gradient_plots_match.reference()
    assert answer == (3, 1, 4, 2)     # the order the chapter's prose describes
    for name, value in vars(ch06).items():
        if not name.startswith("_"):
            assert not (isinstance(value, tuple) and tuple(value) == answer), name
    curves = ch06.exercise_curves()
    assert list(curves) == list("ABCD")
    assert all(isinstance(c, np.ndarray) and c.shape == (20,) for c in curves.values())


def test_float32_work_fails_where_the_text_asks_for_float64():
    # 6.2 ("a float64 array") and 6.7 (the norm "as a float"): float32 sums
    # sit below 1e-7 and passed before the checks were made float64; 6.5
    # in float32 failed one case of ten. The text of each asks for float64.
    for name in ("grad_norms_per_layer", "fixed_residual_net", "batch_norm_backward",
                 "clip_global_norm"):
        assert getattr(ch06, name).float64, name
