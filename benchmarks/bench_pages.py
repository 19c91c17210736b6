"""Page benchmark: Lighthouse (mobile profile) on each page type of the built site.

Serves the built site the way Read the Docs does (text compressed with gzip) from a local
server, runs Lighthouse from ``benchmarks/node_modules`` against Debian's Chromium, and prints
for each page type the median of several runs: the four category scores, the largest
metrics, the bytes transferred and the number of requests.

Page types: the home page, a category page, the 最近更新 page, the glossary, a text-only
article (the article with the least math, diagrams and images), the heaviest article with both
math and a diagram, and the search results page for a real query.

Fonts: Chromium sees the fonts a reader's device has, that is the system's plus a Chinese font
(Noto Sans CJK SC from the pinned mplfonts package, added through fontconfig). A build machine
often has no CJK font at all; Chromium then falls back glyph by glyph and draws tofu, which
costs more text shaping than any real reader's phone spends. ``--system-fonts`` measures that
bare machine instead.

Usage: ``.venv/bin/python benchmarks/bench_pages.py [--runs 3] [--site _build/html] [--before DIR]
[--system-fonts]`` (``make bench`` builds the site and installs Lighthouse first). ``--before``
names another build of the site (an earlier commit's ``_build/html``): each page is then
measured on both, run for run in turn, so that the two columns share the machine's state, and
both tables print.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sphinx_kb.diagram_render import reader_fontconfig  # noqa: E402
LIGHTHOUSE = ROOT / "benchmarks" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")
COMPRESSED = (".html", ".css", ".js", ".mjs", ".svg", ".json", ".xml", ".txt")
SEARCH_QUERY = "梯度检查点"


class CompressingHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, text gzip-compressed when the client accepts it (as the real host does)."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix not in COMPRESSED or "gzip" not in self.headers.get("Accept-Encoding", "")
                or not path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=1200")  # what Read the Docs sends for pages
        self.end_headers()
        return io.BytesIO(body)


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(CompressingHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def page_features(html: str) -> tuple[int, int, int]:
    # formulas, diagrams (drawn at build time: one light and one dark image each), images
    return html.count("<mjx-container"), html.count('class="kb-diagram"'), html.count("<img")


def pick_pages(site: Path) -> dict[str, str]:
    articles = {}
    for path in sorted(site.glob("*/*.html")):
        if path.parent.name in ("python", "large-model", "computer-vision") and path.name != "index.html":
            articles[path.relative_to(site).as_posix()] = page_features(path.read_text(encoding="utf-8"))
    text_only = min(articles, key=lambda page: (sum(articles[page]), page))
    with_both = [page for page, (math, diagrams, _) in articles.items() if math and diagrams]
    heaviest = max(with_both, key=lambda page: (articles[page][0], page))
    return {
        "home": "index.html",
        "category page (large-model)": "large-model/index.html",
        "latest updates": "updates/index.html",
        "glossary": "glossary.html",
        f"text article ({text_only})": text_only,
        f"math + diagram article ({heaviest}, {articles[heaviest][0]} formulas)": heaviest,
        f"search results ({SEARCH_QUERY})": "search.html?q=" + SEARCH_QUERY,
    }


def lighthouse(url: str, workdir: Path, fontconfig: Path | None = None) -> dict:
    report = workdir / "report.json"
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    if fontconfig is not None:
        env["FONTCONFIG_FILE"] = str(fontconfig)
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
         "--only-categories=" + ",".join(CATEGORIES),
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"],
        check=True, env=env, cwd=workdir,
    )
    return json.loads(report.read_text(encoding="utf-8"))


def summarize(report: dict) -> dict:
    audits = report["audits"]
    failing = sorted(
        f"{category['id']}:{ref['id']}"
        for category in report["categories"].values() for ref in category["auditRefs"]
        if ref.get("weight") and audits[ref["id"]].get("score") is not None and audits[ref["id"]]["score"] < 1
        and category["id"] != "performance")
    return {
        **{c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES},
        **{m: audits[m]["numericValue"] for m in METRICS},
        "bytes": audits["total-byte-weight"]["numericValue"],
        "requests": len(audits["network-requests"]["details"]["items"]),
        "failing": failing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--before", type=Path, help="another build of the site, measured in turn with this one")
    parser.add_argument("--system-fonts", action="store_true",
                        help="only the machine's fonts (often no CJK font), not a reader's")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} is missing: run `npm ci --prefix benchmarks` (`make bench` does)")
    sites = {"before": args.before, "this build": args.site} if args.before else {"this build": args.site}
    servers = {label: serve(site) for label, site in sites.items()}
    tables: dict[str, list] = {label: [] for label in sites}
    with tempfile.TemporaryDirectory(prefix="kb-lighthouse-") as tmp:
        fontconfig = None if args.system_fonts else reader_fontconfig(Path(tmp))
        if fontconfig is None and not args.system_fonts:
            sys.exit("the pinned Chinese font (mplfonts, requirements.txt) is missing: "
                     "install the requirements or pass --system-fonts")
        for name, page in pick_pages(args.site).items():
            runs: dict[str, list] = {label: [] for label in sites}
            for _ in range(args.runs):
                for label, (_server, base) in servers.items():
                    runs[label].append(summarize(lighthouse(base + page, Path(tmp), fontconfig)))
            for label, measured in runs.items():
                row = {key: statistics.median(run[key] for run in measured) for key in measured[0] if key != "failing"}
                row["failing"] = sorted({audit for run in measured for audit in run["failing"]})
                tables[label].append((name, row))
            print(name + ": performance " + ", ".join(f"{label} {rows[-1][1]['performance']:.0f}"
                                                     for label, rows in tables.items()), flush=True)
    for server, _base in servers.values():
        server.shutdown()

    print(f"\nLighthouse {lighthouse_version()}, mobile profile (simulated slow 4G, 4x CPU slowdown), "
          f"Debian Chromium, medians of {args.runs} runs, pages gzip-compressed as on the real host, "
          + ("the machine's fonts only" if args.system_fonts else "a reader's fonts (system + Noto Sans CJK SC)"))
    for label, rows in tables.items():
        if len(tables) > 1:
            print(f"\n{label} ({sites[label]})")
        missed = print_table(rows)
    print("\ntargets for this build (performance >= 95, accessibility, best practices and SEO = 100): "
          + ("all met" if not missed else "missed:\n  " + "\n  ".join(missed)))
    return 0


def print_table(rows: list) -> list[str]:
    header = f"{'page':<62} {'perf':>4} {'a11y':>4} {'bp':>4} {'seo':>4} {'FCP s':>6} {'LCP s':>6} {'TBT ms':>6} " \
             f"{'CLS':>5} {'KiB':>6} {'req':>4}"
    print(header)
    missed = []
    for name, row in rows:
        print(f"{name:<62} {row['performance']:>4.0f} {row['accessibility']:>4.0f} {row['best-practices']:>4.0f} "
              f"{row['seo']:>4.0f} {row['first-contentful-paint'] / 1000:>6.2f} "
              f"{row['largest-contentful-paint'] / 1000:>6.2f} {row['total-blocking-time']:>6.0f} "
              f"{row['cumulative-layout-shift']:>5.3f} {row['bytes'] / 1024:>6.0f} {row['requests']:>4.0f}")
        missed += [f"{name}: {c} {row[c]:.0f} < {t}" for c, t in TARGETS.items() if row[c] < t]
        missed += [f"{name}: failing audit {audit}" for audit in row["failing"]]
    return missed


def lighthouse_version() -> str:
    package = LIGHTHOUSE.resolve().parents[1] / "package.json"
    return json.loads(package.read_text(encoding="utf-8"))["version"]


if __name__ == "__main__":
    sys.exit(main())
