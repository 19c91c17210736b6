"""Code blocks: the ``{no-run}`` directive, and the size of every block written into the page.

``{no-run}``: every other Python block of an article is executed by
``tests/test_article_code.py``; a block that cannot run on a CPU-only test machine (several
GPUs, a hub download, a package we do not install) must say why, and the reader sees that
reason as the block's caption.

Sizes: a long article has hundreds of highlighted lines, thousands of elements the browser
styles and lays out before the first paint. ``kb.css`` lets it skip the blocks that are off
screen (``content-visibility: auto``), which is only safe if a skipped block takes exactly the
room it will take when drawn: otherwise a jump to a section lands off its heading and the
page grows while it is read. So each ``<pre>`` carries its number of lines and the columns of
its widest line (``--kb-lines``, ``--kb-cols``, ``--kb-wide``), and the highlighted text is
wrapped in ``<code>``, the element that is skipped; the ``<pre>`` around it keeps its padding
and its scrollbar, which appears whenever the widest line is wider than the column.
"""

from __future__ import annotations

import unicodedata

from docutils.parsers.rst import directives
from pygments.formatters import HtmlFormatter
from sphinx.application import Sphinx
from sphinx.directives.code import CodeBlock
from sphinx.util import logging

logger = logging.getLogger(__name__)


class NoRunCodeBlock(CodeBlock):
    """A code block with a mandatory ``:reason:`` why it is not executed."""

    option_spec = {**CodeBlock.option_spec, "reason": directives.unchanged_required}

    def run(self):
        reason = self.options.pop("reason", "").strip()
        if not reason:
            raise self.error(
                "{no-run} needs a :reason: option saying why this code cannot run in the tests, "
                "e.g. ':reason: 需要多张 GPU'"
            )
        self.options["caption"] = f"不在测试中运行：{reason}"
        self.options.setdefault("class", []).append("kb-no-run")
        return super().run()


TAB_SIZE = 8  # the browser's default tab-size, which pre keeps
WIDE_IN_CH = 1.67  # 1 em in ch in the monospace fonts we name (about 0.6 em per ch)


def text_size(text: str) -> tuple[int, int, int]:
    """Lines, and the narrow and wide (CJK, 1 em) characters of the widest line, as drawn in a
    monospace font: narrow characters are 1 ch, wide ones 1 em, non-spacing marks and format
    characters (zero-width space) nothing."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line opens no new one
    widest = (0, 0)
    for line in lines:
        narrow = wide = 0
        for char in line:
            if char == "\t":  # to the next tab stop, every TAB_SIZE ch
                narrow += TAB_SIZE - round(narrow + WIDE_IN_CH * wide) % TAB_SIZE
            elif unicodedata.category(char) in ("Mn", "Me", "Cf"):
                continue
            elif unicodedata.east_asian_width(char) in ("W", "F"):
                wide += 1
            else:
                narrow += 1
        if narrow + WIDE_IN_CH * wide > widest[0] + WIDE_IN_CH * widest[1]:
            widest = (narrow, wide)  # the page gets both counts: CSS adds 1 ch and 1 em
    return len(lines), *widest


class SizedHtmlFormatter(HtmlFormatter):
    """Pygments' HTML formatter, with the block's size on its ``<pre>`` and the text in ``<code>``."""

    def __init__(self, **options):
        options.setdefault("wrapcode", True)
        super().__init__(**options)

    def format_unencoded(self, tokensource, outfile):
        tokens = list(tokensource)
        lines, narrow, wide = text_size("".join(value for _, value in tokens))
        size = f"--kb-lines: {lines}; --kb-cols: {narrow}; --kb-wide: {wide}"
        self.prestyles = f"{self.prestyles}; {size}" if self.prestyles else size
        super().format_unencoded(tokens, outfile)


def _size_code_blocks(app: Sphinx) -> None:
    highlighter = getattr(app.builder, "highlighter", None)
    if highlighter is not None and highlighter.dest == "html":
        highlighter.formatter = SizedHtmlFormatter


def setup(app: Sphinx) -> None:
    app.add_directive("no-run", NoRunCodeBlock)
    app.connect("builder-inited", _size_code_blocks)
