"""Oracle tests: bpcourse's engines against PyTorch in float64.

Values and gradients must agree to a relative error of 1e-10, twice over (see
``assert_close``): over each array, max|ours - torch| / max(max|torch|, 1e-6),
and entry by entry, with an allowance for rounding that scales with the array.
Shapes are drawn by hypothesis (derandomized, so every run tests the same
cases), and each broadcasting test also runs the explicit ``@example``s that a
few dozen draws would miss: a row against a column, a vector against a
column, a scalar against a matrix, and size-1 axes in 3-D. Values come from a
seeded generator per example.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import bpcourse.functional as F
from bpcourse import Tensor, Value, nn

TOL = 1e-10
# Entry by entry, an entry may differ from torch's by TOL * (|torch| + ENTRY_FLOOR * scale).
ENTRY_FLOOR = 1e-3
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)


def assert_close(ours, theirs, what="", entry_floor=ENTRY_FLOOR):
    """ours == torch's ``theirs`` to a relative error of TOL, per array and per entry."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch {theirs.shape}"
    # Per array: the largest difference against the largest entry. The scale has
    # a floor of 1e-6 so that a true zero reached by cancellation (torch:
    # 8.9e-16, exact: 0) does not count as an infinite relative error.
    scale = max(np.max(np.abs(theirs), initial=0.0), 1e-6)
    diff = np.abs(ours - theirs)
    err = np.max(diff, initial=0.0) / scale
    assert err <= TOL, f"{what}: relative error {err:.3e} > {TOL:g}"
    # Per entry. The per-array measure alone lets a small entry be wrong: next to
    # an entry of 1, an entry of 1e-12 could be 0 (a lost tail of sigmoid, say)
    # and still pass. A purely relative rule, |d| <= TOL |torch|, is unsound the
    # other way: an entry that is a sum of terms that cancel (an unbroadcast
    # sum, a layer norm's mean subtracted, p - y) carries a rounding error of
    # about n * eps * sum|terms|, which relative to a tiny result can be any
    # size, in torch as in ours. So each entry gets its relative TOL plus an
    # absolute allowance of TOL * ENTRY_FLOOR * scale = 1e-13 * scale: that
    # covers the rounding of sums of up to n ~ ENTRY_FLOOR * TOL / eps ~ 450
    # terms of the array's size (n * 2.2e-16 * scale), while an entry 1000 times
    # smaller than the largest is still held to a relative error of 2e-10.
    # Where no entry is a sum (elementwise functions), nothing can cancel and the
    # tests pass entry_floor=0: every entry then matches to a relative TOL alone.
    bound = TOL * (np.abs(theirs) + entry_floor * scale)
    bad = diff > bound
    if bad.any():
        i = np.unravel_index(int(np.argmax(diff / bound)), diff.shape)
        raise AssertionError(
            f"{what}: entry {tuple(int(j) for j in i)} is {float(ours[i])!r}, "
            f"torch {float(theirs[i])!r}: "
            f"difference {diff[i]:.3e} > TOL * (|torch| + {entry_floor:g} * {scale:.3g}) "
            f"= {bound[i]:.3e}")


def test_assert_close_checks_every_entry_and_allows_for_cancellation():
    big = torch.tensor([1.0, 1e-12], dtype=torch.float64)
    assert_close([1.0 + 5e-11, 1e-12 * (1 + 5e-11)], big)  # relative 5e-11 everywhere
    with pytest.raises(AssertionError, match=r"relative error"):
        assert_close([1.0 + 2e-10, 1e-12], big)  # the per-array measure
    with pytest.raises(AssertionError, match=r"entry \(1,\)"):
        assert_close([1.0, 0.0], big)  # a lost tail: per array it would pass (1e-12)
    # a cancellation-sized error next to the array's scale is allowed: 1e-14 on
    # an entry of 1e-8 is a relative 1e-6, but only 1e-14 of the scale 1
    assert_close([1.0, 1e-8 + 1e-14], torch.tensor([1.0, 1e-8], dtype=torch.float64))


