"""`make pdf`: the whole knowledge base as one PDF, printed from what the site already renders.

Sphinx's ``singlehtml`` builder writes every page into one HTML file, with formulas already
SVG paths (``mathrender``) and diagrams already SVG drawings (``diagram_render``). That file
is printed by the same headless Chromium that draws the diagrams (Playwright's
``page.pdf``), with no network: the page reads only files of the build. On top of the page:

* a print stylesheet: no sidebars or theme toggle, light images only, each article on a new
  page, code that wraps instead of running off the page, and Noto Sans CJK SC (the pinned
  mplfonts package) as an ``@font-face``, so the Chinese text is embedded whatever fonts the
  machine has; diagrams are put inline (an ``<img>`` SVG cannot use the page's fonts);
* a printed table of contents (categories and articles, with page numbers) after the title;
* page numbers in the footer (``displayHeaderFooter``);
* the PDF outline (bookmarks) added with pypdf, from the pages Chromium's named destinations
  point at: Chromium keeps every ``#anchor`` link as a link inside the PDF.

The page numbers of the printed table of contents come from a first print: the second
print reserves the same room for them, so no page moves.

Why not LaTeX: ``sphinx-build -b latex`` with xeCJK needs a TeX Live of about 1-2 GB
(texlive-xetex, texlive-lang-chinese, latexmk and fonts), none of which the build machine has,
and it would render the formulas and diagrams a second time, differently from the site
(MathJax's TeX subset vs. LaTeX; Mermaid SVG converted for LaTeX). Chromium is already
needed for the diagrams and the tests; the PDF shows exactly what the site shows.

Usage: ``python -m sphinx_kb.pdf [--builddir _build] [--out _build/pdf/dl-knowledge-base.pdf]``.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "dl-knowledge-base.pdf"

_PRINT_CSS = """
@font-face { font-family: "Noto Sans CJK SC"; src: url("%(font)s"); }
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html, body { background: #fff !important; }
body, .main, .content, .article-container, article {
  font-family: "Noto Sans CJK SC", sans-serif !important; color: #111 !important; }
code, pre, kbd, samp, .highlight pre { font-family: "DejaVu Sans Mono", "Noto Sans CJK SC", monospace !important; }
.sidebar-drawer, .toc-drawer, .mobile-header, .back-to-top, .theme-toggle-container, .content-icon-container,
.related-pages, .bottom-of-page, .toc-overlay-icon, .headerlink, .copybtn, .kb-notebook, .skip-to-content,
.sidebar-toggle, .announcement { display: none !important; }
.page, .main, .content { display: block !important; width: auto !important; max-width: none !important;
  margin: 0 !important; padding: 0 !important; }
.only-dark, .only-dark-mode { display: none !important; }
pre, .highlight pre { white-space: pre-wrap !important; word-break: break-all; overflow: visible !important; }
.kb-diagram-frame, div.math > mjx-container, div.math > .kb-math-body, .math-wrapper, .table-wrapper {
  overflow: visible !important; background: none !important; }
/* a formula or diagram wider than the page is scaled down to fit (on screen it scrolls) */
div.math mjx-container > svg { max-width: 100%% !important; height: auto !important; }
.kb-pdf-diagram > svg { width: 100%% !important; max-width: 100%% !important; height: auto !important; }
.kb-copy-tex { display: none !important; }
img { max-width: 100%% !important; height: auto; }
table { font-size: 0.85em; }
span[id^="document-"] { display: block; break-before: page; }
article ol, article ul { padding-left: 2.4em; }
#kb-pdf-toc { break-before: page; break-after: page; font-size: 0.95em; }
#kb-pdf-toc h2 { margin-top: 0; }
#kb-pdf-toc ol { list-style: none; padding-left: 0; margin: 0; }
#kb-pdf-toc li.kb-toc-category { margin-top: 0.8em; font-weight: 700; }
#kb-pdf-toc li.kb-toc-article { padding-left: 1.5em; font-weight: 400; }
#kb-pdf-toc a { display: flex; color: #111 !important; text-decoration: none; }
#kb-pdf-toc .kb-toc-title { flex: 1 1 auto; }
#kb-pdf-toc .kb-toc-page { flex: 0 0 3em; text-align: right; font-variant-numeric: tabular-nums; }
"""

_FOOTER = ('<div style="width: 100%; font-size: 8px; color: #555; text-align: center; '
           'font-family: DejaVu Sans, sans-serif;"><span class="pageNumber"></span> / <span class="totalPages"></span></div>')

# The table of contents: every category (h3) and article (h4) of the single page, in order,
# each linked to the anchor Sphinx puts before it (#document-<docname>).
_TOC_SCRIPT = r"""
(pages) => {
  const entries = [];
  for (const marker of document.querySelectorAll('span[id^="document-"]')) {
    const docname = marker.id.slice("document-".length);
    const section = marker.nextElementSibling;
    const heading = section && section.querySelector("h1, h2, h3, h4, h5, h6");
    if (!heading) continue;
    const title = heading.textContent.replace(/[\u00b6#]$/, "").trim();
    const kind = docname.endsWith("/index") ? "category" : docname.includes("/") ? "article" : "page";
    entries.push({ docname, title, kind, level: heading.tagName });
  }
  let toc = document.getElementById("kb-pdf-toc");
  if (!toc) {
    toc = document.createElement("nav");
    toc.id = "kb-pdf-toc";
    const first = document.querySelector("article section") || document.querySelector("article");
    const title = first.querySelector("h1");
    (title ? title.parentNode : first).insertBefore(toc, title ? title.nextSibling : first.firstChild);
  }
  const rows = entries.map((e) => {
    const page = pages && pages[e.docname] ? String(pages[e.docname]) : "\u2007\u2007\u2007";
    const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    return `<li class="kb-toc-${e.kind}"><a href="#document-${esc(e.docname)}"><span class="kb-toc-title">${esc(e.title)}</span>` +
           `<span class="kb-toc-page">${page}</span></a></li>`;
  });
  toc.innerHTML = "<h2>目录</h2><ol>" + rows.join("") + "</ol>";
  return entries;
}
"""


def _font_url() -> str | None:
    from .diagram_render import font_path

    font = font_path()
    return font.resolve().as_uri() if font else None


PAGE_PX = (680, 880)  # A4 less the margins, in CSS pixels (180 mm wide; some room left for a caption)
_DIAGRAM_IMG = re.compile(r'<img(?: class="only-(light|dark)")? src="(_images/kb-diagram-[0-9a-f]+-(?:light|dark)\.svg)"[^>]*/>')


def print_html(singlehtml: Path) -> Path:
    """A copy of the single page for printing: diagrams inline (light theme), so their labels
    use the page's embedded font; the dark twins dropped."""
    source = (singlehtml / "index.html").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        if match.group(1) == "dark" or match.group(2).endswith("-dark.svg"):
            return ""
        svg = (singlehtml / match.group(2)).read_text(encoding="utf-8")
        svg = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
        # the drawing's own size, scaled down to fit the page's width and height
        size = re.search(r'width="(\d+)" height="(\d+)"', match.group(0))
        width, height = (int(size.group(1)), int(size.group(2))) if size else (PAGE_PX[0], PAGE_PX[0])
        scale = min(1.0, PAGE_PX[0] / width, PAGE_PX[1] / height)
        return (f'<span class="kb-pdf-diagram" role="img" style="display: block; margin: 0 auto; '
                f'width: {width * scale:.0f}px">{svg}</span>')

    target = singlehtml / "kb-print.html"
    target.write_text(_DIAGRAM_IMG.sub(inline, source), encoding="utf-8")
    return target


def build_singlehtml(builddir: Path, jobs: str = "auto", srcdir: Path = ROOT) -> Path:
    out = builddir / "singlehtml"
    cmd = [sys.executable, "-m", "sphinx", "-b", "singlehtml", "-W", "--keep-going", "-n", "-q", "-j", jobs,
           "-d", str(builddir / "doctrees-singlehtml"), str(srcdir), str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "KB_ROOT": str(ROOT)})
    return out


def _print(page, path: Path) -> None:
    page.pdf(path=str(path), format="A4", print_background=True, display_header_footer=True,
             header_template="<span></span>", footer_template=_FOOTER,
             margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}, outline=False, tagged=True)


def destination_pages(reader) -> dict[str, int]:
    """{anchor: 1-based page} of the named destinations Chromium wrote."""
    pages = {}
    index = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    for name, dest in reader.named_destinations.items():
        try:
            pages[str(name).lstrip("/")] = index[dest.page.idnum] + 1 if hasattr(dest.page, "idnum") else int(dest.page) + 1
        except (KeyError, AttributeError, TypeError, ValueError):
            continue
    return pages


_T0 = [time.perf_counter()]


def _step(what: str) -> None:
    if os.environ.get("KB_PDF_TIMES"):
        now = time.perf_counter()
        print(f"  {what}: {now - _T0[0]:.1f} s", file=sys.stderr)
        _T0[0] = now


def print_pdf(singlehtml: Path, out: Path) -> dict:
    """Print the single page to ``out`` with a table of contents and an outline; returns figures."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    from .diagram_render import launch_chromium

    font = _font_url()
    singlehtml, out = singlehtml.resolve(), out.resolve()
    page_file = print_html(singlehtml)
    out.parent.mkdir(parents=True, exist_ok=True)
    draft = out.with_suffix(".draft.pdf")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            # nothing leaves the machine: the page reads the build's files and the font only
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
            page.goto(page_file.as_uri(), wait_until="load", timeout=300_000)
            page.add_style_tag(content=_PRINT_CSS % {"font": font or ""})
            page.evaluate("document.fonts.ready.then(() => true)")
            page.evaluate('document.fonts.load(\'16px "Noto Sans CJK SC"\', "中文")')
            entries = page.evaluate(_TOC_SCRIPT, None)
            title = page.evaluate('(document.querySelector("article h1") || {}).textContent || document.title')
            title = title.replace("\u00b6", "").replace("#", "").strip()
            page.emulate_media(media="print")
            _step("page loaded")
            _print(page, draft)
            _step("first print")
            pages = destination_pages(PdfReader(draft))
            numbers = {e["docname"]: pages.get("document-" + e["docname"]) for e in entries}
            page.evaluate(_TOC_SCRIPT, numbers)
            _print(page, draft)
        finally:
            browser.close()

    _step("printed twice")
    reader = PdfReader(draft)
    pages = destination_pages(reader)
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata({"/Title": title, "/Author": "深度学习知识库贡献者", "/Creator": "sphinx_kb.pdf (Chromium)"})
    writer.page_mode = "/UseOutlines"
    parent = None
    writer.add_outline_item(title="目录", page_number=1)  # the page after the title (break-before: page)
    for entry in entries:
        number = pages.get("document-" + entry["docname"])
        if number is None:
            continue
        if entry["kind"] in ("category", "page"):
            parent = writer.add_outline_item(title=entry["title"], page_number=number - 1, bold=True)
            if entry["docname"] == "glossary":
                parent = None
        else:
            writer.add_outline_item(title=entry["title"], page_number=number - 1, parent=parent)
    _step("outline")
    with out.open("wb") as f:
        writer.write(f)
    draft.unlink()
    _step("written")
    return {"pages": len(reader.pages), "bytes": out.stat().st_size, "articles": sum(e["kind"] == "article" for e in entries),
            "entries": entries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--srcdir", type=Path, default=ROOT, help="the site's sources (default: this repository)")
    parser.add_argument("--builddir", type=Path, default=ROOT / "_build")
    parser.add_argument("--out", type=Path, default=None, help=f"the PDF (default: BUILDDIR/pdf/{PDF_NAME})")
    parser.add_argument("-j", "--jobs", default="auto")
    parser.add_argument("--no-build", action="store_true", help="print BUILDDIR/singlehtml as it is")
    args = parser.parse_args(argv)
    out = args.out or args.builddir / "pdf" / PDF_NAME
    start = time.perf_counter()
    singlehtml = args.builddir / "singlehtml" if args.no_build else build_singlehtml(args.builddir, args.jobs, args.srcdir)
    figures = print_pdf(singlehtml, out)
    print(f"PDF: {out} — {figures['pages']} pages, {figures['bytes'] / 1e6:.1f} MB, "
          f"{figures['articles']} articles, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
