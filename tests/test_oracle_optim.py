"""Oracle tests: the optimizer classes of bpcourse.optim against torch.optim (float64).

Every optimizer class runs 100 steps on the same random parameters and
gradients as its PyTorch twin, over a grid of hyper-parameters, including a
learning-rate change half-way and a parameter whose gradient is sometimes
None; the parameters must agree to a relative error of 1e-12. Schedules and
clipping are compared with PyTorch in test_schedules.py and test_clip.py.
"""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bpcourse import optim  # noqa: E402

SHAPES = [(5,), (3, 4), (2, 3, 2)]
STEPS = 100
TOL = 1e-12


class Param:
    """The smallest thing an optimizer accepts: .data and .grad arrays."""

    def __init__(self, data):
        self.data = data
        self.grad = None


def rel_err(x, y):
    return float(np.max(np.abs(x - y)) / max(1e-300, np.max(np.abs(y))))


def run_both(ours_cls, torch_cls, kwargs, seed=0, steps=STEPS, lr_change=0.5):
    """Run both optimizers on the same parameters and gradients; return the worst error."""
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s) for s in SHAPES]
    ours = [Param(x.copy()) for x in init]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in init]
    opt = ours_cls(ours, **kwargs)
    topt = torch_cls(theirs, **kwargs)
    for k in range(steps):
        if k == steps // 2:
            opt.lr = opt.lr * lr_change
            for group in topt.param_groups:
                group["lr"] = group["lr"] * lr_change
        for i, (p, tp) in enumerate(zip(ours, theirs, strict=True)):
            if i == 2 and k % 7 == 3:  # grad None: both must skip this parameter
                p.grad, tp.grad = None, None
                continue
            g = rng.normal(size=p.data.shape) * (1 + i)
            p.grad, tp.grad = g, torch.tensor(g)
        opt.step()
        topt.step()
    return max(rel_err(p.data, tp.detach().numpy()) for p, tp in zip(ours, theirs, strict=True))


def grid(**axes):
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


SGD_GRID = [kw for kw in grid(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.5],
                              nesterov=[False, True], weight_decay=[0.0, 0.1])
            if not (kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0))]
ADAGRAD_GRID = grid(lr=[0.1], lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1], eps=[1e-10, 1e-3],
                    initial_accumulator_value=[0.0, 0.1])
RMSPROP_GRID = grid(lr=[0.01], alpha=[0.99, 0.9], centered=[False, True], momentum=[0.0, 0.9],
                    weight_decay=[0.0, 0.1])
ADAM_GRID = grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.9)], eps=[1e-8, 1e-3],
                 weight_decay=[0.0, 0.1], amsgrad=[False, True])


@pytest.mark.parametrize("kwargs", SGD_GRID, ids=str)
def test_sgd_matches_torch(kwargs):
    assert run_both(optim.SGD, torch.optim.SGD, kwargs) <= TOL


@pytest.mark.parametrize("kwargs", ADAGRAD_GRID, ids=str)
def test_adagrad_matches_torch(kwargs):
    assert run_both(optim.Adagrad, torch.optim.Adagrad, kwargs) <= TOL


@pytest.mark.parametrize("kwargs", RMSPROP_GRID, ids=str)
def test_rmsprop_matches_torch(kwargs):
    assert run_both(optim.RMSprop, torch.optim.RMSprop, kwargs) <= TOL


@pytest.mark.parametrize("kwargs", ADAM_GRID, ids=str)
def test_adam_matches_torch(kwargs):
    assert run_both(optim.Adam, torch.optim.Adam, kwargs) <= TOL


@pytest.mark.parametrize("kwargs", ADAM_GRID, ids=str)
def test_adamw_matches_torch(kwargs):
    assert run_both(optim.AdamW, torch.optim.AdamW, kwargs) <= TOL


@pytest.mark.parametrize("ours_cls, torch_cls", [
    (optim.SGD, torch.optim.SGD), (optim.Adagrad, torch.optim.Adagrad),
    (optim.RMSprop, torch.optim.RMSprop), (optim.Adam, torch.optim.Adam),
    (optim.AdamW, torch.optim.AdamW)])
def test_defaults_match_torch(ours_cls, torch_cls):
    assert run_both(ours_cls, torch_cls, {}, steps=30) <= TOL
    theirs = torch_cls([torch.zeros(1, requires_grad=True)]).defaults
    ours = ours_cls([Param(np.zeros(1))]).defaults
    for key, value in ours.items():
        assert theirs[key] == value, key


def test_param_groups_match_torch():
    rng = np.random.default_rng(3)
    a0, b0 = rng.normal(size=4), rng.normal(size=(2, 2))
    a, b = Param(a0.copy()), Param(b0.copy())
    ta, tb = (torch.tensor(x.copy(), requires_grad=True) for x in (a0, b0))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{"params": [ta]}, {"params": [tb], "lr": 0.3}], lr=0.1, momentum=0.9)
    for _ in range(20):
        for p, tp in ((a, ta), (b, tb)):
            g = rng.normal(size=p.data.shape)
            p.grad, tp.grad = g, torch.tensor(g)
        opt.step()
        topt.step()
    assert rel_err(a.data, ta.detach().numpy()) <= TOL
    assert rel_err(b.data, tb.detach().numpy()) <= TOL


# ---------------------------------------------------------------------------
# Chapter 4: momentum, dampening and Nesterov under a schedule that changes
# the learning rate at every step (warm-up, then cosine), where PyTorch's form
# and the classical one part company.
# ---------------------------------------------------------------------------

