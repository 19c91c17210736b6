"""Generated pages: 最近更新 (paginated, changelog style), 标签, and the Atom feed.

They are rebuilt from ``env.kb_articles`` on every build, so they are right after an
incremental build too. Their content is made of docutils nodes rendered by the HTML
builder, so titles, tags and notes written by contributors are escaped like any text.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from .metadata import articles, vocabulary
from .navigation import TAGS_PAGE, UPDATES_PAGE, Entry, _link, entries_by_date, feed_entries, tag_anchor

logger = logging.getLogger(__name__)

PER_PAGE = 12
FEED_FILE = "atom.xml"
UPDATES_TITLE = "最近更新"
TAGS_TITLE = "标签"


def updates_pagename(page: int) -> str:
    return UPDATES_PAGE if page == 1 else f"updates/page-{page}"


def _render(app: Sphinx, *children: nodes.Node) -> str:
    box = nodes.container()
    box.extend(children)
    return app.builder.render_partial(box)["fragment"]


def _updates_pages(app: Sphinx):
    entries = feed_entries(app.env)
    pages = max(1, math.ceil(len(entries) / PER_PAGE))
    # pages left from a build that had more entries would keep listing what is gone
    for stale in (Path(app.outdir) / "updates").glob("page-*.html"):
        number = stale.stem.removeprefix("page-")
        if not number.isdigit() or int(number) > pages:
            stale.unlink()
    for page in range(1, pages + 1):
        pagename = updates_pagename(page)
        chunk = entries[(page - 1) * PER_PAGE: page * PER_PAGE]
        listing = nodes.container(classes=["kb-updates"])
        listing += entries_by_date(app.builder, pagename, chunk)
        pager = nodes.paragraph(classes=["kb-pagination"])
        for number in range(1, pages + 1):
            if number == page:
                pager += nodes.strong(text=str(number), classes=["kb-current-page"])
            else:
                pager += _link(app.builder, pagename, updates_pagename(number), str(number))
        feed_href = "../" * pagename.count("/") + FEED_FILE
        html = (f"<h1>{UPDATES_TITLE}</h1>\n"
                f'<p class="kb-feed-link">第 {page} / {pages} 页 · 共 {len(entries)} 条 · '
                f'<a href="{feed_href}">Atom 订阅</a></p>\n' + _render(app, listing, pager))
        yield pagename, {"title": UPDATES_TITLE if page == 1 else f"{UPDATES_TITLE}（第 {page} 页）",
                         "body": html}, "page.html"


def _tags_page(app: Sphinx):
    by_tag: dict[str, list[str]] = {}
    all_articles = articles(app.env)
    for docname, article in all_articles.items():
        for tag in article.tags:
            by_tag.setdefault(tag, []).append(docname)
    descriptions = vocabulary(app).descriptions
    builder = app.builder
    cloud = nodes.paragraph(classes=["kb-tag-cloud"])
    sections = []
    for tag in sorted(by_tag, key=lambda t: (-len(by_tag[t]), t)):
        chip = _link(builder, TAGS_PAGE, TAGS_PAGE, f"{tag} ({len(by_tag[tag])})", anchor=tag_anchor(tag))
        chip["classes"].append("kb-tag")
        cloud += chip
        section = nodes.container(classes=["kb-tag-group"], ids=[tag_anchor(tag)])
        section += nodes.rubric(text=tag)
        if tag in descriptions:
            section += nodes.paragraph(text=descriptions[tag], classes=["kb-tag-description"])
        items = nodes.bullet_list()
        for docname in sorted(by_tag[tag], key=lambda d: all_articles[d].title):
            items += nodes.list_item("", nodes.paragraph("", "", _link(builder, TAGS_PAGE, docname,
                                                                         all_articles[docname].title)))
        section += items
        sections.append(section)
    html = f"<h1>{TAGS_TITLE}</h1>\n" + _render(app, cloud, *sections)
    yield TAGS_PAGE, {"title": TAGS_TITLE, "body": html}, "page.html"


def _collect_pages(app: Sphinx):
    if app.builder.name not in ("html", "dirhtml"):
        return
    yield from _updates_pages(app)
    yield from _tags_page(app)


# --- Atom ----------------------------------------------------------------------------------

def base_url(app: Sphinx) -> str:
    url = app.config.html_baseurl or ""
    return url if url.endswith("/") else url + "/"


def page_url(app: Sphinx, docname: str) -> str:
    return base_url(app) + app.builder.get_target_uri(docname)  # already percent-encoded by Sphinx


def atom_feed(app: Sphinx, entries: list[Entry]) -> str:
    base = base_url(app)
    updated = entries[0].date if entries else "1970-01-01"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"  <title>{escape(app.config.project)} · {UPDATES_TITLE}</title>",
        f"  <id>{escape(base)}</id>",
        f'  <link rel="alternate" type="text/html" href="{escape(page_url(app, UPDATES_PAGE))}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{escape(base + FEED_FILE)}"/>',
        f"  <updated>{updated}T00:00:00Z</updated>",
        f"  <author><name>{escape(app.config.author)}</name></author>",
    ]
    for entry in entries:
        url = page_url(app, entry.docname)
        entry_id = url + (f"#{entry.anchor}" if entry.anchor else "")
        title = f"更新：{entry.title}" if entry.note else entry.title
        summary = entry.note if entry.note else entry.excerpt
        lines += [
            "  <entry>",
            f"    <title>{escape(title)}</title>",
            f"    <id>{escape(entry_id)}</id>",
            f'    <link rel="alternate" type="text/html" href="{escape(url)}"/>',
            f"    <updated>{entry.date}T00:00:00Z</updated>",
            f"    <published>{entry.date}T00:00:00Z</published>",
            f'    <category term="{escape(entry.category, {chr(34): "&quot;"})}"/>',
            f"    <summary>{escape(summary)}</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def _write_feed(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name not in ("html", "dirhtml"):
        return
    path = Path(app.outdir, FEED_FILE)
    text = atom_feed(app, feed_entries(app.env))
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _head_links(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if app.builder.name not in ("html", "dirhtml"):
        return
    href = base_url(app) + FEED_FILE
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" type="application/atom+xml" title="{escape(app.config.project)} · '
        f'{UPDATES_TITLE}" href="{escape(href)}" />')
    context["kb_updates_url"] = context["pathto"](UPDATES_PAGE)
    context["kb_tags_url"] = context["pathto"](TAGS_PAGE)


# Pages without a source of their own still need a description for search engines.
_GENERATED_DESCRIPTIONS = {
    "updates": "{project}的最近更新：新发表与修订过的文章，按日期排列，附摘要与修订说明。",
    "tags": "{project}的全部标签，以及每个标签下的文章。",
    "search": "在{project}中全文搜索文章：支持中文分词，按匹配程度排序。",
    "genindex": "{project}的术语与标签索引。",
}


def _meta_description(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """An article's <meta name="description">: its opening as plain text (runs before
    sphinxext-opengraph, which then keeps it instead of text scraped from the page).
    Generated pages (最近更新, 标签, search) get a fixed one."""
    article = articles(app.env).get(pagename)
    description = article.description if article is not None else None
    if description is None and doctree is None:
        template = _GENERATED_DESCRIPTIONS.get(pagename.split("/", 1)[0])
        description = template.format(project=app.config.project) if template else None
    if description:
        context["metatags"] = context.get("metatags", "") + (
            f'\n<meta name="description" content="{escape(description, {chr(34): "&quot;"})}" />')


def setup(app: Sphinx) -> None:
    app.connect("html-page-context", _meta_description, priority=400)
    app.connect("html-collect-pages", _collect_pages)
    app.connect("html-page-context", _head_links)
    app.connect("build-finished", _write_feed)
