"""Chinese search that finds what a reader types.

Sphinx indexes Chinese text with jieba (we use its Rust port, rjieba), but its browser code splits a query only at
non-letters, so ``共享权重`` or ``在线softmax`` is looked up as one word and finds nothing.
Our search language adds a query splitter that segments Chinese runs against the
vocabulary of the index itself (longest words first), so the browser's words are always
words the indexer produced. Results are ranked by how much of the query a page covers
(``static/search_ranking.js``), not by its single best word.

Each result shows a few lines of the page around the words found. Sphinx cuts them from the
page itself, fetched in full: on a math-heavy article that is 300 KB of HTML for 240
characters, and the results page took 3 s to fill on a phone. We write the text of each page,
sections and anchors kept, to ``_search/<page>.html`` (a few KB), and the results page
fetches that instead (``static/site/kb-search-summaries.js``).

Results appear as the reader types (``static/site/kb-search-panel.js``, a combobox in the
sidebar and in the phone header), ranked by ``static/site/kb-search-engine.js``, the same code
that ranks the full results page. The engine reads Sphinx's ``searchindex.js`` and
``_static/kb-search-data.js``, written here: which pages are results (articles and the
glossary, not the home, category or generated pages) and the alias groups of the glossary,
one group per entry, made of the entry's term lines (偏置 / bias / 截距), and the words of every
title and heading of the index, which the engine would otherwise work out on the reader's phone
before it can show the first result.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.search import IndexBuilder, js_index
from sphinx.search.zh import SearchChinese

from .metadata import plain_math

_STATIC = Path(__file__).parent / "static"
SUMMARY_DIR = "_search"
SUMMARY_LOADER = "kb-search-summaries.js"
DATA_FILE = "kb-search-data.js"
GLOSSARY = "glossary"


def _use_our_ranking(app: Sphinx, config) -> None:
    if not config.html_search_scorer:
        config.html_search_scorer = str(_STATIC / "search_ranking.js")


class ChineseSearch(SearchChinese):
    """Sphinx's Chinese indexer with a browser-side query segmenter, made cheap per word.

    Indexing runs in Sphinx's main process, one page after another, and was the largest
    cost of a clean build of a large site (30 s of 170 s at 1,000 articles, profiled). So:

    * words are cut by rjieba, the Rust port of jieba: the same dictionary and algorithm,
      the same words on our pages (checked on every article), about 18 times faster;
    * without jieba's HMM, which guesses words missing from the dictionary: the browser
      segments a query against the index's own vocabulary, so such a word is still found
      through its parts (search recall is tested);
    * stems are remembered: every word, Chinese ones too, went through the Snowball stemmer,
      and a site has far fewer distinct words than words.
    """

    js_splitter_code = (_STATIC / "query_splitter.js").read_text(encoding="utf-8")

    def init(self, options: dict[str, str]) -> None:
        import rjieba
        import snowballstemmer

        self.segmenter = rjieba.Jieba()
        dictionary = options.get("dict")
        if dictionary:
            for line in Path(dictionary).read_text(encoding="utf-8").splitlines():
                word, freq, tag = (line.split() + [None, None])[:3]
                if word:
                    self.segmenter.add_word(word, int(freq) if freq else None, tag)
        self.stemmer = snowballstemmer.stemmer("english")
        self._stems: dict[str, str] = {}

    def split(self, input: str) -> list[str]:
        latin1 = [term.strip() for term in self.latin1_letters.findall(input)]
        self.latin_terms.update(latin1)
        return self.segmenter.cut_for_search(input, False) + latin1

    def stem(self, word: str) -> str:
        lower = word.lower()
        stemmed = self._stems.get(lower)
        if stemmed is None:
            stemmed = self._stems[lower] = self.stemmer.stemWord(lower)
        # as Sphinx does: keep acronyms the stemmer would cut below three letters
        if len(word) >= 3 > len(stemmed) and word in self.latin_terms:
            return lower
        return stemmed


class _IndexBuilder(IndexBuilder):
    """Sphinx's indexer, with each distinct word of a page stemmed and filed once.

    ``IndexBuilder.feed`` stems, filters and files every occurrence of every word, in the
    main process, one page after another while the writer processes wait for it; a page
    repeats most of its words. The index is the same (``tests/test_search.py`` compares
    the two on every page of the site)."""

    def _word_collector(self, doctree: nodes.document):
        words = super()._word_collector(doctree)
        words.title_words = list(dict.fromkeys(words.title_words))
        words.words = list(dict.fromkeys(words.words))
        return words


def _index_each_word_once(app: Sphinx, doctree, docname: str) -> None:
    indexer = getattr(app.builder, "indexer", None)
    if type(indexer) is IndexBuilder:  # created as the writing starts; no hook comes earlier
        indexer.__class__ = _IndexBuilder


# --- result summaries ------------------------------------------------------------------------

_NOT_TEXT = (nodes.comment, nodes.system_message, nodes.raw, nodes.substitution_definition,
             nodes.image, addnodes.toctree, nodes.Invisible)
_BLOCK = (nodes.paragraph, nodes.title, nodes.list_item, nodes.term, nodes.literal_block,
          nodes.math_block, nodes.entry, nodes.caption, nodes.rubric)
# what our navigation adds around an article: its date and tags, links to other articles
_NOT_SUMMARY_CLASSES = {"kb-article-meta", "kb-related"}


class _SummaryWriter:
    """The text a reader sees on a page, in the page's sections and under its anchors, so
    that Sphinx's ``Search.htmlToText`` finds the same block by ``[role=main] #anchor``.
    Math reads as text where it is simple (``plain_math``), else as [公式]."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.seen: set[str] = set()

    def ids(self, ids: list[str]) -> list[str]:
        fresh = [i for i in ids if i not in self.seen]
        self.seen.update(fresh)
        return fresh

    def anchors(self, ids: list[str]) -> str:
        return "".join(f'<span id="{html.escape(i)}"></span>' for i in ids)

    def walk(self, node: nodes.Node) -> None:
        out = self.out
        if isinstance(node, nodes.Text):
            out.append(html.escape(str(node), quote=False))
            return
        if isinstance(node, nodes.math):
            out.append(html.escape(plain_math(node.astext()) or "[公式]", quote=False))
            return
        if isinstance(node, nodes.math_block):
            out.append(self.anchors(self.ids(node["ids"])) + " [公式]\n")
            return
        if node.tagname == "mermaid":
            out.append(" [图]\n")
            return
        if isinstance(node, _NOT_TEXT) or not _NOT_SUMMARY_CLASSES.isdisjoint(node.get("classes", ())):
            if isinstance(node, nodes.target):
                out.append(self.anchors(self.ids(node["ids"])))  # an empty anchor, as on the page
            return
        ids = self.ids(node["ids"]) if isinstance(node, nodes.Element) else []
        if isinstance(node, nodes.section) and ids:
            out.append(f'<section id="{html.escape(ids[0])}">{self.anchors(ids[1:])}')
        elif ids:
            out.append(f'<span id="{html.escape(ids[0])}">{self.anchors(ids[1:])}')
        for child in node.children:
            self.walk(child)
        if ids:
            out.append("</section>\n" if isinstance(node, nodes.section) else "</span>")
        if isinstance(node, _BLOCK):
            out.append("\n")
        elif isinstance(node, nodes.inline) and any(c.startswith("kb-") for c in node["classes"]):
            out.append(" ")  # a listing's date and category, set apart by CSS on the page


