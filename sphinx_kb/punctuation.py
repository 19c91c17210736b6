"""Full-width punctuation in Chinese prose, as clreq, OI Wiki and d2l-zh write it.

``fix(text)`` rewrites a Markdown page: in Chinese sentences the half-width ``, : ; ? !``
become ``，：；？！``, brackets around or beside Chinese ``( )`` become ``（ ）`` and quotes
``"…"`` become ``“…”``; spaces next to full-width punctuation go (the glyph has its own). Code
(fenced blocks, inline code, roles), math, URLs, link targets, HTML, directive options and
front matter (except ``summary`` and the ``note`` of ``updates``) are left exactly as they are,
and so is English text: a mark is converted only where Chinese is next to it, or inside a
Chinese sentence where no space follows it. ``make lint`` reports every difference
(``sphinx_kb.copywriting``), ``make lint-fix`` applies them.
"""

from __future__ import annotations

import re

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2018-\u201d\u2026\u2014"
_CJK = re.compile(f"[{CJK}]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MASK = "\ue000"  # stands for a protected span: not Chinese, not a space
FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_FULL_MARKS = "，：；？！（）、。“”"

# Inline spans never touched: code and roles, math, links' targets, autolinks, URLs, HTML, labels.
_PROTECTED = re.compile(
    r"(?P<code>(?:\{[\w:.-]+\})?(?P<ticks>`+).+?(?P=ticks))"
    r"|(?P<math>\$\$.+?\$\$|(?<![\\$])\$(?=\S)(?:\\.|[^$\\])+?(?<=\S)\$)"
    r"|(?P<target>\]\([^)\s]*(?:\s+\"[^\"]*\")?\))"
    r"|(?P<auto><(?:https?|mailto):[^>]+>|https?://[^\s)\]>，。]+)"
    r"|(?P<html></?[A-Za-z][^<>]*>|<!--.*?-->)"
    r"|(?P<anchor>\{#[\w-]+\})"
    r"|(?P<image>!(?=\[))"
)
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})(.*)$")
# Directives whose body is prose (converted); every other fenced block is code, math or a diagram.
PROSE_DIRECTIVES = {"note", "tip", "warning", "important", "caution", "attention", "danger", "error", "hint",
                    "seealso", "admonition", "glossary", "topic", "sidebar", "epigraph", "list-table", "figure",
                    "table", "div", "dropdown", "versionadded", "versionchanged", "deprecated"}


def _is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK.match(ch))