MOMENTUM_SCHEDULED = [
    {"momentum": 0.9, "dampening": 0.0},
    {"momentum": 0.9, "dampening": 0.5},
    {"momentum": 0.8, "dampening": 0.2, "weight_decay": 0.1},
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.5, "nesterov": True, "weight_decay": 0.05},
]


@pytest.mark.parametrize("kwargs", MOMENTUM_SCHEDULED)
def test_sgd_momentum_matches_torch_under_a_schedule(kwargs):
    import math

    rng = np.random.default_rng(4)
    init = [rng.normal(size=s) for s in SHAPES]
    ours = [Param(x.copy()) for x in init]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in init]
    opt = optim.SGD(ours, lr=0.1, **kwargs)
    topt = torch.optim.SGD(theirs, lr=0.1, **kwargs)
    for k in range(STEPS):
        lr = 0.1 * (k + 1) / 10 if k < 10 else 0.05 * (1 + math.cos(math.pi * (k - 10) / 90))
        opt.lr = lr
        for group in topt.param_groups:
            group["lr"] = lr
        for p, tp in zip(ours, theirs, strict=True):
            g = rng.normal(size=p.data.shape)
            p.grad, tp.grad = g, torch.tensor(g)
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs, strict=True):
            assert rel_err(p.data, tp.detach().numpy()) <= TOL


# ---------------------------------------------------------------------------
# Chapter 5: the pure rules the chapter writes, step by step against torch.optim
# ---------------------------------------------------------------------------


def run_rule_and_torch(rule, torch_cls, rule_hyper, torch_kwargs, steps=60, seed=5,
                       shape=(3, 4), scale=1.0):
    """Thread a pure rule's state (from optim.INITS) through a gradient stream and
    compare every iterate with the torch optimizer's; return the worst error."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=shape)
    state = list(optim.INITS[rule](theta))
    tp = torch.tensor(theta.copy(), requires_grad=True)
    topt = torch_cls([tp], **torch_kwargs)
    worst = 0.0
    for _ in range(steps):
        g = rng.normal(size=shape) * scale
        theta, *state = rule(theta, g, *state, **rule_hyper)
        tp.grad = torch.tensor(g)
        topt.step()
        worst = max(worst, rel_err(theta, tp.detach().numpy()))
    return worst


CHAPTER5_RULES = [
    ("adagrad, lr_decay", optim.adagrad_step, torch.optim.Adagrad,
     {"lr": 0.1, "lr_decay": 0.05, "eps": 1e-10}, {"lr": 0.1, "lr_decay": 0.05, "eps": 1e-10}),
    ("adagrad, defaults", optim.adagrad_step, torch.optim.Adagrad, {}, {}),
    ("rmsprop, alpha 0.99", optim.rmsprop_step, torch.optim.RMSprop, {}, {}),
    ("rmsprop, alpha 0.9", optim.rmsprop_step, torch.optim.RMSprop,
     {"lr": 0.01, "alpha": 0.9}, {"lr": 0.01, "alpha": 0.9}),
    ("rmsprop, centered", optim.rmsprop_full_step, torch.optim.RMSprop,
     {"lr": 0.01, "alpha": 0.9, "centered": True}, {"lr": 0.01, "alpha": 0.9, "centered": True}),
    ("rmsprop, centered with momentum", optim.rmsprop_full_step, torch.optim.RMSprop,
     {"lr": 0.01, "centered": True, "momentum": 0.9},
     {"lr": 0.01, "centered": True, "momentum": 0.9}),
    ("adam", optim.adam_step, torch.optim.Adam,
     {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
     {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("amsgrad", optim.amsgrad_step, torch.optim.Adam, {"lr": 0.01},
     {"lr": 0.01, "amsgrad": True}),
    ("adamw, default decay", optim.adamw_step, torch.optim.AdamW, {"lr": 0.01}, {"lr": 0.01}),
    ("adamw, large decay", optim.adamw_step, torch.optim.AdamW,
     {"lr": 0.05, "weight_decay": 0.5}, {"lr": 0.05, "weight_decay": 0.5}),
]


@pytest.mark.parametrize("name, rule, torch_cls, rule_hyper, torch_kwargs", CHAPTER5_RULES,
                         ids=[r[0] for r in CHAPTER5_RULES])
def test_chapter5_rules_match_torch_step_by_step(name, rule, torch_cls, rule_hyper,
                                                 torch_kwargs):
    assert run_rule_and_torch(rule, torch_cls, rule_hyper, torch_kwargs) <= TOL


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_adam_rule_matches_torch_at_any_gradient_scale(scale):
    # chapter 5 measures Adam's steps with gradients scaled by 1e-3 and 1e3
    assert run_rule_and_torch(optim.adam_step, torch.optim.Adam, {"lr": 0.01}, {"lr": 0.01},
                              scale=scale) <= TOL


def test_adam_with_l2_is_torch_adam_weight_decay_and_not_adamw():
    # chapter 5, "AdamW: decoupled weight decay": L2 enters the gradient under Adam
    def adam_l2(theta, g, m, v, t, lr, weight_decay):
        return optim.adam_step(theta, optim.l2_grad(g, theta, weight_decay), m, v, t, lr=lr)

    rng = np.random.default_rng(9)
    theta = rng.normal(size=5)
    m, v, t = np.zeros(5), np.zeros(5), 0
    tp = torch.tensor(theta.copy(), requires_grad=True)
    topt = torch.optim.Adam([tp], lr=0.01, weight_decay=0.1)
    for _ in range(40):
        g = rng.normal(size=5)
        theta, m, v, t = adam_l2(theta, g, m, v, t, lr=0.01, weight_decay=0.1)
        tp.grad = torch.tensor(g)
        topt.step()
    assert rel_err(theta, tp.detach().numpy()) <= TOL
