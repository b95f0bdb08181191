"""The machinery behind every exercise check. Chapter modules only *declare*.

An exercise is declared once, in its chapter's module (``ch05.py``)::

    adam_step = Exercise(
        id="5.1", name="adam_step",
        reference=optim.adam_step,          # the package's own implementation
        cases=[Case((theta, g, None, None, 0), label="first step"), ...],
        random_cases=_random_cases,         # rng -> list of Case (seeded here)
        mistakes=[Mistake("no bias correction", "Divide m by 1 - beta1**t ...", _fn)],
        returns=("theta", "m", "v", "t"),
    )

and used in a notebook as ``check.adam_step(adam_step)``: the check is called
with the learner's function and never looks up names in their namespace.

What a check does, in order, for each case (fixed cases first, then seeded
random ones):

1. binds the case's arguments to the learner's signature (``inspect``);
2. calls the function on *copies* of the arguments, with a time limit;
3. it must return something, of the reference's type, shape and dtype;
4. it must not have changed its inputs;
5. no NaN or infinity where the reference has none;
6. every number must agree with the reference within one tolerance:
   ``max |x - y| / max(1e-8, |x| + |y|) <= tol`` (STYLE.md; CS231n's rule).

When values disagree it runs each known-wrong variant (``Mistake``) on the
failing cases, and the one that reproduces the learner's numbers is named in
the hint. Outcomes: *not attempted* (the stub raised ``NotImplementedError``;
a note, no exception), *passed* (its line states the rule it passed, e.g.
``✓ adam_step: 16/16 cases (relative error ≤ 1e-7)``), or *failed*, which
raises ``CheckFailed``.
In Jupyter, a handler shows the failure as a report box, not a traceback,
while the cell still counts as an error, so "Run all" and nbval stop there.
"""

from __future__ import annotations

import copy
import ctypes
import html
import inspect
import linecache
import numbers
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Case", "Mistake", "Exercise", "Result", "CheckFailed", "REGISTRY",
           "rel_error", "accept_hidden_number", "tol_text", "TOL", "TIME_LIMIT", "MIME"]

TOL = 1e-7           # the one tolerance every check states (relative error)
TIME_LIMIT = 3.0     # seconds one call of a learner's function may take
# The key of the machine-readable record in each displayed result's output
# *metadata* (not a MIME type in its data: MyST-NB would warn about it on the
# website). `bpcourse grade` reads it.
MIME = "application/vnd.bpcourse.check+json"
SEED = 20260101      # random cases are drawn from rng(SEED + exercise number)

REGISTRY: dict[str, Exercise] = {}  # name -> Exercise, one flat namespace

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"


def tol_text(tol):
    """``1e-07`` written as the book writes it: ``1e-7``."""
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{m.group(1).replace('+', '')}{m.group(2)}",
                  f"{tol:g}")


def rel_error(x, y):
    """``max |x - y| / max(1e-8, |x| + |y|)``, elementwise then the maximum.

    0 when both are empty; NaN in the same place on both sides counts as equal.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    both_nan = np.isnan(x) & np.isnan(y)
    same_inf = np.isinf(x) & (x == y)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))
    err = np.where(both_nan | same_inf, 0.0, err)
    err = np.where(np.isnan(err), np.inf, err)
    return float(np.max(err))


def accept_hidden_number(what, redo):
    """An ``accept`` for a number worked out by hand: judged by the one tolerance,
    and on failure the learner's number and how to redo it, never the answer."""
    def accept(got, expected, case):
        if rel_error(expected, float(got)) <= TOL:
            return None
        return f"{float(got):.6g} is not {what}. {redo}"
    return accept


# ---------------------------------------------------------------------------
# Declarations: a case, a known mistake
# ---------------------------------------------------------------------------


