"""Chapter 1: wrong solutions a learner might write, and the mistake each check must name.

Written as a learner would write them, independently of the checks' own
variants in ``bpcourse/check/ch01.py``. ``CATALOGUE[name]`` lists
``(wrong_function, expected mistake name or None)``.
"""

import math

import numpy as np

# ---------------------------------------------------------------------------
# 1.1 local_grads
# ---------------------------------------------------------------------------


def _right(op, inputs, out):
    """A correct solution, for the wrong ones below to start from."""
    if op == "+":
        return (1.0, 1.0)
    if op == "*":
        a, b = inputs
        return (b, a)
    if op == "**":
        x, n = inputs
        return (n * x ** (n - 1), out * math.log(x))
    if op == "exp":
        return (out,)
    if op == "log":
        return (1 / inputs[0],)
    if op == "tanh":
        return (1 - out**2,)
    if op == "sigmoid":
        return (out * (1 - out),)
    if op == "relu":
        return (1.0 if inputs[0] > 0 else 0.0,)
    raise ValueError(op)


def grads_tanh_from_input(op, inputs, out):
    if op == "tanh":
        x = inputs[0]
        return (1 - x * x,)
    return _right(op, inputs, out)


def grads_sigmoid_mixed(op, inputs, out):
    if op == "sigmoid":
        s = 1 / (1 + math.exp(-inputs[0]))
        return (s * (1 - inputs[0]),)
    return _right(op, inputs, out)


def grads_power_no_minus_one(op, inputs, out):
    if op == "**":
        x, n = inputs
        return (n * x**n, x**n * math.log(x))
    return _right(op, inputs, out)


def grads_product_swapped(op, inputs, out):
    if op == "*":
        a, b = inputs
        return (a, b)
    return _right(op, inputs, out)


def grads_relu_always_one(op, inputs, out):
    if op == "relu":
        return (1.0,)
    return _right(op, inputs, out)


def grads_log_is_log(op, inputs, out):
    if op == "log":
        return (math.log(inputs[0]),)
    return _right(op, inputs, out)


def grads_exp_power_rule(op, inputs, out):
    if op == "exp":
        x = inputs[0]
        return (x * math.exp(x - 1),)
    return _right(op, inputs, out)


def grads_exponent_constant(op, inputs, out):
    if op == "**":
        x, n = inputs
        return (n * x ** (n - 1), 0.0)
    return _right(op, inputs, out)


def grads_sigmoid_of_input(op, inputs, out):
    if op == "sigmoid":
        x = inputs[0]
        return (x * (1 - x),)          # sigma(1 - sigma), with x written for sigma
    return _right(op, inputs, out)


def grads_exponent_without_log(op, inputs, out):
    if op == "**":
        x, n = inputs
        return (n * x ** (n - 1), x**n)    # "like e^n, x^n is its own derivative in n"
    return _right(op, inputs, out)


def grads_relu_is_relu(op, inputs, out):
    if op == "relu":
        return (max(0.0, inputs[0]),)    # the function itself, not its slope
    return _right(op, inputs, out)


def grads_tanh_cubed(op, inputs, out):
    if op == "tanh":
        return (1 - out**3,)
    return _right(op, inputs, out)


def grads_sum_is_inputs(op, inputs, out):
    if op == "+":
        return tuple(inputs)
    return _right(op, inputs, out)


def grads_product_from_output(op, inputs, out):
    if op == "*":
        a, b = inputs
        return (out / a, out / b)        # "out = a*b, so d/da = out/a = b"
    return _right(op, inputs, out)


def grads_product_from_output_numpy(op, inputs, out):
    if op == "*":
        a, b = np.array(inputs)
        return (float(out / a), float(out / b))   # numpy: inf and nan, no exception
    return _right(op, inputs, out)


def grads_relu_ge(op, inputs, out):
    if op == "relu":
        return (1.0 if inputs[0] >= 0 else 0.0,)
    return _right(op, inputs, out)