def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest character that is not a space, from index in direction step ('' at an end)."""
    index += step
    while 0 <= index < len(text) and text[index] in " \t":
        index += step
    return text[index] if 0 <= index < len(text) else ""


def _convert_masked(text: str) -> str:
    """Convert punctuation in a line whose protected spans are masked."""
    if not _HAN.search(text):
        return text
    chars = list(text)
    # brackets: a pair is Chinese if it holds Chinese or touches it
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    for i, ch in enumerate(chars):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs.append((stack.pop(), i))
    for start, end in pairs:
        inside = text[start + 1:end]
        before = text[start - 1] if start > 0 else ""
        after = text[end + 1] if end + 1 < len(text) else ""
        if re.match(r"[A-Za-z0-9/^*+=_.\-]", after) and not _HAN.search(inside):
            continue  # part of an expression: (H-1)/H, (a+b)^2
        if _HAN.search(inside) or _is_cjk(before) or _is_cjk(after) \
                or (_is_cjk(_neighbour(text, start, -1)) and not inside.strip().isidentifier()):
            chars[start], chars[end] = "（", "）"
    # quotes: pairs of straight double quotes in order
    quotes = [i for i, ch in enumerate(chars) if ch == '"']
    for a, b in zip(quotes[::2], quotes[1::2]):
        inside = text[a + 1:b]
        if _HAN.search(inside) or _is_cjk(_neighbour(text, a, -1)) or _is_cjk(_neighbour(text, b, 1)):
            chars[a], chars[b] = "“", "”"
    for i, ch in enumerate(text):
        if ch not in FULL:
            continue
        left, right = _neighbour(text, i, -1), _neighbour(text, i, 1)
        next_char = text[i + 1] if i + 1 < len(text) else ""
        prev_char = text[i - 1] if i > 0 else ""
        if ch == "," and prev_char.isdigit() and re.match(r"\d{3}(?!\d)", text[i + 1:i + 5]):
            continue  # 1,000
        if ch == ":" and (next_char.isdigit() and prev_char.isascii() and prev_char.isalnum()
                          or next_char == ":" or prev_char == ":"):
            continue  # 8:8, arXiv:1702.08502, std::
        if ch == ":" and re.search(r"(?i)\b(?:arxiv|doi|isbn|issn|pmid)$", text[:i]):
            continue  # an identifier's prefix: arXiv:XXXX.XXXXX
        if ch in "?!" and next_char in "=" :
            continue
        if _is_cjk(left) or _is_cjk(right) or right == "" or next_char not in " \t":
            chars[i] = FULL[ch]
    result = "".join(chars)
    # no space beside full-width punctuation (between two non-space characters only)
    result = re.sub(f"(?<=[^\\s|]) +(?=[{_FULL_MARKS}])", "", result)
    result = re.sub(f"(?<=[{_FULL_MARKS}]) +(?=[^\\s|])", "", result)
    return result


def fix_line(line: str) -> str:
    """One line of prose with its protected spans kept."""
    spans: list[str] = []

    def keep(match: re.Match) -> str:
        spans.append(match.group(0))
        return _MASK
    masked = _PROTECTED.sub(keep, line)
    converted = _convert_masked(masked)
    if converted == masked:
        return line
    pieces = iter(spans)
    return re.sub(_MASK, lambda _m: next(pieces), converted)


def _fix_yaml_value(line: str) -> str:
    match = re.match(r"^(\s*summary:\s*)(.*)$", line)
    if match:
        return match.group(1) + fix_line(match.group(2))
    match = re.match(r"^(\s*-\s*\{.*?\bnote:\s*)(.*?)(\}\s*)$", line)
    if match:
        return match.group(1) + fix_line(match.group(2)) + match.group(3)
    return line


def fix(text: str) -> str:
    """The page with full-width punctuation in its Chinese prose (converting a mark can make
    its neighbour Chinese-adjacent, so this repeats until nothing changes)."""
    for _ in range(5):
        fixed = _fix_once(text)
        if fixed == text:
            break
        text = fixed
    return text


def _fix_once(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    front = lines[:1] == ["---"]
    fences: list[tuple[str, bool]] = []  # (closing marker, is prose)
    for index, line in enumerate(lines):
        if front:
            if index > 0 and line.strip() == "---":
                front = False
            out.append(_fix_yaml_value(line) if index > 0 else line)
            continue
        fence = _FENCE.match(line)
        if fence:
            marker, info = fence.group(2), fence.group(3).strip()
            if fences and marker[0] == fences[-1][0][0] and len(marker) >= len(fences[-1][0]) and not info:
                fences.pop()
                out.append(line)
                continue
            if not fences or fences[-1][1]:
                name = re.match(r"\{([\w-]+)\}", info)
                fences.append((marker, bool(name) and name.group(1) in PROSE_DIRECTIVES))
                out.append(line)
                continue
        if fences and not fences[-1][1]:
            # a code block's caption or no-run reason is shown as prose
            option = re.match(r"^(\s*:(?:caption|reason|alt):\s*)(.*)$", line)
            out.append(option.group(1) + fix_line(option.group(2)) if option else line)
            continue
        stripped = line.strip()
        if (fences and re.match(r"^:[\w-]+:", stripped)) or re.match(r"^\(.+\)=$", stripped) \
                or re.match(r"^\[[^\]]+\]:\s", stripped) or stripped.startswith(("<!--", "%")) \
                or re.match(r"^\|?[\s:|-]+\|[\s:|-]*$", stripped):
            out.append(line)  # options, targets, link definitions, comments, table rules
            continue
        out.append(fix_line(line))
    return "\n".join(out)


def differences(text: str) -> list[tuple[int, str, str]]:
    """(line number, old line, new line) for every line ``fix`` would change."""
    fixed = fix(text).split("\n")
    return [(n, old, new) for n, (old, new) in enumerate(zip(text.split("\n"), fixed), start=1) if old != new]
