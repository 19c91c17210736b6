"""Reading on every screen, measured in the real headless Chromium on every article of the real
site, at a desktop width (1440 px) and a phone width (390 px):

- every table-of-contents link, and back/forward, lands its heading at the top of the screen
  (under the header bar on a phone), within 60 px;
- the page keeps its height from load to the end of a scroll-through (< 2 % change);
- what the browser skips while it is off screen (code blocks, formula drawings) takes exactly
  the room it takes when drawn, with a Chinese font and visible scrollbars as on a desktop;
- no equation number overlaps its formula; a formula that scrolls shows the cue;
- no diagram label is drawn below 11 px, in either theme;
- plots have a dark twin, their size in the page before they load, and alt text that is not a path;
- no English is left in the interface (furo's, Sphinx's or ours) on any page, after its scripts ran.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

import pytest

import passcache
from conftest import CHROMIUM, ROOT, article_files

ARTICLES = [p.relative_to(ROOT).with_suffix(".html").as_posix() for p in article_files()]
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}

# Where the reader's eye expects a heading after a jump: the top of the viewport, or the bottom
# of furo's header bar where it is shown (narrow screens).
_HEADER_BOTTOM = """() => {
  const header = document.querySelector('header.mobile-header');
  if (!header) return 0;
  const style = getComputedStyle(header);
  return style.display === 'none' ? 0 : Math.max(0, header.getBoundingClientRect().bottom);
}"""

_JUMPS = """async (headerBottom) => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const tick = () => new Promise((done) => requestAnimationFrame(done));
  const settle = async () => {  // until the position stays put from one frame to the next
    let last = -1;
    for (let i = 0; i < 120 && window.scrollY !== last; i++) { last = window.scrollY; await tick(); }
  };
  const results = [];
  const links = Array.from(document.querySelectorAll('.toc-tree a.reference[href^="#"]'))
    .filter((a) => a.getAttribute('href').length > 1);  // "#" is the page's own title: its top
  for (const link of links) {
    const id = decodeURIComponent(link.getAttribute('href').slice(1));
    const target = document.getElementById(id);
    if (!target) { results.push({ id, missing: true }); continue; }
    link.click();
    await settle();
    const heading = target.matches('section') ? (target.querySelector(':scope > h1, :scope > h2, :scope > h3, :scope > h4') || target) : target;
    const top = heading.getBoundingClientRect().top;
    const atBottom = window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
    results.push({ id, offset: top - headerBottom, atBottom, visible: top >= 0 && top < window.innerHeight });
  }
  return results;
}"""

_SCROLL_THROUGH = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const start = document.documentElement.scrollHeight;
  const tick = () => new Promise((done) => requestAnimationFrame(done));
  for (let y = 0; y < document.documentElement.scrollHeight; y += Math.round(window.innerHeight * 1.5)) {
    window.scrollTo(0, y);
    await tick();
  }
  await new Promise((done) => setTimeout(done, 150));  // lazy images that started loading
  await Promise.all(Array.from(document.images).filter((i) => !i.complete && i.getClientRects().length)  // not the other theme's
    .map((i) => new Promise((done) => { i.onload = i.onerror = done; setTimeout(done, 3000); })));
  await frame();
  return { start, end: document.documentElement.scrollHeight };
}"""

_EQUATIONS = """() => Array.from(document.querySelectorAll('div.math')).map((math) => {
  const number = math.querySelector('.eqno');
  const formula = math.querySelector('mjx-container');
  if (!number || !formula) return null;
  const a = number.getBoundingClientRect(), box = formula.getBoundingClientRect();
  // the part of the formula that is on screen: its box, clipped by its own scrolling
  const overlapX = Math.min(a.right, box.right) - Math.max(a.left, box.left);
  const overlapY = Math.min(a.bottom, box.bottom) - Math.max(a.top, box.top);
  const scrolls = formula.scrollWidth > formula.clientWidth + 1;
  const style = getComputedStyle(formula);
  return { id: math.id, overlap: overlapX > 0.5 && overlapY > 0.5, scrolls,
           cue: style.backgroundAttachment.includes('local') && style.backgroundImage.includes('gradient'),
           inside: box.right <= document.documentElement.clientWidth + 1 };
}).filter(Boolean)"""

