"""Grading inside a notebook's kernel, with a private copy of the check code.

``bpcourse grade`` runs a learner's notebook, then, in the same kernel (where
the learner's functions live), loads a fresh copy of ``bpcourse`` under a
private name from a snapshot taken before the notebook ran, and calls
``grade`` from that copy: every expected exercise is checked again against
the learner's function. What the notebook displayed, and anything it did to
the ``bpcourse`` it imported (a patched ``rel_error``, an exercise's ``tol``,
a shared test function, the reference itself), does not count: that copy is
not the one the grade uses.

Each verdict is one JSON line in ``out``, written as soon as it is known, so
a function that hangs the grading costs only its own exercise and those after.
"""

import json

from . import REGISTRY

__all__ = ["grade"]


def grade(namespace, wanted, out):
    """Check ``namespace[argument]`` for each ``(exercise name, argument)``
    of ``wanted``; append ``{"name", "status", "passed", "total", "mistake"}``
    (status "undefined" when there is no such function) to the file ``out``."""
    for name, _ in wanted:   # every answer first, before any learner's code runs
        try:
            REGISTRY[name].answers()
        except Exception:     # reported below, when its check runs
            pass
    for name, argument in wanted:
        fn = namespace.get(argument)
        if not callable(fn):
            verdict = {"name": name, "status": "undefined", "argument": argument}
        else:
            try:
                result = REGISTRY[name].run(fn)
                verdict = result.to_json()
            except BaseException as err:   # never let one exercise stop the others
                verdict = {"name": name, "status": "failed", "passed": 0, "total": 0,
                           "mistake": "", "error": f"{type(err).__name__}: {err}"}
        with open(out, "a", encoding="utf-8") as file:
            file.write(json.dumps(verdict) + "\n")
