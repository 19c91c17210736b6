"""Hostile content: every page, front matter and committed file is untrusted data.

Each case below is what a hostile contributor could put in a pull request. All of them go
into one copy of the fixture site (one page each, plus the files they point at), which is
built once as Read the Docs builds it (serially, ``-W --keep-going``) and once with ``-j 2``.
For every case the build must print the exact message at the case's file and line, and the
case's marker (a string that only a working payload would publish) must appear nowhere in
the output: no page, text copy, search index, feed or sitemap.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
from pathlib import Path

import pytest

from conftest import BUILD_ROOT, FIXTURE_SITE, build_site

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")


@dataclasses.dataclass
class Case:
    name: str
    body: str
    line: int | str | None  # line of the mistake within the body (1-based), "title", "front" (the first
    # extra front matter line), or None: published harmless
    message: str
    marker: str
    path: str = ""  # the page, when it is not an article of its own
    front: str = ""  # extra front matter lines


def _cases() -> list[Case]:
    c = Case
    return [
        # --- raw HTML that pattern matching missed ---
        c("script tag", "<script>alert('KBX01')</script>\n", 1, "raw <script> is not allowed in articles", "KBX01"),
        c("img alt with > then onerror", "<img alt=\">\" src=x onerror=alert(10102)>\n", 1,
          "inline event handlers (onerror=) are not allowed in articles", "alert(10102)"),
        c("img onerror as text", "正文 <img alt=\">\" src=x onerror=alert('KBX02b')> 正文\n", None, "",
          "<img alt=\">\" src=x"),
        c("svg/onload inside a div", "<div>文字<svg/onload=alert('KBX03')></div>\n", 1,
          "raw <svg> is not allowed in articles: draw diagrams with {mermaid} or plots with {plot}", "KBX03"),
        c("&colon; entity", "<a href=\"javascript&colon;alert('KBX04')\">点我</a>\n", 1,
          "'javascript:' URLs are not allowed in articles", "KBX04"),
        c("decimal entity", "<a href=\"&#106;avascript:alert('KBX05')\">点我</a>\n", 1,
          "'javascript:' URLs are not allowed in articles", "KBX05"),
        c("tab entity in scheme", "<a href=\"java&#x09;script:alert('KBX06')\">点我</a>\n", 1,
          "'javascript:' URLs are not allowed in articles", "KBX06"),
        c("svg animate href", "<svg><a><animate attributeName=\"href\" values=\"javascript:alert('KBX07')\"/>"
          "<text y=\"20\">点</text></a></svg>\n", 1, "raw <svg> is not allowed in articles", "KBX07"),
        c("fixed overlay", "<div style=\"position:fixed;inset:0;background:#fff\">KBX08</div>\n", 1,
          "the attribute style= on <div> is not allowed (articles cannot set styles in raw HTML)", "KBX08"),
        c("unclosed textarea", "<textarea>\n\nKBX09 吞掉页脚\n", 1,
          "raw <textarea> is not allowed in articles: articles hold no forms", "KBX09"),
        c("iframe", "<iframe src=\"https://kbx10.example/\"></iframe>\n", 1,
          "raw <iframe> is not allowed in articles: link to the page instead of embedding it", "kbx10"),
        c("meta refresh as HTML", "<meta http-equiv=\"refresh\" content=\"0; url=https://kbx11.example/\">\n", 1,
          "raw <meta> is not allowed in articles", "kbx11"),
        c("inline onclick", "正文 <span onclick=\"alert('KBX12')\">点</span> 正文\n", 1,
          "inline event handlers (onclick=) are not allowed in articles", "KBX12"),
        c("form", "<form action=\"https://kbx13.example/\"><input name=q></form>\n", 1,
          "raw <form> is not allowed in articles", "kbx13"),
        c("object", "<object data=\"KBX14.swf\"></object>\n", 1, "raw <object> is not allowed in articles", "KBX14"),
        c("vbscript", "<a href=\"vbscript:msgbox('KBX15')\">点</a>\n", 1,
          "'vbscript:' URLs are not allowed in articles", "KBX15"),
        c("data: HTML", "<a href=\"data:text/html,<script>alert('KBX16')</script>\">点</a>\n", 1,
          "'data:' URLs are not allowed in articles", "KBX16"),
        c("srcset", "<img src=\"https://example.com/a.png\" srcset=\"https://kbx17.example/b.png 2x\" alt=\"a\">\n", 1,
          "the attribute srcset= on <img> is not allowed (it is not on the allow-list)", "kbx17"),
        c("base", "<base href=\"https://kbx18.example/\">\n", 1, "raw <base> is not allowed in articles", "kbx18"),
        c("stylesheet link", "<link rel=\"stylesheet\" href=\"https://kbx19.example/x.css\">\n", 1,
          "raw <link> is not allowed in articles", "kbx19"),
        c("style tag", "<style>@import 'https://kbx20.example/x.css';</style>\n", 1,
          "raw <style> is not allowed in articles: articles cannot restyle the site", "kbx20"),
        c("mutation XSS through math", "<math><mtext><table><mglyph><style><img src=x onerror=alert('KBX21')>"
          "</style></mglyph></table></mtext></math>\n", 1,
          "raw <math> is not allowed in articles: write formulas as $...$ or $$...$$", "onerror=alert('KBX21')"),
        c("DOM clobbering id", "<div id=\"searchbox\">KBX22</div>\n", 1,
          "the attribute id= on <div> is not allowed (articles cannot set ids in raw HTML)", "KBX22"),
        c("leading space before scheme", "<a href=\"  javascript:alert('KBX23')\">点</a>\n", 1,
          "'javascript:' URLs are not allowed in articles", "KBX23"),
        c("details ontoggle", "<details open ontoggle=\"alert('KBX24')\"><summary>s</summary>x</details>\n", 1,
          "inline event handlers (ontoggle=) are not allowed in articles", "KBX24"),
        c("unclosed comment", "正文。\n\n<!-- 这里忘了闭合 KBX25\n\n## 参考资料\n", 3,
          "the HTML comment opened here with <!-- is never closed, so it hides the rest of the page: "
          "add --> where the comment ends", "KBX25"),
        c("unclosed div", "<div>\n\n正文 KBX26\n", 1, "<div> opened here is never closed in the page: add </div> "
          "where it ends", "KBX26-never"),
        c("class on span", "正文 <span class=\"sidebar-drawer\">KBX27</span>\n", 1,
          "the attribute class= on <span> is not allowed (articles cannot set classes in raw HTML)", "KBX27"),
        # --- raw in every other form ---
        c("eval-rst raw html", "```{eval-rst}\n.. raw:: html\n\n   <script>alert('KBX28')</script>\n```\n", 2,
          "raw <script> is not allowed in articles", "KBX28"),
        c("eval-rst meta refresh", "```{eval-rst}\n.. meta::\n   :http-equiv=Refresh: 0; url=https://kbx29.example/\n```\n",
          2, "meta: <meta> tags are not allowed in pages (they can redirect every reader or change how the site is "
          "indexed): remove the meta directive", "kbx29"),
        c("MyST raw directive", "```{raw} html\n<img src=x onerror=\"alert('KBX30')\">\n```\n", 1,
          "inline event handlers (onerror=) are not allowed in articles", "KBX30"),
        c("raw latex", "```{raw} latex\n\\input{/etc/passwd} KBX31\n```\n", 1,
          "raw latex output is not allowed in articles: write the content in Markdown", "KBX31"),
        c("raw role", "```{eval-rst}\n.. role:: raw-html(raw)\n   :format: html\n\n:raw-html:`<img src=x "
          "onerror=alert('KBX32')>`\n```\n", 5, "inline event handlers (onerror=) are not allowed in articles", "KBX32"),
        c("rst javascript link", "```{eval-rst}\n`点我 <javascript:alert('KBX33')>`_\n```\n", 2,
          "'javascript:' URLs are not allowed in articles", "KBX33"),
        c("Markdown javascript link", "[点我](javascript:alert('KBX34'))\n", 1,
          "'javascript:' URLs are not allowed in articles", "KBX34"),
        c("entity-encoded Markdown link", "[点我](&#106;avascript:alert('KBX35'))\n", 1,
          "'javascript:' URLs are not allowed in articles", "KBX35"),
        c("file: Markdown link", "[密码](file:///etc/passwd?KBX36)\n", 1, "'file:' URLs are not allowed in articles",
          "KBX36"),
        c("image target", "```{image} https://example.com/a.png\n:alt: a\n:target: javascript:alert('KBX37')\n```\n",
          1, "'javascript:' URLs are not allowed in articles", "KBX37"),
        c("link reference definition", "[点我]\n\n[点我]: javascript:alert('KBX38')\n", 3,
          "'javascript:' URLs are not allowed in articles", "KBX38"),
        # --- file insertion ---
        c("include /etc/passwd", "```{include} /etc/passwd\n```\n", 1,
          "include: 'etc/passwd' is not in a content folder", "root:x:0:0"),
        c("include outside the repository", "```{include} ../../../../../../../../etc/passwd\n```\n", 1,
          "include: '/etc/passwd' is outside the repository's content folders", "root:x:0:0"),
        c("literalinclude .git/config", "```{literalinclude} ../.git/config\n```\n", 1,
          "literalinclude: '.git/config' is not in a content folder", "KBGIT-TOKEN"),
        c("csv-table :file:", "```{csv-table} 表\n:file: /etc/passwd\n```\n", 1,
          "csv-table :file:: '/etc/passwd' is outside the repository's content folders", "root:x:0:0"),
        c("csv-table :url:", "```{csv-table} 表\n:url: file:///etc/passwd\n```\n", 1,
          "csv-table: :url: would fetch from the build machine", "root:x:0:0"),
        c("raw :file:", "```{eval-rst}\n.. raw:: html\n   :file: ../.git/config\n```\n", 2,
          "raw: raw output read from a :file: or :url: is not allowed in articles", "KBGIT-TOKEN"),
        c("rst include", "```{eval-rst}\n.. include:: /etc/passwd\n```\n", 2,
          "include: 'etc/passwd' is not in a content folder", "root:x:0:0"),
        c("symlink out of the content", "```{literalinclude} h-link.txt\n```\n", 1,
          "literalinclude: '.git/config' is not in a content folder", "KBGIT-TOKEN"),
        c("hidden file in a category", "```{literalinclude} .secret.txt\n```\n", 1,
          "literalinclude: 'python/.secret.txt' is a hidden file or folder: pages may not include it", "KBHIDDEN"),
        c("image outside the content", "![图](../outside.png)\n", 1,
          "this image cannot be published: 'outside.png' is not in a content folder", "outside"),
        c("SVG image", "![图](h-evil.svg)\n", 1, "SVG images are not allowed in articles: an SVG file can carry "
          "script that runs on the site. Export the figure as PNG, or draw it with {mermaid} or {plot}", "KBSVG"),
        c("HTML download", "{download}`下载 <h-evil.html>`\n", 1, "a .html file cannot be offered as a download: "
          "browsers open it as a page of the site, where it could run script", "KBHTML"),
        c("plot from a file", "```{plot} ../conf.py\n```\n", 1,
          "{plot} takes its code in the block, not from a file", "KBPLOTFILE"),
        # --- meta, MyST settings and substitutions in front matter ---
        c("html_meta in an article", "正文。\n", "front", "front matter 'myst:' is not allowed: pages cannot change how MyST "
          "builds them or add <meta> tags (a refresh would redirect every reader). Remove it", "kbx52", path="",
          front="myst:\n  html_meta:\n    http-equiv=refresh: \"0; url=https://kbx52.example/\"\n"),
        c("substitution", "{{ lipsum.__globals__.os.popen('printf KBX%s 53').read() }}\n", None, "", "KBX53"),
        c("substitutions turned on in front matter", "{{ x }}\n", "front",
          "front matter 'myst:' is not allowed", "KBX54",
          front="myst:\n  enable_extensions: [substitution]\n  substitutions:\n    x: \"{{ 'KBX' ~ 54 }}\"\n"),
        # --- math ---
        c("\\href", "见 $\\href{javascript:alert('KBX55')}{x}$。\n", 1,
          "\\href is not allowed in formulas (links belong in the text around the formula)", "KBX55"),
        c("\\style", "见 $\\style{position:fixed;inset:0}{x}$ KBX56-never\n", 1,
          "\\style is not allowed in formulas (formulas cannot set styles)", "position:fixed"),
        c("\\class", "见 $\\class{KBX57}{x}$。\n", 1, "\\class is not allowed in formulas (formulas cannot set classes)",
          "KBX57"),
        c("\\cssId", "见 $\\cssId{KBX58}{x}$。\n", 1, "\\cssId is not allowed in formulas (formulas cannot set ids)",
          "KBX58"),
        c("\\renewcommand", "$$\n\\renewcommand{\\frac}[2]{KBX59}\\frac{a}{b}\n$$\n", 1,
          "\\renewcommand is not allowed in formulas (formulas cannot redefine macros)", "KBX59"),
        c("\\def", "见 $\\def\\x{KBX60}\\x$。\n", 1, "\\def is not allowed in formulas (formulas cannot define macros)",
          "KBX60"),
        c("\\unicode", "见 $\\unicode{x202E}KBX61$。\n", 1, "\\unicode is not allowed in formulas (type the character "
          "itself)", "KBX61"),
        c("\\require", "见 $\\require{html}\\href{https://kbx62.example/}{x}$。\n", 1,
          "\\require is not allowed in formulas (formulas cannot load TeX packages)", "kbx62"),
        c("misspelt macro", "见 $\\aplha + 1$。\n", 1, "Undefined control sequence \\aplha: check the spelling of "
          "\\aplha", "aplha"),
        c("\\bbox style neutralised", "见 $\\bbox[position:fixed;top:0;color:red]{x}$。\n", None, "", "fixed"),
        # --- build-time code ---
        c("plot reads the environment", "```{plot}\nimport os\nassert not any('SECRET' in k or 'TOKEN' in k "
          "for k in os.environ), sorted(os.environ)\nplt.plot([1, 2])\n```\n", None, "", "KBSECRET"),
        c("plot writes outside the build", "```{plot}\nopen('/tmp/kb-hostile-write', 'w').write('x')\n```\n", 1,
          "the plot's code raised PermissionError: a {plot} block may not write /tmp/kb-hostile-write "
          "(only its working directory under the build)", "KBW"),
        c("plot opens a socket", "```{plot}\nimport socket\nsocket.create_connection(('127.0.0.1', PORT), 2)\n```\n",
          1, "the plot's code raised PermissionError: a {plot} block may not use socket", "KBSOCK"),
        c("plot starts a program", "```{plot}\nimport os\nos.system('touch /tmp/kb-hostile-exec')\n```\n", 1,
          "the plot's code raised PermissionError: a {plot} block may not use os (os.system)", "KBEXEC"),
        c("plot reads .git", "```{plot}\nimport os, sys\nopen(os.path.join(os.path.dirname(sys.argv[0]), '..', "
          "'.git', 'config')).read()\n```\n", 1, "the plot's code raised PermissionError: a {plot} block may not read", "KBGIT-TOKEN"),
        c("plot loops forever", "```{plot}\nwhile True:\n    pass\n```\n", 1,
          "the plot's code was still running after 4 s and was stopped", "KBLOOP"),
        c("plot exits the interpreter", "```{plot}\nimport os\nos._exit(0)\n```\n", 1,
          "the plot's code ended the interpreter (exit status 0) before its figure was saved: a {plot} block must "
          "run to its end", "KBEXIT"),
        c("plot crashes the interpreter", "```{plot}\nimport faulthandler\nfaulthandler._sigsegv()\n```\n", 1,
          "the plot's code crashed (signal SIGSEGV)", "KBSEGV"),
        # --- text that displays differently from what it is ---
        c("bidi override in the title", "正文。\n", "title", "invisible bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE "
          "can make text display differently from what it is: delete it", "\u202e"),
        c("entity-encoded bidi in the title", "正文。\n", "title",
          "invisible bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE", "\u202e"),
        c("Trojan Source in code", "```text\naccess = 'user' # \u202e } \u2066 if admin KBTROJAN\n```\n", 2,
          "invisible bidirectional control U+202E", "\u202e"),
        c("escape character in a tag", "正文。\n", "front", "'tags' entry", "\x1b",
          front="tags: [\"red\\e[31m\"]\n"),
        c("vertical tab in the summary", "正文。\n", "front", "'summary': U+000B is an invisible control character (often pasted by accident; it breaks the feed's "
          "XML): delete it", "\x0b",
          front="summary: \"摘要\\v第二行\"\n"),
        c("zero-width space in the title", "正文。\n", "title", "the heading: U+200B ZERO WIDTH SPACE is an invisible control character",
          "\u200b"),
        c("fullwidth copy of a title", "正文。\n", "title",
          "the title 'ＧＩｏＵ 广义交并比' is already taken by", "KBDUP"),
        c("Mermaid init directive", "```{mermaid}\n%%{init: {'themeCSS': '* { background: url(KBX83) }'}}%%\n"
          "flowchart LR\n  A --> B\n```\n", 1, "Mermaid configuration in a diagram (%%{init: ...}%% or a --- config "
          "block) is not allowed: the site sets Mermaid's theme and options. Remove it", "KBX83"),
        c("Mermaid javascript click", "```{mermaid}\nflowchart LR\n  A --> B\n  click A href \"javascript:alert('KBX84')\"\n"
          "```\n", 1, "a Mermaid click link may only go to an http(s) address or a page of the site", "KBX84"),
        c("Mermaid click callback", "```{mermaid}\nflowchart LR\n  A --> B\n  click A kbx85Callback\n```\n", 1,
          "Mermaid click callbacks run script in readers' browsers", "kbx85Callback"),
        c("plot writes a page beside its figure", "```{plot}\nopen('OUTDIR/plot_directive/python/kbx86.html', 'w')"
          ".write('<script>KBX86</script>')\n```\n", 1, "the plot's code raised PermissionError: a {plot} block may "
          "not write", "KBX86"),
        c("theme class on a note", ":::{note}\n:class: overlay\nKBX88 盖住页面\n:::\n", 2,
          "'note': Invalid option value for 'class': overlay: articles cannot set classes (a theme class can "
          "restyle or cover the page): remove the :class: option", 'class="admonition note overlay'),
        c("theme class on an image", "```{image} https://example.com/a.png\n:class: sidebar-drawer\n```\n", 2,
          "articles cannot set classes", "sidebar-drawer\" src"),
        c("rst container with a class", "```{eval-rst}\n.. container:: overlay\n\n   KBX90\n```\n", 2,
          "container: articles cannot set classes (a theme class can restyle or cover the page): remove the "
          "container directive", "KBX90"),
        # --- committed files outside the content ---
        c("redirect to javascript", "", 1, "is not a redirect between article paths", "KBX87", path="redirects.yaml"),
        c("YAML alias bomb", "正文。\n", "front", "front matter 'a:' uses a YAML anchor or alias (&name, *name), "
          "which is not allowed (a few aliases can stand for gigabytes of text): write the value out", "KBYAML",
          front="a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\nj: [*i, *i, *i, *i, *i, *i, *i, *i, *i]\n"),
        # --- pages that are not articles ---
        c("html_meta in a category page", "", 2, "front matter 'myst:' is not allowed", "kbx80",
          path="large-model/index.md"),
        c("front matter on the home page", "", 2, "front matter 'html_meta:' is not allowed", "kbx81",
          path="index.md"),
        c("toctree javascript entry", "", 0, "toctree entry", "KBX82", path="computer-vision/index.md"),
    ]


CASES = _cases()
TITLES = {
    "bidi override in the title": "恶意标题 \u202eKBBIDI",
    "entity-encoded bidi in the title": "恶意标题 &#x202E;KBBIDI2",
    "zero-width space in the title": "训练时的内存\u200b预算",
    "fullwidth copy of a title": "ＧＩｏＵ 广义交并比",
}
FRONT = "---\ndate: 2026-03-01\ncategory: Python\n{extra}---\n\n# {title}\n\n"


def _page(index: int, case: Case) -> tuple[str, str, int]:
    """(path, text, line of the body's first line)."""
    title = TITLES.get(case.name, f"恶意输入 {index:02d}")
    head = FRONT.format(extra=case.front, title=title)
    return f"python/h-{index:02d}.md", head + case.body, head.count("\n") + 1


def _site(root: Path, port: int) -> Path:
    src = root / "site"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(FIXTURE_SITE, src)
    # what hostile pages reach for: a checkout token, a hidden file, a file outside the content
    (src / ".git").mkdir()
    (src / ".git" / "config").write_text("[http]\n\textraheader = AUTHORIZATION: basic KBGIT-TOKEN\n")
    (src / "python" / ".secret.txt").write_text("KBHIDDEN\n")
    (src / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n outside")
    (src / "python" / "h-link.txt").symlink_to("../.git/config")
    (src / "python" / "h-evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'KBSVG\')"/>')
    (src / "python" / "h-evil.html").write_text("<script>alert('KBHTML')</script>")
    for index, case in enumerate(CASES):
        if case.path:
            continue
        path, text, _ = _page(index, case)
        (src / path).write_text(text.replace("PORT", str(port)).replace("OUTDIR", str(root / "out")), encoding="utf-8")
    # the GIoU fixture article's title, in fullwidth letters, is the duplicate above
    giou = src / "computer-vision" / "giou.md"
    giou.write_text(giou.read_text(encoding="utf-8").replace("# 广义交并比", "# GIoU 广义交并比"), encoding="utf-8")
    large = src / "large-model" / "index.md"
    large.write_text("---\nmyst:\n  html_meta:\n    http-equiv=refresh: \"0; url=https://kbx80.example/\"\n---\n"
                     + large.read_text(encoding="utf-8"), encoding="utf-8")
    home = src / "index.md"
    home.write_text("---\nhtml_meta:\n  http-equiv=refresh: \"0; url=https://kbx81.example/\"\n---\n"
                    + home.read_text(encoding="utf-8"), encoding="utf-8")
    (src / "redirects.yaml").write_text("python/old: \"javascript:alert('KBX87')\"\n", encoding="utf-8")
    cv = src / "computer-vision" / "index.md"
    cv.write_text(cv.read_text(encoding="utf-8") + "\n```{toctree}\n点我 <javascript://%0aalert('KBX82')>\n```\n",
                  encoding="utf-8")
    return src


def _expected_location(index: int, case: Case, src: Path) -> str:
    if case.path:
        if case.line == 0:  # the toctree appended at the end of the page
            lines = (src / case.path).read_text(encoding="utf-8").splitlines()
            return f"{case.path}:{len(lines) - 2}:"
        return f"{case.path}:{case.line}:"
    path, text, body_line = _page(index, case)
    if case.line == "title":
        return f"{path}:{body_line - 2}:"
    if case.line == "front":
        return f"{path}:4:"
    return f"{path}:{body_line + case.line - 1}:"


@pytest.fixture(scope="module")
def listener():
    """A socket a plot might reach: it must never be connected to."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    yield server
    server.close()


def _build(tmp_root: Path, listener, *extra: str):
    src = _site(tmp_root, listener.getsockname()[1])
    env_secret = {"KB_SECRET_TOKEN": "KBSECRET", "READTHEDOCS_TOKEN": "KBSECRET"}
    old = {k: os.environ.get(k) for k in env_secret}
    os.environ.update(env_secret)
    try:
        site = build_site(src, tmp_root / "out", "-D", "kb_plot_timeout=4", *extra)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return src, site


@pytest.fixture(scope="module")
def serial_build(listener):
    for leftover in ("/tmp/kb-hostile-write", "/tmp/kb-hostile-exec"):
        Path(leftover).unlink(missing_ok=True)
    return _build(BUILD_ROOT / f"hostile-serial-{os.getpid()}", listener)


@pytest.fixture(scope="module")
def parallel_build(listener):
    return _build(BUILD_ROOT / f"hostile-parallel-{os.getpid()}", listener, "-j", "2")


_CONTENT_FILES = {".html", ".xml", ".txt", ".json", ".svg", ".ipynb", ".csv", ".py"}


def _published(outdir: Path) -> dict[str, str]:
    """Every published file that content can reach: pages, text copies, the search index,
    feed, sitemap, copied images and downloads (not the site's own CSS and scripts)."""
    files = {}
    for p in outdir.rglob("*"):
        relative = p.relative_to(outdir)
        if not p.is_file() or relative.parts[0] == ".doctrees":
            continue
        if p.suffix in _CONTENT_FILES or p.name == "searchindex.js" or relative.parts[0] == "_downloads":
            files[relative.as_posix()] = p.read_bytes().decode("utf-8", "replace")
    return files


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_hostile_input_is_refused_with_its_location_or_published_harmless(serial_build, index):
    src, site = serial_build
    case = CASES[index]
    errors = [w for w in site.warnings]
    if case.line is None:
        path = _page(index, case)[0]
        assert not [w for w in errors if path in w], f"{case.name}: a harmless input was refused:\n" + \
            "\n".join(w for w in errors if path in w)
    else:
        where = _expected_location(index, case, src)
        assert any(where in w and case.message in w for w in errors), \
            f"{case.name}: expected '{where} ... {case.message}' in\n" + "\n".join(errors)
    found = [name for name, text in _published(site.outdir).items() if case.marker in text]
    assert not found, f"{case.name}: the payload '{case.marker}' was published in {found[:5]}"


def test_the_hostile_build_fails_and_keeps_every_page(serial_build):
    src, site = serial_build
    assert site.returncode != 0
    for index, case in enumerate(CASES):
        if not case.path:
            assert (site.outdir / _page(index, case)[0].replace(".md", ".html")).exists(), case.name


def test_the_feed_and_sitemap_stay_strict_xml(serial_build):
    from xml.etree import ElementTree

    src, site = serial_build
    for name in ("atom.xml", "sitemap.xml"):
        ElementTree.parse(site.outdir / name)  # raises on a control character or broken markup


def test_plot_code_left_nothing_outside_the_build(serial_build):
    assert not Path("/tmp/kb-hostile-write").exists()
    assert not Path("/tmp/kb-hostile-exec").exists()


def test_no_socket_reached_the_listener(serial_build, listener):
    with pytest.raises(OSError):
        listener.accept()


def test_a_parallel_build_reports_the_same(serial_build, parallel_build):
    def located(site):
        found = {m.group(1) for w in site.warnings if (m := re.search(r"/site/(\S+\.md:\d+: \w+: .*)", w))}
        return sorted(re.sub(r"hostile-(serial|parallel)-\d+", "hostile", re.sub(r"/\S*/site/", "/site/", line))
                      for line in found)

    assert parallel_build[1].returncode != 0
    assert located(parallel_build[1]) == located(serial_build[1])


def test_an_allowed_literalinclude_and_html_still_publish(tmp_path):
    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    (src / "python" / "snippet.py").write_text("print('KBOK-INCLUDE')\n")
    page = src / "python" / "ddp.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n```{literalinclude} snippet.py\n```\n\n"
                    "按 <kbd>Ctrl</kbd>+<kbd>C</kbd> 复制，H<sub>2</sub>O，"
                    "<a href=\"https://example.com/?a=1&amp;b=2\" title=\"t\">链接</a>。\n\n"
                    "<details>\n<summary>展开</summary>\n\n隐藏的 **正文**。\n\n</details>\n", encoding="utf-8")
    site = build_site(src, tmp_path / "out")
    assert site.returncode == 0, site.log[-3000:]
    html = site.html("python/ddp.html")
    assert "KBOK-INCLUDE" in html
    assert "<kbd>Ctrl</kbd>+<kbd>C</kbd>" in html and "H<sub>2</sub>O" in html
    assert '<a href="https://example.com/?a=1&amp;b=2" title="t" rel="nofollow noopener">链接</a>' in html
    assert re.search(r"<details>\s*<summary>展开</summary>.*<strong>正文</strong>.*</details>", html, re.S)
