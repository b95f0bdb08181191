"""Mutation testing of every check: wrong solutions nobody thought of.

The catalogues (tests/catalogue/) hold the mistakes their authors thought
of. This file makes wrong solutions mechanically: for every registered
exercise (``bpcourse.check.REGISTRY``, so a new chapter is covered as soon as
it registers), it takes the source of the exercise's reference, and of the
package functions the reference calls, and changes one thing at a time by
AST transformation (see ``_Sites`` below): an operator swapped, a term
dropped, a constant off by one, a transpose added or removed, an axis
changed or a keyword dropped, a comparison flipped, iteration reversed,
``+=`` made ``=``, a statement deleted, two arguments swapped, ``max`` for
``min`` or ``sum`` for ``mean``, the whole function computed in float32, an
array argument squeezed (a batch of one loses its axis).

Each such *mutant* is a wrong solution, unless it is equivalent to the
reference. The test asks, for every mutant:

1. does the check reject it? (run on the check's own cases; killed if so)
2. if not, does its output differ from the reference's on any *probe*: the
   check's cases, random cases drawn from three other seeds, and the edge
   cases listed in ``EDGE_PROBES`` (the text's edges: kinks, zeros, a batch
   of one, missing classes, underflow, ...)? "Differ" is judged exactly as the
   check judges (its tolerance, its ``observe`` and ``accept``).

A mutant that passes the check and differs on a probe is a *survivor*: the
check accepts a wrong solution, and the probe is the case that exposes it.
Every survivor fails the test, with that case, unless ``EQUIVALENT`` lists
it with a comment that says why it is not wrong (the text allows it). A
mutant the check rejects but no probe tells apart from the reference is
fine (the probes may be too few; the check's own cases decided).

Mutants are generated deterministically; an exercise whose functions give
more than ``MAX_MUTANTS`` of them is tested on a fixed, seeded sample of
that many (the count is printed with ``-s``). Run one chapter's with
``pytest tests/test_mutants.py -k ch01``.
"""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
import time
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from bpcourse import value as value_module
from bpcourse.check import REGISTRY, Case

pytestmark = pytest.mark.filterwarnings("ignore")   # mutants overflow, divide by 0, ...

MAX_MUTANTS = 600      # per exercise; more are sampled down, deterministically
TIME_LIMIT = 1.0       # seconds per call of a mutant (the check's own is 3 s)
PROBE_SEEDS = (1, 2, 3)


# ---------------------------------------------------------------------------
# What to mutate: the reference, and the package functions it calls
# ---------------------------------------------------------------------------

# Functions reached in ways the call graph below cannot see (operators on
# Values, getattr): (owner, attribute) pairs, mutated like the rest.
EXTRA_TARGETS = {
    "local_grads": [(value_module.Value, m) for m in
                    ("__add__", "__mul__", "__pow__", "exp", "log", "tanh", "sigmoid",
                     "relu")] + [(value_module, "_pow_values")],
}

# Input validation: its mutants only raise on valid input (and are rejected)
# or accept invalid input the checks never pass. Not mutated.
_SKIP_PREFIXES = ("_check", "_array", "_same_shape", "_lift", "_real_pow")


@dataclass
class Target:
    """A function to mutate, and where it lives: ``owner.attr`` is ``fn``."""

    owner: object      # a module or a class; None for the reference itself
    attr: str
    fn: Callable

    @property
    def name(self):
        owner = getattr(self.owner, "__name__", "")
        return f"{owner.rsplit('.', 1)[-1]}.{self.attr}" if owner else self.attr


