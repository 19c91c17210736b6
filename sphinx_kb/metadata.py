"""Article metadata: the front matter schema, its validation, excerpts and links.

Every page under a category folder (other than the folder's ``index``) is an article. Its
front matter is parsed from the source with PyYAML (MyST hands values over as strings, and
lists as JSON text), checked against the schema below, and stored with the title, the
excerpt and the article's outgoing links in ``env.kb_articles``. A problem is reported with
the file, the line and what to do; the article stays in the site.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import html
import os
import posixpath
import re
import reprlib
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from . import sanitize, tagvocab

logger = logging.getLogger(__name__)

# folder -> the value of `category:` in front matter (the old site's feed labels, kept so that
# existing front matter stays valid) ...
CATEGORIES = {"python": "Python", "large-model": "Large Model", "computer-vision": "Computer Vision"}
# ... and the name readers see on pages, chips and in the feed: the interface is Chinese
CATEGORY_NAMES = {"python": "Python", "large-model": "大模型", "computer-vision": "计算机视觉"}
KEYS = {
    "date": "first published, YYYY-MM-DD",
    "category": "the folder's label: " + ", ".join(f'{k}/ → "{v}"' for k, v in CATEGORIES.items()),
    "tags": "a YAML list of tags, e.g. [显存, ZeRO]",
    "related": "a YAML list of articles to point to, e.g. [large-model/flash-attention]",
    "updates": "a YAML list of {date: YYYY-MM-DD, note: what changed}",
    "summary": "one or two sentences; replaces the excerpt taken from the opening",
    "subtopic": "the group the article is listed under on its category page, e.g. 检测",
}
REQUIRED = ("date", "category")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where available
    """Safe YAML that leaves dates as text: we check them ourselves, with a clear message."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
EXCERPT_CHARS = 300
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclasses.dataclass
class Update:
    date: str
    note: str


@dataclasses.dataclass
class Article:
    docname: str
    title: str = ""
    date: str = ""
    category: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)
    related: list[str] = dataclasses.field(default_factory=list)
    related_lines: dict[str, int] = dataclasses.field(default_factory=dict)
    updates: list[Update] = dataclasses.field(default_factory=list)
    summary: str = ""
    subtopic: str = ""
    excerpt: str = ""
    title_line: int = 1
    tags_line: int = 1
    tag_lines: dict[str, int] = dataclasses.field(default_factory=dict)  # tag -> its line in the file
    update_lines: list[int] = dataclasses.field(default_factory=list)
    description: str = ""  # plain text for <meta name="description"> and og:description
    links: set[str] = dataclasses.field(default_factory=set)  # docnames, resolved after reading
    raw_links: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (kind, target)

    @property
    def folder(self) -> str:
        return self.docname.split("/", 1)[0]


def is_article(docname: str) -> bool:
    parts = docname.split("/")
    return len(parts) == 2 and parts[0] in CATEGORIES and parts[1] != "index"


def articles(env: BuildEnvironment) -> dict[str, Article]:
    if not hasattr(env, "kb_articles"):
        env.kb_articles = {}
    return env.kb_articles


class FrontMatterError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def aliased_keys(root) -> set[str]:
    """Top-level keys whose value shares a node with another place (a YAML alias, *name): a
    few lines of aliases can stand for gigabytes of text once printed, so they are refused."""
    seen: dict[int, str] = {}
    aliased: set[str] = set()
    for key_node, value_node in getattr(root, "value", []):
        stack = [value_node]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                aliased.update({seen[id(node)], str(key_node.value)})
                continue
            seen[id(node)] = str(key_node.value)
            if isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                stack.extend(child for pair in node.value for child in pair)
    return aliased


def split_front_matter(source: str) -> tuple[str | None, int]:
    """The YAML text of the front matter and the file line it starts on (or None)."""
    lines = source.removeprefix("\ufeff").splitlines()  # a byte-order mark some editors write
    if not lines or lines[0].strip() != "---":
        return None, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), 2
    raise FrontMatterError("the front matter opened with '---' is never closed: add a line '---' after it", 1)