def grads_relu_from_sign(op, inputs, out):
    if op == "relu":
        return ((np.sign(inputs[0]) + 1) / 2,)   # 1/2 at 0
    return _right(op, inputs, out)


def grads_log_from_output(op, inputs, out):
    if op == "log":
        return (1 / np.float64(out),)    # "use out where it is cheaper", as for exp
    return _right(op, inputs, out)


def grads_log_from_output_plain(op, inputs, out):
    if op == "log":
        return (1 / out,)
    return _right(op, inputs, out)


def grads_power_at_n_zero(op, inputs, out):
    if op == "**":
        x, n = inputs
        return (n * out / x if n else 1.0, out * math.log(x))   # 1 where n = 0
    return _right(op, inputs, out)


def grads_sigmoid_in_float32(op, inputs, out):
    if op == "sigmoid":
        s = np.float32(out)                      # "float32 is enough for a derivative"
        return (float(s * (1 - s)),)
    return _right(op, inputs, out)


LOCAL_GRADS = [
    (grads_tanh_from_input, "tanh' written with the input: 1 − x²"),
    (grads_sigmoid_mixed, "sigmoid' written as σ(x)(1 − x)"),
    (grads_power_no_minus_one, "power rule without the n − 1"),
    (grads_product_swapped, "product rule swapped: d(a·b)/da = a"),
    (grads_relu_always_one, "relu' wrong at negative inputs"),
    (grads_log_is_log, "log' written as log x"),
    (grads_exp_power_rule, "exp' from the power rule: x·e^(x−1)"),
    (grads_exponent_constant, "exponent treated as a constant"),
    (grads_sum_is_inputs, "sum rule: derivatives equal to the inputs"),
    (grads_sigmoid_of_input, "sigmoid' written as x(1 − x)"),
    (grads_exponent_without_log, "∂xⁿ/∂n missing the log"),
    (grads_relu_is_relu, "relu' written as relu(x)"),
    (grads_tanh_cubed, None),
    (grads_product_from_output_numpy, "product's derivatives computed as out/a and out/b"),
    (grads_product_from_output, None),      # ZeroDivisionError at a = 0, with its line
    (grads_relu_ge, "relu' at 0 taken as 1"),
    (grads_relu_from_sign, None),
    (grads_log_from_output, "log' computed from the output: 1/out"),
    (grads_log_from_output_plain, None),    # ZeroDivisionError at x = 1
    (grads_power_at_n_zero, None),
    (grads_sigmoid_in_float32, None),   # 1 - out at x = 10 loses its digits
]

CATALOGUE = {"local_grads": LOCAL_GRADS}


# ===========================================================================
# Exercises 1.2 to 1.6, written as a learner would write them
# ===========================================================================

# ---------------------------------------------------------------------------
# 1.2 grad_by_hand: dL/db for u = a*b, v = u + b**2, L = log(v) at a = 3, b = 2
# ---------------------------------------------------------------------------


def hand_only_through_u():
    return 3 / 10            # a / v: forgot b's second use


def hand_only_through_square():
    return 2 * 2 / 10        # 2b / v: forgot the path through a*b


def hand_no_log():
    return 3 + 2 * 2         # dv/db, without the last link


def hand_square_rule_wrong():
    return (3 + 2) / 10      # d(b**2)/db taken as b


def hand_wrong_variable():
    return 2 / 10            # dL/da


def hand_log_not_differentiated():
    return (3 + 2 * 2) * math.log(10)   # log(v) written where dL/dv = 1/v belongs


def hand_rounding_slip():
    return 0.75


GRAD_BY_HAND = [
    (hand_only_through_u, "the path through b**2 is missing"),
    (hand_only_through_square, "the path through u = a*b is missing"),
    (hand_no_log, "the derivative of log is missing"),
    (hand_square_rule_wrong, "d(b**2)/db taken as b"),
    (hand_wrong_variable, "dL/da instead of dL/db"),
    (hand_log_not_differentiated, "log's derivative taken as log(v)"),
    (hand_rounding_slip, None),
]


