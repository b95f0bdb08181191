"""Unit tests of the scalar engine, bpcourse.Value, against closed forms."""

import math

import pytest

from bpcourse import Value
from bpcourse.value import backward_steps, topological_order


def grad_of(f, *xs):
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


@pytest.mark.parametrize(
    "f, df, x",
    [
        (lambda a: a + 2, lambda x: 1.0, 1.5),
        (lambda a: 2 + a, lambda x: 1.0, 1.5),
        (lambda a: a - 3, lambda x: 1.0, 1.5),
        (lambda a: 3 - a, lambda x: -1.0, 1.5),
        (lambda a: a * 4, lambda x: 4.0, 1.5),
        (lambda a: 4 * a, lambda x: 4.0, 1.5),
        (lambda a: a / 4, lambda x: 0.25, 1.5),
        (lambda a: 4 / a, lambda x: -4 / x**2, 1.5),
        (lambda a: a**3, lambda x: 3 * x**2, 1.5),
        (lambda a: a**-0.5, lambda x: -0.5 * x**-1.5, 1.5),
        (lambda a: 2**a, lambda x: 2**x * math.log(2), 1.5),
        (lambda a: -a, lambda x: -1.0, 1.5),
        (lambda a: a.exp(), lambda x: math.exp(x), 1.5),
        (lambda a: a.log(), lambda x: 1 / x, 1.5),
        (lambda a: a.tanh(), lambda x: 1 - math.tanh(x) ** 2, 0.3),
        (lambda a: a.sigmoid(), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, 0.3),
        (lambda a: a.relu(), lambda x: 1.0, 0.3),
        (lambda a: a.relu(), lambda x: 0.0, -0.3),
    ],
)
def test_each_op_matches_its_closed_form_derivative(f, df, x):
    _, (g,) = grad_of(f, x)
    assert g == pytest.approx(df(x), rel=1e-12)


def test_value_power_value_gives_both_partial_derivatives():
    out, (ga, gb) = grad_of(lambda a, b: a**b, 1.7, 2.3)
    assert out == pytest.approx(1.7**2.3)
    assert ga == pytest.approx(2.3 * 1.7**1.3, rel=1e-12)
    assert gb == pytest.approx(1.7**2.3 * math.log(1.7), rel=1e-12)


def test_diamond_accumulates_over_both_paths():
    # b = a*a + a uses a three times: db/da = 2a + 1, not 2a or 1
    a = Value(3.0)
    b = a * a + a
    b.backward()
    assert a.grad == 7.0


def test_same_operand_twice_in_one_op():
    a = Value(-2.0)
    (a + a).backward()
    assert a.grad == 2.0
    a2 = Value(5.0)
    (a2 * a2).backward()
    assert a2.grad == 10.0


def test_chain_of_100000_nodes_has_no_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**100_000, rel=1e-9)
    assert len(topological_order(y)) == 200_001  # 100,000 constants too


def test_leaves_accumulate_across_calls_and_intermediates_do_not():
    a = Value(2.0)
    h = a * a  # intermediate
    out = h * 3.0
    out.backward()
    assert (a.grad, h.grad) == (12.0, 3.0)
    out.backward()
    assert a.grad == 24.0  # leaf: accumulates, like torch
    assert h.grad == 3.0  # intermediate: reset, then this pass's value only
    out.zero_grad()
    assert a.grad == 0.0 and h.grad == 0.0 and out.grad == 0.0


