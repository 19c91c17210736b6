"""Mermaid served from the site itself, fetched only when a page's diagram comes into view;
images after an article's opening loaded as the reader nears them.

It comes from the npm package pinned in ``package.json`` / ``package-lock.json`` and
installed into ``node_modules`` by ``make html`` (``npm ci``). We copy the files a page
needs into ``_static/vendor`` (no source maps), skipping files that are already in place so
a warm rebuild copies nothing. (Math needs no script at all: see ``mathrender``.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR_DIR = "vendor"

# package -> (folder inside node_modules, glob patterns of the files to serve)
BUNDLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "mermaid": ("mermaid/dist", ("mermaid.esm.min.mjs", "chunks/mermaid.esm.min/*.mjs")),
}
MERMAID_ENTRY = f"{VENDOR_DIR}/mermaid/mermaid.esm.min.mjs"
MERMAID_LOADER = "kb-mermaid.js"
# Our own scripts that pages load, served from _static as they are.
SITE_FILES = str(Path(__file__).parent / "static" / "site")


def node_modules_dir(app: Sphinx) -> Path:
    return Path(app.config.kb_node_modules or Path(app.confdir) / "node_modules")


def vendor_files(app: Sphinx) -> list[tuple[Path, str]]:
    """(source file, path under _static) for every file we serve."""
    root = node_modules_dir(app)
    files = []
    for name, (folder, patterns) in BUNDLES.items():
        base = root / folder
        if not base.is_dir():
            raise ExtensionError(
                f"sphinx_kb: {base} is missing. The site serves Mermaid itself from an npm "
                "package: run `npm ci` in the repository root (`make html` does it for you)."
            )
        for pattern in patterns:
            matches = sorted(base.glob(pattern))
            if not matches:
                raise ExtensionError(f"sphinx_kb: no file matches {folder}/{pattern} in {root}; "
                                     "is package-lock.json installed (`npm ci`)?")
            files += [(m, f"{VENDOR_DIR}/{name}/{m.relative_to(base).as_posix()}") for m in matches]
    return files


def _configure(app: Sphinx, config) -> None:
    config.mermaid_use_local = MERMAID_ENTRY


def _check_installed(app: Sphinx) -> None:
    if app.builder.name in ("html", "dirhtml"):
        app.env.kb_vendor_count = len(vendor_files(app))  # fails early with a clear message


def _copy_vendor_files(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name not in ("html", "dirhtml"):
        return
    static = Path(app.outdir) / "_static"
    copied = 0
    for source, relative in vendor_files(app):
        target = static / relative
        stat = source.stat()
        if target.exists() and target.stat().st_size == stat.st_size and target.stat().st_mtime >= stat.st_mtime:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied += 1
    logger.info("sphinx_kb: %d vendored asset file(s) copied", copied)


def _mermaid_only_where_used(app: Sphinx) -> None:
    """Replace sphinxcontrib-mermaid's page script (it imports all of Mermaid as the page
    loads, on search and genindex too) by our loader, ``static/site/kb-mermaid.js``, and only
    on pages that hold a diagram: it fetches Mermaid when a diagram comes near the viewport."""
    from sphinxcontrib.mermaid import install_js, mermaid

    for listener in list(app.events.listeners.get("html-page-context", [])):
        if listener.handler is install_js:
            app.disconnect(listener.id)

    def install_where_used(app, pagename, templatename, context, doctree):
        if doctree is not None and doctree.next_node(mermaid) is not None:
            app.add_js_file(MERMAID_LOADER, loading_method="defer")

    app.connect("html-page-context", install_where_used)


# Files other extensions add to every page that only a page with code blocks or plots uses:
# on the home, category, search and glossary pages they were a fifth of what loads before the
# first paint. (The instant search, the feed links and our own scripts need none of them.)
CODE_ONLY_FILES = {"copybutton.js", "clipboard.min.js", "copybutton.css", "pygments.css"}
PLOT_ONLY_FILES = {"plot_directive.css"}


def _basename(asset) -> str:
    return str(getattr(asset, "filename", asset) or "").rsplit("/", 1)[-1].split("?", 1)[0]


def _code_assets_only_where_used(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Sphinx resets the page's asset lists after each page, so removing from them here
    affects this page only."""
    unused = set()
    if doctree is None or doctree.next_node(nodes.literal_block) is None:
        unused |= CODE_ONLY_FILES
    if doctree is None or doctree.next_node(
            lambda node: isinstance(node, nodes.image) and "plot-directive" in node.get("classes", ())) is None:
        unused |= PLOT_ONLY_FILES
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if isinstance(assets, list):
            assets[:] = [asset for asset in assets if _basename(asset) not in unused]


def _lazy_images(app: Sphinx, doctree: nodes.document) -> None:
    """``loading="lazy"`` on every image below the page's opening (inside a subsection),
    unless its author set ``:loading:``. On a phone a plot far down the page (often 200 KB)
    otherwise loads with the page and takes the bandwidth the text and styles need: on the
    Transformer article it held back the first paint of the opening paragraph."""
    if app.builder.name not in ("html", "dirhtml"):
        return  # EPUB readers have the whole book locally; `loading` is not EPUB markup
    for image in doctree.findall(nodes.image):
        if "loading" not in image and below_opening(image):
            image["loading"] = "lazy"


def below_opening(node: nodes.Node) -> bool:
    """Inside a subsection, i.e. not in the page's opening (the H1 section's own text)."""
    sections, parent = 0, node.parent
    while parent is not None:
        sections += isinstance(parent, nodes.section)
        parent = parent.parent
    return sections >= 2


def _serve_site_files(app: Sphinx, config) -> None:
    if SITE_FILES not in config.html_static_path:
        config.html_static_path.append(SITE_FILES)


def setup(app: Sphinx) -> None:
    app.setup_extension("sphinxcontrib.mermaid")
    app.add_config_value("kb_node_modules", "", "env", types=[str])
    app.connect("config-inited", _configure)
    app.connect("config-inited", _serve_site_files)
    app.connect("builder-inited", _check_installed)
    app.connect("build-finished", _copy_vendor_files)
    app.connect("doctree-read", _lazy_images)
    app.connect("html-page-context", _code_assets_only_where_used, priority=900)
    app.add_js_file("kb-page.js", loading_method="defer")  # copy TeX, enlarge figures
    _mermaid_only_where_used(app)
