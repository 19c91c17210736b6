"""Generated outputs complete on every build, clean or warm; moved articles keep their URLs.

* **Sitemap.** sphinx-sitemap lists the pages written in *this* run, so a warm build shrank
  it to the pages that changed. Before it writes the file, the pages not rewritten this time
  are added back, and afterwards every URL in it is percent-encoded.
* **Deleted and added articles.** Sphinx leaves the page of a deleted article in the output
  and does not rewrite the other pages, whose sidebars still list it. When the set of pages
  changes, the removed pages' files go and every page is rewritten.
* **Moved articles.** ``redirects.yaml`` maps old paths to new ones (sphinx-reredirects writes
  the redirect pages). An article path that git says was published (committed, or deleted or
  renamed in the history) and that no longer exists must have an entry: the build says which.
"""

from __future__ import annotations

import posixpath
import queue
import re
import subprocess
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import yaml
from sphinx.application import Sphinx
from sphinx.util import logging

from .metadata import CATEGORIES, is_article

logger = logging.getLogger(__name__)
REDIRECTS_FILE = "redirects.yaml"
_DOCNAME = re.compile(r"^/?[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$")


# --- sitemap ---------------------------------------------------------------------------------

def _complete_sitemap(app: Sphinx, exception) -> None:
    links = getattr(app.env.app, "sitemap_links", None)
    if exception is not None or links is None or app.builder.format != "html":
        return
    from sphinx_sitemap import is_excluded

    found: list = []
    while True:
        try:
            found.append(links.get_nowait())
        except queue.Empty:
            break
    written = {link for link, _lastmod in found}
    suffix = app.config.html_file_suffix or ".html"
    for docname in sorted(app.env.found_docs):
        link = docname + suffix
        if link not in written and not is_excluded(link, app.config.sitemap_excludes):
            found.append((link, None))
    for item in sorted(found, key=lambda item: item[0]):
        links.put(item)


def _encode_url(url: str) -> str:
    """sphinx-sitemap writes the page path raw: spaces, "#" and "?" in it are part of the path."""
    origin, _, rest = url.partition("://")
    host, _, page_path = rest.partition("/")
    return f"{origin}://{host}/{quote(page_path, safe='/%')}" if rest else url


def _encode_sitemap(app: Sphinx, exception) -> None:
    path = Path(app.outdir) / app.config.sitemap_filename
    if exception is not None or not path.exists():
        return
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    ElementTree.register_namespace("", namespace)
    tree = ElementTree.parse(path)
    changed = False
    for element in tree.getroot().iter():
        if element.tag == f"{{{namespace}}}loc":
            encoded = _encode_url(element.text or "")
            if encoded != element.text:
                element.text, changed = encoded, True
        elif element.get("href"):  # the xhtml:link alternates
            encoded = _encode_url(element.get("href"))
            if encoded != element.get("href"):
                element.set("href", encoded)
                changed = True
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)


# --- pages added or removed ------------------------------------------------------------------