@dataclass
class Case:
    """One call of the exercise's function: ``fn(*args, **kwargs)``.

    ``label`` says in words what the case tests ("first step, t = 0").
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""


@dataclass
class Mistake:
    """A known-wrong variant of the exercise, with the hint that names it.

    ``fn`` takes the same arguments as the reference and makes exactly this
    mistake; when its output matches the learner's on a failing case, the
    report shows ``name`` and ``hint``.
    """

    name: str
    hint: str
    fn: Callable


# ---------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------

# Okabe-Ito colours, as bpcourse.plot (not imported: it loads matplotlib).
_COLOURS = {PASSED: "#009E73", FAILED: "#D55E00", NOT_ATTEMPTED: "#0072B2"}
_ICONS = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "…"}


@dataclass
class Result:
    """What a check found. Shown as a box in Jupyter, as text elsewhere."""

    exercise: str                 # "5.1"
    name: str                     # "adam_step"
    status: str                   # passed | failed | not attempted
    passed: int = 0               # cases passed
    total: int = 0                # cases run
    headline: str = ""
    details: list = field(default_factory=list)   # (label, text) pairs
    hint: str = ""
    mistake: str = ""             # name of the recognised mistake, if any
    reproduce: str = ""
    _shown_in: object = field(default=None, repr=False, compare=False)

    @property
    def ok(self):
        return self.status == PASSED

    def summary(self):
        """One line: the headline and, if recognised, the mistake."""
        line = self.headline
        if self.mistake:
            line += f"; looks like: {self.mistake}"
        return line

    def to_json(self):
        return {"exercise": self.exercise, "name": self.name, "status": self.status,
                "passed": self.passed, "total": self.total, "mistake": self.mistake}

    def __str__(self):
        lines = [f"{_ICONS[self.status]} {self.headline}"]
        lines += [f"  {label}: {text}" if label else f"  {text}" for label, text in self.details]
        if self.hint:
            lines.append(f"  Hint: {self.hint}")
        if self.reproduce:
            lines.append(f"  Reproduce: {self.reproduce}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        colour = _COLOURS[self.status]
        rows = "".join(
            f"<tr><td style='padding:1px 8px 1px 0;vertical-align:top;white-space:nowrap'>"
            f"<b>{html.escape(label)}</b></td><td><pre style='margin:0;white-space:pre-wrap'>"
            f"{html.escape(text)}</pre></td></tr>" if label else
            f"<tr><td colspan='2'>{html.escape(text)}</td></tr>" for label, text in self.details)
        extra = ""
        if self.hint:
            extra += f"<div style='margin-top:4px'><b>Hint:</b> {html.escape(self.hint)}</div>"
        if self.reproduce:
            extra += (f"<div style='margin-top:4px'><b>Reproduce:</b> "
                      f"<code>{html.escape(self.reproduce)}</code></div>")
        table = f"<table style='margin-top:4px;font-size:90%'>{rows}</table>" if rows else ""
        return (f"<div class='bpcourse-check bpcourse-check-{self.status.replace(' ', '-')}' "
                f"style='border-left:6px solid {colour};background:{colour}14;"
                f"padding:6px 10px;margin:4px 0;border-radius:3px'>"
                f"<b style='color:{colour}'>{_ICONS[self.status]} "
                f"{html.escape(self.headline)}</b>{table}{extra}</div>")

    def mimebundle(self):
        """``(data, metadata)`` as Jupyter displays it: text, HTML, and the record."""
        return ({"text/plain": str(self), "text/html": self._repr_html_()},
                {MIME: self.to_json()})

    def _ipython_display_(self):
        # A check shows its own result as it runs; when its return value is
        # also the cell's last expression, this keeps it from showing twice
        # (in the same cell only: `result` in a later cell shows it again).
        shell = _ipython()
        cell = getattr(shell, "execution_count", None)
        if self._shown_in is None or self._shown_in != cell:
            self._shown_in = cell
            from IPython.display import publish_display_data
            data, metadata = self.mimebundle()
            publish_display_data(data, metadata=metadata)


class CheckFailed(Exception):
    """Raised by a check that failed; ``.result`` holds the report."""

    def __init__(self, result):
        super().__init__(str(result))
        self.result = result


# ---------------------------------------------------------------------------
# Running the learner's code: time limit, exceptions with their line
# ---------------------------------------------------------------------------


class _TimeLimit(BaseException):
    """Raised inside the learner's code when it runs too long.

    A BaseException, so a learner's ``except Exception`` cannot swallow it.
    """


class _LearnerError(Exception):
    def __init__(self, kind, text):
        super().__init__(text)
        self.kind = kind   # "not attempted" | "timeout" | "exception"
        self.text = text


def _call_limited(fn, args, kwargs, seconds):
    """``fn(*args, **kwargs)``, interrupted after ``seconds``."""
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and hasattr(signal, "setitimer"):
        return _call_with_alarm(fn, args, kwargs, seconds)
    return _call_in_thread(fn, args, kwargs, seconds)


def _call_with_alarm(fn, args, kwargs, seconds):
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:
            raise _TimeLimit

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_timer = signal.setitimer(signal.ITIMER_REAL, 0)
    # Re-fire every 0.2 s, in case the learner's code swallows the first one.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    try:
        out = fn(*args, **kwargs)
        armed[0] = False
        return out
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_timer[0] > 0:   # someone else's timer was running: give it back
            signal.setitimer(signal.ITIMER_REAL, *old_timer)


def _call_in_thread(fn, args, kwargs, seconds):
    # Away from the main thread signals are unavailable: run the call in a
    # helper thread and, on time-out, raise _TimeLimit inside it.
    box = {}

    def target():
        try:
            box["out"] = fn(*args, **kwargs)
        except BaseException as err:  # handed back to the caller below
            box["err"] = err

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        for _ in range(20):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(worker.ident), ctypes.py_object(_TimeLimit))
            worker.join(0.1)
            if not worker.is_alive():
                break
        raise _TimeLimit
    if "err" in box:
        raise box["err"]
    return box["out"]


def _learner_line(fn, tb):
    """'line N of name: code' for the deepest traceback frame in fn's file."""
    code = getattr(fn, "__code__", None) or getattr(inspect.unwrap(fn), "__code__", None)
    if code is None or tb is None:
        return ""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == code.co_filename:
            found = (frame.f_code.co_name, lineno)
    if found is None:
        return ""
    name, lineno = found
    text = linecache.getline(code.co_filename, lineno).strip()
    where = f"line {lineno - code.co_firstlineno + 1} of {code.co_name}" if name == code.co_name \
        else f"in {name} (line {lineno} of the cell)"
    return f"{where}: {text}" if text else where