def pair(data, requires_grad=True):
    """The same float64 array as a bpcourse Tensor and a torch tensor."""
    return (Tensor(data, requires_grad=requires_grad),
            torch.tensor(data, dtype=torch.float64, requires_grad=requires_grad))


def check_op(op, arrays, torch_op=None, seed=0, entry_floor=ENTRY_FLOOR):
    """op on Tensors vs torch_op (default: op) on torch tensors; values and all gradients."""
    torch_op = torch_op or op
    ours, theirs = zip(*(pair(a) for a in arrays), strict=True)
    out, ref = op(*ours), torch_op(*theirs)
    assert_close(out.data, ref, "value", entry_floor)
    w = np.random.default_rng(seed).normal(size=out.shape)  # a non-trivial dL/d out
    out.backward(w)
    ref.backward(torch.from_numpy(w))
    for i, (t, r) in enumerate(zip(ours, theirs, strict=True)):
        assert t.grad is not None, f"input {i} got no gradient"
        assert_close(t.grad, r.grad, f"grad of input {i}", entry_floor)


# -- elementwise binary ops with broadcasting ------------------------------


@st.composite
def broadcast_pairs(draw, max_dims=3, max_side=4):
    """Two shapes that broadcast together, drawn so that rows meet columns.

    One full shape (sides 2 to max_side) first; then each operand, on its own,
    keeps only some trailing axes and shrinks some of those to 1. From (3, 4)
    this gives (1, 4) against (3, 1), (4,) against (3, 1), () against (3, 4),
    ...: the pairs that ``mutually_broadcastable_shapes`` seldom draws.
    """
    nd = draw(st.integers(0, max_dims))
    full = draw(st.lists(st.integers(2, max_side), min_size=nd, max_size=nd))
    shapes = []
    for _ in range(2):
        keep = draw(st.integers(0, nd))
        ones = draw(st.lists(st.booleans(), min_size=keep, max_size=keep))
        shapes.append(tuple(1 if one else n for one, n in zip(ones, full[nd - keep:],
                                                              strict=True)))
    return tuple(shapes)


# hypothesis's own generator too, for the shapes the one above never makes
# (a size-1 axis in both operands, differing numbers of axes with no 1s, ...)
BROADCAST_SHAPES = st.one_of(
    broadcast_pairs(),
    mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                  max_side=4).map(lambda s: s.input_shapes),
)

# Run on every binary test whatever hypothesis draws: (1,n) vs (m,1), (n,) vs
# (m,1), () vs (m,n), (m,1) vs (1,n), size-1 axes in 3-D, each way round, and
# operands whose gradient must be summed over missing leading axes *and* over
# stretched 1s at once ((3, 1) against (2, 1, 4)).
BROADCAST_EXAMPLES = [
    ((1, 4), (3, 1)), ((3, 1), (1, 4)),
    ((4,), (3, 1)), ((3, 1), (4,)),
    ((), (3, 4)), ((3, 4), ()),
    ((2, 1, 4), (1, 3, 1)), ((1, 3, 1), (2, 1, 4)),
    ((2, 3, 4), (1, 3, 1)), ((2, 1, 1), (3, 4)), ((4,), (2, 3, 1)),
    ((3, 1), (2, 1, 4)), ((2, 1, 4), (3, 1)),
    ((3, 4), (3, 4)),
]