# ---------------------------------------------------------------------------
# 1.3 topological_sort(graph, output)
# ---------------------------------------------------------------------------


def topo_forgets_visited(graph, output):
    order = []
    stack = [(output, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        for x in graph[node]:
            stack.append((x, False))
    return order


def topo_output_first(graph, output):
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((x, False) for x in graph[node])
    order.reverse()                 # "backward goes from the output", so output first
    return order


def topo_kahn_whole_dict(graph, output):
    pending = {node: len(inputs) for node, inputs in graph.items()}
    users = {node: [] for node in graph}
    for node, inputs in graph.items():
        for x in inputs:
            users[x].append(node)
    ready = [node for node, n in pending.items() if n == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for u in users[node]:
            pending[u] -= 1
            if pending[u] == 0:
                ready.append(u)
    return order


def topo_skips_leaves(graph, output):
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if graph[node]:           # "leaves are not operations"
                order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((x, False) for x in graph[node])
    return order


def topo_preorder(graph, output):
    order, seen, stack = [], set(), [output]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)        # appended before its inputs are
            stack.extend(reversed(graph[node]))
    return order


def topo_recursive(graph, output):
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for x in graph[node]:
            visit(x)
        order.append(node)

    visit(output)
    return order


def topo_marks_when_pushed(graph, output):
    # post-order, but a node is marked seen when it is pushed, not when it is expanded
    order, seen, stack = [], {output}, [(output, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        for x in graph[node]:
            if x not in seen:
                seen.add(x)
                stack.append((x, False))
    return order


def topo_dfs_from_every_key(graph, output):
    order, seen = [], set()
    for start in graph:                  # "every node, to be safe"
        stack = [(start, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((x, False) for x in graph[node] if x not in seen)
    return order


def topo_kahn_distinct_in_degree(graph, output):
    # Kahn's algorithm on the nodes output needs, but a node's in-degree counts its
    # distinct inputs while every listed input (with repeats) decrements it
    needed, stack = set(), [output]
    while stack:
        node = stack.pop()
        if node not in needed:
            needed.add(node)
            stack.extend(graph[node])
    users = {node: [] for node in needed}
    for node in sorted(needed):
        for x in graph[node]:
            users[x].append(node)
    waiting = {node: len(set(graph[node])) for node in needed}
    ready = [node for node in sorted(needed) if waiting[node] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for user in users[node]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return order


TOPOLOGICAL_SORT = [
    (topo_forgets_visited, "no record of visited nodes"),
    (topo_output_first, "the backward order, not the forward one"),
    (topo_kahn_whole_dict, None),   # another order: the report names the extra node
    (topo_dfs_from_every_key, "nodes the output does not depend on"),
    (topo_skips_leaves, "leaves left out"),
    (topo_preorder, "a node appended before its inputs"),
    (topo_recursive, None),   # right on small graphs; RecursionError on the deep chain
    (topo_marks_when_pushed, None),   # not pre-order: the check says which node is early
    (topo_kahn_distinct_in_degree, None),   # c = f(a, a, b) released before b
]


# ---------------------------------------------------------------------------
# 1.4 tape_backward(tape, values, output)
# ---------------------------------------------------------------------------


def _tape_backward_with(tape, values, output, add, mul, tanh, walk=reversed, seed=1.0):
    grads = {name: 0.0 for name in values}
    grads[output] = seed
    for out, op, inputs in walk(tape):
        g = grads[out]
        if op == "add":
            for x in inputs:
                add(grads, x, g)
        elif op == "mul":
            x, y = inputs
            mul(grads, values, x, y, g)
        elif op == "tanh":
            (x,) = inputs
            tanh(grads, values, out, x, g)
    return grads


def _add_ok(grads, x, g):
    grads[x] += g


def _mul_ok(grads, values, x, y, g):
    grads[x] += values[y] * g
    grads[y] += values[x] * g


def _tanh_ok(grads, values, out, x, g):
    grads[x] += (1 - values[out] ** 2) * g


def tape_as_given(tape, values, output):
    grads = {name: 0.0 for name in values}
    grads[output] = 1.0
    for out, op, inputs in reversed(tape):
        g = grads[out]
        if op == "add":
            for x in inputs:
                grads[x] = g
        elif op == "mul":
            x, y = inputs
            grads[x] = values[y] * g
            grads[y] = values[x] * g
        elif op == "tanh":
            (x,) = inputs
            grads[x] = (1 - values[out] ** 2) * g
    return grads


def tape_mul_not_fixed(tape, values, output):
    def mul(grads, values, x, y, g):
        grads[x] = values[y] * g
        grads[y] = values[x] * g
    return _tape_backward_with(tape, values, output, _add_ok, mul, _tanh_ok)


def tape_forwards(tape, values, output):
    return _tape_backward_with(tape, values, output, _add_ok, _mul_ok, _tanh_ok, walk=iter)


def tape_seed_then_reset(tape, values, output):
    grads = {output: 1.0}
    grads = {name: 0.0 for name in values}      # the seed is lost here
    for out, op, inputs in reversed(tape):
        g = grads[out]
        if op == "add":
            for x in inputs:
                grads[x] += g
        elif op == "mul":
            x, y = inputs
            grads[x] += values[y] * g
            grads[y] += values[x] * g
        elif op == "tanh":
            (x,) = inputs
            grads[x] += (1 - values[out] ** 2) * g
    return grads


def tape_tanh_of_input(tape, values, output):
    def tanh(grads, values, out, x, g):
        grads[x] += (1 - values[x] ** 2) * g
    return _tape_backward_with(tape, values, output, _add_ok, _mul_ok, tanh)


def tape_mul_own_value(tape, values, output):
    def mul(grads, values, x, y, g):
        grads[x] += values[x] * g
        grads[y] += values[y] * g
    return _tape_backward_with(tape, values, output, _add_ok, mul, _tanh_ok)


def tape_doubles_add(tape, values, output):
    def add(grads, x, g):
        grads[x] += 2 * g
    return _tape_backward_with(tape, values, output, add, _mul_ok, _tanh_ok)


def tape_seeds_last(tape, values, output):
    last = tape[-1][0]                   # "the output is what the tape computed last"
    return _tape_backward_with(tape, values, last, _add_ok, _mul_ok, _tanh_ok)


def tape_in_float32(tape, values, output):
    values32 = {k: np.float32(v) for k, v in values.items()}   # "saves memory"
    grads = _tape_backward_with(tape, values32, output, _add_ok, _mul_ok, _tanh_ok)
    return {k: float(v) for k, v in grads.items()}


def _mul_from_output(grads, values, x, y, g):
    # d(x*y)/dx = out / x: right unless x is 0
    out = values[x] * values[y]
    grads[x] += out / values[x] * g
    grads[y] += out / values[y] * g


def tape_mul_from_output(tape, values, output):
    return _tape_backward_with(tape, values, output, _add_ok, _mul_from_output, _tanh_ok)


def tape_seeds_when_reached(tape, values, output):
    grads = {name: 0.0 for name in values}
    for out, op, inputs in reversed(tape):
        if out == output:
            grads[out] = 1.0
        g = grads[out]
        if op == "add":
            for x in inputs:
                grads[x] += g
        elif op == "mul":
            x, y = inputs
            grads[x] += values[y] * g
            grads[y] += values[x] * g
        else:
            grads[inputs[0]] += (1 - values[out] ** 2) * g
    return grads


TAPE_BACKWARD = [
    (tape_as_given, "gradients overwritten instead of accumulated"),
    (tape_mul_not_fixed, "`mul` still overwrites"),
    (tape_forwards, "the tape walked forwards"),
    (tape_seed_then_reset, "the output's gradient is not seeded"),
    (tape_tanh_of_input, "tanh's derivative from the input"),
    (tape_mul_own_value, "mul's local derivatives swapped"),
    (tape_doubles_add, None),
    (tape_seeds_last, "the last entry of the tape seeded instead of output"),
    (tape_in_float32, None),
    (tape_mul_from_output, None),   # ZeroDivisionError at x = 0
    (tape_seeds_when_reached, "the output seeded only when its tape entry is reached"),
]


# ---------------------------------------------------------------------------
# 1.5 count_paths_and_edges(graph, output)
# ---------------------------------------------------------------------------


def _order(graph, output):
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((x, False) for x in graph[node])
    return order


def count_nodes_not_edges(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        paths[node] = sum(paths[x] for x in graph[node]) if graph[node] else 1
    return paths[output], len(order)


def count_with_sets(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        inputs = set(graph[node])
        paths[node] = sum(paths[x] for x in inputs) if inputs else 1
    return paths[output], sum(len(set(graph[n])) for n in order)


def count_paths_from_every_node(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        paths[node] = 1 + sum(paths[x] for x in graph[node])
    return paths[output], sum(len(graph[n]) for n in order)


def count_edges_of_whole_dict(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        paths[node] = sum(paths[x] for x in graph[node]) if graph[node] else 1
    return paths[output], sum(len(inputs) for inputs in graph.values())


def count_paths_once_per_input(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        inputs = set(graph[node])           # "b = a + a has one input: a"
        paths[node] = sum(paths[x] for x in inputs) if inputs else 1
    return paths[output], sum(len(graph[n]) for n in order)


def count_by_listing_paths(graph, output):
    # right, but lists every path: 4**30 of them in the deep layered case
    paths = 0
    stack = [output]
    while stack:
        node = stack.pop()
        if not graph[node]:
            paths += 1
        stack.extend(graph[node])
    return paths, sum(len(graph[n]) for n in _order(graph, output))


def count_in_floats(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        paths[node] = sum(paths[x] for x in graph[node]) if graph[node] else 1.0
    return paths[output], sum(len(graph[n]) for n in order)


def count_with_numpy_float32(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        inputs = graph[node]
        paths[node] = np.float32(sum(paths[x] for x in inputs)) if inputs else np.float32(1)
    return float(paths[output]), sum(len(graph[n]) for n in order)


def count_in_int64(graph, output):
    order = _order(graph, output)
    paths = {}
    for node in order:
        inputs = graph[node]
        paths[node] = np.array([paths[x] for x in inputs]).sum() if inputs else np.int64(1)
    return paths[output], sum(len(graph[n]) for n in order)


COUNT_PATHS_AND_EDGES = [
    (count_nodes_not_edges, "nodes counted instead of edges"),
    (count_with_sets, "a repeated input counted once"),
    (count_paths_from_every_node, "paths counted from every node, not only the leaves"),
    (count_edges_of_whole_dict, "edges of nodes the output does not use"),
    (count_paths_once_per_input, "paths counted once per distinct input"),
    (count_by_listing_paths, None),   # stopped by the time limit
    (count_in_floats, None),          # 3**38 rounded: "compute with Python integers"
    (count_with_numpy_float32, None),
    (count_in_int64, "paths counted in numpy int64, which overflows"),
]


# ---------------------------------------------------------------------------
# 1.6 grad_after_second_pass
# ---------------------------------------------------------------------------


def predicts_overwrite():
    return "A"          # "M's pass replaces a.grad with dM/da = 18"


def predicts_untouched():
    return "b"          # "M's pass stops at L, so a keeps its 9"


def predicts_snowball():
    return "D"


def predicts_error():
    return "E"


GRAD_AFTER_SECOND_PASS = [
    (predicts_overwrite, "(A) 18"),
    (predicts_untouched, "(B) 9"),
    (predicts_snowball, "(D) more than 27"),
    (predicts_error, "(E) an error"),
]

CATALOGUE.update({
    "grad_by_hand": GRAD_BY_HAND,
    "topological_sort": TOPOLOGICAL_SORT,
    "tape_backward": TAPE_BACKWARD,
    "count_paths_and_edges": COUNT_PATHS_AND_EDGES,
    "grad_after_second_pass": GRAD_AFTER_SECOND_PASS,
})