# The smallest label of each diagram, as drawn: the SVG file is opened on its own at its natural
# size to measure its text, then scaled by the width the image really has on the page.
_DIAGRAM_LABELS = """async () => {
  const out = [];
  for (const img of document.querySelectorAll('.kb-diagram img')) {
    if (getComputedStyle(img).display === 'none') continue;  // the other theme's image
    const svgText = await (await fetch(img.currentSrc || img.src)).text();
    const holder = document.createElement('div');
    holder.style.cssText = 'position:absolute; left:-99999px; top:0';
    holder.innerHTML = svgText;
    document.body.append(holder);
    const svg = holder.querySelector('svg');
    const natural = svg.viewBox.baseVal.width || svg.getBoundingClientRect().width;
    svg.setAttribute('width', natural);
    svg.style.maxWidth = 'none';
    let smallest = Infinity;
    for (const text of svg.querySelectorAll('text')) {
      if (!text.textContent.trim()) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(text).fontSize));
    }
    holder.remove();
    const shown = img.getBoundingClientRect().width;
    out.push({ src: img.getAttribute('src'), px: smallest * shown / natural, shown, natural });
  }
  return out;
}"""


# The interface's words, as a reader meets them once the page's scripts ran: the text outside
# the article (the header, sidebars, footer, search panel) and our own additions inside it
# (meta line, feedback, notebook, history headings), plus the labels of controls. Titles of
# pages and headings are content, not interface: links to pages and the page's own table of
# contents are left out, as are names quoted in 「」.
_INTERFACE_WORDS = """() => {
  const additions = '.kb-article-meta, .kb-feedback, .kb-notebook, .kb-history > h2, .kb-history-title,'
    + ' .kb-contributors > strong, .kb-related > h2, .kb-search-panel';
  const content = 'script, style, noscript, template, .toc-tree, .kb-tag, .kb-history-note, .kb-date, mjx-container';
  const pageLink = (el) => { const a = el.closest('a[href]'); return a && a.origin === location.origin && !a.classList.contains('kb-feedback-link'); };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest(content) || pageLink(el)) continue;
    if (el.closest('article') && !el.closest(additions)) continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    found.push(node.textContent);
  }
  const controls = 'button, input, textarea, select, label, nav, aside, [role], .headerlink, .copybtn, .kb-copy-tex';
  for (const el of document.querySelectorAll(controls)) {
    for (const name of ['aria-label', 'placeholder', 'title', 'data-tooltip', 'value']) {
      if (el.hasAttribute(name) && !(name === 'value' && el.type === 'search')) found.push(el.getAttribute(name));
    }
  }
  return found.map((text) => text.replace(/「[^」]*」/g, ' ').trim()).filter(Boolean);
}"""

# Names that stay English in a Chinese interface: products and formats.
_NAMES = {"Python", "Furo", "Sphinx", "TeX", "Notebook", "Jupyter", "Colab", "VS", "Code", "PDF", "EPUB",
          "GitHub", "Atom", "RSS"}