def parse_front_matter(source: str, docname: str) -> tuple[Article, list[tuple[str, int]]]:
    """Parse and check the front matter; returns the article and (message, line) problems."""
    article = Article(docname)
    problems: list[tuple[str, int]] = []
    try:
        text, first_line = split_front_matter(source)
    except FrontMatterError as err:
        return article, [(str(err), err.line)]
    if text is None:
        return article, [("the article has no front matter: start the file with the template from "
                          "CONTRIBUTING.md (--- date, category, tags, related ---)", 1)]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        return article, [(f"the front matter is not valid YAML ({getattr(err, 'problem', err)}); "
                          "check indentation and quote values that contain ':' or '#'", line)]
    if root is None:
        root = yaml.MappingNode("tag:yaml.org,2002:map", [])
    if not isinstance(root, yaml.MappingNode):
        return article, [("the front matter must be 'key: value' lines", first_line)]

    def line_of(node) -> int:
        return first_line + node.start_mark.line

    seen: dict[str, int] = {}
    aliased = aliased_keys(root)
    for key_node, value_node in root.value:
        key = key_node.value
        line = line_of(key_node)
        if key in aliased:
            seen.setdefault(key, line)
            continue  # refused, with its own message, before MyST reads the page (checks.py)
        if key in seen:
            problems.append((f"'{key}' is given twice (first on line {seen[key]}): keep one", line))
            continue
        seen[key] = line
        if key in ("myst", "mystnb", "substitutions", "html_meta"):
            continue  # refused, with its own message, before MyST reads the page (checks.py)
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append((f"unknown front matter key '{key}': {hint}allowed keys are "
                             + ", ".join(KEYS), line))
            continue
        try:
            value = _Loader("").construct_document(value_node)
            _apply(article, key, value, value_node, line, line_of)
        except FrontMatterError as err:
            problems.append((str(err), err.line))
    for key in REQUIRED:
        if key not in seen:
            problems.append((f"'{key}' is missing from the front matter: add '{key}: ' ({KEYS[key]})", first_line))
    today = _today()
    if article.date and article.date > today:
        problems.append((f"date {article.date} is in the future (today is {today}): write the day the article is "
                         "published; a future date would pin it to the top of 最近更新 and the feed", seen["date"]))
    for update, update_line in zip(article.updates, article.update_lines):
        if article.date and update.date < article.date:
            problems.append((f"update date {update.date} is before the article's date {article.date}: an update "
                             "comes after publication; check both dates", update_line))
        elif update.date > today:
            problems.append((f"update date {update.date} is in the future (today is {today}): write the day of "
                             "the change", update_line))
    expected = CATEGORIES.get(article.folder)
    if "category" in seen and expected and article.category and article.category != expected:
        problems.append((f"category '{article.category}' disagrees with the folder {article.folder}/: "
                         f"write 'category: {expected}' or move the file to the folder of its category",
                         seen["category"]))
    return article, problems


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 4, 4, 60, 60


def _shown(value: Any) -> str:
    """A value for a message: short, and never the full text of a nested YAML structure
    (aliases can make one that would print as gigabytes)."""
    return sanitize.visible(value[:80]) if isinstance(value, str) else _REPR.repr(value)


