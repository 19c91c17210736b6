"""Scale benchmark: our build vs. MkDocs Material on the same synthetic knowledge base.

For each size (30, 300 and 1,000 articles by default) ``synthetic_kb.py`` writes the same
corpus twice, as our MyST sources and as MkDocs Markdown. Clean builds then alternate,
ours, MkDocs, ours, MkDocs..., and the script prints the median wall time of each. Peak
memory (PSS of the whole process tree, so forked Sphinx workers are not counted twice) is
taken in one more build of each, sampled every 0.25 s: reading PSS walks the page tables of
every process, which took about 3 s of CPU during one of our 1,000-article builds and
would slow the timed builds, ours more than MkDocs' single process. At the largest size it
also times a rebuild with no change and a rebuild after editing one article's body.

Our build runs as ``make html`` does (``-W --keep-going -n -j`` cores + 1). MkDocs runs
``mkdocs build --strict`` from ``benchmarks/.venv-mkdocs`` (``make bench`` creates it from
``benchmarks/requirements-mkdocs.txt``), with jieba installed so its search segments Chinese
as ours does.

Usage: ``.venv/bin/python benchmarks/bench_scale.py [--sizes 30,300,1000] [--runs 3]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_kb import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = ROOT / "benchmarks" / ".venv-mkdocs" / "bin" / "mkdocs"
# what a site built with our extension needs besides its pages
SITE_FILES = ["conf.py", "_static", "locale", "sphinx_kb", "node_modules"]


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except OSError:
            pass
    return pids


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd: list[str], cwd: Path, memory: bool = False) -> tuple[float, float]:
    """Wall seconds of a command; with ``memory``, also its peak memory (MiB, PSS summed over
    the process tree, sampled every 0.25 s), else 0."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()
    if not memory:
        done.set()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_pss_kib(pid) for pid in _tree(proc.pid)))
            done.wait(0.25)  # reading PSS walks page tables: sample sparingly, not to slow the build

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed in {cwd}:\n{stderr[-3000:]}")
    return elapsed, peak / 1024


def prepare_ours(workdir: Path, size: int) -> Path:
    src = workdir / f"ours-{size}"
    generate(src, size, "myst")
    for name in SITE_FILES:
        (src / name).symlink_to(ROOT / name)
    # "last updated" dates come from git, as on the real site
    git = ["git", "-c", "user.email=bench@example.invalid", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], cwd=src, check=True)
    subprocess.run([*git, "add", "-A"], cwd=src, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "corpus"], cwd=src, check=True)
    return src


def prepare_mkdocs(workdir: Path, size: int) -> Path:
    src = workdir / f"mkdocs-{size}"
    generate(src, size, "mkdocs")
    return src


def ours_cmd(src: Path, jobs: str) -> list[str]:
    return [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-n", "-j", jobs,
            str(src), str(src / "_build" / "html")]


def mkdocs_cmd(src: Path) -> list[str]:
    return [str(MKDOCS), "build", "--strict", "-q", "-f", str(src / "mkdocs.yml")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30,300,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-j", "--jobs", default=str((os.cpu_count() or 1) + 1), help="as make html: cores + 1")
    args = parser.parse_args()
    if not MKDOCS.exists():
        sys.exit(f"{MKDOCS} is missing: `make bench` creates it from benchmarks/requirements-mkdocs.txt")
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[int, dict[str, list | tuple]] = {}
    rebuild: dict[str, list[float]] = {"no change": [], "one article edited": []}
    with tempfile.TemporaryDirectory(prefix="kb-scale-") as tmp:
        work = Path(tmp)
        for size in sizes:
            ours, mkdocs = prepare_ours(work, size), prepare_mkdocs(work, size)
            results[size] = {"ours": [], "mkdocs": []}
            for run in range(args.runs + 1):
                memory = run == args.runs  # the last build of each only measures memory
                shutil.rmtree(ours / "_build", ignore_errors=True)
                shutil.rmtree(mkdocs / "site", ignore_errors=True)
                o_s, o_m = measure(ours_cmd(ours, args.jobs), ours, memory)
                m_s, m_m = measure(mkdocs_cmd(mkdocs), mkdocs, memory)
                if memory:
                    results[size]["memory"] = (o_m, m_m)
                    print(f"{size} articles, memory run: ours {o_m:.0f} MiB, MkDocs Material {m_m:.0f} MiB",
                          flush=True)
                else:
                    results[size]["ours"].append(o_s)
                    results[size]["mkdocs"].append(m_s)
                    print(f"{size} articles, run {run + 1}: ours {o_s:.1f} s, MkDocs Material {m_s:.1f} s",
                          flush=True)
            if size == max(sizes):
                article = sorted((ours / "large-model").glob("a*.md"))[len(sizes)]
                text = article.read_text(encoding="utf-8")
                paragraph_end = text.index("。", text.index("\n## ")) + 1  # inside the body, not the opening
                for run in range(args.runs):
                    rebuild["no change"].append(measure(ours_cmd(ours, args.jobs), ours)[0])
                    article.write_text(text[:paragraph_end] + f"(修订 {run + 1})" + text[paragraph_end:],
                                       encoding="utf-8")
                    rebuild["one article edited"].append(measure(ours_cmd(ours, args.jobs), ours)[0])
                    print(f"{size} articles, rebuild run {run + 1}: no change {rebuild['no change'][-1]:.1f} s, "
                          f"one article edited {rebuild['one article edited'][-1]:.1f} s", flush=True)

    print(f"\nclean builds, medians of {args.runs} runs; ours with -j {args.jobs} on {os.cpu_count()} cores; "
          "peak memory is the PSS of the whole process tree, from one more build of each")
    print(f"{'articles':>8} {'ours s':>8} {'MkDocs s':>9} {'ours/MkDocs':>12} {'ours MiB':>9} {'MkDocs MiB':>11}")
    for size, runs in results.items():
        ours_s = statistics.median(runs["ours"])
        mk_s = statistics.median(runs["mkdocs"])
        ours_m, mk_m = runs["memory"]
        print(f"{size:>8} {ours_s:>8.1f} {mk_s:>9.1f} {ours_s / mk_s:>11.2f}x {ours_m:>9.0f} {mk_m:>11.0f}")
    nochange = statistics.median(rebuild["no change"])
    edited = statistics.median(rebuild["one article edited"])
    print(f"\nat {max(sizes)} articles: rebuild with no change {nochange:.1f} s, after editing one article's "
          f"body {edited:.1f} s: ratio {edited / nochange:.2f}x (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
