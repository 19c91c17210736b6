"""furo's sidebar tree, rendered once per folder instead of once per page.

furo builds the sidebar of every page by rendering the whole global toctree for that page and
re-parsing it with BeautifulSoup (``furo._compute_navigation_tree``). Both steps cost time
proportional to the size of the site, so a clean build grows with the square of the number
of articles (62% of a 300-article build). Yet on every page of one folder the tree is the
same HTML: the same relative links, the same checkboxes. Only the branch leading to the page
is marked "current", and the page's own link becomes ``#``.

So, for the html builder, we render the tree once per folder for a page that is in no
toctree (nothing marked), index where each link and its ancestors sit, and mark the page's
branch with a handful of string edits, exactly as Sphinx and furo would. The tests compare
the result with furo's own function on every page.
"""

from __future__ import annotations

import posixpath
import sys
import re
from dataclasses import dataclass, field
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment.adapters.toctree import global_toctree_for_doc
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

# A docname no page has: rendering the tree "for" it marks nothing as current.
_UNMARKED = "__kb_unmarked_navigation__"
_TAG = re.compile(r"<(/?)([a-z]+)\b([^>]*)>")
_HREF = re.compile(r'\bhref="([^"]*)"')
_CLASS = re.compile(r'\bclass="([^"]*)"')
_VOID = {"input", "br", "img", "hr", "meta", "link", "wbr"}


@dataclass
class _Tag:
    start: int
    end: int
    name: str
    attrs: str


@dataclass
class _FolderTree:
    """The unmarked tree of one folder and, per link target, the tags on its branch."""

    html: str
    tags: list[_Tag]
    branches: dict[str, list[list[int]]] = field(default_factory=dict)  # href -> [tag indices, <a> last]
    checkbox_of: dict[int, int] = field(default_factory=dict)  # <li> index -> its <input> index


def _index(html: str) -> _FolderTree:
    tree = _FolderTree(html, [])
    stack: list[int] = []
    for match in _TAG.finditer(html):
        closing, name, attrs = match.group(1), match.group(2), match.group(3)
        if closing:
            open_names = [tree.tags[i].name for i in stack]
            if name in open_names:  # else a stray close of a void element, e.g. </use>
                del stack[len(open_names) - 1 - open_names[::-1].index(name):]
            continue
        index = len(tree.tags)
        tree.tags.append(_Tag(match.start(), match.end(), name, attrs))
        if name == "a":
            href = _HREF.search(attrs)
            if href:
                tree.branches.setdefault(href.group(1), []).append(
                    [i for i in stack if tree.tags[i].name in ("li", "ul")] + [index])
        elif name == "input" and stack and tree.tags[stack[-1]].name == "li":
            tree.checkbox_of[stack[-1]] = index
        if name not in _VOID and not attrs.rstrip().endswith("/"):
            stack.append(index)
    return tree


def _with_class(text: str, add: str, position: int | None = None) -> str:
    """The tag ``text`` with ``add`` put into its class list at ``position`` (default: last),
    where Sphinx or furo would put it."""
    found = _CLASS.search(text)
    if not found:
        return text[:-1] + f' class="{add}">'
    classes = found.group(1).split()
    classes.insert(len(classes) if position is None else position, add)
    return text[:found.start(1)] + " ".join(classes) + text[found.end(1):]


def _mark(tree: _FolderTree, href: str) -> str:
    """The folder's tree with the branch (or branches) of the page at ``href`` marked."""
    branches = tree.branches.get(href)
    if not branches:
        return tree.html
    edits: dict[int, str] = {}
    current_lis: list[int] = []
    for branch in branches:
        for index in branch:
            tag = tree.tags[index]
            if index in edits:
                continue  # shared by two branches: already marked
            text = tree.html[tag.start:tag.end]
            if tag.name == "a":
                text = _with_class(text, "current", 0)
                text = text.replace(f'href="{href}"', 'href="#"', 1)
            elif tag.name == "li":
                # Sphinx appends "current" after "toctree-lN"; furo's "has-children" comes later.
                text = _with_class(text, "current", 1)
                current_lis.append(index)
                if index in tree.checkbox_of:
                    box = tree.tags[tree.checkbox_of[index]]
                    box_text = tree.html[box.start:box.end]
                    edits[tree.checkbox_of[index]] = box_text.replace(' class=', ' checked="" class=', 1)
            else:
                text = _with_class(text, "current")
            edits[index] = text
    # furo marks the last <li> (in document order) on a current branch as the current page.
    last = max(current_lis)
    edits[last] = _with_class(edits[last], "current-page")
    out, pos = [], 0
    for index in sorted(edits):
        tag = tree.tags[index]
        out.append(tree.html[pos:tag.start])
        out.append(edits[index])
        pos = tag.end
    out.append(tree.html[pos:])
    return "".join(out)


