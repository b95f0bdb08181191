"""The notebooks in JupyterLab, as a learner's browser shows them.

Two JupyterLab servers on 127.0.0.1, each with its own configuration folders
(nothing of the user's or the venv's configuration is changed):

- *plain*: jupyterlab-myst disabled (``labconfig/page_config.json``), as in
  a JupyterLab, Binder or Notebook 7 without it. It opens a learner's
  notebook (``bpcourse student``): a hint is folded, opens on a click, and
  its math is typeset by MathJax; no MyST syntax shows anywhere.
- *myst*: jupyterlab-myst enabled, as ``make lab`` runs it. It opens a
  source notebook: a dropdown hint is folded and opens, and an equation
  reference is resolved into a link.

Both pages are opened in Debian's headless Chromium. Screenshots land in
_build/screenshots/ for a human eye. Runs in ``make test``'s second phase
(marker ``frontend``).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from bpcourse import student

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("BPCOURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHAPTER = ROOT / "notebooks" / "01_chain_rule.ipynb"   # the first chapter with hints

pytestmark = pytest.mark.frontend

# Lab settings for both servers: every cell rendered at once (no windowing,
# so the test sees the whole notebook), and no news pop-up over the page.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(base, root, myst):
    """A JupyterLab server serving ``root``; its configuration lives under ``base``."""
    config = base / "config"
    (config / "labconfig").mkdir(parents=True)
    if not myst:
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"jupyterlab-myst": True}}))
    for name, value in SETTINGS.items():
        path = base / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config),
           "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "JUPYTER_DATA_DIR": str(base / "data")}
    log = open(base / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         f"--LabApp.user_settings_dir={base / 'settings'}",
         f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True)
    return process, f"http://127.0.0.1:{port}", base / "server.log"


def _wait(process, url, log, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer at {url} within {seconds} s")


def _stop(processes):
    """Stop the servers (they shut their kernels down), all at once."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(root, {"plain": url, "myst": url}): the served folder holds learner/ and source/."""
    if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("JupyterLab is not installed: pip install -e '.[lab]' (make test does)")
    root = tmp_path_factory.mktemp("lab")
    student.write_student([CHAPTER], root / "learner", log=lambda *a: None)
    (root / "source").mkdir()
    shutil.copy(CHAPTER, root / "source" / CHAPTER.name)
    started = {name: _start(root.parent / f"{root.name}-{name}", root, myst=name == "myst")
               for name in ("plain", "myst")}
    try:
        for process, url, log in started.values():
            _wait(process, url, log)
        yield root, {name: url for name, (_, url, _) in started.items()}
    finally:
        _stop([process for process, _, _ in started.values()])


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's chromium is needed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking"])
        yield b
        b.close()


PAGES = {"plain": (f"learner/{CHAPTER.name}", ".jp-MarkdownOutput"),
         "myst": (f"source/{CHAPTER.name}", ".myst")}


@pytest.fixture(scope="module")
def tabs(servers, browser):
    """{"plain": tab, "myst": tab}: both notebooks start loading at once (it saves time)."""
    root, urls = servers
    opened = {}
    for name, (path, _) in PAGES.items():
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        tab.errors = []
        tab.on("pageerror", lambda e, tab=tab: tab.errors.append(str(e)))
        tab.goto(f"{urls[name]}/lab/tree/{path}", wait_until="commit")
        opened[name] = tab
    yield {name: _rendered(tab, root, *PAGES[name]) for name, tab in opened.items()}
    for tab in opened.values():
        tab.close()


def _rendered(tab, root, path, rendered):
    """``tab`` once every Markdown cell of notebook ``path`` is rendered, and the notebook.

    ``rendered``: the class of a rendered Markdown cell's output (JupyterLab's
    own renderer and jupyterlab-myst's differ).
    """
    nb = nbformat.read(root / path, as_version=4)
    n_markdown = sum(c.cell_type == "markdown" for c in nb.cells)
    tab.wait_for_function(
        "([n, css]) => document.querySelectorAll('.jp-Notebook .jp-MarkdownCell ' + css)"
        ".length >= n", arg=[n_markdown, rendered], timeout=90_000)
    return tab, nb