def with_examples(name, values, **fixed):
    """Add ``name=value`` (with the ``fixed`` arguments) for each value as a hypothesis example."""
    def decorate(test):
        for value in reversed(values):
            test = example(**{name: value}, **fixed)(test)
        return test
    return decorate


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@with_examples("shapes", BROADCAST_EXAMPLES, seed=0)
@given(shapes=BROADCAST_SHAPES, seed=seeds)
def test_binary_ops_broadcast_like_torch(name, shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    if name == "div":
        b = np.sign(b) * (np.abs(b) + 0.5)  # away from zero
    if name == "pow":
        a = np.abs(a) + 0.1  # a real power needs a positive base
    check_op(BINARY[name], [a, b], seed=seed)


@SETTINGS
@with_examples("shapes", BROADCAST_EXAMPLES, seed=0)
@given(shapes=BROADCAST_SHAPES, seed=seeds)
def test_maximum_like_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    check_op(lambda x, y: x.maximum(y), [a, b], torch.maximum, seed)


def test_maximum_splits_the_gradient_at_ties_like_torch():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 5.0, 0.0])
    check_op(lambda x, y: x.maximum(y), [a, b], torch.maximum)


@pytest.mark.parametrize(
    "op",
    [lambda a: 2.5 - a, lambda a: a - 2.5, lambda a: 3.0 / a, lambda a: a / 3.0,
     lambda a: 2.0 * a + 1.0, lambda a: 1.0 + a * 2.0, lambda a: 2.0**a, lambda a: a**3,
     lambda a: a**-1.5],
)
def test_numbers_on_either_side_like_torch(op):
    a = np.random.default_rng(1).uniform(0.5, 2.0, size=(3, 4))
    check_op(op, [a])


def test_numpy_arrays_on_either_side():
    rng = np.random.default_rng(2)
    a, c = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    ct = torch.from_numpy(c)
    check_op(lambda x: c * x - c / (x * x + 1.0) + (c @ x.T)[:, None], [a],
             lambda x: ct * x - ct / (x * x + 1.0) + (ct @ x.T)[:, None])
    t = Tensor(a)
    assert isinstance(c + t, Tensor) and isinstance(c @ t.T, Tensor)


# -- unary ops ----------------------------------------------------------------

UNARY = {
    "neg": (lambda a: -a, None, "any"),
    "exp": (lambda a: a.exp(), None, "any"),
    "log": (lambda a: a.log(), None, "positive"),
    "sqrt": (lambda a: a.sqrt(), None, "positive"),
    "abs": (lambda a: a.abs(), None, "any"),
    "tanh": (lambda a: a.tanh(), None, "any"),
    "sigmoid": (lambda a: a.sigmoid(), None, "wide"),
    "relu": (lambda a: a.relu(), None, "any"),
    "pow2": (lambda a: a**2, None, "any"),
    "pow_frac": (lambda a: a**0.7, None, "positive"),
    "pow0": (lambda a: a**0, None, "any"),
    "clip": (lambda a: a.clip(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), "any"),
    "clip_min": (lambda a: a.clip(min=0.1), lambda a: a.clamp(min=0.1), "any"),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.1),
                   lambda a: torch.nn.functional.leaky_relu(a, 0.1), "any"),
    "f.relu": (F.relu, torch.relu, "any"),
    "f.tanh": (F.tanh, torch.tanh, "any"),
    "f.sigmoid": (F.sigmoid, torch.sigmoid, "wide"),
}


@pytest.mark.parametrize("name", list(UNARY))
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=5), seed=seeds)
def test_unary_ops_like_torch(name, shape, seed):
    op, torch_op, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    if domain == "positive":
        a = np.abs(a) + 0.1
    elif domain == "wide":
        a = a * 30.0  # sigmoid far into both tails
    # Elementwise: each entry of the value and of the gradient is its own short
    # formula, with no sum to cancel, so each must match torch to a relative
    # 1e-10 however small it is (sigmoid(-60) = 8.7e-27 computed as 1 - 1/(1 + e^-60)
    # would be 0, an error invisible next to the array's largest entry).
    check_op(op, [a], torch_op, seed, entry_floor=0.0)


def test_sigmoid_is_stable_at_1000():
    out = Tensor([-1000.0, 0.0, 1000.0]).sigmoid()
    assert np.all(np.isfinite(out.data))
    assert_close(out.data, torch.sigmoid(torch.tensor([-1000.0, 0.0, 1000.0],
                                                      dtype=torch.float64)))


# -- reductions and shapes ----------------------------------------------------


