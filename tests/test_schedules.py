"""Learning-rate schedules: plain functions, scheduler objects, the range test.

The scheduler objects and the plain functions are compared with
``torch.optim.lr_scheduler`` step by step; the range test on a quadratic
whose divergence threshold 2/L is known.
"""

import math
import warnings

import numpy as np
import pytest

from bpcourse import optim
from bpcourse import schedules as sch


class Param:
    def __init__(self, data):
        self.data = data
        self.grad = None


# ---------------------------------------------------------------------------
# Closed forms
# ---------------------------------------------------------------------------


def test_plain_functions_closed_forms():
    assert sch.constant_lr(17, 0.3) == 0.3
    assert [sch.step_lr(t, 1.0, 3, 0.5) for t in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert sch.exponential_lr(4, 2.0, 0.5) == 0.125
    assert sch.cosine_lr(0, 0.1, 10, 0.01) == pytest.approx(0.1, abs=1e-17)
    assert sch.cosine_lr(5, 0.1, 10, 0.01) == pytest.approx(0.055, rel=1e-14)
    assert sch.cosine_lr(10, 0.1, 10, 0.01) == pytest.approx(0.01, rel=1e-14)
    # warm-up: linear from start_factor·lr0 to lr0, then the cosine from lr0
    w = [sch.warmup_cosine_lr(t, 1.0, 4, 14, 0.0, 0.2) for t in range(15)]
    np.testing.assert_allclose(w[:5], [0.2, 0.4, 0.6, 0.8, 1.0], rtol=1e-14)
    np.testing.assert_allclose(w[4:], [sch.cosine_lr(t, 1.0, 10) for t in range(11)], rtol=1e-14)
    assert w[-1] == pytest.approx(0.0, abs=1e-16)


@pytest.mark.parametrize("call, name", [
    (lambda: sch.step_lr(-1, 0.1, 3), "step"),
    (lambda: sch.step_lr(2.5, 0.1, 3), "step"),
    (lambda: sch.step_lr(1, -0.1, 3), "lr0"),
    (lambda: sch.step_lr(1, 0.1, 0), "step_size"),
    (lambda: sch.exponential_lr(1, 0.1, 0.0), "gamma"),
    (lambda: sch.cosine_lr(1, 0.1, 0), "total"),
    (lambda: sch.warmup_cosine_lr(1, 0.1, 10, 10), "total"),
    (lambda: sch.warmup_cosine_lr(1, 0.1, 2, 10, start_factor=0.0), "start_factor"),
    (lambda: sch.StepLR(optim.SGD([Param(np.zeros(1))], lr=0.1), 0), "step_size"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_scheduler_drives_every_group_and_round_trips():
    a, b = Param(np.zeros(1)), Param(np.zeros(1))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    s = sch.ExponentialLR(opt, 0.5)
    s.step()
    s.step()
    assert s.get_last_lr() == [0.025, 0.125]
    saved = s.state_dict()
    s.step()
    s.load_state_dict(saved)
    assert s.get_last_lr() == [0.025, 0.125]


# ---------------------------------------------------------------------------
# Against torch.optim.lr_scheduler
# ---------------------------------------------------------------------------

torch = pytest.importorskip("torch")
LS = torch.optim.lr_scheduler


def lrs_of(make_ours, make_torch, steps=60, lr0=0.1):
    """The learning rate at each step under our scheduler and PyTorch's."""
    ours = optim.SGD([Param(np.zeros(2))], lr=lr0)
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=lr0)
    s, ts = make_ours(ours), make_torch(theirs)
    got, want = [ours.lr], [theirs.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            ours.step()
            theirs.step()
            s.step()
            ts.step()
            got.append(ours.lr)
            want.append(theirs.param_groups[0]["lr"])
    return np.array(got), np.array(want)


SCHEDULES = {
    "step": (lambda o: sch.StepLR(o, 7, 0.5), lambda o: LS.StepLR(o, 7, 0.5),
             lambda t: sch.step_lr(t, 0.1, 7, 0.5)),
    "exponential": (lambda o: sch.ExponentialLR(o, 0.95), lambda o: LS.ExponentialLR(o, 0.95),
                    lambda t: sch.exponential_lr(t, 0.1, 0.95)),
    "cosine": (lambda o: sch.CosineAnnealingLR(o, 25, 0.001),
               lambda o: LS.CosineAnnealingLR(o, 25, 0.001),
               lambda t: sch.cosine_lr(t, 0.1, 25, 0.001)),
    "warmup_cosine": (
        lambda o: sch.WarmupCosineLR(o, 10, 60, eta_min=0.002, start_factor=0.05),
        lambda o: LS.SequentialLR(o, [LS.LinearLR(o, 0.05, total_iters=10),
                                      LS.CosineAnnealingLR(o, 50, 0.002)], milestones=[10]),
        lambda t: sch.warmup_cosine_lr(t, 0.1, 10, 60, 0.002, 0.05)),
    "lambda": (lambda o: sch.LambdaLR(o, lambda t: 1 / (1 + t)),
               lambda o: LS.LambdaLR(o, lambda t: 1 / (1 + t)),
               lambda t: 0.1 / (1 + t)),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_torch(name):
    make_ours, make_torch, plain = SCHEDULES[name]
    got, want = lrs_of(make_ours, make_torch)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([plain(t) for t in range(len(got))], want, rtol=1e-12, atol=1e-15)


def test_warmup_cosine_matches_torch_lambda_form():
    def factor(t):
        return sch.warmup_cosine_lr(t, 1.0, 5, 40, 0.0, 0.1)
    got, want = lrs_of(lambda o: sch.WarmupCosineLR(o, 5, 40, start_factor=0.1),
                       lambda o: LS.LambdaLR(o, factor), steps=40)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------
# The learning-rate range test
# ---------------------------------------------------------------------------


def test_lr_range_test_stops_past_two_over_L_and_restores():
    # f(θ) = ½ Σ L_i θ_i², largest curvature L = 4: gradient descent diverges for lr > 2/L = 0.5.
    curv = np.array([4.0, 1.0, 0.25])
    theta0 = np.array([1.0, -2.0, 3.0])
    p = Param(theta0.copy())
    opt = optim.SGD([p], lr=0.123)

    def closure():
        p.grad = curv * p.data
        return 0.5 * float(np.sum(curv * p.data**2))

    lrs, losses = sch.lr_range_test(closure, opt, lr_min=1e-3, lr_max=100.0, steps=200,
                                    diverge=4.0, smoothing=0.0)
    assert len(lrs) == len(losses) < 200  # stopped early
    assert np.all(np.diff(lrs) > 0)
    np.testing.assert_allclose(lrs[:3], 1e-3 * 1e5 ** (np.arange(3) / 199), rtol=1e-14)
    # the loss first falls; the stop comes after the rate crossed 2/L = 0.5, well before 100
    assert losses[len(losses) // 2] < losses[0]
    assert 0.5 < lrs[-1] < 5.0
    assert losses[-1] > 4 * np.min(losses)
    # the model and optimizer are as they were
    np.testing.assert_array_equal(p.data, theta0)
    assert opt.lr == 0.123 and p.grad is None


def test_lr_range_test_stops_on_nan():
    p = Param(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        p.grad = np.ones(2)
        return math.nan if len(calls) == 5 else 1.0

    lrs, losses = sch.lr_range_test(closure, opt, steps=50)
    assert len(lrs) == 5 and math.isnan(losses[-1])
