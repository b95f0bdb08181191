"""Every exercise's check against its catalogue of wrong solutions.

Each chapter keeps wrong answers written as a learner would write them in
``tests/catalogue/chNN.py``, as ``CATALOGUE = {exercise: [(wrong_fn, mistake
or None), ...]}``. For every exercise the check registers, this file asserts:
the reference passes every case; a stub is "not attempted"; the catalogue
holds at least four wrong solutions, each naming a different mistake the
check knows; each is rejected, and where the entry names its mistake, the
check recognises exactly that one and shows its hint.
Chapter files (test_check_chNN*.py) test what is particular to each check.
"""

import importlib.util
import inspect
import re
import time

import catalogue  # tests/catalogue: tests/ is on sys.path
import numpy as np
import pytest

from bpcourse import check
from bpcourse.check import REGISTRY, CheckFailed

# The catalogue's wrong solutions divide by zero and overflow on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# Where an answer is a choice among a few letters there are fewer wrong ones.
MIN_WRONG = {"memory_prediction": 3}


CATALOGUE = catalogue.all_entries()
RAW_LABEL = re.compile(r"\beq\d*-[a-z]")  # "eq1-paths": a label the page never shows

NAMES = sorted(REGISTRY)
ENTRIES = [(name, fn, mistake) for name in NAMES for fn, mistake in CATALOGUE.get(name, [])]


def test_every_exercise_has_a_catalogue_and_every_catalogue_an_exercise():
    assert set(CATALOGUE) == set(REGISTRY)
    assert all(getattr(check, name) is REGISTRY[name] for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_mistake_the_check_names_has_a_wrong_solution(name):
    # a hint that no test ever triggers may name the wrong mistake unnoticed
    named = {mistake for _, mistake in CATALOGUE[name] if mistake}
    missing = [m.name for m in REGISTRY[name].mistakes if m.name not in named]
    assert not missing, f"{name}: no wrong solution in tests/catalogue/ for {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_reference_passes_every_case(name):
    exercise = REGISTRY[name]
    result = exercise.run(exercise.reference)
    assert result.status == "passed", str(result)
    assert result.passed == result.total == len(exercise.cases())


@pytest.mark.parametrize("name", NAMES)
def test_check_is_fast(name):
    # Checks run on every "Run all" of a chapter. The bound is on the check:
    # PyTorch's one-off imports (seconds, once per kernel: torch, and the
    # torch._dynamo that torch.optim loads on its first optimizer; chapter 7's
    # exercises) are paid before the clock starts, whichever test runs first.
    if importlib.util.find_spec("torch") is not None:
        import torch._dynamo  # noqa: F401
    start = time.perf_counter()
    REGISTRY[name].run(REGISTRY[name].reference)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("name", NAMES)
def test_stub_is_not_attempted(name):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise N.k")

    stub.__signature__ = inspect.signature(REGISTRY[name].reference)
    assert REGISTRY[name].run(stub).status == "not attempted"


@pytest.mark.parametrize("name", NAMES)
def test_catalogue_is_large_enough_and_names_real_mistakes(name):
    named = [m for _, m in CATALOGUE[name] if m]
    assert len(named) >= MIN_WRONG.get(name, 4)
    assert len(set(named)) == len(named), "each named entry shows a different mistake"
    assert set(named) <= {m.name for m in REGISTRY[name].mistakes}


@pytest.mark.parametrize("name,wrong,mistake", ENTRIES,
                         ids=[f"{name}-{fn.__name__}" for name, fn, _ in ENTRIES])
def test_wrong_solution_is_rejected_and_its_mistake_named(name, wrong, mistake):
    with np.errstate(all="ignore"), pytest.raises(CheckFailed) as info:
        REGISTRY[name](wrong)
    result = info.value.result
    assert result.status == "failed" and result.passed < result.total
    if mistake is not None:
        assert result.mistake == mistake, f"{wrong.__name__}: recognised {result.mistake!r}"
        hint = next(m.hint for m in REGISTRY[name].mistakes if m.name == mistake)
        assert hint in result.hint and hint in str(info.value)
    # the report sends the learner to sections they can find (checked against the
    # headings by test_section_references.py), never to equation labels
    assert not RAW_LABEL.search(str(info.value)), str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_messages_show_no_equation_labels(name):
    exercise = REGISTRY[name]
    for text in [exercise.hint, exercise.__doc__, *(m.hint for m in exercise.mistakes)]:
        assert not RAW_LABEL.search(text or ""), f"{name}: raw label in {text!r}"
