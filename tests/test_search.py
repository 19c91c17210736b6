"""Chinese search in real headless Chromium: the query a reader types finds the page.

Queries live in ``search_queries.tsv``. On the fixture site each must hit the top 3; on the
real site the suite reports recall@3 over all queries (target 95%).
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import report_line

QUERIES = Path(__file__).with_name("search_queries.tsv")
RECALL_TARGET = 0.95


def load_queries(site: str) -> list[tuple[str, str]]:
    rows = csv.reader((l for l in QUERIES.open(encoding="utf-8") if l.strip() and not l.startswith("#")),
                      delimiter="\t")
    return [(query, expected) for which, query, expected in rows if which == site]


def top_results(page, base_url: str, query: str, k: int = 3) -> list[str]:
    page.goto(f"{base_url}/search.html?q={quote(query)}")
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return s && s.textContent.trim().length > 0; }", timeout=20_000)
    hrefs = page.eval_on_selector_all("#search-results ul.search > li > a", "els => els.map(e => e.href)")
    docnames = []
    for href in hrefs:
        path = href.split("://", 1)[1].split("/", 1)[1].split("#")[0].split("?")[0]
        docnames.append(path.removesuffix(".html"))
    return docnames[:k]


@pytest.mark.parametrize(("query", "expected"), load_queries("fixture"))
def test_fixture_query_finds_its_page(offline_page, fixture_server, query, expected):
    results = top_results(offline_page, fixture_server, query)
    assert expected in results, f"{query!r} → {results}"


def test_real_site_recall_at_3(offline_page, real_server, record_property):
    queries = load_queries("real")
    assert len(queries) >= 2, "every article brings two queries to search_queries.tsv"
    misses = []
    for query, expected in queries:
        results = top_results(offline_page, real_server, query)
        if expected not in results:
            misses.append(f"{query!r}: expected {expected}, got {results}")
    recall = 1 - len(misses) / len(queries)
    record_property("recall_at_3", recall)
    report_line(f"search recall@3 on the real site: {recall:.1%} over {len(queries)} queries"
                + (f"; missed: {'; '.join(misses)}" if misses else ""))
    assert recall >= RECALL_TARGET, "\n".join(misses)


# --- result summaries from the pages' text copies --------------------------------------------

def test_result_summaries_come_from_text_copies(offline_page, real_server, real_site):
    """Each result's lines around the query are cut from ``_search/<page>.html``, not from the
    whole page, and they still show where the query occurs."""
    requested = []
    offline_page.on("request", lambda request: requested.append(request.url))
    query = "梯度检查点"
    offline_page.goto(f"{real_server}/search.html?q={quote(query)}")
    offline_page.wait_for_function(
        "() => { const items = document.querySelectorAll('#search-results ul.search > li');"
        " return items.length > 0 && [...items].every(li => li.querySelector('p.context')); }", timeout=20_000)
    results = offline_page.eval_on_selector_all(
        "#search-results ul.search > li",
        "items => items.map(li => [li.querySelector('a').getAttribute('href'), li.querySelector('p.context').textContent])")
    assert len(results) >= 3
    for href, context in results:
        assert context.strip(), f"{href}: empty summary"
        assert "<" not in context and "\\" not in context, f"{href}: markup or TeX in the summary: {context}"
    assert "检查点" in results[0][1], results[0]
    pages = {href.split("#")[0] for href, _ in results}
    summaries = [url for url in requested if "/_search/" in url]
    assert len(summaries) == len(results), summaries
    fetched_pages = [url for url in requested if url.split("/", 3)[3] in pages]
    assert fetched_pages == [], f"whole pages fetched for summaries: {fetched_pages}"
    assert offline_page.console_errors == []


def test_text_copies_keep_the_anchors_and_drop_the_weight(real_site):
    """Sphinx looks up a section result's block by its anchor: every section id of a page is in
    its text copy, which holds the page's text and no markup weight."""
    import re

    checked = 0
    for copy in sorted((real_site.outdir / "_search").rglob("*.html")):
        page = real_site.outdir / copy.relative_to(real_site.outdir / "_search")
        html, text = page.read_text(encoding="utf-8"), copy.read_text(encoding="utf-8")
        main = html[html.index('role="main"'):]
        section_ids = re.findall(r'<section id="([^"]+)"', main)
        copy_ids = set(re.findall(r' id="([^"]+)"', text))
        assert set(section_ids) <= copy_ids, f"{copy}: anchors missing {set(section_ids) - copy_ids}"
        assert "<svg" not in text and "<pre" not in text and 'robots" content="noindex"' in text
        assert len(text) < len(html) / 2, f"{copy} is not much lighter than its page"
        checked += 1
    assert checked >= 31


def test_indexing_each_word_once_gives_sphinx_s_own_index(real_site):
    """Our indexer files each distinct word of a page once; on every page of the site the
    index it builds is the one Sphinx's builds."""
    import pickle

    from sphinx.search import IndexBuilder
    from sphinx_kb.search import ChineseSearch, _IndexBuilder

    class Env:  # the parts of an environment an IndexBuilder reads: empty index tables
        domains: dict = {}
        version: dict = {}

        def __getattr__(self, name):
            setattr(self, name, {})
            return getattr(self, name)

    doctrees = sorted((real_site.outdir / ".doctrees").rglob("*.doctree"))
    assert len(doctrees) >= 31
    indexes = []
    for cls in (IndexBuilder, _IndexBuilder):
        indexer = cls(Env(), "en", {}, "")
        indexer.lang = ChineseSearch({"dict": str(Path(__file__).parents[1] / "sphinx_kb/data/jieba_userdict.txt")})
        for path in doctrees:
            indexer.feed(path.stem, path.name, path.stem, pickle.loads(path.read_bytes()))
        indexes.append((indexer._mapping, indexer._title_mapping, indexer._all_titles))
    assert indexes[0][0] and indexes[0] == indexes[1]


@pytest.mark.parametrize(("query", "expected"), [("显存", "篇相关页面"), ("共享权重", "篇相关页面")])
def test_interface_text_around_search_is_chinese(offline_page, fixture_server, query, expected):
    """The result count (a plural form Sphinx's zh_CN catalogue lacks), the back-to-top button
    and the footer read in Chinese; none of furo's or Sphinx's English is left on the page."""
    top_results(offline_page, fixture_server, query)
    summary = offline_page.text_content("#search-results .search-summary")
    assert summary.startswith("搜索完成") and expected in summary, summary
    text = offline_page.evaluate("() => document.body.textContent")
    for english in ("Search finished", "Back to top", "Made with", "pradyunsg", "Sphinx</a> and"):
        assert english not in text, english
    assert "回到顶部" in text and "主题：" in text
