"""Declaring an exercise, and the six steps that check a learner's function.

An exercise is declared once, in its chapter's module (``ch05.py``)::

    adam_step = Exercise(
        id="5.1", name="adam_step",
        reference=optim.adam_step,          # the package's own implementation
        cases=[Case((theta, g, m, v, 0), label="first step"), ...],
        random_cases=_random_cases,         # rng -> list of Case (seeded here)
        mistakes=[Mistake("no bias correction", "Divide m by 1 - beta1**t ...",
                          _no_bias_correction)],
        returns=("theta", "m", "v", "t"),
    )

and used in a notebook as ``check.adam_step(adam_step)``: the check is called
with the learner's function and never looks up names in their namespace.

What a check does, in order, for each case (fixed cases first, then seeded
random ones); each step is one method of ``Exercise`` that returns None or
the ``Problem`` it found:

1. the case's arguments bind to the learner's signature (``_binds``);
2. the function is called on *copies* of them, with a time limit (``_calls``),
   its answer to be judged against the reference's, worked out beforehand
   (``answers``);
3. it returns something of the reference's type, shape and dtype (``_returns``);
4. it leaves its inputs as they were passed (``_keeps_inputs``);
5. no NaN or infinity where the reference has none (``_finite``);
6. every number agrees with the reference (``_agrees``): floats within one
   tolerance, ``max |x - y| / max(1e-8, |x| + |y|) <= tol`` (CS231n's rule),
   integers exactly; or ``accept`` says the answer is right.

Steps 1 to 5 stop at the first problem; step 6 runs every case, and a known
mistake (``Mistake``) is named in the hint only if it reproduces the
learner's answer on *every* failing case. Outcomes: *not attempted* (the stub
raised ``NotImplementedError``; a note, no exception), *passed* (its line
states the rule it passed, e.g. ``✓ adam_step: 16/16 cases (relative error
≤ 1e-7)``), or *failed*, which raises ``CheckFailed``.

The reference, ``observe`` and ``accept`` always see the arguments as they
were passed, whatever the learner's function did to its own copies, and the
reference runs under its own ``np.errstate`` with numpy's global state as the
learner's function found it.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._compare import TOL, error, is_float, is_integer, kind, leaves, nonfinite, rel_error, same
from ._report import FAILED, NOT_ATTEMPTED, PASSED, CheckFailed, Result, fmt, show, tol_text
from ._running import TIME_LIMIT, LearnerError, message, numpy_state, run_learner

__all__ = ["Case", "Mistake", "Exercise", "Problem", "REGISTRY", "SEED", "TOL_FLOAT64",
           "accept_hidden_number"]

SEED = 20260101      # random cases are drawn from rng(SEED + exercise number)
TOL_FLOAT64 = 1e-9   # with float64=True: float32 rounding (about 3e-8) cannot pass

REGISTRY: dict[str, Exercise] = {}  # name -> Exercise, one flat namespace


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

    ``fn`` is a small named module-level function that takes the reference's
    arguments and makes exactly this one mistake. When its output reproduces
    the learner's on every failing case, the report shows ``name`` and ``hint``.
    """

    name: str
    hint: str
    fn: Callable


def accept_hidden_number(what, redo):
    """An ``accept`` for a number worked out by hand: judged by the one tolerance,
    and on failure the learner's number and how to redo it, never the answer."""
    def accept(got, expected, case):
        if rel_error(expected, float(got)) <= TOL:
            return None
        return f"{float(got):.6g} is not {what}. {redo}"
    return accept


# ---------------------------------------------------------------------------
# What a step found, and one case's state while it is checked
# ---------------------------------------------------------------------------


@dataclass
class Problem:
    """What a step of the check found wrong, for the report."""

    headline: str
    details: list                  # (label, text) pairs
    k: int | None = None           # the case (from 1), for the Reproduce line
    status: str = FAILED
    trial: _Trial | None = None    # the case's answer, to recognise a mistake by


