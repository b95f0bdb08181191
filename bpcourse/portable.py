"""Portable Jupyter Markdown: the chapters' MyST, as every notebook front end shows it.

The chapters are written in MyST Markdown for the website. Plain JupyterLab,
Colab, VS Code and the classic Notebook know none of it, so ``bpcourse student``
turns each Markdown cell of a learner's notebook into portable Markdown
(CommonMark, GitHub tables, ``$``/``$$`` math and a little HTML):

- a dropdown (``{admonition}`` with ``:class: dropdown``, ``{dropdown}``, any
  admonition with that class) becomes ``<details><summary>Title</summary>``
  with its body as Markdown between blank lines (Jupyter renders Markdown
  and math inside ``<details>`` only then);
- any other admonition (``{admonition}``, ``{note}``, ``{tip}``, ...) becomes
  a block quote that starts with its title in bold; so do ``{margin}`` and
  ``{sidebar}``; ``{code-block}`` (``{code}``) becomes a fenced code block;
- a labelled equation (``$$ ... $$ (label)``, ``{math}`` with ``:label:``)
  carries its number, ``\\tag{1.7}``, and ``{eq}`label``` becomes "(1.7)";
- ``(label)=`` targets and ``%`` comments are removed;
- headings carry the site's section numbers ("1.3. Computational graphs"),
  and a figure (a code cell with ``mystnb.figure.caption``) gets its
  numbered caption in a Markdown cell after it ("**Fig. 1.2** ...");
- ``{ref}``, ``{numref}``, ``{doc}`` and ``{term}`` become the text the site
  prints for them; ``{cite}`` (``{cite:p}``) and ``{cite:t}`` become
  "[Rumelhart *et al.*, 1986]" and "Rumelhart *et al.* [1986]", read from
  ``book/references.bib``; ``{math}`` becomes ``$...$``.

The numbers are derived the way Sphinx derives them for the site (see
:class:`Book`): chapters and sections from the numbered part of ``_toc.yml``,
equations and figures counted per chapter (``numfig_secnum_depth``).

The Markdown is read with the parser the book itself uses (myst-parser's
markdown-it configuration with the extensions of ``_config.yml``), and each
construct is replaced where the parser found it. A construct the converter
does not know (a directive, a role, a footnote, a substitution, a definition
list, ...) raises :class:`PortableError` naming the notebook, the cell and
the construct: a new chapter cannot bring one in unnoticed.
"""

import functools
import html
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Book", "PortableError", "convert_markdown", "portable_notebook",
           "DIRECTIVES", "ROLES", "PORTABLE_KEY"]

PORTABLE_KEY = "portable"   # metadata.bpcourse.portable: converted already

# What the converter knows. Anything else in a chapter is an error.
ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
               "warning": "Warning", "caution": "Caution", "attention": "Attention",
               "danger": "Danger", "error": "Error", "seealso": "See also"}
DIRECTIVES = ("admonition", *ADMONITIONS, "dropdown", "math", "margin", "sidebar",
              "code-block", "code")
ROLES = ("eq", "ref", "numref", "doc", "cite", "cite:p", "cite:t", "term", "math",
         "sub", "sup")
_ADMONITION_OPTIONS = {"class", "name"}
_DROPDOWN_OPTIONS = {"open", "name", "class", "class-container", "class-title",
                     "class-body", "color", "icon", "animate", "chevron", "margin",
                     "container", "title", "body", "sync"}
_MATH_OPTIONS = {"label", "name", "nowrap", "class"}
_ASIDE_OPTIONS = {"class", "name", "subtitle"}
_CODE_OPTIONS = {"linenos", "lineno-start", "emphasize-lines", "caption", "name", "class",
                 "force", "dedent"}

