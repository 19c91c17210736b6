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
    """Sphinx's Chinese indexer with a browser-side query segmenter, made cheaper per word.

    Indexing was the largest cost of a clean build of a large site: every word of every page
    went through the English Snowball stemmer (Chinese words too), and jieba ran its HMM
    to guess words missing from its dictionary. Stems are now remembered (a site has far
    fewer distinct words than words), and the HMM is off: the browser segments a query
    against the index's own vocabulary, so a word jieba does not know is still found through
    its parts.
    """

    js_splitter_code = (_STATIC / "query_splitter.js").read_text(encoding="utf-8")

    def init(self, options: dict[str, str]) -> None:
        super().init(options)
        self._stems: dict[str, str] = {}

    def split(self, input: str) -> list[str]:
        from jieba import cut_for_search

        latin1 = [term.strip() for term in self.latin1_letters.findall(input)]
        self.latin_terms.update(latin1)
        return list(cut_for_search(input, HMM=False)) + latin1

    def stem(self, word: str) -> str:
        lower = word.lower()
        stemmed = self._stems.get(lower)
        if stemmed is None:
            stemmed = self._stems[lower] = self.stemmer.stemWord(lower)
        # as Sphinx does: keep acronyms the stemmer would cut below three letters
        if len(word) >= 3 > len(stemmed) and word in self.latin_terms:
            return lower
        return stemmed


def setup(app: Sphinx) -> None:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter is not a warning
    app.add_search_language(ChineseSearch)
    app.connect("config-inited", _use_our_ranking)
