"""Gradient clipping: against torch.nn.utils, and the pure array versions."""

import numpy as np
import pytest

from bpcourse import clip

SHAPES = [(5,), (3, 4), (2, 3, 2)]


class Param:
    def __init__(self, data):
        self.data = data
        self.grad = None


def rel_err(x, y):
    return float(np.max(np.abs(x - y)) / max(1e-300, np.max(np.abs(y))))


def test_pure_clip_by_norm_scales_to_max_norm_and_keeps_direction():
    g = np.array([3.0, -4.0])
    before = g.copy()
    clipped, norm = clip.clip_by_norm(g, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped, g / (5.0 + 1e-6), rtol=1e-15)  # PyTorch's 1e-6 guard
    np.testing.assert_array_equal(g, before)  # input untouched
    same, norm = clip.clip_by_norm(g, 10.0)
    np.testing.assert_array_equal(same, g)
    assert norm == 5.0


def test_pure_clip_by_value():
    gs = [np.array([3.0, -4.0, 0.5]), np.array([[-0.2]])]
    clipped, norm = clip.clip_by_value(gs, 1.0)
    np.testing.assert_array_equal(clipped[0], [1.0, -1.0, 0.5])
    np.testing.assert_array_equal(clipped[1], [[-0.2]])
    assert norm == pytest.approx(np.sqrt(9 + 16 + 0.25 + 0.04), rel=1e-15)
    np.testing.assert_array_equal(gs[0], [3.0, -4.0, 0.5])


def test_params_without_grad_are_skipped():
    a, b = Param(np.zeros(2)), Param(np.zeros(2))
    a.grad = np.array([6.0, 8.0])
    assert clip.clip_grad_norm([a, b], 5.0) == 10.0
    assert b.grad is None
    np.testing.assert_allclose(a.grad, [3.0, 4.0], rtol=1e-6)


@pytest.mark.parametrize("call, name", [
    (lambda: clip.clip_by_norm(np.ones(2), -1.0), "max_norm"),
    (lambda: clip.clip_by_norm(np.ones(2), 1.0, norm_type=0), "norm_type"),
    (lambda: clip.clip_by_value(np.ones(2), -1.0), "clip_value"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_nonfinite_norm_can_raise():
    a = Param(np.zeros(2))
    a.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="norm"):
        clip.clip_grad_norm([a], 1.0, error_if_nonfinite=True)


torch = pytest.importorskip("torch")


def grads_pair(seed, scale):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=s) * scale for s in SHAPES]
    ours = [Param(np.zeros(s)) for s in SHAPES]
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
    for p, tp, g in zip(ours, theirs, grads, strict=True):
        p.grad, tp.grad = g.copy(), torch.tensor(g)
    return ours, theirs, grads


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs, grads = grads_pair(1, 2.0)
    norm = clip.clip_grad_norm(ours, max_norm, norm_type)
    tnorm = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert abs(norm - tnorm.item()) <= 1e-12 * tnorm.item()
    for p, tp in zip(ours, theirs, strict=True):
        assert rel_err(p.grad, tp.grad.numpy()) <= 1e-12
    clipped, pure_norm = clip.clip_by_norm(grads, max_norm, norm_type)
    assert pure_norm == norm
    for c, tp in zip(clipped, theirs, strict=True):
        assert rel_err(c, tp.grad.numpy()) <= 1e-12
    if max_norm < norm:  # clipping happened: the clipped gradients have norm max_norm
        assert clip.clip_by_norm(clipped, 1e9, norm_type)[1] == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_value_matches_torch():
    ours, theirs, grads = grads_pair(2, 1.0)
    norm = clip.clip_grad_value(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    assert norm == pytest.approx(np.sqrt(sum(np.sum(g**2) for g in grads)), rel=1e-14)
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad, tp.grad.numpy())
    assert max(np.max(np.abs(p.grad)) for p in ours) == 0.7