# Block tokens that are portable as they are (CommonMark, GFM tables, math).
_PLAIN_BLOCKS = {
    "paragraph_open", "paragraph_close", "inline", "heading_close",
    "bullet_list_open", "bullet_list_close", "ordered_list_open", "ordered_list_close",
    "list_item_open", "list_item_close", "blockquote_open", "blockquote_close",
    "code_block", "hr", "html_block", "math_block",
    "table_open", "table_close", "thead_open", "thead_close", "tbody_open", "tbody_close",
    "tr_open", "tr_close", "th_open", "th_close", "td_open", "td_close",
}
_PLAIN_INLINE = {
    "text", "softbreak", "hardbreak", "code_inline", "em_open", "em_close",
    "strong_open", "strong_close", "link_open", "link_close", "image", "html_inline",
    "math_inline", "math_inline_double", "s_open", "s_close",
}
_DEFAULT_EXTENSIONS = ("amsmath", "colon_fence", "deflist", "dollarmath", "html_image",
                       "substitution")


class PortableError(ValueError):
    """A chapter uses a construct the converter does not know, or a broken reference."""


# --- the parser ----------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _parser(extensions=_DEFAULT_EXTENSIONS):
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = MdParserConfig(enable_extensions=set(extensions), dmath_double_inline=True)
    return create_md_parser(config, RendererHTML)