@dataclass
class _Trial:
    """One case on its way through the six steps."""

    k: int                         # the case's number, from 1
    n: int                         # of how many
    case: Case                     # as passed: never given to the learner's function
    out: object = None             # what the learner's function returned
    args: tuple = ()               # the learner's copies, after the call
    kwargs: dict = field(default_factory=dict)
    expected: object = None        # the reference's answer (observed)
    got: object = None             # the learner's answer (observed)
    leaves: list = field(default_factory=list)


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
        ``.grad``): ``args``, ``kwargs`` are the arguments after the call.
        Then the inputs may be changed, and None may be returned. If it has a
        parameter ``case``, it also gets the arguments as they were passed
        (``case.args``), to judge the answer against (a sort that empties the
        graph it was given).
    accept : callable, optional
        ``accept(got, expected, case) -> None or str``, for answers that may
        rightly differ from the reference (any valid topological order): None
        accepts ``got``; a string says what is wrong. It replaces the
        comparison of values (steps 1 to 5 still run first).
    tol : float
        Relative-error tolerance; keep the default unless the text says why.
    float64 : bool
        The text asks for float64 work: the tolerance becomes ``TOL_FLOAT64``
        (unless ``tol`` is given), so that float32 rounding cannot pass, and
        the pass line says so.
    rule : str, optional
        The rule a pass means, stated briefly on the pass line
        (``✓ name: n/n cases (rule)``). By default: ``"relative error ≤ 1e-7"``
        (with ``tol``) when floats were compared, else ``"integers exact"``
        when integers were; for answers judged by ``accept``, nothing unless
        given.
    hint : str
        Shown when a failure matches no known mistake.
    time_limit : float
        Seconds one call may take.
    """

    def __init__(self, id, name, reference, cases, random_cases=None, mistakes=(),
                 returns=None, observe=None, accept=None, tol=None, hint="",
                 time_limit=TIME_LIMIT, doc="", rule=None, float64=False):
        if name in REGISTRY:
            raise ValueError(f"check name {name!r} is already used by exercise "
                             f"{REGISTRY[name].id}; check names must be unique")
        self.id, self.name, self.reference = id, name, reference
        self._fixed = list(cases)
        self._random = random_cases
        self.mistakes = list(mistakes)
        self.returns, self.observe, self.accept = returns, observe, accept
        self.float64 = float64
        self.tol = tol if tol is not None else TOL_FLOAT64 if float64 else TOL
        self.hint, self.time_limit = hint, time_limit
        self.rule = rule
        self._answers = None
        self.__name__ = name
        self.__doc__ = (f"Check exercise {id}: call with your function, "
                        f"`bpcourse.check.{name}({name})`. {doc}").strip()
        REGISTRY[name] = self

    def __repr__(self):
        return f"<check for exercise {self.id}: {self.name}{inspect.signature(self.reference)}>"

    # -- the cases and the truth ---------------------------------------------

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

    def expected(self, case):
        """The reference's answer to ``case`` (what ``observe`` makes of it)."""
        return self._answer(self.reference, case)

    def answers(self):
        """The reference's answer to every case, in order: worked out once,
        before a learner's function first runs in this check (so nothing it
        does to a shared object can change them), and handed out as copies."""
        made_from = (self._fixed, self._random, self.reference, self.observe)
        if self._answers is None or any(
                a is not b for a, b in zip(self._answers[0], made_from, strict=True)):
            # (a copy of this exercise with other cases works out its own)
            self._answers = (made_from, [self.expected(case) for case in self.cases()])
        return copy.deepcopy(self._answers[1])

    def _answer(self, fn, case):
        # The check's own functions (the reference, a mistake) on a fresh
        # copy, under their own errstate, whatever the learner's code set.
        args, kwargs = copy.deepcopy((case.args, case.kwargs))
        with numpy_state(), np.errstate(all="ignore"):
            return self._observed(fn(*args, **kwargs), args, kwargs, case)

    def _observed(self, returned, args, kwargs, case):
        if self.observe is None:
            return returned
        if "case" in _parameters(self.observe):
            return self.observe(returned, args, kwargs, case=copy.deepcopy(case))
        return self.observe(returned, args, kwargs)

    # -- the check ---------------------------------------------------------------

    def __call__(self, fn):
        result = self.run(fn)
        show(result)
        if result.status == FAILED:
            raise CheckFailed(result)
        return result

    def run(self, fn):
        """The Result for ``fn``, without displaying or raising.

        1 binds, then per case: 2 calls, 3 returns, 4 keeps inputs, 5 finite
        (each stops the check at its first problem), 6 agrees (collected over
        all cases, then reported with the mistake that explains them).
        """
        cases, answers = self.cases(), self.answers()
        n = len(cases)
        problem = self._binds(fn, cases)                        # 1.
        if problem:
            return self._result(problem, n, passed=0)
        wrong, compared, run = [], set(), n
        for k, (case, answer) in enumerate(zip(cases, answers, strict=True), 1):
            trial = _Trial(k, n, case, expected=answer)
            problem = self._calls(fn, trial)                    # 2.
            if problem and wrong and problem.status != NOT_ATTEMPTED:
                run = k - 1     # see below
                break
            if problem:
                return self._result(problem, n, passed=k - 1 - len(wrong))
            try:
                problem = self._returns(trial)                  # 3.
                if problem and wrong:
                    # earlier cases already gave wrong values of the right kind: report
                    # those (a mistake can be named from them), not this case's error
                    # or shape (a rectangular weight after square ones, say)
                    run = k - 1
                    break
                problem = (problem
                           or self._keeps_inputs(trial)         # 4.
                           or self._finite(trial))              # 5.
                if problem:
                    return self._result(problem, n, passed=k - 1 - len(wrong))
                problem = self._agrees(trial, compared)         # 6.
            except (Exception, SystemExit) as err:   # a returned object that misbehaves
                return self._result(self._problem(
                    trial, f"{self.name}: its answer could not be compared on case {k}",
                    ("Problem", f"comparing it failed with {type(err).__name__}: {message(err)}")),
                    n, passed=k - 1 - len(wrong))
            if problem:
                wrong.append(problem)
        if wrong:
            return self._result(self._wrong_answers(wrong, n, run), n,
                                passed=run - len(wrong), failing=[p.trial for p in wrong])
        return Result(self.id, self.name, PASSED, n, n,
                      f"{self.name}: {n}/{n} cases{self._rule_text(compared)}")

    # -- the six steps: each returns None or the Problem it found -------------------

    def _binds(self, fn, cases):
        """1. The function exists and each case's arguments bind to its signature."""
        if not callable(fn):
            return Problem(f"expected your function, got {kind(fn)}",
                           [("Call it as", f"check.{self.name}({self.name})")])
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
                return Problem("your function cannot be called as the exercise asks", [
                    ("Problem", f"{self.name}{sig} cannot be called as "
                                f"{self.name}({shown}): {err}"),
                    ("Expected", f"{self.name}{inspect.signature(self.reference)}")])
        return None

    def _calls(self, fn, trial):
        """2. Call the function on copies, under the time limit."""
        k, n = trial.k, trial.n
        try:
            trial.out, trial.args, trial.kwargs = run_learner(
                fn, trial.case, self.time_limit, first=(k == 1))
        except LearnerError as err:
            if err.kind == "not attempted":
                note = ("Replace the `raise NotImplementedError` line with your code, "
                        "run that cell, then run this one again.")
                if "Exercise" in err.text and f"Exercise {self.id}" not in err.text:
                    note += f" (It stopped at: NotImplementedError({err.text!r}).)"
                return Problem(f"{self.name}: not attempted yet (exercise {self.id})",
                               [("", note)], status=NOT_ATTEMPTED)
            why = "timed out" if err.kind == "timeout" else "raised an exception"
            return self._problem(trial, f"{self.name} {why} on case {k} of {n}",
                                 ("Problem", err.text))
        return None

    def _returns(self, trial):
        """3. Something came back, of the reference's type, shape and dtype."""
        k = trial.k
        if self.observe is None and trial.out is None:
            return self._problem(trial, f"{self.name} returned None on case {k} of {trial.n}",
                                 ("Problem", "it returned None: is a `return` missing?"))
        try:
            with numpy_state(), np.errstate(all="ignore"):
                trial.got = self._observed(trial.out, trial.args, trial.kwargs, trial.case)
        except Exception as err:
            return self._problem(trial, f"{self.name}: its answer could not be read on case {k}",
                                 ("Problem", f"reading the answer failed with "
                                             f"{type(err).__name__}: {message(err)}. Did your"
                                             " function change or delete part of its inputs?"))
        found = leaves(trial.expected, trial.got, "the result", self.returns)
        if isinstance(found, str):
            return self._problem(trial, f"{self.name} returned the wrong kind of value on "
                                 f"case {k}", ("Problem", found))
        if self.float64:
            low = next((w for w, _, g in found if _low_precision(g)), None)
            if low:
                return self._problem(trial, f"{self.name} worked in low precision on case {k}",
                                     ("Problem", f"{low} is not float64; the text asks for "
                                                 "float64 throughout"))
        trial.leaves = found
        return None

    def _keeps_inputs(self, trial):
        """4. The inputs are as they were passed (unless the answer is a change to them)."""
        if self.observe is not None:
            return None
        changed = self._changed_input(trial)
        if not changed:
            return None
        return self._problem(trial, f"{self.name} changed its input {changed} (case {trial.k})", (
            "Problem", f"after the call, {changed} is not what was passed in. Compute new "
            "values (`y = 2 * x`) instead of changing an argument in place (`x *= 2`, "
            "`x[0] = ...`, `x.append(...)`): the caller still needs it."))

    def _finite(self, trial):
        """5. No NaN or infinity where the reference has none."""
        for where, e, g in trial.leaves:
            bad = nonfinite(e, g)
            if bad:
                problem = self._problem(
                    trial, f"{self.name} returned {bad.split()[0]} on case {trial.k}",
                    ("Problem", f"{where} contains {bad}"), ("Expected", fmt(e)),
                    ("Got", fmt(g)))
                problem.trial = trial
                return problem
        return None

    def _agrees(self, trial, compared):
        """6. The values agree with the reference (or ``accept`` takes them)."""
        if self.accept is not None:
            try:
                verdict = self.accept(trial.got, trial.expected, copy.deepcopy(trial.case))
            except Exception as err:
                verdict = (f"your answer could not be judged ({type(err).__name__}: "
                           f"{message(err)})")
            if not verdict:
                return None
            problem = self._problem(trial, "", ("Problem", verdict), ("Got", fmt(trial.got)))
            problem.trial = trial
            return problem
        errors = []
        for where, e, g in trial.leaves:
            compared.update(["float"] if is_float(e) else ["integer"] if is_integer(e) else [])
            errors.append((error(e, g), where, e, g))
        worst = max(errors, key=lambda p: p[0]) if errors else (0.0, "", None, None)
        if worst[0] <= self.tol:
            return None
        err, where, e, g = worst
        problem = self._problem(trial, "", ("Expected", fmt(trial.expected)),
                                ("Got", fmt(trial.got)), ("Error", self._error_text(where, e, g)))
        problem.trial = trial
        return problem

    # -- the report -------------------------------------------------------------------

    def _problem(self, trial, headline, *details):
        return Problem(headline, self._case_details(trial.k, trial.case) + list(details),
                       k=trial.k)

    def _error_text(self, where, expected, got):
        if is_integer(expected):
            return f"{where} must be exactly {fmt(expected, 80)} (integers are compared exactly)"
        if not is_float(expected):
            return f"{where} is not what it should be"
        err = rel_error(expected, got)
        text = (f"relative error of {where} is {err:.2e} > tolerance "
                f"{self.tol:.0e} (max |x - y| / max(1e-8, |x| + |y|))")
        if self.float64 and err < 1e-6:
            if _float32_rounded(expected, got):
                text += (". Every number of yours is a float32 number, and the error is "
                         "the size of float32 rounding (about 1e-8): is a number or an "
                         "array in your code float32? The text asks for float64 "
                         "throughout")
            else:
                text += (f". Your numbers differ from the expected ones in about the "
                         f"{_ordinal(_digit(err))} significant digit")
        return text

    def _wrong_answers(self, wrong, n, run=None):
        """The first wrong case, as the report shows it, for step 6's failures
        (``run`` cases were run, if the check stopped before case ``n``)."""
        first = wrong[0]
        what = "answer" if self.accept is not None else "values"
        of = f"{n} cases" if run in (None, n) else f"the first {run} cases"
        first.headline = f"{self.name}: wrong {what} on {len(wrong)} of {of}"
        return first

    def _result(self, problem, n, passed, failing=None):
        if problem.status == NOT_ATTEMPTED:
            return Result(self.id, self.name, NOT_ATTEMPTED, 0, n, problem.headline,
                          problem.details)
        result = Result(self.id, self.name, FAILED, passed, n, problem.headline, problem.details,
                        reproduce="" if problem.k is None else self._reproduce(problem.k))
        if failing is None and problem.trial is not None:
            failing = [problem.trial]
        if failing:
            self._add_hint(result, failing)
        return result

    def _rule_text(self, compared):
        """`` (relative error ≤ 1e-7)``: the rule the pass line states, or ""."""
        rule = self.rule
        if rule is None and self.accept is None:
            if "float" in compared:      # integers beside floats are exact too, unsaid
                rule = (("float64, " if self.float64 else "")
                        + f"relative error ≤ {tol_text(self.tol)}")
            elif "integer" in compared:
                rule = "integers exact"
        return f" ({rule})" if rule else ""

    def _reproduce(self, k):
        return (f"import bpcourse; case = bpcourse.check.{self.name}.case({k}); "
                f"{self.name}(*case.args, **case.kwargs)")

    def _param_names(self, count):
        names = list(_parameters(self.reference))
        return [names[i] if i < len(names) else f"arg{i}" for i in range(count)]

    def _changed_input(self, trial):
        case, args, kwargs = trial.case, trial.args, trial.kwargs
        names = self._param_names(len(case.args))
        for name, before, after in zip(names, case.args, args, strict=True):
            if not same(before, after):
                return f"`{name}`"
        for key, before in case.kwargs.items():
            if not same(before, kwargs.get(key)):
                return f"`{key}`"
        return ""

    def _case_details(self, k, case):
        names = self._param_names(len(case.args))
        shown = [f"{n}={fmt(a, 120)}" for n, a in zip(names, case.args, strict=True)]
        shown += [f"{key}={fmt(a, 120)}" for key, a in case.kwargs.items()]
        label = f" ({case.label})" if case.label else ""
        return [("Case", f"{k}{label}"), ("Call", f"{self.name}({', '.join(shown)})")]

    def _add_hint(self, result, failing):
        """Name a mistake only where it reproduces the learner's answer: one
        that does on every failing case, else mistakes that together do, each
        on the cases it explains; else the general hint."""
        explained = self._recognise(failing)
        whole = [m for m, ks in explained if len(ks) == len(failing)]
        result.hint = self.hint
        if whole:
            first = whole[0]
            result.mistake = first.name
            result.hint = f"this looks like: {first.name}. {first.hint}"
            others = list(dict.fromkeys(m.name for m in whole[1:] if m.name != first.name))
            if others:
                result.hint += " Also seen: " + "; ".join(others[:2]) + "."
            return
        cover = _cover(explained, [t.k for t in failing])
        if cover:
            result.mistake = " and ".join(m.name for m, _ in cover)
            result.hint = "this looks like more than one mistake. " + " ".join(
                f"On case{'s' if len(ks) > 1 else ''} {_numbers(ks)}: {m.name}. {m.hint}"
                for m, ks in cover)

    def _recognise(self, failing):
        """``[(mistake, [k, ...])]``: each mistake with the failing cases on
        which it reproduces the learner's answer."""
        found = []
        for mistake in self.mistakes:
            ks = [t.k for t in failing if self._reproduces(mistake, t)]
            if ks:
                found.append((mistake, ks))
        return found

    def _reproduces(self, mistake, trial):
        try:
            wrong = self._answer(mistake.fn, trial.case)
        except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
            return False   # this mistake cannot even run on this case
        pairs = leaves(wrong, trial.got, "")
        if isinstance(pairs, str):
            return False
        return all(error(e, g) <= self.tol for _, e, g in pairs)


