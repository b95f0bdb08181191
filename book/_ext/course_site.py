"""Small Sphinx fixes the course's site needs, loaded from _config.yml.

- Each page gets every script once. With the versions pinned here,
  sphinx-thebe registers its inline configuration twice, and the second
  ``const THEBE_JS_URL`` is a JavaScript error on every page.
- The theme starts in light mode unless the reader chose otherwise: with no
  default, pydata-sphinx-theme logs "Got invalid theme mode" on every page,
  and the figures are drawn for a light background.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # The same inline script is registered once with filename None, once with "".
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _light_by_default(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):
        context["default_mode"] = "light"


def setup(app):
    app.connect("html-page-context", _light_by_default)
    app.connect("html-page-context", _dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
