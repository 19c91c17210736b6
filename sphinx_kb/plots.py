"""``{plot}`` in MyST: matplotlib's plot directive, made to work in Markdown pages.

matplotlib's directive renders the figure, then hands reStructuredText lines back to the
parser with ``state_machine.insert_input``, which MyST's state machine does not provide
(the build stops with "MockStateMachine has not yet implemented attribute
'insert_input'"). We run the same directive, capture those lines and parse them as
reStructuredText ourselves, as MyST does for ``{eval-rst}``.
"""

from __future__ import annotations

from docutils import nodes
from matplotlib.sphinxext import plot_directive as mpl_plot
from sphinx.application import Sphinx
from sphinx.util.docutils import new_document


class _CapturedInput:
    """Stands in for the state machine and keeps what the directive inserts."""

    def __init__(self, state_machine):
        self._real = state_machine
        self.lines: list[str] = []

    def insert_input(self, lines, source):
        self.lines.extend(lines)

    def __getattr__(self, name):
        return getattr(self._real, name)


class PlotDirective(mpl_plot.PlotDirective):
    def run(self) -> list[nodes.Node]:
        if type(self.state_machine).__name__ == "MockStateMachine":  # a MyST page
            return self._run_in_markdown()
        return super().run()

    def _run_in_markdown(self) -> list[nodes.Node]:
        from docutils.parsers.rst import Parser

        captured = _CapturedInput(self.state_machine)
        try:
            errors = mpl_plot.run(self.arguments, self.content, self.options, captured, self.state, self.lineno)
        except Exception as err:  # matplotlib raises plain errors; say where
            raise self.error(f"the plot's code failed: {err}") from err
        document = self.state.document
        subdoc = new_document(document["source"], document.settings)
        subdoc.reporter = document.reporter
        Parser().parse("\n" * max(self.lineno - 1, 0) + "\n".join(captured.lines), subdoc)
        for image in subdoc.findall(nodes.image):
            image["kb_generated"] = True  # the build's own file, not one the article points to
        return [*errors, *subdoc.children]


def setup(app: Sphinx) -> None:
    app.setup_extension("matplotlib.sphinxext.plot_directive")
    app.add_directive("plot", PlotDirective, override=True)