def _page_config(tab):
    return tab.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)")


def _shot(tab, locator, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    locator.scroll_into_view_if_needed()
    tab.screenshot(path=str(SHOTS / name))


def _folded_then_open(tab, hint, math, shot):
    """The hint is folded (screenshot ``shot``), a click opens it, its math is typeset."""
    hint.wait_for(state="attached", timeout=30_000)
    body = hint.locator("p").first
    assert hint.evaluate("d => d.open") is False
    assert not body.is_visible(), "a hint must be folded until it is clicked"
    _shot(tab, hint, shot)
    hint.locator("summary").click()
    assert hint.evaluate("d => d.open") is True
    assert body.is_visible()
    hint.locator(math).first.wait_for(state="visible", timeout=30_000)


def test_learner_notebook_in_plain_jupyterlab(tabs):
    tab, nb = tabs["plain"]
    config = _page_config(tab)
    assert "jupyterlab-myst" in config.get("disabledExtensions", []), (
        "this server must run without jupyterlab-myst")
    hint = tab.locator(".jp-Notebook .jp-RenderedMarkdown details",
                       has=tab.locator("summary", has_text="Hint 1")).first
    _folded_then_open(tab, hint, "mjx-container", "jupyterlab-learner-hint-folded.png")
    _shot(tab, hint, "jupyterlab-learner-hint-open.png")

    # everything MyST became something plain Markdown shows
    text = "\n".join(tab.locator(".jp-Notebook .jp-RenderedMarkdown").all_inner_texts())
    for raw in ("{admonition}", "{eq}`", "{cite}`", "{doc}`", ":class:", ")=\n", "$$"):
        assert raw not in text, f"raw {raw!r} shows in the learner's notebook"
    headings = tab.locator(".jp-Notebook .jp-RenderedMarkdown h2").all_inner_texts()
    assert any(h.startswith("1.3. Computational graphs") for h in headings), headings
    # every displayed equation with a number shows it: MathJax typeset its \tag
    tags = sum(c.source.count("\\tag{") for c in nb.cells if c.cell_type == "markdown")
    assert tags >= 5
    assert tab.locator(".jp-Notebook mjx-mlabeledtr").count() == tags
    _shot(tab, tab.locator(".jp-Notebook h2", has_text="1.1. Derivatives").first,
          "jupyterlab-learner-equations.png")
    assert not tab.errors, tab.errors


def test_source_notebook_in_jupyterlab_with_myst(tabs):
    tab, _ = tabs["myst"]
    config = _page_config(tab)
    assert "jupyterlab-myst" not in config.get("disabledExtensions", [])
    assert any(e.get("name") == "jupyterlab-myst"
               for e in config.get("federated_extensions", [])), "jupyterlab-myst missing"
    hint = tab.locator(".jp-Notebook details.dropdown",
                       has=tab.locator("summary", has_text="Hint 1")).first
    _folded_then_open(tab, hint, ".katex, mjx-container",
                      "jupyterlab-myst-source-hint-folded.png")
    # {eq}`eq1-linear` is a link to the equation, with its number
    ref = tab.locator('.jp-Notebook a.hover-link[href="#eq1-linear"]').first
    ref.wait_for(state="attached", timeout=30_000)
    assert ref.inner_text().startswith("(") and ref.inner_text().endswith(")")
    text = "\n".join(tab.locator(".jp-Notebook .jp-MarkdownCell .myst").all_inner_texts())
    for raw in ("{admonition}", "{eq}`", ":class:", "(ch01-sensitivity)="):
        assert raw not in text, f"raw {raw!r} shows with jupyterlab-myst"
    _shot(tab, hint, "jupyterlab-myst-source-hint-open.png")
    _shot(tab, ref, "jupyterlab-myst-source-equations.png")
    assert not tab.errors, tab.errors
