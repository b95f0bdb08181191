"""Every "See chapter N, "Section"" in the package names a real heading of that chapter.

The format, in docstrings, comments and messages of ``bpcourse/**/*.py``:

    See chapter 2, "Gradient checking".
    See chapter 5, "Adam" and "Bias correction".      (several sections of one chapter)
    See chapter 3, "Full batch, mini-batch and single-example SGD", and
    chapter 4, "Nesterov momentum".                   (two chapters: repeat "chapter N,")

that is: the word ``chapter`` (any case), its number, a comma, then the section
in straight double quotes, exactly as the heading reads in
``notebooks/0N_*.ipynb`` without its ``#``s and without a leading number such
as ``1.5``; the chapter's title counts too, without ``Chapter N:``. Further
sections of the same chapter follow after ``and`` or a comma, each in double
quotes. A name may wrap onto the next line of a docstring (whitespace is
collapsed; a reference in comments may also run over consecutive ``#`` lines).
A check's message for the learner may put it the other way round:
``see "Local derivatives" in chapter 1``.

Anything that looks like a reference in another form (``chapter 3 ("...")``,
``chapter 3: "..."``, single or curly quotes) fails ``test_references_use_the_
uniform_format``: it would otherwise escape the check.

A chapter whose notebook is still a stub (fewer than ``STUB_HEADINGS`` headings;
chapters 4 to 7 today) has nothing to check against yet: its references are
skipped with that reason, and are checked as soon as the chapter is written.
"""

import ast
import io
import json
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bpcourse"
STUB_HEADINGS = 10

# chapter 2, "A" [, "B"] [and "C"]: the canonical form
NAME = r'"([^"\n]{1,100}(?:\n[^"\n]{1,100})?)"'  # may wrap onto one more line
MORE = r'(?:\s*,\s*(?:and\s+)?|\s+and\s+)' + NAME
CANONICAL = re.compile(r"\bchapter\s+(\d+),\s+" + NAME + r"((?:" + MORE + r")*)", re.I)
# "Section" in chapter 1: the learner-facing form of a check's message
REVERSED = re.compile(NAME + r"\s+(?:in|of)\s+chapter\s+(\d+)\b", re.I)
# anything that looks like a reference: chapter N, then ( : , or a space, then a quote
LOOSE = re.compile(r"\bchapter\s+(\d+)(?:\s*[(:,]\s*|\s+)[\"'\u2018\u201c\u00ab]", re.I)



# -- the notebooks' headings ------------------------------------------------


def _notebooks():
    out = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        out[int(path.name[:2])] = path
    return out


NOTEBOOKS = _notebooks()


def normalize(text):
    """Collapse whitespace (a name may wrap across lines)."""
    return " ".join(text.split())


def headings(path):
    """The markdown headings of a notebook, as references name them.

    ``## 1.5 Why gradients accumulate`` gives "Why gradients accumulate" and
    the title ``# Chapter 1: The chain rule ...`` gives "The chain rule ...".
    Lines inside code fences (``` or ~~~) are not headings.
    """
    found = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        fence = None
        for line in "".join(cell["source"]).splitlines():
            stripped = line.strip()
            marker = stripped[:3]
            if marker in ("```", "~~~"):
                fence = None if fence == marker else (fence or marker)
                continue
            if fence or not re.match(r"#{1,6}\s", line):
                continue
            text = line.lstrip("#").strip()
            text = re.sub(r"^Chapter\s+\d+\s*:\s*", "", text)
            text = re.sub(r"^\d+(\.\d+)*\.?\s+", "", text)
            found.append(normalize(text))
    return found


HEADINGS = {n: headings(p) for n, p in NOTEBOOKS.items()}


def is_stub(chapter):
    return len(HEADINGS.get(chapter, [])) < STUB_HEADINGS


# -- the references in the package ------------------------------------------


def _texts(source):
    """(first line, text) of every string literal and every run of comment lines.

    String literals are evaluated, so a message's ``\\"Adam\\"`` reads "Adam",
    and literals that Python joins (``'See chapter 3, '`` then ``'"Adam"'`` on
    the next line) are joined here too.
    """
    out, comments, last_comment_line = [], [], None
    joined = False  # whether the next string literal continues the last one
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NL:
            continue
        if tok.type != tokenize.STRING:
            joined = False
        if tok.type == tokenize.COMMENT:
            line = tok.start[0]
            if comments and last_comment_line == line - 1:
                comments[-1][1].append(tok.string.lstrip("#"))
            else:
                comments.append((line, [tok.string.lstrip("#")]))
            last_comment_line = line
        elif tok.type == tokenize.STRING:
            try:
                text = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):  # an f-string: its text, unevaluated
                text = re.sub(r'^[a-zA-Z]*("""|\'\'\'|"|\')|("""|\'\'\'|"|\')$', "",
                              tok.string).replace('\\"', '"')
            if isinstance(text, bytes):
                continue
            if joined:
                out[-1] = (out[-1][0], out[-1][1] + text)
            else:
                out.append((tok.start[0], text))
            joined = True
    out += [(line, "\n".join(parts)) for line, parts in comments]
    return out


