"""bpcourse.portable: MyST Markdown to portable Jupyter Markdown, numbered as the site.

A small book made here (two numbered chapters, an unnumbered part, a
bibliography) checks each construct and each number without the website;
``test_numbers_match_the_built_site`` (marker ``site``) compares every
heading, equation, figure and citation number of the real chapters with the
HTML that Sphinx built.
"""

import html as htmllib
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bpcourse import portable, student
from bpcourse.portable import Book, PortableError, convert_markdown, portable_notebook

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

TOC = """\
format: jb-book
root: intro
parts:
  - caption: Start
    chapters:
      - file: start
  - caption: Chapters
    numbered: 2
    chapters:
      - file: nb/01_a
      - file: nb/02_b
"""
CONFIG = """\
title: A test book
bibtex_bibfiles:
  - refs.bib
parse:
  myst_enable_extensions: [amsmath, colon_fence, deflist, dollarmath, html_image, substitution]
"""
BIB = """\
@book{smith2000, author = {Smith, Ann}, title = {One}, year = {2000}, publisher = {P}}
@article{doe2001, author = {Doe, Jon and Roe, Rita}, title = {Two}, journal = {J}, year = {2001}}
@article{many2002, author = {M{\\"u}ller, Max and B, Bo and C, Cy}, title = {Three},
  journal = {J}, year = {2002}}
"""


def _cell(source, id):
    cell = new_markdown_cell(source)
    cell.id = id
    return cell


def _figure(caption, id, name=None):
    cell = new_code_cell("plot()")
    cell.id = id
    cell.metadata["mystnb"] = {"figure": {"caption": caption, **({"name": name} if name else {})}}
    return cell


CHAPTER_A = [
    _cell("# Alpha\n\nIntro {cite}`smith2000` and {cite:t}`doe2001`, {cite}`many2002`.\n\n"
          "```{admonition} Goals\n:class: tip\n- one {eq}`eq-a1`\n- two\n```", "a0"),
    _cell("(sec-a)=\n## First\n\n$$\na = 1\n$$ (eq-a1)\n\n### Sub\n\n"
          "See {ref}`sec-b`, {numref}`sec-a`, {doc}`02_b` and {doc}`../start`.", "a1"),
    _figure("A plot of $x$, see {eq}`eq-a1`.", "a2", name="fig-a"),
    _cell("## Second\n\n```{admonition} Hint 1\n:class: dropdown\nUse $y$ and {eq}`eq-b1`.\n"
          "```\n\n```{dropdown} Solution\nIt is **42**.\n```\n\n:::{note}\nA note.\n:::\n\n"
          "% a comment\n\n```{math}\n:label: eq-a2\nb = 2\n```\n\nAs {numref}`fig-a` shows.",
          "a3"),
]
CHAPTER_B = [
    _cell("# Beta\n\n(sec-b)=\n## Only\n\n$$ c $$ (eq-b1)\n\n> quoted {eq}`eq-a2`\n\n"
          "- item\n\n  ```{admonition} Hint\n  :class: dropdown\n  inside a list\n  ```", "b0"),
    _figure("Second figure.", "b1"),
]


@pytest.fixture
def book(tmp_path):
    (tmp_path / "_toc.yml").write_text(TOC)
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "refs.bib").write_text(BIB)
    (tmp_path / "intro.md").write_text("# Intro\n\n$$ x $$ (eq-intro)\n")
    (tmp_path / "start.md").write_text("# Start\n\n(start-sec)=\n## Getting going\n")
    (tmp_path / "nb").mkdir()
    nbformat.write(new_notebook(cells=CHAPTER_A), tmp_path / "nb" / "01_a.ipynb")
    nbformat.write(new_notebook(cells=CHAPTER_B), tmp_path / "nb" / "02_b.ipynb")
    return Book.load(tmp_path)


def _converted(book, name):
    nb = nbformat.read(book.root / "nb" / name, as_version=4)
    return portable_notebook(nb, book, name)


def test_numbers_as_sphinx_gives_them(book):
    assert book.equations == {"eq-intro": "1", "eq-a1": "1.1", "eq-a2": "1.2", "eq-b1": "2.1"}
    assert book.figures == {("nb/01_a", "a2"): "1.1", ("nb/02_b", "b1"): "2.1"}
    a = _converted(book, "01_a.ipynb")
    assert a.cells[0].source.startswith("# 1. Alpha\n")
    assert a.cells[1].source.startswith("## 1.1. First\n")
    assert "\n### Sub\n" in a.cells[1].source                   # depth 3: no number
    assert a.cells[4].source.startswith("## 1.2. Second\n")
    b = _converted(book, "02_b.ipynb")
    assert b.cells[0].source.startswith("# 2. Beta\n\n## 2.1. Only\n")