@st.composite
def shape_and_axis(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    nd = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axis = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd,
                                   unique=True)))
    return shape, axis, draw(st.booleans())


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@SETTINGS
@given(case=shape_and_axis(), seed=seeds)
def test_sum_and_mean_with_axis_and_keepdims_like_torch(reduction, case, seed):
    shape, axis, keepdims = case
    a = np.random.default_rng(seed).normal(size=shape)

    def ours(x):
        return getattr(x, reduction)(axis=axis, keepdims=keepdims)

    def theirs(x):
        f = torch.sum if reduction == "sum" else torch.mean
        return f(x) if axis is None and not keepdims else f(
            x, dim=axis if axis is not None else tuple(range(x.ndim)), keepdim=keepdims)

    check_op(ours, [a], theirs, seed)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), seed=seeds)
def test_reshape_transpose_and_T_like_torch(shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    perm = tuple(int(i) for i in rng.permutation(len(shape)))
    check_op(lambda x: x.reshape(-1), [a], seed=seed)
    check_op(lambda x: x.reshape(int(np.prod(shape)), 1) * 2.0,
             [a], lambda x: x.reshape(-1, 1) * 2.0, seed)
    check_op(lambda x: x.transpose(perm), [a], lambda x: x.permute(perm), seed)
    check_op(lambda x: x.T if isinstance(x, Tensor) else x.permute(*reversed(range(x.ndim))),
             [a], seed=seed)


INDEXES = [
    1, -1, slice(1, 3), (slice(None), 0), (0, slice(None, None, 2)),
    np.array([0, 2, 2, 1]), (np.array([0, 0, 2]), np.array([1, 1, 3])),
    (slice(None), np.array([3, 0, 3])), (Ellipsis, 1), (None, 1),
]


def torch_index(index):
    """The same index for torch, with the axes numpy would give.

    Torch places the axes of an advanced index as numpy does only if the
    integers among them are integer *arrays*: numpy gives x[0, :, [1, 2]] the
    shape (2, n), torch (n, 2). So where the index holds an integer array, each
    int i becomes the array [i], which numpy would broadcast the same way.
    """
    parts = index if isinstance(index, tuple) else (index,)
    advanced = any(isinstance(i, np.ndarray) for i in parts)

    def one(i):
        if isinstance(i, np.ndarray):
            return torch.from_numpy(i)
        if advanced and isinstance(i, (int, np.integer)):
            return torch.tensor([int(i)])
        return i

    return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)


def check_index(shape, index, seed=0):
    a = np.random.default_rng(seed).normal(size=shape)
    check_op(lambda x: x[index] if isinstance(x, Tensor) else x[torch_index(index)], [a],
             seed=seed)


@pytest.mark.parametrize("index", INDEXES, ids=lambda i: repr(i).replace(" ", ""))
def test_indexing_scatters_the_gradient_like_torch(index):
    check_index((3, 4), index, seed=3)


@st.composite
def shape_and_index(draw):
    """A shape and an index into it: per axis an int, a slice or an integer array.

    Integer arrays (all of one length, so that they broadcast together) repeat
    entries often, which is what the scatter of the gradient must add up.
    """
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    n_parts = draw(st.integers(1, len(shape)))
    length = draw(st.integers(1, 6))
    parts = []
    for n in shape[:n_parts]:
        kind = draw(st.sampled_from(["int", "slice", "array"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.none() | st.integers(-n - 1, n + 1)
            parts.append(slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3))))
        else:
            entries = st.lists(st.integers(-n, n - 1), min_size=length, max_size=length)
            parts.append(np.array(draw(entries), dtype=np.int64))
    bare = n_parts == 1 and draw(st.booleans())  # x[i] rather than x[(i,)]
    return shape, parts[0] if bare else tuple(parts)


