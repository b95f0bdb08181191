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
    _case("**", 1.5, 3.0, label="** with x = 1.5, n = 3"),
    _case("**", 4.0, 0.5, label="** with x = 4, n = 0.5 (a square root)"),
    _case("exp", 0.7),
    _case("log", 2.5),
    _case("tanh", 0.5),
    _case("tanh", -1.2),
    _case("sigmoid", 0.3),
    _case("sigmoid", -2.0),
    _case("relu", 1.5),
    _case("relu", -0.7, label="relu at a negative input"),
]


def _random_cases(rng):
    cases = []
    for op in OPS:
        for _ in range(2):
            if op == "**":
                inputs = (float(rng.uniform(0.2, 3.0)), float(rng.uniform(-2.0, 3.0)))
            elif op == "log":
                inputs = (float(rng.uniform(0.1, 5.0)),)
            elif op == "relu":   # never exactly 0, where the derivative is a convention
                inputs = (float(rng.choice([-1, 1]) * rng.uniform(0.05, 3.0)),)
            else:
                inputs = tuple(float(x) for x in rng.uniform(-3.0, 3.0, _ARITY.get(op, 1)))
            cases.append(_case(op, *inputs, label=f"random {op}"))
    return cases


def _variant(op, wrong):
    """The reference, except that ``op`` uses ``wrong(inputs, out)``."""
    def local_grads(op_, inputs, out):
        if op_ == op:
            return tuple(wrong(inputs, out))
        return _reference(op_, inputs, out)
    return local_grads


def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


_MISTAKES = [
    Mistake("tanh' written with the input: 1 − x²",
            "d tanh(x)/dx = 1 − tanh²(x): square the output `out`, not the input.",
            _variant("tanh", lambda i, o: (1 - i[0] ** 2,))),
    Mistake("sigmoid' written as σ(x)(1 − x)",
            "dσ/dx = σ(x)(1 − σ(x)): both factors are the output `out`.",
            _variant("sigmoid", lambda i, o: (o * (1 - i[0]),))),
    Mistake("sigmoid' written as x(1 − x)",
            "dσ/dx = σ(x)(1 − σ(x)), with σ(x) = out, not x.",
            _variant("sigmoid", lambda i, o: (i[0] * (1 - i[0]),))),
    Mistake("power rule without the n − 1",
            "d xⁿ/dx = n·x^(n−1): the exponent drops by one.",
            _variant("**", lambda i, o: (i[1] * i[0] ** i[1], o * math.log(i[0])))),
    Mistake("∂xⁿ/∂n missing the log",
            "As a function of the exponent, xⁿ = e^(n log x), so ∂xⁿ/∂n = xⁿ·log x.",
            _variant("**", lambda i, o: (i[1] * i[0] ** (i[1] - 1), o))),
    Mistake("exponent treated as a constant",
            "Both x and n are inputs of **: ∂xⁿ/∂n = xⁿ·log x is not 0.",
            _variant("**", lambda i, o: (i[1] * i[0] ** (i[1] - 1), 0.0))),
    Mistake("product rule swapped: d(a·b)/da = a",
            "d(a·b)/da = b and d(a·b)/db = a: each input's derivative is the *other* input.",
            _variant("*", lambda i, o: (i[0], i[1]))),
    Mistake("relu' wrong at negative inputs",
            "relu(x) = max(0, x) is flat for x < 0, so its derivative there is 0.",
            _variant("relu", lambda i, o: (1.0,))),
    Mistake("relu' written as relu(x)",
            "The derivative of max(0, x) is 1 for x > 0 and 0 otherwise, not the output.",
            _variant("relu", lambda i, o: (o,))),
    Mistake("log' written as log x",
            "d log(x)/dx = 1/x: the derivative of the logarithm is not the logarithm.",
            _variant("log", lambda i, o: (o,))),
    Mistake("exp' from the power rule: x·e^(x−1)",
            "e^x is not a power of x: its derivative is e^x itself, which is `out`.",
            _variant("exp", lambda i, o: (i[0] * math.exp(i[0] - 1),))),
    Mistake("sum rule: derivatives equal to the inputs",
            "d(a + b)/da = 1 and d(a + b)/db = 1, whatever a and b are.",
            _variant("+", lambda i, o: (i[0], i[1]))),
]

