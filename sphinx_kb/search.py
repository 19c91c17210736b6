"""Chinese search that finds what a reader types.

Sphinx indexes Chinese text with jieba, but its browser code splits a query only at
non-letters, so ``共享权重`` or ``在线softmax`` is looked up as one word and finds nothing.
Our search language adds a query splitter that segments Chinese runs against the
vocabulary of the index itself (longest words first), so the browser's words are always
words the indexer produced. Results are ranked by how much of the query a page covers
(``static/search_ranking.js``), not by its single best word.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese

_STATIC = Path(__file__).parent / "static"


def _use_our_ranking(app: Sphinx, config) -> None:
    if not config.html_search_scorer:
        config.html_search_scorer = str(_STATIC / "search_ranking.js")


class ChineseSearch(SearchChinese):
    """Sphinx's Chinese indexer with a browser-side query segmenter."""

    js_splitter_code = (_STATIC / "query_splitter.js").read_text(encoding="utf-8")


def setup(app: Sphinx) -> None:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter is not a warning
    app.add_search_language(ChineseSearch)
    app.connect("config-inited", _use_our_ranking)
