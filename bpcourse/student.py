"""The learner's notebooks: the chapters with their solutions taken out.

A chapter notebook is the solution. In the learner's version

- every region between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (marker
  lines included) becomes ``raise NotImplementedError("Exercise N.k")``,
  indented like the first marker; the lines around it (the signature, the
  docstring) stay;
- cells tagged ``solution-only`` are left out;
- outputs and execution counts are cleared;
- the Markdown becomes portable Jupyter Markdown (``bpcourse.portable``): no
  MyST left, hints and solutions in ``<details>``, headings, equations and
  figure captions numbered as on the website, so the notebook reads the
  same in plain JupyterLab, Colab, VS Code or the classic Notebook;
- the chapter number goes into the notebook's metadata
  (``metadata.bpcourse.chapter``), so ``bpcourse grade`` knows which
  exercises to expect even when the file is renamed;
- for copies that leave this machine (the site's downloads, the branch the
  Colab and Binder buttons open), with ``install_from``, a first code cell
  after the title installs ``bpcourse`` when the kernel lacks it (Colab
  starts with nothing of the course);
- everything else is untouched.

The exercise's number is, in order of precedence: the one on the marker
(``# BEGIN SOLUTION 5.3``); the last "Exercise N.k" written above the marker
in the same cell (the docstring); else ``N`` is the chapter number (the file
name's leading digits) and ``k`` counts the marked regions in order.

Writing never destroys a learner's work: ``write_student`` records a hash of
the cells it wrote (in ``.bpcourse-student.json`` beside the notebooks and in
each notebook's metadata) and overwrites a notebook only while its cells are
still exactly what was written. Outputs, execution counts and metadata do not
count as a change, so a notebook that was only run is refreshed.
"""

import copy
import hashlib
import json
import re
from pathlib import Path

import nbformat

__all__ = ["student_notebook", "write_student", "write_site", "write_in_place",
           "solution_regions", "cells_hash", "install_cell",
           "MARK_BEGIN", "MARK_END", "SOLUTION_ONLY", "MANIFEST"]

MARK_BEGIN, MARK_END = "# BEGIN SOLUTION", "# END SOLUTION"
SOLUTION_ONLY = "solution-only"
MANIFEST = ".bpcourse-student.json"

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)#\s*BEGIN SOLUTION\b\s*(?P<id>\d+\.\d+)?\s*$")
_NAMED = re.compile(r"\bExercise (\d+\.\d+)\b")   # "Exercise 5.1" in the docstring
_END = re.compile(r"^[ \t]*#\s*END SOLUTION\b\s*$")


def chapter_number(path):
    """5 for ``05_adaptive.ipynb``; None when the name has no leading number."""
    found = re.match(r"(\d+)", Path(path).name)
    return int(found.group(1)) if found else None


def solution_regions(source, where="cell"):
    """``[(begin, end, indent, id or None)]``: line numbers of each marker pair."""
    regions, start = [], None
    for i, line in enumerate(source.splitlines()):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            if start is not None:
                raise ValueError(f"{where}: '# BEGIN SOLUTION' on line {i + 1} inside another "
                                 f"region (opened on line {start[0] + 1})")
            start = (i, begin.group("indent"), begin.group("id"))
        elif end:
            if start is None:
                raise ValueError(f"{where}: '# END SOLUTION' on line {i + 1} has no BEGIN")
            regions.append((start[0], i, start[1], start[2]))
            start = None
    if start is not None:
        raise ValueError(f"{where}: '# BEGIN SOLUTION' on line {start[0] + 1} has no END")
    return regions


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


INSTALL_CELL_ID = "bpcourse-install"
_INSTALL = """\
# Colab and other hosted Jupyters start without the course's package: this
# installs it when it is missing, and does nothing where it is installed.
import importlib, importlib.util, subprocess, sys
if importlib.util.find_spec("bpcourse") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {spec!r}], check=True)
    importlib.invalidate_caches()"""


def install_cell(spec):
    """The code cell that pip-installs ``spec`` (a requirement) if bpcourse is missing."""
    cell = nbformat.v4.new_code_cell(_INSTALL.format(spec=spec))
    cell.id = INSTALL_CELL_ID
    return cell