local_grads = Exercise(
    id="1.1",
    name="local_grads",
    reference=_reference,
    cases=_CASES,
    random_cases=_random_cases,
    mistakes=_MISTAKES,
    hint="Write each rule down on paper first, then use `out` where the rule uses the output.",
    doc='See chapter 1, "Local derivatives".',
)


# ===========================================================================
# Exercises 1.2 to 1.6 (chapter 1's own), appended after the machinery's 1.1:
# 1.2 grad_by_hand           a gradient by hand, through two paths
# 1.3 topological_sort       any valid order is accepted (judged by its rules)
# 1.4 tape_backward          debug: a backward pass that overwrites
# 1.5 count_paths_and_edges  the sum-over-paths terms against backward's work
# 1.6 three_backward_calls   predict-then-run: leaves accumulate across passes
# ===========================================================================

__all__ += ["grad_by_hand", "topological_sort", "tape_backward", "count_paths_and_edges",
            "three_backward_calls"]
# ---------------------------------------------------------------------------
# 1.2 grad_by_hand() -> float
# ---------------------------------------------------------------------------


def _grad_by_hand():
    """dL/db for u = a b, v = u + b^2, L = log v at a = 3, b = 2: (a + 2b) / v = 0.7."""
    return (3 + 2 * 2) / 10


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
                lambda: 3 / 10),
        Mistake("the path through u = a*b is missing",
                "0.4 = 2b / v counts only the path through b**2. b also reaches v through "
                f"u = a*b, with local derivative du/db = a: add that path {_SEE_PATHS}.",
                lambda: 4 / 10),
        Mistake("the derivative of log is missing",
                "7 = a + 2b is dv/db. L = log(v) adds one more link to every path: "
                "dL/dv = 1/v = 1/10.",
                lambda: 7.0),
        Mistake("d(b**2)/db taken as b",
                "The local derivative of b**2 is 2b = 4, not b (the power rule, "
                "section 1.3).",
                lambda: (3 + 2) / 10),
        Mistake("dL/da instead of dL/db",
                "0.2 = b / v is the gradient with respect to a. The exercise asks for b.",
                lambda: 2 / 10),
        Mistake("log's derivative taken as log(v)",
                "d log(v)/dv = 1/v, not log(v): the local derivative from the table of "
                "section 1.3.",
                lambda: 7 * np.log(10)),
    ],
    hint="List the paths from b to L; multiply the local derivatives along each path and "
         f"add the paths {_SEE_PATHS}.",
    doc="Return the number you computed by hand.",
)


# ---------------------------------------------------------------------------
# 1.3 topological_sort(graph, output) -> list of node names
# ---------------------------------------------------------------------------
# Many orders are valid, so the check compares a verdict on the order, not the
# order itself: "a valid topological order", or the first rule it breaks.

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


def _topo_verdict(order, args, kwargs):
    """The first rule ``order`` breaks, in words, or _VALID."""
    graph, output = args
    if not isinstance(order, (list, tuple)):
        return f"not a list (got {type(order).__name__})"
    try:
        return _topo_rules(order, graph, output)
    except TypeError:  # unhashable entries: not node names
        return "not a list of node names"


def _topo_rules(order, graph, output):
    needed = set(_topological_sort(graph, output))
    if len(set(order)) < len(order):
        return "a node appears more than once"
    if set(order) - needed:
        return "extra nodes: it lists nodes that output does not depend on"
    missing = needed - set(order)
    if missing:
        leaves = {n for n in missing if not graph[n]}
        return "leaves are missing" if leaves == missing else "nodes are missing"
    if _in_order(order, graph):
        return _VALID
    if _in_order(order[::-1], graph):
        return "reversed: every node comes before its inputs, the output first"
    return "a node comes before one of its inputs"


def _in_order(order, graph):
    position = {n: i for i, n in enumerate(order)}
    return all(position[x] < position[n] for n in order for x in graph[n])


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


def _topo_preorder(graph, output, first_input_first=False):
    # appends a node when it is first reached, before its inputs
    order, seen, stack = [], set(), [output]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(reversed(graph[node]) if first_input_first else graph[node])
    return order


