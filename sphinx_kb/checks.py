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
import re
from pathlib import Path

from docutils import nodes
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.matching import Matcher
from sphinx.writers.html5 import HTML5Translator

from .metadata import CATEGORIES

logger = logging.getLogger(__name__)

# fenced blocks whose body is not Markdown
_LITERAL_DIRECTIVES = {"code-block", "code", "sourcecode", "no-run", "mermaid", "plot", "math", "eval-rst", "raw"}
# Markdown files in the repository that are not pages
_NOT_PAGES = {"README.md", "CONTRIBUTING.md", "CHANGELOG.md", "LICENSE.md"}
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
    stripped = line.strip()
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
        elif token.type == "inline" and _JS_MARKDOWN_LINK.search(token.content):
            # markdown-it refuses such links and shows them as text; say so instead
            problems.append((offset + start + 1, "javascript: URLs are not allowed in articles: link to a page instead"))
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i not in covered and stripped.startswith("$$") and stripped.count("$$") == 1:
            problems.append((offset + i + 1, "a $$ math block opened here is never closed: add a line $$ after "
                             "the formula (and keep the formula free of blank lines)"))
    return problems


def _check_source(app: Sphinx, docname: str, source: list[str]) -> None:
    for line, message in markup_problems(source[0]):
        _error(docname, line, message)


# --- pages outside the site ------------------------------------------------------------

def _check_files_outside_categories(app: Sphinx) -> None:
    srcdir = Path(app.srcdir)
    include = Matcher(app.config.include_patterns)
    for path in sorted(srcdir.rglob("*.md")):
        relative = path.relative_to(srcdir)
        if relative.parts[0] in _NOT_PAGE_DIRS or relative.parts[0].startswith(".") or relative.name in _NOT_PAGES:
            continue
        if not include(relative.as_posix()):
            folders = ", ".join(f"{c}/" for c in CATEGORIES)
            close = difflib.get_close_matches(relative.parts[0], CATEGORIES, n=1) if len(relative.parts) > 1 else []
            hint = f" (did you mean {close[0]}/?)" if close else ""
            _error(path, 1, f"this page is outside the category folders{hint} and would not be published: "
                            f"move it into one of {folders}")
        elif len(relative.parts) > 2:
            _error(path, 1, "articles live directly in a category folder, not in a sub-folder: "
                            f"move it to {relative.parts[0]}/{relative.name}")


# --- unsafe content ----------------------------------------------------------------------

_UNSAFE_TAGS = re.compile(r"<\s*(script|iframe|style|object|embed|frame|frameset|form|meta|link|base)\b", re.I)
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
_JS_MARKDOWN_LINK = re.compile(r"\]\(\s*<?\s*(javascript|vbscript):", re.I)
_JS_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)", re.I)
_JS_ATTR = re.compile(r"""(href|src|action|formaction|xlink:href)\s*=\s*["']?\s*(javascript|vbscript):""", re.I)


def unsafe_html(html: str) -> str | None:
    """Why this raw HTML must not be published, or None."""
    if m := _UNSAFE_TAGS.search(html):
        return f"raw <{m.group(1).lower()}> is not allowed in articles"
    if _EVENT_HANDLER.search(html):
        return "inline event handlers (onclick=, onerror=, ...) are not allowed in articles"
    if _JS_ATTR.search(html):
        return "javascript: URLs are not allowed in articles"
    return None


def _check_safety(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    for node in doctree.findall(nodes.raw):
        if "html" not in node.get("format", "").split():
            continue
        if reason := unsafe_html(node.astext()):
            _error(docname, node.line or _line_of(node), f"{reason}: articles are content, not code that runs "
                   "in readers' browsers. Use Markdown, a directive ({mermaid}, {plot}) or a code block instead")
            # and never publish it, even from a build that is not stopped: show it as text
            node.replace_self(nodes.Text(node.astext()))
    for node in doctree.findall(nodes.reference):
        if _JS_URL.match(node.get("refuri", "")):
            _error(docname, _line_of(node), "javascript: URLs are not allowed in articles: link to a page instead")
    for node in doctree.findall(nodes.image):
        if _JS_URL.match(node.get("uri", "")):
            _error(docname, _line_of(node), "javascript: image sources are not allowed in articles")


def _line_of(node: nodes.Node) -> int:
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
        candidates = list(env.found_docs)
        target_name = target.lstrip("/")
    elif reftype == "ref":
        candidates = list(env.domains.standard_domain.labels)
        target_name = target
    else:
        candidates = list(env.domains["math"].equations) if "math" in env.domains else []
        target_name = target
    close = difflib.get_close_matches(target_name, candidates, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    logger.warning(_REF_HINTS[reftype].format(target=target) + hint, location=node,
                   type="ref", subtype=reftype)
    return True


# --- rel="noopener" -------------------------------------------------------------------------

class KnowledgeBaseTranslator(HTML5Translator):
    """Sphinx's HTML5 writer; external links get rel="noopener", and toctree captions (role
    "heading" in Sphinx, in the sidebar and on the home page) get the level that screen
    readers and accessibility checks need."""

    def visit_reference(self, node: nodes.reference) -> None:
        if not node.get("internal") and "://" in node.get("refuri", ""):
            node["rel"] = "noopener"
        super().visit_reference(node)

    def starttag(self, node, tagname, suffix="\n", empty=False, **attributes):
        if tagname == "a" and isinstance(node, nodes.reference) and node.get("rel"):
            attributes["rel"] = node["rel"]
        if tagname == "p" and attributes.get("ROLE") == "heading":
            attributes.setdefault("aria-level", "2")
        return super().starttag(node, tagname, suffix, empty, **attributes)


def setup(app: Sphinx) -> None:
    app.connect("source-read", _check_source)
    app.connect("builder-inited", _check_files_outside_categories)
    # before Sphinx's own collectors copy titles into the navigation
    app.connect("doctree-read", _check_safety, priority=100)
    app.connect("warn-missing-reference", _missing_reference_hint)
    for builder in ("html", "dirhtml"):
        app.set_translator(builder, KnowledgeBaseTranslator, override=True)
