"""Exercise 1.1 (local_grads): the check's truth against PyTorch, and every outcome."""

import math

import pytest
import torch
from catalogue import ch01 as catalogue

from bpcourse import check
from bpcourse.check import CheckFailed, ch01

EXERCISE = check.local_grads
CASES = EXERCISE.cases()

_TORCH = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "**": lambda x, n: x**n,
          "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
          "sigmoid": torch.sigmoid, "relu": torch.relu}


def _torch_local_grads(op, inputs):
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = _TORCH[op](*leaves)
    grads = torch.autograd.grad(out, leaves)
    return out.item(), tuple(g.item() for g in grads)


@pytest.mark.parametrize("k", range(1, len(CASES) + 1))
def test_the_checks_truth_is_pytorchs_autograd(k):
    op, inputs, out = CASES[k - 1].args
    torch_out, torch_grads = _torch_local_grads(op, inputs)
    assert math.isclose(out, torch_out, rel_tol=1e-14, abs_tol=1e-300)
    expected = EXERCISE.expected(CASES[k - 1])
    assert len(expected) == len(inputs)
    for e, t in zip(expected, torch_grads, strict=True):
        assert math.isclose(e, t, rel_tol=1e-12, abs_tol=1e-15)


def test_every_op_is_covered_by_fixed_and_random_cases():
    ops = [c.args[0] for c in CASES]
    assert set(ops) == set(ch01.OPS)
    assert all(ops.count(op) >= 3 for op in ch01.OPS)
    fixed = CASES[:len(ch01._CASES)]
    assert any(c.args[0] == "relu" and c.args[1][0] < 0 for c in fixed)
    # the edges the text defines: relu' at exactly 0 (fixed at 0), zero inputs of *
    assert any(c.args[0] == "relu" and c.args[1][0] == 0 for c in fixed)
    assert any(c.args[0] == "*" and 0.0 in c.args[1] for c in fixed)


def test_reference_passes():
    result = EXERCISE(catalogue._right)
    assert (result.status, result.passed, result.total) == ("passed", 35, 35)
    assert str(result).startswith("✓ local_grads: 35/35 cases")   # then the tolerance


def test_stub_is_not_attempted():
    def local_grads(op, inputs, out):
        """Exercise 1.1: the local derivatives of op."""
        raise NotImplementedError("Exercise 1.1")

    assert EXERCISE(local_grads).status == "not attempted"


def test_two_mistakes_are_both_named():
    def two_wrong(op, inputs, out):
        if op == "tanh":
            return (1 - inputs[0] ** 2,)
        if op == "log":
            return (math.log(inputs[0]),)
        return catalogue._right(op, inputs, out)

    with pytest.raises(CheckFailed) as info:
        EXERCISE(two_wrong)
    hint = info.value.result.hint
    assert "log' written as log x" in hint and "tanh' written with the input" in hint


def test_a_bare_number_instead_of_a_tuple_gets_a_clear_message():
    def bare(op, inputs, out):
        return catalogue._right(op, inputs, out)[0]

    with pytest.raises(CheckFailed) as info:
        EXERCISE(bare)
    assert "it should be a tuple of 2 values" in str(info.value)


def test_one_value_for_a_unary_op_shows_the_comma():
    def bare_for_unary(op, inputs, out):
        grads = catalogue._right(op, inputs, out)
        return grads[0] if len(grads) == 1 else grads

    with pytest.raises(CheckFailed) as info:
        EXERCISE(bare_for_unary)
    assert "(for one value write `return (d,)`)" in str(info.value)


def test_a_value_instead_of_a_number_is_named():
    from bpcourse import Value

    def values(op, inputs, out):
        return tuple(Value(d) for d in catalogue._right(op, inputs, out))

    with pytest.raises(CheckFailed) as info:
        EXERCISE(values)
    assert "a Value (return its .data, a float)" in str(info.value)


def test_count_may_reuse_a_sort_that_consumes_the_graph():
    # exercise 1.5's hint reuses 1.3's sort, and 1.3 accepts one that empties the
    # graph's lists: the counts are judged against the graph as it was passed
    from bpcourse.check import ch01 as checks

    def consuming_count(graph, output):
        inputs = {n: list(v) for n, v in graph.items()}
        order, done, stack = [], set(), [output]
        while stack:
            n = stack[-1]
            if n in done:
                stack.pop()
            elif graph[n]:
                x = graph[n].pop()
                if x not in done:
                    stack.append(x)
            else:
                done.add(n)
                order.append(n)
                stack.pop()
        paths = {}
        for n in order:
            paths[n] = sum(paths[x] for x in inputs[n]) if inputs[n] else 1
        return paths[output], sum(len(inputs[n]) for n in order)

    assert checks.count_paths_and_edges.run(consuming_count).status == "passed"
    assert checks.count_paths_and_edges.run(lambda graph, output: None).status == "failed"
