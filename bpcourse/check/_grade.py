"""Grading inside a notebook's kernel, with the check code as it was on disk.

``bpcourse grade`` runs a learner's notebook, then, in the same kernel (where
the learner's functions live), loads from a snapshot taken before the
notebook ran two things: a fresh copy of the whole package under a private
name (the *pristine* copy, only to compare with), and a fresh copy of the
check package, ``bpcourse._graded_<token>``, whose registry, tolerances,
cases and comparisons the notebook never saw. That check package shares the
notebook's ``bpcourse`` classes (``Tensor``, ``nn.MLP``, ...), so a learner's
function meets the objects it expects; in exchange, ``tampered`` compares
every function and constant of the notebook's ``bpcourse`` modules with the
pristine copy, before grading and after each exercise, and a change (a
patched ``rel_error``, reference or method) stops the grade.

``grade`` checks every expected exercise again against the learner's
function and writes each verdict as one JSON line to ``out`` as soon as it is
known, so a function that hangs the grading costs only its own exercise and
those after it.
"""

import importlib
import inspect
import json
import sys

from . import REGISTRY

__all__ = ["grade", "tampered"]

_MISSING = object()
_SIMPLE = (bool, int, float, complex, str, bytes, type(None))
# Drawing and tooling: a learner may restyle a figure; no check's answer rests on them.
_NOT_COMPARED = ("check", "_graded_", "plot", "widgets", "cli", "student", "portable")


def tampered(pristine):
    """Names in the notebook's ``bpcourse`` (outside ``bpcourse.check``) whose
    code or constants differ from the package ``pristine``'s."""
    found = []
    for name, module in sorted(sys.modules.items()):
        if module is None or not (name == "bpcourse" or name.startswith("bpcourse.")):
            continue
        sub = name.partition(".")[2]
        if sub.startswith(_NOT_COMPARED):
            continue
        try:
            twin = importlib.import_module(f"{pristine}.{sub}" if sub else pristine)
        except ModuleNotFoundError:   # not in the snapshot (made by the notebook?)
            found.append(f"{name} (not in bpcourse)")
            continue
        except Exception as err:      # it cannot be compared, so it cannot be trusted
            found.append(f"{name} (not comparable: {type(err).__name__}: {err})")
            continue
        found += [f"{name}.{attr}" for attr in _differing(vars(module), vars(twin))]
    return found


def _differing(ours, theirs, in_class=False):
    for attr in sorted(set(ours) | set(theirs)):
        if attr.startswith("__") and attr.endswith("__") and not (
                in_class and inspect.isfunction(ours.get(attr))):
            continue
        a, b = ours.get(attr, _MISSING), theirs.get(attr, _MISSING)
        if not _alike(a, b, skip_values=attr.startswith("_")):
            yield attr


def _alike(a, b, skip_values=False):
    """Is ``a`` (the notebook's) what ``b`` (the pristine copy's) is?"""
    if a is b or inspect.ismodule(a) or inspect.ismodule(b):
        return True
    if a is _MISSING or b is _MISSING:
        return False
    a, b = _unwrap(a), _unwrap(b)
    if inspect.isfunction(a) or inspect.isfunction(b):
        return (inspect.isfunction(a) and inspect.isfunction(b) and a.__code__ == b.__code__
                and _alike(a.__defaults__, b.__defaults__)
                and _alike(a.__kwdefaults__, b.__kwdefaults__))
    if isinstance(a, type) and isinstance(b, type):
        if not a.__module__.startswith("bpcourse") or a.__name__ != b.__name__:
            return a is b or a.__module__ == b.__module__
        return not any(True for _ in _differing(dict(vars(a)), dict(vars(b)), in_class=True))
    if isinstance(a, property) and isinstance(b, property):
        return all(_alike(x, y) for x, y in
                   ((a.fget, b.fget), (a.fset, b.fset), (a.fdel, b.fdel)))
    if isinstance(a, _SIMPLE) and isinstance(b, _SIMPLE):
        return skip_values or (type(a) is type(b) and (a == b or a != a and b != b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_alike(x, y) for x, y in zip(a, b, strict=True))
    return True   # arrays, generators, caches: state, not code; not compared


def _unwrap(x):
    if isinstance(x, (staticmethod, classmethod)):
        x = x.__func__
    return inspect.unwrap(x) if callable(x) and hasattr(x, "__wrapped__") else x


def _write(out, record):
    with open(out, "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")


def grade(namespace, wanted, out, pristine):
    """Check ``namespace[argument]`` for each ``(exercise name, argument)``
    of ``wanted``; append ``{"name", "status", "passed", "total", "mistake"}``
    (status "undefined" when there is no such function) to the file ``out``.
    A line ``{"tampered": [...], "by": name or None}`` ends the grade when the
    notebook's ``bpcourse`` differs from ``pristine`` (before: by the notebook;
    after an exercise: by its function)."""
    changed = tampered(pristine)
    if changed:
        _write(out, {"tampered": changed, "by": None})
        return
    for name, _ in wanted:   # every answer first, before any learner's code runs
        try:
            REGISTRY[name].answers()
        except Exception:     # reported below, when its check runs
            pass
    for name, argument in wanted:
        fn = namespace.get(argument)
        if not callable(fn):
            _write(out, {"name": name, "status": "undefined", "argument": argument})
            continue
        try:
            verdict = REGISTRY[name].run(fn).to_json()
        except BaseException as err:   # never let one exercise stop the others
            verdict = {"name": name, "status": "failed", "passed": 0, "total": 0,
                       "mistake": "", "error": f"{type(err).__name__}: {err}"}
        changed = tampered(pristine)
        if changed:
            verdict.update(status="failed", passed=0,
                           error=f"its function changed {', '.join(changed[:3])}")
        _write(out, verdict)
        if changed:
            _write(out, {"tampered": changed, "by": name})
            return
