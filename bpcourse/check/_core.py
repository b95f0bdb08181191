"""The machinery behind every exercise check, in four parts, one idea each.

Chapter modules only *declare* exercises; these modules do the rest:

``_exercise.py``  declaring an exercise (``Exercise``, ``Case``, ``Mistake``,
                  ``REGISTRY``) and the six steps that check a function;
``_running.py``   running the learner's function: on copies, under a time
                  limit, contained (nothing it does ends the kernel);
``_compare.py``   comparing answers: structure, finiteness, values
                  (``rel_error``, the one tolerance rule; integers exactly);
``_report.py``    reporting: ``Result`` as text, HTML (``report.html``) and a
                  record, ``CheckFailed`` and the IPython hook.

``_grade.py`` is what ``bpcourse grade`` runs in a notebook's kernel, from a
snapshot of the package, to check every exercise again.

This module gathers their public names, so ``from ._core import Exercise``
(or ``from bpcourse.check._core import ...``) keeps working.
"""

from ._compare import TOL, rel_error
from ._exercise import (
    REGISTRY,
    TOL_FLOAT64,
    Case,
    Exercise,
    Mistake,
    accept_hidden_number,
)
from ._report import (
    FAILED,
    MIME,
    NOT_ATTEMPTED,
    PASSED,
    CheckFailed,
    Result,
    _on_check_failed,
    install_handler,
    tol_text,
)

__all__ = ["Case", "Mistake", "Exercise", "Result", "CheckFailed", "REGISTRY",
           "rel_error", "accept_hidden_number", "tol_text", "TOL", "TOL_FLOAT64",
           "MIME", "PASSED", "FAILED", "NOT_ATTEMPTED",
           "install_handler", "_on_check_failed"]
