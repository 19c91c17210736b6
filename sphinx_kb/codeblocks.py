"""``{no-run}``: a Python example the test suite does not execute, with the reason shown.

Every other Python block of an article is executed by ``tests/test_article_code.py``; a
block that cannot run on a CPU-only test machine (several GPUs, a hub download, a package
we do not install) must say why, and the reader sees that reason as the block's caption.
"""

from __future__ import annotations

from docutils.parsers.rst import directives
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


def setup(app: Sphinx) -> None:
    app.add_directive("no-run", NoRunCodeBlock)
