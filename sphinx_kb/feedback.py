"""报告勘误 / 参与讨论 on every article: a link that opens the repository's "article error" issue
template (``.github/ISSUE_TEMPLATE/article-error.md``), prefilled with the article's title and
address.

The link is complete without JavaScript. Our own small script (``static/site/kb-feedback.js``,
served by the site, no other origin) adds the section the reader is in as they scroll, and
again when they click, to the template's 位置 line.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlencode

from docutils import nodes
from sphinx.application import Sphinx

from .metadata import articles, is_article

TEMPLATE = Path(".github") / "ISSUE_TEMPLATE" / "article-error.md"
SCRIPT = "kb-feedback.js"
CSS = "kb-readers.css"  # static/site/kb-readers.css
ARTICLE_LABEL = "**文章**"
POSITION_LABEL = "**位置**"
# what the template holds today, for sites that are not a checkout of this repository
_FALLBACK = ("---\nname: 文章错误\ntitle: \"[勘误] \"\nlabels: erratum\n---\n\n**文章**（链接或文件路径）：\n\n"
             "**位置**（小节标题或原文引用）：\n\n**问题**：\n\n**依据**（论文的表/节、官方文档页面，或能复现的代码）：\n")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def find_template(start: Path) -> Path | None:
    """The issue template in ``start`` or the closest folder above it."""
    for folder in [start, *start.parents]:
        if (folder / TEMPLATE).is_file():
            return folder / TEMPLATE
    return None


def read_template(path: Path | None) -> tuple[str, str, str]:
    """(file name, title prefix, body) of an issue template."""
    text = path.read_text(encoding="utf-8") if path else _FALLBACK
    name = path.name if path else TEMPLATE.name
    prefix = ""
    match = _FRONT.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "title":
                prefix = value.strip().strip("\"'")
        text = text[match.end():]
    return name, prefix, text.lstrip("\n")


def fill_line(body: str, label: str, value: str) -> str:
    """The body with ``value`` after the line that starts with ``label``."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(label):
            lines[i] = line.rstrip() + " " + value
            break
    return "\n".join(lines)


def issue_url(repository: str, template: tuple[str, str, str], title: str, page_url: str,
              section: str = "") -> str:
    """The "new issue" address that opens ``template`` with the article filled in."""
    name, prefix, body = template
    body = fill_line(body, ARTICLE_LABEL, f"{title} {page_url}")
    if section:
        body = fill_line(body, POSITION_LABEL, section)
    query = urlencode({"template": name, "title": f"{prefix}{title}", "body": body})
    return f"{repository.rstrip('/')}/issues/new?{query}"


def page_url(app: Sphinx, docname: str) -> str:
    base = app.config.html_baseurl or ""
    if base and not base.endswith("/"):
        base += "/"
    return base + app.builder.get_target_uri(docname)


def _feedback_html(app: Sphinx, docname: str, title: str, repository: str) -> str:
    template = read_template(find_template(Path(app.confdir)) or find_template(Path(app.srcdir)))
    url = page_url(app, docname)
    href = issue_url(repository, template, title, url)
    return (f'<p class="kb-feedback"><a class="reference external kb-feedback-link" href="{html.escape(href)}" '
            f'data-kb-page="{html.escape(url)}" data-kb-label="{html.escape(POSITION_LABEL)}">'
            "报告勘误 / 参与讨论</a></p>")


def _add_link(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not is_article(docname) or docname not in articles(app.env):
        return
    from .history import _repository_url

    repository = _repository_url(app)
    section = doctree.next_node(nodes.section)
    if not repository or section is None:
        return
    raw = _feedback_html(app, docname, articles(app.env)[docname].title, repository)
    # under the title, next to the date and tags, and again at the article's end
    meta = section.next_node(lambda n: isinstance(n, nodes.paragraph) and "kb-article-meta" in n["classes"])
    if meta is not None:
        meta.parent.insert(meta.parent.index(meta) + 1, nodes.raw("", raw, format="html"))
    end = next((s for s in section.findall(nodes.section) if "kb-history" in s["ids"]), section)
    end += nodes.raw("", raw, format="html")


def _scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if is_article(pagename) and doctree is not None and app.builder.name in ("html", "dirhtml"):
        app.add_js_file(SCRIPT, loading_method="defer")


def setup(app: Sphinx) -> None:
    app.connect("doctree-resolved", _add_link, priority=700)
    app.connect("html-page-context", _scripts)
    app.add_css_file(CSS)