def english_words(texts: list[str]) -> list[str]:
    return sorted({w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z'-]+", t) if w not in _NAMES})


@pytest.fixture(scope="module")
def context_for(browser):
    contexts = {}

    def get(width: str, scheme: str = "light"):
        if (width, scheme) not in contexts:
            w, h = WIDTHS[width]
            # reduced motion: jumps without furo's smooth scrolling (kb.css), so a jump can be
            # measured as soon as it is made; where it lands is the same either way
            contexts[width, scheme] = browser.new_context(viewport={"width": w, "height": h},
                                                          color_scheme=scheme, reduced_motion="reduce")
        return contexts[width, scheme]

    yield get
    for context in contexts.values():
        context.close()


def _assets_digest(outdir) -> str:
    """What an article page loads besides its HTML while it is measured: scripts, styles, fonts
    (``_static/``), images, plots and diagrams (``_images/``). Not the search index or the text
    copies, which change with every article and are only fetched once the reader searches."""
    files = sorted(p for folder in ("_static", "_images") for p in (outdir / folder).rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.relative_to(outdir).as_posix().encode() + hashlib.sha256(p.read_bytes()).digest()
                                   for p in files)).hexdigest()


@pytest.fixture(scope="module")
def reading(real_site, real_server, context_for):
    """Everything measured on every article at one width, once: one visit per article. A page
    measured on an earlier run is not measured again while it, what it loads, the browser and
    this file are unchanged (tests/passcache.py)."""
    cache = {}
    assets = _assets_digest(real_site.outdir)

    def measure(width: str) -> dict:
        if width in cache:
            return cache[width]
        page = context_for(width).new_page()
        results = {}
        for article in ARTICLES:
            html = hashlib.sha256((real_site.outdir / article).read_bytes()).hexdigest()
            key = passcache.digest("reading", width, article, html, assets)
            if (saved := passcache.recall("reading", key)) is not None:
                results[article] = json.loads(saved)
                continue
            page.goto(f"{real_server}/{article}", wait_until="load")
            page.evaluate("document.fonts.ready")
            header = page.evaluate(_HEADER_BOTTOM)
            results[article] = {"jumps": page.evaluate(_JUMPS, header),
                                "equations": page.evaluate(_EQUATIONS),
                                "labels": page.evaluate(_DIAGRAM_LABELS),
                                "interface": english_words(page.evaluate(_INTERFACE_WORDS))}
            page.evaluate("window.scrollTo(0, 0)")
            results[article]["height"] = page.evaluate(_SCROLL_THROUGH)
            passcache.remember("reading", key, json.dumps(results[article]))
        page.close()
        cache[width] = results
        return results

    return measure


@pytest.mark.parametrize("width", list(WIDTHS))
def test_toc_jumps_land_on_their_heading(reading, width):
    problems = []
    checked = 0
    for article, found in reading(width).items():
        for jump in found["jumps"]:
            checked += 1
            if jump.get("missing"):
                problems.append(f"{article}#{jump['id']}: no element with this id")
            elif jump["atBottom"] and jump["visible"]:
                continue  # the page's end: the heading cannot scroll higher, but it is on screen
            elif not -2 <= jump["offset"] <= 60:
                problems.append(f"{article}#{jump['id']}: heading lands {jump['offset']:.0f} px from the top")
    assert checked > 5 * len(ARTICLES), f"only {checked} table-of-contents links found"
    assert not problems, f"{len(problems)} of {checked} jumps at {width}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("width", list(WIDTHS))
def test_back_and_forward_return_to_the_heading(real_server, context_for, width):
    page = context_for(width).new_page()
    page.goto(f"{real_server}/large-model/transformer.html", wait_until="load")
    header = page.evaluate(_HEADER_BOTTOM)
    ids = page.eval_on_selector_all('.toc-tree a.reference[href^="#"]', "links => links.map(a => a.hash.slice(1))")
    ids = [i for i in ids if i]
    first, second = ids[2], ids[-3]
    for target in (first, second):
        page.evaluate(f"document.querySelector('.toc-tree a.reference[href=\"#{target}\"]').click()")
        page.wait_for_timeout(200)
    page.go_back()
    page.wait_for_timeout(400)
    top = page.evaluate(f"decodeURIComponent(location.hash.slice(1)) === {first!r} && "
                        f"document.getElementById({first!r}).getBoundingClientRect().top")
    assert top is not False, "back did not return to the first section"
    assert -2 <= top - header <= 60, f"after back, the heading is {top - header:.0f} px from the top"
    page.go_forward()
    page.wait_for_timeout(400)
    top = page.evaluate(f"document.getElementById({second!r}).getBoundingClientRect().top")
    at_bottom = page.evaluate("scrollY + innerHeight >= document.documentElement.scrollHeight - 2")
    assert at_bottom or -2 <= top - header <= 60, f"after forward, the heading is {top - header:.0f} px off"
    page.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_page_height_stays_put_while_reading(reading, width):
    problems = []
    for article, found in reading(width).items():
        heights = found["height"]
        change = abs(heights["end"] - heights["start"]) / heights["start"]
        if change >= 0.02:
            problems.append(f"{article}: {heights['start']} px → {heights['end']} px ({change:.1%})")
    assert not problems, "the page height changed while reading:\n" + "\n".join(problems)


# Every element kb.css lets the browser skip off screen, measured as the page loads (those far
# from the screen are skipped), then again once all are drawn.
_SKIPPED = ".highlight pre > code, mjx-container > svg"
_SKIPPED_SIZES = """(selector) => {
  const boxes = () => Array.from(document.querySelectorAll(selector), (el) => {
    const box = (el.closest('pre') || el).getBoundingClientRect();
    const scroller = el.closest('pre');
    return [box.width, box.height, scroller ? scroller.scrollWidth > scroller.clientWidth : false];
  });
  // skipped: what is inside the element is not drawn (the element itself is)
  const skippedNow = Array.from(document.querySelectorAll(selector))
    .filter((el) => el.firstElementChild && !el.firstElementChild.checkVisibility({ contentVisibilityAuto: true })).length;
  const before = boxes(), heightBefore = document.documentElement.scrollHeight;
  const drawn = document.createElement('style');
  drawn.textContent = selector + ' { content-visibility: visible !important; }';
  document.head.append(drawn);
  const after = boxes(), heightAfter = document.documentElement.scrollHeight;
  drawn.remove();
  const moved = [];
  before.forEach((b, i) => {
    const a = after[i];
    if (Math.abs(a[0] - b[0]) > 0.5 || Math.abs(a[1] - b[1]) > 0.5 || a[2] !== b[2]) {
      const el = document.querySelectorAll(selector)[i];
      moved.push({ what: el.localName, near: (el.closest('section[id]') || {}).id, before: b, after: a,
                   text: el.textContent.trim().slice(0, 50) });
    }
  });
  return { count: before.length, skippedNow, moved, heightBefore, heightAfter };
}"""


@pytest.fixture(scope="module")
def desktop_like_browser(browser, tmp_path_factory):
    """Chromium as readers have it: a Chinese font installed (Noto Sans CJK SC from the pinned
    mplfonts package, through fontconfig) and scrollbars that take room (Playwright hides them),
    so that a wide code block's scrollbar is part of what is measured."""
    from sphinx_kb.diagram_render import reader_fontconfig

    conf = reader_fontconfig(tmp_path_factory.mktemp("fonts"))
    assert conf is not None, "the pinned mplfonts package (requirements.txt) is missing"
    other = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu"], ignore_default_args=["--hide-scrollbars"],
        env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    yield other
    other.close()


def test_readers_font_draws_the_chinese_text(real_server, desktop_like_browser):
    """The browser that stands for a reader's (here and in benchmarks/bench_pages.py) draws an
    article's Chinese with the pinned CJK font, not with whatever fallback the machine has."""
    page = desktop_like_browser.new_page()
    page.goto(f"{real_server}/large-model/transformer.html")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": 'article[role="main"] section > p'})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    page.close()
    used = {f["familyName"]: f["glyphCount"] for f in fonts}
    assert any("CJK" in name for name in used), used
    assert max(used, key=used.get).startswith("Noto Sans CJK"), used


@pytest.mark.parametrize("width", list(WIDTHS))
def test_skipped_content_takes_the_room_it_takes_when_drawn(real_server, desktop_like_browser, width):
    w, h = WIDTHS[width]
    page = desktop_like_browser.new_page(viewport={"width": w, "height": h})
    problems, count, skipped = [], 0, 0
    for article in ARTICLES:
        page.goto(f"{real_server}/{article}", wait_until="load")
        page.evaluate("document.fonts.ready")
        found = page.evaluate(_SKIPPED_SIZES, _SKIPPED)
        count += found["count"]
        skipped += found["skippedNow"]
        problems += [f"{article}#{m['near']}: <{m['what']}> {m['text']!r} is {m['before']} skipped, "
                     f"{m['after']} drawn" for m in found["moved"]]
        if found["heightBefore"] != found["heightAfter"]:
            problems.append(f"{article}: the page is {found['heightBefore']} px high with off-screen content "
                            f"skipped, {found['heightAfter']} px once it is drawn")
    page.close()
    assert count > 2000 and skipped > count / 2, f"{skipped} of {count} elements skipped: the check checked little"
    assert not problems, f"{len(problems)} differences at {width}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("width", list(WIDTHS))
def test_equation_numbers_never_cover_formulas(reading, width):
    problems, scrolling, total = [], 0, 0
    for article, found in reading(width).items():
        for eq in found["equations"]:
            total += 1
            if eq["overlap"]:
                problems.append(f"{article}#{eq['id']}: the number overlaps the formula")
            if not eq["inside"]:
                problems.append(f"{article}#{eq['id']}: the formula pushes the page sideways")
            if eq["scrolls"]:
                scrolling += 1
                if not eq["cue"]:
                    problems.append(f"{article}#{eq['id']}: scrolls sideways with no cue")
    assert total > 100, f"only {total} numbered formulas found"
    if width == "phone":
        assert scrolling > 0, "no formula is wider than a phone: the cue check checked nothing"
    assert not problems, "\n".join(problems[:40])


def test_formula_tex_can_be_copied(real_server, context_for):
    page = context_for("desktop").new_page()
    page.goto(f"{real_server}/large-model/transformer.html", wait_until="load")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=real_server)
    button = page.locator("div.math button.kb-copy-tex").first
    button.click(force=True)
    page.wait_for_timeout(200)
    copied = page.evaluate("navigator.clipboard.readText()")
    source = (ROOT / "large-model" / "transformer.md").read_text(encoding="utf-8")
    assert copied.strip() and copied.strip() in source, copied
    assert button.text_content() == "已复制"
    page.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_english_in_the_interface_of_any_article(reading, width):
    found = {article: measured["interface"] for article, measured in reading(width).items() if measured["interface"]}
    assert not found, "English interface text:\n" + "\n".join(f"{a}: {w}" for a, w in found.items())