def test_backward_on_a_leaf_accumulates_one():
    a = Value(4.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


def test_backward_order_puts_each_node_before_its_inputs():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = d.backward_order()
    assert order[0] is d
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert pos[id(p)] > pos[id(node)]
    assert {id(n) for n in order} == {id(a), id(b), id(c), id(d)}


def test_backward_steps_equals_backward_and_reports_contributions():
    a, b = Value(1.5), Value(-2.0)
    out = (a * b + a).tanh()
    steps = list(backward_steps(out))
    stepped = (a.grad, b.grad)
    assert [s.node.op for s in steps] == ["tanh", "+", "*"]
    t = math.tanh(1.5 * -2.0 + 1.5)
    assert steps[0].local_grads == pytest.approx((1 - t * t,))
    assert steps[0].contributions == pytest.approx((1 - t * t,))
    a.grad = b.grad = 0.0
    out.backward()
    assert stepped == (a.grad, b.grad)


def test_sigmoid_is_stable_at_extremes():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    small = Value(-40.0).sigmoid()
    assert small.data == pytest.approx(math.exp(-40.0), rel=1e-12)  # no cancellation


def test_relu_derivative_at_zero_is_zero_as_torch():
    _, (g,) = grad_of(lambda a: a.relu(), 0.0)
    assert g == 0.0


def test_power_edge_cases_follow_torch():
    # d/db of a**b at a = 0 is taken as 0, at a < 0 it is nan
    _, (ga, gb) = grad_of(lambda a, b: a**b, 0.0, 2.0)
    assert (ga, gb) == (0.0, 0.0)
    _, (ga, gb) = grad_of(lambda a, b: a**b, -2.0, 3.0)
    assert ga == 12.0 and math.isnan(gb)
    _, (g,) = grad_of(lambda a: a**0, 3.0)
    assert g == 0.0


@pytest.mark.parametrize("bad", ["2", None, [1.0], True])
def test_bad_operands_raise_a_clear_type_error(bad):
    a = Value(1.0)
    for op in (lambda: a + bad, lambda: bad * a, lambda: a**bad, lambda: bad - a):
        with pytest.raises(TypeError, match="Value"):
            op()
    with pytest.raises(TypeError, match="real number"):
        Value("3")


def test_domain_errors_are_value_errors():
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0


def test_labels_ops_and_repr():
    a = Value(2.0, label="a")
    b = a.exp()
    assert b.op == "exp" and b.parents == (a,) and a.op == ""
    assert "a: data=2" in repr(a)


# -- every operation against central finite differences ------------------------
#
# Independent of the closed forms above: the derivative of f at x is estimated
# as (f(x + h) - f(x - h)) / 2h in float64, with f evaluated through Value's own
# forward pass. The truncation error is about h^2 |f'''| / 6 ~ 1e-12 and the
# round-off about 1e-16 |f| / h ~ 1e-10 for h = 1e-6, so a correct derivative
# agrees to a relative error far below the 1e-7 asked here, while a wrong one
# (a missing factor, a sign) is off by order 1. Points stay away from the
# kink of relu (|x| >= 0.3 >> h) and inside each function's domain.

H = 1e-6
FD_TOL = 1e-7


def central_differences(f, xs):
    """d f / d x_i for each i, by central differences on the plain numbers ``xs``."""
    grads = []
    for i in range(len(xs)):
        plus, minus = list(xs), list(xs)
        plus[i] += H
        minus[i] -= H
        fp = f(*(Value(x) for x in plus)).data
        fm = f(*(Value(x) for x in minus)).data
        grads.append((fp - fm) / (2 * H))
    return grads


def rel_err(a, b):
    return abs(a - b) / max(1e-8, abs(a) + abs(b))  # the CS231n rule, as bpcourse.gradcheck


# Every Value operation, with numbers on either side; each entry is
# (name, f, points), and f is checked at every point.
FD_OPS = [
    ("Value + Value", lambda a, b: a + b, [(1.5, -0.7), (-2.0, 3.0)]),
    ("Value + number", lambda a: a + 2.5, [(1.5,), (-0.4,)]),
    ("number + Value", lambda a: 2.5 + a, [(1.5,), (-0.4,)]),
    ("Value - Value", lambda a, b: a - b, [(1.5, -0.7), (-2.0, 3.0)]),
    ("Value - number", lambda a: a - 2.5, [(1.5,), (-0.4,)]),
    ("number - Value", lambda a: 2.5 - a, [(1.5,), (-0.4,)]),
    ("Value * Value", lambda a, b: a * b, [(1.5, -0.7), (-2.0, 3.0)]),
    ("Value * number", lambda a: a * -3.0, [(1.5,), (-0.4,)]),
    ("number * Value", lambda a: -3.0 * a, [(1.5,), (-0.4,)]),
    ("Value / Value", lambda a, b: a / b, [(1.5, -0.7), (-2.0, 3.0)]),
    ("Value / number", lambda a: a / -3.0, [(1.5,), (-0.4,)]),
    ("number / Value", lambda a: -3.0 / a, [(1.5,), (-0.4,)]),
    ("Value ** integer", lambda a: a**3, [(1.5,), (-0.4,)]),
    ("Value ** negative integer", lambda a: a**-2, [(1.5,), (-0.4,)]),
    ("Value ** fraction", lambda a: a**0.5, [(1.5,), (0.4,)]),
    ("Value ** negative fraction", lambda a: a**-1.5, [(1.5,), (0.4,)]),
    ("Value ** 0", lambda a: a**0, [(1.5,), (-0.4,)]),
    ("Value ** Value", lambda a, b: a**b, [(1.7, 2.3), (0.4, -1.2)]),
    ("Value ** Value, integer exponent, negative base", lambda a: a ** Value(3.0),
     [(-1.3,)]),
    ("number ** Value", lambda b: 2.0**b, [(1.5,), (-0.4,)]),
    ("fraction ** Value", lambda b: 0.3**b, [(1.5,), (-0.4,)]),
    ("-Value", lambda a: -a, [(1.5,), (-0.4,)]),
    ("exp", lambda a: a.exp(), [(1.5,), (-0.4,), (-7.0,)]),
    ("log", lambda a: a.log(), [(1.5,), (0.4,), (20.0,)]),
    ("tanh", lambda a: a.tanh(), [(0.3,), (-1.2,), (3.0,)]),
    ("sigmoid", lambda a: a.sigmoid(), [(0.3,), (-1.2,), (4.0,), (-9.0,)]),
    ("relu", lambda a: a.relu(), [(0.3,), (2.0,), (-0.3,), (-2.0,)]),
    # a composition with a shared node: the sum over paths, numerically
    ("composition", lambda a, b: (a * b + a).tanh() * (b - a).exp() / (1 + a * a)
     + (2 * b).sigmoid() ** a, [(0.7, -0.4), (-1.1, 0.9)]),
]


@pytest.mark.parametrize("name, f, points", FD_OPS, ids=[op[0] for op in FD_OPS])
def test_each_op_matches_central_finite_differences(name, f, points):
    for xs in points:
        vs = [Value(x) for x in xs]
        f(*vs).backward()
        analytic = [v.grad for v in vs]
        numerical = central_differences(f, xs)
        for i, (a, n) in enumerate(zip(analytic, numerical, strict=True)):
            assert rel_err(a, n) <= FD_TOL, (
                f"{name} at {xs}: d/dx{i} is {a!r}, finite differences give {n!r}")


def test_finite_differences_catch_a_wrong_derivative():
    # The check above can fail: a Value whose local derivative misses a factor
    # 2 (d(a*a)/da taken as a) is rejected by the same rule.
    a = Value(1.5)
    wrong = Value(a.data * a.data, "", (a,), (a.data,), "square")
    wrong.backward()
    (numerical,) = central_differences(lambda v: v * v, (1.5,))
    assert rel_err(a.grad, numerical) > 0.3
