"""Checks for chapter 1, "The chain rule and computational graphs".

Exercise 1.1, ``local_grads(op, inputs, out) -> tuple``: the local derivatives
a ``Value`` operation stores for the backward pass, one per input,
``(∂out/∂x₁, ∂out/∂x₂, ...)``. ``inputs`` is the list of the input numbers,
``out`` the number the operation produced. ``op`` is one of

    "+"  (a, b) -> a + b        "*"  (a, b) -> a · b      "**" (x, n) -> xⁿ
    "exp" (x,)  "log" (x,)  "tanh" (x,)  "sigmoid" (x,)  "relu" (x,)

Checked against ``bpcourse.Value``'s own ``local_grads``.
See chapter 1, "Local derivatives".

Messages point to the chapter's sections by their headings, never by equation
labels, which a learner does not see on the page.
"""

import math
import numbers

import numpy as np

from ..value import Value
from ._core import Case, Exercise, Mistake, accept_hidden_number

__all__ = ["local_grads", "OPS"]

# Where the chapter teaches what a hint asks for: its headings, as the learner sees them.
_SEE_PATHS = '(see chapter 1, "Several variables: sensitivities add over paths")'
_SEE_ACCUMULATE = '(see chapter 1, "Why gradients accumulate")'
_SEE_BACKWARD = '(see chapter 1, "The backward pass")'

OPS = ("+", "*", "**", "exp", "log", "tanh", "sigmoid", "relu")
_ARITY = {"+": 2, "*": 2, "**": 2}


def _forward(op, inputs):
    """The Value node that ``op`` makes from leaves holding ``inputs``."""
    leaves = [Value(float(x)) for x in inputs]
    if op == "+":
        return leaves[0] + leaves[1]
    if op == "*":
        return leaves[0] * leaves[1]
    if op == "**":
        return leaves[0] ** leaves[1]
    if op in OPS:
        return getattr(leaves[0], op)()
    raise ValueError(f"op must be one of {OPS}, got {op!r}")


def _reference(op, inputs, out):
    """The engine's local derivatives: what ``Value`` stores for ``op``."""
    return tuple(float(d) for d in _forward(op, inputs).local_grads)


def _case(op, *inputs, label=""):
    out = _forward(op, inputs).data
    return Case((op, list(inputs), out), label=label or f"{op} at {', '.join(map(str, inputs))}")


_CASES = [
    _case("+", 2.0, -3.0),
    _case("*", 2.0, -3.0, label="* at a = 2, b = -3: which derivative is which?"),
    _case("*", 0.0, 2.5, label="* with a = 0: the derivatives are the other input, not out/a"),
    _case("*", 4.0, 0.0, label="* with b = 0"),
    _case("**", 1.5, 3.0, label="** with x = 1.5, n = 3"),
    _case("**", 4.0, 0.5, label="** with x = 4, n = 0.5 (a square root)"),
    _case("**", 2.5, 0.0, label="** with n = 0: x**0 = 1 is flat in x"),
    _case("**", 1.0, 2.5, label="** at x = 1, where log x = 0"),
    _case("exp", 0.7),
    _case("log", 2.5),
    _case("log", 1.0, label="log at x = 1, where out = log 1 = 0"),
    _case("tanh", 0.5),
    _case("tanh", -1.2),
    _case("sigmoid", 0.3),
    _case("sigmoid", -2.0),
    _case("sigmoid", 10.0, label="sigmoid at 10: 1 - out is 4.5e-5, so out must keep "
                                 "its float64 digits"),
    _case("relu", 1.5),
    _case("relu", -0.7, label="relu at a negative input"),
    _case("relu", 0.0, label="relu at exactly 0, where the text fixes the derivative at 0"),
]


def _random_cases(rng):
    cases = []
    for op in OPS:
        for _ in range(2):
            if op == "**":
                inputs = (float(rng.uniform(0.2, 3.0)), float(rng.uniform(-2.0, 3.0)))
            elif op == "log":
                inputs = (float(rng.uniform(0.1, 5.0)),)
            elif op == "relu":   # away from 0, which has its own fixed case
                inputs = (float(rng.choice([-1, 1]) * rng.uniform(0.05, 3.0)),)
            else:
                inputs = tuple(float(x) for x in rng.uniform(-3.0, 3.0, _ARITY.get(op, 1)))
            cases.append(_case(op, *inputs, label=f"random {op}"))
    return cases


# Known mistakes: each a small function that gets one rule wrong and every
# other rule right (it falls back on the reference).


def _tanh_from_input(op, inputs, out):
    return (1 - inputs[0] ** 2,) if op == "tanh" else _reference(op, inputs, out)


def _sigmoid_mixed(op, inputs, out):
    return (out * (1 - inputs[0]),) if op == "sigmoid" else _reference(op, inputs, out)


def _sigmoid_of_input(op, inputs, out):
    return (inputs[0] * (1 - inputs[0]),) if op == "sigmoid" else _reference(op, inputs, out)


