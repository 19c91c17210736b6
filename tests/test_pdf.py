"""`make pdf`: one PDF with a printed table of contents and an outline, every article, page
numbers, internal links that land on the right page, formulas as vector paths and embedded
fonts. The fixture site's PDF is checked on every run; the whole knowledge base's PDF (about
4 minutes on 2 cores) by `make test-pdf` (marker ``pdf``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from conftest import BUILD_ROOT, FIXTURE_SITE, ROOT, article_files, report_line

pypdf = pytest.importorskip("pypdf")

pytestmark = [pytest.mark.browser, pytest.mark.inputs("code")]  # printed by Chromium; the fixture site


def _title(path: Path) -> str:
    return next(line[2:].strip() for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# "))


PDFTOTEXT = shutil.which("pdftotext")


def _norm(text: str) -> str:
    """Text without whitespace (line breaks fall anywhere), in NFKC form."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def page_texts(path: Path) -> list[str]:
    """Each page's text, as poppler's pdftotext reads it (what a reader's search finds)."""
    assert PDFTOTEXT, "pdftotext is missing: `make test` installs Debian's poppler-utils"
    text = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [_norm(page) for page in text.split("\f")[:-1]]


class Pdf:
    def __init__(self, path: Path, srcdir: Path):
        self.path = path
        self.reader = pypdf.PdfReader(path)
        self.pages = page_texts(path)
        self.dests = {str(k).lstrip("/"): self.reader.get_destination_page_number(v) + 1
                      for k, v in self.reader.named_destinations.items()}
        self.articles = {p.relative_to(srcdir).with_suffix("").as_posix(): _title(p) for p in article_files(srcdir)}


def _print(srcdir: Path, builddir: Path) -> Pdf:
    if builddir.exists():
        shutil.rmtree(builddir)
    out = builddir / "pdf" / "dl-knowledge-base.pdf"
    proc = subprocess.run([sys.executable, "-m", "sphinx_kb.pdf", "--srcdir", str(srcdir), "--builddir", str(builddir),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert re.search(r"PDF: .* — \d+ pages, [\d.]+ MB", proc.stdout)
    return Pdf(out, srcdir)


@pytest.fixture(scope="module")
def fixture_pdf() -> Pdf:
    return _print(FIXTURE_SITE, BUILD_ROOT / "pdf-fixture")


def check_pdf(pdf: Pdf) -> None:
    reader, pages = pdf.reader, pdf.pages
    n = len(reader.pages)
    # every article, on a page of its own, after the title page and the table of contents
    assert n >= len(pdf.articles) + 2
    for docname, title in pdf.articles.items():
        start = pdf.dests[f"document-{docname}"]
        assert _norm(title) in pages[start - 1], (docname, start)
    # page numbers: "k / n" in every footer (pdftotext may place the footer before a table)
    for k, text in enumerate(pages, 1):
        assert f"{k}/{n}" in text, (k, text[-40:])
    # the printed table of contents: each article with the page it starts on, linked there
    last = min(pdf.dests[f"document-{d}"] for d in pdf.articles) - 1  # the contents may take pages
    toc = subprocess.run([PDFTOTEXT, "-layout", "-enc", "UTF-8", "-f", "2", "-l", str(last), str(pdf.path), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert _norm(toc).startswith("目录")
    rows = [_norm(line) for line in toc.splitlines()]
    for docname, title in pdf.articles.items():  # long titles wrap: the number ends the row
        number = pdf.dests[f"document-{docname}"]
        row = next((i for i, r in enumerate(rows) if r.startswith(_norm(title)[:12])), None)
        assert row is not None, title
        if rows[row].startswith(_norm(title)):  # on one line: the title, then its page
            assert rows[row] == f"{_norm(title)}{number}", (rows[row], number)
        else:
            assert f"{number}" in (rows[row][-4:], rows[row + 1][-4:]) or \
                rows[row].endswith(str(number)) or rows[row + 1].endswith(str(number)), (title, number)
    toc_links = [a.get_object() for page in reader.pages[1:last] for a in page.get("/Annots", [])]
    linked = {str(a["/Dest"]).lstrip("/") for a in toc_links if "/Dest" in a}
    assert {f"document-{d}" for d in pdf.articles} <= linked
    # every internal link of the PDF lands on a named destination that exists
    links = 0
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                links += 1
                assert str(annot["/Dest"]).lstrip("/") in pdf.dests, annot["/Dest"]
    assert links >= len(pdf.articles)
    # the outline: 目录, then each category with its articles, each on the page it starts
    outline = []

    def walk(items, depth=0):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                outline.append((depth, _norm(item.title), reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    assert outline[0] == (0, "目录", 2)
    for docname, title in pdf.articles.items():
        assert (1, _norm(title), pdf.dests[f"document-{docname}"]) in outline, title
    assert reader.root_object["/PageMode"] == "/UseOutlines"
    # fonts: every font the pages use is in the file (Type 3 glyph procedures or a font file)
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            if font["/Subtype"] == "/Type3":
                assert font["/CharProcs"]
                continue
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font


def math_page(pdf: Pdf, docname: str) -> int:
    return pdf.dests[f"document-{docname}"]


def test_fixture_pdf(fixture_pdf):
    check_pdf(fixture_pdf)
    assert fixture_pdf.reader.metadata.title == "测试知识库"


def test_formulas_are_vector_paths(fixture_pdf):
    # flash.md's formulas: drawn as curves in the page, not as images and not as TeX text
    page_number = math_page(fixture_pdf, "large-model/flash")
    page = fixture_pdf.reader.pages[page_number - 1]
    content = page.get_contents().get_data()
    assert len(re.findall(rb"\sc\n", content)) > 200
    xobjects = page["/Resources"].get("/XObject", {})
    assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
    text = fixture_pdf.pages[page_number - 1]
    assert "\\frac" not in text and "\\sum" not in text and "$" not in text


def test_chinese_text_is_real_text(fixture_pdf):
    # text set in the embedded Noto Sans CJK SC: searchable and copyable, not outlines
    assert "用于测试构建流程的小站点" in fixture_pdf.pages[2]


@pytest.mark.pdf
@pytest.mark.inputs("everything")
def test_knowledge_base_pdf():
    """The real PDF: every article title, its table of contents, outline and links (`make test-pdf`)."""
    pdf = _print(ROOT, BUILD_ROOT / "pdf-real")
    check_pdf(pdf)
    text = "".join(pdf.pages)
    for title in pdf.articles.values():
        assert _norm(title) in text
    # diagrams are inline SVG in the print copy: their labels are text of the PDF, not images
    single = (BUILD_ROOT / "pdf-real" / "singlehtml" / "index.html").read_text(encoding="utf-8")
    printed = (BUILD_ROOT / "pdf-real" / "singlehtml" / "kb-print.html").read_text(encoding="utf-8")
    drawn = len(re.findall(r'<img class="only-light" src="_images/kb-diagram-', single))
    assert drawn >= 20 and printed.count('<span class="kb-pdf-diagram" role="img"><svg') == drawn
    assert not re.search(r"<img[^>]+kb-diagram-", printed)
    size = pdf.path.stat().st_size
    report_line(f"PDF: {len(pdf.reader.pages)} pages, {size / 1e6:.1f} MB, {len(pdf.articles)} articles")