OTHER_PAGES = ["index.html", "python/index.html", "large-model/index.html", "computer-vision/index.html",
               "updates/index.html", "updates/page-2.html", "glossary.html", "search.html?q=显存",
               "genindex.html", "404.html"]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_english_in_the_interface_of_the_other_pages(real_server, context_for, width):
    page = context_for(width).new_page()
    found = {}
    for other in OTHER_PAGES:
        page.goto(f"{real_server}/{other}", wait_until="load")
        if other.startswith("search.html"):
            page.wait_for_selector("#search-results .search-summary", timeout=10_000)
        if other != "404.html":  # (its links are absolute, for the host: the local server lacks them)
            page.keyboard.press("/")  # the search panel's own strings too: open it with a query
            page.keyboard.type("显存")
            page.wait_for_selector(".kb-search-panel:not([hidden]) [role=option]", timeout=10_000)
        words = english_words(page.evaluate(_INTERFACE_WORDS))
        if words:
            found[other] = words
    page.close()
    assert not found, "English interface text:\n" + "\n".join(f"{p}: {w}" for p, w in found.items())


_SHIFTS = """() => new Promise((done) => {
  const shifts = [];
  new PerformanceObserver((list) => list.getEntries().forEach((e) => {
    if (!e.hadRecentInput) shifts.push({ value: e.value, at: Math.round(e.startTime), moved: e.sources.map((s) =>
      (s.node && s.node.nodeType === 1 ? s.node.tagName.toLowerCase() + (s.node.id ? "#" + s.node.id : "")
       + (s.node.className && typeof s.node.className === "string" ? "." + s.node.className.split(" ")[0] : "") : "?")
      + ` y ${Math.round(s.previousRect.y)}->${Math.round(s.currentRect.y)} x ${Math.round(s.previousRect.x)}->${Math.round(s.currentRect.x)}`) });
  })).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => done(shifts), 1500);
})"""
SHIFT_PAGES = ["index.html", "large-model/index.html", "updates/index.html", "glossary.html",
               "python/process-vs-thread.html", "large-model/transformer.html", "search.html?q=梯度检查点"]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_nothing_moves_while_a_page_loads(real_server, context_for, width):
    """What is on screen stays where it first appeared while the page's scripts arrive and run
    (the header's buttons, the theme toggles, search results). The scripts are held back a
    little, as a slow phone's network does, so that the page is drawn before they run."""
    page = context_for(width).new_page()

    def late(route):
        time.sleep(0.25)
        route.continue_()

    page.route("**/*.js*", late)
    moved = {}
    for target in SHIFT_PAGES:
        page.goto(f"{real_server}/{target}", wait_until="load")
        shifts = page.evaluate(_SHIFTS)
        if sum(s["value"] for s in shifts) > 0.001:
            moved[target] = shifts
    page.close()
    assert not moved, "layout shifts while loading:\n" + "\n".join(f"{p}: {s}" for p, s in moved.items())