def _run_learner(fn, case, seconds, first):
    """Call the learner's function on copies; return (output, args, kwargs)."""
    args, kwargs = copy.deepcopy((case.args, case.kwargs))
    try:
        out = _call_limited(fn, args, kwargs, seconds)
    except _TimeLimit:
        raise _LearnerError("timeout", f"it ran for more than {seconds:g} s and was stopped "
                            "(an endless loop, or a loop over far too many steps?)") from None
    except NotImplementedError as err:
        if first:
            raise _LearnerError("not attempted", str(err)) from None
        raise _LearnerError("exception", f"it raised NotImplementedError({str(err)!r}): "
                            "part of it is not written yet") from None
    except Exception as err:
        line = _learner_line(fn, err.__traceback__)
        text = f"it raised {type(err).__name__}: {err}"
        if line:
            text += f"\n  at {line}"
        raise _LearnerError("exception", text) from None
    return out, args, kwargs


# ---------------------------------------------------------------------------
# Comparing outputs: structure (type, shape, dtype), finiteness, values
# ---------------------------------------------------------------------------


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_float(x):
    """A floating-point number or array: compared by the tolerance rule."""
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc"
    return isinstance(x, (float, np.floating))


def _kind(x):
    """A learner-friendly name for the type of x."""
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape} and dtype {x.dtype}"
    if x is None:
        return "None"
    name = type(x).__name__
    if name == "Value":
        return "a Value (return its .data, a float)"
    if name == "Tensor":
        return "a Tensor (return its .data, a numpy array)"
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"


