"""Create a new article from the template: ``make new CATEGORY=large-model NAME=kv-cache TITLE="KV Cache"``.

The file gets valid front matter (today's date, the folder's category label, a ``subtopic``
chosen among the groups the category's articles already use, listed in a comment) and the
sections every article has; the command then prints what to fill in and how to check it.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import re
import sys
from pathlib import Path

from .metadata import CATEGORIES, parse_front_matter

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = (Path(__file__).parent / "templates" / "article.md").read_text(encoding="utf-8")


def existing_subtopics(root: Path, category: str) -> list[str]:
    """The groups the category's articles use: in the order its index page gives
    (``{kb-articles}`` ``:order:``), then the others, most used first."""
    folder = root / category
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(folder.glob("*.md")):
        if path.name == "index.md":
            continue
        try:
            article, _ = parse_front_matter(path.read_text(encoding="utf-8-sig"), f"{category}/{path.stem}")
        except (OSError, UnicodeDecodeError):
            continue  # the build reports unreadable files; here they just give no group
        if article.subtopic:
            counts[article.subtopic] += 1
    order: list[str] = []
    index = folder / "index.md"
    if index.exists():
        match = re.search(r"^:order:(.*)$", index.read_text(encoding="utf-8"), re.M)
        if match:
            order = [name.strip() for name in match.group(1).split(",") if name.strip() in counts]
    rest = sorted((n for n in counts if n not in order), key=lambda n: (-counts[n], n))
    return list(dict.fromkeys(order + rest))


def _subtopic_lines(groups: list[str], chosen: str) -> tuple[str, str]:
    """The comment above the subtopic key and its value."""
    if groups:
        comment = ("# subtopic：分类页上的分组，从本分类已有的分组里选一个："
                   + "、".join(groups) + "；都不合适时写一个新的分组名\n")
        return comment, chosen or groups[0]
    if chosen:
        return "# subtopic：分类页上的分组；本分类的文章还没有分组\n", chosen
    return "# subtopic：分类页上的分组；本分类的文章还没有分组，需要时去掉下一行的 # 并写上分组名\n# ", "分组名"


def create(category: str, name: str, title: str, root: Path = ROOT, today: dt.date | None = None,
           subtopic: str = "") -> Path:
    if category not in CATEGORIES:
        raise SystemExit(f"unknown category '{category}': use one of {', '.join(CATEGORIES)}")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise SystemExit(f"NAME '{name}' should be lowercase English words joined by '-', e.g. kv-cache")
    path = root / category / f"{name}.md"
    if path.exists():
        raise SystemExit(f"{path.relative_to(root)} already exists")
    subtopic = " ".join(subtopic.split())
    if subtopic and (":" in subtopic or "#" in subtopic):
        raise SystemExit(f"SUBTOPIC '{subtopic}' should be a group name without ':' or '#', e.g. 训练与优化")
    comment, value = _subtopic_lines(existing_subtopics(root, category), subtopic)
    text = TEMPLATE.format(date=(today or dt.date.today()).isoformat(), category=CATEGORIES[category],
                           title=title.strip() or name, stem=name, folder=category,
                           subtopic_comment=comment, subtopic=value)
    path.write_text(text, encoding="utf-8")
    return path


def next_steps(path: Path, root: Path = ROOT) -> str:
    """What to do after `make new`, with the commands for this article."""
    rel = path.relative_to(root).as_posix()
    docname = rel.removesuffix(".md")
    groups = existing_subtopics(root, docname.split("/")[0])
    group_hint = f"（本分类已有：{'、'.join(groups)}）" if groups else "（本分类还没有分组）"
    return "\n".join([
        f"已创建 {rel}。接下来：",
        "1. 填写：",
        "   - front matter：subtopic" + group_hint + "，tags 3–5 个（词表 sphinx_kb/data/tags.yaml），"
        "related 相关文章；",
        "   - 开头一段（150–300 字，也是摘要）、正文各节、每个结论的代码与 output 块、参考资料（一手资料）；",
        "   - 规范见 CONTRIBUTING.md 第 3–6 节，范例是 large-model/training-memory.md。",
        f"2. 预览：make livehtml，打开 http://127.0.0.1:8000/{docname}.html",
        f"3. 运行本文的代码：.venv/bin/python tests/article_code.py {rel}",
        f"4. 格式检查：node_modules/.bin/markdownlint-cli2 {rel} && .venv/bin/python -m sphinx_kb.copywriting {rel}",
        f"5. 搜索用例：在 tests/search_queries.tsv 至少加五行 real<TAB>读者会输入的查询<TAB>{docname}（其中两条是读者会问的自然问题）"
        "（其中一条不含标题里的词）",
        "6. 提交前：make test",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("category", help=", ".join(CATEGORIES))
    parser.add_argument("name", help="file name without .md, e.g. kv-cache")
    parser.add_argument("title", nargs="?", default="", help="the article's title (H1)")
    parser.add_argument("--subtopic", default="", help="the group on the category page (default: the first "
                                                       "the category's index lists)")
    args = parser.parse_args(argv)
    path = create(args.category, args.name, args.title, subtopic=args.subtopic)
    print(next_steps(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
