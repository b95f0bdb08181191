"""`bpcourse student` (never overwriting a learner's work; the site) and `bpcourse grade`."""

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bpcourse import cli, student
from bpcourse.check import MIME, REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CH01 = ROOT / "notebooks" / "01_chain_rule.ipynb"
CH05 = ROOT / "notebooks" / "05_adaptive.ipynb"
BIN = Path(sys.executable).parent     # the console scripts beside this Python (.venv/bin)


def _solution_notebook():
    """A tiny chapter: two exercises with their checks, and a solution-only cell."""
    return new_notebook(cells=[
        new_markdown_cell("# Chapter 9\n\n### Exercise 9.1"),
        new_code_cell("from bpcourse import check\nimport numpy as np"),
        new_code_cell(
            "def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
            '    """Exercise 9.1: one step of Adam."""\n'
            "    # BEGIN SOLUTION\n"
            "    from bpcourse.optim import adam_step as secret_reference\n"
            "    return secret_reference(theta, g, m, v, t, lr, beta1, beta2, eps)\n"
            "    # END SOLUTION"),
        new_code_cell("check.adam_step(adam_step)"),
        new_code_cell("print('only with the solution:', adam_step(1.0, 1.0, 0.0, 0.0, 0)[0])",
                      metadata={"tags": ["solution-only"]}),
        new_code_cell(
            "def local_grads(op, inputs, out):\n"
            "    if op == 'tanh':\n"
            "        # BEGIN SOLUTION\n"
            "        return (1 - out * out,)\n"
            "        # END SOLUTION\n"
            "    # BEGIN SOLUTION 9.7\n"
            "    from bpcourse.check.ch01 import _reference as engine_rules\n"
            "    return engine_rules(op, inputs, out)\n"
            "    # END SOLUTION"),
        new_code_cell("check.local_grads(local_grads)"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})


@pytest.fixture
def chapter(tmp_path):
    src = tmp_path / "notebooks"
    src.mkdir()
    path = src / "09_test.ipynb"
    nbformat.write(_solution_notebook(), path)
    return path


# --- the transformation ------------------------------------------------------------


def test_learners_version_keeps_everything_but_the_solutions(chapter):
    nb = student.student_notebook(nbformat.read(chapter, as_version=4), 9, chapter.name)
    sources = [c.source for c in nb.cells]
    assert len(nb.cells) == 6                                  # solution-only dropped
    assert sources[2] == (
        "def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        '    """Exercise 9.1: one step of Adam."""\n'
        '    raise NotImplementedError("Exercise 9.1")')
    assert sources[4] == (                                     # indentation kept; numbering
        "def local_grads(op, inputs, out):\n"                  # from the count, then the marker
        "    if op == 'tanh':\n"
        '        raise NotImplementedError("Exercise 9.2")\n'
        '    raise NotImplementedError("Exercise 9.7")')
    assert sources[0] == "# Chapter 9\n\n### Exercise 9.1" and sources[3] == sources[5].replace(
        "local_grads", "adam_step")


@pytest.mark.parametrize("source, message", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1", "has no END"),
    ("def f():\n    return 1\n    # END SOLUTION", "has no BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another region"),
])
def test_unbalanced_markers_are_errors(source, message):
    with pytest.raises(ValueError, match=message):
        student.solution_regions(source, "cell 3")


def test_the_chapter_5_notebook_becomes_a_stub():
    nb = student.student_notebook(nbformat.read(CH05, as_version=4), 5, CH05.name)
    text = "\n".join(c.source for c in nb.cells)
    assert 'raise NotImplementedError("Exercise 5.1")' in text
    # a line only the solution has (the buggy loop of exercise 5.6 shows m_hat too)
    assert "theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)" not in text
    assert "def adam_step(theta, g, m, v, t, lr=1e-3" in text


# --- never overwriting the learner's work --------------------------------------------


def test_student_refuses_to_overwrite_a_changed_notebook(chapter, tmp_path, capsys):
    out = tmp_path / "student"
    assert cli.main(["student", "--from", str(chapter.parent), "--out", str(out)]) == 0
    mine = out / chapter.name
    nb = nbformat.read(mine, as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("raise NotImplementedError", "return  # mine")
    nbformat.write(nb, mine)
    before = mine.read_bytes()
    capsys.readouterr()

    assert cli.main(["student", "--from", str(chapter.parent), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert mine.read_bytes() == before                              # untouched
    assert f"kept {mine}: you changed it" in said and "--force" in said

    assert cli.main(["student", "--from", str(chapter.parent), "--out", str(out),
                     "--force"]) == 0
    assert mine.read_bytes() == before                              # still untouched
    beside = out / "09_test.new.ipynb"
    assert beside.exists() and "# mine" not in beside.read_text()
    assert f"wrote {beside}" in capsys.readouterr().out

    # a second --force replaces the untouched .new version, not the learner's
    assert cli.main(["student", "--from", str(chapter.parent), "--out", str(out),
                     "--force"]) == 0
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["09_test.ipynb", "09_test.new.ipynb"]
    assert mine.read_bytes() == before


def test_a_notebook_only_run_is_refreshed(chapter, tmp_path):
    out = tmp_path / "student"
    student.write_student([chapter], out, log=lambda *a: None)
    mine = out / chapter.name
    nb = nbformat.read(mine, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nb.cells[1].execution_count = 1
    nb.metadata["widgets"] = {"state": {}}     # Jupyter adds metadata when it saves
    nbformat.write(nb, mine)
    report = student.write_student([chapter], out, log=lambda *a: None)
    assert report["written"] == [mine] and report["kept"] == []
    assert nbformat.read(mine, as_version=4).cells[1].outputs == []


def test_a_notebook_with_no_record_is_never_overwritten(chapter, tmp_path):
    out = tmp_path / "student"
    out.mkdir()
    (out / chapter.name).write_text("my own notes, not a notebook")
    report = student.write_student([chapter], out, log=lambda *a: None)
    assert report["kept"] == [out / chapter.name]
    assert (out / chapter.name).read_text() == "my own notes, not a notebook"


def test_the_record_in_the_notebook_works_without_the_manifest(chapter, tmp_path):
    out = tmp_path / "student"
    student.write_student([chapter], out, log=lambda *a: None)
    (out / student.MANIFEST).unlink()
    report = student.write_student([chapter], out, log=lambda *a: None)
    assert report["written"] == [out / chapter.name]


def test_student_without_notebooks_says_where_to_run_it(tmp_path, capsys):
    assert cli.main(["student", "--from", str(tmp_path / "none"), "--out",
                     str(tmp_path / "s")]) == 2
    assert "no notebooks in" in capsys.readouterr().err


# --- the site's downloadable notebooks ---------------------------------------------------


def test_site_downloads_become_learners_versions(tmp_path, capsys):
    html = tmp_path / "html"
    sources = html / "_sources" / "notebooks"
    sources.mkdir(parents=True)
    (sources / CH05.name).write_bytes(CH05.read_bytes())
    (sources / (CH05.name + ".txt")).write_bytes(CH05.read_bytes())
    (sources / "page.md.txt").write_text("# BEGIN SOLUTION stays in a markdown page")
    assert cli.main(["student", "--site", str(html)]) == 0
    for path in (sources / CH05.name, sources / (CH05.name + ".txt")):
        text = path.read_text()
        assert "Exercise 5.1\\\")" in text or 'Exercise 5.1\\")' in text
        assert "theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)" not in text
        assert "BEGIN SOLUTION" not in text
    assert (sources / "page.md.txt").read_text().startswith("# BEGIN SOLUTION")
    assert cli.main(["student", "--site", str(tmp_path / "nothing")]) == 2


# --- grading -------------------------------------------------------------------------------


def _record(name, status, passed, total, ex="9.1"):
    return nbformat.v4.new_output("display_data", data={"text/plain": f"{name}: {status}"},
                                  metadata={MIME: {"exercise": ex, "name": name,
                                                   "status": status, "passed": passed,
                                                   "total": total}})


def test_scores_read_the_checks_records_without_running_anything():
    nb = _solution_notebook()
    nb.cells[3].outputs = [_record("adam_step", "passed", 16, 16)]
    rows = cli.scores(nb)
    assert rows == [
        {"exercise": "9.1", "name": "adam_step", "status": "passed", "passed": 16, "total": 16},
        {"exercise": "1.1", "name": "local_grads", "status": "not run", "passed": 0, "total": 0},
    ]
    nb.cells[6].outputs = [_record("local_grads", "failed", 20, 28, "1.1")]
    assert [r["status"] for r in cli.scores(nb)] == ["passed", "failed"]
    # its checks are from two chapters, and its name has no number: no chapter to add
    assert cli.chapter_of(nb) is None and cli.chapter_of(nb, "09_test.ipynb") == 9


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One notebook executed by `bpcourse grade --json`: a pass, a failure, an error."""
    folder = tmp_path_factory.mktemp("grade")
    nb = _solution_notebook()
    nb.cells[5].source = ("def local_grads(op, inputs, out):\n"
                          "    from bpcourse.check.ch01 import _reference\n"
                          "    if op == 'tanh':\n"
                          "        return (1 - inputs[0] ** 2,)\n"
                          "    return _reference(op, inputs, out)")
    nb.cells.append(new_code_cell("1 / 0"))
    path = folder / "09_learner.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "bpcourse.cli", "grade", str(path), "--json",
                           "--timeout", "60"], capture_output=True, text=True, timeout=300)
    assert path.read_bytes() == before   # grading does not write into the learner's file
    return path, proc


