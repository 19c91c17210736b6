"""Mermaid diagrams are parsed while the site builds: a syntax error fails ``make html``.

Mermaid draws in the reader's browser, where a syntax error becomes a red "Syntax error in
text" box that no build noticed. Every diagram of every page (nested in admonitions or
tabs too) is parsed with the pinned Mermaid package in Node (``static/parse_mermaid.mjs``)
once the pages are read; a failure is an error at the page's file and line. Parse results
are cached by the diagram's text (``kb_diagram_cache``), and a page's errors are repeated on
warm builds until the page is fixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from . import diagram_render
from .checks import line_of

logger = logging.getLogger(__name__)
_SCRIPT = Path(__file__).parent / "static" / "parse_mermaid.mjs"


def _code_lines(app: Sphinx, doctree: nodes.document) -> list[tuple[int, str]]:
    """(file line of the diagram's first line, source) of each diagram: the nodes carry no line
    of their own inside admonitions, so each diagram is found in the page's source, in order."""
    diagrams = list(doctree.findall(lambda n: n.tagname == "mermaid"))
    if not diagrams:
        return []  # most pages: no second read of the source
    try:
        text = app.env.doc2path(app.env.docname).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = ""
    found, position = [], 0
    for node in diagrams:
        code = node.get("code", "")
        first = code.strip().splitlines()[0] if code.strip() else ""
        at = text.find(first, position) if first else -1
        if at < 0:
            found.append((line_of(node), code))
            continue
        position = at + len(first)
        found.append((text.count("\n", 0, at) + 1, code))
    return found


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    found = _code_lines(app, doctree)
    diagrams = app.env.__dict__.setdefault("kb_diagrams", {})
    if found:
        diagrams[app.env.docname] = found
    else:
        diagrams.pop(app.env.docname, None)
    app.env.__dict__.setdefault("kb_diagrams_read", set()).add(app.env.docname)


def _merge(app: Sphinx, env, docnames, other) -> None:
    mine = env.__dict__.setdefault("kb_diagrams", {})
    for docname in docnames:
        if docname in getattr(other, "kb_diagrams", {}):
            mine[docname] = other.kb_diagrams[docname]
    env.__dict__.setdefault("kb_diagrams_read", set()).update(getattr(other, "kb_diagrams_read", set()))


def _locate(first_line: int, message: str) -> tuple[int, str]:
    """Mermaid counts lines from its own start, with one line before the diagram's first."""
    match = re.match(r"Parse error on line (\d+):\s*", message)
    if not match:
        return first_line, message
    return first_line + max(int(match.group(1)) - 2, 0), message[match.end():]


def _purge(app: Sphinx, env, docname: str) -> None:
    for name in ("kb_diagrams", "kb_diagram_problems"):
        getattr(env, name, {}).pop(docname, None)


def _cache_path(app: Sphinx) -> Path:
    return Path(app.config.kb_diagram_cache or Path(app.doctreedir) / "kb-mermaid-cache.json")


def _key(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def parse(sources: list[str], node_modules: Path) -> list[str | None]:
    """Mermaid's verdict on each diagram: None, or the parse error."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("`node` is not installed")
    proc = subprocess.run([node, str(_SCRIPT)], input=json.dumps(sources), capture_output=True, text=True,
                          encoding="utf-8", env={"KB_NODE_MODULES": str(node_modules),
                                                 "PATH": str(Path(node).parent)}, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-500:])
    return json.loads(proc.stdout)


def _check(app: Sphinx, env) -> list[str]:
    if app.builder.format != "html" and app.builder.name != "epub":
        return []
    from .assets import node_modules_dir

    read = env.__dict__.pop("kb_diagrams_read", set())
    diagrams = getattr(env, "kb_diagrams", {})
    problems = env.__dict__.setdefault("kb_diagram_problems", {})
    pending = {docname: diagrams.get(docname, []) for docname in read}
    path = _cache_path(app)
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    unknown = sorted({code for found in pending.values() for _line, code in found if _key(code) not in cache})
    if unknown:
        try:
            verdicts = parse(unknown, node_modules_dir(app))
        except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as err:
            logger.error(f"sphinx_kb: Mermaid diagrams could not be checked ({err}); run `npm ci` "
                         "(`make html` does it for you)", type="kb", subtype="diagram")
            return []
        cache.update({_key(code): verdict for code, verdict in zip(unknown, verdicts)})
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(cache, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)  # builds sharing a cache never read half a file
    _draw(app, {code for found in diagrams.values() for _line, code in found if not cache.get(_key(code))})
    for docname, found in pending.items():
        problems[docname] = [_locate(line, cache[_key(code)]) for line, code in found if cache.get(_key(code))]
        if not problems[docname]:
            del problems[docname]
    for docname, found in sorted(problems.items()):
        if docname not in env.found_docs:
            continue
        for line, message in found:
            logger.error(f"Mermaid syntax error: {message}. Check the diagram's syntax "
                         "(https://mermaid.js.org/intro/syntax-reference.html); labels with brackets or "
                         'quotes need "double quotes"', location=(docname, line), type="kb", subtype="diagram")
    return []


def _drawings(app: Sphinx) -> Path:
    return _cache_path(app).with_suffix(".svg")


def _drawable(code: str) -> bool:
    return not re.search(r"^\s*click\s", code, re.M)  # an image's links cannot be followed


def _draw(app: Sphinx, codes: set[str]) -> None:
    """Draw the diagrams that have no drawing yet (see ``diagram_render``)."""
    from .assets import node_modules_dir

    folder = _drawings(app)
    node_modules = node_modules_dir(app)
    missing = sorted((key, code) for code in codes if _drawable(code)
                     if not (folder / f"{(key := diagram_render.render_key(code, node_modules))}.json").is_file())
    if not missing or getattr(app, "_kb_no_browser", False):
        return
    try:
        drawn = diagram_render.render(missing, node_modules)
    except (RuntimeError, OSError) as err:
        app._kb_no_browser = True
        logger.info(f"sphinx_kb: diagrams are drawn in the reader's browser: no Chromium to draw them at build "
                    f"time ({err}); `make html` installs Debian's chromium")
        return
    folder.mkdir(parents=True, exist_ok=True)
    for key, entry in drawn.items():
        if "error" in entry:
            logger.error(f"sphinx_kb: a Mermaid diagram could not be drawn: {entry['error']}", type="kb",
                         subtype="diagram")
            continue
        temporary = folder / f"{key}.json.{os.getpid()}"
        temporary.write_text(json.dumps(entry, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(temporary, folder / f"{key}.json")
    logger.info("sphinx_kb: %d Mermaid diagram(s) drawn at build time", len(drawn))


def _use_drawings(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Each diagram with a drawing becomes its <img> pair; its SVG files go to _images/."""
    if app.builder.format != "html":
        return
    from sphinx.util.osutil import relative_uri
    from sphinxcontrib.mermaid import mermaid

    from .assets import below_opening, node_modules_dir

    folder, node_modules = _drawings(app), node_modules_dir(app)
    images = Path(app.outdir) / "_images"
    epub = app.builder.name == "epub"
    uri = relative_uri(app.builder.get_target_uri(docname), "_images/").rstrip("/") or "_images"
    for node in list(doctree.findall(mermaid)):
        key = diagram_render.render_key(node.get("code", ""), node_modules)
        try:
            entry = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not drawn (no browser, or a click link): the browser draws it
        images.mkdir(parents=True, exist_ok=True)
        for variant in diagram_render.THEMES:
            target = images / f"kb-diagram-{key}-{variant}.svg"
            if not target.is_file():
                temporary = target.with_name(f"{target.name}.{os.getpid()}")
                temporary.write_text(entry[variant], encoding="utf-8")
                os.replace(temporary, target)
        html = diagram_render.image_html(key, entry, uri, epub=epub, lazy=below_opening(node))
        node.replace_self(nodes.raw("", html, format="html"))


def setup(app: Sphinx) -> None:
    app.connect("doctree-resolved", _use_drawings)
    app.add_config_value("kb_diagram_cache", "", "", str)
    app.connect("doctree-read", _collect)
    app.connect("env-merge-info", _merge)
    app.connect("env-purge-doc", _purge)
    app.connect("env-get-updated", _check)
