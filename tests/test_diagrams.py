"""Mermaid diagrams are parsed before they reach a reader.

A syntax error in a diagram would otherwise only show up in the reader's browser as a red
"Syntax error in text" box. We parse every diagram of every article with the very Mermaid
bundle the site serves, in headless Chromium, and report the file and line of each failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_kb.articlecode import _parser, _split_directive_body
from conftest import FIXTURE_SITE, article_files


def mermaid_blocks(path: Path) -> list[tuple[int, str]]:
    """(line of the first diagram line, diagram source) for each {mermaid} block."""
    blocks = []
    for token in _parser().parse(path.read_text(encoding="utf-8")):
        if token.type in ("fence", "colon_fence") and token.info.strip().startswith("{mermaid}") and token.map:
            _, body, skipped = _split_directive_body(token.content)
            blocks.append((token.map[0] + 2 + skipped, body))
    return blocks


def parse_errors(page, base_url: str, files: list[Path]) -> list[str]:
    page.goto(f"{base_url}/index.html")
    page.evaluate("async () => { window.kbMermaid = (await import('./_static/vendor/mermaid/mermaid.esm.min.mjs')).default; }")
    errors = []
    for path in files:
        for line, source in mermaid_blocks(path):
            message = page.evaluate(
                "async (src) => { try { await window.kbMermaid.parse(src); return null; }"
                " catch (e) { return String(e.message || e).split('\\n').slice(0, 4).join(' '); } }", source)
            if message:
                errors.append(f"{path}:{line}: Mermaid syntax error: {message}")
    return errors


def test_every_diagram_of_the_site_parses(offline_page, real_server):
    files = article_files()
    assert sum(len(mermaid_blocks(p)) for p in files) >= 20
    assert parse_errors(offline_page, real_server, files) == []


def test_broken_diagram_is_reported_with_its_line(offline_page, fixture_server, tmp_path):
    page = tmp_path / "broken.md"
    good = (FIXTURE_SITE / "large-model" / "memory.md").read_text(encoding="utf-8")
    page.write_text(good + "\n```{mermaid}\nflowchart LR\n  A[开始 --> B\n```\n", encoding="utf-8")
    line = len(good.splitlines()) + 3
    errors = parse_errors(offline_page, fixture_server, [page])
    assert len(errors) == 1 and f"broken.md:{line}: Mermaid syntax error" in errors[0], errors


@pytest.mark.parametrize("path", [FIXTURE_SITE / "large-model" / "memory.md"])
def test_fixture_diagram_parses(offline_page, fixture_server, path):
    assert parse_errors(offline_page, fixture_server, [path]) == []
    assert mermaid_blocks(path)[0][0] == path.read_text(encoding="utf-8").splitlines().index("```{mermaid}") + 2
