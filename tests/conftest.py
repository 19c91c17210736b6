"""Shared fixtures: built sites, a local web server and real headless Chromium."""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import json
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SITE = ROOT / "tests" / "fixture-site"
BUILD_ROOT = ROOT / "tests" / ".fixture-build"
# the real and fixture sites are built once per test run and shared by the pytest-xdist workers
SHARED_BUILD = BUILD_ROOT / "shared"
CATEGORIES = ("python", "large-model", "computer-vision")
CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")


@dataclasses.dataclass
class BuiltSite:
    srcdir: Path
    outdir: Path
    returncode: int
    log: str

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.log.splitlines() if "WARNING" in line or "ERROR" in line]

    def html(self, page: str) -> str:
        return (self.outdir / page).read_text(encoding="utf-8")


def site_pages(outdir: Path) -> list[Path]:
    """The site's HTML pages; ``_search/`` holds the pages' text copies that search results
    are cut from (sphinx_kb.search), not pages."""
    return sorted(p for p in outdir.rglob("*.html") if p.relative_to(outdir).parts[0] != "_search")


def build_site(srcdir: Path, outdir: Path, *extra: str, clean: bool = True) -> BuiltSite:
    """Run sphinx-build as `make html` does (-W --keep-going -n) and keep its log."""
    if clean and outdir.exists():
        shutil.rmtree(outdir)
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", *extra,
         str(srcdir), str(outdir)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "KB_ROOT": str(ROOT)},
        timeout=600,  # a build that hangs fails the test instead of the whole run
    )
    return BuiltSite(srcdir, outdir, proc.returncode, proc.stdout + proc.stderr)


def article_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for c in CATEGORIES for p in (root / c).glob("*.md") if p.name != "index.md")


def shared_build(name: str, srcdir: Path, *extra: str) -> BuiltSite:
    """Build a site once per test run: the first worker to ask builds it (under a lock),
    the others reuse it; nobody rebuilds or deletes it while the run lasts."""
    SHARED_BUILD.mkdir(parents=True, exist_ok=True)
    outdir = SHARED_BUILD / name
    record = SHARED_BUILD / f"{name}.json"
    with open(SHARED_BUILD / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            saved = json.loads(record.read_text(encoding="utf-8"))
            return BuiltSite(srcdir, outdir, saved["returncode"], saved["log"])
        start = time.perf_counter()
        site = build_site(srcdir, outdir, *extra)
        if name == "real":
            report_line(f"real site clean build (-W -n -j auto): {time.perf_counter() - start:.1f} s, "
                        f"{len(site.warnings)} warnings")
        record.write_text(json.dumps({"returncode": site.returncode, "log": site.log}), encoding="utf-8")
        return site


@pytest.fixture(scope="session")
def real_site() -> BuiltSite:
    site = shared_build("real", ROOT, "-j", "auto")
    assert site.returncode == 0, f"the real site failed to build:\n{site.log[-4000:]}"
    return site


@pytest.fixture(scope="session")
def fixture_site() -> BuiltSite:
    site = shared_build("fixture", FIXTURE_SITE)
    assert site.returncode == 0, f"the fixture site failed to build:\n{site.log[-4000:]}"
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript"}

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the browser closing a connection early is not a test failure


def _serve(directory: Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def fixture_server(fixture_site):
    server = _serve(fixture_site.outdir)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def real_server(real_site):
    server = _serve(real_site.outdir)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def offline_page(browser):
    """A page whose every request to anything but localhost is blocked and recorded."""
    context = browser.new_context()
    page = context.new_page()
    page.blocked = []
    page.console_errors = []

    def route(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")):
            route.continue_()
        else:
            page.blocked.append(url)
            route.abort()

    context.route("**/*", route)
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))
    yield page
    context.close()


# --- warm runs reuse passes whose inputs are unchanged (tests/passcache.py) -------------------

def pytest_configure(config):
    import passcache

    config.pluginmanager.register(passcache.PassCache(), "kb-passcache")


# --- markers: browser tests (skipped by `make test-fast`), the full PDF (`make test-pdf`) ------

_BROWSER_FIXTURES = {"browser", "offline_page"}


def pytest_collection_modifyitems(config, items):
    # The whole-site PDF takes minutes: `make test-pdf` runs it; otherwise it is not collected
    # (deselected, not skipped: the suite CI runs has no skipped tests)
    run_pdf = "pdf" in (config.getoption("markexpr") or "") or os.environ.get("KB_TEST_PDF") == "1"
    kept, dropped = [], []
    for item in items:
        if _BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        (dropped if item.get_closest_marker("pdf") and not run_pdf else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# --- the figures the suite reports at its end (also under pytest-xdist) ----------------------

REPORT_FILE = BUILD_ROOT / "report.txt"


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller, not an xdist worker
        REPORT_FILE.unlink(missing_ok=True)
        shutil.rmtree(SHARED_BUILD, ignore_errors=True)  # every run builds the sites afresh


def report_line(text: str) -> None:
    """Record a figure for the summary printed at the end of the run."""
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with REPORT_FILE.open("a", encoding="utf-8") as f:
        f.write(text + "\n")


def pytest_terminal_summary(terminalreporter):
    if hasattr(terminalreporter.config, "workerinput"):
        return
    from article_code import collect_blocks

    articles = article_files()
    blocks = [b for p in articles for b in collect_blocks(p.read_text(encoding="utf-8"))]
    ran = sum(b.kind in ("run", "session") for b in blocks)
    marked = sum(b.kind == "no-run" for b in blocks)
    terminalreporter.write_sep("-", "knowledge base figures")
    terminalreporter.write_line(f"articles: {len(articles)}; python blocks executed: {ran}; marked not runnable: {marked}")
    import passcache

    reused = passcache.reused(terminalreporter.stats)
    if reused:
        terminalreporter.write_line(
            f"reused: {reused} tests passed on an earlier run with the same inputs and were not run again "
            "(tests/passcache.py; KB_TEST_CACHE=0 runs every test)")
    if REPORT_FILE.exists():
        for line in dict.fromkeys(REPORT_FILE.read_text(encoding="utf-8").splitlines()):
            terminalreporter.write_line(line)
