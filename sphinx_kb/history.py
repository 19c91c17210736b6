"""Who wrote an article and what changed: 贡献者 and 更新历史 at each article's end.

Both come from the repository itself, with no network: ``git log --follow --use-mailmap`` of
the article's source (so ``.mailmap`` merges a contributor's aliases), merged with the
article's front-matter ``updates:`` notes. Commits link to the repository (``kb_repository_url``,
from the build environment as the edit links are, so a fork's site links the fork).

The output depends only on the checked-out commit: same commit, same pages. Where there is no
history to read (not a git checkout, git missing, or a shallow clone whose log would credit the
last committer with everything) the list degrades to the front-matter notes.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from . import sanitize
from .metadata import articles, is_article

logger = logging.getLogger(__name__)

_SEP = "\x1f"
_FORMAT = _SEP.join(["%H", "%aN", "%as", "%s"])


@dataclasses.dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # YYYY-MM-DD, the author date
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:7]


def _git(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                              encoding="utf-8", errors="replace")
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def repository_root(path: Path) -> Path | None:
    """The top of the git checkout holding ``path``; None where there is none to trust (no git,
    not a checkout, or a shallow clone)."""
    top = _git(path, "rev-parse", "--show-toplevel")
    if not top:
        return None
    if (_git(path, "rev-parse", "--is-shallow-repository") or "").strip() == "true":
        return None
    return Path(top.strip())


def file_history(root: Path, path: Path) -> list[Commit]:
    """The commits that touched ``path`` (following renames), newest first, authors mailmapped."""
    out = _git(root, "log", "--follow", "--use-mailmap", f"--format={_FORMAT}", "--", str(path))
    commits = []
    for line in (out or "").splitlines():
        parts = line.split(_SEP)
        if len(parts) == 4:  # names and messages come from pull requests: no invisible characters
            sha, author, date, subject = parts
            commits.append(Commit(sha, sanitize.visible(author), date, sanitize.visible(subject)))
    return commits


def contributors(commits: list[Commit]) -> list[str]:
    """Authors, most commits first; ties by name (a stable order for byte-identical builds)."""
    counts: dict[str, int] = {}
    for commit in commits:
        counts[commit.author] = counts.get(commit.author, 0) + 1
    return sorted(counts, key=lambda name: (-counts[name], name))


@dataclasses.dataclass
class Day:
    """One line of 更新历史: a date, the notes written for it and the commits made on it."""

    date: str
    notes: list[str] = dataclasses.field(default_factory=list)
    commits: list[Commit] = dataclasses.field(default_factory=list)
    first: bool = False  # the article's publication date


def merged_history(notes: list[tuple[str, str]], commits: list[Commit], published: str = "") -> list[Day]:
    """Front-matter notes (date, note) and commits grouped by date, newest first."""
    days: dict[str, Day] = {}
    for date, note in notes:
        days.setdefault(date, Day(date)).notes.append(note)
    for commit in commits:
        days.setdefault(commit.date, Day(commit.date)).commits.append(commit)
    if published:
        days.setdefault(published, Day(published)).first = True
    return [days[d] for d in sorted(days, reverse=True)]


# --- the build ----------------------------------------------------------------------------

def _repository_url(app: Sphinx) -> str:
    url = app.config.kb_repository_url or (app.config.html_theme_options or {}).get("source_repository", "")
    return url.rstrip("/")


def _collect(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Read every article's history once per build (main process); pages whose history
    changed since the last build are rewritten even when their source did not change."""
    root = repository_root(Path(app.srcdir))
    if root is None:
        logger.info("sphinx_kb: no full git history here (not a checkout, or a shallow clone): "
                    "更新历史 lists the front-matter notes only")
    history: dict[str, tuple[Commit, ...]] = {}
    for docname in sorted(articles(env)):
        if root is None:
            history[docname] = ()
            continue
        source = Path(env.doc2path(docname)).resolve()
        try:
            relative = source.relative_to(root)
        except ValueError:
            history[docname] = ()
            continue
        history[docname] = tuple(file_history(root, relative))
    old = getattr(env, "kb_history", {})
    env.kb_history = history
    return sorted(d for d, commits in history.items() if old.get(d) != commits and d in env.found_docs)


def history_section(article, commits: list[Commit], repository: str) -> nodes.section:
    block = nodes.section(ids=["kb-history"], classes=["kb-history"])
    block += nodes.title(text="贡献者与更新历史")
    names = contributors(commits)
    if names:
        para = nodes.paragraph(classes=["kb-contributors"])
        para += nodes.strong(text="贡献者：")
        para += nodes.Text("、".join(names))
        block += para
    days = merged_history([(u.date, u.note) for u in article.updates], commits, article.date)
    if not days:
        return block
    block += nodes.paragraph("", "", nodes.strong(text="更新历史"), classes=["kb-history-title"])
    listing = nodes.bullet_list(classes=["kb-history-list"])
    for day in days:
        # the notes, then the day's commits; a day with commits but no note says 修订: commit
        # messages are English (CONTRIBUTING) and stay in the links' titles, off the Chinese page
        texts = list(day.notes) or (["首次发布"] if day.first else ["修订"])
        listing += _history_item(day.date, "；".join(texts), day.commits, repository)
    block += listing
    return block


def _history_item(date: str, text: str, commits: list[Commit], repository: str) -> nodes.list_item:
    para = nodes.paragraph()
    para += nodes.inline(text=date, classes=["kb-date"])
    para += nodes.inline(text=text, classes=["kb-history-note"])
    if commits:
        links = nodes.inline(classes=["kb-commits"])
        for i, commit in enumerate(commits):
            if i:
                links += nodes.Text(" ")
            if repository:
                links += nodes.reference("", commit.short, internal=False, refuri=f"{repository}/commit/{commit.sha}",
                                         reftitle=f"{commit.subject}（{commit.author}）")
            else:
                links += nodes.literal(text=commit.short)
        para += links
    return nodes.list_item("", para)


def _add_history(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not is_article(docname) or docname not in articles(app.env):
        return
    section = doctree.next_node(nodes.section)
    if section is None:
        return
    commits = list(getattr(app.env, "kb_history", {}).get(docname, ()))
    section += history_section(articles(app.env)[docname], commits, _repository_url(app))


def setup(app: Sphinx) -> None:
    app.add_config_value("kb_repository_url", "", "html", types=[str])
    app.connect("env-get-updated", _collect)
    app.connect("doctree-resolved", _add_history, priority=600)
