"""The check machinery (bpcourse/check, in its four parts) on toy exercises."""

import signal
import threading
import time

import numpy as np
import pytest

from bpcourse.check import _core
from bpcourse.check._core import (
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    REGISTRY,
    Case,
    CheckFailed,
    Exercise,
    Mistake,
    rel_error,
)


def _scale(x, a=2.0):
    """Reference of the toy exercise: a new array a·x."""
    return a * x


def _pair(u, w):
    return float(u + w), float(u - w)


@pytest.fixture
def toy():
    """A toy exercise, registered for the test and removed after."""
    exercise = Exercise(
        id="0.1", name="_toy_scale", reference=_scale,
        cases=[Case((np.array([1.0, -2.0, 3.0]),), label="three numbers"),
               Case((np.array([[0.5, 0.0], [1.0, 4.0]]),), {"a": -1.5}, label="a matrix")],
        random_cases=lambda rng: [Case((rng.normal(size=4),), label="random")
                                  for _ in range(3)],
        mistakes=[Mistake("forgot a", "Multiply by a.", lambda x, a=2.0: x.copy()),
                  Mistake("a squared", "Use a once.", lambda x, a=2.0: a * a * x)],
        hint="Return a times x.", time_limit=0.5)
    yield exercise
    REGISTRY.pop("_toy_scale")


@pytest.fixture
def toy_pair():
    exercise = Exercise(id="0.2", name="_toy_pair", reference=_pair,
                        cases=[Case((3.0, 1.0)), Case((-2.0, 0.5))], returns=("s", "d"))
    yield exercise
    REGISTRY.pop("_toy_pair")


def test_rel_error_is_the_stated_formula():
    # |1 - 1.1| / (1 + 1.1) = 0.1/2.1; the floor 1e-8 applies near zero
    assert rel_error(1.0, 1.1) == pytest.approx(0.1 / 2.1, rel=1e-12)
    assert rel_error([0.0, 2.0], [1e-10, 2.0]) == pytest.approx(1e-10 / 1e-8, rel=1e-9)
    assert rel_error([1.0, np.nan], [1.0, np.nan]) == 0.0      # NaN in the same place
    assert rel_error([1.0], [np.nan]) == np.inf
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0


def test_one_relative_error_across_gradcheck_and_check():
    from bpcourse import check, gradcheck
    assert check.rel_error is rel_error is gradcheck.rel_error


def test_reference_passes_and_counts_cases(toy):
    result = toy(_scale)
    assert result.status == PASSED and result.passed == result.total == 5
    assert str(result) == "✓ _toy_scale: 5/5 cases (relative error ≤ 1e-7)"
    assert result.to_json() == {"exercise": "0.1", "name": "_toy_scale", "status": "passed",
                                "passed": 5, "total": 5, "mistake": ""}


def test_the_pass_line_states_the_rule_it_passed():
    exercises = [
        Exercise(id="0.5", name="_toy_tol", reference=_scale, cases=[Case((np.ones(2),))],
                 tol=2.5e-10),
        Exercise(id="0.6", name="_toy_int", reference=lambda: 3, cases=[Case()]),
        Exercise(id="0.7", name="_toy_hand", reference=lambda: 0.7, cases=[Case()],
                 accept=lambda got, exp, case: None),
        Exercise(id="0.8", name="_toy_said", reference=lambda: 3, cases=[Case()],
                 rule="the exact count"),
    ]
    try:
        assert [e.run(e.reference).headline for e in exercises] == [
            "_toy_tol: 1/1 cases (relative error ≤ 2.5e-10)",   # its own tolerance
            "_toy_int: 1/1 cases (integers exact)",   # an integer: compared exactly
            "_toy_hand: 1/1 cases",                # judged by accept, which says its own rule
            "_toy_said: 1/1 cases (the exact count)"]
    finally:
        for e in exercises:
            REGISTRY.pop(e.name)


def test_case_k_is_a_copy_a_learner_cannot_spoil(toy):
    """The report's "Reproduce" line runs the learner's function on case(k): an
    in-place function must not change the check's own cases."""
    def in_place(x, a=2.0):
        x *= a
        return x

    before = toy.case(1).args[0].copy()
    case = toy.case(1)
    in_place(*case.args, **case.kwargs)                    # as the Reproduce line does
    np.testing.assert_array_equal(case.args[0], 2 * before)
    np.testing.assert_array_equal(toy.case(1).args[0], before)      # unchanged
    assert toy.case(1) is not toy.case(1)
    for case in toy.cases():                               # cases() hands out copies too
        case.args[0][...] = 99.0
    np.testing.assert_array_equal(toy.case(1).args[0], before)
    result = toy.run(_scale)
    assert result.status == PASSED and result.passed == 5