def find_references(text, first_line=1):
    """[(line, chapter, section)] for every reference in ``text``, both forms."""
    refs = []

    def line_of(pos):
        return first_line + text.count("\n", 0, pos)

    for m in CANONICAL.finditer(text):
        chapter = int(m.group(1))
        refs.append((line_of(m.start()), chapter, normalize(m.group(2))))
        for more in re.finditer(MORE, m.group(3)):
            refs.append((line_of(m.start()), chapter, normalize(more.group(1))))
    for m in REVERSED.finditer(text):
        refs.append((line_of(m.start()), int(m.group(2)), normalize(m.group(1))))
    return refs


def find_nonuniform(text, first_line=1):
    """[(line, snippet)] for reference-like text that is not in the canonical form."""
    canonical_starts = {m.start() for m in CANONICAL.finditer(text)}
    return [(first_line + text.count("\n", 0, m.start()), normalize(text[m.start():m.end() + 40]))
            for m in LOOSE.finditer(text) if m.start() not in canonical_starts]


def _scan():
    refs, nonuniform = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for line, text in _texts(path.read_text()):
            refs += [(rel, *ref) for ref in find_references(text, line)]
            nonuniform += [(rel, *bad) for bad in find_nonuniform(text, line)]
    return refs, nonuniform


REFERENCES, NONUNIFORM = _scan()


def _param(ref):
    rel, line, chapter, section = ref
    return pytest.param(rel, line, chapter, section, id=f"{rel}:{line}:ch{chapter}:{section}")


# -- tests --------------------------------------------------------------------


@pytest.mark.parametrize("rel, line, chapter, section", [_param(r) for r in REFERENCES])
def test_reference_names_a_heading_of_its_chapter(rel, line, chapter, section):
    assert chapter in NOTEBOOKS, (
        f"{rel}:{line} cites chapter {chapter}, which has no notebook notebooks/"
        f"{chapter:02d}_*.ipynb")
    if is_stub(chapter):
        pytest.skip(f"chapter {chapter} ({NOTEBOOKS[chapter].name}) is still a stub: "
                    f"{len(HEADINGS[chapter])} headings, fewer than {STUB_HEADINGS}; "
                    "its references are checked once it is written")
    assert section in HEADINGS[chapter], (
        f'{rel}:{line} cites chapter {chapter}, "{section}", which is not a heading of '
        f"{NOTEBOOKS[chapter].name}. Its headings:\n  " + "\n  ".join(HEADINGS[chapter]))


def test_references_use_the_uniform_format():
    bad = [f"{rel}:{line}: {snippet}" for rel, line, snippet in NONUNIFORM]
    assert not bad, ('write references as  chapter N, "Section"  (see this file\'s '
                     "docstring):\n  " + "\n  ".join(bad))


def test_the_scan_finds_the_package_references():
    # a parser that silently found nothing would make every test above vacuous
    assert len(REFERENCES) >= 40
    found = {(rel, chapter, section) for rel, _, chapter, section in REFERENCES}
    assert ("bpcourse/gradcheck.py", 2, "Gradient checking") in found
    checked = {chapter for _, _, chapter, _ in REFERENCES if not is_stub(chapter)}
    assert {1, 2, 3} <= checked


def test_the_written_chapters_are_not_taken_for_stubs():
    for chapter in (1, 2, 3):
        assert not is_stub(chapter), HEADINGS[chapter]
    assert "Why gradients accumulate" in HEADINGS[1]           # "## 1.5 ..." unnumbered
    assert "The chain rule and computational graphs" in HEADINGS[1]  # the title


def test_the_parser_on_every_form():
    text = (
        'See chapter 2, "Gradient checking". See Chapter 5, "Adam" and\n'
        '    "Bias correction". See chapter 3, "A, B", "C", and "D", and\n'
        '    chapter 4, "Heavy ball". (chapter 5, "AdaGrad"). Try "Local\n'
        '    derivatives" in chapter 1. chapter 1\'s own. See chapter 3.'
    )
    assert find_references(text, 10) == [
        (10, 2, "Gradient checking"), (10, 5, "Adam"), (10, 5, "Bias correction"),
        (11, 3, "A, B"), (11, 3, "C"), (11, 3, "D"), (12, 4, "Heavy ball"),
        (12, 5, "AdaGrad"), (12, 1, "Local derivatives"),
    ]
    assert find_nonuniform(text) == []
    for bad in ('chapter 3 ("Mini-batches")', "chapter 3, 'Mini-batches'",
                'chapter 3: "Mini-batches"', "chapter 3, \u201cMini-batches\u201d",
                'chapter 3 "Mini-batches"'):
        assert len(find_nonuniform(f"See {bad}.")) == 1, bad


def test_headings_skip_code_fences_and_strip_numbers(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "source": ["# Chapter 9: A title\n", "## 9.2 Numbered\n"]},
        {"cell_type": "markdown", "source": ["```python\n", "# a comment\n", "```\n",
                                             "### Plain heading\n", "#not a heading\n"]},
        {"cell_type": "code", "source": ["# a code comment\n"]},
    ]}
    path = tmp_path / "09_x.ipynb"
    path.write_text(json.dumps(nb))
    assert headings(path) == ["A title", "Numbered", "Plain heading"]


def test_references_split_over_literals_or_comment_lines_are_found():
    source = ('x = ("See chapter 3, "\n'
              '     \'"When it converges".\')\n'
              '# softmax: chapter 2,\n'
              '# "Gradient checking"\n')
    refs = [ref for line, text in _texts(source) for ref in find_references(text, line)]
    assert refs == [(1, 3, "When it converges"), (3, 2, "Gradient checking")]