def _today() -> str:
    """Today in the site's time zone (China, UTC+8), or SOURCE_DATE_EPOCH's day for
    reproducible builds; a day of slack for contributors west of it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch and epoch.isdigit()
           else dt.datetime.now(dt.timezone.utc))
    return (now + dt.timedelta(hours=8) + dt.timedelta(days=1)).date().isoformat()


def _as_date(value: Any, line: int, what: str) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, (str, int)):
        raise FrontMatterError(f"{what} '{_shown(value)}' is not a date: write it as YYYY-MM-DD, e.g. 2026-01-11", line)
    text = str(value).strip()
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise FrontMatterError(f"{what} '{_shown(value)}' is not a date: write it as YYYY-MM-DD, e.g. 2026-01-11", line)


def _clean_text(text: str, line: int, what: str) -> str:
    """Front matter text is shown in titles, listings and the feed: no control characters
    (YAML escapes such as "\\v" make them), no bidirectional or invisible format characters."""
    if found := sanitize.control_problem(text.replace("\n", " ").replace("\t", " "), allow_newlines=False):
        raise FrontMatterError(f"{what}: {found[1]}", line)
    return text


def _string_list(value: Any, line: int, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        raise FrontMatterError(f"'{key}' must be a YAML list, e.g. {key}: [{_shown(value)}]", line)
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise FrontMatterError(f"'{key}' must be a list of plain values, e.g. {key}: [a, b]", line)
    items = [_clean_text(str(v).strip(), line, f"'{key}' entry '{sanitize.visible(str(v))}'") for v in value]
    if any(not v for v in items):
        raise FrontMatterError(f"'{key}' has an empty entry: remove it", line)
    return items


def _apply(article: Article, key: str, value: Any, node, line: int, line_of) -> None:
    if key == "date":
        article.date = _as_date(value, line, "date")
    elif key == "category":
        if not isinstance(value, str) or value not in CATEGORIES.values():
            raise FrontMatterError(
                f"unknown category '{_shown(value)}': use one of " + ", ".join(f'"{v}"' for v in CATEGORIES.values()), line)
        article.category = value
    elif key == "tags":
        tags = _string_list(value, line, "tags")
        article.tags = list(dict.fromkeys(tags))
        article.tags_line = line
        item_nodes = node.value if isinstance(node, yaml.SequenceNode) else []
        for i, tag in enumerate(tags):
            article.tag_lines.setdefault(tag, line_of(item_nodes[i]) if i < len(item_nodes) else line)
    elif key == "related":
        items = _string_list(value, line, "related")
        item_nodes = node.value if isinstance(node, yaml.SequenceNode) else []
        for i, item in enumerate(items):
            target = normalise_docname(item)
            article.related.append(target)
            article.related_lines[target] = line_of(item_nodes[i]) if i < len(item_nodes) else line
    elif key == "updates":
        if not isinstance(value, list):
            raise FrontMatterError("'updates' must be a list of {date: YYYY-MM-DD, note: ...} entries", line)
        item_nodes = node.value
        for i, entry in enumerate(value):
            entry_line = line_of(item_nodes[i])
            if not isinstance(entry, dict) or set(entry) != {"date", "note"}:
                raise FrontMatterError("each 'updates' entry needs exactly 'date' and 'note', "
                                       "e.g. - {date: 2026-02-01, note: 补充 FA3 一节}", entry_line)
            if not isinstance(entry["note"], (str, int, float)) or isinstance(entry["note"], bool):
                raise FrontMatterError("an 'updates' note must be one line of text, e.g. "
                                       "note: 补充 FA3 一节 (quote it if it contains ':' or starts with '[')",
                                       entry_line)
            note = " ".join(_clean_text(str(entry["note"]), entry_line, "the 'updates' note").split())
            if not note:
                raise FrontMatterError("an 'updates' entry has an empty note: say what changed", entry_line)
            article.updates.append(Update(_as_date(entry["date"], entry_line, "update date"), note))
            article.update_lines.append(entry_line)
    elif key in ("summary", "subtopic"):
        if not isinstance(value, str) or not value.strip():
            raise FrontMatterError(f"'{key}' must be text, e.g. {key}: {KEYS[key].split('e.g. ')[-1]}", line)
        setattr(article, key, " ".join(_clean_text(value, line, f"'{key}'").split()))


def normalise_docname(target: str) -> str:
    target = target.strip().lstrip("/")
    return target[:-3] if target.endswith(".md") else target


# --- excerpt -------------------------------------------------------------------------------

def _excerpt_parts(node: nodes.Node, parts: list[str]) -> None:
    if isinstance(node, nodes.literal_block):
        parts.append(" [代码] ")
    elif isinstance(node, nodes.math_block):
        parts.append(" [公式] ")
    elif isinstance(node, nodes.math):
        parts.append(plain_math(node.astext()) or "[公式]")
    elif isinstance(node, (nodes.image, nodes.figure)) or node.tagname == "mermaid":
        parts.append(" [图] ")
    elif isinstance(node, nodes.table):
        parts.append(" [表格] ")
    elif isinstance(node, (nodes.comment, nodes.system_message, nodes.target, addnodes.toctree,
                           nodes.raw, nodes.substitution_definition)):
        return
    elif isinstance(node, nodes.Text):
        parts.append(str(node))
    else:
        for child in node.children:
            _excerpt_parts(child, parts)
        if isinstance(node, (nodes.paragraph, nodes.title, nodes.list_item, nodes.term)):
            parts.append(" ")


_LATEX_SYMBOLS = {
    "times": "×", "cdot": "·", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "approx": "≈", "neq": "≠",
    "to": "→", "rightarrow": "→", "infty": "∞", "sum": "∑", "in": "∈", "pm": "±", "ldots": "…", "dots": "…",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
    "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ", "psi": "ψ", "omega": "ω",
    "Delta": "Δ", "Sigma": "Σ", "Omega": "Ω", "sqrt": "√", "quad": " ", ",": " ", " ": " ", "mathrm": "",
    "text": "", "mathbf": "", "operatorname": "", "left": "", "right": "",
}


_SUP = str.maketrans("0123456789+-=()niT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ")
_SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")


def _script(text: str, table: dict) -> str | None:
    converted = text.translate(table)
    return converted if all(ord(c) > 127 for c in converted) else None


def plain_math(latex: str) -> str:
    """Simple inline LaTeX as readable text (N\\times N → N×N, O(N^2) → O(N²)); "" otherwise."""
    text = re.sub(r"\\([A-Za-z]+|[, ])", lambda m: _LATEX_SYMBOLS.get(m.group(1), "\\" + m.group(1)), latex)
    failed = False

    def script(m: re.Match) -> str:
        nonlocal failed
        converted = _script(m.group(2) or m.group(3), _SUP if m.group(1) == "^" else _SUB)
        failed = failed or converted is None
        return converted or ""

    text = re.sub(r"([\^_])(?:\{([^{}]*)\}|(\w))", script, text)
    text = re.sub(r"[{}]", "", text)
    if failed or "\\" in text or "^" in text or "_" in text or len(text) > 40:
        return ""
    text = re.sub(r"\s*([×·≤≥≈≠→±=+])\s*", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def make_excerpt(section: nodes.Element, limit: int = EXCERPT_CHARS) -> str:
    """Plain text of the article after its title: code as [代码], display math as [公式]."""
    parts: list[str] = []
    for child in section.children:
        if isinstance(child, nodes.title):
            continue
        _excerpt_parts(child, parts)
        if sum(map(len, parts)) > limit * 2:
            break
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    return truncate(text, limit)


DESCRIPTION_CHARS = 160


def describe(excerpt: str) -> str:
    """The excerpt for search engines and social cards: no placeholders, no LaTeX."""
    text = re.sub(r"\s*\[(代码|公式|图|表格)\]\s*", " ", excerpt.removesuffix("..."))
    return truncate(re.sub(r"\s+", " ", text).strip(), DESCRIPTION_CHARS)


def truncate(text: str, limit: int = EXCERPT_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    # never cut a Latin word or a [代码] marker in half
    if re.match(r"[\w\]]", text[limit]) and re.search(r"[A-Za-z0-9_\[\]代码公式图表格]$", cut):
        boundary = max(cut.rfind(" "), max((cut.rfind(c) for c in ",.;:!?,。;:!?、)"), default=-1))
        if boundary > limit // 2:
            cut = cut[: boundary + 1]
    cut = re.sub(r"\[[^\]]*$", "", cut)  # an unfinished [代码
    return cut.rstrip(" ,,、;;::") + "..."


# --- events --------------------------------------------------------------------------------

def _read_article(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    docname = env.docname
    if not is_article(docname):
        return
    source = env.doc2path(docname).read_text(encoding="utf-8-sig")
    article, problems = parse_front_matter(source, docname)
    for message, line in problems:
        report(env, docname, line, message)
    section = doctree.next_node(nodes.section)
    if section is None or not section.children or not isinstance(section[0], nodes.title):
        report(env, docname, 1, "the article has no '# title' heading: add one right after the front matter")
        article.title = docname
    else:
        article.title = section[0].astext()
        article.title_line = section[0].line or section.line or 1
        article.excerpt = article.summary or make_excerpt(section)
        article.description = describe(article.excerpt)
        # sphinxext-opengraph takes og:* values from the page's metadata and escapes only
        # quotes when it writes them, so the text goes in escaped
        env.metadata[docname]["og:description"] = html.escape(article.description, quote=False)
    for ref in doctree.findall(addnodes.pending_xref):
        kind = f"{ref.get('refdomain', '')}:{ref.get('reftype', '')}"
        target = ref.get("reftarget", "")
        if kind in (":doc", "std:doc"):
            article.raw_links.append(("doc", _join(docname, target)))
        elif kind == "std:ref":
            article.raw_links.append(("ref", target))
        elif ref.get("reftype") == "myst" and target:
            article.raw_links.append(("myst", _join(docname, target.split("#")[0])))
    articles(env)[docname] = article


def _join(docname: str, target: str) -> str:
    if target.startswith("/"):
        return normalise_docname(target)
    return normalise_docname(posixpath.normpath(posixpath.join(posixpath.dirname(docname), target)))


def report(env: BuildEnvironment, docname: str, line: int, message: str) -> None:
    logger.error(message, location=(docname, line), type="kb", subtype="article")
    if not hasattr(env, "kb_problems"):
        env.kb_problems = {}
    env.kb_problems.setdefault(docname, []).append((line, message))


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    articles(env).pop(docname, None)
    getattr(env, "kb_problems", {}).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames, other: BuildEnvironment) -> None:
    for docname in docnames:
        if docname in getattr(other, "kb_articles", {}):
            articles(env)[docname] = other.kb_articles[docname]
        if docname in getattr(other, "kb_problems", {}):
            env.kb_problems = getattr(env, "kb_problems", {})
            env.kb_problems[docname] = other.kb_problems[docname]


def _note_read_docs(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    env.kb_read_now = set(docnames)


def check_site(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Checks that need every article (related targets, duplicate titles), and the links
    between articles. Runs on every build, before pages are chosen for writing, and repeats
    the front matter problems of articles not re-read this time, so a mistake never passes
    a warm rebuild silently."""
    read_now = getattr(env, "kb_read_now", set())
    for docname, problems in sorted(getattr(env, "kb_problems", {}).items()):
        if docname not in read_now and docname in env.found_docs:
            for line, message in problems:
                logger.error(message, location=(docname, line), type="kb", subtype="article")
    env.kb_read_now = set()
    all_articles = articles(env)
    labels = env.domains.standard_domain.labels
    for docname, article in all_articles.items():
        for target in article.related:
            if target not in all_articles:
                close = difflib.get_close_matches(target, all_articles, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                logger.error(f"related: '{target}' is not an article of the site: write its path without "
                             f".md, e.g. large-model/flash-attention.{hint}",
                             location=(docname, article.related_lines.get(target, 1)), type="kb", subtype="article")
        links = set()
        for kind, target in article.raw_links:
            if kind == "ref" and target in labels:
                links.add(labels[target][0])
            elif kind in ("doc", "myst"):
                links.add(target)
        article.links = {t for t in links if t in all_articles and t != docname}
    check_tags(app, all_articles)
    # Titles are compared as readers see them: NFKC, invisible characters removed, any case.
    by_title: dict[str, list[str]] = {}
    for docname, article in sorted(all_articles.items(), key=_age):
        by_title.setdefault(sanitize.comparable(article.title), []).append(docname)
    for docnames in by_title.values():
        first = all_articles[docnames[0]]
        for docname in docnames[1:]:
            logger.error(f"the title '{all_articles[docname].title}' is already taken by {docnames[0]} "
                         f"('{first.title}'): give this article a distinct title",
                         location=(docname, all_articles[docname].title_line), type="kb", subtype="article")
    return []


def vocabulary(app: Sphinx) -> tagvocab.Vocabulary:
    """The tag vocabulary named by ``kb_tag_vocabulary`` (relative to conf.py), or ours."""
    configured = app.config.kb_tag_vocabulary
    path = (Path(app.confdir) / configured) if configured else tagvocab.DEFAULT_PATH
    return tagvocab.load(path)


def check_tags(app: Sphinx, all_articles: dict[str, Article]) -> None:
    """One spelling per tag: a near-duplicate of a known tag, or an alias, fails the build
    naming the canonical spelling; tags new to the vocabulary must agree between articles
    (the older article's spelling wins) and get a note suggesting to add them."""
    vocab = vocabulary(app)
    for line, message in vocab.problems:
        logger.error(message, location=f"{vocab.path}:{line}", type="kb", subtype="tags")
    new: dict[str, tuple[str, str]] = {}  # key -> (spelling, first article) for tags not in the vocabulary
    for docname, article in sorted(all_articles.items(), key=_age):
        for tag in article.tags:
            where = (docname, getattr(article, "tag_lines", {}).get(tag, article.tags_line))
            verdict, message = vocab.check(tag)
            if verdict == "refused":
                logger.error(message, location=where, type="kb", subtype="article")
                continue
            if verdict == "ok":
                continue
            first = new.setdefault(tagvocab.tag_key(tag), (tag, docname))
            if first[0] != tag:
                logger.error(f"the tag '{tag}' is written '{first[0]}' in {first[1]}: write it the same way (tags "
                             "are matched ignoring case, spaces, '-', '_' and full-width forms)",
                             location=where, type="kb", subtype="article")
            elif first[1] == docname:
                logger.info(f"note: the tag '{tag}' is new (not in {vocab.shown_path}); the build accepts it. "
                            "If other articles will share it, add it there with a one-line description",
                            location=where)


def _age(item: tuple[str, Article]) -> tuple[str, str]:
    """Older articles first, so a duplicate is blamed on the newer one."""
    docname, article = item
    return (article.date or "9999", docname)


def setup(app: Sphinx) -> None:
    app.add_config_value("kb_tag_vocabulary", "", "env", [str])
    app.connect("doctree-read", _read_article)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-before-read-docs", _note_read_docs)
    app.connect("env-get-updated", check_site)