def _callees(fn):
    """Package functions ``fn`` calls by a global name or as ``module.function``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError):
        return []
    found = []
    glob = getattr(fn, "__globals__", {})
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and inspect.isfunction(glob.get(f.id)):
            owner = inspect.getmodule(glob[f.id])
            found.append(Target(owner, f.id, glob[f.id]))
        elif (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
              and isinstance(glob.get(f.value.id), types.ModuleType)):
            module = glob[f.value.id]
            if inspect.isfunction(getattr(module, f.attr, None)):
                found.append(Target(module, f.attr, getattr(module, f.attr)))
    return [t for t in found if t.fn.__module__.startswith("bpcourse")
            and t.fn.__module__ != "bpcourse.check._core"
            and not t.attr.startswith(_SKIP_PREFIXES)]


def targets(name):
    """The reference first, then what it calls (two levels deep), each once."""
    ref = inspect.unwrap(REGISTRY[name].reference)
    out = [Target(None, ref.__name__, ref)]
    frontier = [ref]
    for _ in range(2):
        nxt = []
        for fn in frontier:
            for t in _callees(fn):
                if all(t.fn is not s.fn for s in out):
                    out.append(t)
                    nxt.append(t.fn)
        frontier = nxt
    for owner, attr in EXTRA_TARGETS.get(name, []):
        out.append(Target(owner, attr, getattr(owner, attr)))
    return out


# ---------------------------------------------------------------------------
# How to mutate: one change at one node of the function's syntax tree
# ---------------------------------------------------------------------------

_BINOP_SWAPS = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div, ast.Add],
                ast.Div: [ast.Mult], ast.FloorDiv: [ast.Div], ast.Pow: [ast.Mult],
                ast.MatMult: [ast.Mult], ast.Mod: [ast.FloorDiv]}
_CMP_SWAPS = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt],
              ast.GtE: [ast.Gt, ast.LtE], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
              ast.In: [ast.NotIn], ast.NotIn: [ast.In], ast.Is: [ast.IsNot],
              ast.IsNot: [ast.Is]}
_METHOD_SWAPS = {"max": "min", "min": "max", "sum": "mean", "mean": "sum",
                 "argmax": "argmin", "argmin": "argmax", "maximum": "minimum",
                 "minimum": "maximum", "exp": "log", "log": "exp", "tanh": "sinh",
                 "cos": "sin", "sin": "cos", "sqrt": "abs"}
_DROPPED_CALLS = {"copy", "astype", "reversed", "float", "abs", "sqrt", "list", "tuple"}
_KEYWORDS = {"axis", "keepdims", "dtype", "ord", "replace", "size"}


def _is_docstring(node):
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


class _Skip(ast.NodeVisitor):
    """Nodes not to mutate: messages (raise, f-strings, asserts), docstrings."""

    def __init__(self):
        self.skip = set()

    def generic_visit(self, node):
        if isinstance(node, (ast.Raise, ast.JoinedStr, ast.Assert)) or (
                isinstance(node, ast.Expr) and _is_docstring(node)):
            self.skip.update(id(n) for n in ast.walk(node))
            return
        super().generic_visit(node)


def _mutations(node):
    """(description, new node) for every mutation of ``node`` alone."""
    u = ast.unparse
    out = []
    if isinstance(node, ast.BinOp):
        for op in _BINOP_SWAPS.get(type(node.op), []):
            new = ast.BinOp(node.left, op(), node.right)
            out.append(new)
        out += [node.left, node.right]                          # a term dropped
        if isinstance(node.op, ast.MatMult):                    # a transpose
            out += [ast.BinOp(ast.Attribute(node.left, "T", ast.Load()), node.op, node.right),
                    ast.BinOp(node.left, node.op, ast.Attribute(node.right, "T", ast.Load()))]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        out.append(node.operand)
    elif isinstance(node, ast.BoolOp):
        out.append(ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(),
                              node.values))
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        for op in _CMP_SWAPS.get(type(node.ops[0]), []):
            out.append(ast.Compare(node.left, [op()], node.comparators))
    elif (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
          and not isinstance(node.value, bool)):
        out += [ast.Constant(node.value + 1), ast.Constant(node.value - 1)]
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        out.append(node.value)                                  # a transpose removed
    elif isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name in _METHOD_SWAPS:
            new = copy.copy(node)
            new.func = (ast.Attribute(f.value, _METHOD_SWAPS[name], ast.Load())
                        if isinstance(f, ast.Attribute) else ast.Name(_METHOD_SWAPS[name],
                                                                      ast.Load()))
            out.append(new)
        if name in _DROPPED_CALLS:
            if isinstance(f, ast.Attribute) and name in ("copy", "astype"):
                out.append(f.value)
            elif isinstance(f, ast.Name) and len(node.args) == 1 and not node.keywords:
                out.append(node.args[0])
        if len(node.args) >= 2:                                  # two arguments swapped
            args = list(node.args)
            if not any(isinstance(a, ast.Starred) for a in args[:2]):
                args[0], args[1] = args[1], args[0]
                new = copy.copy(node)
                new.args = args
                out.append(new)
        for i, kw in enumerate(node.keywords):
            if kw.arg in _KEYWORDS:                              # a keyword dropped
                new = copy.copy(node)
                new.keywords = node.keywords[:i] + node.keywords[i + 1:]
                out.append(new)
            if kw.arg == "axis" and isinstance(kw.value, ast.Constant):
                for axis in (0, 1, -1, None):                    # another axis
                    if axis != kw.value.value:
                        new = copy.copy(node)
                        new.keywords = [*node.keywords[:i], ast.keyword("axis",
                                        ast.Constant(axis)), *node.keywords[i + 1:]]
                        out.append(new)
    elif isinstance(node, (ast.For, ast.comprehension)):         # reversed iteration
        new = copy.copy(node)
        new.iter = ast.Call(ast.Name("reversed", ast.Load()),
                            [ast.Call(ast.Name("list", ast.Load()), [node.iter], [])], [])
        out.append(new)
    elif isinstance(node, (ast.If, ast.IfExp, ast.While)):       # a condition negated
        new = copy.copy(node)
        new.test = ast.UnaryOp(ast.Not(), node.test)
        out.append(new)
    elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(
            node.value.elts) >= 2 and not isinstance(node.value.elts[0], ast.Starred):
        elts = list(node.value.elts)                             # two results swapped
        elts[0], elts[1] = elts[1], elts[0]
        out.append(ast.Return(ast.Tuple(elts, ast.Load())))
    elif isinstance(node, ast.AugAssign):                        # += made = ; += made -=
        out.append(ast.Assign([node.target], node.value))
        for op in _BINOP_SWAPS.get(type(node.op), [])[:1]:
            out.append(ast.AugAssign(node.target, op(), node.value))
    out = [ast.fix_missing_locations(ast.copy_location(new, node)) for new in out]
    return [(f"{u(node).splitlines()[0]} -> {u(new).splitlines()[0]}", new) for new in out]


def _statement_deletions(body):
    """Indices of statements in ``body`` that may be deleted (one at a time)."""
    return [i for i, s in enumerate(body)
            if isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr))
            and not _is_docstring(s)]


@dataclass
class Mutant:
    target: Target
    description: str
    fn: Callable            # the mutated function, stands in for target.fn

    @property
    def key(self):
        return f"{self.target.name}: {self.description}"


def _compile(target, tree, helpers=None):
    ast.fix_missing_locations(tree)
    code = compile(tree, f"<mutant of {target.name}>", "exec")
    namespace = dict(target.fn.__globals__)
    namespace.update(helpers or {})
    exec(code, namespace)
    fn = namespace[tree.body[0].name]
    return fn


def _f32(x):
    """x in float32 where it is floating point (the float32 mutant's inputs)."""
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x.astype(np.float32)
    if isinstance(x, float):
        return np.float32(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_f32(e) for e in x)
    if isinstance(x, dict):
        return {k: _f32(v) for k, v in x.items()}
    return x


def _f64(x):
    """Back to float64 (so only the arithmetic, not the dtype, shows float32)."""
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        return x.astype(np.float64)
    if isinstance(x, np.float32):
        return float(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_f64(e) for e in x)
    if isinstance(x, dict):
        return {k: _f64(v) for k, v in x.items()}
    return x


def _round32(x):
    """Every number of the result rounded to float32 (integers too), kept float64."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiu":
        return x.astype(np.float32).astype(x.dtype if x.dtype.kind == "f" else np.float64)
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return float(np.float32(x))
    if isinstance(x, (list, tuple)):
        return type(x)(_round32(e) for e in x)
    if isinstance(x, dict):
        return {k: _round32(v) for k, v in x.items()}
    return x


def _squeeze(x):
    return np.squeeze(x) if isinstance(x, np.ndarray) else x


def mutants(target):
    """Every single-change mutant of ``target.fn``, in a fixed order."""
    source = textwrap.dedent(inspect.getsource(target.fn))
    tree = ast.parse(source)
    func = tree.body[0]
    func.decorator_list = []
    skipper = _Skip()
    skipper.visit(func)
    nodes = [n for n in ast.walk(func) if id(n) not in skipper.skip]
    found = []
    seen = set()

    def add(description, new_tree, helpers=None):
        key = description
        k = 2
        while key in seen:
            key, k = f"{description} #{k}", k + 1
        seen.add(key)
        try:
            found.append(Mutant(target, key, _compile(target, new_tree, helpers)))
        except Exception:
            pass

    for index, node in enumerate(nodes):
        for description, new in _mutations(node):
            new_tree = copy.deepcopy(tree)
            _replace(new_tree, index, new, original=tree)
            add(description, new_tree)
        for field_name in ("body", "orelse"):
            body = getattr(node, field_name, None)
            if not isinstance(body, list) or node is func and field_name == "orelse":
                continue
            for i in _statement_deletions(body):
                new_tree = copy.deepcopy(tree)
                twin = _twin(new_tree, tree, node)
                stmt = getattr(twin, field_name)
                removed = ast.unparse(stmt[i]).splitlines()[0]
                del stmt[i]
                if not stmt:
                    stmt.append(ast.Pass())
                add(f"deleted: {removed}", new_tree)
    # whole-function mutants: float32 arithmetic; each array argument squeezed
    params = [a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs
              if a.arg != "self"]
    if params:
        new_tree = copy.deepcopy(tree)
        f = new_tree.body[0]
        cast = [ast.parse(f"{p} = __f32({p})").body[0] for p in params]
        f.body = _after_docstring(f.body, cast)
        for node in ast.walk(f):
            if isinstance(node, ast.Return) and node.value is not None:
                node.value = ast.Call(ast.Name("__f64", ast.Load()), [node.value], [])
        add("computed in float32", new_tree, {"__f32": _f32, "__f64": _f64})
        new_tree = copy.deepcopy(tree)
        for node in ast.walk(new_tree.body[0]):
            if isinstance(node, ast.Return) and node.value is not None:
                node.value = ast.Call(ast.Name("__round32", ast.Load()), [node.value], [])
        add("result rounded to float32", new_tree, {"__round32": _round32})
        for p in params:
            new_tree = copy.deepcopy(tree)
            f = new_tree.body[0]
            f.body = _after_docstring(f.body, [ast.parse(f"{p} = __squeeze({p})").body[0]])
            add(f"{p} squeezed", new_tree, {"__squeeze": _squeeze})
    return found


def _after_docstring(body, stmts):
    k = 1 if body and _is_docstring(body[0]) else 0
    return body[:k] + stmts + body[k:]


def _twin(new_tree, tree, node):
    """The node of ``new_tree`` at the place of ``node`` in ``tree``."""
    for a, b in zip(ast.walk(tree), ast.walk(new_tree), strict=True):
        if a is node:
            return b
    raise LookupError


def _replace(new_tree, index, new, original):
    """Put ``new`` where the ``index``-th mutable node of ``original`` is."""
    skipper = _Skip()
    skipper.visit(original.body[0])
    nodes = [n for n in ast.walk(original.body[0]) if id(n) not in skipper.skip]
    old = nodes[index]
    pairs = dict(zip(map(id, ast.walk(original)), ast.walk(new_tree), strict=True))
    twin = pairs[id(old)]
    new = copy.deepcopy(new)   # it may share children with the old node: a fresh subtree
    for parent in ast.walk(new_tree):
        for field_name, value in ast.iter_fields(parent):
            if value is twin:
                setattr(parent, field_name, new)
                return
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is twin:
                        value[i] = new
                        return
    raise LookupError(ast.unparse(old))


# ---------------------------------------------------------------------------
# Running a mutant where the learner's function would run
# ---------------------------------------------------------------------------


def as_solution(name, mutant):
    """A callable the check can be given: the reference, with one function mutated."""
    ref = inspect.unwrap(REGISTRY[name].reference)
    if mutant.target.owner is None:
        return mutant.fn
    owner, attr = mutant.target.owner, mutant.target.attr
    original = inspect.getattr_static(owner, attr)

    def solution(*args, **kwargs):
        setattr(owner, attr, mutant.fn)
        try:
            return ref(*args, **kwargs)
        finally:
            setattr(owner, attr, original)

    solution.__signature__ = inspect.signature(ref)
    solution.__name__ = ref.__name__
    return solution


def _one_case_check(name, case):
    """The check of ``name`` run on ``case`` alone, without naming mistakes."""
    clone = copy.copy(REGISTRY[name])
    clone._fixed, clone._random, clone.mistakes = [case], None, []
    clone._answers = None          # the original's cached answers are for its own cases
    clone.time_limit = TIME_LIMIT
    return clone


def _passes(name, fn, cases):
    """Does ``fn`` pass the check on every case (stopping at the first failure)?"""
    for case in cases:
        with np.errstate(all="ignore"):
            if _one_case_check(name, case).run(fn).status != "passed":
                return False
    return True


def _first_differing(name, fn, probes):
    for case in probes:
        with np.errstate(all="ignore"):
            result = _one_case_check(name, case).run(fn)
        if result.status != "passed":
            return case, result
    return None


def probes(name):
    """The check's cases, random cases from other seeds, and the edge probes."""
    exercise = REGISTRY[name]
    out = list(exercise.cases())
    if exercise._random is not None:
        for seed in PROBE_SEEDS:
            out += list(exercise._random(np.random.default_rng(seed)))
    out += [copy.deepcopy(c) for c in EDGE_PROBES.get(name, [])]
    return out


# ---------------------------------------------------------------------------
# Edge probes: the edges the chapters' texts define (see CONTRIBUTING.md)
# ---------------------------------------------------------------------------


def _edge_probes():
    from bpcourse.check import ch01, ch02, ch03
    rng = np.random.default_rng(7)
    probes = {}
    probes["local_grads"] = [
        ch01._case("relu", 0.0, label="relu at exactly 0 (the text fixes 0)"),
        ch01._case("*", 0.0, 2.5, label="* with a zero input"),
        ch01._case("*", 3.0, 0.0, label="* with the other input zero"),
        ch01._case("**", 2.0, 0.0, label="** with n = 0"),
        ch01._case("**", 1.0, 2.5, label="** at x = 1"),
        ch01._case("sigmoid", -40.0), ch01._case("sigmoid", 40.0),
        ch01._case("tanh", 0.0), ch01._case("exp", 0.0), ch01._case("log", 1.0),
        ch01._case("+", 0.0, 0.0),
    ]
    probes["topological_sort"] = [
        Case(({"a": []}, "a"), label="a single leaf"),
        Case(({"a": [], "b": ["a"], "x": []}, "b"), label="a leaf listed that b does not use"),
    ]
    tape = [("c", "mul", ("a", "a")), ("b", "add", ("c", "a")), ("z", "tanh", ("a",))]
    probes["tape_backward"] = [
        Case((tape, ch01._tape_forward(tape, {"a": 0.0}), "b"),
             label="output not the last entry of the tape, a = 0"),
        Case((tape, ch01._tape_forward(tape, {"a": 1.5}), "c"),
             label="output in the middle of the tape"),
    ]
    probes["count_paths_and_edges"] = [
        Case(({"a": []}, "a"), label="a single leaf: 1 path, 0 edges"),
        Case((ch01._layered(2, 60), "L"), label="2**60 paths: exact integers"),
    ]
    Xs = [rng.normal(size=(1, 3)), rng.normal(size=(3, 3)), rng.normal(size=(1, 3))]
    probes["linear_backward"] = [
        Case((Xs[0], rng.normal(size=(3, 3)), rng.normal(size=(1, 3))), label="a batch of one"),
        Case((rng.normal(size=(1, 1)), rng.normal(size=(1, 1)), rng.normal(size=(1, 1))),
             label="one example, one input, one output"),
        Case((rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=(4, 2))),
             label="a non-square weight"),
    ]
    probes["softmax_cross_entropy"] = [
        Case((rng.normal(size=(1, 4)), np.array([2])), label="a batch of one"),
        Case((rng.normal(size=(5, 4)), np.array([0, 1, 1, 0, 2])),
             label="labels without the highest class"),
        Case((np.array([[0.0, 800.0, 1.0], [2.0, 1.0, 0.0]]), np.array([0, 0])),
             label="a true-class probability that underflows"),
        Case((np.array([[1000.0, 0.0], [-5.0, -3.0]]), np.array([0, 1])),
             label="rows of very different scale: one max per row"),
    ]
    probes["mlp_backward"] = [
        ch02._mlp_case(np.random.default_rng(11), 1, 3, 3, "a batch of one, 3 layers"),
        ch02._mlp_case(np.random.default_rng(12), 6, 3, 2, "labels maybe without class 2"),
    ]
    probes["mlp_backward"][1].args = (*probes["mlp_backward"][1].args[:1],
                                      np.array([0, 1, 0, 1, 1, 0]),
                                      *probes["mlp_backward"][1].args[2:])
    probes["numerical_gradient"] = [
        Case((ch02._CUBE, np.array([1, -2, 3])), label="an integer theta"),
        Case((ch02._CUBE, np.array([[0.5]])), label="a 1x1 theta"),
        Case((ch02._MIXED, np.array([0.3, -1.2, 0.8])), label="the default h"),
    ]
    probes["fixed_grads"] = [
        Case((rng.normal(size=(1, 3)), np.array([1]), rng.normal(size=(3, 3)),
              rng.normal(size=3) * 0.1, rng.normal(size=(3, 3)), rng.normal(size=3) * 0.1),
             label="a batch of one"),
        Case((rng.normal(size=(6, 3)), np.array([0, 1, 0, 0, 1, 1]), rng.normal(size=(3, 3)),
              rng.normal(size=3) * 0.1, rng.normal(size=(3, 3)), rng.normal(size=3) * 0.1),
             label="labels without the highest class"),
    ]
    probes["gd_step"] = [
        Case((np.array([1.0000001, 2.0]), np.array([1.0, 2.0]), 1.0),
             label="theta - lr*g nearly cancels: float32 is wrong here"),
        Case((np.array([3.0]), np.array([-2.0]), 0.5), label="one parameter"),
        Case((np.array([1, 2]), np.array([1, 1]), 0.5), label="integer arrays"),
    ]
    probes["minibatch_indices"] = [
        Case((12, 3, ch03._rng(21)), label="N divisible by B"),
        Case((1, 1, ch03._rng(22)), label="N = 1"),
        Case((5, 5, ch03._rng(23)), label="B = N"),
    ]
    probes["warmup_cosine_lr"] = [
        Case((1, 0.1, 1, 2), label="warm-up of one step"),
        Case((0, 0.3, 4, 9), {"start_factor": 1.0}, label="start_factor = 1"),
        Case((7, 0.3, 4, 9), {"lr_min": 0.299}, label="lr_min close to lr0"),
    ]
    z = np.zeros(3)
    probes["adam_step"] = [
        Case((np.array([0.5, -1.0, 2.0]), np.zeros(3), z, z, 0), label="a zero gradient"),
        Case((np.array([0.5, -1.0]), np.array([0.3, -0.2]), np.array([0.01, 0.02]),
              np.array([0.001, 0.002]), 999), label="step 1000: bias correction ~ 1"),
        Case((np.array([1.0, 2.0]), np.array([0.5, 1e-3]), np.zeros(2), np.zeros(2), 0),
             {"eps": 1.0}, label="eps = 1, larger than sqrt(v)"),
        Case((np.array([1.0, -1.0]), np.array([2.0, -0.5]), np.array([0.1, 0.2]),
              np.array([0.3, 0.1]), 4), {"beta1": 0.0, "beta2": 0.5},
             label="beta1 = 0, beta2 = 0.5"),
        Case((np.array([1.0000001, 3.0]), np.array([1.0, 1.0]), np.zeros(2), np.zeros(2), 0),
             {"lr": 1.0}, label="theta - step nearly cancels: float32 is wrong here"),
    ]
    return probes


