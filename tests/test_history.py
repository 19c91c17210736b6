"""贡献者 and 更新历史 (sphinx_kb.history) against `git log` of a fixture repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sphinx_kb import history
from sphinx_kb.metadata import Article, Update

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")


def _git(repo: Path, *args: str, author: tuple[str, str] | None = None, date: str = "") -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    if author:
        env.update(GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
                   GIT_COMMITTER_NAME=author[0], GIT_COMMITTER_EMAIL=author[1])
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


ALICE = ("Alice Zhang", "alice@example.org")
ALICE_ALIAS = ("azhang", "alice@old.example.org")  # mapped to Alice by .mailmap
BOB = ("Bob Li", "bob@example.org")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    article = tmp_path / "python" / "demo.md"
    article.parent.mkdir()
    (tmp_path / ".mailmap").write_text(f"{ALICE[0]} <{ALICE[1]}> <{ALICE_ALIAS[1]}>\n", encoding="utf-8")
    steps = [(ALICE_ALIAS, "2026-01-05T10:00:00+08:00", "first draft"),
             (BOB, "2026-02-10T09:00:00+08:00", "fix a formula"),
             (ALICE, "2026-02-10T18:00:00+08:00", "add an example"),
             (BOB, "2026-03-01T12:00:00+08:00", "rename")]
    for i, (author, date, message) in enumerate(steps):
        if message == "rename":  # --follow keeps the history across a rename
            _git(tmp_path, "mv", "python/demo.md", "python/renamed.md")
            article = tmp_path / "python" / "renamed.md"
        else:
            article.write_text(f"# Demo\n\n{'line ' * 50}\n" + f"change {i}\n", encoding="utf-8")
        (tmp_path / "other.txt").write_text(str(i), encoding="utf-8")  # touched by every commit
        _git(tmp_path, "add", "-A")
        _git(tmp_path, "commit", "-q", "-m", message, author=author, date=date)
    (tmp_path / "other.txt").write_text("unrelated", encoding="utf-8")
    _git(tmp_path, "commit", "-q", "-am", "unrelated change", author=BOB, date="2026-03-02T12:00:00+08:00")
    return tmp_path


def test_history_matches_git_log(repo):
    root = history.repository_root(repo)
    assert root == repo.resolve()
    commits = history.file_history(root, Path("python/renamed.md"))
    expected = _git(repo, "log", "--follow", "--use-mailmap", "--format=%H %aN %as %s", "--",
                    "python/renamed.md").splitlines()
    assert [f"{c.sha} {c.author} {c.date} {c.subject}" for c in commits] == expected
    assert [c.subject for c in commits] == ["rename", "add an example", "fix a formula", "first draft"]
    # .mailmap merged the alias: two contributors, not three; Alice has two commits, Bob two
    assert history.contributors(commits) == ["Alice Zhang", "Bob Li"]
    assert "azhang" not in {c.author for c in commits}


def test_history_merges_notes_and_commits(repo):
    commits = history.file_history(repo, Path("python/renamed.md"))
    days = history.merged_history([("2026-02-10", "修正公式并补充例子"), ("2026-04-01", "尚未提交的说明")],
                                  commits, published="2026-01-05")
    assert [d.date for d in days] == ["2026-04-01", "2026-03-01", "2026-02-10", "2026-01-05"]
    feb = days[2]
    assert feb.notes == ["修正公式并补充例子"]
    assert [c.subject for c in feb.commits] == ["add an example", "fix a formula"]
    assert days[3].first and [c.subject for c in days[3].commits] == ["first draft"]


def test_history_section_links_each_commit(repo):
    commits = history.file_history(repo, Path("python/renamed.md"))
    article = Article("python/renamed", title="Demo", date="2026-01-05",
                      updates=[Update("2026-02-10", "修正公式并补充例子")])
    section = history.history_section(article, commits, "https://github.com/someone/fork")
    text = section.astext()
    assert "贡献者：Alice Zhang、Bob Li" in text
    assert "修正公式并补充例子" in text and "修订" in text
    # the commit messages (English, as CONTRIBUTING asks) are the links' titles, not page text
    assert not [s for s in ("rename", "add an example", "fix a formula", "first draft") if s in text], text
    titles = [n["reftitle"] for n in section.findall(lambda n: n.tagname == "reference")]
    assert any(t.startswith("rename（") for t in titles), titles
    refs = [n["refuri"] for n in section.findall(lambda n: n.tagname == "reference")]
    assert refs == [f"https://github.com/someone/fork/commit/{c.sha}" for c in
                    sorted(commits, key=lambda c: c.date, reverse=True)]


def test_shallow_clone_degrades_to_notes(repo, tmp_path_factory):
    clone = tmp_path_factory.mktemp("shallow") / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    assert history.repository_root(clone) is None  # the last committer would get all the credit
    assert history.repository_root(tmp_path_factory.mktemp("not-a-repo")) is None
    article = Article("python/renamed", title="Demo", date="2026-01-05",
                      updates=[Update("2026-02-10", "修正公式")])
    section = history.history_section(article, [], "https://github.com/someone/fork")
    assert "修正公式" in section.astext() and "贡献者：" not in section.astext()
    assert not list(section.findall(lambda n: n.tagname == "reference"))


def test_history_is_deterministic(repo):
    first = history.file_history(repo, Path("python/renamed.md"))
    assert history.file_history(repo, Path("python/renamed.md")) == first


def test_invisible_characters_in_commit_metadata_are_dropped(tmp_path):
    """Names and messages come from pull requests: a right-to-left override in either would
    reverse what readers see in the tooltip (``gnp.exe``) and is not published."""
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.md").write_text("# a\n", encoding="utf-8")
    _git(tmp_path, "add", "a.md")
    _git(tmp_path, "commit", "-q", "-m", "fix\u202e gnp.exe\u200b", author=("Eve\u202e", "eve@example.org"))
    [commit] = history.file_history(tmp_path, Path("a.md"))
    assert (commit.subject, commit.author) == ("fix gnp.exe", "Eve")
