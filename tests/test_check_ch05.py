"""Exercise 5.1 (adam_step): the check's truth against PyTorch, and every outcome."""


import numpy as np
import pytest
import torch

from bpcourse import check, optim
from bpcourse.check import CheckFailed, ch05, rel_error

# the catalogue's wrong solutions divide by zero on purpose
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

from catalogue import ch05 as catalogue  # noqa: E402 - tests/ is on sys.path

EXERCISE = check.adam_step
CASES = EXERCISE.cases()


def _torch_adam(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of torch.optim.Adam, from the state (m, v, t), in float64."""
    p = torch.nn.Parameter(torch.tensor(theta, dtype=torch.float64))
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.state[p] = {"step": torch.tensor(float(t), dtype=torch.float64),
                    "exp_avg": torch.tensor(m, dtype=torch.float64),
                    "exp_avg_sq": torch.tensor(v, dtype=torch.float64)}
    p.grad = torch.tensor(g, dtype=torch.float64)
    opt.step()
    state = opt.state[p]
    return (p.detach().numpy(), state["exp_avg"].numpy(), state["exp_avg_sq"].numpy(),
            int(state["step"].item()))


@pytest.mark.parametrize("k", range(1, len(CASES) + 1))
def test_the_checks_truth_is_pytorchs_adam(k):
    case = CASES[k - 1]
    expected = EXERCISE.expected(case)
    got = _torch_adam(*case.args, **case.kwargs)
    for e, g in zip(expected[:3], got[:3], strict=True):
        assert rel_error(e, g) <= 1e-12
    assert expected[3] == got[3] == case.args[4] + 1
    if case.args[4] == 0:   # before the first step the moments are zero, as in a fresh Adam
        assert not np.any(case.args[2]) and not np.any(case.args[3])


def test_the_check_uses_the_packages_reference():
    assert EXERCISE.reference is optim.adam_step
    assert len(CASES) == 19 and len({c.label for c in CASES}) >= 10


def test_reference_passes():
    result = EXERCISE(optim.adam_step)
    assert (result.status, result.passed, result.total) == ("passed", 19, 19)
    assert str(result) == "✓ adam_step: 19/19 cases (float64, relative error ≤ 1e-9)"


def test_the_notebook_solution_passes():
    def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        t = t + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, t

    assert EXERCISE(adam_step).ok


def test_stub_is_not_attempted():
    def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        """Exercise 5.1: one step of Adam. Returns (theta, m, v, t)."""
        raise NotImplementedError("Exercise 5.1")

    result = EXERCISE(adam_step)
    assert result.status == "not attempted"
    assert result.to_json()["status"] == "not attempted"


def test_eps_inside_sqrt_fails_only_where_eps_matters():
    # sqrt(v̂ + eps) and sqrt(v̂) + eps differ only when v̂ is small: the
    # tiny-gradient and large-eps cases exist to catch it.
    with pytest.raises(CheckFailed) as info:
        EXERCISE(catalogue.adam_eps_in_sqrt)
    assert info.value.result.mistake == "eps inside the square root"
    assert info.value.result.passed >= 10   # the ordinary cases pass


def test_in_place_update_is_named_as_such():
    with pytest.raises(CheckFailed) as info:
        EXERCISE(catalogue.adam_in_place)
    assert "changed its input `m`" in str(info.value)


def test_reproducing_a_case_in_place_leaves_the_check_intact():
    """adam_in_place changes m and v in place: running it on case(k), as the
    report's "Reproduce" line says, must not spoil the check's own cases."""
    k = 2   # non-zero moments, so an in-place update shows
    case = EXERCISE.case(k)
    before = [a.copy() for a in case.args[:4]]
    catalogue.adam_in_place(*case.args, **case.kwargs)
    assert not np.array_equal(case.args[2], before[2])        # the copy was changed...
    again = EXERCISE.case(k)
    for a, b in zip(again.args[:4], before, strict=True):     # ...the check's case was not
        np.testing.assert_array_equal(a, b)
    result = EXERCISE.run(optim.adam_step)
    assert (result.status, result.passed) == ("passed", 19)
    assert EXERCISE.run(catalogue.adam_in_place).status == "failed"


def test_first_case_is_reproducible_from_the_report():
    with pytest.raises(CheckFailed) as info:
        EXERCISE(catalogue.adam_plus_sign)
    assert "case = bpcourse.check.adam_step.case(1)" in info.value.result.reproduce
    case = EXERCISE.case(1)
    theta, *_ = catalogue.adam_plus_sign(*case.args, **case.kwargs)
    # the report's "Got" is exactly what the learner's function returns
    assert np.array2string(theta, precision=8, separator=", ") in str(info.value)


def test_module_docstring_names_the_chapter():
    assert 'chapter 5, "Adam"' in ch05.__doc__


def test_eps_squared_is_named_as_such_not_as_ignored_hyperparameters():
    # issue 13: sqrt(v̂ + eps²) was called "hyperparameters ignored"
    with pytest.raises(CheckFailed) as info:
        EXERCISE(catalogue.adam_eps_squared)
    assert info.value.result.mistake == "eps squared inside the square root"
    # it reproduces the learner's numbers on every case it fails
    mistake = next(m for m in EXERCISE.mistakes if m.name == info.value.result.mistake)
    for case in CASES:
        mine = catalogue.adam_eps_squared(*case.args, **case.kwargs)
        expected = EXERCISE.expected(case)
        tol = EXERCISE.tol
        if max(rel_error(a, b) for a, b in zip(mine[:3], expected[:3], strict=True)) > tol:
            theirs = mistake.fn(*case.args, **case.kwargs)
            assert max(rel_error(a, b) for a, b in zip(mine[:3], theirs[:3], strict=True)) <= tol


def test_float32_work_is_rejected_and_named():
    with pytest.raises(CheckFailed) as info:
        EXERCISE(catalogue.adam_float32)
    # no mistake can reproduce float32 numbers at float64's 1e-9: the error line
    # says the error has the size of float32 rounding
    assert "float32" in str(info.value) and "float64" in str(info.value)


@pytest.mark.parametrize("name", ["adam_step", "adagrad_step", "rmsprop_step", "adamw_step"])
def test_every_rule_rejects_float32_work(name):
    exercise = getattr(check, name)
    reference = exercise.reference

    def in_float32(theta, g, *state, **hyper):
        cast = [np.asarray(a, dtype=np.float32) if isinstance(a, np.ndarray) else a
                for a in (theta, g, *state)]
        out = reference(*cast, **hyper)
        with np.errstate(all="ignore"):
            out = [np.asarray(a, dtype=np.float32) for a in out]
        return tuple(a.astype(np.float64) if a.ndim else int(a) for a in out)

    # float32 rounding of theta itself is enough to fail the cancellation case
    assert exercise.run(in_float32).status == "failed"
