"""The build is the gate: every contributor mistake fails it with the file, the line and a fix.

Each case appends a few lines to (or adds a file in) a copy of the fixture site, builds it as
`make html` does, and asserts the message a contributor sees.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURE_SITE, build_site

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")

PAGE = "python/ddp.md"
PAGE_LINES = len((FIXTURE_SITE / PAGE).read_text(encoding="utf-8").splitlines())

# name: (text appended to python/ddp.md, line of the mistake within that text (1-based), message)
APPENDED = {
    "broken {doc}": ("\n见 {doc}`/large-model/memroy`。\n", 2,
                     "unknown document '/large-model/memroy': link an article by its path from the site root "
                     "without .md, e.g. {doc}`/large-model/flash-attention` Did you mean '/large-model/memory'?"),
    "broken {ref}": ("\n见 {ref}`ddp-setup`。\n", 2, "unknown label 'ddp-setup': put a line (ddp-setup)= right above"),
    "broken {eq}": ("\n由式 {eq}`flash-eq-onlin` 可知。\n", 2,
                    "unknown equation label 'flash-eq-onlin'"),
    "broken Markdown link": ("\n见[显存一文](../large-model/memroy.md)。\n", 2, "memroy.md"),
    "broken heading anchor": ("\n见[递推](../large-model/flash.md#no-such-heading)。\n", 2, "no-such-heading"),
    "missing image": ("\n![示意图](ring.png)\n", 2, "ring.png"),
    "unclosed code fence": ("\n```python\nx = 1\n\n## 下一节\n", 2,
                            "the code block opened here with ``` is never closed: add a line ```"),
    "unclosed directive": ("\n:::{note}\n提示\n\n## 下一节\n", 2,
                           "the directive {note} opened here with ::: is never closed: add a line :::"),
    "unclosed fence in a directive": ("\n````{note}\n```python\nx = 1\n````\n", 3,
                                      "the code block opened here with ``` is never closed"),
    "unclosed $$": ("\n$$\nx = 1\n\n## 下一节\n", 2, "a $$ math block opened here is never closed"),
    "bad TeX": ("\n显存为 $\\frac{a}{b$ 字节。\n", 2, "TeX error in this formula: Missing close brace"),
    "raw <script>": ("\n<script>alert(1)</script>\n", 2, "raw <script> is not allowed in articles"),
    "raw <iframe>": ("\n<iframe src=\"https://example.com\"></iframe>\n", 2, "raw <iframe> is not allowed"),
    "raw <style>": ("\n<style>body{display:none}</style>\n", 2, "raw <style> is not allowed"),
    "inline event handler": ("\n<img src=\"x.png\" onerror=\"alert(1)\">\n", 2, "inline event handlers"),
    "javascript: link": ("\n[点我](javascript:alert(1))\n", 2, "'javascript:' URLs are not allowed"),
}


def _build_with(tmp_path, appended: str = "", extra: dict[str, str] | None = None):
    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    if appended:
        page = src / PAGE
        page.write_text(page.read_text(encoding="utf-8") + appended, encoding="utf-8")
    for name, text in (extra or {}).items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text, encoding="utf-8")
    return build_site(src, tmp_path / "out")


@pytest.mark.parametrize("case", APPENDED)
def test_mistake_fails_the_build_with_file_line_and_fix(tmp_path, case):
    appended, line, message = APPENDED[case]
    site = _build_with(tmp_path, appended)
    assert site.returncode != 0, f"{case}: the build passed"
    where = f"{PAGE}:{PAGE_LINES + line}:"
    assert any(where in w and message in w for w in site.warnings), \
        f"{case}: expected '{where} ... {message}' in\n" + "\n".join(site.warnings)
    # the article with the mistake is still published, and so is every other article
    for page in ("python/ddp.html", "python/shared-weights.html", "large-model/memory.html"):
        assert (tmp_path / "out" / page).exists()


ARTICLE = "---\ndate: 2026-01-01\ncategory: Python\n---\n\n# 放错位置的文章\n\n正文。\n"


@pytest.mark.parametrize(("path", "message"), [
    ("misc/lost.md", "outside the category folders and would not be published: move it into one of python/"),
    ("large_model/lost.md", "(did you mean large-model/?)"),
    ("lost.md", "outside the category folders"),
    ("python/sub/lost.md", "not in a sub-folder: move it to python/lost.md"),
])
def test_page_outside_the_categories_fails(tmp_path, path, message):
    site = _build_with(tmp_path, extra={path: ARTICLE})
    assert site.returncode != 0
    assert any(f"{path}:1:" in w and message in w for w in site.warnings), "\n".join(site.warnings)


def test_article_missing_from_every_toctree_fails(tmp_path):
    src_index = "python/index.md"
    text = (FIXTURE_SITE / src_index).read_text(encoding="utf-8").replace(":glob:\n\n*\n", "\nddp\n")
    site = _build_with(tmp_path, extra={src_index: text})
    assert site.returncode != 0
    assert any("shared-weights.md" in w and "isn't included in any toctree" in w for w in site.warnings), \
        "\n".join(site.warnings)


def test_same_explicit_label_in_two_articles_fails(tmp_path):
    other = "python/shared-weights.md"
    text = (FIXTURE_SITE / other).read_text(encoding="utf-8") + "\n(kb-setup)=\n## 环境\n"
    site = _build_with(tmp_path, "\n(kb-setup)=\n## 环境准备\n", extra={other: text})
    assert site.returncode != 0
    assert any("duplicate label kb-setup" in w for w in site.warnings), "\n".join(site.warnings)


def test_correct_site_passes(fixture_site):
    """The cases above fail because of the mistake, not because the fixture is broken."""
    assert fixture_site.returncode == 0 and fixture_site.warnings == []


def test_external_links_get_noopener(tmp_path):
    site = _build_with(tmp_path, "\n见 [PyTorch 文档](https://pytorch.org/docs/stable/)。\n")
    assert site.returncode == 0, site.log[-2000:]
    html = site.html("python/ddp.html")
    assert 'href="https://pytorch.org/docs/stable/" rel="noopener"' in html


XSS = "<script>alert(1)</script>"


def test_front_matter_values_are_escaped_everywhere(tmp_path):
    page = "large-model/memory.md"
    text = (FIXTURE_SITE / page).read_text(encoding="utf-8")
    text = text.replace("tags: [显存, 混合精度]", f'tags: [显存, "{XSS}"]')
    text = text.replace("  - {date: 2026-02-08, note: 第 8 次修订}", f'  - {{date: 2026-02-08, note: "{XSS}"}}')
    text = text.replace("related: [large-model/flash]", f'related: [large-model/flash]\nsummary: "摘要 {XSS} <b>粗</b>"')
    site = _build_with(tmp_path, extra={page: text})
    assert site.returncode == 0, site.log[-3000:]
    pages = ["large-model/memory.html", "updates/index.html", "tags/index.html", "index.html",
             "large-model/index.html"]
    for name in pages:
        html = site.html(name)
        assert XSS not in html and "<b>粗</b>" not in html, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in site.html("updates/index.html")  # shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in site.html("tags/index.html")
    feed = (tmp_path / "out" / "atom.xml").read_text(encoding="utf-8")
    assert XSS not in feed and "&lt;script&gt;alert(1)&lt;/script&gt;" in feed
    import feedparser

    parsed = feedparser.parse(feed.encode())
    assert not parsed.bozo
    assert any(XSS in (e.get("summary") or "") or "alert(1)" in (e.get("summary") or "") for e in parsed.entries)


def test_script_in_a_title_is_rejected(tmp_path):
    page = "python/ddp.md"
    text = (FIXTURE_SITE / page).read_text(encoding="utf-8").replace("# 分布式数据并行入门", f"# 分布式{XSS}入门")
    site = _build_with(tmp_path, extra={page: text})
    assert site.returncode != 0
    assert any("ddp.md:" in w and "raw <script> is not allowed in articles" in w for w in site.warnings)
    assert XSS not in (tmp_path / "out" / "updates" / "index.html").read_text(encoding="utf-8")
