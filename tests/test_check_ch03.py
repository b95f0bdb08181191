"""Chapter 3's checks: references against PyTorch and closed forms, wrong solutions named."""

import copy
import math

import numpy as np
import pytest
import torch
from catalogue import ch03 as catalogue

from bpcourse.check import ch03
from bpcourse.check._core import REGISTRY, rel_error

NAMES = ["gd_step", "stable_lr_by_hand", "minibatch_indices", "fixed_sgd", "warmup_cosine_lr",
         "loss_curve_lrs"]


# --- every reference agrees with an independent computation --------------------------


def test_gd_step_is_one_step_of_torch_sgd():
    for case in ch03.gd_step.cases():
        theta, g, lr = case.args
        p = torch.nn.Parameter(torch.tensor(theta, dtype=torch.float64))
        opt = torch.optim.SGD([p], lr=lr)
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        # 1e-9: torch's fused add(alpha=-lr) rounds once where theta - lr*g rounds twice,
        # which shows in the case where 1.0000001 - 0.1*10 cancels to 1e-7
        assert rel_error(ch03.gd_step.reference(theta, g, lr), p.detach().numpy()) <= 1e-9


def test_stable_lr_is_the_edge_of_convergence():
    # Closed form: eigenvalues of [[5, 3], [3, 5]] are 5 ± 3, so lr < 2/8.
    assert ch03._stable_lr_by_hand() == pytest.approx(0.25, abs=1e-15)
    A = ch03.STABLE_LR_MATRIX
    theta0 = np.array([1.0, 0.3])

    def run(lr, steps=400):
        theta = theta0
        for _ in range(steps):
            theta = theta - lr * (A @ theta)
        return np.linalg.norm(theta)

    assert run(0.25 * 0.99) < 1e-3 * np.linalg.norm(theta0)
    assert run(0.25 * 1.01) > 1e3 * np.linalg.norm(theta0)


def test_minibatch_indices_reference_is_a_partition_in_rng_order():
    for case in ch03.minibatch_indices.cases():
        N, B, rng = case.args
        batches = ch03._minibatch_indices(N, B, copy.deepcopy(rng))
        assert [len(b) for b in batches] == [min(B, N - s) for s in range(0, N, B)]
        order = np.concatenate(batches)
        assert sorted(order.tolist()) == list(range(N))
        assert np.array_equal(order, copy.deepcopy(rng).permutation(N))


def test_data_batches_cuts_the_same_batches():
    data = pytest.importorskip("bpcourse.data")
    if not hasattr(data, "batches"):
        pytest.skip("bpcourse.data.batches not written yet")
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    got = [yb for _, yb in data.batches(X, y, 3, rng=np.random.default_rng(5))]
    want = ch03._minibatch_indices(10, 3, np.random.default_rng(5))
    assert [b.tolist() for b in got] == [b.tolist() for b in want]


def _torch_sgd(theta, X, y, lr0, epochs, batch_size, rng):
    """torch.optim.SGD with StepLR(gamma=0.5) per epoch on 1/(2|B|)·‖X_B θ − y_B‖²."""
    p = torch.nn.Parameter(torch.tensor(theta, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(epochs):
        order = torch.tensor(rng.permutation(len(y)))
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = 0.5 * torch.mean((Xt[idx] @ p - yt[idx]) ** 2)
            loss.backward()
            opt.step()
        sched.step()
    return p.detach().numpy()


def test_fixed_sgd_matches_torch():
    for case in ch03.fixed_sgd.cases():
        args = copy.deepcopy(case.args)
        ours = ch03._fixed_sgd(*copy.deepcopy(case.args))
        assert rel_error(ours, _torch_sgd(*args)) <= 1e-12
        assert not np.allclose(ours, case.args[0])   # it did move


def _torch_warmup_cosine(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor, 1.0, total_iters=warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=lr_min),
    ], milestones=[warmup])
    for _ in range(step):
        opt.step()
        sched.step()
    return opt.param_groups[0]["lr"]


def _closed_form_warmup_cosine(step, lr0, warmup, total, lr_min=0.0, start_factor=0.01):
    if step < warmup:
        return lr0 * (start_factor + (1 - start_factor) * step / warmup)
    angle = math.pi * (step - warmup) / (total - warmup)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(angle)) / 2


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_warmup_cosine_matches_torch_and_closed_form():
    for case in ch03.warmup_cosine_lr.cases():
        ours = ch03.warmup_cosine_lr.reference(*case.args, **case.kwargs)
        assert ours == pytest.approx(_closed_form_warmup_cosine(*case.args, **case.kwargs),
                                     rel=1e-12, abs=1e-15)
        assert ours == pytest.approx(_torch_warmup_cosine(*case.args, **case.kwargs),
                                     rel=1e-9, abs=1e-12)


