"""The sidebar tree we render once per folder must equal furo's own, page by page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_SITE, ROOT, site_pages


# Run in a child process: the build's extensions start helper processes (sphinx-sitemap's
# multiprocessing manager) that would outlive an in-process build and keep the worker alive.
COMPARE = """
import difflib, json, sys
import furo
from sphinx.application import Sphinx

compared, mismatches = 0, {}

def compare(app, pagename, templatename, context, doctree):
    global compared
    ours = context.get("furo_navigation_tree")
    if ours is None:
        return
    original = furo._compute_navigation_tree.kb_original(context)
    compared += 1
    if ours != original:
        mismatches[pagename] = "\\n".join(difflib.unified_diff(
            original.splitlines(), ours.splitlines(), "furo", "sphinx_kb", lineterm="", n=1))

srcdir, outdir = sys.argv[1:]
app = Sphinx(srcdir, srcdir, outdir, outdir + "/.doctrees", "html", status=None, warning=None,
             freshenv=True, parallel=1)
app.connect("html-page-context", compare, priority=900)  # after furo has filled the context
app.build(force_all=True)
assert hasattr(furo._compute_navigation_tree, "kb_original"), "furo's tree function was not replaced"
print(json.dumps({"compared": compared, "mismatches": mismatches}))
"""


def build_and_compare(srcdir: Path, outdir: Path) -> tuple[int, dict[str, str]]:
    """Build; on every page, compare what furo received from us with furo's own
    ``_compute_navigation_tree`` (the original, kept by sphinx_kb.navtree)."""
    proc = subprocess.run([sys.executable, "-c", COMPARE, str(srcdir), str(outdir)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["compared"], result["mismatches"]


@pytest.mark.parametrize("site", ["fixture", "real"])
def test_sidebar_tree_equals_furos_on_every_page(site, tmp_path):
    srcdir = FIXTURE_SITE if site == "fixture" else ROOT
    compared, mismatches = build_and_compare(srcdir, tmp_path / "html")
    pages = len(site_pages(tmp_path / "html"))
    assert compared >= pages - 2, f"only {compared} of {pages} pages compared"  # search/genindex too
    assert not mismatches, "\n\n".join(f"{page}:\n{diff}" for page, diff in list(mismatches.items())[:3])


def test_tree_marks_the_page_branch():
    """The marking itself, on a small tree: the page's link becomes '#', its <li> and every
    ancestor <li>/<ul> get 'current', the parent's checkbox is checked."""
    from sphinx_kb.navtree import _index, _mark

    html = ('<ul>\n<li class="toctree-l1 has-children"><a class="reference internal" href="a/index.html">A</a>'
            '<input class="toctree-checkbox" id="c1" type="checkbox"/><label for="c1"><svg><use href="#x"></use>'
            '</svg></label><ul>\n<li class="toctree-l2"><a class="reference internal" href="a/p.html">P</a></li>\n'
            '<li class="toctree-l2"><a class="reference internal" href="a/q.html">Q</a></li>\n</ul>\n</li>\n</ul>')
    marked = _mark(_index(html), "a/q.html")
    assert '<ul class="current">\n<li class="toctree-l1 current has-children">' in marked
    assert '<input checked="" class="toctree-checkbox"' in marked
    assert '<li class="toctree-l2 current current-page"><a class="current reference internal" href="#">Q' in marked
    assert '<li class="toctree-l2"><a class="reference internal" href="a/p.html">P' in marked
    assert _mark(_index(html), "elsewhere.html") == html