def _note_changes(app: Sphinx, env, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    env.kb_removed = set(removed) | getattr(env, "kb_removed", set())
    env.kb_pages_changed = bool(added or removed)
    return []


def _rewrite_all_if_pages_changed(app: Sphinx, env) -> list[str]:
    if getattr(env, "kb_pages_changed", False):
        env.kb_pages_changed = False
        return sorted(env.found_docs)  # every sidebar lists every article
    return []


def _remove_stale_pages(app: Sphinx, exception) -> None:
    removed = getattr(app.env, "kb_removed", set())
    if exception is not None or not removed or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    redirected = set(getattr(app.config, "redirects", None) or {})
    for docname in sorted(removed):
        if docname in app.env.found_docs or docname in redirected:
            continue
        for path in (outdir / f"{docname}.html", outdir / "_search" / f"{docname}.html"):
            path.unlink(missing_ok=True)
    app.env.kb_removed = set()


# --- redirects -------------------------------------------------------------------------------

def _load_redirects(app: Sphinx, config) -> None:
    path = Path(app.srcdir) / REDIRECTS_FILE
    app._kb_redirect_lines = {}
    if not path.exists():
        return
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        logger.error(f"{REDIRECTS_FILE} is not valid YAML ({err}): write one 'old/path: new/path' per line",
                     location=f"{path}:1", type="kb", subtype="redirect")
        return
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        logger.error(f"{REDIRECTS_FILE} must be 'old/path: new/path' lines", location=f"{path}:1",
                     type="kb", subtype="redirect")
        return
    redirects = {}
    for key, value in root.value:
        old, new = str(key.value).strip().removesuffix(".md"), str(value.value).strip().removesuffix(".md")
        if not (_DOCNAME.match(old) and _DOCNAME.match(new)):
            # the target goes into the redirect page's script: only article paths, nothing else
            logger.error(f"'{old}: {new}' is not a redirect between article paths: write 'folder/old-name: "
                         "folder/new-name' (the paths of the .md files, without .md)",
                         location=f"{path}:{key.start_mark.line + 1}", type="kb", subtype="redirect")
            continue
        app._kb_redirect_lines[old] = (new, key.start_mark.line + 1)
        # absolute from the site root; sphinx-reredirects makes it relative to the old page
        redirects[old] = "/" + new.lstrip("/") + ".html"
    if redirects:
        config.redirects = {**(config.redirects or {}), **redirects}


def _git(srcdir: Path, *args: str) -> list[str] | None:
    try:
        proc = subprocess.run(["git", "-C", str(srcdir), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.splitlines() if proc.returncode == 0 else None


def published_paths(srcdir: Path) -> dict[str, str | None]:
    """Article docnames git knows as published -> the docname git saw them renamed to (or None)."""
    if _git(srcdir, "rev-parse", "--show-prefix") != [""]:
        return {}  # not the top of a git checkout (a test's copy, a tarball): nothing to compare
    folders = list(CATEGORIES)
    published: dict[str, str | None] = {}
    for line in _git(srcdir, "ls-tree", "-r", "--name-only", "HEAD", "--", *folders) or []:
        published.setdefault(line, None)
    for line in _git(srcdir, "log", "--format=", "--name-status", "-M", "--diff-filter=DR", "--", *folders) or []:
        fields = line.split("\t")
        if fields[0].startswith("R") and len(fields) == 3:
            published[fields[1]] = fields[2]
        elif fields[0] == "D" and len(fields) == 2:
            published.setdefault(fields[1], None)
    # working-tree renames git can see (git mv, not yet committed)
    for line in _git(srcdir, "diff", "--name-status", "-M", "HEAD", "--", *folders) or []:
        fields = line.split("\t")
        if fields[0].startswith("R") and len(fields) == 3:
            published[fields[1]] = fields[2]
    return {path.removesuffix(".md"): (new.removesuffix(".md") if new else None)
            for path, new in published.items() if path.endswith(".md") and is_article(path.removesuffix(".md"))}


def _check_redirects(app: Sphinx, env) -> list[str]:
    srcdir = Path(app.srcdir)
    lines = getattr(app, "_kb_redirect_lines", {})
    for old, (new, line) in sorted(lines.items()):
        if new not in env.found_docs:
            logger.error(f"redirect '{old}' points to '{new}', which is not a page of the site: write the new "
                         "path of the article, without .md", location=f"{srcdir / REDIRECTS_FILE}:{line}",
                         type="kb", subtype="redirect")
        elif old in env.found_docs:
            logger.error(f"redirect '{old}' is a page of the site again: remove the entry",
                         location=f"{srcdir / REDIRECTS_FILE}:{line}", type="kb", subtype="redirect")
    for old, renamed in sorted(published_paths(srcdir).items()):
        if old in env.found_docs or old in lines:
            continue
        new = renamed if renamed in env.found_docs else _same_name(old, env.found_docs)
        target = new or "new/path"
        where = (env.doc2path(new), 1) if new else (f"{srcdir / REDIRECTS_FILE}", 1)
        logger.error(f"{old}.md was published and is gone: readers' links and bookmarks to it would break. Add "
                     f"the line '{old}: {target}' to {REDIRECTS_FILE} so they lead to the new page",
                     location=f"{where[0]}:{where[1]}", type="kb", subtype="redirect")
    return []


def _same_name(old: str, docs) -> str | None:
    matches = [d for d in docs if is_article(d) and posixpath.basename(d) == posixpath.basename(old)]
    return matches[0] if len(matches) == 1 else None


def _has_redirects(srcdir: Path) -> bool:
    try:
        lines = (srcdir / REDIRECTS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    return any(line.strip() and not line.lstrip().startswith("#") for line in lines)


def setup(app: Sphinx) -> None:
    if _has_redirects(Path(app.srcdir)):  # sphinx-reredirects (and the linkcheck it imports) only when used
        app.setup_extension("sphinx_reredirects")
    app.connect("config-inited", _load_redirects)
    app.connect("env-get-outdated", _note_changes)
    app.connect("env-get-updated", _rewrite_all_if_pages_changed)
    app.connect("env-get-updated", _check_redirects)
    app.connect("build-finished", _complete_sitemap, priority=400)  # before sphinx-sitemap writes it
    app.connect("build-finished", _encode_sitemap, priority=900)
    app.connect("build-finished", _remove_stale_pages)
