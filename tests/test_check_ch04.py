"""Chapter 4's checks: each one's truth against an independent reference.

momentum_step and nesterov_step against torch.optim.SGD; the best (lr, momentum)
against a grid search over the spectral radius; the diverging pairs against
runs of heavy ball; the fixed loop against torch.optim.SGD; the converted
velocities against runs of the three conventions.
"""

import numpy as np
import pytest

from bpcourse import check, optim
from bpcourse.check import ch04, rel_error

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _torch_sgd_step(theta, g, v, lr, momentum=0.9, dampening=0.0, nesterov=False):
    """One step of torch.optim.SGD from the momentum buffer v (None: a fresh optimizer)."""
    p = torch.nn.Parameter(torch.tensor(theta, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening,
                          nesterov=nesterov)
    if v is not None:
        opt.state[p] = {"momentum_buffer": torch.tensor(v, dtype=torch.float64)}
    p.grad = torch.tensor(g, dtype=torch.float64)
    opt.step()
    buf = opt.state[p].get("momentum_buffer")
    buf = np.asarray(g, dtype=np.float64) if buf is None else buf.numpy()
    return p.detach().numpy(), buf


@pytest.mark.parametrize("k", range(1, len(check.momentum_step.cases()) + 1))
def test_momentum_step_truth_is_torch(k):
    case = check.momentum_step.case(k)
    expected = check.momentum_step.expected(case)
    got = _torch_sgd_step(*case.args, **case.kwargs)
    if case.kwargs.get("momentum", 0.9) == 0:
        # torch keeps no buffer without momentum; compare the step only
        assert rel_error(expected[0], got[0]) <= 1e-12
        return
    for e, g in zip(expected, got, strict=True):
        assert rel_error(e, g) <= 1e-12


@pytest.mark.parametrize("k", range(1, len(check.nesterov_step.cases()) + 1))
def test_nesterov_step_truth_is_torch(k):
    case = check.nesterov_step.case(k)
    expected = check.nesterov_step.expected(case)
    got = _torch_sgd_step(*case.args, **case.kwargs, nesterov=True)
    for e, g in zip(expected, got, strict=True):
        assert rel_error(e, g) <= 1e-12


def _spectral_radius(lr, momentum, eigenvalues):
    """max |z| over the roots of z² − (1 + μ − ηλ)z + μ for each eigenvalue λ."""
    return max(np.abs(np.roots([1.0, -(1 + momentum - lr * lam), momentum])).max()
               for lam in eigenvalues)


def test_optimal_pair_minimises_the_rate_on_a_grid():
    lr, momentum = check.optimal_momentum_by_hand.reference()
    eig = np.linalg.eigvalsh(ch04.OPTIMAL_MATRIX)
    assert np.allclose(eig, [1, 25])
    best = _spectral_radius(lr, momentum, eig)
    assert abs(best - 2 / 3) < 1e-6
    grid = [_spectral_radius(a, b, eig) for a in np.linspace(0.01, 0.2, 60)
            for b in np.linspace(0, 0.95, 60)]
    assert best <= min(grid) + 1e-9


def test_optimal_pair_measured_rate():
    lr, momentum = check.optimal_momentum_by_hand.reference()
    A = ch04.OPTIMAL_MATRIX
    theta, v = np.array([1.0, 0.3]), None
    norms = []
    for _ in range(200):
        theta, v = optim.momentum_step(theta, A @ theta, v, lr, momentum)
        norms.append(np.linalg.norm(theta))
    rate = (norms[-1] / norms[99]) ** (1 / 100)
    assert abs(rate - 2 / 3) < 0.01


def test_diverging_pairs_match_runs():
    answer = check.diverging_pairs.reference()
    A = np.diag([ch04.PAIRS_L, 1.0])
    for letter, (lr, momentum) in ch04.PAIRS.items():
        theta, v = np.array([1.0, 1.0]), None
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(3000):
                theta, v = optim.momentum_step(theta, A @ theta, v, lr, momentum)
        diverged = not np.all(np.abs(theta) < 1.0)
        assert diverged == (letter in answer), letter


@pytest.mark.parametrize("k", range(1, len(check.fixed_momentum.cases()) + 1))
def test_fixed_momentum_truth_is_torch(k):
    theta0, A, lr, momentum, steps = check.fixed_momentum.case(k).args
    p = torch.nn.Parameter(torch.tensor(theta0, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum)
    At = torch.tensor(A, dtype=torch.float64)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * p @ At @ p).backward()
        opt.step()
    expected = check.fixed_momentum.reference(theta0, A, lr, momentum, steps)
    assert rel_error(expected, p.detach().numpy()) <= 1e-12


@pytest.mark.parametrize("k", range(1, len(check.convert_velocity.cases()) + 1))
def test_converted_velocities_give_the_same_next_steps(k):
    v, lr, momentum = check.convert_velocity.case(k).args
    u, m = check.convert_velocity.reference(v, lr, momentum)
    rng = np.random.default_rng(k)
    theta = rng.normal(size=v.shape)
    t_torch = t_sut = t_ema = theta
    for _ in range(5):
        g = rng.normal(size=v.shape)
        t_torch, v = optim.momentum_step(t_torch, g, v, lr, momentum)
        t_sut, u = optim.heavy_ball_step(t_sut, g, u, lr, momentum)
        if momentum < 1:
            t_ema, m = optim.ema_momentum_step(t_ema, g, m, lr / (1 - momentum), momentum)
        assert rel_error(t_torch, t_sut) <= 1e-12
        assert rel_error(t_torch, t_ema) <= 1e-12


def test_solutions_of_the_notebook_pass():
    def momentum_step(theta, g, v, lr, momentum=0.9, dampening=0.0):
        if v is None:
            v = g.copy()
        else:
            v = momentum * v + (1 - dampening) * g
        return theta - lr * v, v

    def nesterov_step(theta, g, v, lr, momentum=0.9):
        v = g.copy() if v is None else momentum * v + g
        return theta - lr * (g + momentum * v), v

    assert check.momentum_step.run(momentum_step).status == "passed"
    assert check.nesterov_step.run(nesterov_step).status == "passed"
    assert check.diverging_pairs.run(lambda: "dbf").status == "passed"
    assert check.diverging_pairs.run(lambda: "F, B, D").status == "passed"
    assert check.diverging_pairs.run(lambda: ("B", "D", "F")).status == "failed"
    assert check.optimal_momentum_by_hand.run(lambda: (1 / 9, 4 / 9)).status == "passed"


def test_float32_is_rejected():
    def momentum_step(theta, g, v, lr, momentum=0.9, dampening=0.0):
        v = g.copy() if v is None else momentum * v + (1 - dampening) * g
        return (theta - lr * v).astype(np.float32), v

    result = check.momentum_step.run(momentum_step)
    assert result.status == "failed" and "float64" in str(result.details)


def test_other_correct_formulations_pass():
    """Correct solutions written differently from the reference must pass."""
    def momentum_step(theta, g, v, lr, momentum=0.9, dampening=0.0):
        new_v = np.array(g, dtype=float) if v is None else momentum * v + g - dampening * g
        return theta - lr * new_v, new_v

    def nesterov_step(theta, g, v, lr, momentum=0.9):
        # the step as (1 + mu) v_new - mu v_old, with the old velocity kept
        v_old = np.zeros_like(g) if v is None else v
        v_new = momentum * v_old + g
        return theta - lr * ((1 + momentum) * v_new - momentum * v_old), v_new

    def fixed_momentum(theta0, A, lr, momentum, steps):
        # Sutskever's form: the same iterates at a constant learning rate
        theta, u = theta0.astype(float), np.zeros(len(theta0))
        for _ in range(steps):
            u = momentum * u - lr * (A @ theta)
            theta = theta + u
        return theta

    assert check.momentum_step.run(momentum_step).status == "passed"
    assert check.nesterov_step.run(nesterov_step).status == "passed"
    assert check.fixed_momentum.run(fixed_momentum).status == "passed"
    assert check.convert_velocity.run(
        lambda v, lr, momentum: (-(lr * v), v - momentum * v)).status == "passed"
    # a pair by hand may come as a list, an array or fractions
    from fractions import Fraction
    for pair in ([1 / 9, 4 / 9], np.array([1 / 9, 4 / 9]), (Fraction(1, 9), Fraction(4, 9))):
        assert check.optimal_momentum_by_hand.run(lambda p=pair: p).status == "passed"


def test_a_rounded_pair_is_told_so_without_the_answer():
    result = check.optimal_momentum_by_hand.run(lambda: (0.111, 0.444))
    text = str(result.details)
    assert result.status == "failed" and "rounded" in text
    assert "0.1111" not in text and "0.4444" not in text
    far = check.optimal_momentum_by_hand.run(lambda: (0.2, 0.5))
    assert "rounded" not in str(far.details)


def test_a_zero_velocity_is_not_the_first_step():
    def momentum_step(theta, g, v, lr, momentum=0.9, dampening=0.0):
        if v is None or not v.any():
            v = g.copy()
        else:
            v = momentum * v + (1 - dampening) * g
        return theta - lr * v, v

    result = check.momentum_step.run(momentum_step)
    assert result.status == "failed"
    assert result.mistake == "a zero velocity taken for the first step"
