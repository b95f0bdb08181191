"""The ``bpcourse`` command: learner's notebooks and grading.

    bpcourse student [--out DIR] [--from DIR] [--force]
        write the learner's version of every chapter (default: student/)
    bpcourse student --site HTML_DIR
        replace the built site's downloadable notebooks with learner's versions
    bpcourse student --in-place DIR
        turn the notebooks of a throw-away copy into learner's versions (to
        publish a `student` branch for the Binder and Colab buttons)
    bpcourse grade NOTEBOOK... [--json] [--timeout S] [--notebook-timeout S]
                   [--fail-under PERCENT]
        run each notebook in a fresh kernel, check its exercises with a
        fresh copy of the checks, and print a score table

Grading does not trust what the notebook displayed. It runs the notebook in a
fresh kernel, then checks every exercise again itself, in that kernel, with a
fresh copy of the check package from a snapshot taken before the notebook ran
(see ``bpcourse/check/_grade.py``): a forged record, or a notebook that
patched the checks it imported, gains nothing; one that changed the rest of
``bpcourse`` cannot be graded. The exercises a notebook is scored on come
from the checks' registry, by chapter, not from the notebook: an exercise
whose check cell was deleted is still counted, as *missing*. An exercise whose
function was never defined is *not run*, with the reason (the cell's error
and line, or where the notebook stopped).

``nbformat`` and ``nbclient`` (and a Jupyter kernel, ``ipykernel``) are not
needed by the package itself; the two commands say what to install when they
are missing.
"""

import argparse
import importlib
import importlib.util
import json
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

__all__ = ["main", "exercises_in", "expected_exercises", "chapter_of", "scores",
           "grade_notebook", "GradeError", "NOT_RUN", "MISSING"]

NOT_RUN = "not run"     # its check is in the notebook, but its function was never defined
MISSING = "missing"     # the chapter has this exercise, but no cell of the notebook checks it
_CALL = re.compile(r"\bcheck\.(\w+)\s*\(")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"(?:Cell In\[\d+\]|<ipython-input-\d+-\w+>|File <[^>]*>), line (\d+)")


class GradeError(Exception):
    """A notebook that cannot be graded; the message is one line that says why."""


def _registry():
    from .check import REGISTRY
    return REGISTRY


def _chapter(exercise):
    return int(exercise.id.split(".")[0])


def _order(exercise):
    return tuple(int(p) for p in exercise.id.split("."))


def exercises_in(nb):
    """The checks a notebook calls, in order: ``[Exercise, ...]``."""
    registry, found = _registry(), []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for name in _CALL.findall(cell.source):
            if name in registry and registry[name] not in found:
                found.append(registry[name])
    return found


def _records(nb):
    """{exercise name: the record its check left in an output}."""
    from .check import MIME
    seen = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(MIME)
            if isinstance(record, str):   # nbformat may keep JSON as text
                record = json.loads(record)
            if isinstance(record, dict) and "name" in record:
                seen[record["name"]] = record
    return seen


def chapter_of(nb, path=None):
    """The chapter a notebook belongs to, or None.

    In order: the number ``bpcourse student`` wrote into its metadata; the
    leading number of its file name (``05_adaptive.ipynb``); the chapter more
    than half of the exercises its cells check belong to ("5.1"; what its
    outputs say does not count).
    """
    number = nb.get("metadata", {}).get("bpcourse", {}).get("chapter")
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    if path is not None:
        found = re.match(r"(\d+)", Path(path).name)
        if found:
            return int(found.group(1))
    counts = Counter(_chapter(e) for e in exercises_in(nb))
    if not counts:
        return None
    number, count = counts.most_common(1)[0]
    return number if 2 * count > sum(counts.values()) else None


def expected_exercises(nb, chapter=None):
    """The exercises a notebook is scored on, in order: ``[Exercise, ...]``.

    Every registered exercise of its chapter (``chapter``, else
    ``chapter_of(nb)``), whether or not the notebook still calls its check,
    then any other check the notebook calls.
    """
    if chapter is None:
        chapter = chapter_of(nb)
    ours = sorted((e for e in _registry().values() if _chapter(e) == chapter), key=_order)
    return ours + [e for e in exercises_in(nb) if e not in ours]