EDGE_PROBES = _edge_probes()


# ---------------------------------------------------------------------------
# Survivors that are not wrong: each with the reason it is equivalent
# ---------------------------------------------------------------------------

EQUIVALENT = {
    # none so far: every mutant that differs on a probe is a wrong solution
}

# Survivors found in chapters another engineer is writing: reported (xfail,
# with the case that exposes each) until that chapter's check is fixed; any
# other survivor there still fails the test.
OPEN_ELSEWHERE = {
    # none: chapter 5's float32 survivors are killed by its own cases now
}


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------


def _sample(found):
    if len(found) <= MAX_MUTANTS:
        return found
    keep = np.random.default_rng(0).choice(len(found), MAX_MUTANTS, replace=False)
    return [found[i] for i in sorted(keep)]


def all_mutants(name):
    found = []
    for target in targets(name):
        try:
            found += mutants(target)
        except (OSError, TypeError):   # no source (a builtin): nothing to mutate
            continue
    return _sample(found)


def survivors(name):
    """[(mutant key, probe case, what the one-case check said)], and counts."""
    cases = REGISTRY[name].cases()
    found = all_mutants(name)
    extra = probes(name)[len(cases):]
    out, killed = [], 0
    for mutant in found:
        fn = as_solution(name, mutant)
        if not _passes(name, fn, cases):
            killed += 1
            continue
        hit = _first_differing(name, fn, extra)
        if hit is not None:
            out.append((mutant.key, *hit))
    return out, killed, len(found)


