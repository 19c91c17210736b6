"""Sphinx configuration of 深度学习知识库.

Settings that every site built with our extension needs (search, self-hosted assets, the
article conventions) live in the ``sphinx_kb`` package; this file keeps what is specific to
this site. Paths are absolute so that the test fixture site can reuse this file.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # our extension package, sphinx_kb

project = "深度学习知识库"
author = "深度学习知识库贡献者"
copyright = "2026, 深度学习知识库贡献者"
language = "zh_CN"

# The site's public address: feed links, sitemap and canonical URLs are built from it.
html_baseurl = "https://dl-knowledge-base.readthedocs.io/zh-cn/latest/"

extensions = [
    "myst_parser",
    "sphinx_copybutton",
    "sphinxcontrib.mermaid",
    "sphinx.ext.mathjax",
    "sphinx_kb",
]

# Only the home page and the category folders are pages; everything else in the
# repository (README, tests, node_modules, ...) stays out of the build.
include_patterns = ["index.md", "python/**", "large-model/**", "computer-vision/**"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
source_suffix = {".md": "markdown"}
root_doc = "index"

myst_enable_extensions = [
    "amsmath",
    "colon_fence",
    "deflist",
    "dollarmath",
    "fieldlist",
    "substitution",
    "tasklist",
]
myst_heading_anchors = 3
myst_dmath_double_inline = True

html_theme = "furo"
html_title = "深度学习知识库"
html_static_path = [str(ROOT / "_static")]
templates_path = [str(ROOT / "_templates")]
html_favicon = str(ROOT / "_static" / "favicon.svg")
html_css_files = ["kb.css"]
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": True,
}
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
plot_rcparams = {"figure.figsize": (6.4, 3.6), "svg.hashsalt": "kb", "savefig.bbox": "tight"}

# Diagrams take the height they need instead of a fixed 500 px.
mermaid_height = "auto"
mermaid_fullscreen = False

# jieba learns our domain terms (梯度检查点, 自注意力, ...) so they are indexed whole.
html_search_options = {"dict": str(ROOT / "sphinx_kb" / "data" / "jieba_userdict.txt")}

nitpicky = True