def test_random_cases_are_the_same_every_time(toy):
    first, second = toy.cases(), toy.cases()
    assert len(first) == 5
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.args[0], b.args[0])
    assert toy.case(3).label == "random"


def test_not_attempted_is_a_note_not_an_error(toy):
    def stub(x, a=2.0):
        raise NotImplementedError("Exercise 0.1")

    result = toy(stub)          # no exception
    assert result.status == NOT_ATTEMPTED and result.passed == 0
    assert "not attempted" in str(result)


def test_not_implemented_after_some_cases_is_a_failure(toy):
    def partial(x, a=2.0):
        if x.ndim == 2:
            raise NotImplementedError("matrices later")
        return a * x

    with pytest.raises(CheckFailed) as info:
        toy(partial)
    assert info.value.result.status == FAILED
    assert "NotImplementedError" in str(info.value)


def test_wrong_values_report_case_expected_got_tolerance_hint(toy):
    with pytest.raises(CheckFailed) as info:
        toy(lambda x, a=2.0: a * a * x)
    result = info.value.result
    assert result.mistake == "a squared" and "Use a once." in result.hint
    text = str(info.value)
    for part in ("Case: 1 (three numbers)", "Expected: array([ 2., -4.,  6.])",
                 "Got: array([ 4., -8., 12.])", "> tolerance 1e-07",
                 "max |x - y| / max(1e-8, |x| + |y|)",
                 "case = bpcourse.check._toy_scale.case(1)"):
        assert part in text, part
    # wrong on every case: rel. error |4-2|/(4+2) = 1/3 on case 1
    assert result.passed == 0 and result.total == 5
    assert "relative error of the result is 3.33e-01" in text


def test_unrecognised_mistake_gets_the_general_hint(toy):
    with pytest.raises(CheckFailed) as info:
        toy(lambda x, a=2.0: a * x + 1)
    assert info.value.result.mistake == ""
    assert info.value.result.hint == "Return a times x."


def test_signature_is_checked_before_calling(toy):
    calls = []

    def one_arg(x):   # the case with a=... cannot be bound
        calls.append(x)
        return 2 * x

    with pytest.raises(CheckFailed) as info:
        toy(one_arg)
    assert calls == []
    assert "cannot be called" in str(info.value) and "'a'" in str(info.value)


def test_not_a_function(toy):
    with pytest.raises(CheckFailed) as info:
        toy(None)
    assert "expected your function, got None" in str(info.value)


def test_none_returned(toy):
    def no_return(x, a=2.0):
        a * x

    with pytest.raises(CheckFailed) as info:
        toy(no_return)
    assert "returned None" in str(info.value) and "`return` missing" in str(info.value)


@pytest.mark.parametrize("fn, message", [
    (lambda x, a=2.0: list(a * x), "is a list; it should be a numpy array of shape (3,)"),
    (lambda x, a=2.0: (a * x)[:2], "has shape (2,); it should have shape (3,)"),
    (lambda x, a=2.0: (a * x).astype(np.float32), "has dtype float32; it should be float64"),
    (lambda x, a=2.0: float((a * x).sum()), "is a float; it should be a numpy array"),
])
def test_type_shape_dtype(toy, fn, message):
    with pytest.raises(CheckFailed) as info:
        toy(fn)
    assert message in str(info.value)


def test_tuple_length_and_element_names(toy_pair):
    with pytest.raises(CheckFailed) as info:
        toy_pair(lambda u, w: u + w)
    assert "it should be a tuple of 2 values" in str(info.value)
    with pytest.raises(CheckFailed) as info:
        toy_pair(lambda u, w: (u + w, np.array([u - w])))
    assert "d is a numpy array" in str(info.value)
    assert toy_pair(lambda u, w: [u + w, u - w]).status == PASSED   # a list is fine


def test_nan_is_reported_where_it_is(toy):
    def nan_at_one(x, a=2.0):
        y = a * x
        y[1] = np.nan
        return y

    with pytest.raises(CheckFailed) as info:
        toy(nan_at_one)
    assert "contains NaN at index (1,)" in str(info.value)


