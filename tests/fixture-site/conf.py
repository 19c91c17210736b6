"""Fixture site for the pipeline's own tests: the real configuration, other pages."""

import os
import runpy
from pathlib import Path

# The repository root; tests that copy this site elsewhere point KB_ROOT at it.
_ROOT = Path(os.environ.get("KB_ROOT") or Path(__file__).resolve().parents[2])
globals().update(
    {k: v for k, v in runpy.run_path(str(_ROOT / "conf.py")).items() if not k.startswith("__")}
)
project = "测试知识库"
html_title = "测试知识库"
kb_node_modules = str(_ROOT / "node_modules")
# the test run's many builds of this site share its Mermaid verdicts and plot figures (under
# tests/.fixture-build/shared/, which every test run starts without)
kb_diagram_cache = str(_ROOT / "tests" / ".fixture-build" / "shared" / "mermaid-cache.json")
kb_plot_cache = str(_ROOT / "tests" / ".fixture-build" / "shared" / "plot-cache")

# Copies of this site in temporary folders are not git checkouts: no "last updated" there.
suppress_warnings = ["git"]