def test_equations_carry_their_number_and_references_print_it(book):
    a = _converted(book, "01_a.ipynb")
    assert "$$\na = 1\n\\tag{1.1}\n$$" in a.cells[1].source
    assert "$$\nb = 2\n\\tag{1.2}\n$$" in a.cells[4].source
    assert "- one (1.1)" in a.cells[0].source
    b = _converted(book, "02_b.ipynb")
    assert "$$\nc\n\\tag{2.1}\n$$" in b.cells[0].source
    assert "> quoted (1.2)" in b.cells[0].source                # across chapters
    assert convert_markdown("{eq}`eq-intro`", book) == "(1)"    # an unnumbered page


def test_references_become_the_sites_text(book):
    a = _converted(book, "01_a.ipynb")
    assert "See Only, Section 1.1, Beta and Start." in a.cells[1].source
    assert "As Fig. 1.1 shows." in a.cells[4].source
    assert "(sec-a)=" not in a.cells[1].source and a.cells[1].source.startswith("## ")


def test_citations_as_the_site_prints_them(book):
    a = _converted(book, "01_a.ipynb")
    assert ("Intro \\[Smith, 2000\\] and Doe and Roe \\[2001\\], "
            "\\[Müller *et al.*, 2002\\].") in a.cells[0].source
    with pytest.raises(PortableError, match="nobody2020"):
        convert_markdown("{cite}`nobody2020`", book)


def test_figure_captions_follow_their_figure_numbered(book):
    a = _converted(book, "01_a.ipynb")
    assert a.cells[2].cell_type == "code" and a.cells[3].cell_type == "markdown"
    assert a.cells[3].source == "**Fig. 1.1** A plot of $x$, see (1.1)."
    assert a.cells[3].id == "a2-caption"


def test_dropdowns_become_details_and_admonitions_block_quotes(book):
    a = _converted(book, "01_a.ipynb")
    assert ("<details>\n<summary>Hint 1</summary>\n\nUse $y$ and (2.1).\n\n</details>"
            in a.cells[4].source)
    assert "<details>\n<summary>Solution</summary>\n\nIt is **42**.\n\n</details>" \
        in a.cells[4].source
    assert "> **Goals**\n>\n> - one (1.1)\n> - two" in a.cells[0].source
    assert "> **Note**\n>\n> A note." in a.cells[4].source
    assert "% a comment" not in a.cells[4].source
    b = _converted(book, "02_b.ipynb")     # inside a list item: indented like it
    assert ("- item\n\n  <details>\n  <summary>Hint</summary>\n\n  inside a list\n\n"
            "  </details>") in b.cells[0].source


def test_asides_and_code_directives(book):
    assert convert_markdown("```{margin} Aside\nA remark.\n```", book) == \
        "> **Aside**\n>\n> A remark."
    assert convert_markdown("```{sidebar}\nNo title.\n```", book) == "> No title."
    assert convert_markdown("````{code-block} python\n:linenos:\nx = 1  # ```\n````",
                            book) == "````python\nx = 1  # ```\n````"
    with pytest.raises(PortableError, match="caption"):
        convert_markdown("```{code-block} python\n:caption: Listing\nx = 1\n```", book)


def test_summary_renders_markdown_and_keeps_math(book):
    out = convert_markdown(":::{admonition} Why *x < y* and $a_1 < b$\n:class: dropdown\n"
                           "Body.\n:::", book)
    assert "<summary>Why <em>x &lt; y</em> and $a_1 &lt; b$</summary>" in out


def test_converting_twice_changes_nothing(book):
    a = _converted(book, "01_a.ipynb")
    again = portable_notebook(a, book, "01_a.ipynb")
    assert again.cells[0].source.startswith("# 1. Alpha\n") and len(again.cells) == 5


@pytest.mark.parametrize("markdown, named", [
    ("```{figure} x.png\nA caption.\n```", "{figure}"),
    ("Text {abbr}`CPU (central processing unit)`.", "{abbr}"),
    ("Text[^1].\n\n[^1]: a note", "footnote"),
    ("Term\n: its definition", "definition list"),
    ("Hello {{ name }}", "substitution"),
    ("```{admonition} T\n:class: dropdown\n:foo: bar\nx\n```", ":foo:"),
    ("{eq}`no-such-label`", "no-such-label"),
    ("{ref}`no-such-label`", "no-such-label"),
])
def test_unknown_constructs_fail_naming_cell_and_construct(book, markdown, named):
    nb = new_notebook(cells=[_cell("# Title", "t0"), _cell(markdown, "bad-cell")])
    with pytest.raises(PortableError) as err:
        portable_notebook(nb, book, "09_new.ipynb")
    assert "09_new.ipynb, cell 2 (id bad-cell)" in str(err.value)
    assert named in str(err.value)


