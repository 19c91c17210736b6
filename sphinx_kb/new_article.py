"""Create a new article from the template: ``make new CATEGORY=large-model NAME=kv-cache TITLE="KV Cache"``.

The file gets valid front matter (today's date, the folder's category label) and the
sections every article has; the build and the tests then tell you what is still missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from .metadata import CATEGORIES

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = (Path(__file__).parent / "templates" / "article.md").read_text(encoding="utf-8")


def create(category: str, name: str, title: str, root: Path = ROOT, today: dt.date | None = None) -> Path:
    if category not in CATEGORIES:
        raise SystemExit(f"unknown category '{category}': use one of {', '.join(CATEGORIES)}")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise SystemExit(f"NAME '{name}' should be lowercase English words joined by '-', e.g. kv-cache")
    path = root / category / f"{name}.md"
    if path.exists():
        raise SystemExit(f"{path.relative_to(root)} already exists")
    text = TEMPLATE.format(date=(today or dt.date.today()).isoformat(), category=CATEGORIES[category],
                           title=title.strip() or name, stem=name, folder=category)
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("category", help=", ".join(CATEGORIES))
    parser.add_argument("name", help="file name without .md, e.g. kv-cache")
    parser.add_argument("title", nargs="?", default="", help="the article's title (H1)")
    args = parser.parse_args(argv)
    path = create(args.category, args.name, args.title)
    print(f"created {path.relative_to(ROOT)}; preview it with `make livehtml`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
