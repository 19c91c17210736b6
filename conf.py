"""Sphinx configuration of 深度学习知识库.

Settings that every site built with our extension needs (search, self-hosted assets, the
article conventions) live in the ``sphinx_kb`` package; this file keeps what is specific to
this site. Paths are absolute so that the test fixture site can reuse this file.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # our extension package, sphinx_kb

project = "深度学习知识库"
author = "深度学习知识库贡献者"
copyright = "2026, 深度学习知识库贡献者"
language = "zh_CN"
version = release = "latest"  # the site tracks main; no numbered releases

# The site's public address: feed links, sitemap, social cards, the 404 page's links and
# canonical URLs are all built from it.
html_baseurl = "https://dl-knowledge-base.readthedocs.io/zh-cn/latest/"

# Where the sources live, for "编辑此页" / "查看源文件" links. On Read the Docs the clone URL and
# branch are taken from the build environment, so a fork's site points at the fork.
REPOSITORY_URL = os.environ.get("READTHEDOCS_GIT_CLONE_URL", "https://github.com/dl-knowledge-base/dl-knowledge-base")
REPOSITORY_URL = REPOSITORY_URL.removesuffix(".git").replace("git@github.com:", "https://github.com/")
REPOSITORY_BRANCH = os.environ.get("READTHEDOCS_GIT_IDENTIFIER", "main")
kb_repository_url = REPOSITORY_URL  # commit links in 更新历史, the 报告勘误 issue link

extensions = [
    "myst_parser",
    "sphinx_copybutton",
    "sphinxcontrib.mermaid",
    "sphinx_sitemap",
    "sphinxext.opengraph",
    "notfound.extension",
    "sphinx_last_updated_by_git",
    "sphinx_kb",
]

# Only the home page and the category folders are pages; everything else in the
# repository (README, tests, node_modules, ...) stays out of the build.
include_patterns = ["index.md", "glossary.md", "python/**", "large-model/**", "computer-vision/**"]
# Folders that hold no pages are also excluded, so Sphinx does not walk their thousands of
# files when it looks for pages (node_modules alone made that about 3 s of every build).
exclude_patterns = ["_build", "node_modules", ".venv", ".git", "tests", "benchmarks", "**/.ipynb_checkpoints"]
source_suffix = {".md": "markdown"}
root_doc = "index"

myst_enable_extensions = [
    "amsmath",
    "colon_fence",
    "deflist",
    "dollarmath",
    "fieldlist",
    "tasklist",
]
# No "substitution": it runs Jinja2 over article text at build time, and a page could reach
# Python from a template ({{ lipsum.__globals__.os.popen(...) }}). No article needs it.
myst_heading_anchors = 3
myst_dmath_double_inline = True
myst_update_mathjax = False  # math is rendered at build time: no MathJax in the browser to configure

html_theme = "furo"
html_title = "深度学习知识库"
html_static_path = [str(ROOT / "_static")]
templates_path = [str(ROOT / "_templates")]
html_favicon = str(ROOT / "_static" / "favicon.svg")
html_css_files = ["kb.css"]
html_copy_source = False
html_show_sourcelink = False
html_show_sphinx = False  # the footer says 主题：Furo, in Chinese, not "Made with Sphinx and @pradyunsg's Furo"
html_theme_options = {
    "navigation_with_keys": True,
    "source_repository": REPOSITORY_URL + "/",
    "source_branch": REPOSITORY_BRANCH,
    "source_directory": "",
    "source_edit_link": REPOSITORY_URL + "/edit/" + REPOSITORY_BRANCH + "/{filename}",
    "source_view_link": REPOSITORY_URL + "/blob/" + REPOSITORY_BRANCH + "/{filename}",
}
# "最后更新" on every page, from the last commit that touched its source.
html_last_updated_fmt = "%Y-%m-%d"
git_last_updated_timezone = "Asia/Shanghai"
locale_dirs = [str(ROOT / "locale")]

# Copy buttons leave out prompts and output, so ">>> " sessions paste as code.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_exclude = ".linenos, .gp, .go"

# Build-time plots: no source link, one PNG format, deterministic file names.
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
# Chinese labels work: Noto Sans CJK SC (pinned mplfonts package) backs DejaVu Sans glyph by glyph.
# The fallback must be named in font.family: a generic family ("sans-serif") resolves to one font
# only. Mathtext ($...$) never falls back, so a label that holds math is written without Chinese.
plot_rcparams = {"figure.figsize": (6.4, 3.6), "svg.hashsalt": "kb", "savefig.bbox": "tight",
                 "font.family": ["DejaVu Sans", "Noto Sans CJK SC"],
                 "font.sans-serif": ["DejaVu Sans", "Noto Sans CJK SC"]}

# Diagrams are drawn at build time (sphinx_kb.diagram_render); where no browser is available they
# are drawn in the reader's browser, at the height they need instead of a fixed 500 px.
mermaid_height = "auto"
mermaid_fullscreen = False

# jieba learns our domain terms (梯度检查点, 自注意力, ...) so they are indexed whole.
html_search_options = {"dict": str(ROOT / "sphinx_kb" / "data" / "jieba_userdict.txt")}

# Sitemap for search engines: pages only, not search or the general index.
sitemap_url_scheme = "{link}"
sitemap_excludes = ["search.html", "genindex.html", "404.html"]

# Open Graph: a plain-text Chinese description per page (our extension supplies the article's
# opening without math or code); image cards are off, as the build machine may lack a CJK font.
ogp_site_url = html_baseurl
ogp_site_name = project
ogp_enable_meta_description = True
ogp_description_length = 160
ogp_social_cards = {"enable": False}
ogp_type = "article"

# The 404 page keeps the site's look at any URL depth: its links are absolute, under the
# path of html_baseurl (/zh-cn/latest/ on Read the Docs).
notfound_urls_prefix = "/" + html_baseurl.split("://", 1)[1].split("/", 1)[1]
notfound_context = {
    "title": "页面不存在",
    "body": "<h1>页面不存在</h1><p>你要找的页面不存在，可能已经改名或移动。可以回到<a href=\"{root}\">首页</a>，"
            "或者用左侧的搜索框查找。</p>".replace("{root}", notfound_urls_prefix),
}

# Offline reading: `make epub` packs every article into one EPUB (also built on Read the Docs).
epub_basename = "dl-knowledge-base"
epub_title = project
epub_author = author
epub_publisher = author
epub_language = "zh-CN"
epub_show_urls = "no"
epub_use_index = False

nitpicky = True
