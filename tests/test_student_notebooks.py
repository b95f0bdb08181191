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
    assert len(nb.cells) == len(kept)
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
