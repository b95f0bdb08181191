"""Catalogues of wrong solutions, one module per chapter.

Each module holds wrong answers to the chapter's exercises, written as a
learner would write them, in ``CATALOGUE = {exercise name: [(wrong function,
the mistake the check should name, or None), ...]}``. test_catalogues.py
checks every check against every entry; the chapters' own test files use
them too (``from catalogue import ch05``: tests/ is on sys.path).
"""

import importlib
import pkgutil


def all_entries():
    """{exercise name: [(wrong function, mistake or None), ...]} over every chapter."""
    merged = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ch"):
            merged.update(importlib.import_module(f"{__name__}.{info.name}").CATALOGUE)
    return merged
