"""下载 Notebook: every article with runnable code has a valid notebook, built with the site,
holding exactly the blocks the suite executes, and it runs in a fresh Jupyter kernel to the
outputs the article shows."""

from __future__ import annotations

import asyncio
import doctest
import os
import sys
import tempfile
import time

import nbformat
import pytest

import passcache
from article_code import _normalise, collect_blocks
from conftest import ROOT, article_files, report_line

sys.path.insert(0, str(ROOT))
from sphinx_kb import notebooks  # noqa: E402

ARTICLES = article_files()
WITH_CODE = [p for p in ARTICLES if any(b.kind != "no-run" for b in collect_blocks(p.read_text(encoding="utf-8")))]
DOCNAMES = [p.relative_to(ROOT).with_suffix("").as_posix() for p in WITH_CODE]


def _nb(path):
    """The notebook as Jupyter reads it back from the file the build writes."""
    nb = notebooks.notebook(path.read_text(encoding="utf-8"), path.stem, path.stem + ".html")
    return nbformat.reads(notebooks.dumps(nb), as_version=4)


def _article_cells(nb) -> list:
    """The code cells that hold the article's blocks (not the setup cell)."""
    return [c for c in nb["cells"] if c["cell_type"] == "code" and not _is_setup(c)]


def _is_setup(cell) -> bool:
    source = cell.source
    return source.startswith("# 与测试套件一致") or source.startswith("# 本文的代码用 spawn")


def _stdout(cell) -> str:
    return "".join(o["text"] for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == "stdout")


def test_articles_with_code_exist():
    assert len(WITH_CODE) >= 30


@pytest.mark.parametrize("path", WITH_CODE, ids=DOCNAMES)
def test_notebook_is_valid_and_holds_exactly_the_executed_blocks(path):
    nb = _nb(path)
    nbformat.validate(nb)  # raises on anything Jupyter, Colab or VS Code would reject
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    blocks = [b for b in collect_blocks(path.read_text(encoding="utf-8")) if b.kind == "run"]
    cells = _article_cells(nb)
    assert [c.source for c in cells] == [b.code.rstrip("\n") for b in blocks]
    for cell, block in zip(cells, blocks):  # the checked outputs, nothing else
        assert _normalise(_stdout(cell)) == _normalise(block.expected or "")
    assert len({c["id"] for c in nb.cells}) == len(nb.cells)


def test_a_page_without_code_has_no_notebook():
    assert notebooks.notebook("# t\n\n```{no-run} python\n:reason: GPU\nx = 1\n```\n", "t", "t.html") is None
    assert notebooks.notebook("# t\n\n```text\nx\n```\n", "t", "t.html") is None


def test_site_ships_each_notebook_and_links_it(real_site):
    for docname, path in zip(DOCNAMES, WITH_CODE):
        written = real_site.outdir / f"{docname}.ipynb"
        assert written.is_file(), docname
        nb = nbformat.read(written, as_version=4)
        nbformat.validate(nb)
        assert [c.source for c in _article_cells(nb)] == [c.source for c in _nb(path).cells
                                                           if c.cell_type == "code" and not _is_setup(c)]
        html = real_site.html(f"{docname}.html")
        name = docname.rsplit("/", 1)[-1]
        assert f'<a class="kb-notebook" href="{name}.ipynb" download="{name}.ipynb"' in html
        assert "下载 Notebook" in html
    without = [p for p in ARTICLES if p not in WITH_CODE]
    for path in without:
        docname = path.relative_to(ROOT).with_suffix("").as_posix()
        assert not (real_site.outdir / f"{docname}.ipynb").exists()
        assert "kb-notebook" not in real_site.html(f"{docname}.html")


# --- every notebook, executed in a fresh kernel --------------------------------------------

async def _execute(path, limit: asyncio.Semaphore) -> tuple[str, list[str], float]:
    from nbclient import NotebookClient

    nb = _nb(path)
    async with limit:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="kb-nb-") as tmp:
            # a fresh kernel in an empty folder, with the environment the suite's runner gives the code
            env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]), "HOME": tmp,
                   "TMPDIR": tmp, "LANG": "C.UTF-8", "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0",
                   "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(tmp, "matplotlib"),
                   "JUPYTER_PLATFORM_DIRS": "1"}
            client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": tmp}})
            await client.async_execute(env=env)
        elapsed = time.perf_counter() - start
    problems = []
    original = [c for c in _nb(path).cells if c.cell_type == "code"]
    for want, got in zip(original, [c for c in nb.cells if c.cell_type == "code"]):
        for output in got.outputs:
            if output.output_type == "error":
                problems.append(f"{path.name}: {output.ename}: {output.evalue}\n{want.source[:200]}")
            elif output.output_type in ("execute_result", "display_data") and not want.outputs:
                problems.append(f"{path.name}: a cell shows a value the article does not: {output.data}")
        if _is_setup(want):
            continue
        expected = _normalise(_stdout(want))
        printed = _normalise(_stdout(got))
        if want.outputs and not doctest.OutputChecker().check_output(expected, printed, doctest.ELLIPSIS):
            problems.append(f"{path.name}: cell output differs\n--- article\n{expected}--- kernel\n{printed}")
    return path.name, problems, elapsed


def test_every_notebook_runs_in_a_fresh_kernel_to_the_same_outputs():
    pytest.importorskip("ipykernel")
    # a notebook that ran clean is run again when it, the code or the tools change (passcache)
    keys = {path: passcache.digest("notebook", notebooks.dumps(_nb(path))) for path in WITH_CODE}
    todo = [path for path in WITH_CODE if not passcache.seen("notebook", keys[path])]

    async def run_all():
        limit = asyncio.Semaphore(max(os.cpu_count() or 1, 1))
        return await asyncio.gather(*(_execute(p, limit) for p in todo))

    start = time.perf_counter()
    results = asyncio.run(run_all())
    total = time.perf_counter() - start
    report_line(f"notebooks: {len(results)} executed in fresh kernels, {total:.1f} s"
                + (f" (slowest {max(r[2] for r in results):.1f} s)" if results else "")
                + (f"; {len(WITH_CODE) - len(todo)} unchanged since they last ran clean" if len(todo) < len(WITH_CODE) else ""))
    for path, (_name, found, _t) in zip(todo, results):
        if not found:
            passcache.remember("notebook", keys[path])
    problems = [p for _name, found, _t in results for p in found]
    assert not problems, "\n\n".join(problems)
