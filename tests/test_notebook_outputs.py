"""What the executed chapters show a reader: no stray object reprs, no lines cut off.

Reads the notebooks nbval executed (``_build/executed``); to check one you
executed yourself: ``python tests/test_notebook_outputs.py path.ipynb``.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest
from test_notebooks_static import PAGE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = ROOT / "_build" / "executed"
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# The repr Jupyter shows for a cell's last value when nobody meant to show it:
# `<Axes: >`, `<matplotlib.legend.Legend at 0x7f...>`, `[<matplotlib.lines...>]`.
STRAY_REPR = re.compile(r"^\[?<(?:[\w.]+: [^>]*|[^<>]* at 0x[0-9a-f]+|Figure size [^>]*)>")


def problems(nb):
    """[(cell id, what is wrong)] for an executed notebook."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text = out.text
            elif out.output_type in ("execute_result", "display_data"):
                data = out.get("data", {})
                # a figure or HTML shown with its text fallback is fine
                if set(data) - {"text/plain"}:
                    continue
                text = data.get("text/plain", "")
                if STRAY_REPR.match(text.strip()):
                    found.append((cell.get("id"), f"a stray repr: {text.strip()[:60]}"))
                    continue
            else:
                continue
            for line in text.splitlines():
                if len(line) > PAGE_COLUMNS:
                    found.append((cell.get("id"), f"a line of {len(line)} characters "
                                                  f"(over {PAGE_COLUMNS}): {line[:50]}..."))
    return found


@pytest.mark.executed
@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_outputs_read_well_on_the_page(chapter):
    path = EXECUTED / chapter
    assert path.exists(), f"{path} missing: run `make test` (nbval saves it)"
    found = problems(nbformat.read(path, as_version=4))
    assert not found, f"{chapter}: {found[:5]}"


def test_stray_reprs_are_recognised():
    for text in ["<Axes: >", "<Axes: xlabel='x'>", "<matplotlib.legend.Legend at 0x7f6edc465010>",
                 "[<matplotlib.lines.Line2D at 0x7f00>]", "<Figure size 640x480 with 1 Axes>",
                 "<bpcourse.value.Value object at 0x7f00>"]:
        assert STRAY_REPR.match(text), text
    for text in ["Value(data=1.0, grad=0.0)", "0.5", "<= 1e-7 is a pass", "array([1., 2.])",
                 "< 1e-7", "<a href='x'>"]:
        assert not STRAY_REPR.match(text), text


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for cell_id, what in problems(nbformat.read(arg, as_version=4)):
            print(f"{arg}: cell {cell_id}: {what}")
