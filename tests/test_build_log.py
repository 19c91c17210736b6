"""The build log (sphinx_kb.buildlog) and `make livehtml`'s error overlay (sphinx_kb.livebuild)."""

from __future__ import annotations

import json
import logging
import re

from conftest import ROOT, _serve, article_files
from sphinx_kb import buildlog, livebuild


def _record(name: str, msg: str, level=logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, (), None)


def test_quiet_filter_drops_only_the_noise():
    quiet = buildlog.QuietFilter()
    assert not quiet.filter(_record("sphinx.sphinx.util.fileutil", "Writing evaluated template result to x"))
    assert not quiet.filter(_record("sphinx.myst_parser.sphinx_ext.main", "myst v5.2.0: MdParserConfig(a=1)"))
    assert quiet.filter(_record("sphinx.sphinx.application", "build succeeded."))
    assert quiet.filter(_record("sphinx.sphinx.util.fileutil", "broken", logging.WARNING))


def test_real_build_log_is_quiet_and_ends_with_the_site(real_site):
    log = real_site.log
    assert "MdParserConfig" not in log and "Writing evaluated template result" not in log
    count = len(article_files())
    assert re.search(rf"构建完成：{count} 篇文章，网站在 \S*index\.html", log), log[-2000:]


def test_livehtml_passes_the_switch():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlivehtml:", 1)[1].split("\n\n", 1)[0]
    assert "sphinx-autobuild" in recipe and "-D kb_live_errors=1" in recipe


def test_status_file(tmp_path):
    ok = livebuild.write_status(tmp_path, [], None)
    assert json.loads(ok.read_text(encoding="utf-8")) == {"ok": True, "problems": []}
    bad = livebuild.write_status(tmp_path, ["python/x.md:3: WARNING: 未知的引用"], RuntimeError("boom"))
    status = json.loads(bad.read_text(encoding="utf-8"))
    assert not status["ok"] and status["problems"][0].endswith("未知的引用")
    assert "RuntimeError: boom" in status["problems"][1]


def test_overlay_shows_the_problems_in_the_page(tmp_path, offline_page):
    """The page a reload brings shows the last build's problems; a clean build shows nothing."""
    static = tmp_path / "_static"
    static.mkdir()
    (static / livebuild.SCRIPT).write_text(
        (ROOT / "sphinx_kb" / "static" / "site" / livebuild.SCRIPT).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "python").mkdir()
    (tmp_path / "python" / "x.html").write_text(
        '<!doctype html><html data-content_root="../"><head><meta charset="utf-8">'
        '<script defer src="../_static/kb-build-status.js"></script></head><body><p>旧页面</p></body></html>',
        encoding="utf-8")
    server = _serve(tmp_path)
    url = f"http://127.0.0.1:{server.server_address[1]}/python/x.html"
    try:
        livebuild.write_status(tmp_path, ["python/x.md:3: WARNING: 未知的引用"], None)
        offline_page.goto(url)
        box = offline_page.locator(".kb-build-errors")
        box.wait_for()
        assert "1 个问题" in box.inner_text() and "python/x.md:3" in box.inner_text()
        livebuild.write_status(tmp_path, [], None)  # fixed: the next reload is clean
        offline_page.reload()
        offline_page.wait_for_load_state("networkidle")
        assert offline_page.locator(".kb-build-errors").count() == 0
    finally:
        server.shutdown()
