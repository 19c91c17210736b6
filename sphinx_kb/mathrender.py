"""Math rendered at build time: SVG with assistive MathML, no MathJax script in the page.

Client-side MathJax cost readers about 440 ms of script on a phone and shifted the layout
as formulas appeared; EPUB readers do not run it at all. We run MathJax once, in Node, while
the site builds (``static/render_math.cjs``, the ``mathjax-full`` npm package pinned in
``package-lock.json``) and write its SVG into the pages. Screen readers get the MathML that
MathJax puts next to each SVG. Rendered formulas are cached in the doctree folder, so a warm
rebuild renders only what changed.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import re
import shutil
import subprocess
import threading
from html import escape
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)

RENDERER = "kb_svg"
CSS_FILE = "kb-math.css"
_SCRIPT = Path(__file__).parent / "static" / "render_math.cjs"
_CACHE_FILE = "kb-math-cache.json"
# The cache is valid for one renderer: a rendering depends only on its TeX, the script and
# MathJax's version (no TeX state carries from one formula to the next, see render_math.cjs),
# so an entry can never outlive a change to what produced it.
_CACHE_FORMAT = 3
# A formula points at glyphs by id (<use xlink:href="#MJX-TEX-I-1D465">). Every glyph a page
# uses is defined once on the page, under our own prefix, before its first formula.
_GLYPH_REF = re.compile(r'href="#MJX-(TEX-[^"]+)"')
_GLYPH_USE = re.compile(r'href="#kb-(TEX-[^"]+)"')
# MathJax's bookkeeping attributes; only the node kinds its stylesheet selects on are kept.
_BOOKKEEPING = re.compile(r' data-c="[^"]*"| data-mml-node="(?!mtable"|merror"|maction")[^"]*"')


def _clean(html: str) -> str:
    return _GLYPH_REF.sub(r'href="#kb-\1"', _BOOKKEEPING.sub("", html))


def _glyph_defs(names, glyphs: dict[str, str], prefix: str = "kb-") -> str:
    return "".join(f'<path id="{prefix}{name}" d="{relative_path(glyphs[name])}"></path>' for name in names)


# MathJax writes its glyph outlines with absolute coordinates (M137 683Q138 683 209 688...). The
# same outline with each point relative to the one before has short numbers: the glyph
# definitions of a math-heavy page shrink by a quarter after gzip (26 -> 20 KB on transformer).
_PATH_TOKEN = re.compile(r"[MLHVQTCSZ]|-?\d+")
_PATH_ARGS = {"M": 2, "L": 2, "T": 2, "Q": 4, "S": 4, "C": 6, "H": 1, "V": 1, "Z": 0}


@functools.lru_cache(maxsize=None)
def relative_path(d: str) -> str:
    """``d`` in relative commands, drawing the same outline exactly (integer coordinates).
    Anything else (decimals, arcs, relative input) is returned as it is."""
    tokens = _PATH_TOKEN.findall(d)
    if "".join(tokens) != re.sub(r"[\s,]+", "", d) or not tokens or tokens[0] != "M":
        return d
    out, x, y, start, command, i = [], 0, 0, (0, 0), "", 0
    while i < len(tokens):
        if tokens[i] in _PATH_ARGS:
            command, i = tokens[i], i + 1
        elif command == "M":
            command = "L"  # coordinate pairs after a moveto are lines
        elif command in ("Z", ""):
            return d
        count = _PATH_ARGS[command]
        args = [int(a) for a in tokens[i:i + count]]
        if len(args) != count or any(a in _PATH_ARGS for a in tokens[i:i + count]):
            return d
        i += count
        if command == "Z":
            out.append("z")
            x, y = start
        elif command == "H":
            out.append(f"h{args[0] - x}")
            x = args[0]
        elif command == "V":
            out.append(f"v{args[0] - y}")
            y = args[0]
        else:
            numbers = [a - (y if k % 2 else x) for k, a in enumerate(args)]
            out.append(command.lower() + " ".join(map(str, numbers)).replace(" -", "-"))
            x, y = args[-2], args[-1]
            if command == "M":
                start = (x, y)
    return "".join(out)


class MathJaxProcess:
    """One Node process per build; formulas go in batches, one page at a time."""

    def __init__(self, node_modules: Path):
        node = shutil.which("node")
        if node is None:
            raise ExtensionError("sphinx_kb: `node` is not installed; the build renders math with MathJax in "
                                 "Node.js: install Node.js 20 (see README.md)")
        if not (node_modules / "mathjax-full").is_dir():
            raise ExtensionError(f"sphinx_kb: {node_modules / 'mathjax-full'} is missing: run `npm ci` "
                                 "(`make html` does it for you)")
        self.proc = subprocess.Popen([node, str(_SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8", env={"KB_NODE_MODULES": str(node_modules),
                                                                       "PATH": str(Path(node).parent)})
        self.css = json.loads(self.proc.stdout.readline())["css"]

    def render(self, items: list[tuple[str, bool]]) -> tuple[list[tuple[str | None, str | None]], dict[str, str]]:
        """(html, error) for each formula, and the paths of glyphs not sent before."""
        self.proc.stdin.write(json.dumps({"items": items}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        glyphs = {name.removeprefix("MJX-"): d for name, d in reply["glyphs"].items()}
        return list(zip(reply["html"], reply["errors"])), glyphs

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _tex(node: nodes.Element) -> tuple[str, bool]:
    if isinstance(node, nodes.math):
        return node.astext(), False
    text = node.astext()
    parts = [p for p in text.split("\n\n") if p.strip()]
    if not node.get("nowrap") and len(parts) > 1:  # as Sphinx's MathJax writer does
        text = "\\begin{aligned}" + "\\\\".join(parts) + "\\end{aligned}"
    return text, True


def _key(tex: str, display: bool) -> str:
    return f"{int(display)}:{tex}"


class _State:
    """Per build: the Node process (started on the first formula), the cache, and the
    formulas MathJax is rendering in the background."""

    BATCH = 200

    def __init__(self, app: Sphinx):
        self.app = app
        self.path = Path(app.doctreedir) / _CACHE_FILE
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        if saved.get("format") != _CACHE_FORMAT or saved.get("renderer") != _renderer_id(app):
            saved = {}
        self.cache: dict[str, str] = saved.get("formulas", {})  # key -> cleaned html
        self.glyphs: dict[str, str] = saved.get("glyphs", {})  # glyph name -> path
        self.added = False
        self.process: MathJaxProcess | None = None
        self.css: str | None = saved.get("css")
        self.errors: dict[str, str] = {}
        self.pending: set[str] = set()
        self.ready = threading.Condition()  # guards cache, errors and pending
        self.talking = threading.Lock()  # one conversation with Node at a time
        self.thread: threading.Thread | None = None
        self.queue: queue.Queue[list[tuple[str, bool]] | None] = queue.Queue()
        self.pid = os.getpid()  # forked read workers only record formulas; see _collect

    def mathjax(self) -> MathJaxProcess:
        if self.process is None:
            from .assets import node_modules_dir

            self.process = MathJaxProcess(node_modules_dir(self.app))
            self.css = self.process.css
            self.added = True
        return self.process

    def _render(self, items: list[tuple[str, bool]]) -> None:
        with self.talking:
            results, glyphs = self.mathjax().render(items)
        cleaned = [_clean(html) if html is not None else None for html, _error in results]
        with self.ready:
            self.glyphs.update(glyphs)
            for (tex, display), html, (_html, error) in zip(items, cleaned, results):
                key = _key(tex, display)
                if error is None:
                    self.cache[key] = html
                    self.added = True
                else:
                    self.errors[key] = error
                self.pending.discard(key)
            self.ready.notify_all()

    def submit(self, items: set[tuple[str, bool]]) -> None:
        """Queue formulas for the background renderer (main process only): Node renders them
        on another core while Sphinx goes on reading, indexing and writing."""
        if self.thread is not None and not self.thread.is_alive():
            return  # the renderer stopped on an error: pages render what they need themselves
        with self.ready:
            missing = sorted(item for item in items if _key(*item) not in self.cache
                             and _key(*item) not in self.pending and _key(*item) not in self.errors)
            if not missing:
                return
            self.pending.update(_key(*item) for item in missing)
        self.mathjax()  # started here, so a missing Node or package is reported at once
        if self.thread is None:
            self.thread = threading.Thread(target=self._render_queue, name="kb-mathjax", daemon=True)
            self.thread.start()
        for start in range(0, len(missing), self.BATCH):
            self.queue.put(missing[start:start + self.BATCH])

    def _render_queue(self) -> None:
        try:
            while (batch := self.queue.get()) is not None:
                self._render(batch)
        finally:  # on failure the pages render what they need themselves
            with self.ready:
                self.pending.clear()
                self.ready.notify_all()

    def get(self, items: list[tuple[str, bool]]) -> list[tuple[str | None, str | None]]:
        """(html, error) for each formula, waiting for the background renderer if needed."""
        keys = [_key(*item) for item in items]
        with self.ready:
            self.ready.wait_for(lambda: self.pending.isdisjoint(keys))
            missing = sorted({item for item, key in zip(items, keys)
                              if key not in self.cache and key not in self.errors})
        if missing:
            self._render(missing)
        return [(self.cache.get(key), self.errors.get(key)) for key in keys]

    def save(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        if self.process is not None:
            self.process.close()
        if self.added:
            saved = {"format": _CACHE_FORMAT, "renderer": _renderer_id(self.app), "css": self.css,
                     "glyphs": self.glyphs, "formulas": self.cache}
            self.path.write_text(json.dumps(saved, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def _renderer_id(app: Sphinx) -> str:
    """The script's and MathJax's identity, which every cached rendering depends on."""
    import hashlib

    from .assets import node_modules_dir

    digest = hashlib.sha256(_SCRIPT.read_bytes())
    try:
        digest.update((node_modules_dir(app) / "mathjax-full" / "package.json").read_bytes())
    except OSError:
        pass
    return digest.hexdigest()[:16]


def _state(app: Sphinx) -> _State:
    if not hasattr(app, "_kb_math"):
        app._kb_math = _State(app)
    return app._kb_math


def _math_nodes(doctree: nodes.Node) -> list[nodes.Element]:
    return list(doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))))


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    """As each page is read, queue its formulas for rendering at once. A page read by a
    forked worker (-j N) carries them back in its environment, and they are queued when the
    main process merges it; they are not kept there, so the environment each later worker
    is forked with and sends back stays small."""
    if not _uses_our_renderer(app):
        return
    formulas = {_tex(node) for node in _math_nodes(doctree)}
    if not formulas:
        return
    state = _state(app)
    if state.pid == os.getpid():
        state.submit(formulas)
    else:
        app.env.kb_math_formulas = getattr(app.env, "kb_math_formulas", set()) | formulas


def _merge(app: Sphinx, env, docnames, other) -> None:
    formulas = getattr(other, "kb_math_formulas", None)
    if formulas and _uses_our_renderer(app):
        _state(app).submit(formulas)


def _create_state(app: Sphinx) -> None:
    if _uses_our_renderer(app):
        _state(app)  # in the main process, before any read worker is forked


def _render_page(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not _uses_our_renderer(app):
        return
    math_nodes = _math_nodes(doctree)
    if not math_nodes:
        return
    state = _state(app)
    wanted = [_tex(n) for n in math_nodes]
    reported = set()
    for node, (tex, display), (html, error) in zip(math_nodes, wanted, state.get(wanted)):
        if error is not None:
            if (tex, display) not in reported:
                reported.add((tex, display))
                logger.error(f"TeX error in this formula: {error}. Check the braces and commands of "
                             f"${tex.strip()[:60]}$", location=node, type="kb", subtype="math")
            node.children = [nodes.Text(_FAILED)]  # nor indexed for search
    # Section titles also reach the page's table of contents, which Sphinx renders from its
    # own copy of them: those formulas carry their own glyphs, under ids unique to the page.
    toc_math = _math_nodes(app.env.tocs[docname]) if docname in app.env.tocs else []
    for index, (node, (html, _error)) in enumerate(zip(toc_math, state.get([_tex(n) for n in toc_math]))):
        node["kb_html"] = _self_contained(html, state.glyphs, f"MJX-toc{index}-") if html else None

    used: dict[str, None] = {}  # glyph names in order of first use
    for node, (tex, display) in zip(math_nodes, wanted):
        html = state.cache.get(_key(tex, display))
        node["kb_html"] = html
        if html:
            used.update(dict.fromkeys(_GLYPH_USE.findall(html)))
    # Every glyph the page uses is defined once, in a hidden SVG before the first formula,
    # as MathJax's own "global" font cache does in a browser; this cuts a math-heavy page's
    # weight by about two thirds. The ids are the glyph names, the same on every page.
    first = next((n for n in math_nodes if n["kb_html"]), None)
    if first is not None:
        first["kb_html"] = ('<svg xmlns="http://www.w3.org/2000/svg" style="display: none;" aria-hidden="true" '
                            f'focusable="false"><defs>{_glyph_defs(used, state.glyphs)}</defs></svg>') + first["kb_html"]


def _self_contained(html: str, glyphs: dict[str, str], prefix: str) -> str:
    """The formula with its glyphs defined inside its own SVG, under ``prefix``."""
    names = dict.fromkeys(_GLYPH_USE.findall(html))
    html = html.replace('href="#kb-', f'href="#{prefix}')
    start = html.index("<svg")
    end = html.index(">", start) + 1
    return f"{html[:end]}<defs>{_glyph_defs(names, glyphs, prefix)}</defs>{html[end:]}"


_FAILED = "[公式有误，未能显示：见构建日志]"


def _visit_math(self, node: nodes.math) -> None:
    html = node.get("kb_html")
    if html is None:  # a TeX error, already reported with the formula: its source is not published
        self.body.append(self.starttag(node, "span", "", CLASS="kb-math-error") + _FAILED + "</span>")
    else:
        self.body.append(html)
    raise nodes.SkipNode


def _visit_displaymath(self, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    html = node.get("kb_html")
    self.body.append(html if html is not None else f'<p class="kb-math-error">{_FAILED}</p>')
    if html is not None and self.builder.name != "epub":  # readers copy the TeX (kb-page.js)
        tex = escape(node.astext().strip(), quote=True)
        self.body.append(f'<button type="button" class="kb-copy-tex" data-tex="{tex}" '
                         'aria-label="复制这个公式的 TeX 源码">TeX</button>')
    self.body.append("</div>\n")
    raise nodes.SkipNode


def _uses_our_renderer(app: Sphinx) -> bool:
    return app.builder.format == "html" and app.config.html_math_renderer == RENDERER


def _configure(app: Sphinx, config) -> None:
    if not config.html_math_renderer:
        config.html_math_renderer = RENDERER


def _css_on_math_pages(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if doctree is not None and _uses_our_renderer(app) and doctree.next_node(
            lambda n: isinstance(n, (nodes.math, nodes.math_block))) is not None:
        app.add_css_file(CSS_FILE)


def _finish(app: Sphinx, exception: Exception | None) -> None:
    if not hasattr(app, "_kb_math"):
        return
    state = app._kb_math
    if exception is None and state.css is not None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / CSS_FILE
        css = "/* MathJax SVG output: generated at build time */\n" + state.css + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != css:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(css, encoding="utf-8")
    state.save()


def setup(app: Sphinx) -> None:
    app.add_html_math_renderer(RENDERER, (_visit_math, None), (_visit_displaymath, None))
    app.connect("config-inited", _configure)
    app.connect("doctree-read", _collect)
    app.connect("env-merge-info", _merge)
    app.connect("builder-inited", _create_state)
    app.connect("doctree-resolved", _render_page)
    app.connect("html-page-context", _css_on_math_pages)
    app.connect("build-finished", _finish)