# deeper than Python's default recursion limit (1,000 frames)
_CHAIN = {"x0": [], **{f"x{i}": [f"x{i - 1}"] for i in range(1, 2000)}}

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
    ],
    random_cases=lambda rng: [*_topo_cases(rng),
                              Case((_CHAIN, "x1999"),
                                   label="a chain 2,000 nodes deep: a recursive walk "
                                         "exceeds Python's recursion limit (section 1.6)")],
    observe=_topo_verdict,
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
        *(Mistake("a node appended before its inputs",
                  "Appending a node when it is first reached (pre-order) puts it before its "
                  "inputs. Append it only after all of its inputs have been appended "
                  "(post-order): push (node, True) back on the stack before its inputs.",
                  lambda g, o, first=first: _topo_preorder(g, o, first))
          for first in (False, True)),
    ],
    hint="Start at `output`, follow inputs, and append a node only after all of its "
         "inputs have been appended, each node once.",
    doc="Return a list of node names, each once, every node after its inputs.",
)


# ---------------------------------------------------------------------------
# 1.4 tape_backward(tape, values, output) -> dict of gradients
# ---------------------------------------------------------------------------


def _tape_backward(tape, values, output, *, accumulate=("add", "mul", "tanh"), seed=1.0,
                   reverse=True, mul_swapped=False, tanh_from_input=False):
    """d values[output] / d node for every node; the keyword arguments make the mistakes."""
    grads = {name: 0.0 for name in values}
    grads[output] = seed
    for out, op, inputs in (reversed(tape) if reverse else tape):
        g = grads[out]
        if op == "add":
            updates = [(x, g) for x in inputs]
        elif op == "mul":
            x, y = inputs
            dx, dy = (values[x], values[y]) if mul_swapped else (values[y], values[x])
            updates = [(x, dx * g), (y, dy * g)]
        elif op == "tanh":
            (x,) = inputs
            t = float(np.tanh(values[x])) if not tanh_from_input else values[x]
            updates = [(x, (1 - t * t) * g)]
        else:
            raise ValueError(f"tape_backward: unknown op {op!r} in the tape")
        for name, c in updates:
            grads[name] = grads[name] + c if op in accumulate else c
    return grads


def _tape_observe(returned, args, kwargs):
    """The gradients as an array, in the order of ``values`` (NaN where a key is missing)."""
    _, values, _ = args
    if not isinstance(returned, dict):
        return returned
    return np.array([_as_float(returned.get(k)) for k in values])


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
    ],
    random_cases=_tape_cases,
    observe=_tape_observe,
    mistakes=[
        Mistake("gradients overwritten instead of accumulated",
                "`grads[x] = ...` keeps only the last contribution to a node used twice. "
                f"Every operation must add: `grads[x] += ...` {_SEE_ACCUMULATE}.",
                lambda *a: _tape_backward(*a, accumulate=())),
        Mistake("`mul` still overwrites",
                "`grads[x] = values[y] * g` in `mul` loses a*a's first contribution "
                "and any earlier one. Use `+=` there too.",
                lambda *a: _tape_backward(*a, accumulate=("add", "tanh"))),
        Mistake("the tape walked forwards",
                "A node may pass its gradient on only when it is complete: walk the tape "
                "from the end, `reversed(tape)`.",
                lambda *a: _tape_backward(*a, reverse=False)),
        Mistake("the output's gradient is not seeded",
                "Every gradient starts from dL/dL = 1: set `grads[output] = 1.0` before "
                "the loop (after creating the zeros, not before).",
                lambda *a: _tape_backward(*a, seed=0.0)),
        Mistake("mul's local derivatives swapped",
                "d(x*y)/dx = y: x's contribution is values[y] * g, not values[x] * g.",
                lambda *a: _tape_backward(*a, mul_swapped=True)),
        Mistake("tanh's derivative from the input",
                "The tape stores the output o = tanh(x) in values[out]; the local "
                "derivative is 1 - o**2, not 1 - x**2.",
                lambda *a: _tape_backward(*a, tanh_from_input=True)),
    ],
    hint="Compare each operation's update with the rule u.grad += local derivative * "
         f"v.grad, walking the tape backwards {_SEE_BACKWARD}.",
    doc="Return a dict {node: gradient} for every node in values.",
)


# ---------------------------------------------------------------------------
# 1.5 count_paths_and_edges(graph, output) -> (paths, edges)
# ---------------------------------------------------------------------------


