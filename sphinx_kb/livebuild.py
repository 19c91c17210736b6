"""`make livehtml`: a failed build shows in the browser page, not only in the terminal.

sphinx-autobuild (2025.8.25) runs ``python -m sphinx`` after each change and reloads the
browser; when the build fails it keeps serving the last pages and says so only in the
terminal. With ``kb_live_errors = True`` (``make livehtml`` passes ``-D kb_live_errors=1``)
each build ends by writing ``_static/kb-build-status.json``: the warnings and errors it printed,
or the exception that stopped it. Every page then loads ``kb-build-status.js``, which reads that
file afresh after each reload and lays the problems over the page. Ordinary builds write
neither, so published pages stay as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

from sphinx.application import Sphinx

STATUS_FILE = "kb-build-status.json"
SCRIPT = "kb-build-status.js"


def status(messages: list[str], exception: BaseException | None) -> dict:
    problems = list(messages)
    if exception is not None:
        problems.append(f"构建中止：{type(exception).__name__}: {exception}")
    return {"ok": not problems, "problems": problems}


def write_status(outdir: Path, messages: list[str], exception: BaseException | None) -> Path:
    path = Path(outdir) / "_static" / STATUS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(status(messages, exception), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _install(app: Sphinx, config) -> None:
    if not config.kb_live_errors:
        return
    app.kb_live_errors = True  # problems are recorded by buildlog's recorder on Sphinx's handler
    app.add_js_file(SCRIPT, loading_method="defer")


def _finish(app: Sphinx, exception: Exception | None) -> None:
    recorder = getattr(app, "kb_problems", None)
    if not getattr(app, "kb_live_errors", False) or recorder is None or app.builder.format != "html" \
            or app.builder.name == "epub":
        return
    write_status(Path(app.outdir), recorder.messages, exception)


def setup(app: Sphinx) -> None:
    app.add_config_value("kb_live_errors", False, "html", types=[bool, int])
    app.connect("config-inited", _install)
    app.connect("build-finished", _finish)