_trees: dict[str, _FolderTree] = {}


def _folder_tree(app: Sphinx, folder: str) -> _FolderTree:
    if folder not in _trees:
        docname = posixpath.join(folder, _UNMARKED) if folder else _UNMARKED
        toctree = global_toctree_for_doc(app.env, docname, app.builder, collapse=False,
                                         includehidden=True, maxdepth=-1, titles_only=True)
        html = app.builder.render_partial(toctree)["fragment"] if toctree is not None else ""
        _trees[folder] = _index(_furo_tree(html))
    return _trees[folder]


def navigation_tree(app: Sphinx, context: dict[str, Any]) -> str:
    """What furo puts in ``furo_navigation_tree`` for the page being written."""
    if "toctree" not in context:
        return ""
    supplier = getattr(context["toctree"], "__module__", "")
    if supplier == "notfound.extension":
        return _absolute(_folder_tree(app, "").html, app.config.notfound_urls_prefix or "/")
    if not supplier.startswith("sphinx."):  # another extension's tree: not ours to predict
        return _original(context)
    target = app.builder.get_target_uri(context["pagename"])
    folder = posixpath.dirname(target)
    tree = _folder_tree(app, folder)
    unmarked = posixpath.join(folder, _UNMARKED) if folder else _UNMARKED
    href = relative_uri(app.builder.get_target_uri(unmarked), target)
    return _mark(tree, href)


def _absolute(html: str, prefix: str) -> str:
    """The site root's tree with absolute links, as sphinx-notfound-page gives the 404 page
    (it can be served at any depth); no page of the tree is the current one."""
    base = prefix.rstrip("/") + "/"
    return re.sub(r'href="(?![#/]|[a-z]+:)', f'href="{base}', html)


def _original(context: dict[str, Any]) -> str:
    import furo

    return furo._compute_navigation_tree.kb_original(context)


def _furo_tree(html: str) -> str:
    from furo.navigation import get_navigation_tree

    return get_navigation_tree(html)


def _render_before_forking(app: Sphinx, doctree, docname: str) -> None:
    """Render every folder's tree in the main process as writing starts. With -j N, Sphinx
    writes pages in worker processes forked chunk by chunk: a tree rendered in a worker is
    lost with it, and was rendered again by every chunk (the largest cost at 1,000 articles)."""
    if _trees or not _installed():
        return
    for folder in sorted({posixpath.dirname(app.builder.get_target_uri(d)) for d in app.env.found_docs}):
        _folder_tree(app, folder)


def _installed() -> bool:
    furo = sys.modules.get("furo")
    return furo is not None and hasattr(getattr(furo, "_compute_navigation_tree", None), "kb_original")


def _reset(app: Sphinx, *args: Any) -> None:
    _trees.clear()  # a new build may have a new tree


def _install(app: Sphinx) -> None:
    """Replace furo's per-page tree by ours for the html builder; leave other builders alone."""
    try:
        import furo
    except ImportError:
        return
    original = getattr(furo, "_compute_navigation_tree", None)
    if original is not None and getattr(original, "kb_original", None) is not None:
        original = furo._compute_navigation_tree = original.kb_original  # an earlier build's patch
    if app.builder.name != "html":
        return
    if original is None:
        logger.warning("furo has no _compute_navigation_tree any more: the sidebar is built per page "
                       "(slow on large sites); update sphinx_kb/navtree.py for this furo version")
        return

    def compute(context: dict[str, Any]) -> str:
        return navigation_tree(app, context)

    compute.kb_original = original  # type: ignore[attr-defined]
    furo._compute_navigation_tree = compute


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _install)
    app.connect("builder-inited", _reset)
    app.connect("env-updated", _reset)
    app.connect("doctree-resolved", _render_before_forking)
