"""Every asset comes from the site itself, and a page loads only what it uses."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

EXTERNAL = re.compile(r"^(https?:)?//", re.I)


class _AssetParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.assets.append(a["src"])
            else:
                self._in_script = True
        elif tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {
            "stylesheet", "preload", "modulepreload", "icon", "prefetch"}:
            self.assets.append(a["href"])
        elif tag in ("img", "iframe", "audio", "video", "source") and a.get("src"):
            self.assets.append(a["src"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts.append(data)


def _parse(html: str) -> _AssetParser:
    parser = _AssetParser()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("which", ["fixture_site", "real_site"])
def test_no_page_loads_anything_from_another_origin(which, request):
    site = request.getfixturevalue(which)
    pages = sorted(site.outdir.rglob("*.html"))
    assert pages
    for page in pages:
        parsed = _parse(page.read_text(encoding="utf-8"))
        external = [a for a in parsed.assets if EXTERNAL.match(a)]
        imports = [m for s in parsed.inline_scripts for m in re.findall(r"""import\s[^'"]*['"]([^'"]+)['"]""", s)]
        external += [i for i in imports if EXTERNAL.match(i)]
        assert not external, f"{page.relative_to(site.outdir)} loads {external}"
    for css in site.outdir.rglob("*.css"):
        urls = re.findall(r"""(?:url\(|@import\s+)['"]?([^'")\s]+)""", css.read_text(encoding="utf-8"))
        assert not [u for u in urls if EXTERNAL.match(u)], f"{css} refers to another origin"


@pytest.mark.parametrize("which", ["fixture_site", "real_site"])
def test_mathjax_and_mermaid_only_where_used(which, request):
    site = request.getfixturevalue(which)
    with_math = with_diagram = 0
    for page in sorted(site.outdir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        has_math = 'class="math' in html
        has_diagram = re.search(r'<(pre|div)\s+class="mermaid"', html) is not None
        with_math += has_math
        with_diagram += has_diagram
        name = page.relative_to(site.outdir)
        assert ("tex-mml-chtml.js" in html) == has_math, f"{name}: MathJax loaded={not has_math}"
        assert ("mermaid.esm.min.mjs" in html) == has_diagram, f"{name}: Mermaid loaded={not has_diagram}"
    assert with_math and with_diagram


def test_vendored_assets_are_served(fixture_site):
    static = fixture_site.outdir / "_static" / "vendor"
    assert (static / "mathjax" / "tex-mml-chtml.js").stat().st_size > 500_000
    assert list((static / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert (static / "mermaid" / "mermaid.esm.min.mjs").exists()
    assert not list(static.rglob("*.map")), "source maps are not served"


def test_math_renders_offline(offline_page, fixture_server):
    offline_page.goto(f"{fixture_server}/large-model/flash.html")
    offline_page.wait_for_selector("mjx-container", timeout=20_000)
    assert offline_page.locator("mjx-container").count() >= 2
    assert offline_page.blocked == []
    assert offline_page.console_errors == []


def test_diagram_renders_offline_at_its_own_height(offline_page, fixture_server):
    offline_page.goto(f"{fixture_server}/large-model/memory.html")
    offline_page.wait_for_selector("pre.mermaid svg g.node", timeout=20_000)
    svg = offline_page.query_selector("pre.mermaid svg")
    assert offline_page.locator("pre.mermaid svg g.node").count() == 3
    box = svg.bounding_box()
    assert 20 < box["height"] < 300, f"diagram is {box['height']} px high: fixed height again?"
    assert offline_page.blocked == []
    assert offline_page.console_errors == []


@pytest.mark.parametrize("page", ["index.html", "python/shared-weights.html", "search.html?q=共享权重"])
def test_no_console_errors(offline_page, fixture_server, page):
    offline_page.goto(f"{fixture_server}/{page}")
    offline_page.wait_for_load_state("networkidle")
    assert offline_page.console_errors == []
    assert offline_page.blocked == []


@pytest.mark.parametrize("page", ["index.html", "large-model/index.html", "large-model/flash-attention.html",
                                  "updates/index.html", "search.html?q=显存"])
def test_no_console_errors_on_the_real_site(offline_page, real_server, page):
    offline_page.goto(f"{real_server}/{page}")
    offline_page.wait_for_load_state("networkidle")
    if "flash-attention" in page:  # an article with math and diagrams: both render, offline
        offline_page.wait_for_selector("mjx-container", timeout=20_000)
        offline_page.wait_for_selector("pre.mermaid svg g.node", timeout=20_000)
    assert offline_page.console_errors == []
    assert offline_page.blocked == []