def scores(nb, chapter=None):
    """One record per exercise of an *executed* notebook, from what it displayed.

    For a quick look only: a notebook can display any record it likes, so
    ``grade_notebook`` does not use these. ``[{"exercise", "name", "status",
    "passed", "total"}]``, one per exercise of ``expected_exercises(nb,
    chapter)``. An exercise whose check is in the notebook but left no record
    is ``"not run"``; one whose check is nowhere in it is ``"missing"``.
    """
    seen, called = _records(nb), exercises_in(nb)
    rows = []
    for exercise in expected_exercises(nb, chapter):
        record = seen.get(exercise.name)
        if record is None:
            status = NOT_RUN if exercise in called else MISSING
            record = {"exercise": exercise.id, "name": exercise.name, "status": status,
                      "passed": 0, "total": 0}
        rows.append({key: record.get(key) for key in
                     ("exercise", "name", "status", "passed", "total")})
    return rows


def _arguments(nb):
    """{exercise name: the name the notebook passes to its check} (``check.x(my_x)``)."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for name, argument in re.findall(r"\bcheck\.(\w+)\s*\(\s*(\w+)\s*[,)]",
                                             cell.source):
                found.setdefault(name, argument)
    return found


def _cell_error(cell):
    """``"SyntaxError: invalid syntax, at line 3: retrun x"`` for a cell whose
    run ended in an error (not a failed check), else ""."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error" or output.get("ename") == "CheckFailed":
            continue
        text = f"{output.get('ename')}: {output.get('evalue')}".strip()
        trace = _ANSI.sub("", "\n".join(output.get("traceback", [])))
        where = _CELL_LINE.findall(trace)
        if where:
            number = int(where[0])      # the cell's own frame comes first
            lines = cell.source.splitlines()
            code = lines[number - 1].strip() if 0 < number <= len(lines) else ""
            text += f", at line {number} of the cell" + (f": {code}" if code else "")
        return text
    return ""


def _defining_cell(nb, argument):
    pattern = re.compile(rf"^\s*def\s+{re.escape(argument)}\s*\(", re.M)
    return next((i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and pattern.search(c.source)), None)


def _why_not_run(nb, argument, stopped_at):
    """Why the function ``argument`` was not there to check, in one line."""
    index = _defining_cell(nb, argument)
    if index is None:
        return f"no cell defines {argument}"
    error = _cell_error(nb.cells[index])
    if error:
        return f"the cell that defines {argument} (cell {index + 1}) raised {error}"
    if stopped_at is not None and stopped_at <= index:
        return f"the notebook stopped at cell {stopped_at + 1}, before {argument} was defined"
    return f"{argument} was not defined when the notebook ended"


def _snapshot():
    """A private copy of the bpcourse package on disk: (folder, package name)."""
    source = Path(__file__).resolve().parent
    folder = Path(tempfile.mkdtemp(prefix="bpcourse-grade-"))
    name = f"_bpcourse_grade_{secrets.token_hex(8)}"
    shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder, name


def _grading_cell(folder, name, wanted, out):
    """The code the grader runs in the kernel after the notebook: load the
    pristine copy (to compare with) and a fresh check package from the
    snapshot, and check each exercise with it (see check/_grade.py)."""
    package = folder / name
    graded = f"bpcourse._graded_{name.rpartition('_')[2]}"
    return (
        "import importlib.util as _bpg_util, sys as _bpg_sys, bpcourse as _bpg_public\n"
        "def _bpg_load(name, folder):\n"
        "    spec = _bpg_util.spec_from_file_location(\n"
        "        name, folder + '/__init__.py', submodule_search_locations=[folder])\n"
        "    module = _bpg_util.module_from_spec(spec)\n"
        "    _bpg_sys.modules[name] = module\n"
        "    spec.loader.exec_module(module)\n"
        f"_bpg_load({name!r}, {str(package)!r})\n"
        f"_bpg_load({graded!r}, {str(package / 'check')!r})\n"
        f"__import__({graded + '._grade'!r}, fromlist=['grade']).grade("
        f"globals(), {wanted!r}, {str(out)!r}, {name!r})\n")


