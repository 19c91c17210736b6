"""Nothing a contributor writes is lost, and no mistake passes silently or takes the build down.

Every mistake below goes into one copy of the fixture site (a page or a file each), built
once as `make html` builds it. Each must fail the build with its exact message at its file
and line, or be published correctly; the build itself must finish, and every article that
can be built is still published. The warm-build tests build, change the site and build again.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest

from conftest import BUILD_ROOT, FIXTURE_SITE, build_site, site_pages

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")

FRONT = "---\ndate: {date}\ncategory: Python\n{extra}---\n\n# {title}\n\n"


@dataclasses.dataclass
class Mistake:
    name: str
    path: str
    text: str | bytes
    line: int | None  # the mistake's line in the file; None: published correctly, no message
    message: str
    published: str | None = None  # the page that must still be in the output


def _article(title: str, body: str = "正文。\n", date: str = "2026-03-01", extra: str = "") -> str:
    return FRONT.format(date=date, extra=extra, title=title) + body


def _mistakes() -> list[Mistake]:
    m = Mistake
    return [
        m("unclosed HTML comment", "python/comment.md", _article("注释没闭合", "开头。\n\n<!-- 草稿\n\n## 参考资料\n"), 10,
          "the HTML comment opened here with <!-- is never closed, so it hides the rest of the page: add --> where "
          "the comment ends", "python/comment.html"),
        m("upper-case suffix", "python/Upper.MD", _article("后缀大写"), 1,
          "only files ending in .md are built, so this one would not be published: rename it to python/upper.md"),
        m(".markdown suffix", "python/notes.markdown", _article("后缀不对"), 1,
          "only files ending in .md are built, so this one would not be published: rename it to python/notes.md"),
        m("hidden draft", "python/.draft.md", _article("草稿"), 1,
          "hidden files are not published, and this one is in a content folder: rename it to draft.md to publish "
          "it, or keep drafts out of the repository"),
        m("space in the file name", "python/my article.md", _article("文件名有空格"), 1,
          "file names are lower-case ASCII letters, digits and '-' (they become URLs): rename it to "
          "python/my-article.md", "python/my%20article.html"),
        m("Chinese file name", "python/注意力.md", _article("中文文件名"), 1,
          "rename it to python/an-english-name.md"),
        m("# in the file name", "python/a#b.md", _article("井号"), 1, "rename it to python/a-b.md"),
        m("? in the file name", "python/q?x.md", _article("问号"), 1, "rename it to python/q-x.md"),
        m("empty title", "python/empty-title.md", _article("", "正文。\n").replace("# \n", "#\n"), 6,
          "the title after '#' is empty: write the article's title there", "python/empty-title.html"),
        m("two titles", "python/two-titles.md", _article("第一个标题", "正文。\n\n# 第二个标题\n\n更多正文。\n"), 10,
          "a second '#' title: an article has exactly one; make this heading a '##' section of the article",
          "python/two-titles.html"),
        m("future date", "python/future.md", _article("未来的文章", date="2099-01-01"), 2,
          "date 2099-01-01 is in the future", "python/future.html"),
        m("update before publication", "python/early-update.md",
          _article("修订早于发布", extra="updates:\n  - {date: 2025-01-01, note: 补充}\n"), 5,
          "update date 2025-01-01 is before the article's date 2026-03-01: an update comes after publication",
          "python/early-update.html"),
        m("update note that is a list", "python/list-note.md",
          _article("修订说明是列表", extra="updates:\n  - {date: 2026-03-02, note: [显存, ZeRO]}\n"), 5,
          "an 'updates' note must be one line of text", "python/list-note.html"),
        m("new tag in another case", "python/tag-lower.md", _article("小写标签", extra="tags: [triton]\n"), 4,
          "the tag 'triton' is written 'Triton' in python/tag-upper: write it the same way"),
        m("known tag with a space", "python/tag-spaced.md",
          _article("多了空格的标签", extra="tags:\n  - PyTorch\n  - Pixel Shuffle\n"), 6,
          "the tag 'Pixel Shuffle' is written 'PixelShuffle' in the tag vocabulary (sphinx_kb/data/tags.yaml): "
          "write 'PixelShuffle'"),
        m("known tag in lower case", "python/tag-case.md", _article("小写的已知标签", extra="tags: [allreduce]\n"), 4,
          "the tag 'allreduce' is written 'AllReduce' in the tag vocabulary"),
        m("known tag with a hyphen", "python/tag-hyphen.md", _article("连字符标签", extra="tags: [kv-cache]\n"), 4,
          "the tag 'kv-cache' is written 'KV Cache' in the tag vocabulary"),
        m("known tag in full-width letters", "python/tag-width.md",
          _article("全角标签", extra="tags: [ＤＤＰ]\n"), 4, "the tag 'ＤＤＰ' is written 'DDP' in the tag vocabulary"),
        m("alias of a known tag", "python/tag-alias.md", _article("别名标签", extra="tags: [激活重计算]\n"), 4,
          "the tag '激活重计算' is merged into '梯度检查点' in the tag vocabulary (sphinx_kb/data/tags.yaml, alias "
          "'激活重计算'): write '梯度检查点'"),
        m("brand-new tag", "python/tag-new.md", _article("全新标签", extra="tags: [全新的标签, LayerNorm]\n"), None, "",
          "python/tag-new.html"),
        m("binary file", "python/blob.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", 1,
          "this is a binary file, not Markdown text: replace it with the article's text, saved as UTF-8"),
        m("not UTF-8", "python/latin.md", _article("编码").encode("utf-8") + "caf\xe9\n".encode("latin-1"), 9,
          "the file is not valid UTF-8"),
        m("byte-order mark", "python/bom.md", "\ufeff" + _article("带字节序标记的文章"), None, "",
          "python/bom.html"),
        m("link to a moved article", "python/moved-link.md", _article("链接旧位置", "见 {doc}`/python/memory`。\n"), 8,
          "unknown document '/python/memory'", "python/moved-link.html"),
        m("missing literalinclude", "python/missing-include.md",
          _article("包含不存在的文件", "```{literalinclude} missing.py\n```\n"), 8, "missing.py",
          "python/missing-include.html"),
        m("fence in a blockquote", "python/quote-fence.md",
          _article("引用里的代码", "> 引用：\n>\n> ```text\n> x = 1\n> ```\n\n后文。\n"), None, "",
          "python/quote-fence.html"),
        m("Mermaid syntax error", "python/bad-diagram.md",
          _article("坏图", "```{mermaid}\nflowchart LR\n  A[开始 --> B\n```\n"), 10,
          "Mermaid syntax error: ...art LR  A[开始 --> B", "python/bad-diagram.html"),
        m("Mermaid error inside a note", "python/bad-nested-diagram.md",
          _article("嵌套的坏图", ":::{note}\n提示\n\n```{mermaid}\nflowchart LR\n  A --> B(\n```\n:::\n"), 13,
          "Mermaid syntax error: ", "python/bad-nested-diagram.html"),
        m("misspelt TeX command", "python/bad-tex.md", _article("拼错的命令", "见 $\\sqrtt{2}$。\n"), 8,
          "Undefined control sequence \\sqrtt: check the spelling of \\sqrtt", "python/bad-tex.html"),
    ]


MISTAKES = _mistakes()


def _site(root: Path) -> Path:
    src = root / "site"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(FIXTURE_SITE, src)
    for mistake in MISTAKES:
        data = mistake.text.encode("utf-8") if isinstance(mistake.text, str) else mistake.text
        (src / mistake.path).write_bytes(data)
    (src / "python" / "tag-upper.md").write_text(_article("大写标签", date="2026-02-01", extra="tags: [Triton]\n"),
                                                 encoding="utf-8")
    # two folder links that point back at their folder: page discovery must not loop
    (src / "python" / "loop").symlink_to(".")
    (src / "python" / "loop2").symlink_to(".")
    return src


@pytest.fixture(scope="module")
def mistakes_build():
    root = BUILD_ROOT / "mistakes"
    src = _site(root)
    return src, build_site(src, root / "out")


@pytest.mark.parametrize("index", range(len(MISTAKES)), ids=[m.name for m in MISTAKES])
def test_mistake_is_reported_or_published_correctly(mistakes_build, index):
    src, site = mistakes_build
    mistake = MISTAKES[index]
    mine = [w for w in site.warnings if f"/site/{mistake.path}:" in w]
    if mistake.line is None:
        assert not mine, f"{mistake.name}: a correct input was refused:\n" + "\n".join(mine)
    else:
        where = f"/site/{mistake.path}:{mistake.line}:"
        assert any(where in w and mistake.message in w for w in mine), \
            f"{mistake.name}: expected '{where} ... {mistake.message}' in\n" + "\n".join(site.warnings)
    if mistake.published:
        assert (site.outdir / unquote(mistake.published)).exists(), f"{mistake.name}: the article was lost"


def test_the_build_finishes_without_a_traceback(mistakes_build):
    src, site = mistakes_build
    assert site.returncode == 1, site.log[-3000:]
    assert "Traceback" not in site.log and "Exception occurred" not in site.log, site.log[-3000:]
    assert not (site.outdir / "python" / ".draft.html").exists()


def test_symlinked_folders_are_refused_not_followed(mistakes_build):
    src, site = mistakes_build
    for name in ("loop", "loop2"):
        assert any(f"/site/python/{name}:1:" in w and "a folder that is a symbolic link cannot be part of the site"
                   in w for w in site.warnings), "\n".join(site.warnings)
    assert not (site.outdir / "python" / "loop").exists()


def test_duplicate_tag_spelling_blames_the_newer_article(mistakes_build):
    src, site = mistakes_build
    assert not [w for w in site.warnings if "/site/python/tag-upper.md" in w]


def test_a_new_tag_passes_with_a_note_to_add_it_to_the_vocabulary(mistakes_build):
    src, site = mistakes_build
    notes = [line for line in site.log.splitlines() if "/site/python/tag-new.md:4:" in line]
    assert any("note: the tag '全新的标签' is new (not in sphinx_kb/data/tags.yaml); the build accepts it" in n
               for n in notes), site.log[-3000:]
    assert not any("'LayerNorm'" in n for n in notes)  # in the vocabulary: nothing to say
    assert "全新的标签" in (site.outdir / "tags" / "index.html").read_text(encoding="utf-8")


def test_odd_file_names_still_give_a_complete_valid_sitemap_and_feed(mistakes_build):
    """Names with spaces, Chinese, '#' or '?' fail the build, but what it writes stays correct:
    every sitemap URL percent-encoded and a built page, every feed link a built page."""
    src, site = mistakes_build
    _check_outputs(site.outdir)
    assert any("my%20article.html" in url for url in _sitemap(site.outdir))


# --- warm builds -----------------------------------------------------------------------------

def _pages(outdir: Path) -> set[str]:
    return {p.relative_to(outdir).as_posix() for p in site_pages(outdir)
            if p.name not in ("search.html", "genindex.html", "404.html")}


def _sitemap(outdir: Path) -> list[str]:
    root = ElementTree.parse(outdir / "sitemap.xml").getroot()
    return [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]


def _local(url: str) -> str:
    return unquote(urlsplit(url).path.split("/zh-cn/latest/", 1)[1])


def _check_outputs(outdir: Path) -> None:
    """The sitemap lists every page, and every URL in it and in the feed is a built page; the
    feed is strict XML."""
    pages = _pages(outdir)
    sitemap = _sitemap(outdir)
    assert all(" " not in url for url in sitemap), sitemap
    assert {_local(u) for u in sitemap} == pages - {p for p in pages if _is_redirect(outdir / p)}
    feed = ElementTree.parse(outdir / "atom.xml").getroot()  # strict: raises on ill-formed XML
    links = [link.get("href") for link in feed.iter("{http://www.w3.org/2005/Atom}link")
             if link.get("rel") == "alternate"]
    assert links and all((outdir / _local(link)).exists() for link in links), links


def _is_redirect(path: Path) -> bool:
    return 'http-equiv="refresh"' in path.read_text(encoding="utf-8")


def _copy(tmp_path: Path) -> Path:
    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    return src


def test_a_warm_build_keeps_sitemap_and_feed_complete(tmp_path):
    src = _copy(tmp_path)
    out = tmp_path / "out"
    assert build_site(src, out).returncode == 0
    before = _sitemap(out)
    page = src / "large-model" / "memory.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    site = build_site(src, out, clean=False)
    assert site.returncode == 0, site.log[-2000:]
    assert sorted(_sitemap(out)) == sorted(before)
    _check_outputs(out)


def test_a_deleted_article_leaves_the_output_and_every_sidebar(tmp_path):
    src = _copy(tmp_path)
    out = tmp_path / "out"
    assert build_site(src, out).returncode == 0
    assert "shared-weights.html" in (out / "large-model" / "memory.html").read_text(encoding="utf-8")
    (src / "python" / "shared-weights.md").unlink()
    site = build_site(src, out, clean=False)
    assert site.returncode == 0, site.log[-2000:]
    assert not (out / "python" / "shared-weights.html").exists()
    assert not (out / "_search" / "python" / "shared-weights.html").exists()
    linking = [p for p in site_pages(out) if "shared-weights" in p.read_text(encoding="utf-8")]
    assert not linking, f"pages still link the deleted article: {linking}"
    _check_outputs(out)


def _git(src: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(src), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin"})


def test_a_moved_article_needs_a_redirect_and_then_keeps_its_url(tmp_path):
    src = _copy(tmp_path)
    out = tmp_path / "out"
    _git(src, "init", "-q")
    _git(src, "add", "-A")
    _git(src, "commit", "-qm", "site")
    assert build_site(src, out, "-D", "suppress_warnings=").returncode == 0
    _git(src, "mv", "python/shared-weights.md", "python/weight-sharing.md")
    site = build_site(src, out, clean=False)
    assert site.returncode != 0
    assert any("/site/python/weight-sharing.md:1:" in w and "python/shared-weights.md was published and is gone"
               in w and "Add the line 'python/shared-weights: python/weight-sharing' to redirects.yaml" in w
               for w in site.warnings), "\n".join(site.warnings)
    (src / "redirects.yaml").write_text("python/shared-weights: python/weight-sharing\n", encoding="utf-8")
    site = build_site(src, out, clean=False)
    assert site.returncode == 0, site.log[-2000:]
    old = (out / "python" / "shared-weights.html").read_text(encoding="utf-8")
    assert re.search(r'http-equiv="refresh" content="0; url=(\.\./python/|\./)?weight-sharing\.html"', old), old
    assert (out / "python" / "weight-sharing.html").exists()
    _check_outputs(out)


def test_a_redirect_to_a_page_that_does_not_exist_fails(tmp_path):
    src = _copy(tmp_path)
    (src / "redirects.yaml").write_text("python/old: python/nowhere\n", encoding="utf-8")
    site = build_site(src, tmp_path / "out")
    assert any("redirects.yaml:1:" in w and "redirect 'python/old' points to 'python/nowhere', which is not a page"
               in w for w in site.warnings), "\n".join(site.warnings)
