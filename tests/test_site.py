"""The built website, as a learner's browser sees it, with the network off.

Runs after `make book` (marker ``site``): serves _build/html on 127.0.0.1,
opens every page in Debian's headless Chromium with every other host
blocked, and asserts that each page loads, logs no console error, asks no
other host for anything, has no broken internal link, and that its math is
typeset by MathJax. Screenshots land in _build/screenshots/ for a human eye.
"""

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("BPCOURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots of these pages are taken for people to look at.
SCREENSHOT_PAGES = {"book/intro.html", "notebooks/01_chain_rule.html", "notebooks/02_backprop.html",
                    "notebooks/03_gradient_descent.html", "notebooks/04_momentum.html",
                    "notebooks/05_adaptive.html", "notebooks/06_vanishing_gradients.html",
                    "notebooks/07_capstone.html"}

pytestmark = pytest.mark.site


def _pages():
    if not (HTML / "index.html").exists():
        return []
    skip = {"genindex.html", "search.html"}
    return sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts and p.name not in skip)


PAGES = _pages()


@pytest.fixture(scope="module")
def server():
    if not PAGES:
        pytest.fail("No built site in _build/html: run `make book` first (make test does).")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's chromium is needed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )
        yield b
        b.close()


def test_site_has_every_page():
    names = set(PAGES)
    for page in ["book/intro.html", "book/notation.html", "book/glossary.html",
                 "book/bibliography.html", "notebooks/01_chain_rule.html",
                 "notebooks/07_capstone.html"]:
        assert page in names, f"{page} missing from the built site"


@pytest.mark.parametrize("page", PAGES)
def test_page_offline(page, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    foreign, errors = [], []

    def route(r):
        url = r.request.url
        if url.startswith(server) or url.startswith("data:") or url.startswith("blob:"):
            r.continue_()
        else:
            foreign.append(url)
            r.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    response = tab.goto(f"{server}/{page}", wait_until="load")
    assert response is not None and response.ok, f"{page}: HTTP {response and response.status}"
    tab.wait_for_load_state("networkidle")

    # MathJax typesets asynchronously: wait for it, then look at the result.
    n_math = tab.locator(".math").count()
    if n_math:
        tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        tab.evaluate("() => MathJax.startup.promise")
        typeset = tab.locator(".math mjx-container").count()
        assert typeset >= n_math, f"{page}: {n_math - typeset} of {n_math} math not typeset"
        text = tab.locator("article").inner_text() if tab.locator("article").count() else ""
        raw = re.findall(r"\\\(|\\\[|\$\$", text)
        assert not raw, f"{page}: raw TeX delimiters left in the text: {raw[:3]}"

    # Resolve links against where we ended up (index.html redirects to the intro).
    here = urlparse(tab.url).path.lstrip("/")
    links = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    targets = {h: _internal_target(here, h) for h in links}
    broken = [h for h, target in targets.items() if target and not target.exists()]

    if page in SCREENSHOT_PAGES:
        # MathJax loads a font file when it first needs a glyph from it: wait for
        # those too, or a symbol can be missing from the picture (not the page).
        tab.evaluate("() => document.fonts.ready.then(() => true)")
        tab.wait_for_load_state("networkidle")
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / (page.replace("/", "__") + ".png")), full_page=True)
    context.close()

    assert not foreign, f"{page} asked other hosts for: {foreign[:5]}"
    assert not errors, f"{page} logged console errors: {errors[:5]}"
    assert not broken, f"{page} has broken links: {broken[:5]}"


def _internal_target(page, href):
    """The file an internal link points at, or None for external and in-page links."""
    url, _ = urldefrag(href)
    parsed = urlparse(url)
    if not url or parsed.scheme or parsed.netloc or url.startswith("mailto:"):
        return None
    target = (HTML / page).parent / unquote(parsed.path)
    return target / "index.html" if target.is_dir() else target


CHAPTER_PAGES = [p for p in PAGES if p.startswith("notebooks/")]


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_every_player_moves_without_a_kernel(page, server, browser):
    """The static site's explorers: each player's slider and buttons change the frame."""
    tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    tab.goto(f"{server}/{page}", wait_until="load")
    players = tab.locator(".bpcourse-player")
    if page.split("/")[-1][:2] in {"03", "04", "05", "06", "07"}:
        assert players.count() >= 1, f"{page}: the chapter's explorer has no player on the site"
    for i in range(players.count()):
        player = players.nth(i)
        img, count = player.locator("img"), player.locator("[data-role=count]")
        first_src, first_count = img.get_attribute("src"), count.inner_text()
        last = int(player.locator("input[type=range]").get_attribute("max"))
        assert last >= 1, f"{page}: player {i} has a single frame"
        player.locator("input[type=range]").evaluate(
            "(s, v) => { s.value = v; s.dispatchEvent(new Event('input')); }", last)
        assert count.inner_text() == f"{last + 1} / {last + 1}"
        assert img.get_attribute("src") != first_src, f"{page}: player {i} shows one picture"
        player.locator("[data-act=next]").click()        # wraps round to the first frame
        assert count.inner_text() == first_count
        assert img.get_attribute("src") == first_src
    tab.context.close()
