"""The safe TeX configuration renders every formula of the site exactly as before.

The site's formulas are rendered (and cached) by the safe renderer during the real build.
Here every one of them is rendered again with the configuration used before the safe mode
(all MathJax packages, no safe filter) and the two SVG+MathML renderings are compared.
"""

from __future__ import annotations

import json
import subprocess

from conftest import ROOT
from sphinx_kb.mathrender import _clean


def _render(items: list[list], reference: bool) -> list[tuple[str | None, str | None]]:
    env = {"KB_NODE_MODULES": str(ROOT / "node_modules"), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    if reference:
        env["KB_MATH_REFERENCE"] = "1"
    proc = subprocess.run(["node", str(ROOT / "sphinx_kb" / "static" / "render_math.cjs")],
                          input=json.dumps({"items": items}) + "\n", capture_output=True, text=True, env=env,
                          check=True)
    reply = json.loads(proc.stdout.splitlines()[1])
    return list(zip(reply["html"], reply["errors"]))


def test_every_formula_of_the_site_renders_as_before_the_safe_mode(real_site):
    cache = json.loads((real_site.outdir / ".doctrees" / "kb-math-cache.json").read_text(encoding="utf-8"))
    formulas = cache["formulas"]
    assert len(formulas) > 1000, "the site's formulas should all be in the render cache"
    items = [[key.split(":", 1)[1], key.startswith("1:")] for key in sorted(formulas)]
    reference = _render(items, reference=True)
    differ = [tex for (tex, _), (html, error) in zip(items, reference)
              if error is not None or _clean(html) != formulas[f"{int(_)}:{tex}"]]
    assert not differ, f"{len(differ)} formulas render differently in safe mode, e.g. {differ[:3]}"


def test_the_reference_mode_is_the_unsafe_one():
    """The comparison above means something: the reference renderer does take \\href."""
    items = [["\\href{https://example.com}{x}", False]]
    assert _render(items, reference=True)[0][1] is None
    assert "not allowed" in _render(items, reference=False)[0][1]
