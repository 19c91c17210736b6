"""Nothing lost, and nothing that changes from one build to the next, on the real site."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import subprocess
import time
from pathlib import Path

import feedparser

from conftest import CATEGORIES, ROOT, article_files, build_site, report_line

ARTICLES = [p.relative_to(ROOT).with_suffix("").as_posix() for p in article_files()]


def _links_in(html: str, css_class: str) -> list[str]:
    """Hrefs of the title links of the entries of the given kind on a page."""
    blocks = re.findall(rf'<div class="kb-entry {css_class}[^"]*">(.*?)</div>', html, re.S)
    hrefs = []
    for block in blocks:
        title = re.search(r'class="kb-entry-title">(.*?)</p>', block, re.S).group(1)
        hrefs.append(re.search(r'href="([^"]+)"', title).group(1))
    return hrefs


def test_every_article_appears_exactly_once_everywhere(real_site):
    assert len(ARTICLES) == 39  # the 31 founding articles and the second shelf's 8
    out = real_site.outdir

    # category toctrees
    with open(out / ".doctrees" / "environment.pickle", "rb") as f:
        env = pickle.load(f)
    in_toctrees = [d for c in CATEGORIES for d in env.toctree_includes[f"{c}/index"]]
    assert sorted(in_toctrees) == sorted(ARTICLES)

    # 最近更新: one first-publication entry per article across all pages
    pages = sorted((out / "updates").glob("*.html"))
    new_entries = [href for p in pages for href in _links_in(p.read_text(encoding="utf-8"), "kb-entry-new")]
    docnames = [re.sub(r"^\.\./", "", h).removesuffix(".html") for h in new_entries]
    assert sorted(docnames) == sorted(ARTICLES)

    # Atom feed
    feed = feedparser.parse((out / "atom.xml").read_bytes())
    assert not feed.bozo
    firsts = [e.link.rsplit("/latest/", 1)[1].removesuffix(".html") for e in feed.entries
              if not e.title.startswith("更新：")]
    assert sorted(firsts) == sorted(ARTICLES)

    # search index
    text = (out / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1: text.rindex(")")])
    indexed = [d for d in index["docnames"] if d in ARTICLES]
    assert sorted(indexed) == sorted(ARTICLES)

    # sitemap, when the site has one
    sitemap = out / "sitemap.xml"
    if sitemap.exists():
        urls = re.findall(r"<loc>[^<]*/latest/([^<]+?)\.html</loc>", sitemap.read_text(encoding="utf-8"))
        assert sorted(u for u in urls if u in ARTICLES) == sorted(ARTICLES)
    report_line(f"invariants on the real site: {len(ARTICLES)} articles, each once in its category toctree, "
                f"the updates pages ({len(pages)} pages), the Atom feed ({len(feed.entries)} entries) and the search index")


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".doctrees" not in p.parts}


def test_two_clean_builds_are_byte_identical(real_site, tmp_path, monkeypatch):
    # the clock of the last commit, as reproducible builds set it (articles may be dated that day)
    last_commit = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", last_commit or str(int(time.time())))
    again = build_site(ROOT, tmp_path / "again")  # serial this time; the fixture build used -j auto
    assert again.returncode == 0
    first, second = _digest(real_site.outdir), _digest(again.outdir)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == [], differing
    report_line(f"reproducible: two clean builds produced {len(first)} byte-identical files")