@functools.lru_cache(maxsize=1)
def _html_inline():
    """CommonMark for a ``<summary>``: inline Markdown to HTML, math left as ``$...$``."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark")
    dollarmath_plugin(md, double_inline=True)
    md.add_render_rule("math_inline", lambda self, tokens, i, options, env:
                       "$" + html.escape(tokens[i].content) + "$")
    md.add_render_rule("math_inline_double", lambda self, tokens, i, options, env:
                       "$$" + html.escape(tokens[i].content) + "$$")
    return md


_DIRECTIVE_INFO = re.compile(r"^\{([^}\s]+)\}\s*(.*)$")
_OPTION = re.compile(r"^:([\w-]+):(?:\s+(.*))?$")


def _split_directive(token):
    """(name, argument, options, body) of a ```{name} fence, or None for a code block."""
    found = _DIRECTIVE_INFO.match(token.info.strip())
    if not found:
        return None
    name, argument = found.group(1), found.group(2).strip()
    lines = token.content.split("\n")
    options = {}
    if lines and lines[0].strip() == "---":          # options as a YAML block
        import yaml
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            raise PortableError(f"{{{name}}}: its option block has no closing '---'")
        options = {str(k): "" if v is None else str(v)
                   for k, v in (yaml.safe_load("\n".join(lines[1:end])) or {}).items()}
        lines = lines[end + 1:]
    else:
        while lines and _OPTION.match(lines[0].strip()):
            key, value = _OPTION.match(lines[0].strip()).groups()
            options[key] = (value or "").strip()
            lines = lines[1:]
    return name, argument, options, "\n".join(lines).strip("\n")


# --- the book: what the site numbers, and how ---------------------------------------


@dataclass
class _Heading:
    level: int
    title: str                 # its inline Markdown, as written
    key: object                # the cell it is in
    labels: list = field(default_factory=list)
    number: tuple = None
    children: list = field(default_factory=list)
    parent: object = None


@dataclass
class _Doc:
    name: str                  # Sphinx's docname: notebooks/01_chain_rule
    path: Path
    events: list = field(default_factory=list)    # in document order
    headings: list = field(default_factory=list)
    title: str = ""


@dataclass
class Target:
    """What a label names: a section, an equation, a figure or a paragraph."""
    kind: str
    doc: str
    number: str = None
    title: str = ""


def _cell_key(cell, index):
    return cell.get("id") or f"#{index}"


def _removed(cell):
    tags = set(cell.get("metadata", {}).get("tags", []))
    return bool(tags & {"remove-cell", "remove-output"})


class Book:
    """The numbers and titles the website shows, derived from the book's sources.

    Sphinx numbers the site this way, and so does this class:

    - each numbered part of ``_toc.yml`` (``numbered: 2``) is a numbered
      toctree; its numbering starts at 1, and each top-level section of each
      of its documents (a chapter's ``#`` title) takes the next number; the
      sections below get ``1.1, 1.2, ...`` down to the depth given;
    - equations with a label and figures with a caption are counted in
      document order, from the root document on, separately for each kind
      and for each prefix: the number of the section they are in (or of the
      nearest numbered section above), cut to ``numfig_secnum_depth``
      (default 1); a section that has no number (too deep, or in an
      unnumbered part) passes its parent's on;
    - a heading prints its number with ``html_secnumber_suffix`` (". ").
    """

    def __init__(self, root=None):
        import yaml

        self.root = Path(root) if root is not None else None
        self.docs, self.order, self.labels = {}, [], {}
        self.equations, self.figures, self.bib = {}, {}, None
        self.extensions = _DEFAULT_EXTENSIONS
        self.secnumber_suffix, self.secnum_depth = ". ", 1
        self.numfig_format = {"section": "Section %s", "figure": "Fig. %s",
                              "table": "Table %s", "code-block": "Listing %s"}
        if self.root is None:
            return
        config = yaml.safe_load((self.root / "_config.yml").read_text(encoding="utf-8")) \
            if (self.root / "_config.yml").exists() else {}
        config = config or {}
        extensions = (config.get("parse") or {}).get("myst_enable_extensions")
        if extensions:
            self.extensions = tuple(sorted(extensions))
        sphinx = ((config.get("sphinx") or {}).get("config") or {})
        self.secnumber_suffix = sphinx.get("html_secnumber_suffix", self.secnumber_suffix)
        self.secnum_depth = int(sphinx.get("numfig_secnum_depth", self.secnum_depth))
        self.numfig_format.update(sphinx.get("numfig_format") or {})
        self._bibfiles = [self.root / f for f in config.get("bibtex_bibfiles") or []]
        toc = yaml.safe_load((self.root / "_toc.yml").read_text(encoding="utf-8"))
        self._read_toc(toc)
        self._number()

    # reading -------------------------------------------------------------------------

    def _read_toc(self, toc):
        parts = toc.get("parts") or [{"chapters": toc.get("chapters") or []}]
        self.order = [(self._add(toc["root"]), 0)]
        for part in parts:
            numbered = part.get("numbered", 0)
            depth = 999 if numbered is True else int(numbered or 0)
            for entry in part.get("chapters") or []:
                if "file" not in entry:
                    continue                      # a URL or a glob: nothing numbered
                if entry.get("sections"):
                    raise PortableError(
                        f"_toc.yml: {entry['file']} has sections of its own; "
                        "bpcourse.portable numbers only flat parts")
                self.order.append((self._add(entry["file"]), depth))
            self.order.append((None, 0))          # a new toctree: numbering restarts

    def _add(self, file):
        name = posixpath.normpath(str(file)).removesuffix(".ipynb").removesuffix(".md")
        for suffix in (".ipynb", ".md"):
            path = self.root / (name + suffix)
            if path.exists():
                break
        else:
            raise PortableError(f"_toc.yml names {file}, which does not exist")
        doc = _Doc(name, path)
        self.docs[name] = doc
        if path.suffix == ".ipynb":
            import nbformat
            nb = nbformat.read(str(path), as_version=4)
            for index, cell in enumerate(nb.cells):
                key = _cell_key(cell, index)
                if cell.cell_type == "markdown":
                    self._scan(doc, cell.source, key, top=True)
                elif cell.cell_type == "code":
                    figure = (cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}
                    if figure.get("caption") and not _removed(cell):
                        doc.events.append(("figure", key, figure.get("name"),
                                           figure["caption"]))
        else:
            text = path.read_text(encoding="utf-8")
            if text.startswith("---\n"):           # front matter
                end = text.find("\n---", 4)
                text = "\n" * text.count("\n", 0, end + 4) + text[end + 4:]
            self._scan(doc, text, None, top=True)
        return doc

    def _scan(self, doc, text, key, top):
        """Record the headings, labels and labelled equations of ``text``, in order."""
        tokens = _parser(self.extensions).parse(text)
        pending = []
        for i, token in enumerate(tokens):
            if token.type == "myst_target":
                pending.append(token.content)
                continue
            if token.type == "heading_open" and top and token.level == 0:
                doc.events.append(("heading", key, int(token.tag[1]),
                                   tokens[i + 1].content.strip(), pending))
                pending = []
                continue
            if token.type == "math_block_label":
                doc.events.append(("equation", key, token.info))
            elif token.type in ("fence", "colon_fence"):
                parts = _split_directive(token)
                if parts and parts[0] == "math":
                    label = parts[2].get("label") or parts[2].get("name")
                    if label:
                        doc.events.append(("equation", key, label))
                elif parts:
                    self._scan(doc, parts[3], key, top=False)
            if pending and token.type not in ("myst_line_comment",) and token.nesting >= 0:
                for label in pending:
                    doc.events.append(("target", key, label))
                pending = []
        for label in pending:
            doc.events.append(("target", key, label))

    # numbering -----------------------------------------------------------------------

    def _number(self):
        numstack = [0]
        for doc, depth in self.order:
            if doc is None:
                numstack = [0]
                continue
            tops = self._tree(doc)
            if depth:
                self._walk(tops, depth, numstack)
        counters = {}
        for doc, _ in self.order:
            if doc is None:
                continue
            prefix = ()
            for event in doc.events:
                kind, key = event[0], event[1]
                if kind == "heading":
                    heading = event[-1]
                    prefix = self._secnum(heading)
                    for label in heading.labels:
                        self._label(label, Target("section", doc.name, heading.number,
                                                  heading.title))
                elif kind in ("equation", "figure"):
                    figtype = "displaymath" if kind == "equation" else "figure"
                    cut = prefix[:self.secnum_depth]
                    counters[(figtype, cut)] = counters.get((figtype, cut), 0) + 1
                    number = ".".join(map(str, (*cut, counters[(figtype, cut)])))
                    if kind == "equation":
                        self._label(event[2], Target("equation", doc.name, number))
                        self.equations[event[2]] = number
                    else:
                        self.figures[(doc.name, key)] = number
                        if event[2]:
                            self._label(event[2], Target("figure", doc.name, number, event[3]))
                elif kind == "target":
                    self._label(event[2], Target("paragraph", doc.name))

    def _label(self, label, target):
        if label in self.labels:
            raise PortableError(f"the label {label!r} is defined twice "
                                f"({self.labels[label].doc} and {target.doc})")
        self.labels[label] = target

    def _tree(self, doc):
        """Nest the headings as docutils nests sections; returns the top level."""
        tops, stack = [], []
        for i, event in enumerate(doc.events):
            if event[0] != "heading":
                continue
            _, key, level, title, labels = event
            heading = _Heading(level, title, key, list(labels))
            while stack and stack[-1].level >= level:
                stack.pop()
            if stack:
                heading.parent = stack[-1]
                stack[-1].children.append(heading)
            else:
                tops.append(heading)
            stack.append(heading)
            doc.events[i] = (*event, heading)
            doc.headings.append(heading)
        if tops:
            doc.title = tops[0].title
        return tops

    def _walk(self, headings, depth, numstack):
        for heading in headings:
            numstack[-1] += 1
            heading.number = tuple(numstack) if depth > 0 else None
            if heading.children:
                numstack.append(0)
                self._walk(heading.children, depth - 1, numstack)
                numstack.pop()

    @staticmethod
    def _secnum(heading):
        while heading is not None and not heading.number:
            heading = heading.parent
        return heading.number if heading is not None else ()

    # looking up ----------------------------------------------------------------------

    @classmethod
    def find(cls, *places):
        """The book whose ``_toc.yml`` is in or above the first of ``places`` that has one."""
        for place in [*places, Path.cwd()]:
            place = Path(place).resolve()
            for folder in [place, *place.parents]:
                if (folder / "_toc.yml").is_file():
                    return cls.load(folder)
        return cls()

    @classmethod
    def load(cls, root):
        """The book in folder ``root`` (read again only when one of its files changed)."""
        root = Path(root).resolve()
        files = [root / "_toc.yml", root / "_config.yml"]
        files += [f for f in root.glob("*/*.ipynb")] + [f for f in root.glob("*/*.md")]
        stamp = tuple((str(p), p.stat().st_mtime_ns) for p in sorted(files) if p.exists())
        return _load(root, stamp)

    def doc_for(self, name):
        """The docname of notebook file ``name`` (a path or a file name), or None."""
        stem = posixpath.splitext(Path(str(name).removesuffix(".txt")).as_posix())[0]
        if stem in self.docs:
            return stem
        found = [d for d in self.docs if stem.endswith("/" + d) or d.endswith("/" + stem)
                 or posixpath.basename(d) == posixpath.basename(stem)]
        exact = [d for d in found if stem.endswith("/" + d) or stem == d]
        if len(exact) == 1:
            return exact[0]
        return found[0] if len(found) == 1 else None

    def headings_in(self, doc, key):
        """The headings of one cell of ``doc``, in order."""
        if doc not in self.docs:
            return []
        return [h for h in self.docs[doc].headings if h.key == key]

    def heading_text(self, heading):
        if heading.number:
            return ".".join(map(str, heading.number)) + self.secnumber_suffix
        return ""

    def cite(self, keys, textual, where):
        if self.bib is None:
            self.bib = _bibliography(tuple(str(p) for p in getattr(self, "_bibfiles", [])))
        out = []
        for key in keys:
            if key not in self.bib:
                raise PortableError(f"{where}: {{cite}}`{key}` is not in the bibliography")
            names, year = self.bib[key]
            out.append(f"{names} \\[{year}\\]" if textual else f"{names}, {year}")
        return ", ".join(out) if textual else "\\[" + ", ".join(out) + "\\]"


@functools.lru_cache(maxsize=4)
def _load(root, stamp):
    return Book(root)


@functools.lru_cache(maxsize=4)
def _bibliography(files):
    """{key: (author text as the site prints it, year)}."""
    from pybtex.database import parse_file

    out = {}
    for file in files:
        for key, entry in parse_file(file).entries.items():
            persons = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [" ".join(str(n.render_as("text")) for n in
                             [*p.rich_prelast_names, *p.rich_last_names]) for p in persons]
            if not last:
                names = "Anonymous"
            elif len(last) == 1:
                names = last[0]
            elif len(last) == 2:
                names = f"{last[0]} and {last[1]}"
            else:
                names = f"{last[0]} *et al.*"
            out[key] = (names, entry.fields.get("year", "n.d."))
    return out


# --- converting ----------------------------------------------------------------------


class _Context:
    def __init__(self, book, doc, key, where):
        self.book, self.doc, self.key, self.where = book, doc, key, where
        self.headings = list(book.headings_in(doc, key))

    def fail(self, what):
        raise PortableError(f"{self.where}: {what}")

    def unknown(self, what):
        raise PortableError(f"{self.where}: {what}, which bpcourse.portable does not convert. "
                            f"It converts the directives "
                            f"{', '.join('{' + d + '}' for d in DIRECTIVES)} and the roles "
                            f"{', '.join('{' + r + '}' for r in ROLES)} (see its docstring); "
                            "write the text with these, or teach the converter the new one")


def convert_markdown(text, book=None, doc=None, key=None, where="Markdown"):
    """``text`` (MyST Markdown) as portable Jupyter Markdown. See the module's docstring.

    ``book`` gives the numbers (a :class:`Book`); ``doc`` and ``key`` say which
    document and cell ``text`` is, so its headings get their numbers.
    """
    context = _Context(book or Book(), doc, key, where)
    return _convert(text, context, top=True)


def _line_starts(text):
    starts, pos = [0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def _convert(text, context, top):
    book = context.book
    tokens = _parser(book.extensions).parse(text)
    starts = _line_starts(text)
    lines = text.splitlines(keepends=True)
    edits = []

    def span(token):
        a, b = token.map
        return starts[a], starts[min(b, len(lines))]

    def replace_lines(token, new_lines):
        """Replace the token's lines, keeping the container prefix (``> ``, list indent)."""
        a, b = span(token)
        first = lines[token.map[0]]
        marker = token.markup or "$$"
        at = first.find(marker) if marker else 0
        prefix = first[:max(at, 0)]
        rest = re.sub(r"[^>]", " ", prefix)
        out = []
        for i, line in enumerate(new_lines):
            lead = prefix if i == 0 else rest
            out.append((lead + line) if line else lead.rstrip())
        ending = "\n" if text[a:b].endswith("\n") else ""
        edits.append((a, b, "\n".join(out) + ending))

    for token in tokens:
        kind = token.type
        if kind in ("myst_target", "myst_line_comment", "myst_block_break"):
            a, b = span(token)
            first, after = token.map[0], min(token.map[1], len(lines))
            blank_before = first == 0 or not lines[first - 1].strip()
            if blank_before and after < len(lines) and not lines[after].strip():
                b = starts[after + 1]              # no double blank line where it was
            edits.append((a, b, ""))
        elif kind == "heading_open":
            if top and token.level == 0:
                heading = context.headings.pop(0) if context.headings else None
                number = book.heading_text(heading) if heading else ""
                if number:
                    line = lines[token.map[0]]
                    if token.markup.startswith("#"):
                        found = re.search(r"#+[ \t]*", line)
                        at = found.end()
                    else:                              # a setext heading
                        at = len(line) - len(line.lstrip(" \t>"))
                    pos = starts[token.map[0]] + at
                    edits.append((pos, pos, number))
        elif kind == "math_block_label":
            number = book.equations.get(token.info)
            if number is None:
                context.fail(f"the equation label {token.info!r} is not in the book's index")
            replace_lines(token, ["$$", *token.content.strip().split("\n"),
                                  f"\\tag{{{number}}}", "$$"])
        elif kind == "amsmath":
            if "\\label" in token.content:
                context.unknown("an amsmath environment with \\label (give the equation a "
                             "$$ ... $$ (label) instead)")
            replace_lines(token, ["$$", *token.content.strip("\n").split("\n"), "$$"])
        elif kind in ("fence", "colon_fence"):
            parts = _split_directive(token)
            if parts is not None:
                replace_lines(token, _directive(parts, context).split("\n"))
            elif kind == "colon_fence":
                context.unknown(f"a ':::' fence without a directive ({token.info!r})")
        elif kind == "inline":
            edits.extend(_inline(token, text, starts, context))
        elif kind == "heading_open" or kind in _PLAIN_BLOCKS:
            pass
        elif kind.startswith(("dl_", "dt_", "dd_")):
            context.unknown("a definition list (term, then ': definition'), which Jupyter "
                         "does not show; write a bullet list with the term in bold")
        elif kind.startswith("footnote"):
            context.unknown("a footnote, which Jupyter does not show; write it in the text")
        elif kind.startswith("substitution"):
            context.unknown(f"a substitution {{{{ {token.content.strip()} }}}}")
        else:
            context.unknown(f"the construct {kind!r} ({token.info or token.content[:40]!r})")

    out, cursor = [], 0
    for a, b, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if a < cursor:
            raise PortableError(f"{context.where}: overlapping constructs near "
                                f"{text[a:a + 40]!r}")
        out.append(text[cursor:a])
        out.append(new)
        cursor = b
    out.append(text[cursor:])
    result = "".join(out)
    return result.strip("\n") if top else result


def _find_run(text, pos, n):
    """The next run of exactly ``n`` backticks at or after ``pos``: (start, end) or None."""
    for m in re.finditer(r"`+", text[pos:]):
        if len(m.group()) == n:
            return pos + m.start(), pos + m.end()
    return None


