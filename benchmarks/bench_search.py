"""Search benchmark: our engine on Sphinx's index vs. Pagefind, on the same built site.

For each site (the real one, and the 1,000-article synthetic one from ``synthetic_kb.py``)
it reports, in headless Chromium:

* the bytes a first search transfers, gzip-compressed (each file the browser fetched for it,
  compressed with gzip -6 as a web server would): for ours, ``searchindex.js``,
  ``kb-search-data.js``, ``language_data.js`` and the text copies of the results listed; for
  Pagefind, its script, WebAssembly, entry and metadata files and the index chunks and
  fragments the query touched;
* the time from a query to its first result once the index is loaded (median over the
  queries of ``tests/search_queries.tsv``, or the synthetic site's article titles): ours is
  ``KBSearch.search`` plus rendering the list (without the panel's 60 ms typing debounce);
  Pagefind's is ``pagefind.search`` plus the first result's ``data()``;
* recall@3 of both on those queries.

Pagefind (``pagefind[extended]``, which segments Chinese with ICU) is not a dependency of the
site: pass its executable with ``--pagefind`` (e.g. from ``pip install --target DIR
'pagefind[extended]==1.5.2'``, then ``DIR/bin/pagefind_extended`` or ``python -m pagefind``).

Usage: ``.venv/bin/python benchmarks/bench_search.py [--real _build/html] [--synthetic 1000]
[--pagefind CMD]``. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import http.server
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
CHROMIUM = "/usr/bin/chromium"


def serve(directory: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                          ".wasm": "application/wasm"}

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6))


def build_synthetic(size: int, workdir: Path) -> Path:
    from bench_scale import prepare_ours

    src = prepare_ours(workdir, size)
    out = workdir / "html"
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "auto", str(src), str(out)],
                   cwd=src, check=True)
    return out


def queries_for(site: Path, real: bool) -> list[tuple[str, str]]:
    if real:
        rows = csv.reader((l for l in (ROOT / "tests/search_queries.tsv").open(encoding="utf-8")
                           if l.strip() and not l.startswith("#")), delimiter="\t")
        return [(q, e) for which, q, e in rows if which == "real"]
    import json

    text = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    pairs = [(t, d) for d, t in zip(index["docnames"], index["titles"]) if d.count("/") == 1 and not d.endswith("index")]
    return pairs[:: max(1, len(pairs) // 100)]


OURS = """async (queries) => {
  const t0 = performance.now();
  const input = document.querySelector("form.kb-search input[name=q]");
  input.dispatchEvent(new Event("focus"));  // what a reader's first click or keypress does
  while (!(window.Search && Search._index) || !window.KB_SEARCH_DATA) await new Promise((r) => setTimeout(r, 5));
  const load = performance.now() - t0;
  const times = [], tops = [];
  for (const q of queries) {
    const start = performance.now();
    const found = KBSearch.search(Search._index, KB_SEARCH_DATA, q);
    const list = document.createElement("ul");
    found.results.slice(0, 8).forEach((r) => { const li = list.appendChild(document.createElement("li")); li.textContent = r.title; });
    document.body.appendChild(list); list.getBoundingClientRect(); list.remove();
    times.push(performance.now() - start);
    tops.push(found.results.slice(0, 3).map((r) => r.docname));
  }
  return { load, times, tops };
}"""

PAGEFIND = """async (queries) => {
  const t0 = performance.now();
  const pagefind = await import("/pagefind/pagefind.js");
  await pagefind.init();
  await pagefind.preload(queries[0]);
  const load = performance.now() - t0;
  const times = [], tops = [];
  for (const q of queries) {
    const start = performance.now();
    const search = await pagefind.search(q);
    const first = search.results.length ? await search.results[0].data() : null;
    times.push(performance.now() - start);
    const top = [first, ...(await Promise.all(search.results.slice(1, 3).map((r) => r.data())))].filter((x) => x);
    tops.push(top.map((d) => d.url.replace(/^\\//, "").replace(/\\.html.*$/, "")));
  }
  return { load, times, tops };
}"""


def measure(site: Path, queries, script: str, page_path: str) -> dict:
    from playwright.sync_api import sync_playwright

    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        # transfer of a first search: a fresh page, one query
        page = browser.new_page()
        page.goto(f"{base}/{page_path}")
        fetched = []
        page.on("requestfinished", lambda r: fetched.append(r.url))
        first = page.evaluate(script, [queries[0][0]])
        page.wait_for_timeout(500)
        first_bytes = sum(gz(site / u.split(base + "/", 1)[1].split("?")[0]) for u in set(fetched)
                          if u.startswith(base) and (site / u.split(base + "/", 1)[1].split("?")[0]).is_file())
        # latency and recall over all queries, index loaded
        result = page.evaluate(script, [q for q, _ in queries])
        browser.close()
    server.shutdown()
    hits = sum(e in top for (_, e), top in zip(queries, result["tops"]))
    return {"first_search_gzip_kb": first_bytes / 1024, "load_ms": first["load"],
            "median_ms": statistics.median(result["times"]), "max_ms": max(result["times"]),
            "recall3": hits / len(queries), "n": len(queries)}


def report(name: str, site: Path, real: bool, pagefind: str | None) -> None:
    queries = queries_for(site, real)
    rows = [("ours (Sphinx index + kb-search-engine.js)", measure(site, queries, OURS, "index.html"))]
    if pagefind:
        subprocess.run([*shlex.split(pagefind), "--site", str(site), "--force-language", "zh"], check=True,
                       capture_output=True)
        rows.append(("Pagefind 1.5 (extended)", measure(site, queries, PAGEFIND, "index.html")))
    print(f"\n{name}: {len(queries)} queries")
    for label, r in rows:
        print(f"  {label:44s} first search {r['first_search_gzip_kb']:7.1f} KB gzip; index load {r['load_ms']:6.0f} ms; "
              f"query→first result median {r['median_ms']:5.1f} ms, max {r['max_ms']:5.1f} ms; recall@3 {r['recall3']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", default=str(ROOT / "_build" / "html"), help="the built real site")
    parser.add_argument("--synthetic", type=int, default=1000, help="articles of the synthetic site (0: skip)")
    parser.add_argument("--pagefind", default=None, help="command that runs Pagefind, e.g. 'python -m pagefind'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        real = Path(tmp) / "real"
        subprocess.run(["cp", "-r", args.real, str(real)], check=True)  # Pagefind writes into the site
        report("real site", real, True, args.pagefind)
        if args.synthetic:
            report(f"synthetic site, {args.synthetic} articles", build_synthetic(args.synthetic, Path(tmp)), False,
                   args.pagefind)


if __name__ == "__main__":
    main()
