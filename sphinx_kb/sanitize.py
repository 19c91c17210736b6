"""Untrusted content made harmless: raw HTML allow-listed, URLs and text checked.

Articles come from pull requests by people we do not know, so everything they contain is
data. Raw HTML is parsed with justhtml (an HTML5 parser that tokenizes as browsers do:
entities decoded, ``<svg/onload=…>`` and ``<img alt=">" onerror=…>`` read as a browser reads
them), every tag and attribute is held against the allow-list below, and the page gets our
own re-serialisation of what passed: allowed tags with escaped attribute values, escaped
text, no comments. Nothing of the original markup is copied through, so what the parser
saw is exactly what the reader's browser gets.

MyST splits inline HTML into one raw node per tag (``<kbd>``, text, ``</kbd>``), so tags
are balanced per paragraph for inline HTML and per page for HTML blocks.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field


# Text-level and structural HTML that Markdown lacks; nothing that runs, loads, styles,
# submits, embeds or takes over the page (no script, style, iframe, form, svg, math, textarea…).
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
    "wbr",
})
VOID_TAGS = frozenset({"br", "col", "hr", "img", "wbr"})
_GLOBAL_ATTRIBUTES = frozenset({"title", "lang"})
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "reversed", "type"}, "li": {"value"},
    "time": {"datetime"}, "q": {"cite"}, "del": {"cite", "datetime"}, "ins": {"cite", "datetime"},
    "details": {"open"},
}
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
SAFE_SCHEMES = ("http", "https", "mailto")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))  # what browsers strip around a URL

# what to write instead of a refused tag
_INSTEAD = {
    "script": "articles cannot run code in readers' browsers; show code in a code block",
    "style": "articles cannot restyle the site; use Markdown emphasis or a directive",
    "svg": "draw diagrams with {mermaid} or plots with {plot}",
    "math": "write formulas as $...$ or $$...$$",
    "iframe": "link to the page instead of embedding it",
    "img": "use Markdown image syntax ![说明](file.png)",
    "h1": "use a Markdown heading (#, ##, ...)",
    "table": "use a Markdown table",
    "input": "articles hold no forms",
    "textarea": "articles hold no forms",
}
_TAG_HINT_DEFAULT = "write it in Markdown or with a MyST directive instead"


def url_problem(url: str, *, decoded: bool = True, schemes: tuple[str, ...] = SAFE_SCHEMES) -> str | None:
    """Why a URL must not be published, or None. The scheme is read as a browser reads it:
    after entity decoding (unless the caller's parser did it), with leading and trailing
    control characters and spaces dropped and tabs and newlines removed anywhere."""
    text = url if decoded else html.unescape(url)
    text = re.sub(r"[\t\n\r]", "", text.strip(_C0_AND_SPACE))
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", text)
    if match and match.group(1).lower() not in schemes:
        allowed = ", ".join(f"{s}:" for s in schemes)
        return (f"'{match.group(1).lower()}:' URLs are not allowed in articles (only {allowed} and links "
                "within the site): link to a web page or an article instead")
    if any(ord(c) < 0x20 or c == "\x7f" for c in text):
        return "the URL contains control characters: remove them"
    return None


@dataclass
class _Open:
    tag: str
    line: int
    node: object
    refused: bool = False


@dataclass
class HtmlGate:
    """Checks one page's raw HTML fragments in document order."""

    problems: list[tuple[int, str]] = field(default_factory=list)
    _block_stack: list[_Open] = field(default_factory=list)

    def clean(self, fragment: str, line: int, node: object, stack: list[_Open] | None = None) -> str | None:
        """Our serialisation of the fragment, or None when it is refused (the problem is
        recorded). ``stack`` holds the tags opened and not yet closed in this context."""
        stack = self._block_stack if stack is None else stack
        out: list[str] = []
        refused = False
        import justhtml  # only pages with raw HTML pay for the parser

        tokens = list(justhtml.stream(fragment))
        for index, (kind, data) in enumerate(tokens):
            if kind == "text":
                out.append(html.escape(data, quote=False))
            elif kind == "comment":
                if index == len(tokens) - 1 and not fragment.rstrip().endswith("-->") and \
                        fragment.lstrip().startswith("<!--"):
                    self.problems.append((line, "the HTML comment opened here with <!-- is never closed, so it "
                                          "hides the rest of the page: add --> where the comment ends"))
                    refused = True
            elif kind == "doctype":
                self.problems.append((line, "<!DOCTYPE> has no place in an article: remove it"))
                refused = True
            elif kind == "start":
                tag, attributes = data
                problem = self._tag_problem(tag, attributes)
                if problem:
                    self.problems.append((line, problem))
                    refused = True
                    if tag not in VOID_TAGS:
                        stack.append(_Open(tag, line, node, refused=True))  # its end tag says nothing more
                    continue
                out.append(self._start_tag(tag, attributes))
                if tag not in VOID_TAGS:
                    stack.append(_Open(tag, line, node))
            elif kind == "end":
                tag = data
                if tag in VOID_TAGS and tag in ALLOWED_TAGS:
                    continue
                # refused elements left open inside this one (<div><svg/onload…></div>) end with it
                while stack and stack[-1].refused and stack[-1].tag != tag and any(o.tag == tag for o in stack):
                    stack.pop()
                if stack and stack[-1].refused and stack[-1].tag == tag:
                    stack.pop()
                    continue
                if refused and stack and stack[-1].refused:
                    continue  # inside a refused element (<svg><a>…</a></svg>): already reported
                if not stack or stack[-1].tag != tag:
                    expected = f"</{stack[-1].tag}> (opened on line {stack[-1].line})" if stack else "nothing"
                    self.problems.append((line, f"</{tag}> does not match the open tag: expected {expected}. "
                                          "Close HTML tags in the order they were opened"))
                    refused = True
                    continue
                stack.pop()
                out.append(f"</{tag}>")
        return None if refused else "".join(out)

    def close(self, stack: list[_Open] | None = None, where: str = "the page") -> list[object]:
        """Report the tags left open in a context; returns the raw nodes that opened them."""
        stack = self._block_stack if stack is None else stack
        opened = []
        for item in stack:
            if item.refused:
                continue  # reported when it was refused
            self.problems.append((item.line, f"<{item.tag}> opened here is never closed in {where}: "
                                  f"add </{item.tag}> where it ends"))
            opened.append(item.node)
        stack.clear()
        return opened

    @staticmethod
    def _tag_problem(tag: str, attributes: dict[str, str | None]) -> str | None:
        if tag not in ALLOWED_TAGS:
            hint = _INSTEAD.get(tag) or _INSTEAD.get(re.sub(r"\d", "1", tag)) or _TAG_HINT_DEFAULT
            return f"raw <{tag}> is not allowed in articles: {hint}"
        allowed = _GLOBAL_ATTRIBUTES | ALLOWED_ATTRIBUTES.get(tag, set())
        for name in attributes:
            if name.startswith("on"):
                return (f"inline event handlers ({name}=) are not allowed in articles: articles are content, "
                        "not code that runs in readers' browsers")
        for name, value in attributes.items():
            if name not in allowed:
                what = {"style": "styles", "class": "classes", "id": "ids"}.get(name)
                reason = f"articles cannot set {what} in raw HTML" if what else "it is not on the allow-list"
                return (f"the attribute {name}= on <{tag}> is not allowed ({reason}): "
                        f"<{tag}> takes only {', '.join(sorted(allowed))}")
            if name in URL_ATTRIBUTES:
                if problem := url_problem(value or ""):
                    return problem
                if tag == "img" and not re.match(r"\s*https?://", value or "", re.I):
                    return ("raw <img> may only show images from http(s) addresses: for a file of the article, "
                            "use Markdown image syntax ![说明](file.png), which copies it with the page")
        return None

    @staticmethod
    def _start_tag(tag: str, attributes: dict[str, str | None]) -> str:
        parts = [tag]
        for name, value in attributes.items():
            parts.append(name if value is None or (name in ("reversed", "open") and not value)
                         else f'{name}="{html.escape(value, quote=True)}"')
        if tag == "a" and re.match(r"\s*https?:", attributes.get("href") or "", re.I):
            parts.append('rel="nofollow noopener"')
        return "<" + " ".join(parts) + ">"


# --- text ----------------------------------------------------------------------------------------

# bidirectional formatting characters (Trojan Source, CVE-2021-42574; spoofed titles)
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): invisible when rendered
_IGNORABLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
                        "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def _name(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