NAMES = sorted(REGISTRY, key=lambda n: [int(p) for p in REGISTRY[n].id.split(".")])


@pytest.mark.parametrize("name", NAMES, ids=[f"ch{REGISTRY[n].id.split('.')[0].zfill(2)}-"
                                             f"{n}" for n in NAMES])
def test_check_rejects_every_mutant_that_computes_something_else(name):
    start = time.perf_counter()
    found, killed, total = survivors(name)
    unexplained = [(key, case, result) for key, case, result in found
                   if key not in EQUIVALENT.get(name, {})]
    print(f"\n{name}: {total} mutants, {killed} rejected by the check, {len(found)} "
          f"survived ({len(found) - len(unexplained)} equivalent), "
          f"{time.perf_counter() - start:.1f} s")
    lines = [f"  {key}\n    exposed by: {case.label or case.args!r}\n"
             f"    {result.headline}" for key, case, result in unexplained]
    open_here = OPEN_ELSEWHERE.get(name, set())
    new = [line for line, (key, _, _) in zip(lines, unexplained, strict=True)
           if key not in open_here]
    assert not new, (f"{name}: the check accepts {len(new)} mutant(s) that "
                     "compute something else:\n" + "\n".join(new))
    if lines:
        pytest.xfail(f"{name}: known survivors, to be fixed in its chapter:\n"
                     + "\n".join(lines))