def test_plain_markdown_and_code_are_left_alone(book):
    text = ("Some `{eq}` in code, a ```` ``{cite}`x` `` ```` span, $a_b$ and\n\n"
            "```python\n# (label)=\nx = 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert convert_markdown(text, book) == text


def test_a_notebook_outside_the_book_is_converted_unnumbered(book):
    nb = new_notebook(cells=[_cell("# Mine\n\nSee {eq}`eq-a1` in {doc}`02_b`.", "m0")])
    out = portable_notebook(nb, book, "elsewhere.ipynb")
    assert out.cells[0].source == "# Mine\n\nSee (1.1) in Beta."


def test_bpcourse_student_writes_portable_notebooks(book, tmp_path):
    report = student.write_student(sorted((book.root / "nb").glob("*.ipynb")),
                                   tmp_path / "out", log=lambda *a: None)
    assert len(report["written"]) == 2
    nb = nbformat.read(tmp_path / "out" / "01_a.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("# 1. Alpha") and nb.metadata["bpcourse"]["portable"]


def test_bpcourse_student_stops_on_an_unknown_construct(book, tmp_path, capsys):
    from bpcourse import cli

    folder = tmp_path / "chapters"
    folder.mkdir()
    nbformat.write(new_notebook(cells=[_cell("```{figure} a.png\nA caption.\n```", "fig")]),
                   folder / "03_new.ipynb")
    assert cli.main(["student", "--from", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "03_new.ipynb, cell 1 (id fig): the directive {figure}" in err
    assert not (tmp_path / "out" / "03_new.ipynb").exists()


def test_every_construct_of_the_chapters_and_pages_is_known():
    """The real book: every notebook converts, and the directives and roles it uses are few."""
    real = Book.find(ROOT)
    used = set()
    for doc in real.docs.values():
        if doc.path.suffix != ".ipynb":
            continue
        nb = portable_notebook(nbformat.read(doc.path, as_version=4), real, doc.path.name)
        assert nb.metadata["bpcourse"]["portable"]
        text = doc.path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\{([a-z][\w:-]*)\}`", text))
        used |= set(re.findall(r"(?:```|:::)\{([a-z][\w:-]*)\}", text))
    assert used <= set(portable.DIRECTIVES) | set(portable.ROLES), used
    assert {"eq", "cite", "admonition"} <= used


# --- against the built website -----------------------------------------------------------


# Sphinx's smartquotes print "PyTorch's" as "PyTorch’s"; a notebook keeps the typed quote.
_STRAIGHT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _plain(fragment):
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).translate(_STRAIGHT)
    return " ".join(text.split())


def _markdown_text(markdown):
    from markdown_it import MarkdownIt
    return _plain(MarkdownIt("commonmark").renderInline(markdown))


@pytest.mark.site
@pytest.mark.parametrize("chapter", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_numbers_match_the_built_site(chapter):
    page = HTML / "notebooks" / chapter.replace(".ipynb", ".html")
    assert page.exists(), f"{page} missing: run `make book`"
    site = page.read_text(encoding="utf-8")
    site = site[site.index('<article'):site.index('</article>')]
    book = Book.find(ROOT)
    source = nbformat.read(ROOT / "notebooks" / chapter, as_version=4)
    nb = portable_notebook(source, book, chapter)
    markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")

    # headings: "1.3. Computational graphs" on both sides, in order
    on_site = [(n, _plain(t)) for n, t in re.findall(
        r'<h[1-6]><span class="section-number">([\d.]+)\. </span>(.*?)<a class="headerlink"',
        site, re.S)]
    ours = [(m.group(1), _markdown_text(m.group(2))) for m in re.finditer(
        r"^#{1,6} (\d+(?:\.\d+)*)\. (.*)$", markdown, re.M)]
    assert ours == on_site and on_site

    # equations: label -> number
    on_site = dict(re.findall(r'id="equation-([^"]+)"[^>]*>\s*<span class="eqno">\(([\d.]+)\)',
                              site))
    ours = {label: number for label, number in book.equations.items()
            if label in on_site or number.split(".")[0] == chapter[:2].lstrip("0")}
    assert ours == on_site
    assert sorted(re.findall(r"\\tag\{([\d.]+)\}", markdown), key=str) == sorted(
        on_site.values(), key=str)

    # figures, in order
    on_site = re.findall(r'<span class="caption-number">Fig\. ([\d.]+) </span>', site)
    assert re.findall(r"^\*\*Fig\. ([\d.]+)\*\*", "\n".join(
        c.source for c in nb.cells if c.cell_type == "markdown"), re.M) == on_site

    # citations, in order: "[Rumelhart et al., 1986]"
    on_site = [_plain(c) for c in re.findall(
        r'<span class="bibtex-citation"[^>]*>(.*?)</span>', site, re.S)]
    ours = [_markdown_text(c) for c in re.findall(r"\\\[[^\]]*?\d{4}\\\]", markdown)]
    assert ours == on_site