def test_mutating_an_input_is_caught(toy):
    def in_place(x, a=2.0):
        x *= a
        return x

    with pytest.raises(CheckFailed) as info:
        toy(in_place)
    assert "changed its input `x`" in str(info.value)


def test_exception_is_reported_with_the_learners_line(toy):
    def broken(x, a=2.0):
        y = a * x
        return y @ np.ones(7)   # wrong size

    with pytest.raises(CheckFailed) as info:
        toy(broken)
    text = str(info.value)
    assert "raised ValueError" in text
    assert "line 3 of broken: return y @ np.ones(7)" in text


def test_endless_loop_is_stopped_in_the_main_thread(toy):
    before = signal.getsignal(signal.SIGALRM)

    def endless(x, a=2.0):
        while True:
            pass

    start = time.perf_counter()
    with pytest.raises(CheckFailed) as info:
        toy(endless)
    assert time.perf_counter() - start < 3.0
    assert "ran for more than 0.5 s and was stopped" in str(info.value)
    assert signal.getsignal(signal.SIGALRM) is before        # handler restored
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_endless_loop_is_stopped_away_from_the_main_thread(toy):
    box = {}
    threads_before = threading.active_count()

    def endless(x, a=2.0):
        while True:
            pass

    def run():
        box["result"] = toy.run(endless)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert "was stopped" in str(box["result"])
    # the learner's thread was interrupted too, not left spinning
    time.sleep(0.2)
    assert threading.active_count() == threads_before


def test_except_exception_cannot_swallow_the_time_limit(toy):
    def stubborn(x, a=2.0):
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass

    with pytest.raises(CheckFailed) as info:
        toy(stubborn)
    assert "was stopped" in str(info.value)


def test_names_are_unique(toy):
    with pytest.raises(ValueError, match="already used by exercise 0.1"):
        Exercise(id="9.9", name="_toy_scale", reference=_scale, cases=[])


def test_observe_compares_a_change_to_the_inputs():
    def fill(box):
        box["grad"] = 2.0 * box["x"]

    exercise = Exercise(id="0.3", name="_toy_fill", reference=fill,
                        cases=[Case(({"x": 1.5, "grad": 0.0},))],
                        observe=lambda returned, args, kwargs: args[0]["grad"])
    try:
        assert exercise(fill).status == PASSED
        with pytest.raises(CheckFailed):
            exercise(lambda box: box.update(grad=box["x"]))
    finally:
        REGISTRY.pop("_toy_fill")


def test_accept_allows_other_right_answers():
    exercise = Exercise(id="0.4", name="_toy_order", reference=lambda: ["a", "b", "c"],
                        cases=[Case()],
                        accept=lambda got, exp, case: None if sorted(got) == exp
                        else "not a permutation of a, b, c")
    try:
        assert exercise(lambda: ["c", "a", "b"]).status == PASSED
        with pytest.raises(CheckFailed, match="not a permutation"):
            exercise(lambda: ["a", "a", "c"])
    finally:
        REGISTRY.pop("_toy_order")


def test_display_html_text_and_json(toy):
    passed = toy.run(_scale)
    bundle, metadata = passed.mimebundle()
    assert bundle["text/plain"] == "✓ _toy_scale: 5/5 cases (relative error ≤ 1e-7)"
    assert "#009E73" in bundle["text/html"]
    assert "✓ _toy_scale: 5/5 cases (relative error ≤ 1e-7)</b>" in bundle["text/html"]
    assert metadata[_core.MIME]["status"] == "passed"
    assert set(bundle) == {"text/plain", "text/html"}   # nothing the website cannot render
    failed = toy.run(lambda x, a=2.0: x.copy())
    html = failed._repr_html_()
    assert "#D55E00" in html and "Hint:" in html and "forgot a" in html
    assert "<script" not in html


def test_jupyter_handler_shows_the_report_and_one_line():
    shown, published = [], []

    class Shell:
        def _showtraceback(self, etype, value, stb):
            published.append(stb)

    result = _core.Result("0.1", "x", FAILED, 1, 2, "x: wrong values on 1 of 2 cases",
                          mistake="a squared")
    result._ipython_display_ = lambda: shown.append(True)
    stb = _core._on_check_failed(Shell(), CheckFailed, CheckFailed(result), None)
    assert shown == [True]
    assert stb == published[0] == [
        "CheckFailed: exercise 0.1: x: wrong values on 1 of 2 cases; looks like: a squared "
        "(report above)"]