def _count_paths_and_edges(graph, output, *, multiplicity=True, count="edges",
                           starts="leaves", reachable=True):
    """Paths from the leaves to output (the terms of the sum over paths) and the edges
    the backward pass uses."""
    order = _topological_sort(graph, output)
    paths = {}
    for node in order:
        inputs = graph[node] if multiplicity else list(dict.fromkeys(graph[node]))
        from_inputs = sum(paths[x] for x in inputs)
        if starts == "every node":
            paths[node] = from_inputs + 1
        else:
            paths[node] = from_inputs if graph[node] else 1
    nodes = order if reachable else list(graph)
    if count == "edges":
        edges = sum(len(graph[n]) for n in nodes)
    elif count == "distinct edges":
        edges = sum(len(set(graph[n])) for n in nodes)
    else:
        edges = len(nodes)
    return paths[output], edges


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
    ],
    random_cases=_count_cases,
    returns=("paths", "edges"),
    mistakes=[
        Mistake("nodes counted instead of edges",
                "The backward pass does one multiply-add per *edge* (each input of each "
                "node), not one per node: edges = sum of len(graph[node]).",
                lambda g, o: _count_paths_and_edges(g, o, count="nodes")),
        Mistake("a repeated input counted once",
                "In b = a + a there are two edges from a to b, and two paths: the chain "
                "rule adds both (section 1.5). Count the inputs with repetition.",
                lambda g, o: _count_paths_and_edges(g, o, multiplicity=False,
                                                    count="distinct edges")),
        Mistake("paths counted from every node, not only the leaves",
                f"A term of the sum over paths {_SEE_PATHS} starts at a leaf. An inner "
                "node gets the paths of its inputs, and no path of its own.",
                lambda g, o: _count_paths_and_edges(g, o, starts="every node")),
        Mistake("edges of nodes the output does not use",
                "Count only the edges among the nodes `output` depends on (those in its "
                "topological order), not every entry of the dictionary.",
                lambda g, o: _count_paths_and_edges(g, o, reachable=False)),
        Mistake("paths counted once per distinct input",
                "Repeated inputs are separate edges and give separate paths: sum the "
                "path counts over graph[node] with repetition.",
                lambda g, o: _count_paths_and_edges(g, o, multiplicity=False)),
    ],
    hint="paths[node] = sum of paths[x] over the inputs x (1 for a leaf), in topological "
         "order; edges = sum of len(graph[node]) over the same nodes.",
    doc="Return (paths, edges), two integers.",
)


# ---------------------------------------------------------------------------
# 1.6 three_backward_calls() -> "A" | "B" | "C" | "D" | "E"
# ---------------------------------------------------------------------------


def _three_backward_calls():
    """Leaves accumulate: three passes give 3 x 9 = 27."""
    return "C"


def _letter(returned, args, kwargs):
    # "c", " C " and "C." all mean C
    return returned.strip().strip(".)(").upper() if isinstance(returned, str) else returned


def _accept_choice(got, expected, case):
    """One of the five letters; never show the answer."""
    if got not in ("A", "B", "C", "D", "E"):
        return f'answer with one letter, "A", "B", "C", "D" or "E"; got {got!r}'
    return None if got == expected else f"({got}) is not what happens."


three_backward_calls = Exercise(
    id="1.6", name="three_backward_calls", reference=_three_backward_calls,
    cases=[Case((), label="L = (a*b + a)**2, L.backward() called three times")],
    observe=_letter,
    accept=_accept_choice,
    mistakes=[
        Mistake("(A) 9",
                "backward() adds into the leaves' gradients, it does not overwrite them: "
                "that is what lets you sum gradients over several passes.",
                lambda: "A"),
        Mistake("(B) 18",
                "Every call adds the full gradient 9 to a.grad, the first one included.",
                lambda: "B"),
        Mistake("(D) more than 27",
                "That is what an engine that never resets its intermediate nodes does. "
                "Value.backward() resets every intermediate gradient before each pass, so "
                "each call sends exactly 9 to a.",
                lambda: "D"),
        Mistake("(E) an error",
                "PyTorch frees its graph after backward() unless you pass "
                "retain_graph=True; Value keeps it, so a second and third pass run.",
                lambda: "E"),
    ],
    doc='Return "A", "B", "C", "D" or "E".',
)