def _power_without_minus_one(op, inputs, out):
    if op == "**":
        x, n = inputs
        return (n * x**n, out * math.log(x))
    return _reference(op, inputs, out)


def _exponent_without_log(op, inputs, out):
    if op == "**":
        x, n = inputs
        return (n * x ** (n - 1), out)
    return _reference(op, inputs, out)


def _exponent_constant(op, inputs, out):
    if op == "**":
        x, n = inputs
        return (n * x ** (n - 1), 0.0)
    return _reference(op, inputs, out)


def _product_swapped(op, inputs, out):
    return (inputs[0], inputs[1]) if op == "*" else _reference(op, inputs, out)


def _product_over_input(op, inputs, out):
    if op == "*":
        a, b = np.float64(inputs[0]), np.float64(inputs[1])
        return (float(out / a), float(out / b))
    return _reference(op, inputs, out)


def _relu_always_one(op, inputs, out):
    return (1.0,) if op == "relu" else _reference(op, inputs, out)


def _relu_one_at_zero(op, inputs, out):
    return (1.0 if inputs[0] >= 0 else 0.0,) if op == "relu" else _reference(op, inputs, out)


def _relu_is_relu(op, inputs, out):
    return (out,) if op == "relu" else _reference(op, inputs, out)


def _log_is_log(op, inputs, out):
    return (out,) if op == "log" else _reference(op, inputs, out)


def _log_from_output(op, inputs, out):
    if op == "log":
        return (float(1 / np.float64(out)),)
    return _reference(op, inputs, out)


def _exp_power_rule(op, inputs, out):
    return (inputs[0] * math.exp(inputs[0] - 1),) if op == "exp" else _reference(op, inputs, out)


def _sum_is_inputs(op, inputs, out):
    return (inputs[0], inputs[1]) if op == "+" else _reference(op, inputs, out)


_MISTAKES = [
    Mistake("tanh' written with the input: 1 − x²",
            "d tanh(x)/dx = 1 − tanh²(x): square the output `out`, not the input.",
            _tanh_from_input),
    Mistake("sigmoid' written as σ(x)(1 − x)",
            "dσ/dx = σ(x)(1 − σ(x)): both factors are the output `out`.",
            _sigmoid_mixed),
    Mistake("sigmoid' written as x(1 − x)",
            "dσ/dx = σ(x)(1 − σ(x)), with σ(x) = out, not x.",
            _sigmoid_of_input),
    Mistake("power rule without the n − 1",
            "d xⁿ/dx = n·x^(n−1): the exponent drops by one.",
            _power_without_minus_one),
    Mistake("∂xⁿ/∂n missing the log",
            "As a function of the exponent, xⁿ = e^(n log x), so ∂xⁿ/∂n = xⁿ·log x.",
            _exponent_without_log),
    Mistake("exponent treated as a constant",
            "Both x and n are inputs of **: ∂xⁿ/∂n = xⁿ·log x is not 0.",
            _exponent_constant),
    Mistake("product rule swapped: d(a·b)/da = a",
            "d(a·b)/da = b and d(a·b)/db = a: each input's derivative is the *other* input.",
            _product_swapped),
    Mistake("product's derivatives computed as out/a and out/b",
            "out/a equals b only when a ≠ 0; at a = 0 it divides by zero. Take the other "
            "input itself: (b, a).",
            _product_over_input),
    Mistake("relu' at 0 taken as 1",
            "The text fixes relu'(0) = 0, as PyTorch does: the derivative is 1 only for "
            "x > 0 (compare with >, not >=).",
            _relu_one_at_zero),
    Mistake("relu' wrong at negative inputs",
            "relu(x) = max(0, x) is flat for x < 0, so its derivative there is 0.",
            _relu_always_one),
    Mistake("relu' written as relu(x)",
            "The derivative of max(0, x) is 1 for x > 0 and 0 otherwise, not the output.",
            _relu_is_relu),
    Mistake("log' written as log x",
            "d log(x)/dx = 1/x: the derivative of the logarithm is not the logarithm.",
            _log_is_log),
    Mistake("log' computed from the output: 1/out",
            "d log(x)/dx = 1/x is written with the input x = inputs[0], not with "
            "out = log x (at x = 1, out is 0). Only exp, tanh and sigmoid are cheaper "
            "from `out`.",
            _log_from_output),
    Mistake("exp' from the power rule: x·e^(x−1)",
            "e^x is not a power of x: its derivative is e^x itself, which is `out`.",
            _exp_power_rule),
    Mistake("sum rule: derivatives equal to the inputs",
            "d(a + b)/da = 1 and d(a + b)/db = 1, whatever a and b are.",
            _sum_is_inputs),
]

local_grads = Exercise(
    id="1.1",
    name="local_grads",
    reference=_reference,
    cases=_CASES,
    random_cases=_random_cases,
    mistakes=_MISTAKES,
    float64=True,   # Value computes in float64: float32 rounding (3e-8) must not pass
    hint="Write each rule down on paper first, then code it as written: with `out` where "
         "the rule is written with the output (exp, tanh, sigmoid), with the inputs "
         "everywhere else.",
    doc='See chapter 1, "Local derivatives".',
)


