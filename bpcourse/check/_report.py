"""Reporting what a check found: the ``Result``, as text, HTML and a record.

A ``Result`` is shown as plain text anywhere, as a coloured box in Jupyter
(the HTML comes from the template ``report.html`` beside this module), and
carries a machine-readable record in its output's metadata (key ``MIME``).
A failed check raises ``CheckFailed``; in IPython, ``install_handler`` shows
that as the report box and a one-line error instead of a traceback, while the
cell still counts as an error, so "Run all" and nbval stop there.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from string import Template

import numpy as np

__all__ = ["PASSED", "FAILED", "NOT_ATTEMPTED", "MIME", "Result", "CheckFailed", "fmt",
           "tol_text", "show", "install_handler"]

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
# The key of the machine-readable record in each displayed result's output
# *metadata* (not a MIME type in its data: MyST-NB would warn about it on the
# website). Interactive use only: `bpcourse grade` runs the checks itself.
MIME = "application/vnd.bpcourse.check+json"

# Okabe-Ito colours, as bpcourse.plot (not imported: it loads matplotlib).
_COLOURS = {PASSED: "#009E73", FAILED: "#D55E00", NOT_ATTEMPTED: "#0072B2"}
_ICONS = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "…"}


def tol_text(tol):
    """``1e-07`` written as the book writes it: ``1e-7``."""
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{m.group(1).replace('+', '')}{m.group(2)}",
                  f"{tol:g}")


# numpy's defaults, so that a learner's np.set_printoptions cannot change a report
_PRINT = {"precision": 8, "threshold": 24, "edgeitems": 3, "linewidth": 75,
          "suppress": False, "nanstr": "nan", "infstr": "inf", "sign": "-",
          "floatmode": "maxprec", "legacy": False}


def fmt(x, width=400):
    """A value as the report shows it, at most ``width`` characters."""
    if isinstance(x, np.ndarray):
        with np.printoptions(**_PRINT):
            text = f"array({np.array2string(x, separator=', ')})"
    elif isinstance(x, float):
        text = f"{x:.10g}"
        if text.lstrip("-").isdigit():
            text += ".0"   # still looks like a float
    elif isinstance(x, (tuple, list)):
        inner = ", ".join(fmt(e, width) for e in x)
        text = f"({inner}{',' if len(x) == 1 else ''})" if isinstance(x, tuple) else f"[{inner}]"
    elif isinstance(x, dict):
        text = "{" + ", ".join(f"{k!r}: {fmt(v, width)}" for k, v in x.items()) + "}"
    else:
        try:
            text = repr(x)
        except Exception:   # a learner's object whose repr fails
            text = f"<{type(x).__name__} object>"
    return text if len(text) <= width else text[: width - 3] + "..."


# ---------------------------------------------------------------------------
# The HTML template
# ---------------------------------------------------------------------------

_PARTS = None


def _part(name):
    """One part of report.html, as a string.Template."""
    global _PARTS
    if _PARTS is None:
        text = resources.files(__package__).joinpath("report.html").read_text(encoding="utf-8")
        pieces = re.split(r"^<!-- (\w+) -->\n", text, flags=re.M)
        _PARTS = {pieces[i]: Template(pieces[i + 1].strip("\n"))
                  for i in range(1, len(pieces), 2)}
    return _PARTS[name]


def _html(result):
    esc = html.escape
    rows = "".join(
        _part("row").substitute(label=esc(label), text=esc(text)) if label
        else _part("note").substitute(text=esc(text)) for label, text in result.details)
    colour = _COLOURS[result.status]
    return _part("box").substitute(
        status_class=result.status.replace(" ", "-"), colour=colour,
        icon=_ICONS[result.status], headline=esc(result.headline),
        table=_part("table").substitute(rows=rows) if rows else "",
        hint=_part("hint").substitute(text=esc(result.hint)) if result.hint else "",
        reproduce=(_part("reproduce").substitute(text=esc(result.reproduce))
                   if result.reproduce else ""))


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


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
        return _html(self)

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
# Jupyter integration
# ---------------------------------------------------------------------------


def _ipython():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython
    return get_ipython()


def show(result):
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
