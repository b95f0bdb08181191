"""The chapter notebooks as files: what must hold before anything runs."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LABEL = re.compile(r"\$\$\s*\(([A-Za-z0-9_-]+)\)")
EQREF = re.compile(r"\{eq\}`([^`]+)`")


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [c["file"] for c in part["chapters"]]
    return files


def _markdown(nb):
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def test_toc_lists_the_seven_chapters_in_order():
    chapters = [f for f in _toc_files() if f.startswith("notebooks/")]
    assert chapters == [f"notebooks/{p.stem}" for p in NOTEBOOKS]
    assert [c.split("/")[1][:2] for c in chapters] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    ids = [c.get("id") for c in nb["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs a unique id"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{path.name}: commit notebooks with outputs cleared (cell {cell['id']})")


def test_equation_labels_are_unique_across_the_book():
    # Sphinx keeps one namespace of equation labels for the whole book: a label
    # used by two chapters makes references in one of them show the other's number.
    labels = Counter()
    for path in NOTEBOOKS:
        for text in _markdown(json.loads(path.read_text())):
            labels.update(LABEL.findall(text))
    for path in (ROOT / "book").glob("*.md"):
        labels.update(LABEL.findall(path.read_text()))
    assert not [k for k, n in labels.items() if n > 1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_equation_references_stay_in_their_chapter(path):
    text = "\n".join(_markdown(json.loads(path.read_text())))
    missing = set(EQREF.findall(text)) - set(LABEL.findall(text))
    assert not missing, f"{path.name} refers to equations it does not define: {sorted(missing)}"


# What fits a code or output line on the site: the content column of a
# 1280-pixel-wide window holds 77 characters of its monospace font; longer
# lines scroll sideways, hiding their ends from a reader and a screenshot.
PAGE_COLUMNS = 77


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_fits_the_page(path):
    nb = json.loads(path.read_text())
    long = [(cell["id"], line) for cell in nb["cells"] if cell["cell_type"] == "code"
            for line in "".join(cell["source"]).splitlines() if len(line) > PAGE_COLUMNS]
    assert not long, f"{path.name}: {len(long)} code lines over {PAGE_COLUMNS} characters, " \
                     f"first {long[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_label_the_reader_cannot_see(path):
    nb = json.loads(path.read_text())
    text = "\n".join("".join(cell["source"]) for cell in nb["cells"])
    # `({eq}`x`)` shows "((2.3))": the role brings its own parentheses
    assert not re.findall(r"\(\{eq\}`[^`]+`\)", text)
    # A label belongs in its definition `$$ (eq2-x)` and in the {eq} role; anywhere
    # else (a comment, a caption, a print) the reader sees it as gibberish.
    used = Counter(re.findall(r"\beq\d-[A-Za-z0-9-]*[A-Za-z0-9]", text))
    allowed = Counter(LABEL.findall(text)) + Counter(EQREF.findall(text))
    stray = sorted(label for label, n in used.items() if n > allowed[label])
    assert not stray, f"{path.name}: equation labels in text the reader sees: {stray}"