def student_notebook(nb, chapter=None, name="notebook", install_from=None, book=None):
    """The learner's version of notebook ``nb`` (a new object; nb is unchanged).

    ``install_from``: a pip requirement for bpcourse (``"bpcourse @ git+URL@branch"``);
    when given, the install cell goes right after the title cell.
    ``book``: the :class:`bpcourse.portable.Book` whose numbers the Markdown
    gets (default: the book in or above the current folder); ``name`` finds
    the notebook in it.
    """
    from .portable import Book, portable_notebook

    nb = copy.deepcopy(nb)
    cells, k = [], 0
    for index, cell in enumerate(nb.cells):
        if SOLUTION_ONLY in _tags(cell):
            continue
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            regions = solution_regions(cell.source, f"{name}, cell {index + 1}")
            numbered, above = [], 0
            for begin, end, indent, given in regions:
                k += 1
                named = _NAMED.findall("\n".join(lines[above:begin]))
                ex = given or (named[-1] if named else f"{chapter or '?'}.{k}")
                numbered.append((begin, end, indent, ex))
                above = end + 1
            for begin, end, indent, ex in reversed(numbered):
                lines[begin:end + 1] = [f'{indent}raise NotImplementedError("Exercise {ex}")']
            cell.source = "\n".join(lines)
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    portable_notebook(nb, Book.find() if book is None else book, name)
    cells = nb.cells
    if install_from:
        # A copy converted before (an unchanged page of an incremental build) keeps one.
        cells = [c for c in cells if c.get("id") != INSTALL_CELL_ID]
        cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0,
                     install_cell(install_from))
    nb.cells = cells
    if chapter is not None:
        nb.metadata.setdefault("bpcourse", {})["chapter"] = chapter
    return nb


def cells_hash(nb):
    """A hash of what the learner edits: each cell's type and source."""
    content = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _recorded_hash(path, manifest):
    if path.name in manifest:
        return manifest[path.name]
    try:
        return _read(path).metadata.get("bpcourse", {}).get("student_hash")
    except Exception:   # unreadable: treat as the learner's own
        return None


def _is_untouched(path, manifest):
    try:
        current = cells_hash(_read(path))
    except Exception:
        return False
    return current == _recorded_hash(path, manifest)


def _free_name(path, manifest):
    """A name beside ``path`` for a new version: stem.new.ipynb, stem.new2.ipynb, ..."""
    for i in range(1, 1000):
        candidate = path.with_name(f"{path.stem}.new{'' if i == 1 else i}{path.suffix}")
        if not candidate.exists() or _is_untouched(candidate, manifest):
            return candidate
    raise RuntimeError(f"no free name beside {path}")


def write_student(sources, out_dir, force=False, log=print):
    """Write the learner's version of each notebook in ``sources`` into ``out_dir``.

    Returns ``{"written": [...], "kept": [...], "beside": [...]}`` (paths).
    A notebook the learner changed is kept; with ``force`` the new version is
    written beside it, never over it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    report = {"written": [], "kept": [], "beside": []}
    sources = sorted(Path(s) for s in sources)
    from .portable import Book
    book = Book.find(*[s.parent for s in sources[:1]])
    for source in sources:
        nb = student_notebook(_read(source), chapter_number(source), source.name, book=book)
        digest = cells_hash(nb)
        nb.metadata.setdefault("bpcourse", {})["student_hash"] = digest
        target = out_dir / source.name
        if target.exists() and not _is_untouched(target, manifest):
            if not force:
                report["kept"].append(target)
                log(f"kept {target}: you changed it since it was written. "
                    f"To get the new version beside it, run again with --force.")
                continue
            target = _free_name(target, manifest)
            report["beside"].append(target)
            log(f"wrote {target} (your {source.name} is kept as it is)")
        else:
            report["written"].append(target)
            log(f"wrote {target}")
        nbformat.write(nb, str(target))
        manifest[target.name] = digest
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report


def write_site(html_dir, log=print, install_from=None):
    """Replace the built site's downloadable notebooks with the learner's versions.

    sphinx-book-theme's download button serves ``<html>/_sources/<page>.ipynb``
    (with Sphinx's ``.txt`` suffix when one is configured): both are rewritten
    in place. Returns the paths rewritten.
    """
    sources = Path(html_dir) / "_sources"
    if not sources.is_dir():
        raise FileNotFoundError(f"{sources} does not exist: build the book first (make book)")
    return write_in_place(sources, log, install_from)


def write_in_place(folder, log=print, install_from=None):
    """Turn every notebook under ``folder`` into its learner's version, in place.

    For copies only: the built site's downloads, or a throw-away checkout from
    which a ``student`` branch is published (Binder and Colab open the
    repository's files, so their launch buttons need such a branch).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    from .portable import Book
    book = Book.find(folder)       # read before any notebook is changed
    done = []
    for path in sorted([*folder.rglob("*.ipynb"), *folder.rglob("*.ipynb.txt")]):
        name = path.name.removesuffix(".txt")
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nb = student_notebook(nb, chapter_number(name), name, install_from, book=book)
        path.write_text(nbformat.writes(nb), encoding="utf-8")
        done.append(path)
        log(f"learner's version: {path}")
    return done