# ---------------------------------------------------------------------------
# Bad learner input, for every registered check (every chapter's, too)
# ---------------------------------------------------------------------------

import copy  # noqa: E402
import inspect  # noqa: E402

import bpcourse.check  # noqa: E402,F401  (registers every chapter's checks)

CHECKS = sorted(name for name in REGISTRY if not name.startswith("_"))


def _first(value, kind):
    """Path (list of indices) to the first leaf of ``kind`` in value, or None."""
    if isinstance(value, kind) and not isinstance(value, bool):
        return []
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            path = _first(item, kind)
            if path is not None:
                return [i, *path]
    return None


def _replace(value, path, new):
    if not path:
        return new
    items = list(value)
    items[path[0]] = _replace(items[path[0]], path[1:], new)
    return type(value)(items) if isinstance(value, tuple) else items


def _like(reference):
    """Give a test's function the reference's signature (and nothing else of it)."""
    def decorate(fn):
        fn.__signature__ = inspect.signature(reference)
        return fn
    return decorate


def _learner(exercise, change):
    """A learner's function: the reference's output, changed by ``change``."""
    if type(exercise).run is not Exercise.run:
        pytest.skip("this check transforms the learner's function before comparing")

    @_like(exercise.reference)
    def fn(*args, **kwargs):
        return change(exercise.reference(*copy.deepcopy(args), **copy.deepcopy(kwargs)))
    return fn


def _failure(exercise, fn):
    result = exercise.run(fn)
    assert result.status == FAILED, f"{exercise.name} accepted a bad answer"
    return str(result)


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_survives_an_exception_with_the_line(name):
    exercise = REGISTRY[name]

    @_like(exercise.reference)
    def fn(*args, **kwargs):
        raise RuntimeError("my own bug")

    text = _failure(exercise, fn)
    assert "raised RuntimeError: my own bug" in text
    assert 'raise RuntimeError("my own bug")' in text


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_stops_an_endless_loop(name, monkeypatch):
    exercise = REGISTRY[name]
    monkeypatch.setattr(exercise, "time_limit", 0.3)

    @_like(exercise.reference)
    def fn(*args, **kwargs):
        while True:
            pass

    assert "ran for more than 0.3 s and was stopped" in _failure(exercise, fn)


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_says_none_returned(name):
    exercise = REGISTRY[name]
    if exercise.observe is not None:
        pytest.skip("the answer is a change to the inputs; None is a valid return")
    assert "returned None" in _failure(exercise, _learner(exercise, lambda out: None))


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_rejects_nan(name):
    exercise = REGISTRY[name]
    out = exercise.expected(exercise.case(1))
    if exercise.observe is not None:
        pytest.skip("the answer is read from the inputs")
    path = _first(out, (float, np.floating, np.ndarray))
    if path is None:
        pytest.skip("no floating-point value in the answer")

    def nan(value):
        leaf = value
        for i in path:
            leaf = leaf[i]
        if isinstance(leaf, np.ndarray):
            if leaf.dtype.kind != "f" or leaf.size == 0:
                pytest.skip("no float array")
            leaf = leaf.copy()
            leaf.flat[0] = np.nan
            return _replace(value, path, leaf)
        return _replace(value, path, float("nan"))

    assert "contains NaN" in _failure(exercise, _learner(exercise, nan))


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_rejects_a_list_for_an_array_and_a_wrong_shape(name):
    exercise = REGISTRY[name]
    out = exercise.expected(exercise.case(1))
    path = _first(out, np.ndarray)
    if exercise.observe is not None or path is None:
        pytest.skip("no array in the answer")

    def as_list(value):
        leaf = value
        for i in path:
            leaf = leaf[i]
        return _replace(value, path, leaf.tolist())

    def longer(value):
        leaf = value
        for i in path:
            leaf = leaf[i]
        return _replace(value, path, np.concatenate([leaf.ravel(), leaf.ravel()[:1], [0.0]]))

    text = _failure(exercise, _learner(exercise, as_list))
    assert "is a list; it should be a numpy array" in text
    assert "it should have shape" in _failure(exercise, _learner(exercise, longer))


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_catches_a_changed_input(name):
    exercise = REGISTRY[name]
    case = exercise.case(1)
    mutable = [i for i, a in enumerate(case.args)
               if isinstance(a, (np.ndarray, list, dict)) and len(a)]
    if exercise.observe is not None or not mutable:
        pytest.skip("no input that can be changed in place")
    index = mutable[0]
    if type(exercise).run is not Exercise.run:
        pytest.skip("this check transforms the learner's function before comparing")

    @_like(exercise.reference)
    def fn(*args, **kwargs):
        out = exercise.reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        arg = args[index]
        if isinstance(arg, np.ndarray):
            arg[...] = 0 if arg.dtype.kind in "fiu" and np.any(arg) else 1
        elif isinstance(arg, list):
            arg.append(0)
        else:
            arg["_bpcourse_test"] = 0
        return out

    assert "changed its input" in _failure(exercise, fn)


