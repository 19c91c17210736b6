"""Every asset comes from the site itself, and a page loads only what it uses."""

from __future__ import annotations

import json
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
def test_math_is_prerendered_and_mermaid_only_where_used(which, request):
    site = request.getfixturevalue(which)
    with_math = with_diagram = drawn = 0
    for page in sorted(site.outdir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        name = page.relative_to(site.outdir)
        has_math = 'class="math' in html or "<mjx-container" in html
        # diagrams are drawn at build time; one left to the browser (no Chromium) loads our loader
        has_diagram = re.search(r'<(pre|div)\s+class="mermaid"', html) is not None
        with_math += has_math
        with_diagram += has_diagram
        drawn += html.count('<div class="kb-diagram"')
        # math is SVG written at build time: no page loads MathJax, and every formula is rendered
        assert not re.search(r"<script[^>]*mathjax|MathJax\s*=", html, re.I), f"{name} loads MathJax"
        assert '<span class="math' not in html, f"{name} has unrendered inline TeX"
        assert "kb-math-error" not in html, f"{name} shows a formula as TeX source (e.g. a section title in the TOC)"
        # formulas point at glyphs defined once on the page: every reference resolves
        ids = set(re.findall(r' id="([^"]+)"', html))
        unresolved = {ref for ref in re.findall(r'<use [^>]*href="#([^"]+)"', html) if ref not in ids}
        assert not unresolved, f"{name}: formulas use undefined glyphs {sorted(unresolved)[:5]}"
        for block in re.findall(r'<div class="math notranslate nohighlight"[^>]*>(.*?)</div>', html, re.S):
            assert "<mjx-container" in block, f"{name} has an unrendered formula block"
        assert ("kb-math.css" in html) == has_math, f"{name}: math stylesheet loaded={not has_math}"
        assert ("kb-mermaid.js" in html) == has_diagram, f"{name}: Mermaid loader present={not has_diagram}"
        assert "mermaid.esm.min.mjs" not in html, f"{name} imports all of Mermaid as it loads"
    assert with_math and drawn
    assert with_diagram == 0, "a diagram was left to the browser although Chromium is here to draw it"


@pytest.mark.parametrize("which", ["fixture_site", "real_site"])
def test_code_and_plot_files_only_where_used(which, request):
    """sphinx-copybutton and Pygments' styles on pages with code, matplotlib's on pages with
    plots, and on no other: the home, category and search pages load neither."""
    site = request.getfixturevalue(which)
    counts = {"code": 0, "plain": 0}
    for page in sorted(site.outdir.rglob("*.html")):
        if page.relative_to(site.outdir).parts[0] == "_search":
            continue
        html = page.read_text(encoding="utf-8")
        name = page.relative_to(site.outdir)
        loaded = {asset.rsplit("/", 1)[-1].split("?")[0] for asset in _parse(html).assets}
        has_code = '<div class="highlight"><pre' in html
        has_plot = re.search(r'<img [^>]*class="[^"]*\bplot-directive\b', html) is not None
        counts["code" if has_code else "plain"] += 1
        for file in ("copybutton.js", "clipboard.min.js", "copybutton.css", "pygments.css"):
            assert (file in loaded) == has_code, f"{name}: {file} loaded={not has_code}, code blocks={has_code}"
        assert ("plot_directive.css" in loaded) == has_plot, f"{name}: plot_directive.css loaded={not has_plot}"
    assert counts["code"] and counts["plain"], counts


def _outline(d: str) -> list[tuple]:
    """What a renderer draws for an SVG path, in absolute points, whatever its notation."""
    args = {"m": 2, "l": 2, "t": 2, "q": 4, "s": 4, "c": 6, "h": 1, "v": 1, "z": 0}
    tokens = re.findall(r"[A-Za-z]|-?\d+(?:\.\d+)?", d)
    drawn, x, y, start, command, i = [], 0.0, 0.0, (0.0, 0.0), "", 0
    while i < len(tokens):
        if tokens[i].isalpha():
            command, i = tokens[i], i + 1
        elif command in ("M", "m"):
            command = "L" if command == "M" else "l"
        kind, relative = command.lower(), command.islower()
        values = [float(v) for v in tokens[i:i + args[kind]]]
        i += args[kind]
        if kind == "z":
            drawn.append(("z",))
            x, y = start
        elif kind in ("h", "v"):
            if kind == "h":
                x = values[0] + (x if relative else 0)
            else:
                y = values[0] + (y if relative else 0)
            drawn.append(("l", x, y))
        else:
            points = [(values[k] + (x if relative else 0), values[k + 1] + (y if relative else 0))
                      for k in range(0, len(values), 2)]
            drawn.append((kind, *[v for point in points for v in point]))
            x, y = points[-1]
            if kind == "m":
                start = (x, y)
    return drawn


def test_glyph_outlines_are_shorter_and_draw_the_same(real_site):
    """The glyphs a page defines are MathJax's outlines written with relative points: the same
    drawing, point for point, in fewer bytes."""
    cache = next(real_site.outdir.rglob("kb-math-cache.json"))
    mathjax = json.loads(cache.read_text(encoding="utf-8"))["glyphs"]
    html = real_site.html("large-model/transformer.html")
    defined = re.findall(r'<path id="kb-(TEX-[^"]+)" d="([^"]*)"', html)
    assert len(defined) > 50
    for name, d in defined:
        original = mathjax[name]
        assert _outline(d) == _outline(original), f"{name} draws differently: {d[:80]} vs {original[:80]}"
    written = sum(len(d) for _, d in defined)
    given = sum(len(mathjax[name]) for name, _ in defined)
    assert written < 0.85 * given, (written, given)


def test_formulas_carry_svg_and_mathml(fixture_site):
    html = fixture_site.html("large-model/flash.html")
    containers = re.findall(r"<mjx-container.*?</mjx-container>", html, re.S)
    assert len(containers) >= 2
    for container in containers:
        assert "<svg" in container and 'aria-hidden="true"' in container
        assert "<mjx-assistive-mml" in container and "<math" in container  # read by screen readers
    ids = re.findall(r'<(?:path|g)[^>]* id="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "glyph ids repeat within a page"
    assert '<span class="eqno">(1)' in html  # numbered equations keep their number


def test_math_renders_offline(offline_page, fixture_server):
    offline_page.goto(f"{fixture_server}/large-model/flash.html")
    offline_page.wait_for_selector("mjx-container svg", timeout=20_000)
    assert offline_page.locator("mjx-container").count() >= 2
    # the formula has a real size and the screen-reader copy is visually hidden
    box = offline_page.locator("mjx-container svg").first.bounding_box()
    assert box["width"] > 10 and box["height"] > 5
    clip = offline_page.eval_on_selector("mjx-assistive-mml", "e => getComputedStyle(e).clip")
    assert clip.replace(" ", "") == "rect(1px,1px,1px,1px)"
    assert offline_page.blocked == []
    assert offline_page.console_errors == []


def test_diagram_renders_offline_at_its_own_height(offline_page, fixture_server):
    offline_page.goto(f"{fixture_server}/large-model/memory.html")
    image = offline_page.locator(".kb-diagram img.only-light").first
    image.scroll_into_view_if_needed()
    offline_page.wait_for_function("() => { const i = document.querySelector('.kb-diagram img.only-light');"
                                   " return i.complete && i.naturalWidth > 0; }", timeout=20_000)
    svg = offline_page.evaluate("async () => (await fetch(document.querySelector('.kb-diagram img.only-light').src)).text()")
    assert svg.count('class="node ') == 3, "the drawing should hold the diagram's three nodes"
    box = image.bounding_box()
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
        for diagram in offline_page.locator(".kb-diagram img.only-light").all():
            diagram.scroll_into_view_if_needed()
            diagram.evaluate("i => i.decode()")  # rejects if the drawing does not load
    assert offline_page.console_errors == []
    assert offline_page.blocked == []


def test_no_page_fetches_mermaid_and_diagrams_follow_the_theme(offline_page, real_server):
    requested = []
    offline_page.on("request", lambda r: requested.append(r.url) if "mermaid" in r.url else None)
    offline_page.set_viewport_size({"width": 412, "height": 823})  # a phone, as Lighthouse's mobile run
    offline_page.goto(f"{real_server}/large-model/flash-attention.html")
    offline_page.wait_for_load_state("networkidle")
    frame = offline_page.locator(".kb-diagram").first
    frame.scroll_into_view_if_needed()
    shown = "() => Array.from(document.querySelectorAll('.kb-diagram img'))" \
            ".filter(i => getComputedStyle(i).display !== 'none').map(i => i.getAttribute('src'))"
    light = offline_page.evaluate(shown)
    assert light and all(src.endswith("-light.svg") for src in light), light
    offline_page.evaluate("() => { document.body.dataset.theme = 'dark'; }")  # what furo's theme button does
    dark = offline_page.evaluate(shown)
    assert dark == [src.replace("-light.svg", "-dark.svg") for src in light], dark
    assert requested == [], f"a page with diagrams fetched Mermaid: {requested}"
    assert offline_page.console_errors == []
    assert offline_page.blocked == []


def test_images_below_the_opening_load_only_when_near(offline_page, real_server, real_site):
    """A plot far down an article is not fetched with the page on a phone, and is fetched
    as the reader scrolls to it; images in an article's opening load at once."""
    html = real_site.html("large-model/transformer.html")
    images = re.findall(r"<img [^>]*>", html)
    assert images and all('loading="lazy"' in tag for tag in images)

    requested = []
    offline_page.on("request", lambda r: requested.append(r.url) if "/_images/" in r.url else None)
    offline_page.set_viewport_size({"width": 412, "height": 823})
    offline_page.goto(f"{real_server}/large-model/transformer.html")
    offline_page.wait_for_load_state("networkidle")
    top = offline_page.evaluate("() => document.querySelector('article img').getBoundingClientRect().top")
    assert top > 4 * 823, "precondition: the article's first image is far down the page"
    assert requested == [], f"fetched with the page: {requested}"
    offline_page.locator("article img").first.scroll_into_view_if_needed()
    offline_page.wait_for_function("() => { const i = document.querySelector('article img');"
                                   " return i.complete && i.naturalWidth > 0; }", timeout=20_000)
    assert requested


def test_only_images_below_the_opening_are_lazy():
    from types import SimpleNamespace

    from docutils import nodes
    from sphinx_kb.assets import _lazy_images

    opening, below, chosen = nodes.image(uri="a.png"), nodes.image(uri="b.png"), nodes.image(uri="c.png", loading="embed")
    document = nodes.document(None, None)
    document += nodes.section("", nodes.title(text="T"), nodes.paragraph("", "", opening),
                              nodes.section("", nodes.title(text="S"), nodes.figure("", below), chosen))
    for builder, lazy in (("epub", False), ("html", True)):
        _lazy_images(SimpleNamespace(builder=SimpleNamespace(name=builder)), document)
        assert ("loading" in below) == lazy
    assert "loading" not in opening and chosen["loading"] == "embed"
