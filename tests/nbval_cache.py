"""Execute each notebook once: keep what nbval ran, and give it to the book.

As a pytest plugin (``-p nbval_cache``), it collects the outputs nbval
produced for every cell and, when every cell of a notebook passed, writes the
executed notebook to ``_build/executed/``. Run as a script, it stores those
notebooks in the Jupyter Book execution cache, so ``jupyter-book build``
renders them instead of running every notebook a second time. A notebook
whose code changed since is simply missed by the cache and executed again.
"""

import sys
from pathlib import Path

import nbformat
import pytest

OUT_DIR = Path("_build/executed")

_outputs = {}   # notebook path -> {cell number: outputs}
_failed = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if type(item).__name__ != "IPyNbCell" or report.when != "call":
        return
    path = str(item.fspath)
    if report.failed:
        _failed.add(path)
    else:
        _outputs.setdefault(path, {})[item.cell_num] = item.test_outputs or []


def pytest_sessionfinish(session):
    for path, cells in _outputs.items():
        if path in _failed:
            continue
        nb = nbformat.read(path, as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        if set(cells) != set(range(len(code_cells))):
            continue  # a cell was skipped or not run: let the book execute it
        for n, cell in enumerate(code_cells, start=1):
            cell.outputs = [_clean(o) for o in cells[n - 1]]
            cell.execution_count = n
            for out in cell.outputs:
                if out.output_type == "execute_result":
                    out.execution_count = n
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, OUT_DIR / Path(path).name)


def _clean(out):
    """An nbval output as nbformat stores it."""
    out = nbformat.from_dict(dict(out))
    if out.output_type in ("display_data", "execute_result"):
        out.setdefault("metadata", {})
    return out


def fill_cache(executed_dir, cache_dir, source_dir="notebooks"):
    """Store every executed notebook in the Jupyter Book cache under its source path."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(cache_dir)
    stored = 0
    for executed in sorted(Path(executed_dir).glob("*.ipynb")):
        source = Path(source_dir) / executed.name
        nb = nbformat.read(executed, as_version=4)
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(source.resolve()), data={"source": "nbval"}),
            check_validity=False,
            overwrite=True,
        )
        stored += 1
    return stored


if __name__ == "__main__":
    executed_dir, cache_dir = sys.argv[1:3]
    n = fill_cache(executed_dir, cache_dir)
    print(f"nbval_cache: {n} executed notebook(s) stored in {cache_dir}")