def test_strange_values_fail_cleanly(toy_pair):
    # an object array, a string, a dict: each a failure with a message, never a crash
    for bad in [(np.array([object()], dtype=object)[0], 1.0), ("3", 1.0), ({"s": 4.0}, 2.0)]:
        result = toy_pair.run(lambda u, w, bad=bad: bad)
        assert result.status == FAILED and result.headline


# ---------------------------------------------------------------------------
# A check survives the learner's code (issue 13)
# ---------------------------------------------------------------------------

import sys  # noqa: E402


@pytest.mark.parametrize("escape, said", [
    (lambda: sys.exit(), "raised SystemExit (sys.exit() (or exit()) ends a program"),
    (lambda: sys.exit("bye"), "raised SystemExit: bye"),
    (lambda: exit(), "raised SystemExit"),
    (lambda: (_ for _ in ()).throw(KeyboardInterrupt), "raised KeyboardInterrupt"),
    (lambda: (_ for _ in ()).throw(GeneratorExit), "raised GeneratorExit"),
])
def test_an_escape_from_the_learners_function_is_reported_not_obeyed(toy, escape, said):
    def leaves(x, a=2.0):
        escape()
        return a * x

    with pytest.raises(CheckFailed) as info:      # CheckFailed, not SystemExit
        toy(leaves)
    assert said in str(info.value) and "raised an exception on case 1" in str(info.value)


def _reciprocal(x):
    return 1.0 / x   # the case x = 0 gives inf, with a warning under numpy's defaults


@pytest.fixture
def reciprocal():
    exercise = Exercise(id="0.9", name="_toy_reciprocal", reference=_reciprocal,
                        cases=[Case((np.array([0.0, 2.0, -4.0]),), label="a zero")],
                        mistakes=[Mistake("x itself", "Divide.", lambda x: x.copy())])
    yield exercise
    REGISTRY.pop("_toy_reciprocal")


def test_numpy_state_the_learner_changes_is_restored(reciprocal):
    before_err, before_print = np.geterr(), np.get_printoptions()

    def strict(x):
        np.seterr(all="raise")          # the reference would raise FloatingPointError
        np.set_printoptions(precision=1, threshold=2)
        with np.errstate(divide="ignore"):
            return 1.0 / x

    assert reciprocal.run(strict).status == PASSED
    assert np.geterr() == before_err and np.get_printoptions() == before_print

    def strict_and_wrong(x):
        np.seterr(all="raise")
        np.set_printoptions(precision=1)
        return x * 1.0

    result = reciprocal.run(strict_and_wrong)        # mistakes run too: no crash
    assert result.status == FAILED and result.mistake == "x itself"
    assert "Got: array([ 0.,  2., -4.])" in str(result)
    assert np.geterr() == before_err and np.get_printoptions() == before_print


def test_the_reference_runs_under_its_own_errstate(reciprocal):
    with np.errstate(all="raise"):            # the learner's notebook asked for it
        assert reciprocal.expected(reciprocal.case(1))[0] == np.inf
        assert reciprocal.run(lambda x: np.divide(1.0, x, where=x != 0,
                                                  out=np.full_like(x, np.inf))).ok


def test_a_bare_except_cannot_keep_a_loop_going(toy):
    def swallows(x, a=2.0):
        while True:
            try:
                sum(range(1000))
            except:  # noqa: E722  (the learner's)
                pass

    start = time.perf_counter()
    with pytest.raises(CheckFailed) as info:
        toy(swallows)
    assert time.perf_counter() - start < 0.5 + 2.0
    assert "ran for more than 0.5 s and was stopped" in str(info.value)
    assert sys.gettrace() is None                      # the check's tracing is gone
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_function_that_will_not_stop_gets_a_notice_in_bounded_time(toy, capsys):
    """Nested bare excepts around a sleep defeat the stop request; within
    NOTICE_AFTER s of the limit the learner is told how to interrupt the kernel.
    (This one gives up by itself after 4 s, so that the test ends.)"""
    def stubborn(x, a=2.0):
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            try:
                try:
                    time.sleep(0.01)
                except:  # noqa: E722
                    pass
            except:  # noqa: E722
                continue
        return a * x

    start = time.monotonic()
    result = toy.run(stubborn)
    assert time.monotonic() - start < 6
    err = capsys.readouterr().err
    assert "Interrupt the kernel" in err and "bare `except:`" in err
    assert "ran for more than 0.5 s and was stopped" in str(result)   # late is too late