@pytest.mark.parametrize("target", ["large-model/transformer.html", "index.html", "search.html?q=注意力"])
def test_no_js_class_is_gone_before_the_page_is_drawn(real_server, browser, target):
    """With scripts, furo's ``no-js`` class is off ``<html>`` before the body is parsed, so
    DOMContentLoaded does not restyle a long article (furo drops it only then). Without
    scripts it stays, and the controls that need scripts stay hidden."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.add_init_script("""window.kbNoJs = {};
      new MutationObserver(() => {
        if (document.body && !("body" in window.kbNoJs))
          window.kbNoJs.body = document.documentElement.classList.contains("no-js");
      }).observe(document, { childList: true, subtree: true });
      document.addEventListener("DOMContentLoaded",
        () => { window.kbNoJs.ready = document.documentElement.classList.contains("no-js"); }, { capture: true });""")
    page.goto(f"{real_server}/{target}", wait_until="load")
    seen = page.evaluate("window.kbNoJs")
    page.close()
    assert seen == {"body": False, "ready": False}, f"{target}: no-js still set when {seen}"

    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{real_server}/{target}", wait_until="load")
    assert "no-js" in (page.get_attribute("html", "class") or "").split()
    assert page.locator(".theme-toggle-container").first.is_visible() is False
    context.close()


def test_the_interface_check_sees_english(real_server, context_for):
    """The check above finds what it looks for: furo's English, put back into a page."""
    page = context_for("desktop").new_page()
    page.goto(f"{real_server}/large-model/kv-cache.html", wait_until="load")
    page.evaluate("""() => {
      document.querySelector('.kb-category').textContent = 'Large Model';
      document.querySelector('.theme-toggle').setAttribute('title', 'Toggle Light / Dark / Auto color theme');
      const top = document.createElement('button'); top.textContent = 'Back to top'; document.body.append(top);
    }""")
    words = english_words(page.evaluate(_INTERFACE_WORDS))
    page.close()
    assert {"Large", "Model", "Toggle", "Back"} <= set(words), words