def _verdicts(out):
    """({exercise name: verdict}, the grader's "tampered" record or None)."""
    found, tampering = {}, None
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            try:
                verdict = json.loads(line)
            except ValueError:
                continue
            if "tampered" in verdict:
                tampering = verdict
            else:
                found[verdict["name"]] = verdict
    return found, tampering


def _one_line(err):
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _read_notebook(path):
    import nbformat
    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise GradeError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise GradeError(f"{path}: is a folder, not a notebook") from None
    except OSError as err:
        raise GradeError(f"{path}: cannot be read ({err.strerror or err})") from None
    except Exception as err:   # not JSON, or JSON that is not a notebook
        raise GradeError(f"{path}: not a valid Jupyter notebook ({_one_line(err)})") from None


def grade_notebook(path, timeout=120, notebook_timeout=None):
    """Execute ``path`` in a fresh kernel (errors allowed), then check every
    exercise of its chapter there with a fresh copy of the checks, and score.

    ``timeout``: seconds any one cell may run; ``notebook_timeout``: seconds
    all the notebook's cells together may run (None: no limit). Past either
    limit the notebook stops there (the kernel is interrupted) and its
    exercises are checked as far as their functions were defined. Raises
    ``GradeError`` (one line) for a notebook that cannot be read, run or
    graded (its kernel died).
    """
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbclient.util import run_sync
    from nbformat.v4 import new_code_cell

    path = Path(path)
    nb = _read_notebook(path)
    chapter = chapter_of(nb, path)
    exercises, called = expected_exercises(nb, chapter), exercises_in(nb)
    arguments = _arguments(nb)
    deadline = None if not notebook_timeout else time.monotonic() + notebook_timeout

    def cell_timeout(cell):
        # nbclient asks before each cell: the smaller of the two limits.
        if deadline is None or cell is grading:
            return timeout
        left = max(deadline - time.monotonic(), 1e-3)   # 0 would mean "no limit"
        return min(timeout, left) if timeout and timeout > 0 else left

    folder, name = _snapshot()        # before the notebook runs: it cannot touch this
    out = folder / "verdicts.jsonl"
    wanted = [(e.name, arguments.get(e.name, e.name)) for e in exercises if e in called]
    grading = new_code_cell(_grading_cell(folder, name, wanted, out))
    client = NotebookClient(nb, timeout=timeout, timeout_func=cell_timeout, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    note, stopped_at, index = "", None, 0
    try:
        client.reset_execution_trackers()
        with client.setup_kernel():
            try:
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index,
                                        execution_count=client.code_cells_executed + 1)
            except CellTimeoutError:
                stopped_at = index
                if deadline is not None and time.monotonic() >= deadline - 1e-3:
                    note = f"stopped: the notebook ran longer than {notebook_timeout:g} s in all"
                else:
                    note = f"stopped: a cell ran longer than {timeout:g} s"
                run_sync(client.km.interrupt_kernel)()
            if wanted:
                nb.cells.append(grading)    # nbclient keeps the outputs in the notebook
                try:
                    client.execute_cell(grading, len(nb.cells) - 1)
                except CellTimeoutError:
                    note = (note + "; " if note else "") + (
                        "grading stopped: a function would not stop, even when the kernel "
                        "was interrupted")
                finally:
                    nb.cells.pop()
    except DeadKernelError:
        raise GradeError(f"{path}: cannot be graded: its kernel died (at cell {index + 1}; "
                         "os._exit, a crash, or out of memory?)") from None
    except NoSuchKernel as err:
        raise GradeError(f"{path}: no Jupyter kernel named {err.args[0]!r} to run it "
                         "(pip install ipykernel)") from None
    except GradeError:
        raise
    except Exception as err:   # a notebook nbclient cannot run: say so, grade the others
        raise GradeError(f"{path}: could not be run ({_one_line(err)})") from None
    finally:
        verdicts, tampering = _verdicts(out)
        shutil.rmtree(folder, ignore_errors=True)
    if tampering and tampering["by"] is None:
        raise GradeError(f"{path}: cannot be graded: the notebook changed bpcourse itself "
                         f"({', '.join(tampering['tampered'][:3])})")
    if wanted and not verdicts and not note:
        error = _cell_error(grading)
        raise GradeError(f"{path}: cannot be graded: the checks could not be run in its "
                         f"kernel ({error or 'no verdicts'})")
    unchecked = [n for n, _ in wanted if n not in verdicts]   # the grading stopped
    for k, missed in enumerate(unchecked):
        verdicts[missed] = {"name": missed, "status": "unchecked", "reason": (
            f"not checked: {tampering['by']}'s function changed bpcourse" if tampering else
            "its check did not end: the function would not stop" if k == 0 else
            "not checked: the grading stopped before it")}
    rows = [_row(e, e in called, verdicts.get(e.name), nb, arguments, stopped_at)
            for e in exercises]
    passed = sum(row["status"] == "passed" for row in rows)
    return {"notebook": str(path), "exercises": rows, "passed": passed, "total": len(rows),
            "note": note}