def _structure(expected, got, where):
    """None if got has expected's type, shape and dtype; else what is wrong."""
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            extra = " (wrap it: np.array(...))" if isinstance(got, (list, tuple)) else ""
            return (f"{where} is {_kind(got)}; it should be a numpy array of shape "
                    f"{expected.shape}{extra}")
        if got.shape != expected.shape:
            return f"{where} has shape {got.shape}; it should have shape {expected.shape}"
        if got.dtype != expected.dtype and expected.dtype.kind == "f":
            return f"{where} has dtype {got.dtype}; it should be {expected.dtype}"
        if got.dtype.kind != expected.dtype.kind:
            return f"{where} has dtype {got.dtype}; it should be {expected.dtype}"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return (f"{where} is {_kind(got)}; it should be a tuple of {len(expected)} "
                    f"value{'s' if len(expected) != 1 else ''}"
                    + (" (for one value write `return (d,)`)" if len(expected) == 1 else ""))
        if len(got) != len(expected):
            return f"{where} has {len(got)} values; it should have {len(expected)}"
        return None   # the elements are checked one by one by the caller
    if isinstance(expected, bool) or isinstance(expected, str):
        if type(got) is not type(expected) and not isinstance(got, (bool, np.bool_, str)):
            return f"{where} is {_kind(got)}; it should be {_kind(expected)}"
        return None
    if isinstance(expected, numbers.Integral):
        ok = (isinstance(got, numbers.Integral) and not isinstance(got, bool)) or (
            _is_real(got) and float(got).is_integer())
        return None if ok else f"{where} is {_kind(got)}; it should be an integer"
    if _is_real(expected):
        if _is_real(got) or (isinstance(got, np.ndarray) and got.shape == ()):
            return None
        return f"{where} is {_kind(got)}; it should be a number (a float)"
    return None


def _leaves(expected, got, where, names=None):
    """Pairs (where, expected leaf, got leaf), or a structure problem (str)."""
    problem = _structure(expected, got, where)
    if problem:
        return problem
    if isinstance(expected, (tuple, list)):
        out = []
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            sub = names[i] if names and i < len(names) else f"{where}[{i}]"
            found = _leaves(e, g, sub)
            if isinstance(found, str):
                return found
            out += found
        return out
    return [(where, expected, got)]


def _nonfinite(expected, got):
    if isinstance(got, (bool, str)) or not (_is_real(got) or isinstance(got, np.ndarray)):
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


def _error(expected, got):
    """The relative error for numbers and arrays; 0 or inf for anything else."""
    if isinstance(expected, (str, bool, np.bool_)):
        return 0.0 if type(got) in (str, bool, np.bool_) and got == expected else np.inf
    if isinstance(expected, np.ndarray) or _is_real(expected):
        try:
            return rel_error(expected, got)
        except (TypeError, ValueError):
            return np.inf
    return 0.0 if _same(expected, got) else np.inf


def _fmt(x, width=400):
    if isinstance(x, np.ndarray):
        text = np.array2string(x, precision=8, threshold=24, separator=", ")
        text = f"array({text})"
    elif isinstance(x, float):
        text = f"{x:.10g}"
        if text.lstrip("-").isdigit():
            text += ".0"   # still looks like a float
    elif isinstance(x, (tuple, list)):
        inner = ", ".join(_fmt(e, width) for e in x)
        text = f"({inner}{',' if len(x) == 1 else ''})" if isinstance(x, tuple) else f"[{inner}]"
    else:
        text = repr(x)
    return text if len(text) <= width else text[: width - 3] + "..."


def _same(a, b, depth=0, memo=None):
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
            _same(x, y, depth + 1, memo) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], depth + 1, memo) for k in a)
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
    return _same(state_a, state_b, depth + 1, memo)


# ---------------------------------------------------------------------------
# The exercise: a declaration that, called with a function, checks it
# ---------------------------------------------------------------------------


