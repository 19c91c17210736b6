"""Front matter, 最近更新, the Atom feed, related articles with backlinks, tags, listings."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import feedparser
import pytest

from conftest import FIXTURE_SITE, ROOT, build_site, site_pages

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")

BASEURL = "https://dl-knowledge-base.readthedocs.io/zh-cn/latest/"


class _Text(HTMLParser):
    """Collects the text and links of the elements with a given class."""

    def __init__(self):
        super().__init__()
        self.stack: list[set[str]] = []
        self.chunks: list[tuple[set[str], str]] = []
        self.links: list[tuple[str, str]] = []
        self._href = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(set((a.get("class") or "").split()))
        if tag == "a":
            self._href = a.get("href")
            self._link_text = ""

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._link_text))
            self._href = None
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        classes = set().union(*self.stack) if self.stack else set()
        self.chunks.append((classes, data))
        if self._href is not None:
            self._link_text += data

    def text_of(self, cls: str) -> str:
        return "".join(d for c, d in self.chunks if cls in c)


def parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


def entries_of(html: str) -> list[str]:
    """The entry blocks of a listing, in page order, as plain text."""
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<div class="kb-entry[^"]*">(.*?)</div>', html, re.S)]


# --- front matter: every mistake fails the build with file, line and what to do -------------

BAD_FRONT_MATTER = {
    "missing date": ("date: 2026-01-11\n", "", 2, "'date' is missing from the front matter"),
    "malformed date": ("date: 2026-01-11\n", "date: 2026-13-40\n", 2, "is not a date: write it as YYYY-MM-DD"),
    "date in words": ("date: 2026-01-11\n", "date: Jan 11 2026\n", 2, "is not a date"),
    "category disagrees with folder": ("category: Python\n", "category: Large Model\n", 3,
                                       "disagrees with the folder python/: write 'category: Python'"),
    "unknown category": ("category: Python\n", "category: Pyhton\n", 3, "unknown category 'Pyhton'"),
    "typo in a key": ("tags: [参数, 模块]\n", "tag: [参数, 模块]\n", 5, "unknown front matter key 'tag': did you mean 'tags'?"),
    "tags not a list": ("tags: [参数, 模块]\n", "tags: 参数\n", 5, "'tags' must be a YAML list"),
    "related points nowhere": ("related: []\n", "related:\n  - large-model/flash\n  - large-model/no-such-page\n", 8,
                               "related: 'large-model/no-such-page' is not an article of the site"),
    "empty subtopic": ("subtopic: PyTorch 机制\n", "subtopic: ''\n", 4, "'subtopic' must be text"),
    "update without note": ("related: []\n", "related: []\nupdates:\n  - {date: 2026-02-01}\n", 8,
                            "each 'updates' entry needs exactly 'date' and 'note'"),
    "invalid yaml": ("tags: [参数, 模块]\n", "tags: [参数, 模块\n", 6, "not valid YAML"),
    "front matter never closed": ("related: []\n---\n", "related: []\n", 1, "never closed"),
}


def _mutated_site(tmp_path, page: str, old: str, new: str):
    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    path = src / page
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return src


@pytest.mark.parametrize("case", BAD_FRONT_MATTER)
def test_bad_front_matter_fails_with_file_line_and_fix(tmp_path, case):
    old, new, line, message = BAD_FRONT_MATTER[case]
    src = _mutated_site(tmp_path, "python/shared-weights.md", old, new)
    site = build_site(src, tmp_path / "out")
    assert site.returncode != 0, f"{case}: the build passed"
    expected = f"python/shared-weights.md:{line}: ERROR: "
    hits = [w for w in site.warnings if expected in w and message in w]
    assert hits, f"{case}: no '{expected}...{message}' in\n" + "\n".join(site.warnings)
    # the article is reported, never dropped
    assert (tmp_path / "out" / "python" / "shared-weights.html").exists()


def test_mistake_is_reported_again_on_a_warm_rebuild(tmp_path):
    src = _mutated_site(tmp_path, "python/shared-weights.md", "tags: [参数, 模块]\n", "tag: [参数, 模块]\n")
    first = build_site(src, tmp_path / "out")
    again = build_site(src, tmp_path / "out", clean=False)  # nothing changed: no page is re-read
    for site in (first, again):
        assert site.returncode != 0
        assert any("shared-weights.md:5: ERROR: unknown front matter key 'tag'" in w for w in site.warnings)


def test_duplicate_titles_fail(tmp_path):
    src = _mutated_site(tmp_path, "python/ddp.md", "# 分布式数据并行入门", "# 模块之间的参数复用")
    site = build_site(src, tmp_path / "out")
    assert site.returncode != 0
    # blamed on the article published later (shared-weights, 2026-01-12), naming the earlier one
    assert any("python/shared-weights.md:" in w and "the title '模块之间的参数复用' is already taken by python/ddp"
               in w for w in site.warnings), site.warnings


def test_chinese_tags_are_kept_as_text(fixture_site):
    html = fixture_site.html("large-model/memory.html")
    chips = [text for href, text in parse(html).links if "tags/index.html#" in href]
    assert chips == ["显存", "混合精度"]
    assert "\\u" not in fixture_site.html("tags/index.html")


# --- 最近更新 ------------------------------------------------------------------------------

def test_updates_are_newest_first_twelve_a_page(fixture_site):
    page1 = fixture_site.html("updates/index.html")
    page2 = fixture_site.html("updates/page-2.html")
    first, second = entries_of(page1), entries_of(page2)
    # 5 articles + 8 updates of large-model/memory
    assert (len(first), len(second)) == (12, 1)
    dates = [re.search(r"\d{4}-\d{2}-\d{2}", e).group() for e in first + second]
    assert dates == sorted(dates, reverse=True)
    assert "更新：训练时的内存预算" in first[0] and "第 8 次修订" in first[0]
    assert "大模型" in first[0] and "Large Model" not in first[0]  # the Chinese name, not the front-matter value
    # page links
    assert 'href="page-2.html"' in page1 and 'href="index.html"' in page2
    # dates group visually, one heading per day
    assert page1.count('class="kb-day-date rubric"') == len(set(dates[:12]))


def test_excerpt_is_plain_text_with_placeholders(fixture_site):
    entries = {e.split("\n")[0]: e for e in entries_of(fixture_site.html("updates/page-2.html"))}
    html = fixture_site.html("updates/index.html") + fixture_site.html("updates/page-2.html")
    text = " ".join(entries_of(html))
    assert "[代码]" in text  # shared-weights has code right after its opening
    assert "[公式]" in text  # flash has display math
    assert "$$" not in text and "```" not in text and "<script" not in text
    assert entries


def test_long_opening_is_cut_cleanly():
    from sphinx_kb.metadata import truncate

    text = "梯度检查点" * 100
    cut = truncate(text, 300)
    assert cut.endswith("...") and len(cut) == 303
    latin = "word " * 100
    cut = truncate(latin, 52)
    assert cut.endswith("...") and not cut[:-3].endswith("wor")
    assert truncate("短句。", 300) == "短句。"


def test_home_shows_the_newest_five(fixture_site):
    html = fixture_site.html("index.html")
    entries = entries_of(html)
    assert len(entries) == 5
    assert 'href="updates/index.html"' in html


def test_home_gives_an_overview_of_the_categories_above_the_latest(fixture_site):
    html = fixture_site.html("index.html")
    assert html.index('class="kb-overview') < html.index('class="kb-latest')
    blocks = re.findall(r'<section class="kb-overview-category" id="kb-overview-([a-z-]+)">(.*?)</section>', html, re.S)
    assert [folder for folder, _ in blocks] == ["python", "large-model", "computer-vision"]
    for folder, block in blocks:
        count = len([p for p in (FIXTURE_SITE / folder).glob("*.md") if p.name != "index.md"])
        level, heading = re.search(r"<h(\d)>(.*?)</h\1>", block, re.S).groups()
        assert level == "2"  # a level below the section it sits in (here the page's h1)
        assert f'href="{folder}/index.html"' in heading and f'<span class="kb-count">{count} 篇</span>' in heading
    blocks = dict(blocks)
    # the blurb is the first paragraph of the category's index page
    assert '<p class="kb-overview-blurb">大模型的训练与推理。</p>' in blocks["large-model"]
    assert "kb-overview-blurb" not in blocks["python"]  # its index page has none: nothing made up
    # articles to start with: the most linked-to first (memory and flash: one each), then the older
    starts = [re.findall(r'<a class="reference internal" href="([^"]+)"', b.split("kb-overview-list")[1])
              for b in (blocks["large-model"], blocks["computer-vision"])]
    assert starts == [["large-model/memory.html", "large-model/flash.html"], ["computer-vision/giou.html"]]


@pytest.mark.inputs("everything")
def test_real_home_page_computes_its_overview():
    text = (ROOT / "index.md").read_text(encoding="utf-8")
    assert "{kb-categories}" in text and text.index("{kb-categories}") < text.index("## 最近更新")
    assert not re.search(r"\d+ 篇", text)  # counts come from the build, never written by hand
    for folder in ("python", "large-model", "computer-vision"):
        opening = (ROOT / folder / "index.md").read_text(encoding="utf-8").split("\n\n")[1]
        assert opening.strip() and not opening.startswith(("```", "#")), folder  # the one-sentence blurb


def test_category_page_lists_its_articles(fixture_site):
    html = fixture_site.html("large-model/index.html")
    listing = html[html.index('class="kb-article-list'):]
    assert listing.index("注意力的分块计算") < listing.index("训练时的内存预算")  # newer first
    assert "2026-01-09" in listing and "在线softmax" in listing  # date and summary line


def test_category_page_groups_by_subtopic(fixture_site):
    html = fixture_site.html("python/index.html")
    groups = re.findall(r'kb-subtopic-title rubric">([^<]+)<', html)
    assert groups == ["分布式", "PyTorch 机制"]  # the order given in the index's :order:
    body = html[html.index('class="kb-subtopic'):]
    assert body.index("分布式数据并行入门") < body.index("PyTorch 机制") < body.index("模块之间的参数复用")


def test_incremental_build_updates_listings(tmp_path):
    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    out = tmp_path / "out"
    assert build_site(src, out).returncode == 0
    page = src / "computer-vision" / "giou.md"
    text = page.read_text(encoding="utf-8")
    text = text.replace("date: 2026-01-07", "date: 2026-03-01")
    text = text.replace("两个框不相交时 IoU 恒为零", "改写后的开头:两个框分离时 IoU 恒为零")
    page.write_text(text, encoding="utf-8")
    site = build_site(src, out, clean=False)
    assert site.returncode == 0, site.log
    first = entries_of(site.html("updates/index.html"))[0]
    assert "2026-03-01" in first and "广义交并比" in first and "改写后的开头" in first
    assert "改写后的开头" in entries_of(site.html("index.html"))[0]
    assert "改写后的开头" in site.html("computer-vision/index.html")
    assert "2026-03-01" in site.html("computer-vision/giou.html")


# --- Atom feed -----------------------------------------------------------------------------

def test_atom_feed_is_valid_and_absolute(fixture_site):
    feed = feedparser.parse((fixture_site.outdir / "atom.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert len(feed.entries) == 13
    for entry in feed.entries:
        assert entry.link.startswith(BASEURL) and entry.id.startswith(BASEURL)
    titles = [e.title for e in feed.entries]
    assert "分布式数据并行入门" in titles and titles[0] == "更新：训练时的内存预算"
    assert len({e.id for e in feed.entries}) == len(feed.entries)


def test_every_page_links_the_feed(fixture_site):
    for page in site_pages(fixture_site.outdir):
        assert f'type="application/atom+xml"' in page.read_text(encoding="utf-8") and f'{BASEURL}atom.xml' in \
            page.read_text(encoding="utf-8"), page


# --- related articles and backlinks ---------------------------------------------------------

def test_related_block_has_related_and_backlinks(fixture_site):
    memory = fixture_site.html("large-model/memory.html")
    block = memory[memory.index('id="kb-related"'):]
    assert "注意力的分块计算" in block  # from its own `related`
    assert "分布式数据并行入门" in block  # python/ddp links to it with {doc}
    flash = fixture_site.html("large-model/flash.html")
    assert "训练时的内存预算" in flash[flash.index('id="kb-related"'):]  # backlink from `related`
    assert 'id="kb-related"' not in fixture_site.html("computer-vision/giou.html")


def test_tags_page_lists_each_tag_with_its_articles(fixture_site):
    html = fixture_site.html("tags/index.html")
    assert 'id="tag-显存"' in html
    group = html[html.index('id="tag-显存"'):]
    group = group[: group.index("</ul>")]
    assert "训练时的内存预算" in group and "模块之间的参数复用" not in group


def test_parallel_build_under_w(tmp_path):
    site = build_site(FIXTURE_SITE, tmp_path / "out", "-j", "2")
    assert site.returncode == 0 and site.warnings == [], site.log
    assert len(entries_of((tmp_path / "out" / "updates" / "index.html").read_text(encoding="utf-8"))) == 12


def test_new_article_from_template_builds_and_runs(tmp_path):
    import datetime as dt

    from article_code import run_article
    from sphinx_kb.new_article import create

    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    path = create("large-model", "kv-cache", "KV Cache 入门", root=src, today=dt.date(2026, 3, 1))
    site = build_site(src, tmp_path / "out")
    assert site.returncode == 0 and site.warnings == [], site.log[-3000:]
    first = entries_of(site.html("updates/index.html"))[0]
    assert "KV Cache 入门" in first and "2026-03-01" in first
    assert '<span class="kb-count">3 篇</span>' in site.html("index.html").split('id="kb-overview-large-model"')[1]
    assert run_article(path).problems() == []
    with pytest.raises(SystemExit, match="already exists"):
        create("large-model", "kv-cache", "again", root=src)
    with pytest.raises(SystemExit, match="unknown category"):
        create("llm", "x", "x", root=src)
    # the fixture's large-model articles have no groups yet: the key is there, commented out
    assert "# subtopic: 分组名\n" in path.read_text(encoding="utf-8")


def test_new_article_picks_a_subtopic_among_the_categorys_groups(tmp_path):
    import datetime as dt

    from sphinx_kb.new_article import create, existing_subtopics, next_steps

    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    # computed from the articles, in the order the category page gives (python/index.md :order:)
    assert existing_subtopics(src, "python") == ["分布式", "PyTorch 机制"]
    assert existing_subtopics(src, "large-model") == []
    first = create("python", "gil", "GIL 与多线程", root=src, today=dt.date(2026, 3, 1))
    text = first.read_text(encoding="utf-8")
    assert "# subtopic：分类页上的分组，从本分类已有的分组里选一个：分布式、PyTorch 机制；" in text
    assert "\nsubtopic: 分布式\n" in text  # a valid choice: the first group
    chosen = create("python", "hooks", "模块钩子", root=src, today=dt.date(2026, 3, 1), subtopic="PyTorch 机制")
    assert "\nsubtopic: PyTorch 机制\n" in chosen.read_text(encoding="utf-8")
    with pytest.raises(SystemExit, match="without ':' or '#'"):
        create("python", "bad", "坏分组", root=src, subtopic="a: b")
    site = build_site(src, tmp_path / "out")
    assert site.returncode == 0 and site.warnings == [], site.log[-3000:]
    groups = site.html("python/index.html").split('kb-subtopic-title rubric">')
    assert [g.split("<")[0] for g in groups[1:]] == ["分布式", "PyTorch 机制"]  # no new group appeared
    assert "GIL 与多线程" in groups[1] and "模块钩子" in groups[2]
    steps = next_steps(first, src)
    for expected in ("subtopic（本分类已有：分布式、PyTorch 机制）", "sphinx_kb/data/tags.yaml",
                     "make livehtml，打开 http://127.0.0.1:8000/python/gil.html",
                     ".venv/bin/python tests/article_code.py python/gil.md",
                     "node_modules/.bin/markdownlint-cli2 python/gil.md", "sphinx_kb.copywriting python/gil.md",
                     "tests/search_queries.tsv", "real<TAB>", "<TAB>python/gil", "make test"):
        assert expected in steps, expected


def test_the_templates_placeholder_prose_uses_full_width_punctuation():
    from sphinx_kb.new_article import TEMPLATE

    prose = re.sub(r"```.*?```", "", TEMPLATE.split("\n---\n", 1)[1], flags=re.S)  # no front matter, no code
    prose = re.sub(r"`[^`]*`|\$[^$]*\$|\[[^\]]*\]\([^)]*\)|\([a-z{}-]+\)=", "", prose)  # inline code, math, links, labels
    half = re.findall(r"[\u4e00-\u9fff「」][,:;()?!]|[,:;()?!][\u4e00-\u9fff「」]", prose)
    assert half == [], half
    assert "，" in prose and "：" in prose and "（" in prose and "）" in prose
    comments = [line for line in TEMPLATE.split("\n---\n", 1)[0].splitlines() if line.startswith("#")]
    assert comments and not any(re.search(r"[\u4e00-\u9fff][,:;()]", c) for c in comments)
