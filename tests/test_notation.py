"""The notation page is binding: a reserved symbol is never used for something else.

`book/notation.md` writes every symbol plain (no bold), the activation as
sigma (never phi), a variance as Var (never sigma squared), the momentum
coefficient as mu (so the smallest curvature is mu_min, and chapters before
momentum have no bare mu), RMSProp's decay as rho (so a contraction rate is
r), and P for the number of parameters only (the softmax probabilities of a
batch are Y-hat). This test reads every chapter, its markdown *and* its code
(figure labels are mathematics too), the book's pages and the checks'
messages, and names each place that breaks a rule that a pattern can see.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))
CHECKS = sorted((ROOT / "bpcourse" / "check").glob("ch[0-9][0-9].py"))

# (name, pattern, first chapter it applies to, last chapter, what to write)
RULES = [
    ("bold", re.compile(r"\\(?:mathbf|boldsymbol|bm|pmb)\b"), 0, 99,
     "no bold: write the symbol plain (notation page, rule 1)"),
    ("phi", re.compile(r"\\(?:var)?phi\b|φ|ϕ"), 0, 99,
     "the activation is sigma, never phi"),
    ("sigma squared", re.compile(r"\\sigma\s*\^\s*\{?\s*2|σ²"), 0, 99,
     "a variance is written Var (sigma is the activation)"),
    ("bare mu", re.compile(r"\\mu(?!\s*_\s*\{?\s*\\min)(?![A-Za-z])|μ(?!_min|_\{min)"),
     0, 3, "mu is the momentum coefficient (chapter 4 on); the smallest "
     "curvature is mu_min"),
    ("rho", re.compile(r"\\rho\b|ρ"), 0, 4,
     "rho is RMSProp's decay (chapter 5); a contraction rate is r"),
    ("P - Y", re.compile(r"\(P\s*-\s*Y\)|\$P\s*-\s*Y\$"), 0, 99,
     "P is the number of parameters; the probabilities of a batch are "
     r"\hat Y"),
]
# The notation page itself names the symbols it reserves.
EXEMPT_PAGES = {"notation.md"}
MICRO = "µ"   # U+00B5, the micro sign of "µs": not the Greek mu (U+03BC)


def _chapter(path):
    return int(path.name[:2])


def _notebook_texts(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        yield cell.get("id"), "".join(cell["source"])


def violations(text, chapter, where):
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.replace(MICRO, "")
        for name, pattern, first, last, fix in RULES:
            if first <= chapter <= last and pattern.search(line):
                found.append(f"{where}, line {lineno}: {name} ({fix}): {line.strip()[:70]}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapters_follow_the_notation_page(path):
    found = []
    for cell_id, text in _notebook_texts(path):
        found += violations(text, _chapter(path), f"{path.name} cell {cell_id}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", [p for p in PAGES if p.name not in EXEMPT_PAGES],
                         ids=lambda p: p.name)
def test_pages_follow_the_notation_page(path):
    # the front matter speaks of every chapter (momentum's mu, RMSProp's rho)
    found = violations(path.read_text(encoding="utf-8"), 99, path.name)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", CHECKS, ids=lambda p: p.name)
def test_check_messages_follow_the_notation_page(path):
    # messages only: a line of code may name its own array P
    text = "\n".join(line if re.search("[\"']", line) else ""
                     for line in path.read_text(encoding="utf-8").splitlines())
    found = violations(text, int(path.name[2:4]), path.name)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("text, chapter, rule", [
    (r"$\mathbf{x}$", 6, "bold"),
    (r"$\boldsymbol\theta_t$", 2, "bold"),
    (r"$\bm{W}$", 7, "bold"),
    (r"$A = \varphi(Z)$", 5, "phi"),
    (r"$\phi'(z)$", 2, "phi"),
    (r"noise of variance $\sigma^2$", 3, "sigma squared"),
    (r"$\sigma^{2}/B$", 6, "sigma squared"),
    (r"$\kappa = L/\mu$", 3, "bare mu"),
    (r"$2/(L+\mu)$", 1, "bare mu"),
    ("1/μ: the smallest eigenvalue", 3, "bare mu"),
    (r"$r = \rho^2$", 3, "rho"),
    (r"$\delta = (P - Y)/B$", 2, "P - Y"),
])
def test_each_rule_catches_its_symbol(text, chapter, rule):
    found = violations(text, chapter, "example")
    assert any(f": {rule} (" in f for f in found), (text, found)


@pytest.mark.parametrize("text, chapter", [
    (r"$\kappa = L/\mu_{\min}$", 3),
    (r"$\mu_\min$", 2),
    ("mu_min, L = eigvalsh(A)", 3),
    (r"$v \leftarrow \mu v + g$", 4),      # momentum, in its own chapter
    (r"RMSProp's $\rho$", 5),
    ("12.3 µs per example", 3),            # the micro sign
    (r"$\sigma(z) = 1/(1+e^{-z})$", 2),
    (r"$\operatorname{Var}/B$", 3),
    (r"$(\hat Y - Y)/B$", 2),
    (r"$\mathcal{L}$, $\mathbb{R}^{P}$", 2),
])
def test_the_rules_let_correct_notation_pass(text, chapter):
    assert violations(text, chapter, "example") == []
