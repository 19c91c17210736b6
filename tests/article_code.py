"""Run the Python examples of an article and check the output it shows.

An article's code blocks run in order, as one script, in a fresh interpreter:

* a ``python`` fence (or a ``{code-block} python`` directive) is executed;
* an ``output`` fence right after it must equal what that block printed
  (doctest's ``ELLIPSIS`` applies: ``...`` stands for run-to-run noise such as timings);
* a ``pycon`` fence is a ``>>>`` session checked with :mod:`doctest`;
* a ``{no-run}`` directive is shown to readers with its reason and is only counted.

Each article runs in its own subprocess, so ``multiprocessing`` with the spawn start
method works as in a real script: a child re-executes the article's blocks (quietly)
under ``__name__ == "__mp_main__"``, exactly as it would re-import a ``__main__`` file.

Usage: ``python tests/article_code.py python/autograd.md`` (prints a report, exit 1 on failure).
"""

from __future__ import annotations

import dataclasses
import doctest
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too
from sphinx_kb.articlecode import (CODE_DIRECTIVES, RUN_LANGS, SESSION_LANGS,  # noqa: E402,F401
                                   Block, collect_blocks)
SEPARATOR = "\x1ekb-block\x1e"
TIMEOUT_S = int(os.environ.get("KB_CODE_TIMEOUT", "300"))
_PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # machine quirks numpy needs, not secrets

_RUNNER = r'''
import doctest, json, sys, io, contextlib, os
_kb_blocks = json.load(open(os.environ["KB_BLOCKS_JSON"], encoding="utf-8"))
_kb_path = os.environ["KB_ARTICLE_PATH"]

def _kb_run_all(quiet):
    g = globals()
    for i, (kind, line, code) in enumerate(_kb_blocks):
        if not quiet:
            sys.stdout.write("\x1ekb-block\x1e%d\n" % i)
            sys.stdout.flush()
        if kind == "run":
            exec(compile("\n" * (line - 1) + code, _kb_path, "exec"), g)
        elif kind == "session":
            test = doctest.DocTestParser().get_doctest(code, g, "%s:%d" % (_kb_path, line), _kb_path, line - 1)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            out = io.StringIO()
            runner.run(test, out=out.write, clear_globs=False)
            if runner.failures:
                sys.stderr.write(out.getvalue())
                raise SystemExit("doctest session at %s:%d failed" % (_kb_path, line))
        sys.stdout.flush()

if __name__ == "__mp_main__":
    # a multiprocessing child: rebuild the article's definitions without repeating its output
    with open(os.devnull, "w") as _null, contextlib.redirect_stdout(_null):
        _kb_run_all(quiet=True)
elif __name__ == "__main__":
    _kb_run_all(quiet=False)
'''


@dataclasses.dataclass
class Result:
    path: Path
    blocks: list[Block]
    returncode: int
    outputs: list[str]
    stderr: str

    @property
    def ran(self) -> int:
        return sum(b.kind in ("run", "session") for b in self.blocks)

    @property
    def marked(self) -> int:
        return sum(b.kind == "no-run" for b in self.blocks)

    def problems(self) -> list[str]:
        found = []
        for block in self.blocks:
            if block.kind == "no-run" and not block.reason.strip():
                found.append(f"{self.path}:{block.line}: a ``{{no-run}}`` block needs ``:reason:`` (why it cannot run here)")
        if self.returncode != 0:
            tail = self.stderr.strip().splitlines()[-25:]
            found.append(f"{self.path}: the code blocks raised (exit {self.returncode}):\n" + "\n".join(tail))
            return found
        runnable = [b for b in self.blocks if b.kind != "no-run"]
        checker = doctest.OutputChecker()
        for block, got in zip(runnable, self.outputs):
            if block.expected is None:
                continue
            want = _normalise(block.expected)
            got_n = _normalise(got)
            if not checker.check_output(want, got_n, doctest.ELLIPSIS):
                found.append(
                    f"{self.path}:{block.expected_line}: the ``output`` block differs from what the code "
                    f"at line {block.line} printed.\n--- shown in the article\n{want}--- printed\n{got_n}"
                )
        return found


def _normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def run_article(path: Path, root: Path | None = None, timeout: int = TIMEOUT_S) -> Result:
    path = Path(path)
    blocks = collect_blocks(path.read_text(encoding="utf-8"))
    runnable = [b for b in blocks if b.kind != "no-run"]
    if not runnable:
        return Result(path, blocks, 0, [], "")
    with tempfile.TemporaryDirectory(prefix="kb-code-") as tmp:
        blocks_json = Path(tmp, "blocks.json")
        blocks_json.write_text(json.dumps([(b.kind, b.line, b.code) for b in runnable]), encoding="utf-8")
        script = Path(tmp, "run_article.py")
        script.write_text(_RUNNER, encoding="utf-8")
        # Article code comes from pull requests: it gets no secrets (a minimal environment, not
        # the CI job's), a temporary working directory, and its own process group, killed whole
        # (multiprocessing children included) when it runs past the time limit.
        env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
               "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8", "KB_BLOCKS_JSON": str(blocks_json),
               "KB_ARTICLE_PATH": str(path), "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": str(Path(tmp, "matplotlib")),
               **{k: os.environ[k] for k in _PASSED_ENV if k in os.environ}}
        proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            stderr += f"\n{path}: the code blocks were still running after {timeout} s and were stopped"
            proc.returncode = -signal.SIGKILL
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # whatever the article left running
            except ProcessLookupError:
                pass
    chunks = stdout.split(SEPARATOR)[1:]
    outputs = [chunk.split("\n", 1)[1] if "\n" in chunk else "" for chunk in chunks]
    return Result(path, blocks, proc.returncode, outputs, stderr)


def main(argv: list[str]) -> int:
    status = 0
    for name in argv:
        result = run_article(Path(name))
        problems = result.problems()
        print(f"{name}: {result.ran} blocks ran, {result.marked} marked not runnable, "
              f"{'OK' if not problems else 'FAILED'}")
        for problem in problems:
            print(problem)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