def _parameters(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def _float32_rounded(expected, got):
    """Whether got looks like float32 work: every value of it is a float32 number
    (float64 work almost never lands on one) while the reference's are not all.
    An error of float32's size alone says nothing: a different formula (Adam
    without eps) can be off by 1e-7 too."""
    try:
        e = np.asarray(expected, dtype=np.float64)
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    with np.errstate(all="ignore"):
        def in_float32(x):
            return bool(np.all(x.astype(np.float32).astype(np.float64) == x))
        return in_float32(g) and not in_float32(e)


def _digit(err):
    """The significant digit in which two numbers at relative error ``err``
    (|x - y| / (|x| + |y|), half their relative difference) first differ."""
    return int(np.floor(-np.log10(2 * err))) + 1


def _ordinal(k):
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _low_precision(value):
    return (isinstance(value, np.ndarray) and value.dtype.kind == "f"
            and value.dtype.itemsize < 8) or (
        isinstance(value, np.floating) and value.dtype.itemsize < 8)


def _cover(explained, ks):
    """Mistakes that between them explain every case in ``ks`` (greedy), or []."""
    left, cover = set(ks), []
    while left:
        best = max(explained, key=lambda p: len(left & set(p[1])), default=None)
        if best is None or not left & set(best[1]):
            return []
        cover.append((best[0], sorted(left & set(best[1]))))
        left -= set(best[1])
    return cover


def _numbers(ks):
    return ", ".join(map(str, ks[:-1])) + (" and " if len(ks) > 1 else "") + str(ks[-1])
