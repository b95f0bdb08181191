"""The front matter and the bibliography: every required work is there, complete,
and every citation in the book resolves.

The -W site build catches an unknown key too, but only after executing every
notebook; this test says which key, in which file, in a second.
"""

import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
from pybtex.database import parse_file

ROOT = Path(os.environ.get("BPCOURSE_ROOT", Path(__file__).resolve().parents[1]))
BIB = ROOT / "book" / "references.bib"

# The works issue 2 and the front-matter brief require, by key.
REQUIRED = {
    "rumelhart1986learning", "werbos1974beyond", "goodfellow2016deep",
    "bishop2006pattern", "robbins1951stochastic", "polyak1964some",
    "nesterov1983method", "sutskever2013importance", "duchi2011adaptive",
    "hinton2012neural", "kingma2015adam", "loshchilov2019decoupled",
    "hochreiter1991untersuchungen", "bengio1994learning",
    "glorot2010understanding", "he2015delving", "pascanu2013difficulty",
    "he2016deep", "ioffe2015batch", "baydin2018automatic",
    "bottou2018optimization", "nielsen2015neural", "ba2016layer",
    "linnainmaa1970representation", "smith2017cyclical", "loshchilov2017sgdr",
    "reddi2018convergence",
}

# What a complete entry of each type needs, beyond author, title and year.
VENUE = {
    "article": ("journal", "volume", "pages"),
    "inproceedings": ("booktitle",),
    "book": ("publisher",),
    "phdthesis": ("school",),
    "mastersthesis": ("school",),
    "misc": ("howpublished",),
}

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


@pytest.fixture(scope="module")
def bib():
    return parse_file(str(BIB)).entries


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def test_required_entries_present(bib):
    missing = REQUIRED - set(bib)
    assert not missing, f"book/references.bib lacks {sorted(missing)}"


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_required_entry_complete(bib, key):
    entry = bib[key]
    fields = {name.lower() for name in entry.fields}
    assert entry.persons.get("author"), f"{key}: no author"
    needed = {"title", "year"} | set(VENUE[entry.type])
    assert needed <= fields, f"{key} ({entry.type}) lacks {sorted(needed - fields)}"
    if entry.type in ("article", "inproceedings"):
        # a reader must be able to find it: a DOI, or a stable URL or arXiv id
        assert fields & {"doi", "url", "eprint"}, f"{key}: no DOI, URL or eprint"


def test_keys_follow_convention(bib):
    """firstauthorYEARfirstword, lowercase, matching the entry's author and year."""
    for key, entry in bib.items():
        assert re.fullmatch(r"[a-z]+\d{4}[a-z]+", key), f"{key}: not firstauthorYEARword"
        surname = _ascii(entry.persons["author"][0].last_names[-1]).lower()
        surname = re.sub(r"[^a-z]", "", surname)
        assert key.startswith(surname + entry.fields["year"]), (
            f"{key}: expected it to start with {surname}{entry.fields['year']}")


def test_known_facts(bib):
    """Spot checks of details that are easy to get wrong."""
    rhw = bib["rumelhart1986learning"].fields
    assert (rhw["journal"], rhw["volume"], rhw["pages"], rhw["doi"]) == (
        "Nature", "323", "533--536", "10.1038/323533a0")
    assert bib["werbos1974beyond"].type == "phdthesis"
    assert "Harvard" in bib["werbos1974beyond"].fields["school"]
    assert "Diploma" in bib["hochreiter1991untersuchungen"].fields["howpublished"]
    assert bib["robbins1951stochastic"].fields["doi"] == "10.1214/aoms/1177729586"
    assert bib["bengio1994learning"].fields["doi"] == "10.1109/72.279181"
    assert bib["bottou2018optimization"].fields["doi"] == "10.1137/16M1080173"
    assert bib["duchi2011adaptive"].fields["volume"] == "12"
    assert bib["baydin2018automatic"].fields["volume"] == "18"


def _sources():
    for path in sorted((ROOT / "book").glob("*.md")):
        yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"]
                         if c["cell_type"] == "markdown")
        yield path, text


def test_every_citation_resolves(bib):
    unknown = []
    for path, text in _sources():
        for group in CITE.findall(text):
            for key in (k.strip() for k in group.split(",")):
                if key not in bib:
                    unknown.append(f"{path.relative_to(ROOT)}: {key}")
    assert not unknown, "unknown citation keys:\n" + "\n".join(unknown)


def test_intro_links_every_chapter():
    """The intro's map and its list of limits point into the chapters."""
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"../notebooks/{path.stem}" in intro, f"intro.md never links {path.stem}"
    limits = intro.split("## Where it struggles", 1)[1].split("\n## ", 1)[0]
    for chapter in ("02_backprop", "03_gradient_descent", "06_vanishing_gradients"):
        assert chapter in limits, f"the limits section should point to {chapter}"
