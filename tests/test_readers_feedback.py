"""报告勘误 / 参与讨论 (sphinx_kb.feedback): the link opens the article-error template with the
article's title, address and the section being read."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from conftest import ROOT, article_files
from sphinx_kb import feedback

TEMPLATE = ROOT / ".github" / "ISSUE_TEMPLATE" / "article-error.md"
BASE = "https://dl-knowledge-base.readthedocs.io/zh-cn/latest/"


def _query(href: str) -> dict[str, str]:
    parts = urlsplit(href)
    return {"path": parts.path, **{k: v[0] for k, v in parse_qs(parts.query).items()}}


def test_issue_url_fills_the_template():
    template = feedback.read_template(TEMPLATE)
    assert template[0] == "article-error.md" and template[1] == "[勘误] "
    href = feedback.issue_url("https://github.com/someone/fork", template, "示例文章",
                              BASE + "python/demo.html", section="某一节 " + BASE + "python/demo.html#x")
    q = _query(href)
    assert href.startswith("https://github.com/someone/fork/issues/new?")
    assert q["template"] == "article-error.md" and q["title"] == "[勘误] 示例文章"
    lines = q["body"].split("\n")
    assert any(line.startswith("**文章**") and line.endswith("示例文章 " + BASE + "python/demo.html") for line in lines)
    assert any(line.startswith("**位置**") and "#x" in line for line in lines)
    # every heading of the template is still there
    for label in re.findall(r"^\*\*[^*]+\*\*", TEMPLATE.read_text(encoding="utf-8"), re.M):
        assert any(line.startswith(label) for line in lines), label


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a class="reference external kb-feedback-link" href="([^"]+)"', html)]


def test_every_article_links_its_erratum(real_site):
    for path in article_files():
        docname = path.relative_to(ROOT).with_suffix("").as_posix()
        html = real_site.html(docname + ".html")
        title = unescape(re.search(r"<h1>(.*?)<a class=\"headerlink\"", html).group(1))
        title = re.sub(r"<[^>]+>", "", title)
        links = _links(html)
        assert links, docname
        q = _query(links[0])
        assert q["path"].endswith("/issues/new") and q["template"] == "article-error.md"
        assert q["title"] == "[勘误] " + title
        assert f"{BASE}{docname}.html" in q["body"]
        assert re.search(r'<script[^>]+src="(\.\./)*_static/kb-feedback\.js', html), docname


def test_link_follows_the_section_being_read(real_site, real_server, offline_page):
    page = offline_page
    page.goto(f"{real_server}/large-model/training-memory.html")
    link = page.locator("a.kb-feedback-link").first
    before = _query(link.get_attribute("href"))["body"]
    heading = page.locator("article section[id] > h2").nth(2)
    section_id = heading.evaluate("h => h.parentElement.id")
    heading.evaluate("h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 10)")
    page.wait_for_function(f"document.querySelector('a.kb-feedback-link').dataset.kbSection === {section_id!r}")
    body = _query(link.get_attribute("href"))["body"]
    line = next(line for line in body.split("\n") if line.startswith("**位置**"))
    assert line.endswith(f"{BASE}large-model/training-memory.html#{section_id}")
    assert heading.evaluate("h => h.firstChild.textContent.trim()") in line
    assert before != body and not page.blocked and not page.console_errors