# bidirectional controls, and the C0/C1 control characters (Unicode category Cc) but tab,
# newline and carriage return: what no page may contain anywhere
UNWANTED_IN_PAGES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def bidi_problem(text: str) -> tuple[int, str] | None:
    """(offset, message) of the first bidirectional control character, or None."""
    if match := _BIDI.search(text):
        return match.start(), (f"invisible bidirectional control {_name(match.group())} can make text display "
                               "differently from what it is: delete it")
    return None


def control_problem(text: str, *, allow_newlines: bool = True) -> tuple[int, str] | None:
    """(offset, message) of the first control or invisible format character, or None."""
    for i, char in enumerate(text):
        if char in "\n\t" and allow_newlines:
            continue
        if char in BIDI_CONTROLS:
            return i, bidi_problem(char)[1]
        category = unicodedata.category(char)
        if category == "Cc" or (not allow_newlines and category in ("Cf", "Zl", "Zp")):
            return i, (f"{_name(char)} is an invisible control character (often pasted by accident; it breaks "
                       "the feed's XML): delete it")
    return None


def visible(text: str) -> str:
    """The text without control, bidirectional and other invisible format characters."""
    return "".join(c for c in _IGNORABLE.sub("", text) if unicodedata.category(c) not in ("Cc", "Cf"))


def comparable(text: str) -> str:
    """The form two titles or tags are compared in: NFKC, no invisible characters, casefolded,
    one space between words."""
    return " ".join(_IGNORABLE.sub("", unicodedata.normalize("NFKC", text)).casefold().split())
