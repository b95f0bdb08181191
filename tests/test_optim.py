"""The pure update rules: closed forms, each rule against its class, purity, bad input.

PyTorch itself is the oracle in test_oracle_optim.py; here every rule is
checked against a value computed by hand or against an equivalent form
(heavy ball = PyTorch momentum at constant lr, Sutskever's Nesterov =
PyTorch's shifted by μ·v), and the classes against the rules they use.
"""

import numpy as np
import pytest

from bpcourse import Tensor, optim


class Param:
    def __init__(self, data):
        self.data = data
        self.grad = None


RNG_SEED = 7


def stream(steps=20, shape=(3, 2)):
    """A fixed starting point and a fixed list of gradients."""
    rng = np.random.default_rng(RNG_SEED)
    return rng.normal(size=shape), [rng.normal(size=shape) for _ in range(steps)]


def run_class(cls, theta0, grads, **kwargs):
    p = Param(theta0.copy())
    opt = cls([p], **kwargs)
    for g in grads:
        p.grad = g
        opt.step()
    return p.data


# ---------------------------------------------------------------------------
# Closed forms, by hand
# ---------------------------------------------------------------------------


def test_gd_step_by_hand():
    np.testing.assert_array_equal(optim.gd_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1),
                                  [0.95, 2.1])
    assert optim.gd_step(1.0, 2.0, 0.25) == 0.5  # floats work too


def test_adam_first_step_is_lr_times_sign():
    # after one step m̂ = g and v̂ = g², so the step is lr·g/(|g| + eps) ≈ lr·sign(g)
    theta, g = np.array([1.0, -1.0, 0.0]), np.array([1e-3, -50.0, 2.0])
    new, m, v, t = optim.adam_step(theta, g, None, None, 0, lr=0.1)
    np.testing.assert_allclose(new, theta - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-15)
    np.testing.assert_allclose(m, 0.1 * g, rtol=1e-13)
    np.testing.assert_allclose(v, 0.001 * g**2, rtol=1e-13)
    assert t == 1


def test_adam_second_step_bias_correction_by_hand():
    g1, g2 = 2.0, -1.0
    theta, m, v, t = optim.adam_step(0.0, g1, 0.0, 0.0, 0, lr=1.0, beta1=0.5, beta2=0.75, eps=1e-8)
    theta, m, v, t = optim.adam_step(theta, g2, m, v, t, lr=1.0, beta1=0.5, beta2=0.75, eps=1e-8)
    m_want = 0.5 * (0.5 * g1) + 0.5 * g2  # = 0.0
    v_want = 0.75 * (0.25 * g1**2) + 0.25 * g2**2  # = 1.0
    assert (m, v, t) == (m_want, v_want, 2)
    step1 = g1 / (abs(g1) + 1e-8)
    assert theta == pytest.approx(-step1 - 0.0, abs=1e-15)


def test_amsgrad_keeps_the_maximum():
    theta, m, v, v_max, t = optim.amsgrad_step(0.0, 10.0, None, None, None, 0)
    for _ in range(5):
        theta, m, v, v_max, t = optim.amsgrad_step(theta, 0.1, m, v, v_max, t)
    assert v_max == pytest.approx(0.001 * 100.0, rel=1e-15)  # the first, largest v
    assert v < v_max


def test_adagrad_by_hand():
    theta, s, t = optim.adagrad_step(np.array([1.0]), np.array([3.0]), None, 0, lr=0.5,
                                     lr_decay=0.0, eps=1e-10)
    np.testing.assert_allclose(theta, [1.0 - 0.5 * 3.0 / (3.0 + 1e-10)], rtol=1e-15)
    theta, s, t = optim.adagrad_step(theta, np.array([4.0]), s, t, lr=0.5, lr_decay=1.0, eps=1e-10)
    # s = 9 + 16 = 25, lr_2 = 0.5 / (1 + 1·1) = 0.25
    np.testing.assert_allclose(theta, [1.0 - 0.5 * 3 / (3 + 1e-10) - 0.25 * 4 / (5 + 1e-10)],
                               rtol=1e-15)
    assert s[0] == 25.0 and t == 2


def test_rmsprop_by_hand():
    theta, v = optim.rmsprop_step(0.0, 2.0, None, lr=0.1, alpha=0.9, eps=1e-8)
    assert v == pytest.approx(0.4, rel=1e-15)
    assert theta == pytest.approx(-0.1 * 2.0 / (np.sqrt(0.4) + 1e-8), rel=1e-15)


