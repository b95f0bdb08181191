"""Exercises 1.2 to 1.6: each check's truth against an independent computation, and every outcome.

The truths: PyTorch's autograd (1.2, 1.4, 1.6), a breadth-first reachability
and position test (1.3), brute-force path enumeration and closed forms (1.5).
Then: the reference passes, the stub is *not attempted*, every catalogued wrong
solution is rejected with the mistake it makes named, and bad input is reported.
"""

import math

import pytest
import torch
from catalogue import ch01 as catalogue

from bpcourse import Value, check
from bpcourse.check import ch01

NAMES = ["grad_by_hand", "topological_sort", "tape_backward", "count_paths_and_edges",
         "grad_after_second_pass"]


def _t(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


# --- 1.2: the number by hand is autograd's ---------------------------------------------


def test_grad_by_hand_is_torchs_gradient():
    a, b = _t(3.0), _t(2.0)
    torch.log(a * b + b**2).backward()
    assert math.isclose(ch01._grad_by_hand(), b.grad.item(), rel_tol=1e-14)
    assert math.isclose(ch01._grad_by_hand(), 0.7, rel_tol=1e-14)


# --- 1.3: the reference's orders obey the rules, judged independently -------------------


def _reachable(graph, output):
    seen, todo = {output}, [output]
    while todo:
        for x in graph[todo.pop()]:
            if x not in seen:
                seen.add(x)
                todo.append(x)
    return seen


@pytest.mark.parametrize("k", range(1, len(check.topological_sort.cases()) + 1))
def test_topological_sort_reference_is_a_valid_order(k):
    graph, output = check.topological_sort.case(k).args
    order = ch01._topological_sort(graph, output)
    assert len(order) == len(set(order)) and set(order) == _reachable(graph, output)
    position = {n: i for i, n in enumerate(order)}
    assert all(position[x] < position[n] for n in order for x in graph[n])
    assert order[-1] == output


def test_topological_sort_accepts_any_valid_order():
    graph = {"a": [], "b": [], "c": ["a", "b"], "d": ["c", "a"], "L": ["d"]}
    for order in (["a", "b", "c", "d", "L"], ["b", "a", "c", "d", "L"]):
        assert ch01._topo_verdict(order, (graph, "L"), {}) == ch01._VALID
    assert ch01._topo_verdict(["a", "c", "b", "d", "L"], (graph, "L"), {}) != ch01._VALID
    assert ch01._topo_verdict(None, (graph, "L"), {}).startswith("not a list")
    assert ch01._topo_verdict([["a"]], (graph, "L"), {}) == "not a list of node names"


def test_topological_sort_deep_chain_passes_iteratively_and_names_recursion():
    result = check.topological_sort.run(catalogue.topo_recursive)
    assert result.status == "failed" and result.passed == result.total - 1
    assert "RecursionError" in str(result) and "recursion limit" in str(result)


# --- 1.4: the repaired tape backward is autograd ---------------------------------------


_TORCH_OPS = {"add": lambda x, y: x + y, "mul": lambda x, y: x * y,
              "tanh": lambda x: torch.tanh(x)}


@pytest.mark.parametrize("k", range(1, len(check.tape_backward.cases()) + 1))
def test_tape_backward_reference_matches_torch(k):
    tape, values, output = check.tape_backward.case(k).args
    defined = {out for out, _, _ in tape}
    nodes = {name: _t(v) for name, v in values.items() if name not in defined}
    for out, op, inputs in tape:
        nodes[out] = _TORCH_OPS[op](*(nodes[x] for x in inputs))
        nodes[out].retain_grad()
        assert math.isclose(nodes[out].item(), values[out], rel_tol=1e-14, abs_tol=1e-300)
    nodes[output].backward()
    grads = ch01._tape_backward(tape, values, output)
    assert set(grads) == set(values)
    for name, node in nodes.items():
        expected = 1.0 if name == output else (node.grad.item() if node.grad is not None else 0.0)
        assert math.isclose(grads[name], expected, rel_tol=1e-12, abs_tol=1e-15), name


def test_the_given_buggy_backward_is_wrong_on_a_times_a_plus_a():
    tape = [("c", "mul", ("a", "a")), ("b", "add", ("c", "a"))]
    values = {"a": 3.0, "c": 9.0, "b": 12.0}
    assert catalogue.tape_as_given(tape, values, "b")["a"] == 3.0
    assert ch01._tape_backward(tape, values, "b")["a"] == 7.0


# --- 1.5: path counts by enumeration and by closed form ---------------------------------


def _enumerate_paths(graph, output):
    """Every path from a leaf to output, listed one by one (exponential: small graphs only)."""
    count, stack = 0, [output]
    while stack:
        node = stack.pop()
        if not graph[node]:
            count += 1
        stack.extend(graph[node])
    return count


@pytest.mark.parametrize("k", range(1, len(check.count_paths_and_edges.cases()) + 1))
def test_count_paths_and_edges_reference(k):
    graph, output = check.count_paths_and_edges.case(k).args
    paths, edges = ch01._count_paths_and_edges(graph, output)
    assert edges == sum(len(graph[n]) for n in _reachable(graph, output))
    if "layers" in check.count_paths_and_edges.case(k).label and len(graph) > 50:
        width = len(graph["L"])
        depth = (len(graph) - 2) // width
        assert paths == width**depth and type(paths) is int   # exact, beyond 2**53
        assert edges == 2 * width + (depth - 1) * width**2
    else:
        assert paths == _enumerate_paths(graph, output)


def test_layered_graph_counts_are_width_to_the_depth():
    for width, depth in [(2, 3), (3, 4), (4, 5)]:
        graph = ch01._layered(width, depth)
        assert ch01._count_paths_and_edges(graph, "L") == (
            width**depth, 2 * width + (depth - 1) * width**2)


# --- 1.6: the prediction is what Value (and PyTorch with retain_graph) do --------------


def test_grad_after_second_pass_answer_is_what_happens():
    # L.backward(), then M = 2L and M.backward(): leaves add 9 + 18, L is reset
    a, b = Value(2.0), Value(0.5)
    L = (a * b + a) ** 2
    L.backward()
    (L * 2).backward()
    ta, tb = _t(2.0), _t(0.5)
    tL = (ta * tb + ta) ** 2
    tL.backward(retain_graph=True)
    (tL * 2).backward()
    assert a.grad == ta.grad.item() == 27.0
    assert ch01._run_the_experiment() == "C"
    assert not hasattr(ch01, "_grad_after_second_pass")


# --- the checks: what is particular to this chapter (the generic rules: test_catalogues.py) --


def test_answers_are_not_given_away():
    result = check.grad_by_hand.run(lambda: 0.75)
    assert result.status == "failed" and "0.75 is not dL/db" in str(result)
    assert "0.7 " not in str(result) and "0.7\n" not in str(result)
    result = check.grad_after_second_pass.run(lambda: "A")
    assert "'C'" not in str(result) and "(A) 18" in result.hint


def test_choice_accepts_either_case_and_a_fraction_is_a_number():
    for answer in ["c", "C", " (c) ", "C."]:
        assert check.grad_after_second_pass.run(lambda a=answer: a).status == "passed"
    assert check.grad_by_hand.run(lambda: 7 / 10).status == "passed"


# --- bad input: clear messages, the process survives ------------------------------------


def test_bad_input_is_reported():
    graph_fn_none = check.topological_sort.run(lambda graph, output: None)
    assert graph_fn_none.status == "failed" and "not a list" in str(graph_fn_none)

    def raises(tape, values, output):
        return {}["oops"]

    result = check.tape_backward.run(raises)
    assert "raised KeyError" in result.headline + str(result)

    result = check.tape_backward.run(lambda tape, values, output: [1.0, 2.0])
    assert result.status == "failed"

    result = check.count_paths_and_edges.run(lambda graph, output: (float("nan"), 5))
    assert result.status == "failed" and "should be an integer" in str(result)

    result = check.tape_backward.run(lambda tape, values, output: {k: math.nan for k in values})
    assert result.status == "failed" and "NaN" in str(result)

    result = check.grad_after_second_pass.run(lambda: 27)
    assert result.status == "failed" and "should be a str" in str(result)
    assert check.grad_after_second_pass.run(lambda: "F").status == "failed"

    result = check.count_paths_and_edges.run(lambda graph: (1, 1))
    assert "cannot be called" in result.headline


def test_an_endless_loop_is_stopped():
    def endless(graph, output):
        while True:
            pass

    result = check.count_paths_and_edges.run(endless)
    assert result.status == "failed" and "timed out" in result.headline


# --- the check judges against the arguments as they were passed ------------------------


def _consuming_sort(graph, output):
    """A correct order that empties the graph's lists as it goes (Kahn-like, from output)."""
    order, stack, seen = [], [output], set()
    while stack:
        node = stack[-1]
        if graph[node]:
            x = graph[node].pop()            # consumes the input lists
            if x not in seen:
                stack.append(x)
        else:
            stack.pop()
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _deleting_sort(graph, output):
    order = ch01._topological_sort(graph, output)
    for node in order:
        del graph[node]                      # deletes nodes as it goes
    return order


def test_topological_sort_judged_against_the_graph_as_passed():
    assert check.topological_sort.run(_consuming_sort).status == "passed"
    assert check.topological_sort.run(_deleting_sort).status == "passed"


def test_tape_output_need_not_be_the_last_entry():
    labels = [c.label for c in check.tape_backward.cases()]
    assert any("not the last entry" in label for label in labels)
    result = check.tape_backward.run(catalogue.tape_seeds_last)
    assert result.mistake == "the last entry of the tape seeded instead of output"


def test_counts_are_compared_exactly():
    result = check.count_paths_and_edges.run(catalogue.count_in_floats)
    assert result.status == "failed" and "Python integers" in str(result)
    assert "counts compared exactly" in str(check.count_paths_and_edges.run(
        ch01._count_paths_and_edges))
