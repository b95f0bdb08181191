"""Checks for the course's exercises: ``bpcourse.check.<exercise>(your_function)``.

Each chapter's checks live in their own module (``ch01.py``, ``ch05.py``, ...)
and register themselves by name, so every check is reachable here, in one
flat namespace: ``check.local_grads``, ``check.adam_step``. The machinery is
in four parts (``_exercise``, ``_running``, ``_compare``, ``_report``,
gathered in ``_core``); how to write an exercise is in CONTRIBUTING.md.

    >>> from bpcourse import check
    >>> check.adam_step(adam_step)        # doctest: +SKIP
    ✓ adam_step: 16/16 cases (relative error ≤ 1e-7)
"""

import importlib

from ._core import (
    MIME,
    REGISTRY,
    TOL,
    TOL_FLOAT64,
    Case,
    CheckFailed,
    Exercise,
    Mistake,
    Result,
    rel_error,
    tol_text,
)
from ._core import install_handler as _install_handler

__all__ = ["CheckFailed", "Result", "Exercise", "Case", "Mistake", "REGISTRY", "TOL",
           "TOL_FLOAT64", "MIME", "rel_error", "tol_text"]

# One line per chapter module, in chapter order: importing it registers its checks.
CHAPTERS = [
    "ch01",
    "ch02",
    "ch03",
    "ch04",
    "ch05",
    "ch06",
    "ch07",
]

for _module in CHAPTERS:
    importlib.import_module(f".{_module}", __name__)

for _name, _exercise in REGISTRY.items():
    if _name in globals():
        raise ImportError(f"check name {_name!r} clashes with bpcourse.check.{_name}")
    globals()[_name] = _exercise
    __all__.append(_name)

_install_handler()   # in Jupyter, a failed check shows its report, not a traceback
