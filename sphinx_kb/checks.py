"""The build as a gate: contributor mistakes and unsafe content fail with file, line and fix.

* unclosed code fences, directives and ``$$`` blocks (Markdown would silently swallow the
  rest of the page into them);
* Markdown files outside the category folders (they would silently not be built);
* raw ``<script>``, ``<iframe>``, ``<style>``, inline event handlers and ``javascript:``
  URLs in articles: articles are content, not code that runs in readers' browsers;
* broken cross-references get a message that says how to write them;
* external links open with ``rel="noopener"``.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.matching import Matcher
from sphinx.writers.html5 import HTML5Translator

from . import sanitize
from .metadata import CATEGORIES

logger = logging.getLogger(__name__)

# fenced blocks whose body is not Markdown
_LITERAL_DIRECTIVES = {"code-block", "code", "sourcecode", "no-run", "mermaid", "plot", "math", "eval-rst", "raw"}
# Markdown files in the repository that are not pages
_NOT_PAGES = {"README.md", "CONTRIBUTING.md", "CHANGELOG.md", "LICENSE.md", "SECURITY.md"}
_NOT_PAGE_DIRS = {"tests", "benchmarks", "node_modules", "_build", "_static", "_templates", "sphinx_kb",
                  "locale", ".github", ".venv", ".git"}


def _error(docname_or_path, line: int, message: str) -> None:
    logger.error(message, location=(docname_or_path, line) if isinstance(docname_or_path, str)
                 else f"{docname_or_path}:{line}", type="kb", subtype="markup")


# --- unclosed blocks, javascript: links ---------------------------------------------------------------------

_PARSER = None


def _parser():
    global _PARSER
    if _PARSER is None:
        config = MdParserConfig(enable_extensions={"dollarmath", "amsmath", "colon_fence", "deflist", "fieldlist"})
        _PARSER = create_md_parser(config, RendererHTML)
        # only block structure is checked (an inline token's text is known without parsing
        # it), which halves the cost of this second look at every page
        _PARSER.disable("inline")
    return _PARSER


def _is_closing(line: str, markup: str) -> bool:
    stripped = re.sub(r"^\s*(>\s?)*", "", line).strip()  # a fence inside a > blockquote closes there
    return len(stripped) >= len(markup) and set(stripped) == {markup[0]}


def markup_problems(text: str, offset: int = 0) -> list[tuple[int, str]]:
    """(line, message) for every fence, directive or ``$$`` block that is never closed, and for
    every ``javascript:`` link (markdown-it shows those as text instead of failing)."""
    problems: list[tuple[int, str]] = []
    lines = text.splitlines()
    covered: set[int] = set()  # lines inside fences or math blocks
    for token in _parser().parse(text):
        if token.map is None:
            continue
        start, end = token.map
        if token.type in ("fence", "colon_fence"):
            covered.update(range(start, end))
            name = token.info.strip().split(" ")[0]
            what = f"the directive {name}" if name.startswith("{") else "the code block"
            if end - 1 <= start or not _is_closing(lines[end - 1], token.markup):
                problems.append((offset + start + 1, f"{what} opened here with {token.markup} is never closed: "
                                 f"add a line {token.markup} where it ends"))
            elif name.startswith("{") and name.strip("{}") not in _LITERAL_DIRECTIVES:
                body = "\n".join(lines[start + 1:end - 1])
                problems += markup_problems(body, offset + start + 1)
        elif token.type.startswith("math_block") or token.type == "amsmath":
            covered.update(range(start, end))
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i not in covered and stripped.startswith("$$") and stripped.count("$$") == 1:
            problems.append((offset + i + 1, "a $$ math block opened here is never closed: add a line $$ after "
                             "the formula (and keep the formula free of blank lines)"))
    return problems


def _check_source(app: Sphinx, docname: str, source: list[str]) -> None:
    text = _hygiene(docname, source[0])
    text = _front_matter_gate(docname, text)
    source[0] = text
    for line, message in markup_problems(text):
        _error(docname, line, message)


def _hygiene(docname: str, text: str) -> str:
    """Bidirectional controls (Trojan Source) and control characters, anywhere in a page,
    are reported with line and column and never reach the page."""
    if not sanitize.UNWANTED_IN_PAGES.search(text):  # the common case: one regex pass, no loop
        return text
    for match in list(sanitize.UNWANTED_IN_PAGES.finditer(text))[:5]:
        i = match.start()
        line = text.count("\n", 0, i) + 1
        column = i - (text.rfind("\n", 0, i) + 1) + 1
        _error(docname, line, f"column {column}: {sanitize.control_problem(match.group())[1]}")
    return sanitize.UNWANTED_IN_PAGES.sub("", text)


# Front matter keys that MyST itself acts on: per-page parser settings (which could turn on
# Jinja substitutions), <meta> tags (a refresh redirects every reader), substitutions.
_MYST_KEYS = ("myst", "mystnb", "substitutions", "html_meta")


def _front_matter_gate(docname: str, text: str) -> str:
    """Every page's front matter is checked, not only articles': MyST's own keys are refused
    and blanked before MyST reads the page (articles' other keys are checked by metadata);
    pages that are not articles take no front matter."""
    from .metadata import FrontMatterError, aliased_keys, is_article, split_front_matter
    from .metadata import _Loader as _FrontMatterLoader  # libyaml's parser, as the front matter checks use

    try:
        front, first_line = split_front_matter(text)
    except FrontMatterError:
        return text  # reported with the article's other front matter problems
    if front is None:
        return text
    try:
        root = yaml.compose(front, Loader=_FrontMatterLoader)
    except yaml.YAMLError:
        return text
    if not isinstance(root, yaml.MappingNode):
        return text
    lines = text.split("\n")
    article = is_article(docname)
    blanked = False
    aliased = aliased_keys(root)
    for key_node, value_node in root.value:
        key = str(key_node.value)
        if article and key not in _MYST_KEYS and key not in aliased:
            continue
        line = first_line + key_node.start_mark.line
        if key in aliased:
            message = (f"front matter '{key}:' uses a YAML anchor or alias (&name, *name), which is not allowed "
                       "(a few aliases can stand for gigabytes of text): write the value out")
        elif key in _MYST_KEYS:
            message = (f"front matter '{key}:' is not allowed: pages cannot change how MyST builds them or add "
                       "<meta> tags (a refresh would redirect every reader). Remove it")
        else:
            message = (f"front matter '{key}:' is not allowed on this page: only articles (pages in a category "
                       "folder) take front matter. Remove it")
        _error(docname, line, message)
        end = first_line + value_node.end_mark.line + (1 if value_node.end_mark.column else 0)
        for i in range(line - 1, min(end - 1, len(lines))):
            lines[i] = ""
        blanked = True
    if blanked and not any(lines[i].strip() and not lines[i].lstrip().startswith("#")
                           for i in range(first_line - 1, first_line - 1 + front.count("\n") + 1)):
        lines[first_line - 1] = "{}"  # nothing left: still a mapping, as MyST expects
    return "\n".join(lines)


# --- pages outside the site ------------------------------------------------------------

_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
_FILE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\.md$")


def proposed_name(name: str) -> str:
    """The file name the rule asks for: lower-case ASCII letters, digits and '-', '.md'."""
    stem = name
    for suffix in _MARKDOWN_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem).strip("-")
    return f"{slug}.md" if slug else "an-english-name.md"


def _check_files(app: Sphinx) -> None:
    """Every file that could be a page: where it is, how it is named, whether it can be read.
    Files that cannot be built (symlinks, binary or non-UTF-8 files, hidden files) are left
    out of the build, so they fail it with a message instead of crashing or hanging it."""
    srcdir = Path(app.srcdir)
    include = Matcher(app.config.include_patterns)
    excluded: list[str] = []
    for root, dirs, files in os.walk(srcdir):  # symlinks are not followed
        here = Path(root)
        relative_root = here.relative_to(srcdir)
        if relative_root.parts and (relative_root.parts[0] in _NOT_PAGE_DIRS or relative_root.parts[0].startswith(".")):
            dirs[:] = []
            continue
        for name in list(dirs):
            path = here / name
            if path.is_symlink() and relative_root.parts and relative_root.parts[0] in CATEGORIES:
                _error(path, 1, "a folder that is a symbolic link cannot be part of the site (it can loop, or bring "
                                "in files from elsewhere): replace it with the files themselves")
                excluded.append((relative_root / name).as_posix() + "/**")
                dirs.remove(name)
        for name in files:
            path = here / name
            relative = path.relative_to(srcdir)
            if not name.lower().endswith(_MARKDOWN_SUFFIXES) or (not relative_root.parts and name in _NOT_PAGES):
                continue
            _check_page_file(app, path, relative, include, excluded)
    if excluded:
        app.config.exclude_patterns = [*app.config.exclude_patterns, *excluded]


def _check_page_file(app: Sphinx, path: Path, relative: Path, include, excluded: list[str]) -> None:
    name = relative.name
    in_category = len(relative.parts) > 1 and relative.parts[0] in CATEGORIES
    if name.startswith("."):
        if in_category:
            _error(path, 1, "hidden files are not published, and this one is in a content folder: rename it "
                            f"to {proposed_name(name.lstrip('.'))} to publish it, or keep drafts out of the repository")
            excluded.append(relative.as_posix())
        return
    if path.is_symlink():
        _error(path, 1, "a page that is a symbolic link cannot be published (it could bring in any file of the "
                        "machine): replace it with the file itself")
        excluded.append(relative.as_posix())
        return
    if not include(relative.as_posix()) and not name.endswith(".md") and not in_category:
        return  # a Markdown file elsewhere with another suffix: not a page
    if not include(relative.as_posix()) and name.endswith(".md"):
        folders = ", ".join(f"{c}/" for c in CATEGORIES)
        close = difflib.get_close_matches(relative.parts[0], CATEGORIES, n=1) if len(relative.parts) > 1 else []
        hint = f" (did you mean {close[0]}/?)" if close else ""
        _error(path, 1, f"this page is outside the category folders{hint} and would not be published: "
                        f"move it into one of {folders}")
        return
    if len(relative.parts) > 2:
        _error(path, 1, "articles live directly in a category folder, not in a sub-folder: "
                        f"move it to {relative.parts[0]}/{proposed_name(name)}")
        return
    if in_category and not _FILE_NAME.match(name):
        if name.endswith(".md"):
            why = "file names are lower-case ASCII letters, digits and '-' (they become URLs)"
        else:
            why = "only files ending in .md are built, so this one would not be published"
        _error(path, 1, f"{why}: rename it to {relative.parts[0]}/{proposed_name(name)}")
        if not name.endswith(".md"):
            return
    data = path.read_bytes()
    problem = None
    if b"\x00" in data:
        problem = "this is a binary file, not Markdown text: replace it with the article's text, saved as UTF-8"
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            _error(path, line, f"the file is not valid UTF-8 (byte {err.start}): save it as UTF-8 in your editor")
            problem = ""
    if problem is not None:
        if problem:
            _error(path, 1, problem)
        excluded.append(relative.as_posix())


# --- unsafe content ----------------------------------------------------------------------
# Every page is untrusted data (see SECURITY.md). What could script, restyle, redirect or
# read the build machine's files is refused with file, line and what to write instead, and
# taken out of the doctree, so even a build that goes on after the error (make livehtml,
# --keep-going) never publishes it.

_REMOVED = "[此处内容未通过安全检查，已移除：见构建日志]"
# files an article may show as images, and files a {download} may not offer: anything the
# browser would open as a document of the site's own origin, able to run script
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif"}
ACTIVE_TYPES = {".html", ".htm", ".xhtml", ".xht", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt",
                ".mht", ".mhtml", ".js", ".mjs", ".css", ".swf", ".pdf"}


def _refuse(docname: str, node: nodes.Node, message: str, *, line: int | None = None) -> None:
    _error(docname, line or line_of(node), message)
    _remove(node)


def _remove(node: nodes.Node) -> None:
    inline = isinstance(node, nodes.Inline) or isinstance(node.parent, nodes.TextElement)
    node.parent.replace(node, nodes.Text(_REMOVED) if inline else nodes.paragraph("", _REMOVED))


def _html_format(node: nodes.raw) -> bool:
    return "html" in node.get("format", "").lower().split()


def _check_raw(docname: str, doctree: nodes.document) -> None:
    gate = sanitize.HtmlGate()
    inline_stacks: dict[int, tuple[nodes.Element, list]] = {}
    verdicts: list[tuple[nodes.raw, str | None, int]] = []
    for node in list(doctree.findall(nodes.raw)):
        line = line_of(node)
        if not _html_format(node):
            verdicts.append((node, None, line))
            gate.problems.append((line, f"raw {node.get('format') or ''} output is not allowed in articles: "
                                        "write the content in Markdown"))
            continue
        parent = node.parent
        stack = None
        if isinstance(parent, nodes.TextElement):
            stack = inline_stacks.setdefault(id(parent), (parent, []))[1]
        verdicts.append((node, gate.clean(node.astext(), line, node, stack), line))
    unclosed = set(map(id, gate.close()))
    for parent, stack in inline_stacks.values():
        unclosed |= set(map(id, gate.close(stack, "its paragraph")))
    for line, message in gate.problems:
        _error(docname, line, message)
    refused = {id(node) for node, cleaned, _line in verdicts if cleaned is None} | unclosed
    removed: set[int] = set()
    for node, cleaned, line in verdicts:
        if id(node) in refused:
            parent = node.parent
            if isinstance(parent, nodes.TextElement):
                # the whole paragraph goes: markdown-it leaves what it could not read as HTML
                # (an unquoted onerror=alert(...)) as text beside the refused tags
                if id(parent) not in removed:
                    removed.add(id(parent))
                    if isinstance(parent, nodes.title):
                        parent.children = [nodes.Text(_REMOVED)]
                    else:
                        parent.parent.replace(parent, nodes.paragraph("", _REMOVED))
            else:
                _remove(node)
        elif id(node.parent) not in removed:
            node.children = [nodes.Text(cleaned)]


def _check_urls(app: Sphinx, docname: str, doctree: nodes.document) -> None:
    for node in list(doctree.findall(nodes.meta)):
        _refuse(docname, node, "<meta> tags are not allowed in pages (they can redirect every reader or change "
                "how the site is indexed): remove the meta directive or html_meta")
    for node in list(doctree.findall(lambda n: isinstance(n, (nodes.reference, nodes.target)))):
        uri = node.get("refuri")
        if uri and (problem := sanitize.url_problem(uri)):
            _refuse(docname, node, problem)
    for node in list(doctree.findall(nodes.image)):
        if not node.get("kb_generated"):  # not a {plot} figure, which the build made itself
            _check_file_link(app, docname, node, node.get("uri", ""), "image")
    for node in list(doctree.findall(addnodes.download_reference)):
        _check_file_link(app, docname, node, node.get("reftarget", ""), "download")
    for node in list(doctree.findall(lambda n: n.tagname == "mermaid")):
        code = node.get("code", "")
        if "%%{" in code or code.lstrip().startswith("---"):
            # init directives and front matter reconfigure Mermaid per diagram (theme CSS, fonts,
            # security settings it tries to guard); the site configures it once
            _refuse(docname, node, "Mermaid configuration in a diagram (%%{init: ...}%% or a --- config block) is "
                    "not allowed: the site sets Mermaid's theme and options. Remove it")
        elif any(sanitize.url_problem(url) for url in _MERMAID_LINK.findall(code)):
            _refuse(docname, node, "a Mermaid click link may only go to an http(s) address or a page of the site: "
                    "fix the URL, or link to it from the text")
        elif _MERMAID_CALLBACK.search(code):
            _refuse(docname, node, "Mermaid click callbacks run script in readers' browsers: link with "
                    'click NODE href "https://..." instead')
    for node in doctree.findall(addnodes.toctree):
        for title, ref in node.get("entries", []):
            if ref and (problem := sanitize.url_problem(ref)):
                _error(docname, line_of(node), f"toctree entry '{ref}': {problem}")
                node["entries"] = [(t, r) for t, r in node["entries"] if r != ref]


# click A href "url" / click A "url" / click A call fn() / click A fn
_MERMAID_LINK = re.compile(r'^\s*click\s+\S+\s+(?:href\s+)?"([^"]*)"', re.M)
_MERMAID_CALLBACK = re.compile(r'^\s*click\s+\S+\s+(?!href\b|")\S', re.M)


def _check_file_link(app: Sphinx, docname: str, node: nodes.Node, target: str, what: str) -> None:
    """An image or download: a web address, or a file of a content folder of a safe type."""
    problem = sanitize.url_problem(target, schemes=("http", "https"))
    if problem is None and "://" not in target:
        problem = _local_file_problem(app, docname, target, what) or _type_problem(target, image=what == "image")
    if problem:
        _refuse(docname, node, problem)


def _type_problem(path: str, image: bool) -> str | None:
    suffix = Path(path.split("?")[0].split("#")[0]).suffix.lower()
    if image and suffix not in IMAGE_TYPES:
        if suffix in (".svg", ".svgz"):
            return ("SVG images are not allowed in articles: an SVG file can carry script that runs on the site. "
                    "Export the figure as PNG, or draw it with {mermaid} or {plot}")
        return f"'{suffix or path}' is not an image type the site publishes: use " + ", ".join(sorted(IMAGE_TYPES))
    if not image and suffix in ACTIVE_TYPES:
        return (f"a {suffix} file cannot be offered as a download: browsers open it as a page of the site, "
                "where it could run script. Link to it on the repository, or pack it in a .zip")
    return None


def content_file_problem(srcdir: Path, path: Path) -> str | None:
    """Why a file may not be read into a page: it must be a file of a category folder,
    reached without leaving it (symlinks followed), and not hidden (.git, dotfiles)."""
    srcdir = srcdir.resolve()
    try:
        resolved = path.resolve(strict=False)
        relative = resolved.relative_to(srcdir)
    except (ValueError, OSError, RuntimeError):
        return (f"'{path}' is outside the repository's content folders: pages may only include files "
                "from the category folders (" + ", ".join(f"{c}/" for c in CATEGORIES) + ")")
    if not relative.parts or relative.parts[0] not in CATEGORIES:
        return (f"'{relative.as_posix()}' is not in a content folder: pages may only include files from "
                + ", ".join(f"{c}/" for c in CATEGORIES))
    if any(part.startswith(".") for part in relative.parts):
        return f"'{relative.as_posix()}' is a hidden file or folder: pages may not include it"
    return None


def _local_file_problem(app: Sphinx, docname: str, target: str, what: str) -> str | None:
    if not target:
        return None
    _rel, absolute = app.env.relfn2path(target.split("?")[0].split("#")[0], docname)
    problem = content_file_problem(Path(app.srcdir), Path(absolute))
    return f"this {what} cannot be published: {problem}" if problem else None


# What markdown-it leaves as text when it refuses a link's URL ([x](javascript:...),
# <javascript:...>, [x]: javascript:...): the contributor is told, and the dead URL is dropped.
_REFUSED_LINK = re.compile(r"(\]\(|\]:\s*|<)\s*<?\s*(javascript|vbscript|data|file)\s*:[^\n]*?(\)|>|$)", re.I | re.M)


def _check_text(docname: str, doctree: nodes.document) -> None:
    """Bidirectional controls (also entity-encoded ones, which the source scan cannot see),
    and links whose URL markdown-it refused."""
    for node in list(doctree.findall(nodes.Text)):
        text = str(node)
        if isinstance(node.parent, nodes.title) and (found := sanitize.control_problem(text, allow_newlines=False)):
            # headings become titles in the sidebar, the feed and search: nothing invisible
            _error(docname, line_of(node.parent), f"the heading: {found[1]}")
            text = sanitize.visible(text)
        elif found := sanitize.bidi_problem(text):
            _error(docname, line_of(node.parent), found[1])
            text = "".join(c for c in text if c not in sanitize.BIDI_CONTROLS)
        if not isinstance(node.parent, (nodes.FixedTextElement, nodes.literal)) and _REFUSED_LINK.search(text):
            scheme = _REFUSED_LINK.search(text).group(2).lower()
            _error(docname, line_of(node.parent), f"'{scheme}:' URLs are not allowed in articles (only http:, "
                   "https:, mailto: and links within the site): link to a web page or an article instead")
            text = _REFUSED_LINK.sub(lambda m: "]" if m.group(1).startswith("]") else "", text)
        if text != str(node):
            node.parent.replace(node, nodes.Text(text))


def _check_titles(docname: str, doctree: nodes.document) -> None:
    """An article has one '#' title, with text: an empty one would publish an article with no
    name (in the sidebar, the feed and search), a second one a phantom sidebar entry."""
    from .metadata import is_article

    if not is_article(docname):
        return
    sections = [child for child in doctree.children if isinstance(child, nodes.section)]
    if sections and sections[0].children and isinstance(sections[0][0], nodes.title):
        title = sections[0][0]
        if not sanitize.visible(title.astext()).strip():
            _error(docname, line_of(title), "the title after '#' is empty: write the article's title there")
            title.children = [nodes.Text(docname.split("/")[-1])]
    for extra in sections[1:]:
        _error(docname, line_of(extra), "a second '#' title: an article has exactly one; make this heading a "
                                         "'##' section of the article")


def _check_safety(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    _check_titles(docname, doctree)
    try:
        _check_raw(docname, doctree)
        _check_urls(app, docname, doctree)
        _check_text(docname, doctree)
        _check_emphasis(docname, doctree)
    except Exception as err:  # a gap in the gate must not take the build down, nor let content through
        _error(docname, 1, f"this page could not be checked ({type(err).__name__}: {err}), so its raw HTML is "
               "not published: please report this to the maintainers with the page")
        for node in list(doctree.findall(nodes.raw)):
            if node.parent is not None:
                node.parent.remove(node)


_LITERAL_TEXT = (nodes.FixedTextElement, nodes.literal, nodes.math, nodes.raw, nodes.comment)


def _check_emphasis(docname: str, doctree: nodes.document) -> None:
    """Bold that did not pair up is printed as ``**``. CommonMark opens and closes ``**`` only
    beside a space, a letter or outside punctuation: between a full-width bracket and a Chinese
    character (「**预填充（prefill）**阶段」) it is plain text."""
    for text in doctree.findall(nodes.Text):
        if "**" in text and not isinstance(text.parent, _LITERAL_TEXT):
            at = str(text).index("**")
            snippet = str(text)[max(0, at - 12):at + 14].replace("\n", " ")
            _error(docname, line_of(text.parent),
                   f"bold markers ** were not paired and show as text: '…{snippet}…'. Markdown does not "
                   "close ** between punctuation such as ）or ” and a Chinese character: keep the brackets "
                   "outside the bold (**预填充**（prefill）阶段) or put a space after the closing **")
            return


def line_of(node: nodes.Node) -> int:
    """The line of a node, or of the nearest ancestor that has one."""
    while node is not None:
        if getattr(node, "line", None):
            return node.line
        node = node.parent
    return 1


# --- broken cross-references ---------------------------------------------------------------

_REF_HINTS = {
    "doc": ("unknown document '{target}': link an article by its path from the site root without .md, "
            "e.g. {{doc}}`/large-model/flash-attention`"),
    "ref": ("unknown label '{target}': put a line ({target})= right above the heading you link to, "
            "or fix the label's spelling"),
    "eq": ("unknown equation label '{target}': give the $$ block a label, e.g. $$ ... $$ ({target}), "
           "or fix the label's spelling"),
}


def _missing_reference_hint(app: Sphinx, domain, node) -> bool | None:
    reftype = node.get("reftype", "")
    target = node.get("reftarget", "")
    if reftype not in _REF_HINTS:
        return None
    env = app.env
    if reftype == "doc":
        candidates = sorted(env.found_docs)
        target_name = target.lstrip("/")
        # an article that moved keeps its file name: that match beats a similar-looking path
        moved = [d for d in candidates if d.split("/")[-1] == target_name.split("/")[-1]]
        close = moved[:1] or difflib.get_close_matches(target_name, candidates, n=1)
        close = [("/" if target.startswith("/") else "") + c for c in close]
    else:
        if reftype == "ref":
            candidates = list(env.domains.standard_domain.labels)
        else:
            candidates = list(env.domains["math"].equations) if "math" in env.domains else []
        close = difflib.get_close_matches(target, candidates, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    logger.warning(_REF_HINTS[reftype].format(target=target) + hint, location=node,
                   type="ref", subtype=reftype)
    return True


# --- rel="noopener" -------------------------------------------------------------------------

class KnowledgeBaseTranslator(HTML5Translator):
    """Sphinx's HTML5 writer; external links get rel="noopener", toctree captions (role
    "heading" in Sphinx, in the sidebar and on the home page) get the level that screen
    readers and accessibility checks need, and generated figures their width and height."""

    def visit_reference(self, node: nodes.reference) -> None:
        if not node.get("internal") and "://" in node.get("refuri", ""):
            node["rel"] = "noopener"
        super().visit_reference(node)

    def starttag(self, node, tagname, suffix="\n", empty=False, **attributes):
        if tagname == "a" and isinstance(node, nodes.reference) and node.get("rel"):
            attributes["rel"] = node["rel"]
        if tagname == "img" and isinstance(node, nodes.image) and node.get("kb_size"):
            # the build's own figures: their size reserves their room before they load
            attributes["width"], attributes["height"] = node["kb_size"]
        if tagname == "p" and attributes.get("ROLE") == "heading":
            attributes.setdefault("aria-level", "2")
        return super().starttag(node, tagname, suffix, empty, **attributes)


def setup(app: Sphinx) -> None:
    app.connect("source-read", _check_source)
    # before Sphinx looks for pages (it does so before builder-inited), so that what cannot be
    # built is excluded first
    app.connect("config-inited", lambda app, config: _check_files(app))
    # before Sphinx's own collectors copy titles into the navigation
    app.connect("doctree-read", _check_safety, priority=100)
    app.connect("warn-missing-reference", _missing_reference_hint)
    for builder in ("html", "dirhtml"):
        app.set_translator(builder, KnowledgeBaseTranslator, override=True)
