"""Chinese typesetting at build time: a line break in the source between two Chinese
characters is not a space.

Markdown joins the lines of a paragraph with a newline, which browsers show as a space: right
between Latin words, wrong between Chinese characters (「显存\n占用」 reads 「显存 占用」). The
newline is dropped where both neighbours are CJK characters or full-width punctuation; code,
math and raw blocks keep their text. Full-width punctuation itself is the linter's job
(``sphinx_kb.punctuation``, ``make lint``).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

from .punctuation import CJK

_SOFT_BREAK = re.compile(f"(?<=[{CJK}])[ \\t]*\\n[ \\t]*(?=[{CJK}])")
_KEEP = (nodes.FixedTextElement, nodes.literal, nodes.math, nodes.raw, nodes.comment)


class JoinChineseLines(SphinxTransform):
    default_priority = 700

    def apply(self, **kwargs) -> None:
        for text in list(self.document.findall(nodes.Text)):
            if "\n" not in text or isinstance(text.parent, _KEEP):
                continue
            joined = _SOFT_BREAK.sub("", str(text))
            if joined != str(text):
                text.parent.replace(text, nodes.Text(joined))


def setup(app: Sphinx) -> None:
    app.add_transform(JoinChineseLines)