class Exercise:
    """A checkable exercise; ``exercise(fn)`` runs the check on ``fn``.

    Parameters
    ----------
    id : str
        "chapter.k", as in the text and the stub's ``NotImplementedError``.
    name : str
        The function the learner writes; also ``bpcourse.check.<name>``.
        Unique across chapters.
    reference : callable
        The package's implementation, the source of truth.
    cases : list of Case
        Fixed cases, run first, each with a label.
    random_cases : callable, optional
        ``random_cases(rng) -> list of Case``; ``rng`` is seeded per exercise,
        so the same cases come every time.
    mistakes : list of Mistake
        Known-wrong variants, recognised by their outputs.
    returns : tuple of str, optional
        Names of the returned values, for messages ("m has shape ...").
    observe : callable, optional
        ``observe(returned, args, kwargs) -> value to compare``, for exercises
        whose answer is a change to their inputs (a backward pass filling
        ``.grad``). Then the inputs may be changed, and None may be returned.
    accept : callable, optional
        ``accept(got, expected, case) -> None or str``, for answers that may
        rightly differ from the reference (any valid topological order): None
        accepts ``got``; a string says what is wrong. It replaces the
        comparison of values (steps 1 to 5 still run first).
    tol : float
        Relative-error tolerance; keep the default unless the text says why.
    rule : str, optional
        The rule a pass means, stated briefly on the pass line
        (``✓ name: n/n cases (rule)``). By default, when floating-point
        values were compared, ``"relative error ≤ 1e-7"`` (with ``tol``);
        for answers judged by ``accept``, or with no floats, nothing
        unless given here.
    hint : str
        Shown when a failure matches no known mistake.
    time_limit : float
        Seconds one call may take.
    """

    def __init__(self, id, name, reference, cases, random_cases=None, mistakes=(),
                 returns=None, observe=None, accept=None, tol=TOL, hint="",
                 time_limit=TIME_LIMIT, doc="", rule=None):
        if name in REGISTRY:
            raise ValueError(f"check name {name!r} is already used by exercise "
                             f"{REGISTRY[name].id}; check names must be unique")
        self.id, self.name, self.reference = id, name, reference
        self._fixed = list(cases)
        self._random = random_cases
        self.mistakes = list(mistakes)
        self.returns, self.observe, self.accept = returns, observe, accept
        self.tol, self.hint, self.time_limit = tol, hint, time_limit
        self.rule = rule
        self.__name__ = name
        self.__doc__ = (f"Check exercise {id}: call with your function, "
                        f"`bpcourse.check.{name}({name})`. {doc}").strip()
        REGISTRY[name] = self

    def __repr__(self):
        return f"<check for exercise {self.id}: {self.name}{inspect.signature(self.reference)}>"

    # -- the cases -------------------------------------------------------------

    def cases(self):
        """Every case, fixed then random, the same on every call.

        Fresh copies each time: whatever is done to them (a learner's function
        that changes its input in place, run on ``case(k).args`` to reproduce
        a report) cannot change the check's own cases.
        """
        cases = list(self._fixed)
        if self._random is not None:
            number = sum(int(p) * 100**i for i, p in enumerate(reversed(self.id.split("."))))
            cases += list(self._random(np.random.default_rng(SEED + number)))
        return copy.deepcopy(cases)

    def case(self, k):
        """A copy of case ``k`` (numbered from 1, as in the report)."""
        return self.cases()[k - 1]

    def _expected(self, case):
        args, kwargs = copy.deepcopy((case.args, case.kwargs))
        return self._observed(self.reference(*args, **kwargs), args, kwargs)

    def _observed(self, returned, args, kwargs):
        return returned if self.observe is None else self.observe(returned, args, kwargs)

    # -- the check ---------------------------------------------------------------

    def __call__(self, fn):
        result = self.run(fn)
        _show(result)
        if result.status == FAILED:
            raise CheckFailed(result)
        return result

    def run(self, fn):
        """The Result for ``fn``, without displaying or raising."""
        cases = self.cases()
        n = len(cases)
        fail = self._fail_factory(n)
        if not callable(fn):
            return fail(0, f"expected your function, got {_kind(fn)}",
                        [("Call it as", f"check.{self.name}({self.name})")])
        problem = self._signature_problem(fn, cases)
        if problem:
            return fail(0, "your function cannot be called as the exercise asks",
                        [("Problem", problem),
                         ("Expected", f"{self.name}{inspect.signature(self.reference)}")])
        failures = []   # (k, case, expected, got, leaf, err)
        compared_floats = False   # did the tolerance rule decide anything?
        for k, case in enumerate(cases, 1):
            try:
                out, args, kwargs = _run_learner(fn, case, self.time_limit, first=(k == 1))
            except _LearnerError as err:
                if err.kind == "not attempted":
                    note = ("Replace the `raise NotImplementedError` line with your code, "
                            "run that cell, then run this one again.")
                    if "Exercise" in err.text and f"Exercise {self.id}" not in err.text:
                        note += f" (It stopped at: NotImplementedError({err.text!r}).)"
                    return Result(self.id, self.name, NOT_ATTEMPTED, 0, n,
                                  f"{self.name}: not attempted yet (exercise {self.id})",
                                  [("", note)])
                why = "timed out" if err.kind == "timeout" else "raised an exception"
                return fail(k - 1, f"{self.name} {why} on case {k} of {n}",
                            self._case_details(k, case) + [("Problem", err.text)], k)
            expected = self._expected(case)
            if self.observe is None and out is None:
                return fail(k - 1, f"{self.name} returned None on case {k} of {n}",
                            self._case_details(k, case) + [
                                ("Problem", "it returned None: is a `return` missing?")], k)
            got = self._observed(out, args, kwargs)
            leaves = _leaves(expected, got, "the result", self.returns)
            if isinstance(leaves, str):
                return fail(k - 1, f"{self.name} returned the wrong kind of value on case {k}",
                            self._case_details(k, case) + [("Problem", leaves)], k)
            if self.observe is None:
                changed = self._changed_input(case, args, kwargs)
                if changed:
                    return fail(k - 1, f"{self.name} changed its input {changed} (case {k})",
                                self._case_details(k, case) + [(
                                    "Problem", f"after the call, {changed} is not what was "
                                    "passed in. Compute new values (`y = 2 * x`) instead of "
                                    "changing an argument in place (`x *= 2`, `x[0] = ...`, "
                                    "`x.append(...)`): the caller still needs it."
                                )], k)
            for where, e, g in leaves:
                bad = _nonfinite(e, g)
                if bad:
                    result = fail(k - 1, f"{self.name} returned {bad.split()[0]} on case {k}",
                                  self._case_details(k, case) + [
                                      ("Problem", f"{where} contains {bad}"),
                                      ("Expected", _fmt(e)), ("Got", _fmt(g))], k)
                    self._add_hint(result, [(k, case, expected, got, where, np.inf)])
                    return result
            if self.accept is not None:
                verdict = self.accept(got, expected, case)
                if verdict:
                    result = fail(k - 1, f"{self.name}: wrong answer on case {k} of {n}",
                                  self._case_details(k, case) + [
                                      ("Problem", verdict), ("Got", _fmt(got))], k)
                    self._add_hint(result, [(k, case, expected, got, "", np.inf)])
                    return result
                continue
            compared_floats = compared_floats or any(_is_float(e) for _, e, _ in leaves)
            errors = [(_error(e, g), where) for where, e, g in leaves]
            worst, where = max(errors, key=lambda p: p[0]) if errors else (0.0, "")
            if worst > self.tol:
                failures.append((k, case, expected, got, where, worst))
        if not failures:
            return Result(self.id, self.name, PASSED, n, n,
                          f"{self.name}: {n}/{n} cases{self._rule_text(compared_floats)}")
        return self._value_failure(failures, n)

    # -- the parts of run() ---------------------------------------------------------

    def _rule_text(self, compared_floats):
        """`` (relative error ≤ 1e-7)``: the rule the pass line states, or ""."""
        rule = self.rule
        if rule is None and compared_floats:
            rule = f"relative error ≤ {tol_text(self.tol)}"
        return f" ({rule})" if rule else ""

    def _fail_factory(self, n):
        def fail(passed, headline, details, k=None):
            repro = "" if k is None else self._reproduce(k)
            return Result(self.id, self.name, FAILED, passed, n, headline, details,
                          reproduce=repro)
        return fail

    def _reproduce(self, k):
        return (f"import bpcourse; case = bpcourse.check.{self.name}.case({k}); "
                f"{self.name}(*case.args, **case.kwargs)")

    def _signature_problem(self, fn, cases):
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return None   # a builtin or C function: let the call itself decide
        for case in cases:
            try:
                sig.bind(*case.args, **case.kwargs)
            except TypeError as err:
                shown = ", ".join([*(f"<{n}>" for n in self._param_names(len(case.args))),
                                   *(f"{k}=..." for k in case.kwargs)])
                return (f"{self.name}{sig} cannot be called as {self.name}({shown}): {err}")
        return None

    def _param_names(self, count):
        try:
            names = list(inspect.signature(self.reference).parameters)
        except (TypeError, ValueError):
            names = []
        return [names[i] if i < len(names) else f"arg{i}" for i in range(count)]

    def _changed_input(self, case, args, kwargs):
        names = self._param_names(len(case.args))
        for name, before, after in zip(names, case.args, args, strict=True):
            if not _same(before, after):
                return f"`{name}`"
        for key, before in case.kwargs.items():
            if not _same(before, kwargs[key]):
                return f"`{key}`"
        return ""

    def _case_details(self, k, case):
        names = self._param_names(len(case.args))
        shown = [f"{n}={_fmt(a, 120)}" for n, a in zip(names, case.args, strict=True)]
        shown += [f"{key}={_fmt(a, 120)}" for key, a in case.kwargs.items()]
        label = f" ({case.label})" if case.label else ""
        return [("Case", f"{k}{label}"), ("Call", f"{self.name}({', '.join(shown)})")]

    def _value_failure(self, failures, n):
        k, case, expected, got, where, worst = failures[0]
        details = self._case_details(k, case) + [
            ("Expected", _fmt(expected)), ("Got", _fmt(got)),
            ("Error", f"relative error of {where} is {worst:.2e} > tolerance {self.tol:.0e} "
                      "(max |x - y| / max(1e-8, |x| + |y|))"),
        ]
        result = Result(self.id, self.name, FAILED, n - len(failures), n,
                        f"{self.name}: wrong values on {len(failures)} of {n} cases",
                        details, reproduce=self._reproduce(k))
        self._add_hint(result, failures)
        return result

    def _add_hint(self, result, failures):
        found = self._recognise(failures)
        result.hint = self.hint
        if found:
            result.mistake = found[0].name
            result.hint = f"this looks like: {found[0].name}. {found[0].hint}"
            if len(found) > 1:
                result.hint += " Also seen: " + "; ".join(m.name for m in found[1:3]) + "."

    def _recognise(self, failures):
        """Mistakes whose outputs match the learner's, best explanation first."""
        score = {}
        for order, (_, case, _, got, _, _) in enumerate(failures):
            for i, mistake in enumerate(self.mistakes):
                try:
                    args, kwargs = copy.deepcopy((case.args, case.kwargs))
                    with np.errstate(all="ignore"):
                        wrong = self._observed(mistake.fn(*args, **kwargs), args, kwargs)
                except (ArithmeticError, ValueError):
                    continue   # this mistake cannot even run on this case
                leaves = _leaves(wrong, got, "")
                if isinstance(leaves, str):
                    continue
                if all(_error(e, g) <= self.tol for _, e, g in leaves):
                    hits, first = score.get(i, (0, order))
                    score[i] = (hits + 1, first)
        ranked = sorted(score, key=lambda i: (-score[i][0], score[i][1], i))
        return [self.mistakes[i] for i in ranked]


# ---------------------------------------------------------------------------
# Jupyter integration
# ---------------------------------------------------------------------------


def _ipython():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython
    return get_ipython()


def _show(result):
    """In IPython, display the result now (so it shows even mid-cell)."""
    if _ipython() is not None:
        result._ipython_display_()


def _on_check_failed(shell, etype, value, tb, tb_offset=None):
    # The report is the output; the traceback shrinks to one line, and the
    # cell still ends in an error, so "Run all" and nbval stop here.
    value.result._ipython_display_()
    result = value.result
    stb = [f"CheckFailed: exercise {result.exercise}: {result.summary()} (report above)"]
    # IPython does not show what a custom handler returns; ipykernel's
    # _showtraceback publishes it as the cell's error output.
    if hasattr(shell, "_showtraceback"):
        shell._showtraceback(etype, value, stb)
    return stb


def install_handler(shell=None):
    """Show CheckFailed as its report in IPython (done on import)."""
    shell = shell or _ipython()
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((CheckFailed,), _on_check_failed)

