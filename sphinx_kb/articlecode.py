"""Which code blocks of an article run, and what each must print: one definition, read by the
test suite (``tests/article_code.py`` runs them) and by the build (``notebooks`` writes them
as a notebook).

* a ``python`` fence (or a ``{code-block} python`` directive) is executed;
* an ``output`` fence right after it is what that block must print;
* a ``pycon`` fence is a ``>>>`` session checked with :mod:`doctest`;
* a ``{no-run}`` directive is shown to readers with its reason and is only counted.
"""

from __future__ import annotations

import dataclasses
import re

from markdown_it import MarkdownIt
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

RUN_LANGS = {"python", "py", "python3"}
SESSION_LANGS = {"pycon"}
CODE_DIRECTIVES = {"code-block", "code", "sourcecode"}


@dataclasses.dataclass
class Block:
    kind: str  # "run" | "session" | "no-run"
    line: int  # 1-based line of the first code line in the Markdown file
    code: str
    expected: str | None = None  # the ``output`` fence that follows a "run" block
    expected_line: int | None = None
    reason: str = ""


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").use(front_matter_plugin).use(colon_fence_plugin)


_OPTION_LINE = re.compile(r"^:([\w-]+):\s*(.*)$")


def _split_directive_body(content: str) -> tuple[dict[str, str], str, int]:
    """Split MyST directive content into its ``:key: value`` options and the body."""
    lines = content.splitlines(keepends=True)
    options: dict[str, str] = {}
    i = 0
    while i < len(lines) and (m := _OPTION_LINE.match(lines[i].rstrip("\n"))):
        options[m.group(1)] = m.group(2).strip()
        i += 1
    if options and i < len(lines) and not lines[i].strip():
        i += 1
    return options, "".join(lines[i:]), i


def collect_blocks(text: str, line_offset: int = 0) -> list[Block]:
    """Collect the code blocks of a Markdown text, nested directives included."""
    blocks: list[Block] = []
    previous_fence: Block | None = None
    for token in _parser().parse(text):
        if token.type not in ("fence", "colon_fence") or token.map is None:
            if token.level == 0:  # any other block between a code block and its output
                previous_fence = None
            continue
        body_line = line_offset + token.map[0] + 1  # 0-based line of the first content line
        info = token.info.strip()
        name, _, arg = info.partition(" ")
        if name.startswith("{") and name.endswith("}"):
            directive = name[1:-1]
            options, body, skipped = _split_directive_body(token.content)
            if directive == "no-run":
                blocks.append(Block("no-run", body_line + skipped + 1, body, reason=options.get("reason", "")))
                previous_fence = None
            elif directive in CODE_DIRECTIVES and arg.strip() in RUN_LANGS:
                previous_fence = Block("run", body_line + skipped + 1, body)
                blocks.append(previous_fence)
            elif directive in CODE_DIRECTIVES and arg.strip() in SESSION_LANGS:
                blocks.append(Block("session", body_line + skipped + 1, body))
                previous_fence = None
            else:
                # admonitions, tabs, ...: their body may hold fences of its own
                blocks.extend(collect_blocks(body, body_line + skipped))
                previous_fence = None
            continue
        if name in RUN_LANGS:
            previous_fence = Block("run", body_line + 1, token.content)
            blocks.append(previous_fence)
        elif name in SESSION_LANGS:
            blocks.append(Block("session", body_line + 1, token.content))
            previous_fence = None
        elif name == "output":
            if previous_fence is None or previous_fence.expected is not None:
                raise ValueError(
                    f"line {body_line}: an ``output`` block must directly follow the ``python`` "
                    "block whose output it shows"
                )
            previous_fence.expected = token.content
            previous_fence.expected_line = body_line
            previous_fence = None
        else:
            previous_fence = None
    return blocks


# The script that runs in the child interpreter: it gets the blocks as JSON on argv.
