"""下载 Notebook: each article with runnable code as a Jupyter notebook, written at build time.

The notebook holds exactly the blocks the test suite executes, in the same order: the blocks
are collected by ``articlecode.collect_blocks``, which ``tests/article_code.py`` runs too: one
definition of which blocks run, so the notebook and the suite cannot disagree. A ``python`` block becomes a code
cell whose output is the article's checked ``output`` block; a ``pycon`` session becomes one
cell per example; ``{no-run}`` blocks are left out, as the suite leaves them out.

Two things a script does and a Jupyter kernel does not are restored by a first setup cell,
only where an article needs it:

* the suite runs each block as a script, where a final expression prints nothing; IPython
  would show its value, so the kernel is told not to (``ast_node_interactivity = "none"``);
* children started with ``spawn`` re-import the main module, which a kernel does not have:
  the article's code is written to ``kb_article.py`` and made the main module's file, and a
  child re-executes it quietly, as the suite's runner does (``__name__ == "__mp_main__"``).

The notebooks are written next to the pages (``python/autograd.ipynb``) and linked from the
article's meta line. Cell ids are numbered, not random, so builds stay byte-identical.
"""

from __future__ import annotations

import ast
import doctest
import json
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from .articlecode import collect_blocks

logger = logging.getLogger(__name__)
NBFORMAT, NBFORMAT_MINOR = 4, 5
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def runnable_blocks(text: str) -> list:
    """The blocks the suite executes (``run`` and ``session``), in order."""
    return [b for b in collect_blocks(text) if b.kind != "no-run"]


def _source_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines:
        lines[-1] = lines[-1].rstrip("\n")
    return lines


def _ends_in_expression(code: str) -> bool:
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return False
    return bool(body) and isinstance(body[-1], ast.Expr)


def _uses_spawn(code: str) -> bool:
    return "multiprocessing" in code


_SPAWN_SETUP = '''\
# 本文的代码用 spawn 方式启动子进程，子进程会重新导入主模块；Notebook 没有主模块文件，
# 这里把本文的全部代码写进 kb_article.py，作为主模块的文件，子进程导入时静默地重新执行它
# （与测试套件的做法相同：子进程中 __name__ == "__mp_main__"，main 保护里的代码不会再跑）。
import __main__, contextlib, json, os
_kb_code = json.loads({code})
with open("kb_article.py", "w", encoding="utf-8") as _kb_file:
    _kb_file.write("import contextlib, os\\n"
                   "with open(os.devnull, 'w') as _kb_null, contextlib.redirect_stdout(_kb_null):\\n"
                   "    exec(compile(%r, 'kb_article.py', 'exec'), globals())\\n" % _kb_code)
__main__.__file__ = os.path.abspath("kb_article.py")
'''

_QUIET_SETUP = '''\
# 与测试套件一致：每个单元格按脚本执行，末尾的表达式不自动显示结果
get_ipython().ast_node_interactivity = "none"
'''


def _cell(index: int, source: str, outputs: list[dict]) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": f"kb-cell-{index}", "metadata": {},
            "outputs": outputs, "source": _source_lines(source)}


def _stream(text: str) -> list[dict]:
    return [{"name": "stdout", "output_type": "stream", "text": _source_lines(text.rstrip("\n") + "\n")}] if text.strip() else []


