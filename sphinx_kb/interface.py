"""The interface in Chinese: furo's strings that are written into its templates in English.

Sphinx's and furo's translatable strings get Chinese from ``locale/zh_CN`` (gettext). A few of
furo's are not translatable: the theme toggle's and the sidebars' labels, "Skip to content",
the icons' titles, and the "Toggle navigation of …" names its navigation tree gets in Python.
Each page is rendered by furo's own templates and then these exact strings are replaced, so
any template override (ours or a later one) keeps working.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx

STRINGS = {
    'aria-label="Toggle site navigation sidebar"': 'aria-label="打开或关闭站点导航"',
    'aria-label="Toggle table of contents sidebar"': 'aria-label="打开或关闭本页目录"',
    'aria-label="Toggle Light / Dark / Auto color theme"': 'aria-label="切换浅色、深色或跟随系统的配色"',
    "<title>Contents</title>": "<title>目录</title>",
    "<title>Menu</title>": "<title>菜单</title>",
    "<title>Expand</title>": "<title>展开</title>",
    "<title>Light mode</title>": "<title>浅色模式</title>",
    "<title>Dark mode</title>": "<title>深色模式</title>",
    "<title>Auto light/dark, in light mode</title>": "<title>跟随系统（当前浅色）</title>",
    "<title>Auto light/dark, in dark mode</title>": "<title>跟随系统（当前深色）</title>",
}
_SKIP = re.compile(r"(<a class=\"skip-to-content muted-link\" href=\"#furo-main-content\">)\s*Skip to content\s*(</a>)")
_TOGGLE = re.compile(r'aria-label="Toggle navigation of ([^"]*)"')
_STRING = re.compile("|".join(re.escape(s) for s in STRINGS))


def chinese(html: str) -> str:
    html = _STRING.sub(lambda m: STRINGS[m.group(0)], html)
    html = _SKIP.sub(r"\1跳到正文\2", html)
    return _TOGGLE.sub(r'aria-label="展开或折叠「\1」"', html)


def _wrap_renderer(app: Sphinx) -> None:
    templates = getattr(app.builder, "templates", None)
    if templates is None or getattr(templates, "_kb_chinese", False):
        return
    render = templates.render

    def render_in_chinese(template: str, context: dict) -> str:
        return chinese(render(template, context))

    templates.render = render_in_chinese
    templates._kb_chinese = True


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _wrap_renderer)
