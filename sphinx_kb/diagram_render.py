"""Mermaid diagrams drawn at build time, as SVG images, in headless Chromium.

Drawn in the reader's browser, a diagram costs about 0.5 s of script on a slow phone, moves
the page when it appears (table-of-contents jumps land in the wrong place), cannot be read
in the EPUB, and shrinks a wide chart until its labels are a few pixels high. Here the
pinned Mermaid (``node_modules/mermaid``) draws every diagram once per build, in the
Chromium the tests use, with no network: every request the page makes is answered from
``node_modules`` or refused. Each diagram becomes two SVG files (light and dark theme) shown
with ``<img>``: an image cannot run script or style the page, whatever a diagram's text is.
Its ``width``/``height`` attributes reserve its room before it loads, and a minimum width
keeps the smallest label at ``MIN_LABEL_PX`` or more (a wider chart scrolls sideways).

Drawings are cached by the diagram's text, the Mermaid version and this module's settings
(``<diagram cache>.svg/``). Without a browser (``KB_CHROMIUM``, ``/usr/bin/chromium``,
``chromium`` on PATH or Playwright's own) the diagrams are drawn in the browser as before.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

from sphinx.util import logging

logger = logging.getLogger(__name__)

MIN_LABEL_PX = 11.5  # the smallest label on screen; 11 px is the floor the tests hold
FONT_FILE = "NotoSansCJKsc-Regular.otf"  # from the pinned mplfonts package (also used by plots)
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
THEMES = {"light": "default", "dark": "dark"}
_SETTINGS = {"securityLevel": "strict", "htmlLabels": False, "flowchart": {"htmlLabels": False, "padding": 12},
             "fontFamily": FONT_FAMILY, "themeVariables": {"fontFamily": FONT_FAMILY, "fontSize": "16px"}}
_ORIGIN = "http://kb-render.invalid"

# Elements Mermaid's SVG may contain; anything else means the drawing is not what we expect.
_SVG_ELEMENTS = {"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
                 "defs", "marker", "style", "title", "desc", "lineargradient", "radialgradient", "stop",
                 "clippath", "mask", "pattern", "use", "symbol", "filter", "fegaussianblur", "feoffset",
                 "feblend", "feflood", "fecomposite", "femerge", "femergenode", "fedropshadow"}
_OUTSIDE = re.compile(r"url\(\s*['\"]?(?!#)|@import|expression\(", re.I)


def font_path() -> Path | None:
    try:
        import mplfonts
    except ImportError:
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    return path if path.is_file() else None


def reader_fontconfig(folder: Path) -> Path | None:
    """A fontconfig file that adds the pinned Chinese font to the system's, for a browser that
    should see pages as readers do (every phone and desktop a Chinese reader uses has a CJK
    font; a bare build machine has none, and then renders and measures tofu)."""
    font = font_path()
    if font is None:
        return None
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{font.parent}</dir><cachedir>{folder / 'fontconfig-cache'}</cachedir></fontconfig>",
        encoding="utf-8")
    return conf


def chromium_path() -> str | None:
    for candidate in (os.environ.get("KB_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None  # Playwright's own browser, if `playwright install chromium` put one there


@functools.lru_cache(maxsize=4)
def mermaid_version(node_modules: Path) -> str:
    try:
        return json.loads((node_modules / "mermaid" / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


def render_key(code: str, node_modules: Path) -> str:
    settings = json.dumps([_SETTINGS, THEMES, MIN_LABEL_PX, mermaid_version(node_modules), 3], sort_keys=True)
    return hashlib.sha256((settings + "\0" + code).encode("utf-8")).hexdigest()[:24]


def svg_problem(svg: str) -> str | None:
    """Why a drawing is not plain SVG, or None: parsed as XML, every element on the list, no
    event handler, no link or style reaching outside the drawing."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as err:
        return f"markup that is not well-formed SVG ({err})"
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name.lower() not in _SVG_ELEMENTS:
            return f"an unexpected <{name}> element"
        for attribute, value in element.attrib.items():
            attribute = attribute.rsplit("}", 1)[-1].lower()
            if attribute.startswith("on"):
                return f"an event-handler attribute ({attribute})"
            if attribute in ("href", "src") and not value.startswith("#"):
                return f"a link to {value[:60]!r}"
            if _OUTSIDE.search(value):
                return f"a style that loads another file ({value[:60]!r})"
        if name == "style" and _OUTSIDE.search(element.text or ""):
            return "a style sheet that loads another file"
    return None


def launch_chromium(playwright):
    """Headless Chromium for build-time work (diagrams here, the PDF in ``pdf``): the Debian
    browser where there is one, else Playwright's own; no GPU, no background traffic."""
    options = {"args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--font-render-hinting=none"]}
    if chromium_path():
        options["executable_path"] = chromium_path()
    return playwright.chromium.launch(**options)