def _inline(token, text, starts, context):
    """Edits for the roles in one inline token, found in the source in order."""
    if not any(c.type == "myst_role" for c in token.children or []) and all(
            c.type in _PLAIN_INLINE for c in token.children or []):
        return []
    if token.map is None:
        context.unknown(f"a role or construct in a place without source lines "
                        f"({token.content[:40]!r})")
    a, b = starts[token.map[0]], starts[min(token.map[1], len(starts) - 1)]
    region, cursor, edits = text[a:b], 0, []
    for child in token.children:
        if child.type == "code_inline":
            n, pos = len(child.markup), cursor
            while True:
                opening = _find_run(region, pos, n)
                closing = opening and _find_run(region, opening[1], n)
                if not closing:
                    break
                inner = region[opening[1]:closing[0]].replace("\n", " ")
                if inner.startswith(" ") and inner.endswith(" ") and inner.strip():
                    inner = inner[1:-1]
                if inner == child.content:
                    cursor = closing[1]
                    break
                pos = opening[0] + 1
        elif child.type in ("math_inline", "math_inline_double"):
            found = region.find(child.markup + child.content + child.markup, cursor)
            if found >= 0:
                cursor = found + len(child.content) + 2 * len(child.markup)
        elif child.type == "myst_role":
            name = child.meta.get("name", "")
            pattern = re.compile(r"\{" + re.escape(name) + r"\}(`+)")
            pos, located = cursor, None
            while located is None:
                m = pattern.search(region, pos)
                if not m:
                    break
                closing = _find_run(region, m.end(), len(m.group(1)))
                if closing and region[m.end():closing[0]].strip() == child.content.strip():
                    located = (m.start(), closing[1])
                else:
                    pos = m.start() + 1
            if located is None:
                context.fail(f"could not find the role {{{name}}}`{child.content}` in the "
                             "source (a role that spans lines?)")
            edits.append((a + located[0], a + located[1], _role(name, child.content, context)))
            cursor = located[1]
        elif child.type not in _PLAIN_INLINE:
            if child.type.startswith("footnote"):
                context.unknown("a footnote reference, which Jupyter does not show")
            if child.type.startswith("substitution"):
                context.unknown(f"a substitution {{{{ {child.content.strip()} }}}}")
            context.unknown(f"the inline construct {child.type!r}")
    return edits


