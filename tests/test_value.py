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
