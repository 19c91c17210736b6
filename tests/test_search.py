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