# ===========================================================================
# Exercises 1.2 to 1.6 (chapter 1's own), appended after the machinery's 1.1:
# 1.2 grad_by_hand           a gradient by hand, through two paths
# 1.3 topological_sort       any valid order is accepted (judged by its rules)
# 1.4 tape_backward          debug: a backward pass that overwrites
# 1.5 count_paths_and_edges  the sum-over-paths terms against backward's work
# 1.6 grad_after_second_pass predict-then-run: leaves accumulate, intermediates reset
# ===========================================================================

__all__ += ["grad_by_hand", "topological_sort", "tape_backward", "count_paths_and_edges",
            "grad_after_second_pass"]
# ---------------------------------------------------------------------------
# 1.2 grad_by_hand() -> float
# ---------------------------------------------------------------------------


def _grad_by_hand():
    """dL/db for u = a b, v = u + b^2, L = log v at a = 3, b = 2: (a + 2b) / v = 0.7."""
    return (3 + 2 * 2) / 10


def _hand_only_through_u():
    return 3 / 10


def _hand_only_through_square():
    return 4 / 10


def _hand_no_log():
    return 7.0


def _hand_square_rule_wrong():
    return (3 + 2) / 10


def _hand_wrong_variable():
    return 2 / 10


def _hand_log_not_differentiated():
    return 7 * math.log(10)


_accept_hand = accept_hidden_number(
    "dL/db",
    f"Redo it path by path {_SEE_PATHS}: one product of local derivatives per path "
    "from b to L, then their sum.")


grad_by_hand = Exercise(
    id="1.2", name="grad_by_hand", reference=_grad_by_hand,
    cases=[Case((), label="u = a*b, v = u + b**2, L = log(v) at a = 3, b = 2")],
    accept=_accept_hand,
    mistakes=[
        Mistake("the path through b**2 is missing",
                "0.3 = a / v counts only the path b -> u -> v -> L. b is used twice: add "
                "the path b -> b**2 -> v -> L, whose local derivatives are 2b, 1 and 1/v.",
                _hand_only_through_u),
        Mistake("the path through u = a*b is missing",
                "0.4 = 2b / v counts only the path through b**2. b also reaches v through "
                f"u = a*b, with local derivative du/db = a: add that path {_SEE_PATHS}.",
                _hand_only_through_square),
        Mistake("the derivative of log is missing",
                "7 = a + 2b is dv/db. L = log(v) adds one more link to every path: "
                "dL/dv = 1/v = 1/10.",
                _hand_no_log),
        Mistake("d(b**2)/db taken as b",
                "The local derivative of b**2 is 2b = 4, not b (the power rule, "
                "section 1.3).",
                _hand_square_rule_wrong),
        Mistake("dL/da instead of dL/db",
                "0.2 = b / v is the gradient with respect to a. The exercise asks for b.",
                _hand_wrong_variable),
        Mistake("log's derivative taken as log(v)",
                "d log(v)/dv = 1/v, not log(v): the local derivative from the table of "
                "section 1.3.",
                _hand_log_not_differentiated),
    ],
    hint="List the paths from b to L; multiply the local derivatives along each path and "
         f"add the paths {_SEE_PATHS}.",
    doc="Return the number you computed by hand.",
)


# ---------------------------------------------------------------------------
# 1.3 topological_sort(graph, output) -> list of node names
# ---------------------------------------------------------------------------
# Many orders are valid, so the check judges the order by its rules (accept),
# against the graph as it was passed in (the learner's function may consume
# it), and names a mistake only when it gives exactly the learner's order.

_VALID = "a valid topological order"


def _topological_sort(graph, output):
    """Depth-first search with an explicit stack, as bpcourse.value.topological_order."""
    order, seen = [], set()
    _visit(graph, output, order, seen)
    return order


