"""The learner's notebooks, generated from every chapter: they run, no check passes, nothing leaks.

Each student notebook is executed once (a session fixture) in a fresh kernel;
the tests read that one execution.
"""

import re
from pathlib import Path

import nbformat
import pytest

from bpcourse import cli, student
from bpcourse.check import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """{chapter name: learner's notebook as written}, in a temporary folder."""
    out = tmp_path_factory.mktemp("student")
    student.write_student(CHAPTERS, out, log=lambda *a: None)
    return {path.name: nbformat.read(out / path.name, as_version=4) for path in CHAPTERS}, out


@pytest.fixture(scope="session")
def executed(generated):
    """{chapter name: (executed notebook, error outputs)}: each run once."""
    from nbclient import NotebookClient

    notebooks, out = generated
    results = {}
    for name in notebooks:
        nb = nbformat.read(out / name, as_version=4)
        NotebookClient(nb, timeout=120, allow_errors=True,
                       resources={"metadata": {"path": str(out)}}).execute()
        errors = [(i, o) for i, cell in enumerate(nb.cells) for o in cell.get("outputs", [])
                  if o.output_type == "error"]
        results[name] = (nb, errors)
    return results


def _regions(nb):
    """Every line inside a solution region, and every line outside one."""
    inside, outside = set(), set()
    for cell in nb.cells:
        lines = cell.source.splitlines()
        spans = student.solution_regions(cell.source) if cell.cell_type == "code" else []
        marked = {i for begin, end, *_ in spans for i in range(begin, end + 1)}
        for i, line in enumerate(lines):
            (inside if i in marked and cell.cell_type == "code" else outside).add(line.strip())
        if "solution-only" in cell.metadata.get("tags", []):
            inside.update(line.strip() for line in lines)
    return inside, outside


def test_every_chapter_has_a_learners_version(generated):
    notebooks, out = generated
    assert sorted(notebooks) == [p.name for p in CHAPTERS] and len(CHAPTERS) == 7
    assert (out / student.MANIFEST).exists()


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_no_solution_text_leaks(generated, chapter):
    source = nbformat.read(ROOT / "notebooks" / chapter, as_version=4)
    inside, outside = _regions(source)
    secret = {line for line in inside - outside
              if len(line) > 3}
    text = "\n".join(cell.source for cell in generated[0][chapter].cells)
    lines = {line.strip() for line in text.splitlines()}
    leaked = sorted(secret & lines)
    assert not leaked, f"solution lines in the learner's {chapter}: {leaked[:5]}"
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_regions_become_stubs_and_outputs_are_cleared(generated, chapter):
    source = nbformat.read(ROOT / "notebooks" / chapter, as_version=4)
    nb = generated[0][chapter]
    n_regions = sum(len(student.solution_regions(c.source)) for c in source.cells
                    if c.cell_type == "code" and "solution-only" not in c.metadata.get("tags", []))
    stubs = re.findall(r'raise NotImplementedError\("Exercise (\d+)\.\d+"\)',
                       "\n".join(c.source for c in nb.cells))
    assert len(stubs) == n_regions
    assert all(int(n) == student.chapter_number(chapter) for n in stubs)
    kept = [c for c in source.cells if "solution-only" not in c.metadata.get("tags", [])]
    captions = [c for c in nb.cells if c.get("id", "").endswith("-caption")]
    assert len(nb.cells) == len(kept) + len(captions)   # a figure's caption follows it
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_learners_notebook_runs_without_error(executed, chapter):
    nb, errors = executed[chapter]
    assert not errors, (f"{chapter}, cell {errors[0][0]}: {errors[0][1].ename}: "
                        f"{errors[0][1].evalue}")


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_every_check_says_not_attempted_and_scores_zero(executed, chapter):
    nb, _ = executed[chapter]
    number = student.chapter_number(chapter)
    assert nb.metadata["bpcourse"]["chapter"] == number      # grading finds it, even renamed
    rows = cli.scores(nb)
    assert [r["status"] for r in rows] == ["not attempted"] * len(rows)
    assert sum(r["status"] == "passed" for r in rows) == 0
    # scored on every exercise the chapter registers, each still called in the notebook
    registered = [e.name for e in REGISTRY.values() if e.id.split(".")[0] == str(number)]
    assert sorted(r["name"] for r in rows) == sorted(registered)


