"""Our Sphinx extension: what turns a folder of MyST articles into 深度学习知识库.

One private module per concern, as sphinxext-opengraph does:

* ``search``     – Chinese search: rjieba at build time, query segmentation in the browser,
                   result snippets from light text copies of the pages;
* ``diagrams``   – every Mermaid diagram parsed at build time: a syntax error fails the build;
* ``assets``     – Mermaid served from the site itself, only where a page has a diagram;
                   images below an article's opening loaded lazily;
* ``mathrender`` – math rendered to SVG at build time (MathJax in Node), no script in the page;
* ``codeblocks`` – the ``{no-run}`` directive for examples the test suite cannot execute, and
                   each block's size, so that the browser can skip it while it is off screen;
* ``plots``      – matplotlib's ``{plot}`` directive working in Markdown pages;
* ``metadata``   – the front matter schema, its checks, excerpts and cross-article links;
* ``navigation`` – date, tags and 相关文章 on articles; listings on the home and category pages;
* ``navtree``    – furo's sidebar tree rendered once per folder, not once per page;
* ``feed``       – the 最近更新 pages, the tags page and the Atom feed;
* ``checks``     – the gate: unclosed blocks, stray pages, unsafe content, clear reference errors;
* ``sanitize``   – raw HTML parsed and allow-listed, URL and text checks (content is untrusted);
* ``fileinsertion`` – include, literalinclude, csv-table and raw read only the content folders;
* ``outputs``    – sitemap, deleted pages and sidebars right on warm builds; redirects for moved articles;
* ``forking``    – cheaper worker processes for ``-j N`` builds;
* ``diagram_render`` – Mermaid drawn at build time in headless Chromium, as light/dark SVG images;
* ``interface``  – furo's hard-coded English labels in Chinese;
* ``typography`` – Chinese lines joined without a stray space (``punctuation``: the full-width lint).
* ``history``    – 贡献者 and 更新历史 on articles, from ``git log`` and the ``updates`` notes;
* ``feedback``   – 报告勘误 / 参与讨论: the article-error issue template, prefilled;
* ``buildlog``   – a quiet build log that ends with the article count and the site's path;
* ``livebuild``  – ``make livehtml`` shows a failed build's problems over the page;
* ``notebooks``  – 下载 Notebook: each article's runnable code as a ``.ipynb``, written at build time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from . import (assets, buildlog, checks, codeblocks, diagrams, feed, feedback, fileinsertion, forking, history,
               interface, livebuild, mathrender, metadata, navigation, navtree, notebooks, outputs, plots, search,
               typography)

__version__ = "0.1.0"


_TEMPLATES = str(Path(__file__).parent / "templates")


def _add_templates(app: Sphinx, config) -> None:
    if _TEMPLATES not in config.templates_path:
        config.templates_path.append(_TEMPLATES)
    sidebars = config.html_sidebars or {}
    if not sidebars:
        config.html_sidebars = {"**": [
            "sidebar/brand.html", "sidebar/kb-search.html", "sidebar/scroll-start.html",
            "sidebar/navigation.html", "sidebar/kb-links.html", "sidebar/scroll-end.html"]}


def setup(app: Sphinx) -> dict[str, Any]:
    search.setup(app)
    assets.setup(app)
    diagrams.setup(app)
    mathrender.setup(app)
    codeblocks.setup(app)
    plots.setup(app)
    metadata.setup(app)
    navigation.setup(app)
    navtree.setup(app)
    feed.setup(app)
    checks.setup(app)
    fileinsertion.setup(app)
    outputs.setup(app)
    forking.setup(app)
    typography.setup(app)
    interface.setup(app)
    history.setup(app)
    feedback.setup(app)
    buildlog.setup(app)
    livebuild.setup(app)
    notebooks.setup(app)
    app.connect("config-inited", _add_templates)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