def test_grade_scores_each_exercise(graded):
    path, proc = graded
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    rows = report["notebooks"][0]["exercises"]
    assert [(r["name"], r["status"]) for r in rows] == [("adam_step", "passed"),
                                                       ("local_grads", "failed")]
    assert rows[0]["passed"] == rows[0]["total"] == len(REGISTRY["adam_step"].cases())
    assert 0 < rows[1]["passed"] < rows[1]["total"] == len(REGISTRY["local_grads"].cases())
    assert (report["passed"], report["total"], report["score"]) == (1, 2, 0.5)


def test_grade_table(chapter, capsys, monkeypatch):
    result = {"notebook": "x.ipynb", "note": "", "passed": 1, "total": 2, "exercises": [
        {"exercise": "5.1", "name": "adam_step", "status": "passed", "passed": 16, "total": 16},
        {"exercise": "1.1", "name": "local_grads", "status": "not attempted", "passed": 0,
         "total": 28}]}
    monkeypatch.setattr(cli, "grade_notebook", lambda path, **limits: result)
    assert cli.main(["grade", str(chapter)]) == 0
    out = capsys.readouterr().out
    assert "5.1    adam_step" in out and "passed" in out and "16/16 cases" in out
    assert "not attempted" in out and "score: 1/2 exercises passed (50 %)" in out