def test_a_check_run_from_a_worker_thread_is_bounded(toy):
    """Away from the main thread, a function that swallows every stop request
    is left behind and the check reports within a bounded time."""
    box = {}

    def deaf(x, a=2.0):
        end = time.monotonic() + 6.0           # ends by itself, so the test leaves no thread
        while time.monotonic() < end:
            try:
                time.sleep(0.005)
            except:  # noqa: E722
                pass
        return a * x

    worker = threading.Thread(target=lambda: box.update(result=toy.run(deaf)))
    start = time.monotonic()
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and time.monotonic() - start < 5.5
    text = str(box["result"])
    assert "did not stop when asked" in text and "Interrupt the kernel" in text
    time.sleep(max(0.0, 6.5 - (time.monotonic() - start)))   # let the learner's thread end


def _keys_in_order(graph):
    return sorted(graph)


def _keys_observed(returned, args, kwargs, case):
    """A verdict judged against the graph as it was passed (case.args)."""
    (graph,) = case.args
    return "right" if list(returned) == sorted(graph) else "wrong"


def test_observe_and_accept_see_the_inputs_as_they_were_passed():
    exercise = Exercise(id="0.10", name="_toy_keys", reference=_keys_in_order,
                        cases=[Case(({"b": [1], "a": [2], "c": []},))], observe=_keys_observed)
    seen = []
    with_accept = Exercise(id="0.11", name="_toy_keys2", reference=_keys_in_order,
                           cases=[Case(({"b": [1], "a": [2], "c": []},))],
                           accept=lambda got, exp, case: seen.append(dict(case.args[0])))
    try:
        def consumes(graph):              # right answer, but it empties the graph
            out = []
            while graph:
                out.append(min(graph))
                del graph[min(graph)]
            return out

        assert exercise.run(consumes).ok
        assert with_accept.run(sorted).ok and seen == [{"b": [1], "a": [2], "c": []}]
    finally:
        REGISTRY.pop("_toy_keys")
        REGISTRY.pop("_toy_keys2")


def test_an_observe_that_fails_on_the_learners_answer_is_reported_not_raised():
    def grad_of(returned, args, kwargs):
        return args[0]["grad"]            # the learner deleted it

    exercise = Exercise(id="0.12", name="_toy_grad", reference=lambda box: box.update(grad=1.0),
                        cases=[Case(({"x": 1.0, "grad": 0.0},))], observe=grad_of)
    try:
        result = exercise.run(lambda box: box.clear())
        assert result.status == FAILED
        assert "could not be read" in result.headline and "KeyError" in str(result)
    finally:
        REGISTRY.pop("_toy_grad")


def test_a_dict_with_missing_keys_is_reported_as_missing_keys():
    exercise = Exercise(id="0.13", name="_toy_dict", reference=lambda: {"x": 1.0, "y": 2.0},
                        cases=[Case()])
    try:
        text = str(exercise.run(lambda: {"x": 1.0}))
        assert "the result is missing the key 'y'" in text and "NaN" not in text
        text = str(exercise.run(lambda: {"x": 1.0, "y": 2.0, "z": 0.0}))
        assert "has the key 'z', which should not be there" in text
        text = str(exercise.run(lambda: {"x": 1.0, "y": 2.5}))
        assert "relative error of the result['y']" in text
        assert exercise.run(lambda: {"y": 2.0, "x": 1.0}).ok
    finally:
        REGISTRY.pop("_toy_dict")


def test_a_shape_failure_says_shapes_not_relative_error_inf(toy):
    text = str(toy.run(lambda x, a=2.0: (a * x)[None]))
    assert "has shape (1, 3); it should have shape (3,)" in text
    assert "inf" not in text and "relative error" not in text