def test_warmup_cosine_ends_are_where_the_text_says():
    ref = ch03.warmup_cosine_lr.reference
    assert ref(0, 0.1, 10, 110) == pytest.approx(0.001)
    assert ref(10, 0.1, 10, 110) == pytest.approx(0.1)
    assert ref(110, 0.1, 10, 110) == pytest.approx(0.0, abs=1e-15)
    assert ref(110, 0.5, 10, 110, lr_min=0.05) == pytest.approx(0.05)


def test_curve_answer_uses_each_rate_once():
    assert sorted(ch03._loss_curve_lrs()) == sorted(set(ch03.CURVE_RATES))
    assert len(ch03.CURVE_RATES) == len(ch03.CURVE_LETTERS) == 4
    assert list(ch03.CURVE_RATES) == sorted(ch03.CURVE_RATES)   # no pairing in a name
    assert not hasattr(ch03, "CURVE_LRS")
    assert tuple(ch03.rates_of_the_curves().values()) == ch03._loss_curve_lrs()


# --- the checks: references pass, the catalogue is rejected with its hint --------------


def test_in_place_updates_are_named_as_such():
    for name, wrong in [("gd_step", catalogue.gd_in_place),
                        ("fixed_sgd", catalogue.sgd_only_shuffle_fixed)]:
        result = REGISTRY[name].run(wrong)
        assert result.status == "failed"
        assert "changed its input `theta`" in result.headline


def test_minibatches_may_be_any_iterable_in_any_order_within_a_batch():
    def as_generator(N, batch_size, rng):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            yield np.sort(order[start:start + batch_size])[::-1]

    def as_tuple_of_lists(N, batch_size, rng):
        order = rng.permutation(N).tolist()
        return tuple(order[s:s + batch_size] for s in range(0, N, batch_size))

    def shuffled_copy(N, batch_size, rng):     # rng.shuffle of arange is rng.permutation
        order = np.arange(N)
        rng.shuffle(order)
        return [order[s:s + batch_size] for s in range(0, N, batch_size)]

    for fn in (as_generator, as_tuple_of_lists, shuffled_copy):
        assert REGISTRY["minibatch_indices"].run(fn).status == "passed", fn.__name__


def test_minibatch_errors_are_reported_not_raised():
    def floats(N, batch_size, rng):
        return [np.arange(N, dtype=float)]

    def nothing(N, batch_size, rng):
        return None

    def crashes(N, batch_size, rng):
        order = rng.permutation(N)
        return [order[s] for s in range(0, N + 1)]

    for fn, text in [(floats, "integer indices"),
                     (nothing, "returned None: is a `return` missing?"),
                     (crashes, "IndexError")]:
        result = REGISTRY["minibatch_indices"].run(fn)
        assert result.status == "failed" and text in str(result), (fn.__name__, str(result))


def test_answers_by_hand_and_by_choice_are_not_given_away():
    result = REGISTRY["stable_lr_by_hand"].run(lambda: 0.3)
    assert result.status == "failed" and "0.25" not in str(result)
    result = REGISTRY["loss_curve_lrs"].run(catalogue.curves_small_and_good_swapped)
    assert result.status == "failed" and "2 of the 4" in str(result)
    for lr in ch03.CURVE_RATES:         # no rate is tied to its letter in the report
        assert f"{lr:g}" not in result.hint
    assert REGISTRY["stable_lr_by_hand"].run(lambda: 2 / 8).status == "passed"
    answer = list(ch03._loss_curve_lrs())
    assert REGISTRY["loss_curve_lrs"].run(lambda: answer).status == "passed"


def test_minibatch_report_shows_the_batches_as_lists():
    result = REGISTRY["minibatch_indices"].run(catalogue.mb_one_batch_too_many)
    assert result.status == "failed" and result.mistake == "an extra, empty last batch"
    assert ", []]" in str(result)         # the learner sees the empty batch itself
    assert "-2" not in str(result) and "-1," not in str(result)


def test_float32_steps_are_rejected():
    result = REGISTRY["gd_step"].run(catalogue.gd_in_float32)
    assert result.status == "failed"
    assert "float64" in str(REGISTRY["gd_step"].run(REGISTRY["gd_step"].reference))



def test_module_docstring_names_the_chapter():
    assert "chapter 3" in ch03.__doc__
