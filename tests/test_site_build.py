"""The real site and the fixture site build cleanly, and nothing falls out of a toctree."""

from __future__ import annotations

import pickle
import re
import shutil

import pytest

from conftest import CATEGORIES, FIXTURE_SITE, ROOT, article_files, build_site


def test_real_site_builds_without_warnings(real_site):
    assert real_site.warnings == []


def test_fixture_site_builds_without_warnings(fixture_site):
    assert fixture_site.warnings == []


def _toctree_includes(site) -> dict[str, list[str]]:
    with open(site.outdir / ".doctrees" / "environment.pickle", "rb") as f:
        env = pickle.load(f)
    return env.toctree_includes, set(env.found_docs)


def test_every_article_is_in_its_category_toctree(real_site):
    includes, found = _toctree_includes(real_site)
    articles = article_files()
    assert articles, "the site has no articles"
    for path in articles:
        docname = path.relative_to(ROOT).with_suffix("").as_posix()
        category = path.parent.name
        assert docname in includes.get(f"{category}/index", []), f"{docname} is not in {category}/index's toctree"
    for category in CATEGORIES:
        assert f"{category}/index" in includes["index"]
        for entry in includes.get(f"{category}/index", []):
            assert entry in found, f"{category}/index lists {entry}, which does not exist"


def test_only_pages_are_built(real_site):
    """README, CONTRIBUTING, tests and node_modules are not pages of the site."""
    built = {p.relative_to(real_site.outdir).as_posix() for p in real_site.outdir.rglob("*.html")}
    assert "README.html" not in built and "CONTRIBUTING.html" not in built
    assert not any(name.startswith(("tests/", "node_modules/", "sphinx_kb/")) for name in built)


def test_furo_labels_are_chinese(fixture_site):
    html = fixture_site.html("python/ddp.html")
    assert "下一篇" in html and "上一篇" in html
    assert ">Next<" not in html and ">Previous<" not in html


def test_no_run_block_shows_its_reason(fixture_site):
    html = fixture_site.html("python/shared-weights.html")
    assert "不在测试中运行：需要两张 GPU" in html


def test_no_run_without_reason_fails_the_build(tmp_path):
    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    page = src / "python" / "shared-weights.md"
    page.write_text(page.read_text(encoding="utf-8").replace(":reason: 需要两张 GPU\n", ""), encoding="utf-8")
    site = build_site(src, tmp_path / "out")
    assert site.returncode != 0
    assert any("shared-weights.md" in w and "needs a :reason:" in w for w in site.warnings), site.log[-2000:]


@pytest.mark.parametrize("text, size", [
    ("x = 1\n", (1, 5, 0)),                     # the newline that ends the last line opens none
    ("a\nbb", (2, 2, 0)),                        # a last line without a newline still counts
    ("\n\n", (2, 0, 0)),                        # empty lines take their height
    ("short\n# 注释，较长\n", (2, 2, 5)),          # CJK and full-width punctuation: 1 em each
    ("\tx\n", (1, 9, 0)),                       # a tab reaches the next multiple of 8 columns
    ("ab\tx\n", (1, 9, 0)),
    ("e\u0301\u200b!\n", (1, 2, 0)),            # combining mark and zero-width space: no width
])
def test_code_block_size_counts_lines_and_widest_line(text, size):
    from sphinx_kb.codeblocks import text_size

    assert text_size(text) == size


def test_code_blocks_carry_their_size(fixture_site):
    """Every highlighted block's <pre> states the lines of the text it shows, which kb.css
    turns into the room the block takes while the browser skips it."""
    import html as html_lib

    blocks = re.findall(r'<div class="highlight"><pre style="([^"]*)"><span></span><code>(.*?)</code></pre>',
                        fixture_site.html("python/ddp.html"), re.S)
    assert blocks
    for style, body in blocks:
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", body))
        lines = int(re.search(r"--kb-lines: (\d+)", style).group(1))
        assert lines == text.count("\n") + (not text.endswith("\n")), (style, text)


def test_plot_is_rendered_at_build_time(fixture_site):
    html = fixture_site.html("computer-vision/giou.html")
    assert re.search(r'class="plot-directive only-light"[^>]*src="[^"]*giou-\d+\.png"', html), html[:2000]
    assert re.search(r'class="plot-directive only-dark"[^>]*src="[^"]*giou-\d+-dark\.png"', html)
    images = list((fixture_site.outdir / "_images").glob("giou-*.png"))
    assert images and images[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
