"""Warm runs: a test that passed is not run again while nothing it depends on has changed.

A test's result is a function of its inputs: the project's files, the tools that run it and
the day (pages print the build date). This plugin keys each passing test by a digest of those
inputs and, on a later run with the same digest, reports it passed without running it (in the
summary as "reused", never as skipped). A clean clone, CI's case, has no cache and runs every
test; ``KB_TEST_CACHE=0`` runs every test anyway.

What a test depends on is declared, coarse to fine, with the ``inputs`` marker:

* no marker: **everything**, every file of the checkout (tracked or not ignored) and the
  commit checked out (pages show their git history);
* ``inputs("code")``: every file except the content (articles, category pages, glossary,
  home page): for tests that build the fixture site or pages of their own;
* ``inputs("code", param="path")``: the code plus the one file named by the test's ``path``
  parameter (each article's code run).

``digest()`` and the ``seen``/``remember`` pair serve finer caches inside a test (one notebook,
one page measured in the browser) with the same environment digest.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from _pytest.reports import TestReport

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sphinx_kb.metadata import CATEGORIES  # noqa: E402

CACHE = ROOT / "tests" / ".cache"
CONTENT_FOLDERS = tuple(CATEGORIES)
CONTENT_FILES = ("index.md", "glossary.md")
TOOLS = ("/usr/bin/chromium", "/usr/bin/pdftotext", sys.executable)
ENABLED = os.environ.get("KB_TEST_CACHE", "1") != "0"


def _sha(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def is_content(path: str) -> bool:
    first = path.split("/", 1)[0]
    return (first in CONTENT_FOLDERS and "/" in path) or path in CONTENT_FILES


@functools.cache
def _files() -> dict[str, str]:
    """Every file of the checkout git would see (tracked, or untracked and not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    found = {}
    for name in sorted(set(filter(None, listed))):
        path = ROOT / name
        if path.is_file():  # a deleted file is listed until the deletion is committed
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@functools.cache
def environment() -> str:
    """The tools and the day: Python, the browser, the pinned packages (the requirement and
    lock files are files of the checkout), the variables the build reads."""
    tools = []
    for tool in TOOLS:
        try:
            st = os.stat(tool)
            tools.append(f"{tool}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            tools.append(f"{tool}:missing")
    variables = sorted(f"{k}={v}" for k, v in os.environ.items()
                       if k.startswith(("KB_", "READTHEDOCS", "SOURCE_DATE_EPOCH")) and k != "KB_TEST_CACHE")
    return _sha(sys.version, platform.machine(), *tools, *variables, dt.date.today().isoformat())


@functools.cache
def tree(scope: str) -> str:
    files = _files()
    if scope == "code":
        return _sha(*(f"{name}:{digest}" for name, digest in files.items() if not is_content(name)))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return _sha(head, *(f"{name}:{digest}" for name, digest in files.items()))


def digest(*parts: str, scope: str = "code") -> str:
    """A key for work whose other inputs are ``parts``: the environment, the tree at ``scope``."""
    return _sha(environment(), tree(scope), *parts)


def seen(kind: str, key: str) -> bool:
    return ENABLED and (CACHE / kind / key).exists()


def remember(kind: str, key: str, value: str = "") -> None:
    folder = CACHE / kind
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{key}.{os.getpid()}"
    temporary.write_text(value, encoding="utf-8")
    temporary.replace(folder / key)


def recall(kind: str, key: str) -> str | None:
    return (CACHE / kind / key).read_text(encoding="utf-8") if seen(kind, key) else None


def item_key(item: pytest.Item) -> str:
    marker = item.get_closest_marker("inputs")
    scope = marker.args[0] if marker and marker.args else "everything"
    parts = [item.nodeid]
    param = marker.kwargs.get("param") if marker else None
    if param:
        path = Path(item.callspec.params[param])
        parts.append(hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing")
    return digest(*parts, scope=scope)


class PassCache:
    """The pytest plugin: reuse a pass whose key is known, remember each new pass."""

    def __init__(self) -> None:
        self.running: dict[str, str] = {}  # nodeid -> key, for the tests this process runs
        self.failed: set[str] = set()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        key = item_key(item)
        if not seen("passed", key):
            self.running[item.nodeid] = key
            return None  # run it as usual
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for when in ("setup", "call", "teardown"):
            ihook.pytest_runtest_logreport(report=TestReport(
                item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "passed", None, when,
                user_properties=[("kb_reused", True)]))
        item.session._setupstate.teardown_exact(nextitem)  # what the items before it set up
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        key = self.running.get(report.nodeid)
        if key is None:
            return
        if not report.passed:
            self.failed.add(report.nodeid)
        elif report.when == "teardown" and report.nodeid not in self.failed:
            remember("passed", key)


def reused(stats: dict) -> int:
    return sum(1 for report in stats.get("passed", ())
               if report.when == "call" and ("kb_reused", True) in [tuple(p) for p in report.user_properties])
