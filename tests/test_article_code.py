"""Every Python block of every article runs; shown output equals real output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from article_code import collect_blocks, run_article
from conftest import FIXTURE_SITE, ROOT, article_files

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")

ARTICLES = article_files()


@pytest.mark.inputs("code", param="path")  # the code and this one article
@pytest.mark.parametrize("path", ARTICLES, ids=[p.relative_to(ROOT).as_posix() for p in ARTICLES])
def test_article_code_runs(path, record_property):
    result = run_article(path)
    record_property("blocks_ran", result.ran)
    record_property("blocks_marked", result.marked)
    problems = result.problems()
    assert not problems, "\n\n".join(problems)


def test_fixture_blocks_run_and_match():
    result = run_article(FIXTURE_SITE / "python" / "shared-weights.md")
    assert result.problems() == []
    assert (result.ran, result.marked) == (1, 1)
    assert run_article(FIXTURE_SITE / "python" / "ddp.md").problems() == []


def test_wrong_output_is_reported_with_its_line(tmp_path):
    page = tmp_path / "page.md"
    text = (FIXTURE_SITE / "python" / "shared-weights.md").read_text(encoding="utf-8")
    page.write_text(text.replace("(3, 3)\n```", "(4, 4)\n```"), encoding="utf-8")
    problems = run_article(page).problems()
    line = text.splitlines().index("```output") + 1
    assert len(problems) == 1 and f"page.md:{line}:" in problems[0] and "(4, 4)" in problems[0]


def test_a_block_that_raises_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# t\n\n```python\nx = 1\n```\n\n```python\nraise ValueError('boom')\n```\n", encoding="utf-8")
    problems = run_article(page).problems()
    assert len(problems) == 1 and "ValueError: boom" in problems[0] and 'page.md", line 8' in problems[0]


def test_failed_doctest_session_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# t\n\n```pycon\n>>> 1 + 1\n3\n```\n", encoding="utf-8")
    problems = run_article(page).problems()
    assert problems and "doctest session" in problems[0]


def test_blocks_inside_directives_are_collected():
    text = ":::{note}\n```python\nprint(1)\n```\n:::\n\n````{tip}\n```python\nprint(2)\n```\n````\n"
    assert [b.code for b in collect_blocks(text)] == ["print(1)\n", "print(2)\n"]


def test_output_block_must_follow_code():
    with pytest.raises(ValueError, match="must directly follow"):
        collect_blocks("# t\n\nsome text\n\n```output\n1\n```\n")


def test_article_code_gets_no_secrets_and_its_process_group_is_killed(tmp_path, monkeypatch):
    """Article code is untrusted: it sees none of the CI job's variables, and what it leaves
    running (here a child that would outlive it) dies with it when it runs out of time."""
    monkeypatch.setenv("KB_SECRET_TOKEN", "s3cret")
    marker = tmp_path / "child-still-alive"
    page = tmp_path / "page.md"
    page.write_text(
        "---\ndate: 2026-01-01\ncategory: Python\n---\n\n# 测试\n\n```python\nimport os, subprocess, sys\n"
        "assert not [k for k in os.environ if 'SECRET' in k or 'TOKEN' in k], sorted(os.environ)\n"
        f"child = 'import time; time.sleep(3); open(%r, \"w\")' % {str(marker)!r}\n"
        "subprocess.Popen([sys.executable, '-c', child])\n"
        "while True:\n    pass\n```\n", encoding="utf-8")
    result = run_article(page, timeout=1)
    problems = result.problems()
    assert len(problems) == 1 and "were still running after 1 s and were stopped" in problems[0], problems
    assert "AssertionError" not in problems[0]
    import time

    time.sleep(3.5)
    assert not marker.exists(), "a child of the article's code outlived the time limit"
