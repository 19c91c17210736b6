"""Chinese search in real headless Chromium: the query a reader types finds the page.

Queries live in ``search_queries.tsv``. On the fixture site each must hit the top 3; on the
real site every query must too, through the full results page and through the instant panel
that lists results as the reader types (``sphinx_kb/static/site/kb-search-panel.js``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import report_line

QUERIES = Path(__file__).with_name("search_queries.tsv")
RECALL_TARGET = 1.0
MIN_QUERIES_PER_ARTICLE = 5


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


def test_every_article_brings_enough_queries(real_site):
    from conftest import article_files

    counts = {}
    for _, expected in load_queries("real"):
        counts[expected] = counts.get(expected, 0) + 1
    articles = [str(p.relative_to(p.parents[1]).with_suffix("")) for p in article_files()]
    few = {a: counts.get(a, 0) for a in articles if counts.get(a, 0) < MIN_QUERIES_PER_ARTICLE}
    assert not few, f"articles with fewer than {MIN_QUERIES_PER_ARTICLE} queries in search_queries.tsv: {few}"


# the results page's own ranking, asked for every query at once on one loaded results page
_RESULTS_PAGE_TOP3 = """async (queries) => {
  while (!Search._index || !window.KBSearch) await new Promise((r) => setTimeout(r, 20));
  return queries.map((q) => Search._performSearch(q).reverse().slice(0, 3).map((item) => item[0]));
}"""

# the instant panel: type each query into the sidebar box and read the listed links
_PANEL_TOP3 = """async (queries) => {
  const input = document.querySelector("form.kb-search input[name=q]");
  const list = document.getElementById(input.getAttribute("aria-controls"));
  const root = new URL(document.documentElement.dataset.content_root, location.href).pathname;
  const out = [];
  for (const q of queries) {
    list.textContent = "";
    input.focus();
    input.value = q;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    const start = performance.now();
    while (!list.querySelector("[role=option]") && performance.now() - start < 5000) await new Promise((r) => setTimeout(r, 10));
    out.push([...list.querySelectorAll("[role=option] a")].slice(0, 3)
      .map((a) => a.dataset.docname));
  }
  return out;
}"""


def test_real_site_recall_at_3(offline_page, real_server, record_property):
    queries = load_queries("real")
    assert len(queries) >= 2, "every article brings queries to search_queries.tsv"
    offline_page.goto(f"{real_server}/search.html")
    page_top = offline_page.evaluate(_RESULTS_PAGE_TOP3, [q for q, _ in queries])
    offline_page.goto(f"{real_server}/large-model/bias.html")
    panel_top = offline_page.evaluate(_PANEL_TOP3, [q for q, _ in queries])
    misses = []
    for (query, expected), results, panel in zip(queries, page_top, panel_top):
        if expected not in results:
            misses.append(f"results page {query!r}: expected {expected}, got {results}")
        if expected not in panel:
            misses.append(f"panel {query!r}: expected {expected}, got {panel}")
    recall = 1 - len(misses) / (2 * len(queries))
    record_property("recall_at_3", recall)
    report_line(f"search recall@3 on the real site (results page and panel): {recall:.1%} over {len(queries)} queries"
                + (f"; missed: {'; '.join(misses)}" if misses else ""))
    assert recall >= RECALL_TARGET, "\n".join(misses)


# --- the title forms the build computes for the engine -----------------------------------

def test_built_title_words_are_what_the_engine_would_compute(offline_page, real_server):
    """The build writes ``wordsOf`` of every title and heading (sphinx_kb/search.py) so that the
    phone need not; Python's Unicode tables must give the browser's answer, for every title of
    the index, and every real query must rank the same with or without them."""
    offline_page.goto(f"{real_server}/search.html")
    offline_page.wait_for_function("() => window.KBSearch && window.KB_SEARCH_DATA && Search._index", timeout=20_000)
    queries = [query for query, _ in load_queries("real")] + [query for query, _ in load_queries("fixture")]
    report = offline_page.evaluate("""(queries) => {
      const index = Search._index, data = window.KB_SEARCH_DATA, built = data.titleWords || {};
      const titles = new Set([...index.titles, ...Object.keys(index.alltitles)]);
      const missing = [...titles].filter((t) => !Object.prototype.hasOwnProperty.call(built, t));
      const wrong = Object.entries(built).filter(([t, w]) => KBSearch.wordsOf(t) !== w)
        .map(([t, w]) => [t, w, KBSearch.wordsOf(t)]);
      const bare = { ...data, titleWords: undefined };
      const differ = queries.filter((q) => JSON.stringify(KBSearch.search(index, data, q))
        !== JSON.stringify(KBSearch.search({ ...index }, bare, q)));
      return { titles: titles.size, built: Object.keys(built).length, missing, wrong, differ };
    }""", queries)
    assert report["titles"] > 400 and report["built"] == report["titles"], report
    assert report["missing"] == [] and report["wrong"] == [], report
    assert report["differ"] == [], report["differ"]
    assert offline_page.console_errors == []


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


# a slow network: every fetch of the page answers 400 ms late
_SLOW_FETCH = """{ const fetch = window.fetch.bind(window);
  window.fetch = (...args) => new Promise((wait) => setTimeout(wait, 400)).then(() => fetch(...args)); }"""
_RECORD_SUMMARIES = """window.kbSummaryAt = {};
new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
  if (node.nodeType === 1 && node.matches("p.context"))
    window.kbSummaryAt[node.closest("li").querySelector("a").pathname] = performance.now();
}))).observe(document, { subtree: true, childList: true });"""


@pytest.mark.parametrize("network", ["fast", "slow"])
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1440, "height": 900}],
                         ids=["phone", "desktop"])
def test_first_screen_summaries_are_fetched_first(offline_page, real_server, viewport, network):
    """The lines of the results on the first screen do not share the connection with the text
    copies of the results below it: those are asked for only once the first screen's lines
    are in the page, and every result still gets its lines without scrolling."""
    offline_page.set_viewport_size(viewport)
    if network == "slow":
        offline_page.add_init_script(_SLOW_FETCH)
    offline_page.add_init_script(_RECORD_SUMMARIES)
    offline_page.goto(f"{real_server}/search.html?q={quote('梯度检查点')}")
    offline_page.wait_for_function(
        "() => { const items = document.querySelectorAll('#search-results ul.search > li');"
        " return items.length > 0 && [...items].every(li => li.querySelector('p.context')); }", timeout=20_000)
    state = offline_page.evaluate("""() => ({
        screen: window.innerHeight, scrolled: window.scrollY, shown: window.kbSummaryAt,
        results: [...document.querySelectorAll('#search-results ul.search > li')].map((li) =>
            [li.querySelector('a').pathname, li.getBoundingClientRect().top]),
        asked: Object.fromEntries(performance.getEntriesByType('resource')
            .filter((entry) => entry.name.includes('/_search/'))
            .map((entry) => [new URL(entry.name).pathname.replace('/_search/', '/'), entry.startTime])),
    })""")
    assert state["scrolled"] == 0
    first = [path for path, top in state["results"] if top < state["screen"]]
    below = [path for path, top in state["results"] if top >= state["screen"]]
    assert first and len(below) >= 3, state["results"]
    assert set(state["asked"]) == {path for path, _ in state["results"]}, state["asked"]
    first_screen_done = max(state["shown"][path] for path in first)
    early = {path: round(state["asked"][path]) for path in below if state["asked"][path] < first_screen_done}
    assert early == {}, f"asked for before the first screen's lines were in ({first_screen_done:.0f} ms): {early}"
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


# --- the instant panel: keyboard, screen-reader labels, what it lists -------------------------

def _panel_state(page):
    return page.evaluate("""() => {
      const input = document.activeElement;
      const list = input && document.getElementById(input.getAttribute("aria-controls") || "");
      return {
        tag: input && input.tagName, role: input && input.getAttribute("role"),
        expanded: input && input.getAttribute("aria-expanded"),
        activedescendant: input && input.getAttribute("aria-activedescendant"),
        listRole: list && list.getAttribute("role"), listLabel: list && list.getAttribute("aria-label"),
        options: list ? [...list.querySelectorAll("[role=option]")].map((o) => ({
          id: o.id, selected: o.getAttribute("aria-selected"), href: o.querySelector("a").href,
          title: o.querySelector(".kb-search-title").textContent,
          section: o.querySelector(".kb-search-section").textContent,
          marks: [...o.querySelectorAll("mark")].map((m) => m.textContent)})) : [],
        visible: list ? list.closest(".kb-search-panel").hidden === false : false,
        status: list ? list.closest(".kb-search-panel").querySelector("[role=status]").textContent : "",
      };
    }""")


def test_panel_keyboard_and_aria(offline_page, real_server):
    page = offline_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{real_server}/large-model/kv-cache.html")
    page.keyboard.press("/")
    state = _panel_state(page)
    assert state["tag"] == "INPUT" and state["role"] == "combobox" and state["expanded"] == "false", state
    assert state["listRole"] == "listbox" and state["listLabel"] == "搜索结果"
    page.keyboard.type("膨胀率是什么")
    page.wait_for_selector(".kb-search-panel:not([hidden]) [role=option] mark", timeout=10_000)
    state = _panel_state(page)
    assert state["expanded"] == "true" and state["visible"]
    assert "computer-vision/dilated-convolution.html" in state["options"][0]["href"], state["options"][:3]
    assert all("找到" in state["status"] or "没有" in state["status"] for _ in [0]), state["status"]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    state = _panel_state(page)
    assert state["activedescendant"] == state["options"][1]["id"]
    assert [o["selected"] for o in state["options"][:2]] == ["false", "true"]
    page.keyboard.press("ArrowUp")
    state = _panel_state(page)
    assert state["activedescendant"] == state["options"][0]["id"]
    page.keyboard.press("Escape")
    state = _panel_state(page)
    assert state["expanded"] == "false" and not state["visible"] and state["activedescendant"] is None
    page.keyboard.press("ArrowDown")  # opens again
    page.wait_for_selector(".kb-search-panel:not([hidden]) [role=option]")
    page.keyboard.press("ArrowDown")
    target = _panel_state(page)["options"][0]["href"]
    page.keyboard.press("Enter")
    page.wait_for_url(target)
    assert "#" in target, "a result opens the section that matched"
    # Ctrl+K from anywhere on the page, the cursor not in a box
    page.mouse.click(700, 450)
    page.keyboard.press("Control+k")
    assert _panel_state(page)["role"] == "combobox"
    # Enter without a chosen result opens the full results page
    page.keyboard.type("截距")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    assert page.console_errors == []


def test_panel_lists_articles_with_section_and_highlight(offline_page, real_server):
    page = offline_page
    page.goto(f"{real_server}/index.html")
    found = page.evaluate("""async (queries) => {
      const input = document.querySelector("form.kb-search input[name=q]");
      const list = document.getElementById(input.getAttribute("aria-controls"));
      const out = {};
      for (const q of queries) {
        list.textContent = "";
        input.value = q;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        while (!list.querySelector("[role=option]")) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 300));  // the snippets come from the text copies
        out[q] = [...list.querySelectorAll("[role=option] a")].map((a) => ({
          docname: a.dataset.docname, href: a.getAttribute("href"),
          section: a.querySelector(".kb-search-section").textContent,
          snippet: a.querySelector(".kb-search-snippet").textContent,
          marks: [...a.querySelectorAll("mark")].map((m) => m.textContent.toLowerCase())}));
      }
      return out;
    }""", ["卷积", "训练", "梯度检查点", "reduce scatter"])
    import re
    for query, results in found.items():
        for r in results:
            name = r["docname"]
            assert name == "glossary" or re.fullmatch(r"(python|large-model|computer-vision)/[^/]+", name), (query, name)
            assert not name.endswith("/index") and name not in ("index", "tags/index", "updates/index"), (query, name)
    top = found["梯度检查点"][0]
    assert top["docname"] == "large-model/gradient-checkpointing" and top["marks"], top
    assert any("检查点" in m for m in top["marks"]) and "检查点" in top["snippet"]
    sectioned = [r for r in found["reduce scatter"] if "#" in r["href"] and r["docname"] != "glossary"]
    assert sectioned and all(r["section"] for r in sectioned), found["reduce scatter"]
    assert any(m.replace("-", "").replace(" ", "") in ("reducescatter", "reduce", "scatter") for m in found["reduce scatter"][0]["marks"])
    assert page.console_errors == []


def test_phone_header_has_a_search_box(offline_page, real_server):
    page = offline_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{real_server}/python/autograd.html")
    button = page.locator(".mobile-header button.kb-search-toggle")
    assert button.is_visible() and button.get_attribute("aria-label") == "搜索"
    button.click()
    box = page.locator(".mobile-header form.kb-search input[name=q]")
    assert box.is_visible()
    box.type("多卡训练怎么写")
    page.wait_for_selector(".mobile-header [role=option]")
    first = page.locator(".mobile-header [role=option] a").first
    assert first.get_attribute("data-docname") == "python/ddp-quickstart"
    assert first.is_visible()
    assert page.console_errors == []


@pytest.mark.parametrize(("query", "expected", "better_than"), [
    ("显存不够怎么办", "large-model/training-memory", None),      # question words carry no weight
    ("权重共享", None, None),                                      # either order finds the same pages
    ("reduce-scatter", "large-model/collective-communication", None),
    ("截距", "large-model/bias", None),                           # a glossary alias
])
def test_results_page_ranking(offline_page, real_server, query, expected, better_than):
    results = top_results(offline_page, real_server, query)
    if expected:
        assert results and results[0] == expected, results
    else:
        assert results == top_results(offline_page, real_server, "共享权重")


def test_english_terms_match_across_case_hyphens_and_spaces(offline_page, real_server):
    offline_page.goto(f"{real_server}/search.html")
    tops = offline_page.evaluate(_RESULTS_PAGE_TOP3, ["reduce-scatter", "ReduceScatter", "reduce scatter",
                                                      "REDUCE_SCATTER", "all-gather", "AllGather", "all gather"])
    assert all(t and t[0] == "large-model/collective-communication" for t in tops), tops
    assert tops[0] == tops[1] == tops[2]