def test_also_seen_never_repeats_a_line():
    exercise = Exercise(id="0.14", name="_toy_twice", reference=lambda x: 2 * x,
                        cases=[Case((1.0,)), Case((3.0,))],
                        mistakes=[Mistake("added", "Multiply.", lambda x: x + x + 1),
                                  Mistake("plus one", "No +1.", lambda x: 2 * x + 1),
                                  Mistake("plus one", "No +1.", lambda x: 2.0 * x + 1),
                                  Mistake("off by one", "No +1.", lambda x: 1 + 2 * x)])
    try:
        hint = exercise.run(lambda x: 2 * x + 1).hint
        assert hint.startswith("this looks like: added.")
        assert hint.endswith("Also seen: plus one; off by one.")
        assert hint.count("plus one") == 1
    finally:
        REGISTRY.pop("_toy_twice")


def test_a_mistake_is_named_only_if_it_reproduces_every_failing_case(toy):
    def half_squared(x, a=2.0):       # a squared on the first case, something else after
        return a * a * x if x.shape == (3,) else a * x + 0.5

    result = toy.run(half_squared)
    assert result.status == FAILED and result.mistake == ""
    assert result.hint == "Return a times x."
    assert "wrong values on 5 of 5 cases" in result.headline


def test_integers_are_compared_exactly_and_the_pass_line_says_so():
    count = 2**60 + 1
    exercise = Exercise(id="0.15", name="_toy_count", reference=lambda: count, cases=[Case()])
    try:
        assert exercise.run(lambda: count).headline == "_toy_count: 1/1 cases (integers exact)"
        assert exercise.run(lambda: np.int64(count)).ok
        assert exercise.run(lambda: float(count)).status == FAILED    # 2**60: rounded
        text = str(exercise.run(lambda: count - 1))
        assert "must be exactly 1152921504606846977 (integers are compared exactly)" in text
        assert "relative error" not in text
    finally:
        REGISTRY.pop("_toy_count")


def test_float32_work_is_rejected_where_float64_is_asked():
    def mean(x):
        return float(np.mean(x))

    x = np.array([0.1, 0.2, 0.3])
    loose = Exercise(id="0.16", name="_toy_mean", reference=mean, cases=[Case((x,))])
    strict = Exercise(id="0.17", name="_toy_mean64", reference=mean, cases=[Case((x,))],
                      float64=True)

    def in_float32(x):
        return float(np.mean(x.astype(np.float32)))

    try:
        assert loose.run(in_float32).ok            # float32 rounding sits under 1e-7
        result = strict.run(in_float32)
        assert result.status == FAILED and "> tolerance 1e-09" in str(result)
        assert strict.run(mean).headline == "_toy_mean64: 1/1 cases (float64, relative " \
                                            "error ≤ 1e-9)"
        text = str(loose.run(lambda x: np.float32(np.mean(x))))
        assert "a numpy float32 number: computed in lower precision" in text
    finally:
        REGISTRY.pop("_toy_mean")
        REGISTRY.pop("_toy_mean64")


def test_the_html_comes_from_the_template(toy):
    from bpcourse.check import _report
    html = toy.run(lambda x, a=2.0: x.copy())._repr_html_()
    assert html.startswith("<div class='bpcourse-check bpcourse-check-failed'")
    assert "<b>Case</b>" in html and "$" not in html
    assert set(_report._PARTS) == {"box", "table", "row", "note", "hint", "reproduce"}


class _Shared:
    """A test function shared by every copy of a case (as ch02's are)."""

    def __init__(self):
        self.power = 2

    def __call__(self, t):
        return t ** self.power

    def __deepcopy__(self, memo):
        return self


_SQUARE = _Shared()


def test_the_answers_are_worked_out_before_the_learners_code_runs():
    exercise = Exercise(id="0.18", name="_toy_apply", reference=lambda f, t: f(t),
                        cases=[Case((_SQUARE, 3.0)), Case((_SQUARE, 2.0))])

    def flattens(f, t):            # wrong, and it changes the shared function to agree
        f.power = 0
        return 1.0

    try:
        result = exercise.run(flattens)
        assert result.status == FAILED and "Expected: 9.0" in str(result)
        assert exercise.answers() == [9.0, 4.0]
    finally:
        _SQUARE.power = 2
        REGISTRY.pop("_toy_apply")


