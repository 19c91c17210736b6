"""Navigation built from article metadata.

* under each article's title: date, category and tag chips linking to the tags page;
* at each article's end: 相关文章, its ``related`` articles plus every article linking to it;
* ``{kb-latest}`` and ``{kb-categories}`` (home page), ``{kb-articles}`` (category pages):
  listings that stay current without anyone editing them. The home page's overview gives
  each category's one-sentence description (the first paragraph of its ``index.md``), its
  number of articles and the articles to start with: those most other articles link to.

Listings are placeholders at read time and are filled when a page is written, so a change
to one article's metadata only rewrites the pages that show it (``env-get-updated``).
"""

from __future__ import annotations

import dataclasses

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

from .metadata import CATEGORIES, CATEGORY_NAMES, Article, articles, is_article, truncate

UPDATES_PAGE = "updates/index"
TAGS_PAGE = "tags/index"
HOME_LATEST = 5
HOME_START = 3  # articles to start with, per category, on the home page


@dataclasses.dataclass(frozen=True, order=True)
class Entry:
    """One line of the latest-updates feed: a first publication or a later update."""

    date: str
    docname: str
    title: str
    category: str
    excerpt: str
    note: str = ""  # set for an update
    number: int = 0  # the update's place in the article's `updates` list

    @property
    def anchor(self) -> str:
        return f"update-{self.number}" if self.note else ""


def feed_entries(env: BuildEnvironment) -> list[Entry]:
    """Newest first; ties ordered by title so the order never depends on read order."""
    entries = []
    for article in articles(env).values():
        if not article.date:
            continue
        name = CATEGORY_NAMES[article.folder]
        entries.append(Entry(article.date, article.docname, article.title, name, article.excerpt))
        for number, update in enumerate(article.updates, 1):
            entries.append(Entry(update.date, article.docname, article.title, name,
                                 article.excerpt, note=update.note, number=number))
    entries.sort(key=lambda e: (bool(e.note), e.title, e.docname, e.note))
    entries.sort(key=lambda e: e.date, reverse=True)  # stable: ties keep the order above
    return entries


def backlinks(env: BuildEnvironment) -> dict[str, set[str]]:
    """target -> the articles that cross-reference it or list it in ``related``."""
    result: dict[str, set[str]] = {}
    for article in articles(env).values():
        for target in article.links | set(article.related):
            result.setdefault(target, set()).add(article.docname)
    return result


def related_articles(env: BuildEnvironment, docname: str, back: dict[str, set[str]] | None = None) -> list[str]:
    all_articles = articles(env)
    article = all_articles[docname]
    back = backlinks(env) if back is None else back
    ordered = list(article.related) + sorted(back.get(docname, ()), key=lambda d: all_articles[d].title)
    return [d for d in dict.fromkeys(ordered) if d in all_articles and d != docname]


# --- docutils node builders (shared by pages written from doctrees and generated pages) ------

def _link(builder, fromdoc: str, todoc: str, text: str, anchor: str = "") -> nodes.reference:
    uri = builder.get_relative_uri(fromdoc, todoc) + (f"#{anchor}" if anchor else "")
    return nodes.reference("", text, internal=True, refuri=uri)


def entry_node(builder, fromdoc: str, entry: Entry) -> nodes.Element:
    box = nodes.container(classes=["kb-entry", "kb-entry-update" if entry.note else "kb-entry-new"])
    meta = nodes.paragraph(classes=["kb-entry-meta"])
    meta += nodes.inline(text=entry.category, classes=["kb-category"])
    meta += nodes.inline(text=entry.date, classes=["kb-date"])
    box += meta
    title = nodes.paragraph(classes=["kb-entry-title"])
    if entry.note:
        title += nodes.inline(text="更新：", classes=["kb-update-label"])
    title += _link(builder, fromdoc, entry.docname, entry.title)
    box += title
    text = entry.note if entry.note else entry.excerpt
    box += nodes.paragraph(text=text, classes=["kb-entry-excerpt"])
    return box


def entries_by_date(builder, fromdoc: str, entries: list[Entry]) -> list[nodes.Element]:
    """Changelog layout: a date heading, then that day's entries."""
    result: list[nodes.Element] = []
    current = None
    group = None
    for entry in entries:
        if entry.date != current:
            current = entry.date
            group = nodes.container(classes=["kb-day"])
            group += nodes.rubric(text=entry.date, classes=["kb-day-date"])
            result.append(group)
        group += entry_node(builder, fromdoc, entry)
    return result


def tag_chips(builder, fromdoc: str, tags: list[str]) -> nodes.Element:
    chips = nodes.inline(classes=["kb-tags"])
    for tag in tags:
        chips += _link(builder, fromdoc, TAGS_PAGE, tag, anchor=tag_anchor(tag))
        chips[-1]["classes"].append("kb-tag")
    return chips


def tag_anchor(tag: str) -> str:
    return "tag-" + "-".join(tag.lower().split())