def _row(exercise, called, verdict, nb, arguments, stopped_at):
    """One exercise's line of the score: from the grader's own verdict."""
    row = {"exercise": exercise.id, "name": exercise.name, "status": MISSING,
           "passed": 0, "total": 0}
    if not called:
        return row
    argument = arguments.get(exercise.name, exercise.name)
    if verdict["status"] in ("undefined", "unchecked"):
        row["status"] = NOT_RUN
        row["reason"] = (_why_not_run(nb, argument, stopped_at)
                         if verdict["status"] == "undefined" else verdict["reason"])
        return row
    row.update({key: verdict.get(key, row[key]) for key in ("status", "passed", "total")})
    if verdict.get("mistake"):
        row["mistake"] = verdict["mistake"]
    if verdict.get("error"):
        row["reason"] = f"its check failed to run ({verdict['error']})"
    return row


def _table(result):
    lines = [result["notebook"]]
    if result["note"]:
        lines.append(f"  ({result['note']})")
    if not result["exercises"]:
        lines.append("  no checked exercises")
    for row in result["exercises"]:
        cases = f"{row['passed']}/{row['total']} cases" if row["total"] else ""
        if row["status"] == MISSING:
            cases = f"no cell calls check.{row['name']}(...)"
        if row.get("reason"):
            cases = row["reason"]
        lines.append(f"  {row['exercise']:<6} {row['name']:<28} {row['status']:<14} {cases}"
                     .rstrip())
    total = result["total"]
    pct = 100.0 * result["passed"] / total if total else 0.0
    lines.append(f"  score: {result['passed']}/{total} exercises passed ({pct:.0f} %)")
    return "\n".join(lines)


def _student(args):
    from . import student
    if args.site or args.in_place:
        try:
            if args.site:
                done = student.write_site(args.site, install_from=args.install_from)
            else:
                done = student.write_in_place(args.in_place, install_from=args.install_from)
        except (FileNotFoundError, ValueError) as err:
            print(f"bpcourse student: {err}", file=sys.stderr)
            return 2
        print(f"{len(done)} notebooks replaced by the learner's versions")
        return 0
    sources = sorted(Path(args.source).glob("*.ipynb"))
    if not sources:
        print(f"bpcourse student: no notebooks in {args.source}/ (run it from the course's "
              "folder, or pass --from DIR)", file=sys.stderr)
        return 2
    try:
        report = student.write_student(sources, args.out, force=args.force)
    except ValueError as err:   # unbalanced markers in a chapter
        print(f"bpcourse student: {err}", file=sys.stderr)
        return 2
    if report["kept"]:
        names = ", ".join(p.name for p in report["kept"])
        print(f"\n{len(report['kept'])} notebook(s) you changed were not overwritten: {names}")
    return 0