def test_tampered_names_what_a_notebook_changed_in_bpcourse(tmp_path, monkeypatch):
    """The grader's comparison of the notebook's bpcourse with a pristine copy."""
    import importlib.util
    import shutil
    from pathlib import Path

    import bpcourse
    import bpcourse.gradcheck
    import bpcourse.optim
    import bpcourse.tensor
    from bpcourse.check import _grade

    name = "_bpcourse_pristine_for_test"
    shutil.copytree(Path(bpcourse.__file__).parent, tmp_path / name,
                    ignore=shutil.ignore_patterns("__pycache__"))
    spec = importlib.util.spec_from_file_location(
        name, tmp_path / name / "__init__.py", submodule_search_locations=[str(tmp_path / name)])
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    try:
        assert _grade.tampered(name) == []
        monkeypatch.setattr(bpcourse.tensor.Tensor, "backward", lambda self, grad=None: None)
        monkeypatch.setattr(bpcourse.gradcheck, "DEFAULT_TOL", 1.0)
        monkeypatch.setattr(bpcourse.optim, "adam_step", lambda *a, **k: None)
        found = _grade.tampered(name)
        for changed in ("bpcourse.tensor.Tensor", "bpcourse.Tensor",
                        "bpcourse.gradcheck.DEFAULT_TOL", "bpcourse.optim.adam_step"):
            assert changed in found
    finally:
        for key in [k for k in sys.modules if k.startswith(name + ".")]:
            del sys.modules[key]


def test_wrong_values_before_a_later_shape_or_error_are_reported_and_named(toy):
    # toy's cases 1-2 are a vector and a matrix: "a squared" is wrong on both; a
    # function that then breaks on the random cases is still named from cases 1-2,
    # and the count says how many were run (not that the wrong ones passed)
    def squared_then_breaks(x, a=2.0):
        if x.shape == (4,):
            raise ValueError("shapes")
        return a * a * x

    result = toy.run(squared_then_breaks)
    assert result.status == "failed" and result.mistake == "a squared"
    assert result.passed == 0 and "of the first 2 cases" in result.headline

    def squared_then_wrong_shape(x, a=2.0):
        return a * a * x if x.shape != (4,) else (a * a * x)[:2]

    result = toy.run(squared_then_wrong_shape)
    assert result.mistake == "a squared" and result.passed == 0


def test_an_exception_that_cannot_say_its_message_is_still_reported(toy):
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no message")

    def raises_unprintable(x, a=2.0):
        raise Unprintable()

    result = toy.run(raises_unprintable)
    assert result.status == "failed" and "Unprintable" in str(result)
    assert "could not be shown" in str(result)


def test_a_float64_check_says_when_an_error_is_float32_sized():
    exercise = Exercise(id="0.9", name="_toy_f64", reference=_scale,
                        cases=[Case((np.array([1.0, 1.0 / 3.0]),))], float64=True)
    try:
        result = exercise.run(lambda x, a=2.0: a * x.astype(np.float32).astype(np.float64))
        assert result.status == "failed" and "float32 rounding" in str(result)
        result = exercise.run(lambda x, a=2.0: 3.0 * x)   # far off: no such remark
        assert "float32 rounding" not in str(result)
    finally:
        REGISTRY.pop("_toy_f64")


def _adam_in_float32(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam right, but stored in float32 and handed back as float64."""
    theta, g = theta.astype(np.float32), g.astype(np.float32)
    m, v = m.astype(np.float32), v.astype(np.float32)
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return theta.astype(np.float64), m.astype(np.float64), v.astype(np.float64), t


def _adam_eps_missing(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam in float64 without eps: a different formula, off by only ~1e-8 here."""
    t = t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t)), m, v, t


def test_the_float32_remark_needs_float32_numbers_not_just_a_small_error():
    # both errors are far below 1e-6; only the float32 learner's numbers are
    # all float32 numbers, and only it is told that its work looks float32
    from bpcourse import optim

    exercise = Exercise(id="0.9", name="_toy_adam64", reference=optim.adam_step,
                        cases=[Case((np.array([1.0, -0.5]), np.array([2e-3, -1e-3]),
                                     np.zeros(2), np.zeros(2), 0))],
                        float64=True, returns=("theta", "m", "v", "t"))
    try:
        f32 = exercise.run(_adam_in_float32)
        assert f32.status == "failed"
        assert "float32 rounding" in str(f32) and "float64 throughout" in str(f32)
        no_eps = exercise.run(_adam_eps_missing)
        assert no_eps.status == "failed"
        assert "relative error of theta is 1.00e-08" in str(no_eps)
        assert "float32" not in str(no_eps)
        assert "differ from the expected ones in about the 8th significant digit" in str(no_eps)
    finally:
        REGISTRY.pop("_toy_adam64")
