"""The contributor tooling runs the same checks everywhere: pre-commit, `make lint`, CI."""

from __future__ import annotations

import re
import shlex

import yaml

from conftest import ROOT


def _make_recipe(target: str) -> list[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.M).group(1)
    return [line.strip() for line in recipe.splitlines()]


def test_pre_commit_runs_what_make_lint_runs():
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    lint = [shlex.split(line.replace("$(BIN)", ".venv/bin"))[0:3] for line in _make_recipe("lint")]
    entries = [shlex.split(hook["entry"]) for hook in hooks]
    assert [e[0] for e in entries] == [cmd[0] for cmd in lint]
    assert entries[1] == lint[1][:3]
    pattern = re.compile(hooks[0]["files"])
    for path in ("index.md", "glossary.md", "large-model/adam-adamw.md"):
        assert pattern.search(path)
    for path in ("README.md", "tests/fixture-site/python/ddp.md", "python/sub/x.md"):
        assert not pattern.search(path)


def test_ci_workflow_and_ci_run_use_make_test():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    steps = [step.get("run") for job in workflow["jobs"].values() for step in job["steps"]]
    assert "make test" in steps
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci_run.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == ["make test"]


def test_pull_request_checklist_covers_the_standard():
    checklist = (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    for item in ("参考资料", "代码能在 CPU 上运行", "双向链接", "make test"):
        assert item in checklist
    templates = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.md")}
    assert set(templates) == {"new-article", "article-error", "site-problem"}
    for text in templates.values():
        front = yaml.safe_load(text.split("---")[1])
        assert front["name"] and front["about"]
