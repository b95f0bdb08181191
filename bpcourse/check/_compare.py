"""Comparing a learner's answer with the reference's: structure, finiteness, values.

Three questions, asked in this order by ``Exercise.run`` (steps 3, 5 and 6):

* ``structure(expected, got, where)``: the same kind of thing? Type, shape,
  dtype, tuple length, dict keys. Returns None or what is wrong, in words.
* ``nonfinite(expected, got)``: NaN or infinity where the reference has none?
* ``error(expected, got)``: how far apart? Floating-point numbers by the one
  tolerance rule, ``rel_error`` (``gradcheck``'s); integers, booleans and
  strings exactly (0 or infinity).

``leaves`` walks tuples, lists and dicts down to the values compared one by
one, each with a name for messages ("m", "the result[2]", "grads['x']").
"""

from __future__ import annotations

import numbers

import numpy as np

from ..gradcheck import rel_error  # the package's one relative error (CS231n's, the max)

__all__ = ["TOL", "rel_error", "structure", "leaves", "nonfinite", "error", "same",
           "kind", "is_real", "is_float", "is_integer"]

TOL = 1e-7           # the one tolerance every check states (relative error)


# ---------------------------------------------------------------------------
# What kind of value: a learner-friendly name, floats and integers
# ---------------------------------------------------------------------------


def is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def is_float(x):
    """A floating-point number or array: compared by the tolerance rule."""
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc"
    return isinstance(x, (float, np.floating))


def is_integer(x):
    """An integer or integer array: compared exactly."""
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "iu"
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def kind(x):
    """A learner-friendly name for the type of x."""
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape} and dtype {x.dtype}"
    if x is None:
        return "None"
    if isinstance(x, np.floating):
        return f"a numpy {x.dtype} number"
    name = type(x).__name__
    if name == "Value":
        return "a Value (return its .data, a float)"
    if name == "Tensor":
        return "a Tensor (return its .data, a numpy array)"
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"


# ---------------------------------------------------------------------------
# Step 3: the same structure
# ---------------------------------------------------------------------------


def _keys(keys):
    shown = ", ".join(repr(k) for k in sorted(keys, key=repr)[:6])
    return shown + (", ..." if len(keys) > 6 else "")


def structure(expected, got, where):
    """None if got has expected's type, shape and dtype; else what is wrong."""
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            extra = " (wrap it: np.array(...))" if isinstance(got, (list, tuple)) else ""
            return (f"{where} is {kind(got)}; it should be a numpy array of shape "
                    f"{expected.shape}{extra}")
        if got.shape != expected.shape:
            return f"{where} has shape {got.shape}; it should have shape {expected.shape}"
        if got.dtype != expected.dtype and expected.dtype.kind == "f":
            return f"{where} has dtype {got.dtype}; it should be {expected.dtype}"
        if got.dtype.kind != expected.dtype.kind:
            return f"{where} has dtype {got.dtype}; it should be {expected.dtype}"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where} is {kind(got)}; it should be a dict"
        missing, extra = expected.keys() - got.keys(), got.keys() - expected.keys()
        if missing:
            return (f"{where} is missing the key{'s' if len(missing) > 1 else ''} "
                    f"{_keys(missing)}")
        if extra:
            return (f"{where} has the key{'s' if len(extra) > 1 else ''} {_keys(extra)}, "
                    "which should not be there")
        return None   # the values are checked one by one by the caller
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return (f"{where} is {kind(got)}; it should be a tuple of {len(expected)} "
                    f"value{'s' if len(expected) != 1 else ''}"
                    + (" (for one value write `return (d,)`)" if len(expected) == 1 else ""))
        if len(got) != len(expected):
            return f"{where} has {len(got)} values; it should have {len(expected)}"
        return None   # the elements are checked one by one by the caller
    if isinstance(expected, (bool, np.bool_, str)):
        if type(got) is not type(expected) and not isinstance(got, (bool, np.bool_, str)):
            return f"{where} is {kind(got)}; it should be {kind(expected)}"
        return None
    if is_integer(expected):
        ok = is_integer(got) or (is_real(got) and float(got).is_integer())
        return None if ok else f"{where} is {kind(got)}; it should be an integer"
    if is_real(expected):
        if isinstance(got, np.floating) and got.dtype.itemsize < 8:
            return (f"{where} is {kind(got)}: computed in lower precision; it should be "
                    "a float64 (a Python float)")
        if is_real(got) or (isinstance(got, np.ndarray) and got.shape == ()):
            return None
        return f"{where} is {kind(got)}; it should be a number (a float)"
    return None


def leaves(expected, got, where, names=None):
    """Pairs (where, expected leaf, got leaf), or a structure problem (str)."""
    problem = structure(expected, got, where)
    if problem:
        return problem
    if isinstance(expected, dict):
        parts = [(f"{where}[{key!r}]", expected[key], got[key]) for key in expected]
    elif isinstance(expected, (tuple, list)):
        parts = [(names[i] if names and i < len(names) else f"{where}[{i}]", e, g)
                 for i, (e, g) in enumerate(zip(expected, got, strict=True))]
    else:
        return [(where, expected, got)]
    out = []
    for sub, e, g in parts:
        found = leaves(e, g, sub)
        if isinstance(found, str):
            return found
        out += found
    return out


# ---------------------------------------------------------------------------
# Steps 5 and 6: finite where the reference is, and the values
# ---------------------------------------------------------------------------


def nonfinite(expected, got):
    """"NaN at index (1,)", "infinity", or None."""
    if isinstance(got, (bool, str)) or not (is_real(got) or isinstance(got, np.ndarray)):
        return None
    try:
        g = np.asarray(got, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None   # not numbers: the comparison of values will say so
    bad = ~np.isfinite(g) & np.isfinite(e)
    if bad.any():
        what = "NaN" if np.isnan(g[bad]).any() else "infinity"
        where = "" if g.ndim == 0 else f" at index {tuple(int(i) for i in np.argwhere(bad)[0])}"
        return what + where
    return None


def error(expected, got):
    """The relative error for floats; 0 or inf for integers (exact) and the rest."""
    if isinstance(expected, (str, bool, np.bool_)):
        return 0.0 if type(got) in (str, bool, np.bool_) and got == expected else np.inf
    if is_integer(expected):
        if isinstance(expected, np.ndarray):
            return 0.0 if np.array_equal(expected, got) else np.inf
        if is_integer(got):
            return 0.0 if int(got) == int(expected) else np.inf
        return 0.0 if float(got).is_integer() and int(got) == int(expected) else np.inf
    if isinstance(expected, np.ndarray) or is_real(expected):
        try:
            return rel_error(expected, got)
        except (TypeError, ValueError):
            return np.inf
    return 0.0 if same(expected, got) else np.inf


def same(a, b, depth=0, memo=None):
    """Deep equality of inputs before and after a call (NaN equals NaN)."""
    if depth > 200:
        return True
    memo = set() if memo is None else memo
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(
            same(x, y, depth + 1, memo) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], depth + 1, memo) for k in a)
    if isinstance(a, (int, str, bytes, bool, type(None), complex, np.generic)):
        return a == b
    if id(a) in memo:
        return True
    memo.add(id(a))
    slots = [s for cls in type(a).__mro__ for s in getattr(cls, "__slots__", ())]
    state_a = {s: getattr(a, s, None) for s in slots}
    state_b = {s: getattr(b, s, None) for s in slots}
    if hasattr(a, "__dict__"):
        state_a.update(vars(a))
        state_b.update(vars(b))
    return same(state_a, state_b, depth + 1, memo)