_PAGE_SCRIPT = r"""
import mermaid from "/mermaid/mermaid.esm.min.mjs";
window.kbRender = async (sources, theme, settings, prefix) => {
  mermaid.initialize({ startOnLoad: false, theme, ...settings });
  await document.fonts.load('16px "Noto Sans CJK SC"', "中文");
  const results = [];
  for (const [index, source] of sources.entries()) {
    try {
      const { svg } = await mermaid.render(`${prefix[index]}`, source);
      const holder = document.createElement("div");
      holder.innerHTML = svg;
      document.body.append(holder);
      const root = holder.querySelector("svg");
      const box = root.viewBox.baseVal;
      let smallest = 1000;
      const labels = [];
      for (const text of root.querySelectorAll("text")) {
        if (!text.textContent.trim()) continue;
        smallest = Math.min(smallest, parseFloat(getComputedStyle(text).fontSize));
        const rows = text.querySelectorAll(":scope > tspan");
        const words = rows.length ? Array.from(rows, (row) => row.textContent) : [text.textContent];
        labels.push(words.join(" ").replace(/\s+/g, " ").trim());
      }
      holder.remove();
      results.push({ svg, width: box.width, height: box.height, smallest, labels });
    } catch (error) {
      results.push({ error: String(error && error.message || error) });
    }
  }
  return results;
};
window.kbReady = true;
"""


def render(sources: list[tuple[str, str]], node_modules: Path) -> dict[str, dict]:
    """Draw (key, code) pairs; {key: {"light": svg, "dark": svg, "width", "height", "smallest",
    "labels"} or {"error": message}}. Raises RuntimeError when no browser can be started."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    dist = (node_modules / "mermaid" / "dist").resolve()
    font = font_path()
    font_css = (f'@font-face {{ font-family: "Noto Sans CJK SC"; src: url("/font/{FONT_FILE}"); }}'
                if font else "")
    page_html = (f"<!doctype html><html><head><meta charset='utf-8'><style>{font_css} body {{ margin: 0; "
                 f"font-family: {FONT_FAMILY}; }}</style></head><body>"
                 f"<script type='module'>{_PAGE_SCRIPT}</script></body></html>")

    def answer(route) -> None:
        url = route.request.url
        path = url[len(_ORIGIN):].split("?", 1)[0] if url.startswith(_ORIGIN) else None
        if path == "/":
            return route.fulfill(status=200, content_type="text/html", body=page_html)
        if path and path.startswith("/mermaid/"):
            target = (dist / path[len("/mermaid/"):]).resolve()
            if target.is_relative_to(dist) and target.is_file():
                return route.fulfill(status=200, content_type="text/javascript", body=target.read_bytes())
        if font and path == f"/font/{FONT_FILE}":
            return route.fulfill(status=200, content_type="font/otf", body=font.read_bytes())
        return route.abort()  # nothing leaves the machine

    results: dict[str, dict] = {key: {} for key, _code in sources}
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1200})
                page.route("**/*", answer)
                page.goto(_ORIGIN + "/")
                page.wait_for_function("window.kbReady === true", timeout=60_000)
                prefixes = [f"kb-d{key[:12]}" for key, _code in sources]
                for variant, theme in THEMES.items():
                    drawn = page.evaluate("([s, t, c, p]) => window.kbRender(s, t, c, p)",
                                          [[code for _key, code in sources], theme, _SETTINGS, prefixes])
                    for (key, _code), result in zip(sources, drawn):
                        entry = results[key]
                        if "error" in result:
                            entry["error"] = result["error"]
                            continue
                        entry[variant] = result["svg"]
                        entry.update(width=result["width"], height=result["height"],
                                     smallest=result["smallest"], labels=result["labels"])
            finally:
                browser.close()
    except PlaywrightError as err:
        raise RuntimeError(str(err).splitlines()[0]) from err
    for key, entry in results.items():
        for variant in THEMES:
            if variant in entry and (problem := svg_problem(entry[variant])):
                entry.clear()
                entry["error"] = f"the drawing holds {problem}"
    return results


def image_html(key: str, entry: dict, images_uri: str, *, epub: bool, lazy: bool = False) -> str:
    """The <img> elements of one drawn diagram (both themes on the site, the light one in EPUB);
    ``lazy`` below an article's opening, as ``assets`` does for images."""
    width, height = round(entry["width"]), round(entry["height"])
    smallest = entry.get("smallest") or 16
    # Below this width the smallest label would fall under MIN_LABEL_PX: the frame scrolls instead.
    min_width = min(width, int(width * MIN_LABEL_PX / smallest + 0.999))
    labels = "；".join(dict.fromkeys(entry.get("labels", [])))
    alt = html.escape(f"图：{labels}" if labels else "图", quote=True)
    images = []
    for variant in ("light",) if epub else ("light", "dark"):
        theme, decoding = ("", "") if epub else (f' class="only-{variant}"', ' decoding="async"')  # EPUB: no switch
        decoding += ' loading="lazy"' if lazy and not epub else ""
        images.append(f'<img{theme} src="{images_uri}/kb-diagram-{key}-{variant}.svg" width="{width}" '
                      f'height="{height}" alt="{alt}" style="min-width: {min_width}px"{decoding} />')
    frame = "".join(images)
    return (f'<div class="kb-diagram" data-min-width="{min_width}"><div class="kb-diagram-frame" '
            f'tabindex="0" role="group" aria-label="图（可横向滚动）">{frame}</div></div>\n')
