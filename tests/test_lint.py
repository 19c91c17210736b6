"""`make lint` passes on the site, and the linters it runs do catch what they are for."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import ROOT

BIN = ROOT / "node_modules" / ".bin"
BAD = "# 标题\n\n中文English混排,数字3个。\n\n* 星号列表\n\n```\nno language\n```\n\n### 跳级标题\n"


def test_make_lint_passes():
    proc = subprocess.run(["make", "-s", "lint"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_markdownlint_catches_structure(tmp_path: Path):
    (tmp_path / "bad.md").write_text(BAD, encoding="utf-8")
    proc = subprocess.run([BIN / "markdownlint-cli2", "--config", ROOT / ".markdownlint-cli2.yaml", "bad.md"],
                          cwd=tmp_path, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for rule in ("MD004/ul-style", "MD040/fenced-code-language", "MD001/heading-increment"):
        assert f"bad.md" in out and rule in out, out


def test_autocorrect_catches_and_fixes_spacing(tmp_path: Path):
    from sphinx_kb import copywriting

    page = tmp_path / "bad.md"
    page.write_text(BAD + "\n```python\nprint('代码English不改')\n```\n", encoding="utf-8")
    assert copywriting.main([str(page)]) == 1
    assert copywriting.main(["--fix", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "中文 English 混排，数字 3 个。" in text  # spacing fixed, the comma made full-width
    assert "print('代码English不改')" in text  # code is not prose
    assert copywriting.main([str(page)]) == 0


def test_new_article_template_passes_lint(tmp_path: Path):
    import datetime as dt

    from sphinx_kb import copywriting
    from sphinx_kb.new_article import create

    (tmp_path / "large-model").mkdir()
    page = create("large-model", "kv-cache", "KV Cache 入门", root=tmp_path, today=dt.date(2026, 3, 1))
    proc = subprocess.run([BIN / "markdownlint-cli2", "--config", ROOT / ".markdownlint-cli2.yaml",
                           "large-model/kv-cache.md"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert copywriting.main([str(page)]) == 0
