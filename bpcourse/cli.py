"""The ``bpcourse`` command: learner's notebooks and grading.

    bpcourse student [--out DIR] [--from DIR] [--force]
        write the learner's version of every chapter (default: student/)
    bpcourse student --site HTML_DIR
        replace the built site's downloadable notebooks with learner's versions
    bpcourse student --in-place DIR
        turn the notebooks of a throw-away copy into learner's versions (to
        publish a `student` branch for the Binder and Colab buttons)
    bpcourse grade NOTEBOOK... [--json] [--timeout S]
        run each notebook in a fresh kernel and print a score table

Grading reads what the checks displayed: each check's output carries a JSON
record in its metadata (key ``application/vnd.bpcourse.check+json``), so
``scores`` can score any executed notebook without running it again.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["main", "exercises_in", "scores", "grade_notebook"]

NOT_RUN = "not run"
_CALL = re.compile(r"\bcheck\.(\w+)\s*\(")


def _registry():
    from .check import REGISTRY
    return REGISTRY


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


def scores(nb):
    """One record per exercise of an *executed* notebook, from its outputs.

    ``[{"exercise", "name", "status", "passed", "total"}]``; an exercise whose
    check left no record (the notebook stopped before it) is ``"not run"``.
    """
    from .check import MIME
    seen = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(MIME)
            if isinstance(record, str):   # nbformat may keep JSON as text
                record = json.loads(record)
            if record:
                seen[record["name"]] = record
    rows = []
    for exercise in exercises_in(nb):
        record = seen.get(exercise.name)
        if record is None:
            record = {"exercise": exercise.id, "name": exercise.name, "status": NOT_RUN,
                      "passed": 0, "total": 0}
        rows.append({key: record.get(key) for key in
                     ("exercise", "name", "status", "passed", "total")})
    return rows


def grade_notebook(path, timeout=120):
    """Execute ``path`` in a fresh kernel (errors allowed) and score it."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    note = ""
    try:
        client.execute()
    except CellTimeoutError:
        note = f"stopped: a cell ran longer than {timeout} s"
    except DeadKernelError:
        note = "stopped: the kernel died"
    rows = scores(nb)
    passed = sum(row["status"] == "passed" for row in rows)
    return {"notebook": str(path), "exercises": rows, "passed": passed, "total": len(rows),
            "note": note}


def _table(result):
    lines = [result["notebook"]]
    if result["note"]:
        lines.append(f"  ({result['note']})")
    if not result["exercises"]:
        lines.append("  no checked exercises")
    for row in result["exercises"]:
        cases = f"{row['passed']}/{row['total']} cases" if row["total"] else ""
        lines.append(f"  {row['exercise']:<6} {row['name']:<28} {row['status']:<14} {cases}")
    total = result["total"]
    pct = 100.0 * result["passed"] / total if total else 0.0
    lines.append(f"  score: {result['passed']}/{total} exercises passed ({pct:.0f} %)")
    return "\n".join(lines)


def _student(args):
    from . import student
    if args.site or args.in_place:
        try:
            if args.site:
                done = student.write_site(args.site)
            else:
                done = student.write_in_place(args.in_place)
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


def _grade(args):
    results = [grade_notebook(path, timeout=args.timeout) for path in args.notebooks]
    passed = sum(r["passed"] for r in results)
    total = sum(r["total"] for r in results)
    score = passed / total if total else 0.0
    if args.json:
        print(json.dumps({"notebooks": results, "passed": passed, "total": total,
                          "score": score}, indent=2))
    else:
        print("\n\n".join(_table(r) for r in results))
        if len(results) > 1:
            print(f"\nTotal: {passed}/{total} exercises passed ({100 * score:.0f} %)")
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
    g = sub.add_parser("grade", help="run notebooks and score their exercises")
    g.add_argument("notebooks", nargs="+", type=Path)
    g.add_argument("--json", action="store_true", help="machine-readable output")
    g.add_argument("--timeout", type=float, default=120,
                   help="seconds any one cell may run (default 120)")
    args = parser.parse_args(argv)
    if args.command == "student":
        return _student(args)
    return _grade(args)


if __name__ == "__main__":
    sys.exit(main())