def test_a_failed_check_stops_nbval_with_a_one_line_report(graded, tmp_path):
    """In a kernel, CheckFailed shows the report box and a one-line error output,
    and the cell counts as an error: nbval fails on it (verified by running nbval)."""
    path, _ = graded
    nb = nbformat.read(path, as_version=4)
    nb.cells = nb.cells[:7]                       # up to the failing check
    # Before it, an endless loop is stopped and the kernel lives on: nbval
    # compares this cell's output with the one stored here.
    spin = new_code_cell(
        "# NBVAL_CHECK_OUTPUT\n"
        "check.adam_step.time_limit = 0.5\n"
        "def spin(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        "    while True:\n"
        "        pass\n"
        "result = check.adam_step.run(spin)\n"
        "print('kernel alive;', result.status, '|', 'was stopped' in str(result))")
    spin.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="kernel alive; failed | True\n")]
    spin.execution_count = 1
    nb.cells.insert(2, spin)
    small = tmp_path / "fails.ipynb"
    nbformat.write(nb, small)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p",
                           "no:cacheprovider", "-p", "no:xdist", str(small)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert "1 failed, 6 passed" in proc.stdout
    assert "fails.ipynb::Cell 6" in proc.stdout      # the check cell, and only it
    assert ("CheckFailed: exercise 1.1: local_grads: wrong values on" in proc.stdout
            and "looks like: tanh' written with the input" in proc.stdout)