def test_the_chapters_have_checked_exercises(executed):
    rows = [r for nb, _ in executed.values() for r in cli.scores(nb)]
    names = {r["name"] for r in rows}
    assert {"adam_step"} <= names
    assert len(rows) >= 2


# --- the built website (after `make book`): solutions collapsed, downloads without them ---

HTML = ROOT / "_build" / "html"


def _exercise_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and student.solution_regions(c.source)
            and "solution-only" not in c.metadata.get("tags", [])]


@pytest.mark.site
@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_site_shows_solutions_collapsed(chapter):
    page = HTML / "notebooks" / chapter.replace(".ipynb", ".html")
    assert page.exists(), f"{page} missing: run `make book`"
    html = page.read_text(encoding="utf-8")
    source = nbformat.read(ROOT / "notebooks" / chapter, as_version=4)
    cells = _exercise_cells(source)
    for cell in cells:   # the exercise cells carry the settings that collapse them
        assert "hide-input" in cell.metadata.get("tags", []), cell.source[:60]
        assert cell.metadata.get("mystnb", {}).get("code_prompt_show") == "Show solution"
    toggles = re.findall(r'<details class="admonition hide above-input">\s*<summary[^>]*>\s*'
                         r'<p class="collapsed admonition-title">Show solution</p>', html)
    assert len(toggles) == len(cells)
    assert not re.search(r"<details[^>]*\bopen\b", html)


@pytest.mark.site
@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_site_download_is_the_learners_notebook(chapter):
    download = HTML / "_sources" / "notebooks" / chapter
    assert download.exists(), f"{download} missing: run `make book`"
    text = download.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text
    source = nbformat.read(ROOT / "notebooks" / chapter, as_version=4)
    n = sum(len(student.solution_regions(c.source)) for c in _exercise_cells(source))
    assert text.count("raise NotImplementedError(\\\"Exercise") == n


def test_install_cell_only_when_asked(generated):
    """Colab opens a notebook alone: the copies that leave the machine install bpcourse."""
    source = nbformat.read(CHAPTERS[0], as_version=4)
    spec = "bpcourse @ git+https://example.org/course@student"
    nb = student.student_notebook(source, 1, install_from=spec)
    assert nb.cells[0].cell_type == "markdown"   # the title stays first
    assert nb.cells[1].id == student.INSTALL_CELL_ID and repr(spec) in nb.cells[1].source
    assert len(nb.cells) == len(student.student_notebook(source, 1).cells) + 1
    notebooks, _ = generated   # the learner's own copies: bpcourse is installed there
    assert all(c.get("id") != student.INSTALL_CELL_ID
               for nb in notebooks.values() for c in nb.cells)


def test_converting_a_learners_copy_again_changes_nothing(tmp_path):
    """An incremental `make book` leaves unchanged pages' downloads converted already."""
    spec = "bpcourse @ git+https://example.org/course@student"
    copy = tmp_path / "_sources" / "notebooks"
    copy.mkdir(parents=True)
    (copy / CHAPTERS[0].name).write_bytes(CHAPTERS[0].read_bytes())
    student.write_in_place(copy, log=lambda *a: None, install_from=spec)
    once = (copy / CHAPTERS[0].name).read_text()
    student.write_in_place(copy, log=lambda *a: None, install_from=spec)
    assert (copy / CHAPTERS[0].name).read_text() == once
    nb = nbformat.reads(once, as_version=4)
    assert [c.id for c in nb.cells].count(student.INSTALL_CELL_ID) == 1
    assert nb.cells[0].source.startswith("# 1. ")


