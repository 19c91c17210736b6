"""Build benchmarks, measured side by side in one run; prints medians and ratios.

1. Our full clean build vs. a plain Sphinx + MyST + furo build of the same pages (the cost
   of our extension, build-time math included). Runs alternate: ours, plain, ours, plain...
   The plain build cannot run ``{plot}`` in Markdown and skips the figures, so the pair is
   measured twice: on the real pages, and on a copy whose ``{plot}`` blocks are plain code
   blocks (the same work on both sides: the overhead of everything but the figures).
2. An incremental rebuild after editing one article's body vs. a rebuild with no change.

Usage: ``.venv/bin/python benchmarks/bench_build.py [--runs 5] [-j auto]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY = ["conf.py", "index.md", "glossary.md", "redirects.yaml", "python", "large-model", "computer-vision",
        "_static", "_templates", "locale", "sphinx_kb"]
PLAIN_CONF = '''
project = "plain"
language = "zh_CN"
extensions = ["myst_parser", "sphinx_copybutton", "sphinxcontrib.mermaid", "sphinx.ext.mathjax"]
myst_enable_extensions = ["amsmath", "colon_fence", "deflist", "dollarmath", "fieldlist", "substitution", "tasklist"]
include_patterns = ["index.md", "glossary.md", "python/**", "large-model/**", "computer-vision/**"]
html_theme = "furo"
html_search_options = {"dict": "%s"}
''' % (ROOT / "sphinx_kb" / "data" / "jieba_userdict.txt")


def sphinx(srcdir: Path, outdir: Path, confdir: Path | None, jobs: str) -> float:
    conf = ["-c", str(confdir)] if confdir is not None else []
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", jobs, *conf, str(srcdir), str(outdir)]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=srcdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def site_copy(workdir: Path, name: str = "site", plots: bool = True) -> Path:
    """A copy of the site's sources (so the benchmark can edit an article) with the same
    git history for "last updated" dates and the same node_modules; without plots, each
    ``{plot}`` block becomes a Python code block."""
    src = workdir / name
    src.mkdir()
    for entry in COPY:
        path = ROOT / entry
        if path.exists():  # _templates/ is optional: the site has none of its own today
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, src / entry)
    if not plots:
        for page in src.glob("*/*.md"):
            text = page.read_text(encoding="utf-8")
            page.write_text(text.replace("```{plot}", "```python"), encoding="utf-8")
    (src / "node_modules").symlink_to(ROOT / "node_modules")
    (src / ".git").symlink_to(ROOT / ".git")
    return src


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-j", "--jobs", default="1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        work = Path(tmp)
        src = site_copy(work)
        noplot = site_copy(work, "site-without-plots", plots=False)
        plain_conf = work / "plain-conf"
        plain_conf.mkdir()
        (plain_conf / "conf.py").write_text(PLAIN_CONF, encoding="utf-8")

        ours, plain, ours_np, plain_np = [], [], [], []
        for run in range(args.runs):
            for out in ("ours", "plain", "ours-np", "plain-np"):
                shutil.rmtree(work / out, ignore_errors=True)
            ours.append(sphinx(src, work / "ours", None, args.jobs))
            plain.append(sphinx(src, work / "plain", plain_conf, args.jobs))
            ours_np.append(sphinx(noplot, work / "ours-np", None, args.jobs))
            plain_np.append(sphinx(noplot, work / "plain-np", plain_conf, args.jobs))
            print(f"clean build run {run + 1}: ours {ours[-1]:.1f} s, plain {plain[-1]:.1f} s; "
                  f"without plots: ours {ours_np[-1]:.1f} s, plain {plain_np[-1]:.1f} s", flush=True)

        article = src / "large-model" / "adam-adamw.md"
        text = article.read_text(encoding="utf-8")
        nochange, edited = [], []
        for run in range(args.runs):
            nochange.append(sphinx(src, work / "ours", None, args.jobs))
            article.write_text(text.replace("一句话的答案是", f"一句话的答案({run})是", 1), encoding="utf-8")
            edited.append(sphinx(src, work / "ours", None, args.jobs))
            print(f"rebuild run {run + 1}: no change {nochange[-1]:.2f} s, one article edited {edited[-1]:.2f} s",
                  flush=True)

    print()
    articles = [p for c in ("python", "large-model", "computer-vision") for p in (ROOT / c).glob("*.md")
                if p.name != "index.md"]
    print(f"pages: {len(articles)} articles; -j {args.jobs}; "
          f"medians of {args.runs} runs")
    print(f"clean build, ours (math rendered at build time): {median(ours):.1f} s")
    print(f"clean build, plain Sphinx + MyST + furo:           {median(plain):.1f} s")
    print(f"  ratio ours/plain (ours also draws the figures):   {median(ours) / median(plain):.2f}x")
    print(f"same pages with {{plot}} as code blocks, ours:        {median(ours_np):.1f} s")
    print(f"same pages with {{plot}} as code blocks, plain:       {median(plain_np):.1f} s")
    print(f"  overhead ratio ours/plain, like for like:         {median(ours_np) / median(plain_np):.2f}x"
          "  (target <= 1.10x)")
    print(f"rebuild with no change:                             {median(nochange):.2f} s")
    print(f"rebuild after editing one article's body:           {median(edited):.2f} s")
    print(f"  ratio edited/no-change:                           {median(edited) / median(nochange):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