@pytest.mark.executed
def test_grade_scores_the_executed_solution_notebooks_100_percent():
    executed = ROOT / "_build" / "executed"
    chapters = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
                if cli.exercises_in(nbformat.read(p, as_version=4))]
    assert chapters, "no chapter calls a check"
    for chapter in chapters:
        path = executed / chapter.name
        assert path.exists(), f"{path} missing: run `make test` (nbval saves it)"
        nb = nbformat.read(path, as_version=4)
        rows = cli.scores(nb, cli.chapter_of(nb, path))   # every exercise of the chapter
        assert rows and all(r["status"] == "passed" for r in rows), (chapter.name, rows)


# --- scored on the chapter's exercises, not on the calls left in the notebook ------------


def _check_cells(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and cli.exercises_in(
        nbformat.v4.new_notebook(cells=[c]))]


def test_a_deleted_check_cell_still_counts_as_missing():
    """Deleting a failing `check.x(x)` cell must not take x out of the score."""
    nb = nbformat.read(CH01, as_version=4)
    cells = _check_cells(nb)
    for i in cells:   # every check ran and passed (records as a check leaves them)
        exercise = cli.exercises_in(nbformat.v4.new_notebook(cells=[nb.cells[i]]))[0]
        nb.cells[i].outputs = [_record(exercise.name, "passed", 3, 3, exercise.id)]
    assert len(cells) == 6
    assert [r["status"] for r in cli.scores(nb)] == ["passed"] * 6
    gone = cli.exercises_in(nbformat.v4.new_notebook(cells=[nb.cells[cells[2]]]))[0]
    del nb.cells[cells[2]]
    rows = cli.scores(nb)                 # the chapter, from the exercises' ids
    assert len(rows) == 6 and sum(r["status"] == "passed" for r in rows) == 5
    assert {r["name"]: r["status"] for r in rows}[gone.name] == "missing"
    assert cli.scores(nb, chapter=1) == rows
    assert cli.chapter_of(nb, CH01) == cli.chapter_of(nb, "my copy.ipynb") == 1
    # even with every check cell gone, the file name says which chapter it is
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or "check." not in c.source]
    assert cli.chapter_of(nb) is None and cli.scores(nb) == []
    rows = cli.scores(nb, cli.chapter_of(nb, CH01))
    assert [r["status"] for r in rows] == ["missing"] * 6


def test_the_learners_notebook_carries_its_chapter(chapter):
    nb = student.student_notebook(nbformat.read(chapter, as_version=4), 9, chapter.name)
    assert nb.metadata["bpcourse"]["chapter"] == 9
    assert cli.chapter_of(nb, "renamed.ipynb") == 9


def test_missing_rows_in_the_table(chapter, capsys, monkeypatch):
    result = {"notebook": "x.ipynb", "note": "", "passed": 0, "total": 1, "exercises": [
        {"exercise": "5.1", "name": "adam_step", "status": "missing", "passed": 0,
         "total": 0}]}
    monkeypatch.setattr(cli, "grade_notebook", lambda path, **limits: result)
    assert cli.main(["grade", str(chapter)]) == 0
    out = capsys.readouterr().out
    assert "missing        no cell calls check.adam_step(...)" in out
    assert "score: 0/1 exercises passed (0 %)" in out


# --- the real command on chapter 5: the solution, the learner's stub, a deleted check -----


