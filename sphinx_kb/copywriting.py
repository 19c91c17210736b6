"""Chinese copywriting check for the pages: AutoCorrect with the rules in ``.autocorrectrc``
(spaces between Chinese and Latin text), then full-width punctuation in Chinese prose
(``sphinx_kb.punctuation``: clreq's rule, which AutoCorrect applies only in part).

``python -m sphinx_kb.copywriting [--fix] PATH...`` (what ``make lint`` / ``make lint-fix`` run)
reports ``file:line:col`` with the corrected text, or rewrites the files. AutoCorrect comes
from PyPI (``autocorrect-py``); its npm build cannot be installed from a lock file, because
some of its platform packages are missing from the registry.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import autocorrect_py as autocorrect
import yaml

from . import punctuation

ROOT = Path(__file__).resolve().parents[1]


def markdown_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        files += sorted(path.glob("*.md")) if path.is_dir() else [path]
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--fix", action="store_true", help="rewrite the files instead of reporting")
    parser.add_argument("--config", default=str(ROOT / ".autocorrectrc"))
    args = parser.parse_args(argv)
    autocorrect.load_config(json.dumps(yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))))
    problems = 0
    for path in markdown_files(args.paths):
        text = path.read_text(encoding="utf-8")
        if args.fix:
            fixed = punctuation.fix(autocorrect.format_for(text, path.name))
            if fixed != text:
                path.write_text(fixed, encoding="utf-8")
                print(f"fixed {path}")
            continue
        for line in autocorrect.lint_for(text, path.name).lines:
            problems += 1
            print(f"{path}:{line.line}:{line.col}: {line.old.strip()}\n    → {line.new.strip()}")
        for number, old, new in punctuation.differences(text):
            problems += 1
            column = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), 0) + 1
            print(f"{path}:{number}:{column}: half-width punctuation in Chinese prose: {old.strip()}\n"
                  f"    → {new.strip()}")
    if problems:
        print(f"{problems} copywriting problem(s); `make lint-fix` corrects them (see CONTRIBUTING.md)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