def notebook(text: str, title: str, url: str) -> dict | None:
    """The notebook of an article's Markdown ``text``, or None when it has no runnable code."""
    blocks = runnable_blocks(text)
    if not blocks:
        return None
    cells: list[dict] = [{
        "cell_type": "markdown", "id": "kb-cell-0", "metadata": {},
        "source": _source_lines(f"# {title}\n\n本 Notebook 由 [{title}]({url}) 生成，"
                                f"包含文中全部 {len(blocks)} 段可运行代码及其经过测试核对的输出，"
                                "按顺序从上到下运行即可；说明与推导见原文。依赖：torch、numpy、scipy 等（CPU 即可）。"),
    }]
    code = [b.code for b in blocks if b.kind == "run"]
    setup = ""
    if any(_ends_in_expression(c) for c in code):
        setup += _QUIET_SETUP
    if any(_uses_spawn(c) for c in code):
        setup += ("\n" if setup else "") + _SPAWN_SETUP.replace("{code}", repr(json.dumps("\n".join(code))))
    if setup:
        cells.append(_cell(len(cells), setup, []))
    for block in blocks:
        if block.kind == "run":
            cells.append(_cell(len(cells), block.code, _stream(block.expected or "")))
            continue
        for example in doctest.DocTestParser().get_examples(block.code):  # a ``pycon`` session
            outputs = []
            if example.want.strip():
                outputs = [{"data": {"text/plain": _source_lines(example.want.rstrip("\n"))},
                            "execution_count": None, "metadata": {}, "output_type": "execute_result"}]
            cells.append(_cell(len(cells), example.source, outputs))
    return {"cells": cells, "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
            "nbformat": NBFORMAT, "nbformat_minor": NBFORMAT_MINOR}


def dumps(nb: dict) -> str:
    """As nbformat writes notebooks (sorted keys, one-space indent), so Jupyter keeps the diff small.
    ``<``, ``>`` and ``&`` are written as ``\\u003c`` etc. (they only occur inside JSON strings): the
    code comes from pull requests, and no tag of it appears as such in a published file, even
    one that no browser would render as a page."""
    text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def notebook_name(docname: str) -> str:
    return docname + ".ipynb"


def _article_title(env, docname: str) -> str:
    title = env.titles.get(docname)
    return title.astext() if title is not None else docname


def _notebooks(app: Sphinx) -> dict[str, tuple[dict, str]]:
    """{docname: (notebook, title)} for every article page with runnable code (cached per build)."""
    cache = app.__dict__.get("_kb_notebooks")
    if cache is not None:
        return cache
    from .metadata import is_article

    cache = {}
    env = app.env
    for docname in sorted(env.found_docs):
        if not is_article(docname):
            continue
        try:
            text = env.doc2path(docname).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        title = _article_title(env, docname)
        url = app.config.html_baseurl.rstrip("/") + "/" + docname + ".html" if app.config.html_baseurl else docname + ".html"
        try:
            nb = notebook(text, title, url)
        except ValueError as err:  # an ``output`` block in the wrong place: the gate reports it
            logger.debug("no notebook for %s: %s", docname, err)
            continue
        if nb is not None:
            cache[docname] = (nb, title)
    app.__dict__["_kb_notebooks"] = cache
    return cache


def _writes_pages(app: Sphinx) -> bool:
    return app.builder.name in ("html", "dirhtml")


def _link(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not _writes_pages(app) or docname not in _notebooks(app):
        return
    href = docname.rsplit("/", 1)[-1] + ".ipynb"
    link = nodes.raw("", f'<a class="kb-notebook" href="{href}" download="{href}" '
                         f'title="本文全部可运行代码及其输出，可在 Jupyter、Colab 或 VS Code 中打开">下载 Notebook</a>',
                     format="html")
    meta = next(iter(doctree.findall(lambda n: isinstance(n, nodes.paragraph) and "kb-article-meta" in n["classes"])), None)
    if meta is not None:
        meta += link
        return
    section = doctree.next_node(nodes.section)
    if section is not None:
        section.insert(1, nodes.paragraph("", "", link, classes=["kb-article-meta"]))


def _write(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or not _writes_pages(app):
        return
    outdir = Path(app.outdir)
    for docname, (nb, _title) in _notebooks(app).items():
        target = outdir / notebook_name(docname)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = dumps(nb)
        if not target.exists() or target.read_text(encoding="utf-8") != data:
            target.write_text(data, encoding="utf-8")


def _reset(app: Sphinx, env, *args) -> None:
    app.__dict__.pop("_kb_notebooks", None)


def setup(app: Sphinx) -> None:
    app.connect("env-updated", _reset)
    app.connect("doctree-resolved", _link, priority=600)  # after navigation's meta line
    app.connect("build-finished", _write)