def _label_problems(article: str, labels: list[dict], scheme: str) -> list[str]:
    problems = []
    for label in labels:
        if not label["px"] >= 11:
            problems.append(f"{article} {label['src']}: smallest label {label['px']:.1f} px "
                            f"({label['shown']:.0f} of {label['natural']:.0f} px wide)")
        if f"-{scheme}.svg" not in label["src"]:
            problems.append(f"{article} {label['src']}: the {scheme} page shows another theme's drawing")
    return problems


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_diagram_label_below_11px(reading, width):
    measured = [(a, found["labels"]) for a, found in reading(width).items()]
    problems = [p for a, labels in measured for p in _label_problems(a, labels, "light")]
    assert sum(len(labels) for _a, labels in measured) >= 30, "fewer than 30 diagrams drawn at build time"
    assert not problems, "\n".join(problems)


def test_dark_mode_shows_dark_drawings_readable_on_a_phone(real_server, context_for):
    page = context_for("phone", "dark").new_page()
    problems, measured = [], 0
    for article in ARTICLES:
        page.goto(f"{real_server}/{article}", wait_until="load")
        labels = page.evaluate(_DIAGRAM_LABELS)
        measured += len(labels)
        problems += _label_problems(article, labels, "dark")
        for visible in page.eval_on_selector_all(
                "img.plot-directive", "imgs => imgs.filter(i => getComputedStyle(i).display !== 'none')"
                                      ".map(i => i.getAttribute('src'))"):
            if not visible.endswith("-dark.png"):
                problems.append(f"{article}: plot {visible} shown in dark mode")
    page.close()
    assert measured >= 30
    assert not problems, "\n".join(problems)


def test_diagrams_are_images_with_chinese_labels(real_site):
    """Drawn at build time: no Mermaid script on article pages, each diagram an <img> pair whose
    alt text holds its labels, and labels in Chinese."""
    english_only = []
    for article in ARTICLES:
        html = (real_site.outdir / article).read_text(encoding="utf-8")
        assert "kb-mermaid.js" not in html and "mermaid.esm" not in html, article
        for alt in re.findall(r'<div class="kb-diagram"[^>]*>.*?<img[^>]*alt="([^"]*)"', html, re.S):
            if not re.search("[\u4e00-\u9fff]", alt.removeprefix("图：")):
                english_only.append(f"{article}: {alt[:80]}")
    assert not english_only, "diagrams labelled only in English:\n" + "\n".join(english_only)


def test_plots_have_a_dark_twin_size_and_alt_text(real_site):
    figures = 0
    for article in ARTICLES:
        html = (real_site.outdir / article).read_text(encoding="utf-8")
        for tag in re.findall(r"<img[^>]*plot-directive[^>]*>", html):
            figures += 1
            assert re.search(r'width="\d+"', tag) and re.search(r'height="\d+"', tag), tag
            alt = re.search(r'alt="([^"]*)"', tag).group(1)
            assert alt.startswith("图：") and ".png" not in alt and "/" not in alt.split("：", 1)[1][:1], tag
            src = re.search(r'src="([^"]*)"', tag).group(1)
            assert (real_site.outdir / article).parent.joinpath(src).resolve().is_file(), src
        light = len(re.findall(r"<img[^>]*plot-directive[^>]*only-light", html))
        dark = len(re.findall(r"<img[^>]*plot-directive[^>]*only-dark", html))
        assert light == dark, f"{article}: {light} light plots, {dark} dark twins"
    assert figures >= 30, f"only {figures} plot images"