def _visit(graph, start, order, seen):
    """Append to ``order`` every node reachable from ``start`` and not yet ``seen``,
    each after its inputs."""
    stack = [(start, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((x, False) for x in graph[node] if x not in seen)


class _Order:
    """What the function returned, as an order: compared exactly, shown as a list."""

    def __init__(self, returned):
        self.returned = list(returned) if isinstance(returned, (list, tuple)) else returned

    def __repr__(self):
        return repr(self.returned)


def _as_order(returned, args, kwargs):
    return _Order(returned)


def _accept_order(got, expected, case):
    """None for a valid order of the graph as passed in; else the first rule broken."""
    verdict = _topo_verdict(got.returned, case.args, case.kwargs)
    return None if verdict == _VALID else verdict


def _topo_verdict(order, args, kwargs):
    """The first rule ``order`` breaks, in words, or _VALID."""
    graph, output = args
    if not isinstance(order, (list, tuple)):
        return f"not a list (got {type(order).__name__})"
    try:
        return _topo_rules(list(order), graph, output)
    except TypeError:  # unhashable entries: not node names
        return "not a list of node names"


def _topo_rules(order, graph, output):
    needed = set(_topological_sort(graph, output))
    repeated = [n for n in dict.fromkeys(order) if order.count(n) > 1]
    if repeated:
        return f"a node appears more than once: {repeated[0]!r}"
    extra = [n for n in order if n not in needed]
    if extra:
        return (f"extra nodes: {extra[0]!r} is in the list, but output does not depend "
                "on it")
    missing = needed - set(order)
    if missing:
        leaves = {n for n in missing if not graph[n]}
        kind = "leaves are missing" if leaves == missing else "nodes are missing"
        return f"{kind}: {sorted(missing)[0]!r} is not in the list"
    position = {n: i for i, n in enumerate(order)}
    late = [(n, x) for n in order for x in graph[n] if position[x] > position[n]]
    if not late:
        return _VALID
    if all(position[x] > position[n] for n in order for x in graph[n]):
        return "reversed: every node comes before its inputs, the output first"
    node, x = late[0]
    return (f"a node comes before one of its inputs: {node!r} (position {position[node]}) "
            f"comes before its input {x!r} (position {position[x]})")


def _topo_cases(rng):
    cases = []
    for n_nodes in (6, 12, 25):
        graph, output = _random_dag(rng, n_nodes)
        cases.append(Case((graph, output), label=f"a random graph of {n_nodes} nodes"))
    return cases


def _random_dag(rng, n_nodes, max_inputs=3):
    """Nodes n0..n{N-1}; each non-leaf takes 1-3 earlier nodes (repeats allowed)."""
    names = [f"n{i}" for i in range(n_nodes)]
    n_leaves = max(2, n_nodes // 4)
    graph = {name: [] for name in names[:n_leaves]}
    for i in range(n_leaves, n_nodes):
        k = int(rng.integers(1, max_inputs + 1))
        graph[names[i]] = [names[int(j)] for j in rng.integers(0, i, size=k)]
    # listed in a shuffled order, so the dict's own order is not a valid answer
    keys = list(graph)
    rng.shuffle(keys)
    return {k: graph[k] for k in keys}, names[-1]


def _topo_no_seen(graph, output):
    # the stack-based search, but nothing remembers which nodes were handled
    order, stack = [], [(output, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((x, False) for x in graph[node])
    return order


def _topo_reversed(graph, output):
    return _topological_sort(graph, output)[::-1]


def _topo_no_leaves(graph, output):
    return [n for n in _topological_sort(graph, output) if graph[n]]


def _topo_whole_dict(graph, output):
    # a search started from every key of the dict: includes nodes output never uses
    order, seen = [], set()
    for key in graph:
        _visit(graph, key, order, seen)
    return order


def _topo_preorder(graph, output):
    # appends a node when it is first reached, before its inputs (last input first)
    order, seen, stack = [], set(), [output]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)
            stack.extend(graph[node])
    return order


def _topo_preorder_first_input_first(graph, output):
    # the same pre-order, visiting a node's inputs in the order they are listed
    return _topo_preorder({node: inputs[::-1] for node, inputs in graph.items()}, output)


# deeper than Python's default recursion limit (1,000 frames)
_CHAIN = {"x0": [], **{f"x{i}": [f"x{i - 1}"] for i in range(1, 2000)}}

_PREORDER_HINT = ("Appending a node when it is first reached (pre-order) puts it before its "
                  "inputs. Append it only after all of its inputs have been appended "
                  "(post-order): push (node, True) back on the stack before its inputs.")

topological_sort = Exercise(
    id="1.3", name="topological_sort", reference=_topological_sort,
    cases=[
        Case(({"a": [], "b": [], "c": ["a", "b"], "d": ["c", "a"], "L": ["d"]}, "L"),
             label="the worked example, L = (a*b + a)**2"),
        Case(({"a": [], "b": ["a", "a"], "c": ["b", "b"]}, "c"),
             label="b = a + a; c = b + b: each node used twice"),
        Case(({"x": [], "y": [], "u": ["x"], "v": ["x", "y"], "w": ["u", "v"], "z": ["y"],
               "L": ["w"]}, "L"),
             label="z is in the graph but L does not depend on it"),
        Case(({"L": ["d"], "d": ["c", "a"], "c": ["a", "b"], "b": [], "a": []}, "L"),
             label="the worked example, listed output first"),
        Case(({"x": [], "p": ["x"], "q": ["x"], "L": ["p", "q"]}, "L"),
             label="a diamond: x feeds p and q, both feed L"),
        Case(({"a": []}, "a"), label="the output is a leaf: the list is just ['a']"),
        Case(({"a": [], "z": [], "b": ["z"], "e": ["a"], "c": ["a", "a", "b"],
               "d": ["z", "z", "e"], "L": ["c", "d"]}, "L"),
             label="c uses a twice and b once, d uses z twice and e once: each must "
                   "wait for all of its inputs, not for a count of distinct ones"),
    ],
    random_cases=lambda rng: [*_topo_cases(rng),
                              Case((_CHAIN, "x1999"),
                                   label="a chain 2,000 nodes deep: a recursive walk "
                                         "exceeds Python's recursion limit (section 1.6)")],
    observe=_as_order,
    accept=_accept_order,
    mistakes=[
        Mistake("no record of visited nodes",
                "A shared node is reached once per use and appended each time. Keep a set "
                "of the nodes already handled and skip them.",
                _topo_no_seen),
        Mistake("the backward order, not the forward one",
                "Output first is the order the backward pass *visits* nodes. A topological "
                "order puts every node after its inputs, so the output comes last: reverse "
                "your list, or append a node only after its inputs.",
                _topo_reversed),
        Mistake("leaves left out",
                "The leaves (nodes with no inputs) belong in the order too: they are the "
                "inputs and weights whose gradients we want.",
                _topo_no_leaves),
        Mistake("nodes the output does not depend on",
                "List only the nodes reachable from `output` by following inputs; start "
                "the search at `output`, not at every key of the dictionary.",
                _topo_whole_dict),
        # pre-order, in both orders of visiting a node's inputs (same name and hint)
        Mistake("a node appended before its inputs", _PREORDER_HINT, _topo_preorder),
        Mistake("a node appended before its inputs", _PREORDER_HINT,
                _topo_preorder_first_input_first),
    ],
    hint="Start at `output`, follow inputs, and append a node only after all of its "
         "inputs have been appended, each node once. A node is done only when it is "
         "popped the second time: mark it seen when you expand it, not when you push it.",
    doc="Return a list of node names, each once, every node after its inputs.",
)


# ---------------------------------------------------------------------------
# 1.4 tape_backward(tape, values, output) -> dict of gradients
# ---------------------------------------------------------------------------


def _tape_backward(tape, values, output):
    """d values[output] / d node for every node: seed 1, walk the tape backwards, add."""
    grads = {name: 0.0 for name in values}
    grads[output] = 1.0
    for out, op, inputs in reversed(tape):
        for x, local in _tape_locals(op, inputs, values, out):
            grads[x] += local * grads[out]
    return grads


def _tape_locals(op, inputs, values, out):
    """(input, local derivative) for one entry of the tape."""
    if op == "add":
        return [(x, 1.0) for x in inputs]
    if op == "mul":
        x, y = inputs
        return [(x, values[y]), (y, values[x])]
    if op == "tanh":
        return [(inputs[0], 1 - values[out] ** 2)]
    raise ValueError(f"tape_backward: unknown op {op!r} in the tape")


# Known mistakes: the reference with one thing changed.


def _tape_overwrites(tape, values, output):
    grads = {name: 0.0 for name in values}
    grads[output] = 1.0
    for out, op, inputs in reversed(tape):
        for x, local in _tape_locals(op, inputs, values, out):
            grads[x] = local * grads[out]
    return grads


def _tape_mul_overwrites(tape, values, output):
    grads = {name: 0.0 for name in values}
    grads[output] = 1.0
    for out, op, inputs in reversed(tape):
        for x, local in _tape_locals(op, inputs, values, out):
            grads[x] = local * grads[out] + (0.0 if op == "mul" else grads[x])
    return grads


def _tape_forwards(tape, values, output):
    grads = {name: 0.0 for name in values}
    grads[output] = 1.0
    for out, op, inputs in tape:
        for x, local in _tape_locals(op, inputs, values, out):
            grads[x] += local * grads[out]
    return grads


def _tape_unseeded(tape, values, output):
    grads = {name: 0.0 for name in values}
    for out, op, inputs in reversed(tape):
        for x, local in _tape_locals(op, inputs, values, out):
            grads[x] += local * grads[out]
    return grads


def _tape_seeds_at_its_entry(tape, values, output):
    grads = {name: 0.0 for name in values}
    for out, op, inputs in reversed(tape):
        if out == output:
            grads[out] = 1.0
        for x, local in _tape_locals(op, inputs, values, out):
            grads[x] += local * grads[out]
    return grads


def _tape_seeds_last_entry(tape, values, output):
    return _tape_backward(tape, values, tape[-1][0])


def _tape_mul_swapped(tape, values, output):
    grads = {name: 0.0 for name in values}
    grads[output] = 1.0
    for out, op, inputs in reversed(tape):
        pairs = _tape_locals(op, inputs, values, out)
        if op == "mul":
            (x, dx), (y, dy) = pairs
            pairs = [(x, dy), (y, dx)]
        for x, local in pairs:
            grads[x] += local * grads[out]
    return grads


def _tape_tanh_from_input(tape, values, output):
    grads = {name: 0.0 for name in values}
    grads[output] = 1.0
    for out, op, inputs in reversed(tape):
        for x, local in _tape_locals(op, inputs, values, out):
            if op == "tanh":
                local = 1 - values[x] ** 2
            grads[x] += local * grads[out]
    return grads


def _tape_observe(returned, args, kwargs):
    """The gradients as a dict of floats (a missing key is reported as missing)."""
    if not isinstance(returned, dict):
        return returned
    return {k: _as_float(g) for k, g in returned.items()}


def _as_float(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return np.nan


def _tape_forward(tape, leaves):
    values = dict(leaves)
    for out, op, inputs in tape:
        xs = [values[x] for x in inputs]
        values[out] = (sum(xs) if op == "add" else xs[0] * xs[1] if op == "mul"
                       else float(np.tanh(xs[0])))
    return values


def _random_tape(rng, n_leaves, n_ops):
    leaves = {f"x{i}": float(rng.uniform(-1.5, 1.5)) for i in range(n_leaves)}
    names = list(leaves)
    tape = []
    for k in range(n_ops):
        op = ("add", "mul", "tanh")[int(rng.integers(0, 3))]
        arity = 1 if op == "tanh" else 2
        # draw inputs mostly from the latest nodes, so the tape is deep and shares nodes
        inputs = tuple(names[int(max(0, len(names) - 1 - rng.integers(0, 4)))]
                       for _ in range(arity))
        tape.append((f"t{k}", op, inputs))
        names.append(f"t{k}")
    return tape, _tape_forward(tape, leaves), names[-1]


def _tape_cases(rng):
    return [Case(_random_tape(rng, n, m), label=f"a random tape: {n} leaves, {m} operations")
            for n, m in ((2, 5), (3, 10), (4, 20))]


def _tape_case(tape, leaves, label):
    values = _tape_forward(tape, leaves)
    return Case((tape, values, tape[-1][0]), label=label)


_TAPE_MORE = [("c", "mul", ("a", "a")), ("b", "add", ("c", "a")), ("e", "tanh", ("b",)),
              ("f", "mul", ("e", "a"))]

tape_backward = Exercise(
    id="1.4", name="tape_backward", reference=_tape_backward,
    cases=[
        _tape_case([("u", "mul", ("x", "y")), ("c", "add", ("u", "z"))],
                   {"x": 2.0, "y": -3.0, "z": 0.5}, "c = x*y + z: every node used once"),
        _tape_case([("c", "mul", ("a", "a")), ("b", "add", ("c", "a"))], {"a": 3.0},
                   "b = a*a + a at a = 3: db/da = 7"),
        _tape_case([("b", "add", ("a", "a")), ("c", "add", ("b", "b"))], {"a": 1.0},
                   "b = a + a; c = b + b: dc/da = 4"),
        _tape_case([("u", "mul", ("w", "x")), ("z", "add", ("u", "w")), ("o", "tanh", ("z",)),
                    ("L", "mul", ("o", "w"))], {"w": 0.7, "x": -1.2},
                   "L = tanh(w*x + w) * w: w used three times"),
        Case((_TAPE_MORE, _tape_forward(_TAPE_MORE, {"a": 0.5}), "b"),
             label="output b is not the last entry: the entries after it do not count"),
        _tape_case([("u", "mul", ("a", "c")), ("v", "mul", ("a", "d")), ("L", "add", ("u", "v"))],
                   {"a": 2.0, "c": 1.0000001, "d": -1.0},
                   "dL/da = c + d = 1e-7: two contributions that nearly cancel (float64 "
                   "keeps them; float32 rounds c to 1)"),
        _tape_case([("u", "mul", ("x", "y")), ("L", "add", ("u", "x"))], {"x": 0.0, "y": 2.0},
                   "L = x*y + x at x = 0: d(x*y)/dx is y = 2, not out/x = 0/0"),
        Case(([("u", "mul", ("a", "b"))], {"a": 1.5, "b": -2.0, "u": -3.0}, "a"),
             label="output a is a leaf that u uses: da/da = 1 and every other "
                   "gradient is 0"),
    ],
    random_cases=_tape_cases,
    observe=_tape_observe,
    mistakes=[
        Mistake("the output seeded only when its tape entry is reached",
                "`output` may be a leaf, with no entry of its own on the tape: seed "
                "`grads[output] = 1.0` once, before the loop.",
                _tape_seeds_at_its_entry),
        Mistake("gradients overwritten instead of accumulated",
                "`grads[x] = ...` keeps only the last contribution to a node used twice. "
                f"Every operation must add: `grads[x] += ...` {_SEE_ACCUMULATE}.",
                _tape_overwrites),
        Mistake("`mul` still overwrites",
                "`grads[x] = values[y] * g` in `mul` loses a*a's first contribution "
                "and any earlier one. Use `+=` there too.",
                _tape_mul_overwrites),
        Mistake("the tape walked forwards",
                "A node may pass its gradient on only when it is complete: walk the tape "
                "from the end, `reversed(tape)`.",
                _tape_forwards),
        Mistake("the output's gradient is not seeded",
                "Every gradient starts from dL/dL = 1: set `grads[output] = 1.0` before "
                "the loop (after creating the zeros, not before).",
                _tape_unseeded),
        Mistake("the last entry of the tape seeded instead of output",
                "`output` need not be the last entry of the tape: seed "
                "`grads[output] = 1.0`. Entries computed after it do not change it, and "
                "their gradients stay 0.",
                _tape_seeds_last_entry),
        Mistake("mul's local derivatives swapped",
                "d(x*y)/dx = y: x's contribution is values[y] * g, not values[x] * g.",
                _tape_mul_swapped),
        Mistake("tanh's derivative from the input",
                "The tape stores the output o = tanh(x) in values[out]; the local "
                "derivative is 1 - o**2, not 1 - x**2.",
                _tape_tanh_from_input),
    ],
    hint="Compare each operation's update with the rule u.grad += local derivative * "
         f"v.grad, walking the tape backwards {_SEE_BACKWARD}.",
    float64=True,
    doc="Return a dict {node: gradient} for every node in values.",
)


# ---------------------------------------------------------------------------
# 1.5 count_paths_and_edges(graph, output) -> (paths, edges)
# ---------------------------------------------------------------------------


def _count_paths_and_edges(graph, output):
    """Paths from the leaves to output (the terms of the sum over paths) and the edges
    the backward pass uses, as exact integers."""
    order = _topological_sort(graph, output)
    paths = {}
    for node in order:
        paths[node] = sum(paths[x] for x in graph[node]) if graph[node] else 1
    return paths[output], sum(len(graph[n]) for n in order)


def _count_nodes_not_edges(graph, output):
    paths, _ = _count_paths_and_edges(graph, output)
    return paths, len(_topological_sort(graph, output))


def _count_distinct_inputs(graph, output):
    distinct = {n: list(dict.fromkeys(inputs)) for n, inputs in graph.items()}
    return _count_paths_and_edges(distinct, output)


def _count_paths_from_every_node(graph, output):
    order = _topological_sort(graph, output)
    paths = {}
    for node in order:
        paths[node] = sum(paths[x] for x in graph[node]) + 1
    return paths[output], sum(len(graph[n]) for n in order)


def _count_edges_of_whole_dict(graph, output):
    paths, _ = _count_paths_and_edges(graph, output)
    return paths, sum(len(inputs) for inputs in graph.values())


def _count_paths_once_per_input(graph, output):
    distinct = {n: list(dict.fromkeys(inputs)) for n, inputs in graph.items()}
    return _count_paths_and_edges(distinct, output)[0], _count_paths_and_edges(graph, output)[1]


def _count_in_int64(graph, output):
    order = _topological_sort(graph, output)
    paths = {}
    with np.errstate(over="ignore"):
        for node in order:
            paths[node] = (np.sum([paths[x] for x in graph[node]], dtype=np.int64)
                           if graph[node] else np.int64(1))
    return paths[output], sum(len(graph[n]) for n in order)


def _as_counts(returned, args, kwargs):
    return returned


def _accept_counts(got, expected, case):
    """Counts are integers: compared exactly (a float cannot hold 3**38 exactly)."""
    for what, g, e in zip(("paths", "edges"), got, expected, strict=True):
        if isinstance(g, numbers.Integral) and int(g) == e:
            continue
        if not isinstance(g, numbers.Integral) and float(g) == e:
            continue
        if not isinstance(g, numbers.Integral) and abs(float(g) - e) <= 1e-6 * e:
            return (f"{what} = {g!r} is a rounded count: compute with Python integers "
                    "(int), which are exact at any size; a float (or a numpy array) "
                    "keeps only about 16 digits.")
        return f"{what} = {g!r} is not the number of {what} of this graph"
    return None


def _layered(width, depth):
    """x -> depth layers of `width` nodes, each using every node of the layer before -> L."""
    graph = {"x": []}
    previous = ["x"]
    for d in range(depth):
        layer = [f"h{d}_{j}" for j in range(width)]
        for name in layer:
            graph[name] = list(previous)
        previous = layer
    graph["L"] = list(previous)
    return graph


def _count_cases(rng):
    cases = []
    for n_nodes in (8, 20):
        graph, output = _random_dag(rng, n_nodes)
        cases.append(Case((graph, output), label=f"a random graph of {n_nodes} nodes"))
    cases.append(Case((_layered(4, 30), "L"),
                      label="30 layers of width 4: 4**30 paths, far too many to list one "
                            "by one (count them per node, in topological order)"))
    return cases


count_paths_and_edges = Exercise(
    id="1.5", name="count_paths_and_edges", reference=_count_paths_and_edges,
    cases=[
        Case(({"a": [], "b": [], "c": ["a", "b"], "d": ["c", "a"], "L": ["d"]}, "L"),
             label="the worked example: 3 paths, 5 edges"),
        Case(({"a": [], "b": ["a", "a"], "c": ["b", "b"]}, "c"),
             label="b = a + a; c = b + b: 4 paths, 4 edges"),
        Case(({"x": [], "y": [], "u": ["x"], "v": ["x", "y"], "w": ["u", "v"], "z": ["y"],
               "L": ["w"]}, "L"),
             label="z is in the graph but L does not depend on it"),
        Case((_layered(3, 4), "L"), label="4 layers of width 3: 3**4 = 81 paths"),
        Case(({"a": []}, "a"), label="the output is a leaf: 1 path (the empty one), 0 edges"),
        Case((_layered(3, 38), "L"),
             label="38 layers of width 3: 3**38 paths, more than a float holds exactly"),
        Case((_layered(3, 40), "L"),
             label="40 layers of width 3: 3**40 paths, more than a numpy int64 holds "
                   "(2**63 - 1)"),
    ],
    random_cases=_count_cases,
    returns=("paths", "edges"),
    # judged against the graph as passed: the hint reuses exercise 1.3's sort, which
    # may consume the graph's lists (1.3 accepts that), so a changed graph is allowed
    observe=_as_counts,
    accept=_accept_counts,
    rule="counts compared exactly, as integers",
    mistakes=[
        Mistake("nodes counted instead of edges",
                "The backward pass does one multiply-add per *edge* (each input of each "
                "node), not one per node: edges = sum of len(graph[node]).",
                _count_nodes_not_edges),
        Mistake("a repeated input counted once",
                "In b = a + a there are two edges from a to b, and two paths: the chain "
                "rule adds both (section 1.5). Count the inputs with repetition.",
                _count_distinct_inputs),
        Mistake("paths counted from every node, not only the leaves",
                f"A term of the sum over paths {_SEE_PATHS} starts at a leaf. An inner "
                "node gets the paths of its inputs, and no path of its own.",
                _count_paths_from_every_node),
        Mistake("edges of nodes the output does not use",
                "Count only the edges among the nodes `output` depends on (those in its "
                "topological order), not every entry of the dictionary.",
                _count_edges_of_whole_dict),
        Mistake("paths counted once per distinct input",
                "Repeated inputs are separate edges and give separate paths: sum the "
                "path counts over graph[node] with repetition.",
                _count_paths_once_per_input),
        Mistake("paths counted in numpy int64, which overflows",
                "A numpy int64 holds at most 2**63 - 1 and wraps around silently past it "
                "(3**40 is larger). Count with Python integers (int), which never "
                "overflow: start from 1, not np.int64(1) or an int array.",
                _count_in_int64),
    ],
    hint="paths[node] = sum of paths[x] over the inputs x (1 for a leaf), in topological "
         "order; edges = sum of len(graph[node]) over the same nodes.",
    doc="Return (paths, edges), two integers.",
)


# ---------------------------------------------------------------------------
# 1.6 grad_after_second_pass() -> "A" | "B" | "C" | "D" | "E"
# ---------------------------------------------------------------------------
# The answer is not written here: the reference runs the experiment the
# exercise describes, with the engine, and reads off the option it matches.


def _run_the_experiment():
    """a.grad after L.backward(), then M = 2 * L and M.backward(), as an option letter."""
    a, b = Value(2.0), Value(0.5)
    L = (a * b + a) ** 2            # the worked example: dL/da = 9
    try:
        L.backward()
        M = L * 2
        M.backward()
    except Exception:
        return "E"
    options = {9.0: "B", 18.0: "A", 27.0: "C"}
    return options.get(a.grad, "D" if a.grad > 27.0 else "?")


def _says_a():
    return "A"


def _says_b():
    return "B"


def _says_d():
    return "D"


def _says_e():
    return "E"


def _letter(returned, args, kwargs):
    # "c", " C " and "C." all mean C
    return returned.strip().strip(".)(").upper() if isinstance(returned, str) else returned


def _accept_choice(got, expected, case):
    """One of the five letters; never show the answer."""
    if got not in ("A", "B", "C", "D", "E"):
        return f'answer with one letter, "A", "B", "C", "D" or "E"; got {got!r}'
    return None if got == expected else f"({got}) is not what happens."


grad_after_second_pass = Exercise(
    id="1.6", name="grad_after_second_pass", reference=_run_the_experiment,
    cases=[Case((), label="L.backward(), then M = L * 2 and M.backward()")],
    observe=_letter,
    accept=_accept_choice,
    mistakes=[
        Mistake("(A) 18",
                "backward() adds into the leaves' gradients, it does not overwrite them: "
                "the 9 from L's pass is still in a.grad when M's pass adds its 18.",
                _says_a),
        Mistake("(B) 9",
                "M = 2L depends on a through L, so M's pass reaches a too: it sends "
                "dM/da = 2 x 9 = 18, and the leaf adds it to the 9 already there.",
                _says_b),
        Mistake("(D) more than 27",
                "That is what an engine that never resets its intermediate nodes does. "
                "Value.backward() resets every intermediate gradient, L's included, before "
                "each pass, so M's pass sends exactly 18 to a.",
                _says_d),
        Mistake("(E) an error",
                "PyTorch frees its graph after backward() unless you pass "
                "retain_graph=True; Value keeps it, so a second pass through L runs.",
                _says_e),
    ],
    doc='Return "A", "B", "C", "D" or "E".',
)