@SETTINGS
@example(case=((3, 4), np.array([2, 0, 2, 2])), seed=0)                  # rows, repeated
@example(case=((3, 4), (slice(None), np.array([3, 3, 0]))), seed=0)      # columns, repeated
@example(case=((3, 4), (np.array([0, 0, 2]), np.array([1, 1, 3]))), seed=0)  # same entry twice
@example(case=((2, 3, 4), (1, slice(None), np.array([0, 0]))), seed=0)   # int, slice, array
@example(case=((2, 3, 4), (np.array([1, 1]), slice(1, None), 2)), seed=0)
@example(case=((2, 3, 4), (-1, slice(None, None, 2), -2)), seed=0)
@example(case=((5,), slice(4, 1)), seed=0)                                 # empty
@given(case=shape_and_index(), seed=seeds)
def test_drawn_indexing_scatters_the_gradient_like_torch(case, seed):
    check_index(*case, seed=seed)


def test_indexing_with_an_integer_tensor():
    a = np.arange(6.0).reshape(3, 2)
    t = Tensor(a, requires_grad=True)
    t[Tensor([2, 2, 0])].sum().backward()
    assert_close(t.grad, np.array([[1, 1], [0, 0], [2, 2]]))


@st.composite
def matmul_shapes(draw):
    """Shapes of A and B for A @ B: each 1-D, 2-D or with batch axes that broadcast."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(broadcast_pairs(max_dims=2, max_side=3))
    sa = (k,) if draw(st.integers(0, 3)) == 0 else batch_a + (n, k)
    sb = (k,) if draw(st.integers(0, 3)) == 0 else batch_b + (k, m)
    return sa, sb


MATMUL_SHAPES = [
    ((4,), (4,)), ((4,), (4, 3)), ((2, 4), (4,)), ((2, 4), (4, 3)),
    ((5, 2, 4), (5, 4, 3)), ((1, 2, 4), (5, 4, 3)), ((5, 2, 4), (4, 3)),
    ((4,), (5, 4, 3)), ((5, 2, 4), (4,)), ((2, 1, 2, 4), (3, 4, 2)),
    ((3, 1, 2, 4), (1, 2, 4, 3)),  # batch axes broadcast both ways
]


@SETTINGS
@with_examples("shapes", MATMUL_SHAPES, seed=4)
@given(shapes=matmul_shapes(), seed=seeds)
def test_matmul_1d_2d_and_batched_like_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes
    check_op(lambda x, y: x @ y, [rng.normal(size=sa), rng.normal(size=sb)], seed=seed)


# -- functional -------------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, 0, 1])
@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 6), seed=seeds, scale=st.sampled_from([1.0, 1e3]))
def test_softmax_and_log_softmax_like_torch(axis, n, c, seed, scale):
    z = np.random.default_rng(seed).normal(size=(n, c)) * scale
    check_op(lambda x: F.softmax(x, axis=axis), [z],
             lambda x: torch.softmax(x, dim=axis), seed)
    check_op(lambda x: F.log_softmax(x, axis=axis), [z],
             lambda x: torch.log_softmax(x, dim=axis), seed)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(1, 5), seed=seeds, scale=st.sampled_from([1.0, 1e3]))
def test_cross_entropy_like_torch(reduction, n, c, seed, scale):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, c)) * scale  # scale 1000: logits of +-1000 must not overflow
    y = rng.integers(0, c, size=n)
    check_op(lambda x: F.cross_entropy(x, y, reduction=reduction), [z],
             lambda x: torch.nn.functional.cross_entropy(x, torch.from_numpy(y),
                                                         reduction=reduction), seed)


def test_cross_entropy_single_example_like_torch():
    z = np.array([0.5, -1.0, 2.0])
    check_op(lambda x: F.cross_entropy(x, 2), [z],
             lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(2)))


def test_cross_entropy_at_logits_of_plus_minus_1000():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    y = np.array([1, 2])
    check_op(lambda x: F.cross_entropy(x, y), [z],
             lambda x: torch.nn.functional.cross_entropy(x, torch.from_numpy(y)))
    out = F.cross_entropy(Tensor(z), y)
    assert out.item() == pytest.approx(1000.0)  # (2000 + 0) / 2, finite


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), seed=seeds)
def test_mse_loss_like_torch(shape, seed):
    rng = np.random.default_rng(seed)
    check_op(F.mse_loss, [rng.normal(size=shape), rng.normal(size=shape)],
             torch.nn.functional.mse_loss, seed)


@SETTINGS
@example(batch=(), n_in=4, n_out=3, bias=True, seed=5)
@example(batch=(6,), n_in=4, n_out=3, bias=False, seed=5)
@example(batch=(2, 3), n_in=4, n_out=1, bias=True, seed=5)
@example(batch=(1,), n_in=1, n_out=3, bias=True, seed=5)
@given(batch=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),
       n_in=st.integers(1, 5), n_out=st.integers(1, 5), bias=st.booleans(), seed=seeds)
def test_linear_like_torch(batch, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=batch + (n_in,)), rng.normal(size=(n_out, n_in))]
    if bias:
        arrays.append(rng.normal(size=n_out))
    check_op(F.linear, arrays, torch.nn.functional.linear, seed)


# -- modules ------------------------------------------------------------------


def copy_into_torch(ours, theirs):
    named = dict(theirs.named_parameters())
    ours_named = ours.named_parameters()
    assert len(named) == len(ours_named)
    with torch.no_grad():
        for name, p in ours_named:
            named[name].copy_(torch.from_numpy(p.data))
    return named


def check_module(ours, theirs, x, seed=0):
    named = copy_into_torch(ours, theirs)
    xt, xr = pair(x)
    out, ref = ours(xt), theirs(xr)
    assert_close(out.data, ref, "output")
    w = np.random.default_rng(seed).normal(size=out.shape)
    out.backward(w)
    ref.backward(torch.from_numpy(w))
    assert_close(xt.grad, xr.grad, "grad of input")
    for name, p in ours.named_parameters():
        assert_close(p.grad, named[name].grad, f"grad of {name}")


TORCH_ACT = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid,
             "leaky_relu": torch.nn.LeakyReLU}


@pytest.mark.parametrize("activation", list(TORCH_ACT))
@settings(max_examples=15, deadline=None, derandomize=True)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5), batch=st.integers(1, 5),
       seed=seeds)
def test_mlp_like_torch(activation, sizes, batch, seed):
    rng = np.random.default_rng(seed)
    ours = nn.MLP(sizes, activation=activation, rng=rng)
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64))
        if i < len(sizes) - 2:
            mods.append(TORCH_ACT[activation]())
    theirs = torch.nn.Module()
    theirs.layers = torch.nn.Sequential(*mods)
    theirs.forward = theirs.layers.forward
    check_module(ours, theirs, rng.normal(size=(batch, sizes[0])), seed)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=3, max_side=5), k=st.integers(1, 2),
       seed=seeds)
def test_layernorm_like_torch(shape, k, seed):
    # (over 1 or 2 entries layer norm is degenerate: the output is +-1 whatever the
    # input, the input gradient is 0 up to eps, and only rounding noise is compared)
    k = min(k, len(shape))
    normalized = shape[len(shape) - k:]
    rng = np.random.default_rng(seed)
    ours = nn.LayerNorm(normalized)
    ours.weight.data[...] = rng.normal(size=normalized)  # not just 1 and 0
    ours.bias.data[...] = rng.normal(size=normalized)
    theirs = torch.nn.LayerNorm(normalized, dtype=torch.float64)
    check_module(ours, theirs, rng.normal(size=shape) * 3.0 + 1.0, seed)


@pytest.mark.parametrize("norm", [False, True])
def test_residual_block_like_torch(norm):
    rng = np.random.default_rng(6)
    ours = nn.ResidualBlock(5, activation="tanh", norm=norm, rng=rng)

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            if norm:
                self.norm = torch.nn.LayerNorm(5, dtype=torch.float64)
            self.linear = torch.nn.Linear(5, 5, dtype=torch.float64)

        def forward(self, x):
            h = self.norm(x) if norm else x
            return x + torch.tanh(self.linear(h))

    check_module(ours, Block(), rng.normal(size=(4, 5)))


def test_sequential_residual_and_leaky_relu_like_torch():
    rng = np.random.default_rng(7)
    ours = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.LeakyReLU(0.2),
                         nn.Residual(nn.Sequential(nn.Linear(4, 4, rng=rng), nn.Sigmoid())),
                         nn.Linear(4, 2, bias=False, rng=rng))

    class Res(torch.nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return x + self.fn(x)

    f64 = {"dtype": torch.float64}
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4, **f64), torch.nn.LeakyReLU(0.2),
        Res(torch.nn.Sequential(torch.nn.Linear(4, 4, **f64), torch.nn.Sigmoid())),
        torch.nn.Linear(4, 2, bias=False, **f64))
    check_module(ours, theirs, rng.normal(size=(6, 3)))


def test_training_step_loss_and_grads_like_torch():
    """A whole step: MLP, cross-entropy, backward; then one SGD update, twice."""
    rng = np.random.default_rng(8)
    ours = nn.MLP([4, 8, 3], activation="tanh", rng=rng)
    theirs = torch.nn.Module()
    theirs.layers = torch.nn.Sequential(torch.nn.Linear(4, 8, dtype=torch.float64),
                                        torch.nn.Tanh(),
                                        torch.nn.Linear(8, 3, dtype=torch.float64))
    named = copy_into_torch(ours, theirs)
    X, y = rng.normal(size=(10, 4)), rng.integers(0, 3, size=10)
    for _ in range(2):
        loss = F.cross_entropy(ours(Tensor(X)), y)
        ref = torch.nn.functional.cross_entropy(theirs.layers(torch.from_numpy(X)),
                                                torch.from_numpy(y))
        ours.zero_grad()
        theirs.zero_grad()
        loss.backward()
        ref.backward()
        assert_close(loss.data, ref, "loss")
        for name, p in ours.named_parameters():
            assert_close(p.grad, named[name].grad, name)
            p.data -= 0.5 * p.grad
            with torch.no_grad():
                named[name] -= 0.5 * named[name].grad


# -- Value against torch on random expression trees ---------------------------


def random_expression(seed, n_ops=60):
    """The same random DAG of scalar operations in Value and in torch."""
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=6)
    leaves_v = [Value(float(x)) for x in xs]
    leaves_t = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    pool_v, pool_t = list(leaves_v), list(leaves_t)
    ops = [
        (2, lambda a, b: a + b), (2, lambda a, b: a - b), (2, lambda a, b: a * b),
        (2, lambda a, b: a / (b * b + 1.0)), (2, lambda a, b: (a.sigmoid() + 0.5) ** b.tanh()),
        (1, lambda a: a.tanh()), (1, lambda a: a.sigmoid()), (1, lambda a: a.tanh().exp()),
        (1, lambda a: (a * a + 1.0).log()), (1, lambda a: a.relu()), (1, lambda a: -a),
        (1, lambda a: a**2), (1, lambda a: 0.5 * a + 1.0), (1, lambda a: 2.0 - a),
        (1, lambda a: 1.0 / (1.0 + a * a)), (1, lambda a: 1.5**a.tanh()),
    ]
    for _ in range(n_ops):
        arity, f = ops[rng.integers(len(ops))]
        # prefer recent nodes for depth, but reuse old ones for shared nodes
        idx = [int(min(len(pool_v) - 1, abs(rng.normal(0, 6)))) for _ in range(arity)]
        idx = [len(pool_v) - 1 - i for i in idx]
        pool_v.append(f(*(pool_v[i] for i in idx)))
        pool_t.append(f(*(pool_t[i] for i in idx)))
    out_v = sum(pool_v[-8:], Value(0.0)) + sum(leaves_v, Value(0.0)) * 0.1
    out_t = sum(pool_t[-8:], torch.tensor(0.0, dtype=torch.float64)) + sum(leaves_t) * 0.1
    return out_v, out_t, leaves_v, leaves_t


@pytest.mark.parametrize("seed", range(12))
def test_value_matches_torch_on_random_expression_trees(seed):
    out_v, out_t, leaves_v, leaves_t = random_expression(seed)
    n_nodes = len(out_v.backward_order())
    assert n_nodes >= 50
    out_v.backward()
    out_t.backward()
    assert_close(out_v.data, out_t, "value")
    for i, (v, t) in enumerate(zip(leaves_v, leaves_t, strict=True)):
        assert math.isfinite(v.grad)
        assert_close(v.grad, t.grad, f"grad of leaf {i}")


# -- chapter 6: batch normalization ---------------------------------------------


def check_batchnorm(shape, seed, momentum=0.1, affine=True, track=True, n_train=3):
    """Several training batches, then evaluation: outputs, every gradient and the
    running statistics against torch.nn.BatchNorm1d after each call."""
    rng = np.random.default_rng(seed)
    C = shape[1]
    ours = nn.BatchNorm1d(C, momentum=momentum, affine=affine, track_running_stats=track)
    theirs = torch.nn.BatchNorm1d(C, momentum=momentum, affine=affine,
                                  track_running_stats=track, dtype=torch.float64)
    if affine:
        ours.weight.data[...] = rng.normal(size=C)  # not just 1 and 0
        ours.bias.data[...] = rng.normal(size=C)
    named = copy_into_torch(ours, theirs)
    for step in range(n_train + 2):
        if step == n_train:
            ours.eval()
            theirs.eval()
        x = rng.normal(size=shape) * rng.uniform(0.5, 3.0) + rng.normal()
        xt, xr = pair(x)
        out, ref = ours(xt), theirs(xr)
        assert_close(out.data, ref, f"output, call {step}")
        w = rng.normal(size=out.shape)
        out.backward(w)
        ref.backward(torch.from_numpy(w))
        assert_close(xt.grad, xr.grad, f"grad of input, call {step}")
        for name, p in ours.named_parameters():
            assert_close(p.grad, named[name].grad, f"grad of {name}, call {step}")
            p.grad, named[name].grad = None, None
        if track:
            assert_close(ours.running_mean, theirs.running_mean, f"running_mean, call {step}")
            assert_close(ours.running_var, theirs.running_var, f"running_var, call {step}")
            assert ours.num_batches_tracked == int(theirs.num_batches_tracked)
        else:
            assert ours.running_mean is None and theirs.running_mean is None


@SETTINGS
@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=3, max_side=5), seed=seeds)
def test_batchnorm1d_like_torch_in_training_and_eval(shape, seed):
    # (with 2 values per channel x_hat is +-1 whatever the input and the input
    # gradient in training is 0 up to rounding, as for layer norm above: N >= 3)
    check_batchnorm(shape, seed)


@pytest.mark.parametrize("shape", [(3, 3), (7, 4), (3, 2, 5)])
@pytest.mark.parametrize(("momentum", "affine", "track"),
                         [(None, True, True), (0.5, False, True), (0.1, True, False),
                          (0.1, False, False)])
def test_batchnorm1d_options_like_torch(shape, momentum, affine, track):
    check_batchnorm(shape, 3, momentum=momentum, affine=affine, track=track)


def test_batchnorm1d_needs_two_values_per_channel_when_training():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(Tensor(np.ones((1, 3))))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        bn(Tensor(np.ones((4, 2))))
    bn.eval()  # a batch of one is fine in evaluation mode, as in torch
    ref = torch.nn.BatchNorm1d(3, dtype=torch.float64).eval()
    x = np.array([[1.0, -2.0, 0.5]])
    assert_close(bn(Tensor(x)).data, ref(torch.from_numpy(x)), "batch of one, eval")


def test_train_and_eval_reach_every_submodule():
    net = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0)), nn.BatchNorm1d(4),
                        nn.ReLU())
    assert net.training and net[1].training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not net[1].training