# Floating-point answers that DESIGN.md's "float64 everywhere" covers: their
# pass lines must promise float64 (an integer answer, such as 3.3's batch
# indices, stays exact-integer instead).
FLOAT64_PROMISED = {"gd_step", "fixed_sgd", "warmup_cosine_lr", "adam_step"}


@pytest.mark.parametrize("name", NAMES)
def test_a_pass_line_that_says_float64_means_float32_fails(name):
    # float32 arithmetic throughout, and float64 work rounded to float32 at
    # the end (stored as float64 again): both must fail a float64 promise
    exercise = REGISTRY[name]
    if "float64" not in str(exercise.run(exercise.reference)):
        assert name not in FLOAT64_PROMISED, f"{name}: its pass line should promise float64"
        pytest.skip(f"{name}: its pass line does not promise float64")
    ref = inspect.unwrap(exercise.reference)
    by_kind = {m.description: m for m in mutants(Target(None, ref.__name__, ref))}
    for kind in ("computed in float32", "result rounded to float32"):
        assert kind in by_kind, f"{name}: no mutant {kind!r}"
        assert not _passes(name, as_solution(name, by_kind[kind]), exercise.cases()), (
            f"{name}: its pass line promises float64, yet the check accepts the "
            f"reference {kind}")


def test_equivalent_list_names_real_mutants():
    # an entry whose mutant no longer exists (the source changed) is stale
    for name, entries in EQUIVALENT.items():
        keys = {m.key for m in all_mutants(name)}
        stale = set(entries) - keys
        assert not stale, f"{name}: EQUIVALENT lists mutants that no longer exist: {stale}"


