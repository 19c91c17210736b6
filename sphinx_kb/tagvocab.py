"""The tag vocabulary: one canonical spelling per tag, kept in ``sphinx_kb/data/tags.yaml``.

Each entry has a ``name`` (the spelling articles use), optionally a one-line
``description`` (shown on the tags page) and ``aliases`` (spellings merged into it). A tag
in an article is

* refused when it differs from a known name or alias only by case, spaces, hyphens,
  underscores or full-width/half-width forms (``allreduce``, ``Pixel Shuffle``), or when
  it is an alias: the message names the canonical spelling;
* accepted when it is new (nothing like it in the vocabulary): the build passes and
  prints a note suggesting to add it, so the vocabulary grows by choice, not by accident.

A site can point ``kb_tag_vocabulary`` (conf.py) at its own file.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import yaml

from . import sanitize

DEFAULT_PATH = Path(__file__).parent / "data" / "tags.yaml"
_SEPARATORS = re.compile(r"[\s\-_‐‑‒–—]+")


def tag_key(tag: str) -> str:
    """The form two tags are compared in: NFKC (full-width → half-width), invisible
    characters removed, casefolded, without spaces, hyphens or underscores."""
    return _SEPARATORS.sub("", sanitize.comparable(unicodedata.normalize("NFKC", tag)))


@dataclasses.dataclass
class Vocabulary:
    path: Path
    names: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> canonical name
    aliases: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)  # key -> (alias, name)
    descriptions: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> description
    problems: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (line, message) in the file

    def check(self, tag: str) -> tuple[str, str | None]:
        """('ok' | 'new', None) or ('refused', message) for one tag as an article wrote it."""
        key = tag_key(tag)
        if key in self.names:
            name = self.names[key]
            if name == tag:
                return "ok", None
            return "refused", (f"the tag '{tag}' is written '{name}' in the tag vocabulary ({self.shown_path}): "
                               f"write '{name}' (tags are matched ignoring case, spaces, '-', '_' and "
                               "full-width forms)")
        if key in self.aliases:
            alias, name = self.aliases[key]
            return "refused", (f"the tag '{tag}' is merged into '{name}' in the tag vocabulary ({self.shown_path}, "
                               f"alias '{alias}'): write '{name}'")
        return "new", None

    @property
    def shown_path(self) -> str:
        try:
            return str(self.path.resolve().relative_to(DEFAULT_PATH.parents[2]))
        except ValueError:
            return str(self.path)


def load(path: Path | str | None = None) -> Vocabulary:
    """Read and check the vocabulary file; problems are returned, never raised, so a
    mistake in it is reported like any other (file and line) and the build goes on."""
    path = Path(path) if path else DEFAULT_PATH
    vocab = Vocabulary(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as err:
        vocab.problems.append((1, f"the tag vocabulary cannot be read: {err}"))
        return vocab
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        vocab.problems.append(((mark.line + 1) if mark else 1,
                               f"the tag vocabulary is not valid YAML ({getattr(err, 'problem', err)})"))
        return vocab
    if root is None:
        return vocab
    if not isinstance(root, yaml.SequenceNode):
        vocab.problems.append((1, "the tag vocabulary must be a YAML list of entries '- name: ...'"))
        return vocab
    seen: dict[str, tuple[str, int]] = {}  # key -> (spelling, line)
    for node in root.value:
        line = node.start_mark.line + 1
        entry = yaml.SafeLoader("").construct_document(node) if isinstance(node, yaml.MappingNode) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip() \
                or set(entry) - {"name", "description", "aliases"}:
            vocab.problems.append((line, "each tag entry is '- name: 标签' with optional 'description: 一句话' "
                                         "and 'aliases: [其他写法]'"))
            continue
        name = entry["name"].strip()
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            vocab.problems.append((line, f"'aliases' of '{name}' must be a list of spellings, e.g. [PEFT]"))
            aliases = []
        for spelling, is_alias in [(name, False)] + [(a.strip(), True) for a in aliases]:
            key = tag_key(spelling)
            if key in seen:
                other, other_line = seen[key]
                vocab.problems.append((line, f"'{spelling}' is the same tag as '{other}' (line {other_line}), "
                                             "ignoring case, spaces and hyphens: keep one"))
                continue
            seen[key] = (spelling, line)
            if is_alias:
                vocab.aliases[key] = (spelling, name)
            else:
                vocab.names[key] = name
        description = entry.get("description")
        if isinstance(description, str) and description.strip():
            vocab.descriptions[name] = " ".join(description.split())
    return vocab