def summary_page(doctree: nodes.document) -> str:
    writer = _SummaryWriter()
    for child in doctree.children:
        writer.walk(child)
    return ('<!DOCTYPE html>\n<meta charset="utf-8">\n<meta name="robots" content="noindex">\n'
            f'<div role="main">{"".join(writer.out)}</div>\n')


def _write_summary(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    """Written as each page is (in the writer processes of a -j build); the results page
    loads the fetch redirect. Only the ``html`` builder: ``dirhtml`` fetches other URLs."""
    if app.builder.name != "html":
        return
    if doctree is not None:
        target = Path(app.outdir, SUMMARY_DIR, pagename + ".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(summary_page(doctree), encoding="utf-8")
    elif pagename == "search" and app.config.html_show_search_summary:
        app.add_js_file(SUMMARY_LOADER, loading_method="defer")


# Strings of Sphinx's search page that its zh_CN catalogue lacks (Sphinx 8.2 added a plural
# form for the result count); shown to readers in English otherwise.
_MISSING_TRANSLATIONS = {
    "Search finished, found one page matching the search query.": ["搜索完成，共找到 ${resultCount} 篇相关页面。"],
}


def _complete_translations(app: Sphinx, exception) -> None:
    path = Path(app.outdir) / "_static" / "translations.js"
    if exception is not None or app.builder.format != "html" or not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.find("{"), text.rfind("}")
    try:
        catalogue = json.loads(text[start:end + 1])
    except ValueError:
        return
    missing = {k: v for k, v in _MISSING_TRANSLATIONS.items() if k not in catalogue.get("messages", {})}
    if missing:
        catalogue.setdefault("messages", {}).update(missing)
        path.write_text("Documentation.addTranslations(" + json.dumps(catalogue, ensure_ascii=False, indent=4,
                                                                       sort_keys=True) + ");\n", encoding="utf-8")


# --- what the search engine needs besides Sphinx's index ------------------------------------

def glossary_aliases(doctree: nodes.document) -> list[dict]:
    """One entry per glossary item: its term lines (the aliases) and the anchor of the first."""
    entries = []
    for item in doctree.findall(nodes.definition_list_item):
        terms = [t for t in item.findall(nodes.term)]
        names = [t.astext().strip() for t in terms if t.astext().strip()]
        if names:
            anchor = next((t["ids"][0] for t in terms if t["ids"]), "")
            entries.append({"terms": names, "anchor": anchor})
    return entries


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def words_of(text: str) -> str:
    """``wordsOf`` of kb-search-engine.js: " reduce scatter 显存 ", CamelCase split."""
    spaced = _CAMEL.sub(" ", unicodedata.normalize("NFKC", text)).lower()
    words = "".join(c if unicodedata.category(c)[0] in "LN" else " " for c in spaced).split(" ")
    return " " + " ".join(w for w in words if w) + " "


def title_words(index_file: Path) -> dict | None:
    """``wordsOf`` of every page title and section heading in Sphinx's index (``squash`` is
    the same without its spaces), which the engine would otherwise compute on the reader's
    phone before the first result: a third of the results page's main-thread time, measured."""
    try:
        index = js_index.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    titles = set(index.get("titles", [])) | set(index.get("alltitles", {}))
    return {t: words_of(t) for t in sorted(titles)}


def _write_search_data(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from .metadata import is_article

    env = app.env
    pages = sorted(d for d in env.found_docs if is_article(d) or d == GLOSSARY)
    aliases = glossary_aliases(env.get_doctree(GLOSSARY)) if GLOSSARY in env.found_docs else []
    data = {"pages": pages, "glossary": GLOSSARY if GLOSSARY in env.found_docs else None, "aliases": aliases}
    words = title_words(Path(app.outdir) / "searchindex.js")
    if words is not None:
        data["titleWords"] = words
    target = Path(app.outdir) / "_static" / DATA_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "window.KB_SEARCH_DATA = " + json.dumps(data, ensure_ascii=False, separators=(",", ":")) + ";\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def _add_search_assets(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    app.add_css_file("kb-search.css")
    app.add_js_file("kb-search-engine.js", loading_method="defer")
    app.add_js_file("kb-search-panel.js", loading_method="defer")


def _search_page_data(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    if pagename == "search" and app.builder.name == "html":
        app.add_js_file(DATA_FILE, priority=200)


def setup(app: Sphinx) -> None:
    app.add_search_language(ChineseSearch)
    app.connect("config-inited", _use_our_ranking)
    app.connect("html-page-context", _write_summary)
    app.connect("html-page-context", _search_page_data)
    app.connect("builder-inited", _add_search_assets)
    app.connect("doctree-resolved", _index_each_word_once)
    app.connect("build-finished", _complete_translations)
    app.connect("build-finished", _write_search_data)