@pytest.fixture(scope="module")
def graded_chapter_5(tmp_path_factory):
    """`bpcourse student --out` then one `bpcourse grade --json` (console scripts)."""
    folder = tmp_path_factory.mktemp("ch05")
    made = subprocess.run([str(BIN / "bpcourse"), "student", "--from", str(CH05.parent),
                           "--out", str(folder / "student")],
                          capture_output=True, text=True, timeout=120, cwd=folder)
    assert made.returncode == 0, made.stderr
    learner = folder / "student" / CH05.name
    nb = nbformat.read(CH05, as_version=4)
    nb.cells = [c for c in nb.cells if "check.adam_step(" not in c.source]
    no_check = folder / "deleted" / CH05.name
    no_check.parent.mkdir()
    nbformat.write(nb, no_check)
    proc = subprocess.run([str(BIN / "bpcourse"), "grade", "--json", str(CH05), str(learner),
                           str(no_check)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# chapter 5's seven exercises, 5.1 (adam_step) to 5.7, each passing all its cases
CH05_PASSED = [{"exercise": ex.id, "name": name, "status": "passed",
                "passed": len(ex.cases()), "total": len(ex.cases())}
               for name, ex in sorted(REGISTRY.items(), key=lambda kv: kv[1].id)
               if ex.id.startswith("5.")]


def test_grade_scores_the_chapter_5_solution_100_percent(graded_chapter_5):
    solution = graded_chapter_5["notebooks"][0]
    assert solution["notebook"] == str(CH05) and solution["note"] == ""
    assert solution["exercises"] == CH05_PASSED
    assert (solution["passed"], solution["total"]) == (7, 7)            # 100 %


def test_grade_scores_the_chapter_5_learners_notebook_0_percent(graded_chapter_5):
    learner = graded_chapter_5["notebooks"][1]
    assert [r["status"] for r in learner["exercises"]] == ["not attempted"] * 7
    assert (learner["passed"], learner["total"]) == (0, 7)              # 0 %


def test_a_solution_without_its_check_cell_scores_below_100_percent(graded_chapter_5):
    deleted = graded_chapter_5["notebooks"][2]
    assert [r["status"] for r in deleted["exercises"]] == ["missing"] + ["passed"] * 6
    assert (deleted["passed"], deleted["total"]) == (6, 7)
    assert (graded_chapter_5["passed"], graded_chapter_5["total"]) == (13, 21)
    assert graded_chapter_5["errors"] == []


# --- problems: one line each, the other notebooks still graded ------------------------------


def test_unreadable_notebooks_get_one_line_each_and_the_rest_is_graded(tmp_path):
    good = tmp_path / "fine.ipynb"       # no chapter number: no exercises expected
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), good)
    (tmp_path / "empty.ipynb").write_text("")
    (tmp_path / "notes.ipynb").write_text("my notes")
    (tmp_path / "cells.ipynb").write_text('{"nbformat": 4, "nbformat_minor": 5, '
                                          '"metadata": {}, "cells": 3}')
    (tmp_path / "folder.ipynb").mkdir()
    names = ["missing.ipynb", "empty.ipynb", "notes.ipynb", "cells.ipynb", "folder.ipynb"]
    proc = subprocess.run([str(BIN / "bpcourse"), "grade", *(str(tmp_path / n) for n in names),
                           str(good), "--timeout", "60"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    said = [line for line in proc.stderr.splitlines() if line.startswith("bpcourse grade:")]
    assert said == [
        f"bpcourse grade: {tmp_path / 'missing.ipynb'}: no such file",
        f"bpcourse grade: {tmp_path / 'empty.ipynb'}: not a valid Jupyter notebook "
        "(NotJSONError: Notebook does not appear to be JSON: '')",
        f"bpcourse grade: {tmp_path / 'notes.ipynb'}: not a valid Jupyter notebook "
        "(NotJSONError: Notebook does not appear to be JSON: 'my notes')",
        f"bpcourse grade: {tmp_path / 'cells.ipynb'}: not a valid Jupyter notebook "
        "(TypeError: 'int' object is not iterable)",
        f"bpcourse grade: {tmp_path / 'folder.ipynb'}: is a folder, not a notebook"]
    assert proc.stdout.startswith(f"{good}\n  no checked exercises\n")   # still graded


def test_json_lists_the_problems_too(tmp_path, capsys):
    assert cli.main(["grade", "--json", str(tmp_path / "gone.ipynb")]) == 2
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["notebooks"] == [] and report["total"] == 0
    assert report["errors"] == [{"notebook": str(tmp_path / "gone.ipynb"),
                                 "error": f"{tmp_path / 'gone.ipynb'}: no such file"}]
    assert out.err == f"bpcourse grade: {tmp_path / 'gone.ipynb'}: no such file\n"


@pytest.mark.parametrize("command", [["grade", "x.ipynb"], ["student", "--out", "s"]])
def test_without_nbformat_and_nbclient_the_command_says_what_to_install(command, tmp_path):
    # `None` in sys.modules makes an import fail as if the package were not installed.
    code = ("import sys; sys.modules['nbformat'] = sys.modules['nbclient'] = None\n"
            "from bpcourse.cli import main\n"
            f"sys.exit(main({command!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    needs = "nbformat and nbclient, which are" if command[0] == "grade" else "nbformat, which is"
    assert f"bpcourse {command[0]}: needs {needs} not installed" in proc.stderr
    assert "pip install nbformat" in proc.stderr and '".[book]"' in proc.stderr
    assert not (tmp_path / "s").exists()


# --- time limits: per cell, and for the whole notebook ------------------------------------


def test_grade_help_says_the_timeout_is_per_cell(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "seconds any ONE CELL may run (default 120)" in text
    assert "--notebook-timeout S seconds ALL CELLS of one notebook may run together" in text


def test_the_notebook_limit_stops_a_slow_notebook(tmp_path):
    nb = _solution_notebook()
    nb.cells.insert(2, new_code_cell("import time\nfor _ in range(50):\n    time.sleep(0.1)"))
    path = tmp_path / "09_slow.ipynb"
    nbformat.write(nb, path)
    start = time.monotonic()
    result = cli.grade_notebook(path, timeout=60, notebook_timeout=2)
    assert time.monotonic() - start < 30       # not the 5 s loop plus the per-cell limit
    assert result["note"] == "stopped: the notebook ran longer than 2 s in all"
    assert [r["status"] for r in result["exercises"]] == ["not run", "not run"]
    result = cli.grade_notebook(path, timeout=1)
    assert result["note"] == "stopped: a cell ran longer than 1 s"


def test_in_place_for_a_student_branch(tmp_path):
    copy = tmp_path / "checkout" / "notebooks"
    copy.mkdir(parents=True)
    (copy / CH05.name).write_bytes(CH05.read_bytes())
    assert cli.main(["student", "--in-place", str(copy.parent)]) == 0
    nb = nbformat.read(copy / CH05.name, as_version=4)
    assert 'raise NotImplementedError("Exercise 5.1")' in "\n".join(c.source for c in nb.cells)
    assert cli.main(["student", "--in-place", str(tmp_path / "missing")]) == 2


def test_unbalanced_markers_stop_student_with_a_message(tmp_path, capsys):
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("def f():\n    # BEGIN SOLUTION\n")]),
                   src / "01_x.ipynb")
    assert cli.main(["student", "--from", str(src), "--out", str(tmp_path / "s")]) == 2
    assert "01_x.ipynb, cell 1: '# BEGIN SOLUTION' on line 2 has no END" in capsys.readouterr().err


# --- the grade cannot be fooled: it checks again, with a private copy of the checks ------


_CHEAT = '''\
def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Wrong (no update at all), and it patches the checks it can reach."""
    import bpcourse.check as public
    from bpcourse.check import _compare, _exercise
    public.adam_step.tol = 1e9
    _compare.rel_error = lambda *a: 0.0
    _exercise.error = lambda e, g: 0.0
    return theta, m, v, t + 1
'''

_SWAP = '''\
def local_grads(op, inputs, out):
    """Wrong (every local derivative 1), and it makes itself the reference."""
    import bpcourse.check as public
    public.local_grads.reference = local_grads
    return tuple(1.0 for _ in inputs)
'''

_SHARED = '''\
import bpcourse.check.ch02 as ch02        # flatten the shared test functions
for shared in vars(ch02).values():
    if isinstance(shared, ch02._Fn):
        shared.fn = lambda t: 0.0

def numerical_gradient(f, theta, h=1e-5):
    """Wrong: zeros, which a flat f agrees with."""
    return np.zeros(np.shape(theta))
'''

_FORGE = '''\
from IPython.display import publish_display_data
from bpcourse.check import MIME
publish_display_data({"text/plain": "✓ local_grads: 28/28 cases"}, metadata={MIME: {
    "exercise": "1.1", "name": "local_grads", "status": "passed", "passed": 28, "total": 28}})
'''


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A notebook that cheats three ways, executed as Jupyter would, then graded."""
    from nbclient import NotebookClient
    folder = tmp_path_factory.mktemp("hostile")
    nb = new_notebook(cells=[
        new_code_cell("from bpcourse import check\nimport numpy as np"),
        new_code_cell(_CHEAT), new_code_cell("check.adam_step(adam_step)"),
        new_code_cell(_SWAP), new_code_cell("check.local_grads(local_grads)"),
        new_code_cell(_SHARED), new_code_cell("check.numerical_gradient(numerical_gradient)"),
        new_code_cell(_FORGE)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    path = folder / "09_hostile.ipynb"
    nbformat.write(nb, path)
    executed = nbformat.read(path, as_version=4)
    NotebookClient(executed, timeout=60, allow_errors=True).execute()
    proc = subprocess.run([str(BIN / "bpcourse"), "grade", "--json", str(path)],
                          capture_output=True, text=True, timeout=300)
    return executed, proc


def test_the_hostile_notebook_fools_its_own_displayed_records(hostile):
    """What a notebook displays is not evidence: here every record says passed."""
    executed, _ = hostile
    assert [r["status"] for r in cli.scores(executed)] == ["passed", "passed", "passed"]


def test_the_grade_checks_again_with_pristine_checks(hostile):
    _, proc = hostile
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["notebooks"][0]["exercises"]
    assert [(r["name"], r["status"]) for r in rows] == [
        ("adam_step", "failed"), ("local_grads", "failed"), ("numerical_gradient", "failed")]
    totals = [len(REGISTRY[name].cases()) for name in
              ("adam_step", "local_grads", "numerical_gradient")]
    assert [r["total"] for r in rows] == totals
    assert rows[0]["passed"] == rows[2]["passed"] == 0 and rows[1]["passed"] < totals[1]


def _graded(tmp_path, cells, *options):
    nb = new_notebook(cells=[new_code_cell("from bpcourse import check"), *cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    path = tmp_path / "09_learner.ipynb"
    nbformat.write(nb, path)
    return subprocess.run([str(BIN / "bpcourse"), "grade", str(path), *options],
                          capture_output=True, text=True, timeout=300)


def test_a_cell_that_raised_is_reported_with_its_reason_and_line(tmp_path):
    right = _solution_notebook().cells[2].source
    proc = _graded(tmp_path, [
        new_code_cell("import numpy as np\nx = 1\nundefined_name + 1\n\n" + right),
        new_code_cell("check.adam_step(adam_step)"),
        new_code_cell("def local_grads(op, inputs, out):\n    retrun 1.0,"),
        new_code_cell("check.local_grads(local_grads)"),
    ], "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["notebooks"][0]["exercises"]
    assert [r["status"] for r in rows] == ["not run", "not run"]
    assert rows[0]["reason"] == ("the cell that defines adam_step (cell 2) raised NameError: "
                                 "name 'undefined_name' is not defined, at line 3 of the cell: "
                                 "undefined_name + 1")
    assert rows[1]["reason"].startswith("the cell that defines local_grads (cell 4) raised "
                                        "SyntaxError: invalid syntax")
    assert rows[1]["reason"].endswith("at line 2 of the cell: retrun 1.0,")


def test_an_escape_in_the_learners_function_cannot_end_the_grading(tmp_path):
    proc = _graded(tmp_path, [
        new_code_cell("def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, "
                      "eps=1e-8):\n    import sys\n    sys.exit(3)"),
        new_code_cell("check.adam_step(adam_step)"),
        new_code_cell(_solution_notebook().cells[5].source),
        new_code_cell("check.local_grads(local_grads)"),
    ], "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["notebooks"][0]["exercises"]
    assert [r["status"] for r in rows] == ["failed", "passed"]


def test_fail_under_exits_1_below_the_score(graded, tmp_path):
    path, _ = graded                      # one of two exercises passed: 50 %
    for limit, code in (("50", 0), ("60", 1)):
        proc = subprocess.run([str(BIN / "bpcourse"), "grade", str(path), "--fail-under", limit],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == code, (limit, proc.stderr)
        if code:
            assert "the score, 50 %, is under --fail-under 60 %" in proc.stderr


def test_a_notebook_whose_kernel_dies_cannot_be_graded(tmp_path):
    proc = _graded(tmp_path, [new_code_cell("import os\nos._exit(1)"),
                              new_code_cell("check.adam_step(adam_step)")], "--fail-under", "0")
    assert proc.returncode == 2
    assert "cannot be graded: its kernel died (at cell 2" in proc.stderr


def test_a_function_that_will_not_stop_cannot_hang_the_grade(tmp_path):
    """Nested bare excepts swallow the check's stop requests and the kernel's
    interrupt: the cell and then the grading run into --timeout, and the grade
    still ends, saying which exercise it could not check."""
    stuck = ("def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
             "    import time\n"
             "    while True:\n"
             "        try:\n"
             "            try:\n"
             "                time.sleep(0.01)\n"
             "            except:\n"
             "                pass\n"
             "        except:\n"
             "            continue")
    start = time.monotonic()
    proc = _graded(tmp_path, [new_code_cell(stuck), new_code_cell("check.adam_step(adam_step)")],
                   "--timeout", "5", "--json")
    assert time.monotonic() - start < 120
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["notebooks"][0]
    assert result["note"] == ("stopped: a cell ran longer than 5 s; grading stopped: a function "
                              "would not stop, even when the kernel was interrupted")
    assert result["exercises"] == [{
        "exercise": "5.1", "name": "adam_step", "status": "not run", "passed": 0, "total": 0,
        "reason": "its check did not end: the function would not stop"}]


def test_a_notebook_that_changes_bpcourse_itself_cannot_be_graded(tmp_path):
    """The grader's checks share the notebook's bpcourse classes, so it compares
    that bpcourse with the snapshot: a patched rel_error stops the grade."""
    proc = _graded(tmp_path, [
        new_code_cell("import bpcourse.gradcheck\nbpcourse.gradcheck.rel_error = lambda *a: 0.0"),
        new_code_cell(_solution_notebook().cells[2].source),
        new_code_cell("check.adam_step(adam_step)")])
    assert proc.returncode == 2
    assert ("cannot be graded: the notebook changed bpcourse itself "
            "(bpcourse.gradcheck.rel_error)") in proc.stderr


def test_a_function_that_changes_bpcourse_while_graded_fails_and_stops_the_grade(tmp_path):
    patches = ("def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
               "    import bpcourse.optim\n"
               "    bpcourse.optim.adam_step = lambda *a, **k: None\n"
               "    return a_right_adam_step(theta, g, m, v, t, lr, beta1, beta2, eps)\n"
               "from bpcourse.optim import adam_step as a_right_adam_step")
    proc = _graded(tmp_path, [new_code_cell(patches),     # called by the grader only:
                              new_code_cell("if False:\n    check.adam_step(adam_step)"),
                              new_code_cell(_solution_notebook().cells[5].source),
                              new_code_cell("check.local_grads(local_grads)")], "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["notebooks"][0]["exercises"]
    assert [(r["status"], r.get("reason")) for r in rows] == [
        ("failed", "its check failed to run (its function changed bpcourse.optim.adam_step)"),
        ("not run", "not checked: adam_step's function changed bpcourse")]