def _missing(modules):
    """The modules of ``modules`` that cannot be imported."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def _grade(args):
    results, problems = [], []
    for path in args.notebooks:
        try:
            results.append(grade_notebook(path, timeout=args.timeout,
                                          notebook_timeout=args.notebook_timeout))
        except GradeError as err:
            problems.append({"notebook": str(path), "error": str(err)})
            print(f"bpcourse grade: {err}", file=sys.stderr)
    passed = sum(r["passed"] for r in results)
    total = sum(r["total"] for r in results)
    score = passed / total if total else 0.0
    if args.json:
        print(json.dumps({"notebooks": results, "passed": passed, "total": total,
                          "score": score, "errors": problems}, indent=2))
    elif results:
        print("\n\n".join(_table(r) for r in results))
        if len(results) > 1:
            print(f"\nTotal: {passed}/{total} exercises passed ({100 * score:.0f} %)")
    if problems:
        return 2
    if args.fail_under is not None and 100 * score < args.fail_under:
        print(f"bpcourse grade: the score, {100 * score:.4g} %, is under --fail-under "
              f"{args.fail_under:g} %", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bpcourse", description="The course's tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="write the learner's notebooks (no solutions)")
    s.add_argument("--out", default="student", help="where to write them (default: student/)")
    s.add_argument("--from", dest="source", default="notebooks",
                   help="the chapter notebooks (default: notebooks/)")
    s.add_argument("--force", action="store_true",
                   help="for notebooks you changed, write the new version beside yours")
    s.add_argument("--site", metavar="HTML_DIR",
                   help="replace the downloadable notebooks of a built site instead")
    s.add_argument("--in-place", metavar="DIR",
                   help="rewrite every notebook under DIR (a throw-away copy!) in place")
    s.add_argument("--install-from", metavar="REQUIREMENT",
                   help="with --site or --in-place: add a first cell that pip-installs "
                        "REQUIREMENT (e.g. 'bpcourse @ git+https://...@student') when the "
                        "kernel has no bpcourse, as on Colab")
    g = sub.add_parser(
        "grade", help="run notebooks and score their exercises",
        description="Run each notebook in a fresh kernel (errors allowed, so every exercise "
                    "is scored), check each exercise again with a fresh copy of the checks "
                    "(what the notebook displayed does not count), and print each exercise's "
                    "status and a score. A notebook is scored on every exercise of its "
                    "chapter: one whose check cell is gone counts as missing.")
    g.add_argument("notebooks", nargs="+", type=Path)
    g.add_argument("--json", action="store_true", help="machine-readable output")
    g.add_argument("--timeout", type=float, default=120, metavar="S",
                   help="seconds any ONE CELL may run (default 120); a cell that runs longer "
                        "stops that notebook, and the exercises after it count as 'not run'")
    g.add_argument("--notebook-timeout", type=float, default=None, metavar="S",
                   help="seconds ALL CELLS of one notebook may run together (default: no "
                        "limit); past it the notebook stops the same way")
    g.add_argument("--fail-under", type=float, default=None, metavar="PERCENT",
                   help="exit with status 1 when the score of all notebooks together is "
                        "below PERCENT (for CI); a notebook that cannot be graded gives 2")
    args = parser.parse_args(argv)
    needed = (["nbformat", "myst_parser", "pybtex"] if args.command == "student"
              else ["nbformat", "nbclient"])
    missing = _missing(needed)
    if missing:
        install = missing[:]
        if args.command == "grade" and importlib.util.find_spec("ipykernel") is None:
            install.append("ipykernel")   # the kernel the notebooks run in
        print(f"bpcourse {args.command}: needs {' and '.join(missing)}, which "
              f"{'is' if len(missing) == 1 else 'are'} not installed; install with "
              f"`pip install {' '.join(install)}` (or the course's book extra: "
              f"`pip install -e \".[book]\"` in the course's folder)", file=sys.stderr)
        return 2
    if args.command == "student":
        if args.install_from and not (args.site or args.in_place):
            print("bpcourse student: --install-from goes with --site or --in-place "
                  "(your own notebooks run where bpcourse is installed)", file=sys.stderr)
            return 2
        return _student(args)
    return _grade(args)


if __name__ == "__main__":
    sys.exit(main())