# --- in-article additions ----------------------------------------------------------------

def _decorate_article(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not is_article(docname) or docname not in articles(app.env):
        return
    article = articles(app.env)[docname]
    section = doctree.next_node(nodes.section)
    if section is None:
        return
    builder = app.builder
    meta = nodes.paragraph(classes=["kb-article-meta"])
    if article.date:
        meta += nodes.inline(text=article.date, classes=["kb-date", "no-search"])
    # not indexed (Sphinx skips "no-search"): a word every article of the category carries
    # would only blur the ranking (计算机视觉 in each article for a query about 视觉)
    meta += nodes.inline(text=CATEGORY_NAMES[article.folder], classes=["kb-category", "no-search"])
    if article.tags:
        meta += tag_chips(builder, docname, article.tags)
    section.insert(1, meta)

    related = related_articles(app.env, docname, getattr(app.env, "kb_backlinks", None))
    if not related:
        return
    block = nodes.section(ids=["kb-related"], classes=["kb-related"])
    block += nodes.title(text="相关文章")
    items = nodes.bullet_list()
    for target in related:
        items += nodes.list_item("", nodes.paragraph("", "", _link(builder, docname, target, articles(app.env)[target].title)))
    block += items
    section += block


# --- listings -----------------------------------------------------------------------------

class latest_node(nodes.General, nodes.Element):
    """Placeholder for the newest entries, filled when the page is written."""


class category_list_node(nodes.General, nodes.Element):
    """Placeholder for a category's article list, filled when the page is written."""


class overview_node(nodes.General, nodes.Element):
    """Placeholder for the home page's overview of the categories, filled when the page is written."""


class CategoriesDirective(SphinxDirective):
    """One block per category: what it holds, how many articles, where to start."""

    option_spec = {"start": directives.positive_int}

    def run(self):
        return [overview_node(start=self.options.get("start", HOME_START))]


@dataclasses.dataclass(frozen=True)
class CategoryOverview:
    folder: str
    title: str
    blurb: str
    count: int
    start: tuple[tuple[str, str, int], ...]  # (docname, title, number of articles linking to it)


def category_blurb(env: BuildEnvironment, folder: str) -> str:
    """The first paragraph of the category's index page: one sentence on what it holds."""
    docname = f"{folder}/index"
    if docname not in env.all_docs:
        return ""
    try:
        doctree = env.get_doctree(docname)
    except OSError:  # pragma: no cover - the doctree is written when the page is read
        return ""
    section = doctree.next_node(nodes.section)
    for child in section.children if section is not None else ():
        if isinstance(child, nodes.paragraph):
            return " ".join(child.astext().split())
        if isinstance(child, nodes.section):
            break
    return ""


def category_overviews(env: BuildEnvironment, start: int = HOME_START,
                       back: dict[str, set[str]] | None = None) -> list[CategoryOverview]:
    """Per category, its articles most linked to by other articles (in the text or in
    ``related``): the ones the rest of the category builds on. Ties: the older first."""
    all_articles = articles(env)
    back = backlinks(env) if back is None else back
    result = []
    for folder, label in CATEGORY_NAMES.items():
        items = [a for a in all_articles.values() if a.folder == folder]
        inbound = {a.docname: len({d for d in back.get(a.docname, ()) if d in all_articles and d != a.docname})
                   for a in items}
        ranked = sorted(items, key=lambda a: (-inbound[a.docname], a.date or "9999", a.title))
        index = f"{folder}/index"
        title = env.titles[index].astext() if index in env.titles else label
        result.append(CategoryOverview(folder, title, category_blurb(env, folder), len(items),
                                       tuple((a.docname, a.title, inbound[a.docname]) for a in ranked[:start])))
    return result


def overview_nodes(builder, fromdoc: str, overviews: list[CategoryOverview]) -> nodes.Element:
    box = nodes.container(classes=["kb-overview"])
    for overview in overviews:
        block = nodes.section(ids=[f"kb-overview-{overview.folder}"], classes=["kb-overview-category"])
        heading = nodes.title()
        heading += _link(builder, fromdoc, f"{overview.folder}/index", overview.title)
        heading += nodes.Text(" ")
        heading += nodes.inline(text=f"{overview.count} 篇", classes=["kb-count"])
        block += heading
        if overview.blurb:
            block += nodes.paragraph(text=overview.blurb, classes=["kb-overview-blurb"])
        if overview.start:
            block += nodes.paragraph(text="从这几篇读起（被本站其他文章链接最多的）：", classes=["kb-overview-start"])
            items = nodes.bullet_list(classes=["kb-overview-list"])
            for docname, title, _ in overview.start:
                items += nodes.list_item("", nodes.paragraph("", "", _link(builder, fromdoc, docname, title)))
            block += items
        box += block
    return box


class LatestDirective(SphinxDirective):
    option_spec = {"limit": directives.positive_int}

    def run(self):
        return [latest_node(limit=self.options.get("limit", HOME_LATEST))]


class CategoryArticlesDirective(SphinxDirective):
    """Lists the category's articles, grouped by their ``subtopic`` (in ``:order:``, then by name)."""

    option_spec = {"order": directives.unchanged}

    def run(self):
        folder = self.env.docname.split("/", 1)[0]
        if folder not in CATEGORIES:
            raise self.error(f"{{kb-articles}} lists a category's articles and belongs in one of "
                             f"{', '.join(f'{c}/index.md' for c in CATEGORIES)}")
        order = [t.strip() for t in self.options.get("order", "").split(",") if t.strip()]
        return [category_list_node(folder=folder, order=order)]


def _fill_listings(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    builder = app.builder
    for node in list(doctree.findall(latest_node)):
        entries = feed_entries(app.env)[: node["limit"]]
        box = nodes.container(classes=["kb-latest"])
        box += entries_by_date(builder, docname, entries)
        more = nodes.paragraph(classes=["kb-more"])
        more += _link(builder, docname, UPDATES_PAGE, "查看全部更新 →")
        box += more
        node.replace_self(box)
    for node in list(doctree.findall(overview_node)):
        overviews = category_overviews(app.env, node["start"], getattr(app.env, "kb_backlinks", None))
        node.replace_self(overview_nodes(builder, docname, overviews))
    for node in list(doctree.findall(category_list_node)):
        items = _category_articles(app.env, node["folder"])
        node.replace_self(grouped_listing(builder, docname, items, node.get("order", [])))


def _category_articles(env: BuildEnvironment, folder: str) -> list[Article]:
    items = sorted((a for a in articles(env).values() if a.folder == folder), key=lambda a: a.title)
    return sorted(items, key=lambda a: a.date, reverse=True)


OTHER_SUBTOPIC = "其他"


def grouped_listing(builder, fromdoc: str, items: list[Article], order: list[str]) -> list[nodes.Element]:
    """One list per sub-topic when articles declare one; a flat list otherwise."""
    if not any(a.subtopic for a in items):
        return [category_listing(builder, fromdoc, items)]
    groups: dict[str, list[Article]] = {}
    for article in items:
        groups.setdefault(article.subtopic or OTHER_SUBTOPIC, []).append(article)
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(groups, key=lambda n: (n == OTHER_SUBTOPIC, rank.get(n, len(rank)), n))
    result: list[nodes.Element] = []
    for name in names:
        box = nodes.container(classes=["kb-subtopic"])
        box += nodes.rubric(text=name, classes=["kb-subtopic-title"])
        box += category_listing(builder, fromdoc, groups[name])
        result.append(box)
    return result


def category_listing(builder, fromdoc: str, items: list[Article]) -> nodes.Element:
    listing = nodes.bullet_list(classes=["kb-article-list"])
    for article in items:
        para = nodes.paragraph()
        para += _link(builder, fromdoc, article.docname, article.title)
        para += nodes.inline(text=article.date, classes=["kb-date"])
        item = nodes.list_item("", para)
        item += nodes.paragraph(text=truncate(article.summary or article.excerpt, 90), classes=["kb-summary"])
        listing += item
    return listing


# --- incremental builds -------------------------------------------------------------------

def _signatures(env: BuildEnvironment) -> dict[str, object]:
    """What each page shows of other articles; a page is rewritten when its value changes."""
    all_articles = articles(env)
    back = backlinks(env)
    env.kb_backlinks = back
    sig: dict[str, object] = {}
    for docname, article in all_articles.items():
        sig[docname] = (article.date, article.category, tuple(article.tags),
                        tuple((d, all_articles[d].title) for d in related_articles(env, docname, back)))
    sig["index"] = (tuple(feed_entries(env)[:HOME_LATEST]), tuple(category_overviews(env, HOME_START, back)))
    for folder in CATEGORIES:
        sig[f"{folder}/index"] = tuple((a.docname, a.title, a.date, a.subtopic, a.summary or a.excerpt)
                                       for a in _category_articles(env, folder))
    return sig


def _pages_to_rewrite(app: Sphinx, env: BuildEnvironment) -> list[str]:
    new = _signatures(env)
    old = getattr(env, "kb_signatures", {})
    env.kb_signatures = new
    return sorted(d for d, value in new.items() if old.get(d) != value and d in env.found_docs)


def setup(app: Sphinx) -> None:
    app.add_node(latest_node)
    app.add_node(category_list_node)
    app.add_node(overview_node)
    app.add_directive("kb-categories", CategoriesDirective)
    app.add_directive("kb-latest", LatestDirective)
    app.add_directive("kb-articles", CategoryArticlesDirective)
    app.connect("env-get-updated", _pages_to_rewrite)
    app.connect("doctree-resolved", _decorate_article)
    app.connect("doctree-resolved", _fill_listings)