def test_mutants_are_made_and_each_changes_one_thing():
    # the generator itself: a small function gives the expected kinds of mutants
    def f(x, y):
        """doc"""
        z = x @ y.T
        for i in range(3):
            z += i
        return z.sum(axis=0) - 1.0

    keys = [m.description for m in mutants(Target(None, "f", f))]
    for expected in ("y.T -> y", "x @ y.T -> x.T @ y.T", "z += i -> z = i",
                     "z.sum(axis=0) -> z.sum(axis=1)",
                     "z.sum(axis=0) -> z.mean(axis=0)", "1.0 -> 2.0", "computed in float32",
                     "x squeezed", "deleted: z += i",
                     "z.sum(axis=0) - 1.0 -> z.sum(axis=0) + 1.0"):
        assert expected in keys, (expected, keys)
    x = np.arange(6.0).reshape(2, 3)
    by_key = {m.description: m.fn for m in mutants(Target(None, "f", f))}
    assert np.allclose(by_key["1.0 -> 2.0"](x, x), f(x, x) - 1.0)
    sq = np.arange(9.0).reshape(3, 3)
    assert np.allclose(by_key["x @ y.T -> x @ y.T.T"](sq, sq), f(sq, sq.T))   # y.T.T is y
    assert by_key["computed in float32"](x, x).dtype == np.float64
