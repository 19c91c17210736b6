"""What readers expect of a Read the Docs knowledge base: 404, sitemap, Open Graph, glossary,
last-updated and source links, offline EPUB."""

from __future__ import annotations

import functools
import http.server
import posixpath
import re
import subprocess
import sys
import threading
import zipfile
from html.parser import HTMLParser

import pytest

from conftest import ROOT, article_files

BASEURL = "https://dl-knowledge-base.readthedocs.io/zh-cn/latest/"
PREFIX = "/zh-cn/latest/"
ARTICLES = [p.relative_to(ROOT).with_suffix("").as_posix() for p in article_files()]


class _Meta(HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("content") is not None:
            self.meta[a.get("property") or a.get("name") or ""] = a["content"]


def meta_of(html: str) -> dict[str, str]:
    parser = _Meta()
    parser.feed(html)
    return parser.meta


# --- 404 ------------------------------------------------------------------------------------

class _ReadTheDocsLike(http.server.SimpleHTTPRequestHandler):
    """Serves the site under /zh-cn/latest/ and answers unknown paths with 404.html, as
    Read the Docs does."""

    def translate_path(self, path):
        path = path.split("?", 1)[0]
        if path.startswith(PREFIX):
            path = "/" + path[len(PREFIX):]
        return super().translate_path(path)

    def send_error(self, code, message=None, explain=None):
        if code != 404:
            return super().send_error(code, message, explain)
        body = (self.directory_root / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_404_page_keeps_the_look_at_any_depth(real_site, offline_page):
    handler = type("Handler", (_ReadTheDocsLike,), {"directory_root": real_site.outdir})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(handler, directory=str(real_site.outdir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        failed = []
        offline_page.on("requestfailed", lambda r: failed.append(r.url))
        offline_page.on("response", lambda r: r.status >= 400 and "/no/such/" not in r.url and failed.append(r.url))
        url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}large-model/no/such/page.html"
        response = offline_page.goto(url)
        offline_page.wait_for_load_state("networkidle")
        assert response.status == 404
        assert offline_page.locator("h1").first.inner_text() == "页面不存在"
        # furo's stylesheet loaded from the absolute prefix: the sidebar is laid out, not a bare list
        assert offline_page.locator(".sidebar-drawer").is_visible()
        assert offline_page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
        home = offline_page.locator("article a", has_text="首页").get_attribute("href")
        assert home == PREFIX
        assert failed == []
        # the only console message is Chromium's note that the page itself answered 404
        assert [e for e in offline_page.console_errors if "status of 404" not in e] == []
        assert len(offline_page.console_errors) <= 1
    finally:
        server.shutdown()


# --- sitemap ---------------------------------------------------------------------------------

def test_sitemap_lists_pages_not_search(real_site):
    sitemap = (real_site.outdir / "sitemap.xml").read_text(encoding="utf-8")
    urls = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert all(u.startswith(BASEURL) for u in urls)
    pages = {u[len(BASEURL):].removesuffix(".html") for u in urls}
    assert set(ARTICLES) <= pages and {"index", "glossary", "python/index"} <= pages
    assert not {"search", "genindex", "404"} & pages


# --- Open Graph -----------------------------------------------------------------------------

def test_article_has_readable_open_graph_tags(real_site):
    meta = meta_of(real_site.html("large-model/flash-attention.html"))
    assert meta["og:title"].startswith("FlashAttention")
    assert meta["og:url"] == BASEURL + "large-model/flash-attention.html"
    assert meta["og:type"] == "article"
    description = meta["og:description"]
    assert description == meta["description"]
    assert "N×N" in description and "\\" not in description and "$" not in description
    assert "[公式]" not in description and "[代码]" not in description
    assert re.search(r"[\u4e00-\u9fff]{8}", description)
    assert "og:image" not in meta  # no image cards: no CJK font is guaranteed on the build machine


def test_every_article_description_is_plain_text(real_site):
    for docname in ARTICLES:
        meta = meta_of(real_site.html(f"{docname}.html"))
        text = meta.get("description", "")
        assert 40 < len(text) <= 163, docname
        assert not re.search(r"\\[a-zA-Z]|\$|\[(公式|代码|图)\]", text), (docname, text)


def test_plain_math_in_descriptions():
    from sphinx_kb.metadata import describe, plain_math

    assert plain_math(r"N\times N") == "N×N" and plain_math("O(N^2)") == "O(N²)"
    assert plain_math(r"\beta_2 = 0.95") == "β₂=0.95" and plain_math(r"\frac{a}{b}") == ""
    assert describe("先算 [公式] 的矩阵,再乘以 V [代码] 即可...") == "先算 的矩阵,再乘以 V 即可"


# --- glossary, last updated, source links ----------------------------------------------------

def test_glossary_terms_link_both_ways(real_site):
    glossary = real_site.html("glossary.html")
    term_ids = set(re.findall(r'<dt id="(term-[^"]+)"', glossary))
    assert len(term_ids) >= 20
    uses = 0
    for docname in ARTICLES:
        for target in re.findall(r'href="\.\./glossary\.html#(term-[^"]+)"', real_site.html(f"{docname}.html")):
            assert target in term_ids, (docname, target)
            uses += 1
    assert uses >= 15
    # every entry points to the article that explains it
    for entry in re.findall(r"<dd>(.*?)</dd>", glossary, re.S):
        assert re.search(r'href="(python|large-model|computer-vision)/[^"]+\.html', entry), entry[:80]


def test_article_shows_last_updated_and_source_links(real_site):
    html = real_site.html("large-model/adam-adamw.html")
    assert re.search(r"最后更新于 \d{4}-\d{2}-\d{2}", html)
    assert "/edit/main/large-model/adam-adamw.md" in html
    assert "/blob/main/large-model/adam-adamw.md" in html


_DIAGRAM_FENCE = re.compile(r"^\s*(?:`{3,}|:{3,})\{mermaid\}", re.M)


# --- EPUB -------------------------------------------------------------------------------------

def test_epub_builds_with_every_article(tmp_path):
    out = tmp_path / "epub"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "epub", "-W", "--keep-going", "-n", "-q",
                           "-d", str(tmp_path / "doctrees"), str(ROOT), str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    book = out / "dl-knowledge-base.epub"
    with zipfile.ZipFile(book) as epub:
        assert epub.testzip() is None
        names = epub.namelist()
        assert names[0] == "mimetype" and epub.read("mimetype") == b"application/epub+zip"
        chapters = {n.removesuffix(".xhtml") for n in names if n.endswith(".xhtml")}
        assert set(ARTICLES) <= chapters
        opf = epub.read("content.opf").decode()
        assert "<dc:language>zh-CN</dc:language>" in opf
        page = epub.read("large-model/adam-adamw.xhtml").decode()
        assert page.count("<mjx-container") > 20 and "\\(" not in page  # formulas are SVG, not TeX source
        assert "genindex.xhtml" not in names
        assert "Adam 与 AdamW" in page
        # diagrams: each one an SVG drawing in the book (drawn at build time), never Mermaid source
        svgs = {n for n in names if n.endswith(".svg")}
        for docname in ARTICLES:
            expected = len(_DIAGRAM_FENCE.findall((ROOT / f"{docname}.md").read_text(encoding="utf-8")))
            chapter = epub.read(f"{docname}.xhtml").decode()
            images = re.findall(r'<img[^>]* src="([^"]*kb-diagram-[0-9a-f]+-light\.svg)"', chapter)
            assert len(images) == expected, (docname, expected, len(images))
            for src in images:
                name = posixpath.normpath(posixpath.join(posixpath.dirname(docname), src))
                assert name in svgs, name
                assert epub.read(name).lstrip().startswith((b"<svg", b"<?xml")), name
            assert 'class="mermaid' not in chapter and "-dark.svg" not in chapter, docname
        assert sum(len(_DIAGRAM_FENCE.findall((ROOT / f"{d}.md").read_text(encoding="utf-8"))) for d in ARTICLES) >= 30
        import xml.dom.minidom

        for name in names:  # every chapter is well-formed XHTML
            if name.endswith(".xhtml"):
                xml.dom.minidom.parseString(epub.read(name))


@pytest.mark.parametrize("name", [".readthedocs.yaml"])
def test_read_the_docs_builds_the_offline_formats(name):
    config = (ROOT / name).read_text(encoding="utf-8")
    assert re.search(r"^formats:\s*\n\s*-\s*epub", config, re.M)
    import yaml

    parsed = yaml.safe_load(config)
    assert "pdf" in parsed["formats"]
    # the PDF is our own print (sphinx_kb/pdf.py), not Read the Docs' LaTeX build, put where RTD
    # picks up a custom PDF: $READTHEDOCS_OUTPUT/pdf/
    steps = parsed["build"]["jobs"]["build"]["pdf"]
    assert any("sphinx_kb.pdf" in step and "$READTHEDOCS_OUTPUT/pdf/" in step for step in steps)
    # a browser before the HTML build: the hosted site's diagrams are drawn at build time too,
    # not left to the readers' browsers (the fallback when there is none)
    assert any("playwright install chromium" in step for step in parsed["build"]["jobs"]["pre_build"])
    assert "libnss3" in parsed["build"]["apt_packages"]
