"""Directives that read files may read only the content folders.

``include``, ``literalinclude``, ``csv-table :file:`` and ``raw :file:`` would otherwise read
any file the build can: ``/etc/passwd``, ``../../secrets`` or ``.git/config`` (in CI it holds
the checkout token) straight into a published page. Each is given the path check of
:func:`sphinx_kb.checks.content_file_problem` (inside a category folder, symlinks followed,
nothing hidden); ``:url:`` (a fetch from the build machine) is refused outright. A refused
directive becomes an error with the file and line, and inserts nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from docutils.parsers.rst import Directive, DirectiveError
from docutils.parsers.rst.directives.misc import Raw
from docutils.parsers.rst.directives.tables import CSVTable
from myst_parser import mocking
from sphinx.application import Sphinx
from sphinx.directives.code import LiteralInclude
from sphinx.directives.other import Include

from .checks import content_file_problem


def _problem(directive, target: str, *, sphinx_style: bool) -> str | None:
    document = directive.state.document
    env = document.settings.env
    if sphinx_style:  # "/x" means the site root, as Sphinx reads it
        _rel, path = env.relfn2path(target, env.docname)
    else:  # docutils reads a path relative to the page, "/x" as an absolute path
        path = os.path.join(os.path.dirname(os.path.abspath(document.current_source or env.doc2path(env.docname))),
                            target)
    return content_file_problem(Path(env.srcdir), Path(path))


def _refusal(directive, what: str, problem: str):
    return directive.state.document.reporter.error(
        f"{what}: {problem}", line=directive.lineno)


class ConfinedLiteralInclude(LiteralInclude):
    def run(self):
        if problem := _problem(self, self.arguments[0], sphinx_style=True):
            return [_refusal(self, "literalinclude", problem)]
        return super().run()


class ConfinedCSVTable(CSVTable):
    def run(self):
        if "url" in self.options:
            return [_refusal(self, "csv-table", ":url: would fetch from the build machine; put the table in the "
                                                "article as a Markdown table or a :file: in its folder")]
        if "file" in self.options and (problem := _problem(self, self.options["file"], sphinx_style=False)):
            return [_refusal(self, "csv-table :file:", problem)]
        return super().run()


class ConfinedRaw(Raw):
    def run(self):
        if "url" in self.options or "file" in self.options:
            return [_refusal(self, "raw", "raw output read from a :file: or :url: is not allowed in articles: "
                                          "write the content in Markdown")]
        return super().run()


_mock_include_run = mocking.MockIncludeDirective.run


def _confined_mock_include(self):
    """MyST reads ``{include}`` itself (MockIncludeDirective), so the check goes there."""
    target = "".join(s.strip() for s in self.arguments[0].splitlines())
    env = getattr(self.document.settings, "env", None)
    if target.startswith("<") and target.endswith(">"):
        problem = "docutils' standard include files are not content of the site"
    elif env is not None:
        _rel, path = env.relfn2path(target, env.docname)
        problem = content_file_problem(Path(env.srcdir), Path(path))
    else:
        problem = None
    if problem:
        raise DirectiveError(3, f"include: {problem}")
    return _mock_include_run(self)


class RefusedMeta(Directive):
    """``.. meta::`` writes <meta> tags into the page: a refresh redirects every reader."""

    has_content = True
    final_argument_whitespace = True

    def run(self):
        return [_refusal(self, "meta", "<meta> tags are not allowed in pages (they can redirect every reader or "
                                       "change how the site is indexed): remove the meta directive")]


class ConfinedInclude(Include):
    """``.. include::`` inside ``{eval-rst}``; in Markdown, MyST reads includes itself
    (it mocks every Include subclass), where :func:`_confined_mock_include` checks them."""

    def run(self):
        if problem := _problem(self, self.arguments[0], sphinx_style=True):
            return [_refusal(self, "include", problem)]
        return super().run()


# --- classes -----------------------------------------------------------------------------------
# Raw HTML may not carry class=, and neither may directives: a :class: option (or .. class::,
# .. container::) could put one of the theme's own classes on content, such as furo's fixed,
# page-covering "overlay". No article needs one.

_NO_CLASSES = ("articles cannot set classes (a theme class can restyle or cover the page): remove the "
               ":class: option")


def _refuse_class(argument):
    raise ValueError(_NO_CLASSES)


class RefusedClass(Directive):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self):
        return [_refusal(self, self.name, _NO_CLASSES.replace("the :class: option", f"the {self.name} directive"))]


def _refuse_class_options(app: Sphinx) -> None:
    """Every directive and role that takes :class: refuses it, whoever registered it."""
    from docutils.parsers.rst import directives, roles

    classes = set(directives._directives.values())
    for module_name, class_name in directives._directive_registry.values():
        module = __import__(f"docutils.parsers.rst.directives.{module_name}", fromlist=[class_name])
        classes.add(getattr(module, class_name))
    for domain in app.env.domains.values():
        classes.update(domain.directives.values())
    for role in [*roles._roles.values(), *roles._role_registry.values()]:
        options = getattr(role, "options", None)
        if isinstance(options, dict) and "class" in options:
            options["class"] = _refuse_class
    for directive in classes:
        spec = getattr(directive, "option_spec", None)
        if isinstance(spec, dict) and "class" in spec:
            spec["class"] = _refuse_class


def setup(app: Sphinx) -> None:
    mocking.MockIncludeDirective.run = _confined_mock_include
    app.add_directive("literalinclude", ConfinedLiteralInclude, override=True)
    app.add_directive("csv-table", ConfinedCSVTable, override=True)
    app.add_directive("raw", ConfinedRaw, override=True)
    app.add_directive("include", ConfinedInclude, override=True)
    app.add_directive("meta", RefusedMeta, override=True)
    for name in ("class", "rst-class", "container"):
        app.add_directive(name, RefusedClass, override=True)
    app.connect("builder-inited", _refuse_class_options)
