"""Our Sphinx extension: what turns a folder of MyST articles into 深度学习知识库.

One private module per concern, as sphinxext-opengraph does:

* ``search``     – Chinese search: jieba at build time, query segmentation in the browser;
* ``assets``     – MathJax and Mermaid served from the site itself, only where a page uses them;
* ``codeblocks`` – the ``{no-run}`` directive for examples the test suite cannot execute;
* ``plots``      – matplotlib's ``{plot}`` directive working in Markdown pages;
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from . import assets, codeblocks, plots, search

__version__ = "0.1.0"


def setup(app: Sphinx) -> dict[str, Any]:
    search.setup(app)
    assets.setup(app)
    codeblocks.setup(app)
    plots.setup(app)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