def test_l2_and_decoupled_decay_by_hand():
    np.testing.assert_array_equal(optim.l2_grad(np.array([1.0]), np.array([2.0]), 0.5), [2.0])
    np.testing.assert_allclose(optim.decoupled_decay(np.array([2.0]), 0.1, 0.5), [1.9],
                               rtol=1e-15)


def test_adamw_is_decay_then_adam_and_differs_from_l2():
    theta0, grads = stream(5)
    a = (theta0, None, None, 0)
    b = (theta0, None, None, 0)
    for g in grads:
        a = optim.adamw_step(a[0], g, *a[1:], lr=0.01, weight_decay=0.1)
        decayed = optim.decoupled_decay(b[0], 0.01, 0.1)
        b = optim.adam_step(decayed, g, *b[1:], lr=0.01)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    c = (theta0, None, None, 0)
    for g in grads:
        c = optim.adam_step(c[0], optim.l2_grad(g, c[0], 0.1), *c[1:], lr=0.01)
    assert np.max(np.abs(a[0] - c[0])) > 1e-5  # L2 under Adam is not decoupled decay


# ---------------------------------------------------------------------------
# The momentum forms, against each other
# ---------------------------------------------------------------------------


def test_heavy_ball_equals_pytorch_momentum_at_constant_lr():
    theta0, grads = stream()
    a, va = theta0, None
    b, vb = theta0, None
    for g in grads:
        a, va = optim.momentum_step(a, g, va, lr=0.1, momentum=0.9)
        b, vb = optim.heavy_ball_step(b, g, vb, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(a, b, rtol=1e-13)
    np.testing.assert_allclose(vb, -0.1 * va, rtol=1e-13)


def test_ema_momentum_equals_pytorch_momentum_with_scaled_lr():
    theta0, grads = stream()
    a, va = theta0, None
    b, mb = theta0, None
    for g in grads:
        a, va = optim.momentum_step(a, g, va, lr=0.1 * (1 - 0.8), momentum=0.8)
        b, mb = optim.ema_momentum_step(b, g, mb, lr=0.1, beta=0.8)
    np.testing.assert_allclose(a, b, rtol=1e-13)


def test_dampening_first_step_is_pytorchs():
    # v=None: PyTorch's first step v ← g; v=0: the textbook v ← (1 − d)·g
    _, v_none = optim.momentum_step(0.0, 2.0, None, lr=0.1, momentum=0.9, dampening=0.5)
    _, v_zero = optim.momentum_step(0.0, 2.0, 0.0, lr=0.1, momentum=0.9, dampening=0.5)
    assert (v_none, v_zero) == (2.0, 1.0)


def test_nesterov_is_sutskever_shifted_by_mu_v():
    # On f(θ) = ½ θᵀAθ, run Sutskever et al.'s look-ahead form and compare its
    # look-ahead point θ + μ·v with PyTorch's parameters.
    A = np.array([[3.0, 0.5], [0.5, 1.0]])
    lr, mu = 0.1, 0.9
    theta, v = np.array([1.0, -2.0]), np.zeros(2)
    phi, b = theta.copy(), None
    for _ in range(30):
        v = mu * v - lr * A @ (theta + mu * v)
        theta = theta + v
        phi, b = optim.nesterov_step(phi, A @ phi, b, lr, mu)
        np.testing.assert_allclose(phi, theta + mu * v, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------
# Every class is its pure rule
# ---------------------------------------------------------------------------


def rule_loop(step, theta, grads, state, **hyper):
    """Apply a pure rule over the gradient stream, threading its state."""
    for g in grads:
        theta, *state = step(theta, g, *state, **hyper)
    return theta


RULE_VS_CLASS = [
    ("gd", lambda th, gs: rule_loop(lambda t, g, lr: (optim.gd_step(t, g, lr),), th, gs, [],
                                    lr=0.1),
     optim.SGD, {"lr": 0.1}),
    ("momentum", lambda th, gs: rule_loop(optim.momentum_step, th, gs, [None], lr=0.1,
                                          momentum=0.9, dampening=0.3),
     optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("nesterov", lambda th, gs: rule_loop(optim.nesterov_step, th, gs, [None], lr=0.1,
                                          momentum=0.9),
     optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("adagrad", lambda th, gs: rule_loop(optim.adagrad_step, th, gs, [None, 0], lr=0.1,
                                         lr_decay=0.01),
     optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    ("rmsprop", lambda th, gs: rule_loop(optim.rmsprop_step, th, gs, [None], lr=0.01, alpha=0.9),
     optim.RMSprop, {"lr": 0.01, "alpha": 0.9}),
    ("rmsprop_full", lambda th, gs: rule_loop(optim.rmsprop_full_step, th, gs, [None] * 3,
                                              lr=0.01, momentum=0.5, centered=True),
     optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("adam", lambda th, gs: rule_loop(optim.adam_step, th, gs, [None, None, 0], lr=0.01,
                                      beta1=0.8, beta2=0.99),
     optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99)}),
    ("amsgrad", lambda th, gs: rule_loop(optim.amsgrad_step, th, gs, [None, None, None, 0],
                                         lr=0.01),
     optim.Adam, {"lr": 0.01, "amsgrad": True}),
    ("adamw", lambda th, gs: rule_loop(optim.adamw_step, th, gs, [None, None, 0], lr=0.01,
                                       weight_decay=0.1),
     optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    ("l2_adam", lambda th, gs: rule_loop(
        lambda t, g, m, v, k: optim.adam_step(t, optim.l2_grad(g, t, 0.1), m, v, k, lr=0.01),
        th, gs, [None, None, 0]),
     optim.Adam, {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name, rule, cls, kwargs", RULE_VS_CLASS,
                         ids=[r[0] for r in RULE_VS_CLASS])
def test_rule_matches_class(name, rule, cls, kwargs):
    theta0, grads = stream()
    np.testing.assert_array_equal(rule(theta0, grads), run_class(cls, theta0, grads, **kwargs))


# ---------------------------------------------------------------------------
# Purity and bad input
# ---------------------------------------------------------------------------

ALL_RULES = [
    (optim.gd_step, (), {"lr": 0.1}),
    (optim.momentum_step, ("v",), {"lr": 0.1}),
    (optim.heavy_ball_step, ("v",), {"lr": 0.1}),
    (optim.ema_momentum_step, ("m",), {"lr": 0.1}),
    (optim.nesterov_step, ("v",), {"lr": 0.1}),
    (optim.adagrad_step, ("s", "t"), {}),
    (optim.rmsprop_step, ("v",), {}),
    (optim.rmsprop_full_step, ("v", "gbar", "b"), {"momentum": 0.9, "centered": True}),
    (optim.adam_step, ("m", "v", "t"), {}),
    (optim.amsgrad_step, ("m", "v", "v_max", "t"), {}),
    (optim.adamw_step, ("m", "v", "t"), {}),
]


def make_state(names, shape=(3, 2), value=0.5):
    return [3 if n == "t" else np.full(shape, value) for n in names]


@pytest.mark.parametrize("rule, names, hyper", ALL_RULES, ids=[r[0].__name__ for r in ALL_RULES])
def test_rules_never_modify_their_inputs(rule, names, hyper):
    theta, grads = stream(1)
    args = [theta, grads[0], *make_state(names)]
    copies = [np.copy(a) for a in args]
    out = rule(*args, **hyper)
    for a, c in zip(args, copies, strict=True):
        np.testing.assert_array_equal(a, c)
    out = out if isinstance(out, tuple) else (out,)
    assert not np.shares_memory(out[0], theta)
    assert np.all(np.isfinite(out[0])) and np.any(out[0] != theta)


@pytest.mark.parametrize("rule, names, hyper", ALL_RULES, ids=[r[0].__name__ for r in ALL_RULES])
def test_rules_reject_bad_input(rule, names, hyper):
    theta, grads = stream(1)
    state = make_state(names)
    with pytest.raises(ValueError, match=r"g has shape \(2, 3\)"):
        rule(theta, grads[0].T, *state, **hyper)
    with pytest.raises(ValueError, match="lr"):
        rule(theta, grads[0], *state, **{**hyper, "lr": -0.1})
    arrays = [i for i, n in enumerate(names) if n != "t"]
    if arrays:
        bad = list(state)
        bad[arrays[0]] = np.zeros(4)
        with pytest.raises(ValueError, match=names[arrays[0]]):
            rule(theta, grads[0], *bad, **hyper)


@pytest.mark.parametrize("call, name", [
    (lambda: optim.adam_step(0.0, 1.0, 0.0, 0.0, 0, beta1=1.0), "beta1"),
    (lambda: optim.adam_step(0.0, 1.0, 0.0, 0.0, 0, beta2=-0.1), "beta2"),
    (lambda: optim.adam_step(0.0, 1.0, 0.0, 0.0, 0, eps=0.0), "eps"),
    (lambda: optim.adam_step(0.0, 1.0, 0.0, 0.0, -1), "t"),
    (lambda: optim.adamw_step(0.0, 1.0, 0.0, 0.0, 0, weight_decay=-1.0), "weight_decay"),
    (lambda: optim.rmsprop_step(0.0, 1.0, 0.0, alpha=1.0), "alpha"),
    (lambda: optim.ema_momentum_step(0.0, 1.0, 0.0, 0.1, beta=1.5), "beta"),
    (lambda: optim.momentum_step(0.0, 1.0, 0.0, 0.1, momentum=-0.5), "momentum"),
    (lambda: optim.momentum_step(0.0, 1.0, 0.0, 0.1, dampening=2.0), "dampening"),
    (lambda: optim.adagrad_step(0.0, 1.0, 0.0, 0, lr_decay=-1.0), "lr_decay"),
    (lambda: optim.gd_step(0.0, 1.0, float("nan")), "lr"),
    (lambda: optim.Adam([Param(np.zeros(2))], betas=(0.9, 1.0)), "beta2"),
    (lambda: optim.Adam([Param(np.zeros(2))], lr=-1.0), "lr"),
    (lambda: optim.SGD([Param(np.zeros(2))], lr=0.1, nesterov=True), "nesterov"),
    (lambda: optim.RMSprop([Param(np.zeros(2))], eps=-1.0), "eps"),
    (lambda: optim.Adagrad([Param(np.zeros(2))], initial_accumulator_value=-1),
     "initial_accumulator_value"),
    (lambda: optim.SGD([], lr=0.1), "params"),
])
def test_bad_hyper_parameters_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_gradient_of_wrong_shape_in_a_class():
    p = Param(np.zeros((2, 3)))
    p.grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but data has shape \(2, 3\)"):
        optim.Adam([p]).step()


def test_type_errors():
    with pytest.raises(TypeError, match="theta"):
        optim.gd_step(None, 1.0, 0.1)
    with pytest.raises(TypeError, match="params"):
        optim.SGD(Param(np.zeros(2)), lr=0.1)


# ---------------------------------------------------------------------------
# The classes' machinery: Tensors, zero_grad, lr, state_dict
# ---------------------------------------------------------------------------


def test_class_trains_tensors_and_never_writes_into_the_callers_array():
    w0 = np.array([3.0, -2.0])
    w = Tensor(w0, requires_grad=True)
    opt = optim.SGD([w], lr=0.25, momentum=0.5)
    for _ in range(60):
        opt.zero_grad()
        assert w.grad is None
        (w * w).sum().backward()  # f = ‖w‖², minimum at 0
        opt.step()
    assert np.max(np.abs(w.data)) < 1e-6
    np.testing.assert_array_equal(w0, [3.0, -2.0])


def test_zero_grad_to_zeros_and_skip_none():
    a, b = Param(np.ones(2)), Param(np.ones(2))
    a.grad = np.ones(2)
    opt = optim.SGD([a, b], lr=0.5)
    opt.step()
    np.testing.assert_array_equal(a.data, [0.5, 0.5])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])  # no grad: untouched
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, [0.0, 0.0])
    assert b.grad is None


def test_lr_setter_sets_every_group():
    a, b = Param(np.ones(1)), Param(np.ones(1))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert opt.lr == 0.1
    opt.lr = 0.01
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1


@pytest.mark.parametrize("cls, kwargs", [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}), (optim.Adagrad, {}),
    (optim.RMSprop, {"momentum": 0.5, "centered": True}), (optim.Adam, {"amsgrad": True}),
    (optim.AdamW, {}),
])
def test_state_dict_round_trip_continues_the_same_run(cls, kwargs):
    theta0, grads = stream(30)
    straight = run_class(cls, theta0, grads, **kwargs)
    p = Param(theta0.copy())
    opt = cls([p], **kwargs)
    for g in grads[:15]:
        p.grad = g
        opt.step()
    saved = opt.state_dict()
    p.grad = grads[15]
    opt.step()  # a step we will undo: the saved state must be a copy
    p2 = Param(theta0.copy())
    resumed = cls([p2], **kwargs)
    resumed.load_state_dict(saved)
    p2.data = run_class(cls, theta0, grads[:15], **kwargs)
    for g in grads[15:]:
        p2.grad = g
        resumed.step()
    np.testing.assert_array_equal(p2.data, straight)
