"""A build log that says what matters.

* left out: MyST's configuration dump and Sphinx's "Writing evaluated template result to ..."
  line for every templated static file, printed on every build and of no use to a contributor;
* kept: every warning and error, and they are counted as Sphinx shows them (after
  ``suppress_warnings``) so the end of the log can point back at them;
* the end says how many articles the site has and where to open it, e.g.
  「构建完成：39 篇文章，网站在 _build/html/index.html」.
"""

from __future__ import annotations

import logging as std_logging
import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.console import colorize

from .metadata import articles

logger = logging.getLogger(__name__)

SHOWN_LOCATIONS = 10


class QuietFilter(std_logging.Filter):
    """Drops the informational lines that every build prints and nobody reads."""

    def filter(self, record: std_logging.LogRecord) -> bool:
        if record.levelno >= std_logging.WARNING:
            return True
        if record.name.endswith("sphinx.util.fileutil"):  # "Writing evaluated template result to ..."
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is Sphinx's to report, not ours
            return True
        return "MdParserConfig(" not in message


class ProblemRecorder(std_logging.Filter):
    """Placed last on Sphinx's warning handler: sees what the reader of the log sees."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []  # each problem's location ("" where it has none)
        self.messages: list[str] = []  # each problem as the terminal shows it (livebuild shows them)

    def filter(self, record: std_logging.LogRecord) -> bool:
        location = getattr(record, "location", None)
        location = location if isinstance(location, str) and location else ""
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is still a problem
            text = str(record.msg)
        level = "ERROR" if record.levelno >= std_logging.ERROR else "WARNING"
        self.problems.append(location)
        self.messages.append(f"{location}: {level}: {text}" if location else f"{level}: {text}")
        return True


def install(app: Sphinx) -> ProblemRecorder:
    """Quiet Sphinx's handlers of this application (``logging.setup`` made them fresh)."""
    recorder = ProblemRecorder()
    for handler in std_logging.getLogger(logging.NAMESPACE).handlers:
        if not any(isinstance(f, QuietFilter) for f in handler.filters):
            handler.addFilter(QuietFilter())
        if isinstance(handler, logging.WarningStreamHandler):
            handler.addFilter(recorder)
    app.kb_problems = recorder
    return recorder


def _shown_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def output_path(app: Sphinx) -> Path:
    """What to open: the home page, the EPUB file, or the output folder."""
    outdir = Path(app.outdir)
    if app.builder.format == "html" and app.builder.name != "epub":
        return outdir / (app.config.root_doc + app.builder.out_suffix) if app.builder.name != "dirhtml" \
            else outdir / "index.html"
    if app.builder.name == "epub":
        return outdir / f"{app.config.epub_basename}.epub"
    return outdir


def summary(app: Sphinx) -> list[str]:
    count = len(articles(app.env))
    where = ("EPUB 在 " if app.builder.name == "epub" else "网站在 ") + _shown_path(output_path(app))
    problems = getattr(app, "kb_problems", None)
    found = problems.problems if problems else []
    if not found:
        return [f"构建完成：{count} 篇文章，{where}"]
    lines = [f"构建结束：{count} 篇文章，{where}；有 {len(found)} 个问题要处理（见上文），位置："]
    places = sorted({p for p in found if p})
    lines += [f"  → {p}" for p in places[:SHOWN_LOCATIONS]]
    if len(places) > SHOWN_LOCATIONS:
        lines.append(f"  → 还有 {len(places) - SHOWN_LOCATIONS} 处")
    return lines


def _finish(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name in ("linkcheck", "dummy"):
        return
    lines = summary(app)
    colour = "darkgreen" if len(lines) == 1 else "red"
    logger.info("")
    for line in lines:
        logger.info(colorize("bold", colorize(colour, line)))


def setup(app: Sphinx) -> None:
    install(app)
    app.connect("build-finished", _finish, priority=900)