def test_install_cell_does_nothing_where_bpcourse_is_installed(monkeypatch):
    import subprocess

    def refuse(*args, **kwargs):
        raise AssertionError(f"the install cell ran pip: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    exec(student.install_cell("bpcourse @ git+https://example.org/course").source, {})


def test_install_from_needs_site_or_in_place(capsys):
    assert cli.main(["student", "--install-from", "bpcourse"]) == 2
    assert "--site or --in-place" in capsys.readouterr().err


@pytest.mark.site
def test_site_downloads_install_bpcourse_from_the_configured_repository():
    import yaml

    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    spec = f"bpcourse @ git+{repo['url']}@{repo['branch']}"
    for chapter in CHAPTERS:
        nb = nbformat.read(HTML / "_sources" / "notebooks" / chapter.name, as_version=4)
        assert nb.cells[1].id == student.INSTALL_CELL_ID, chapter.name
        assert repr(spec) in nb.cells[1].source, chapter.name


# --- portable Markdown: what every notebook front end shows ------------------------------
#
# The learner's notebooks are opened in plain JupyterLab, Colab, VS Code and the classic
# Notebook, none of which knows MyST. Their Markdown is read here as those front ends read
# it (CommonMark, GitHub tables, $ and $$ math) and must hold no MyST construct.

ROLE_BEFORE_CODE = re.compile(r"\{[A-Za-z][\w:.-]*\}$")      # {eq} right before `label`
MYST_LINES = [
    (re.compile(r"^\s*\([\w.:-]+\)=\s*$"), "a (label)= target"),
    (re.compile(r"^\s*:{3,}"), "a ::: fence"),
    (re.compile(r"^\s*:(class|label|name|open|dropdown|nowrap):"), "a directive option"),
    (re.compile(r"^\s*%"), "a MyST % comment"),
    (re.compile(r"^\s*\+\+\+"), "a MyST +++ block break"),
    (re.compile(r"^\s*:\s"), "a definition list"),
]
SECTION_MENTION = re.compile(
    r"\b[Ss]ections?\s+(\d+\.\d+(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s+to\s+)\d+\.\d+)*)")
# "(1.7)": an equation's number has no leading zero and at most two digits after the
# point; "(1.690)" or "(0.5)" are values the text quotes.
EQUATION_MENTION = re.compile(r"\(([1-9]\d?)\.([1-9]\d?)\)")
CITATION = re.compile(r"\[[^\]]*\d{4}[a-z]?\]")               # [Goodfellow et al., 2016]


def _commonmark():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark").enable("table")
    dollarmath_plugin(md, allow_labels=True, double_inline=True)
    return md


def _leftovers(markdown):
    """What in ``markdown`` is MyST (or not shown by a plain front end), as short strings."""
    found = []
    for token in _commonmark().parse(markdown):
        if token.type == "fence" and token.info.strip().startswith("{"):
            found.append(f"the directive ```{token.info.strip()}")
        if token.type == "math_block_label":
            found.append(f"the equation label ({token.info})")
        if token.type == "inline":
            children = token.children or []
            for a, b in zip(children, children[1:], strict=False):
                if a.type == "text" and b.type == "code_inline" and ROLE_BEFORE_CODE.search(
                        a.content):
                    found.append(f"the role {ROLE_BEFORE_CODE.search(a.content).group()}"
                                 f"`{b.content}`")
            for line in token.content.splitlines():
                found += [f"{what}: {line.strip()[:40]}" for pattern, what in MYST_LINES
                          if pattern.match(line)]
            if "{{" in token.content:
                found.append("a {{ substitution }}")
            if "[^" in token.content:
                found.append("a footnote")
    return found


def _walk_text(markdown):
    """(inline text outside code and math, inside <details>?) for each paragraph or heading."""
    depth, out, tokens = 0, [], _commonmark().parse(markdown)
    for i, token in enumerate(tokens):
        if token.type == "html_block":
            depth += token.content.count("<details") - token.content.count("</details>")
        if token.type == "inline":
            text = "".join(c.content for c in token.children or []
                           if c.type in ("text", "softbreak") or c.type.endswith("break"))
            text = text.replace("\n", " ")
            out.append((text, depth > 0, tokens[i - 1].type))
    return out


def _dropdowns(source_cell):
    """How many hints and solutions (MyST dropdowns) a chapter's Markdown cell has."""
    from bpcourse.portable import Book, _parser, _split_directive

    count = 0
    for token in _parser(Book.find(ROOT).extensions).parse(source_cell):
        if token.type in ("fence", "colon_fence"):
            parts = _split_directive(token)
            if parts and (parts[0] == "dropdown" or "dropdown" in parts[2].get("class", "")):
                count += 1
    return count


def _numbers(nb):
    """({section numbers of the headings}, {equation numbers}) of a learner's notebook."""
    sections, equations = set(), set()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for token in _commonmark().parse(cell.source):
            if token.type == "inline" and token.map is not None:
                found = re.match(r"(\d+(?:\.\d+)*)\. ", token.content)
                heading = cell.source.splitlines()[token.map[0]].lstrip().startswith("#")
                if found and heading:
                    sections.add(found.group(1))
            if token.type in ("math_block", "math_block_label"):
                equations.update(re.findall(r"\\tag\{([\d.]+)\}", token.content))
    return sections, equations


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_learners_markdown_has_no_myst(generated, chapter):
    nb = generated[0][chapter]
    problems = [f"cell {i + 1}: {what}" for i, cell in enumerate(nb.cells)
                if cell.cell_type == "markdown" for what in _leftovers(cell.source)]
    assert not problems, f"MyST left in the learner's {chapter}:\n  " + "\n  ".join(problems)
    assert nb.metadata["bpcourse"]["portable"] is True


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_every_hint_and_solution_is_folded_in_details(generated, chapter):
    source = nbformat.read(ROOT / "notebooks" / chapter, as_version=4)
    learner = {c.get("id"): c for c in generated[0][chapter].cells}
    for cell in source.cells:
        if cell.cell_type != "markdown":
            continue
        mine = learner[cell.get("id")].source
        expected = _dropdowns(cell.source)
        assert mine.count("<details") == expected, (chapter, cell.get("id"), mine[:200])
        # Jupyter renders Markdown inside <details> only between blank lines
        assert len(re.findall(r"<details( open)?>\n<summary>[^\n]*</summary>\n\n", mine)) \
            == expected
        assert len(re.findall(r"\n\n</details>", mine)) == expected
        for text, folded, _ in _walk_text(mine):
            if re.match(r"\s*(Hint|Solution)\b", text) and not folded:
                pytest.fail(f"{chapter}: a hint or solution outside <details>: {text[:60]!r}")


def test_the_chapters_have_hints_to_fold(generated):
    notebooks, _ = generated
    total = sum(c.source.count("<summary>Hint") for nb in notebooks.values() for c in nb.cells)
    assert total >= 10


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_every_section_and_equation_mentioned_is_numbered_in_the_notebook(generated, chapter):
    """"section 1.3" and "(1.7)" name a numbered heading or equation of chapter 1's notebook.

    A mention after a citation in the same paragraph ("[Goodfellow et al., 2016],
    chapter 6, section 6.5") names the cited work's section, and is not checked;
    nor is a quoted value such as "(1.690)" (see ``EQUATION_MENTION``). A value
    like "(1.5)" reads as an equation: write it without the parentheses.
    """
    notebooks, _ = generated
    numbers = {student.chapter_number(name): _numbers(nb) for name, nb in notebooks.items()}
    nb, mentions = notebooks[chapter], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for text, _, _ in _walk_text(cell.source):
            cited = CITATION.search(text)
            for m in SECTION_MENTION.finditer(text):
                if cited and cited.start() < m.start():
                    continue
                for number in re.findall(r"\d+\.\d+", m.group(1)):
                    mentions.append((i, "section", number))
            for m in EQUATION_MENTION.finditer(text):
                if 1 <= int(m.group(1)) <= len(CHAPTERS):
                    mentions.append((i, "equation", f"{m.group(1)}.{m.group(2)}"))
    missing = []
    for i, kind, number in mentions:
        sections, equations = numbers.get(int(number.split(".")[0]), (set(), set()))
        if number not in (sections if kind == "section" else equations):
            missing.append(f"cell {i + 1}: {kind} {number}")
    assert not missing, (f"{chapter} mentions what no learner's notebook numbers (an "
                         "equation is written \"(N.M)\" only as its number):\n  "
                         + "\n  ".join(missing))
    if student.chapter_number(chapter) == 1:
        assert len(mentions) >= 10      # the scan finds what the text says