_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)


def _role(name, content, context):
    """The text the site prints for a role, as Markdown."""
    book, content = context.book, content.strip()
    explicit = _EXPLICIT.match(content)
    text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
    if name == "eq":
        number = book.equations.get(target)
        if number is None:
            context.fail(f"{{eq}}`{target}` names no labelled equation of the book")
        return f"({number})"
    if name in ("cite", "cite:p", "cite:t"):
        keys = [k.strip() for k in content.split(",") if k.strip()]
        return book.cite(keys, name == "cite:t", context.where)
    if name == "doc":
        here = posixpath.dirname(context.doc or "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(here, target))
        path = path.removesuffix(".ipynb").removesuffix(".md")
        if text:
            return text
        if path not in book.docs and context.doc is None:   # a notebook outside the book
            path = book.doc_for(target) or path
        if path not in book.docs:
            context.fail(f"{{doc}}`{target}` names no document of the book")
        return _convert(book.docs[path].title, context, top=False).strip()
    if name in ("ref", "numref"):
        found = book.labels.get(target)
        if found is None:
            context.fail(f"{{{name}}}`{target}` names no label of the book")
        if name == "ref":
            if text:
                return text
            if not found.title:
                context.fail(f"{{ref}}`{target}` points at a {found.kind} without a title: "
                             "give it text, {ref}`text <label>`")
            return _convert(found.title, context, top=False).strip()
        if not found.number:
            context.fail(f"{{numref}}`{target}` points at something without a number")
        number = ".".join(map(str, found.number)) if isinstance(found.number, tuple) \
            else found.number
        kind = {"equation": "displaymath"}.get(found.kind, found.kind)
        template = text or book.numfig_format.get(kind, "%s")
        return template.replace("{number}", number).replace("%s", number).replace(
            "{name}", found.title)
    if name == "term":
        return text or target
    if name == "math":
        return f"${content}$"
    if name in ("sub", "sup"):
        return f"<{name}>{html.escape(content)}</{name}>"
    context.unknown(f"the role {{{name}}}")


def _summary(title, context):
    converted = _convert(title, context, top=False).strip()
    rendered = _html_inline().renderInline(converted).strip()
    return rendered


def _directive(parts, context):
    """The portable Markdown for one directive (without the container's prefix)."""
    name, argument, options, body = parts
    if name == "math":
        unknown = set(options) - _MATH_OPTIONS
        if unknown:
            context.unknown(f"the option :{sorted(unknown)[0]}: of {{math}}")
        label = options.get("label") or options.get("name")
        math = "\n".join(x for x in [argument, body] if x)
        tag = []
        if label:
            number = context.book.equations.get(label)
            if number is None:
                context.fail(f"the equation label {label!r} is not in the book's index")
            tag = [f"\\tag{{{number}}}"]
        return "\n".join(["$$", *math.split("\n"), *tag, "$$"])
    if name in ("margin", "sidebar"):     # beside the text on the site; a quote here
        unknown = set(options) - _ASIDE_OPTIONS
        if unknown:
            context.unknown(f"the option :{sorted(unknown)[0]}: of {{{name}}}")
        return _quote(argument, body, context)
    if name in ("code-block", "code"):
        unknown = set(options) - _CODE_OPTIONS
        if unknown:
            context.unknown(f"the option :{sorted(unknown)[0]}: of {{{name}}}")
        if "caption" in options:
            context.unknown(f"a {{{name}}} with a :caption: (the site numbers it)")
        fence = "`" * max(3, *(len(r) + 1 for r in re.findall(r"`+", body)))
        return "\n".join([fence + argument, *body.split("\n"), fence])
    if name == "dropdown":
        unknown = set(options) - _DROPDOWN_OPTIONS
        if unknown:
            context.unknown(f"the option :{sorted(unknown)[0]}: of {{dropdown}}")
        return _details(argument, body, "open" in options, context)
    if name == "admonition" or name in ADMONITIONS:
        unknown = set(options) - _ADMONITION_OPTIONS
        if unknown:
            context.unknown(f"the option :{sorted(unknown)[0]}: of {{{name}}}")
        if name == "admonition":
            if not argument:
                context.fail("an {admonition} without a title")
            title = argument
        else:                   # {note} takes no title: its first line is its text
            title, body = ADMONITIONS[name], "\n".join(x for x in [argument, body] if x)
        classes = set(re.split(r"[\s,]+", options.get("class", "").strip())) - {""}
        if "dropdown" in classes:
            return _details(title, body, bool(classes & {"toggle-shown"}), context)
        return _quote(title, body, context)
    context.unknown(f"the directive {{{name}}}")


def _quote(title, body, context):
    """A block quote: the title in bold, then the body."""
    inner = _convert(body, context, top=False).strip("\n")
    quoted = [f"**{_convert(title, context, top=False).strip()}**", ""] if title else []
    quoted += inner.split("\n") if inner else []
    return "\n".join(("> " + line) if line else ">" for line in quoted)


def _details(title, body, is_open, context):
    summary = _summary(title, context) if title else "Details"
    inner = _convert(body, context, top=False).strip("\n")
    return "\n".join([f"<details{' open' if is_open else ''}>",
                      f"<summary>{summary}</summary>", "", inner, "", "</details>"])


# --- notebooks -----------------------------------------------------------------------


def portable_notebook(nb, book=None, name="notebook"):
    """Convert every Markdown cell of ``nb`` in place (see the module docstring); returns nb.

    ``name`` (the notebook's file name or path) finds it in ``book``, whose
    numbers its headings, equations and figures get. A notebook the book
    does not list is converted alone: nothing numbered, references to the
    book's labels still resolved. A notebook converted once is left alone.
    """
    import nbformat

    meta = nb.metadata.setdefault("bpcourse", {})
    if meta.get(PORTABLE_KEY):
        return nb
    book = book if book is not None else Book()
    doc = book.doc_for(name)
    cells = []
    for index, cell in enumerate(nb.cells):
        key = _cell_key(cell, index)
        where = f"{name}, cell {index + 1}" + (f" (id {cell.get('id')})" if cell.get("id") else "")
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, book, doc, key, where)
        cells.append(cell)
        number = book.figures.get((doc, key))
        if cell.cell_type == "code" and number is not None:
            caption = cell.metadata["mystnb"]["figure"]["caption"]
            caption = convert_markdown(caption, book, doc, None, where + ", figure caption")
            label = book.numfig_format["figure"].replace("%s", number)
            new = nbformat.v4.new_markdown_cell(f"**{label}** {caption}")
            new.id = (str(cell.get("id") or index) + "-caption")[-64:]
            cells.append(new)
    nb.cells = cells
    meta[PORTABLE_KEY] = True
    return nb

