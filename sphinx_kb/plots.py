"""``{plot}`` in MyST: matplotlib's plot directive, confined, and working in Markdown pages.

matplotlib's directive renders the figure, then hands reStructuredText lines back to the
parser with ``state_machine.insert_input``, which MyST's state machine does not provide
(the build stops with "MockStateMachine has not yet implemented attribute
'insert_input'"). We run the same directive, capture those lines and parse them as
reStructuredText ourselves, as MyST does for ``{eval-rst}``.

A plot's code comes from a pull request, and matplotlib would ``exec`` it inside the build.
Instead, each block that needs rendering runs in a fresh fork of a clean server process that
has imported matplotlib once (``plot_worker.py``): a minimal environment (no secrets, no CI or Read the Docs variables), a fresh working
directory under the build, CPU-time, memory and wall-clock limits, its own process group
(killed whole on timeout), no network namespace where ``unshare`` works, and an audit hook
against sockets, new processes and files outside the build. A block that loops, exits the
interpreter, crashes or breaks a rule fails the build with the article's file and line, in
serial and ``-j`` builds alike, and the build goes on.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import signal
import site
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from docutils import nodes
from matplotlib.sphinxext import plot_directive as mpl_plot
from sphinx.application import Sphinx
from sphinx.util.docutils import new_document

_WORKER = Path(__file__).with_name("plot_worker.py")
# What one plot may use (conf.py: kb_plot_timeout); the site's plots each take under 2 s.
WALL_SECONDS = 120
MEMORY_BYTES = 4 << 30
_PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # machine quirks numpy needs, not secrets


class _NeedsRun(Exception):
    pass


class PlotRefused(Exception):
    """The block did not produce its figure; the message says why, on one line first."""


def _refuse_run(*args, **kwargs):
    raise _NeedsRun


@functools.cache
def _netns_prefix() -> tuple[str, ...]:
    """``unshare`` into a new network namespace (no interfaces up), where the platform lets
    an unprivileged or root process do so; otherwise the audit hook alone keeps sockets shut."""
    unshare = shutil.which("unshare")
    for prefix in (("--net",), ("--user", "--map-root-user", "--net")):
        if unshare and subprocess.run([unshare, *prefix, "true"], capture_output=True).returncode == 0:
            return (unshare, *prefix)
    return ()


def _readable() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    return sorted(roots | {"/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts", "/usr/share/zoneinfo",
                           "/etc/localtime", "/usr/lib/locale"})


def _config_values(config) -> dict:
    names = ("plot_formats", "plot_rcparams", "plot_apply_rcparams", "plot_srcset", "plot_pre_code")
    return {name: getattr(config, name) for name in names}


def confined_render_figures(code, code_path, output_dir, output_base, context, function_name, config,
                            context_reset=False, close_figs=False, code_includes=None):
    """matplotlib's ``render_figures``, with the code run in a confined child process."""
    original_run_code = mpl_plot._run_code
    mpl_plot._run_code = _refuse_run
    try:  # up-to-date images are reused without running anything
        return _original_render_figures(code, code_path, output_dir, output_base, context, function_name,
                                        config, context_reset, close_figs, code_includes)
    except _NeedsRun:
        pass
    finally:
        mpl_plot._run_code = original_run_code

    app = mpl_plot.setup.app
    key = _cache_key(code, output_base, config)
    if (cached := _from_cache(app, key, output_dir, output_base, config)) is not None:
        return cached
    # under the doctrees, never in the published output
    workdir = _work_root(app) / output_base
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    timeout = int(app.config.kb_plot_timeout)
    request = {
        "code": code, "code_path": code_path, "output_dir": output_dir, "output_base": output_base,
        "config": _config_values(config), "workdir": str(workdir),
        "readable": [*_readable(), str(_work_root(app) / ".matplotlib")],
        "forbidden": [str(Path(app.srcdir) / ".git")],
        "cpu_seconds": timeout, "wall_seconds": timeout, "memory_bytes": MEMORY_BYTES,
    }
    answer = _ask_server(app, request, timeout + 30)
    if answer["timed_out"]:
        raise PlotRefused(f"the plot's code was still running after {timeout} s and was stopped: "
                          "look for an endless loop, or draw less")
    reply, status = answer["reply"], answer["status"]
    if reply is None:
        if status in (-signal.SIGXCPU, -signal.SIGKILL):
            why = f"used more than {timeout} s of CPU time and was stopped"
        elif status < 0:
            why = f"crashed (signal {signal.Signals(-status).name})"
        else:
            why = f"ended the interpreter (exit status {status}) before its figure was saved"
        raise PlotRefused(f"the plot's code {why}: a {{plot}} block must run to its end")
    if "error" in reply:
        lines = [line for line in str(reply["error"]).strip().splitlines() if line.strip()]
        raise PlotRefused(f"the plot's code raised {lines[-1].strip() if lines else 'an error'}\n"
                          + "\n".join(lines[-12:-1]))
    results = _results(reply, output_dir, output_base, config)
    _to_cache(app, key, reply, results)
    return results


# A block's figures depend only on its code, its file name and the plot settings (the site's
# plots are deterministic), so a clean build, or another build of the same pages, reuses them.

@functools.cache
def _worker_source() -> str:
    return _WORKER.read_text(encoding="utf-8")


def _cache_key(code: str, output_base: str, config) -> str:
    import matplotlib

    identity = [code, output_base, _config_values(config), _worker_source(), matplotlib.__version__]
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=repr).encode()).hexdigest()


def _cache_root(app: Sphinx) -> Path:
    return Path(app.config.kb_plot_cache or Path(app.doctreedir) / "kb-plot-cache")


def _from_cache(app: Sphinx, key: str, output_dir: str, output_base: str, config) -> list | None:
    entry = _cache_root(app) / key
    try:
        reply = json.loads((entry / "reply.json").read_text(encoding="utf-8"))
        for piece, images in reply["results"]:
            for basename, _dirname, formats in images:
                for fmt in formats:
                    shutil.copyfile(entry / f"{basename}.{fmt}", Path(output_dir) / f"{basename}.{fmt}")
            for image in images:
                image[1] = output_dir
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return _results(reply, output_dir, output_base, config)


def _to_cache(app: Sphinx, key: str, reply: dict, results: list) -> None:
    entry = _cache_root(app) / key
    temporary = entry.with_name(f"{key}.{os.getpid()}")
    try:
        temporary.mkdir(parents=True, exist_ok=True)
        for _piece, images in results:
            for image in images:
                for fmt in image.formats:
                    shutil.copyfile(image.filename(fmt), temporary / f"{image.basename}.{fmt}")
        (temporary / "reply.json").write_text(json.dumps(reply), encoding="utf-8")
        os.replace(temporary, entry)  # builds sharing a cache never see half an entry
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def _work_root(app: Sphinx) -> Path:
    return Path(app.doctreedir) / "kb-plot-work"


def _socket_path(app: Sphinx) -> str:
    # Unix socket paths are limited to 107 bytes: a short name in the temporary folder
    digest = hashlib.sha256(str(Path(app.doctreedir).resolve()).encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"kb-plot-{digest}.sock")


def _start_server(app: Sphinx, path: str) -> None:
    work = _work_root(app)
    (work / ".matplotlib").mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work), "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(work / ".matplotlib"), "PYTHONHASHSEED": "0",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           **{k: os.environ[k] for k in _PASSED_ENV if k in os.environ}}
    if os.path.exists(path):
        os.unlink(path)
    # stdin and stderr are not the build's: the server must not hold a caller's pipes open
    proc = subprocess.Popen([*_netns_prefix(), sys.executable, "-I", str(_WORKER), path], cwd=work, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True, text=True)
    ready = proc.stdout.readline().strip()
    proc.stdout.close()
    if ready != "ready":
        raise PlotRefused(f"the build could not start its plot runner (exit status {proc.poll()}): "
                          "this is a problem of the build machine, not of the article")


def _ask_server(app: Sphinx, request: dict, timeout: float) -> dict:
    """One block, run by the fork server (started on first use, shared by -j workers)."""
    import fcntl

    path = _socket_path(app)
    for attempt in range(2):
        connection = socket.socket(socket.AF_UNIX)
        try:
            connection.connect(path)
        except OSError:
            connection.close()
            _work_root(app).mkdir(parents=True, exist_ok=True)
            with open(_work_root(app) / "server.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                probe = socket.socket(socket.AF_UNIX)
                try:
                    probe.connect(path)  # another worker started it meanwhile
                    probe.sendall(b'{"ping": true}\n')
                except OSError:
                    _start_server(app, path)
                finally:
                    probe.close()
            continue
        with connection:
            connection.settimeout(timeout)
            connection.sendall((json.dumps(request) + "\n").encode())
            with connection.makefile("r", encoding="utf-8") as lines:
                answer = lines.readline()
        if answer:
            return json.loads(answer)
    raise PlotRefused("the build's plot runner did not answer: this is a problem of the build machine, "
                      "not of the article")


def _stop_server(app: Sphinx, exception) -> None:
    path = _socket_path(app)
    if not os.path.exists(path):
        return
    with socket.socket(socket.AF_UNIX) as connection:
        try:
            connection.connect(path)
            connection.sendall(b'{"shutdown": true}\n')
        except OSError:
            pass


def _results(reply: dict, output_dir: str, output_base: str, config) -> list:
    """The worker's list of figures, trusted only for files it was asked to write."""
    formats = {fmt for fmt, _dpi in mpl_plot.get_plot_formats(config)}
    results = []
    for piece, images in reply.get("results", []):
        files = []
        for basename, dirname, image_formats in images:
            if (Path(dirname) != Path(output_dir) or not str(basename).startswith(output_base)
                    or "/" in basename or not set(image_formats) <= formats):
                raise PlotRefused("the plot's code reported figures it was not asked to draw")
            image = mpl_plot.ImageFile(basename, dirname)
            image.formats = list(image_formats)
            if not all(Path(image.filename(fmt)).is_file() for fmt in image.formats):
                raise PlotRefused("the plot's figure files are missing")
            files.append(image)
        results.append((str(piece), files))
    return results


_original_render_figures = mpl_plot.render_figures


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
        if self.arguments:
            raise self.error("{plot} takes its code in the block, not from a file: paste the code into the "
                             "block (a file argument would run any file of the machine)")
        if "context" in self.options:
            raise self.error("{plot} does not take :context: here: every block runs alone, in its own process. "
                             "Put all the code of the figure in one block")
        try:
            if type(self.state_machine).__name__ == "MockStateMachine":  # a MyST page
                return self._run_in_markdown()
            return super().run()
        except PlotRefused as err:
            raise self.error(str(err)) from None

    def _run_in_markdown(self) -> list[nodes.Node]:
        from docutils.parsers.rst import Parser

        captured = _CapturedInput(self.state_machine)
        try:
            errors = mpl_plot.run(self.arguments, self.content, self.options, captured, self.state, self.lineno)
        except PlotRefused:
            raise
        except Exception as err:  # matplotlib raises plain errors; say where
            raise self.error(f"the plot's code failed: {err}") from err
        document = self.state.document
        subdoc = new_document(document["source"], document.settings)
        subdoc.reporter = document.reporter
        # matplotlib writes ":class: plot-directive" (a page's own :class: is refused before it
        # gets here): the class is set on the image directly, where docutils puts a figure's
        # :class:, since the option itself is refused to content
        lines = [line for line in captured.lines if not line.strip().startswith(":class:")]
        Parser().parse("\n" * max(self.lineno - 1, 0) + "\n".join(lines), subdoc)
        env = document.settings.env
        for image in list(subdoc.findall(nodes.image)):
            image["classes"].append("plot-directive")
            image["kb_generated"] = True  # the build's own file, not one the article points to
            _finish_figure(image, env, self.options)
        return [*errors, *subdoc.children]


def _png_size(path: Path) -> tuple[int, int] | None:
    with open(path, "rb") as file:
        head = file.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def dark_variant(source: Path, target: Path, background: tuple[float, float, float] = (0.075, 0.078, 0.086)) -> None:
    """The figure for dark mode: each pixel's HSL lightness inverted with hue and saturation
    kept (adding 1 - max - min to every channel does exactly that), then white paper becomes
    the page's dark background. Black text turns light; the colours of lines stay recognisable."""
    import matplotlib.image as mpimg
    import numpy as np

    pixels = mpimg.imread(source)
    rgb, alpha = pixels[..., :3], pixels[..., 3:]
    inverted = rgb + (1.0 - rgb.max(axis=-1, keepdims=True) - rgb.min(axis=-1, keepdims=True))
    back = np.asarray(background, dtype=inverted.dtype)
    result = np.clip(back + (1.0 - back) * inverted, 0.0, 1.0)
    mpimg.imsave(target, np.concatenate([result, alpha], axis=-1) if alpha.size else result,
                 pil_kwargs={"optimize": True})


def _alt_text(image: nodes.image) -> str:
    """The figure's caption or, without one, the last sentence of the paragraph before it
    (which introduces the figure: 「下图……」), never the file's path."""
    caption = image.parent.next_node(nodes.caption) if isinstance(image.parent, nodes.figure) else None
    if caption is not None and caption.astext().strip():
        return caption.astext().strip()
    block = image.parent if isinstance(image.parent, nodes.figure) else image
    previous = None
    while block.parent is not None and not isinstance(block, nodes.section):  # out of matplotlib's `only`
        index = block.parent.index(block)
        if index > 0:
            previous = block.parent[index - 1]
            break
        block = block.parent
    if isinstance(previous, nodes.paragraph):
        sentences = [s for s in re.split(r"(?<=[。！？；])", previous.astext().strip()) if s.strip()]
        if sentences:
            text = sentences[-1].strip().rstrip("：:")
            return text if len(text) <= 160 else text[:159] + "…"
    return "正文所述的图"


def _describe_figures(app: Sphinx, doctree: nodes.document) -> None:
    """Alt text for the build's figures that have none (the page is complete only now)."""
    for image in doctree.findall(nodes.image):
        if image.get("kb_auto_alt"):
            image["alt"] = f"图：{_alt_text(image)}"


def _finish_figure(image: nodes.image, env, options: dict) -> None:
    """Size, alt text and a dark-mode twin for one of the build's figures."""
    if "alt" not in options:
        image["kb_auto_alt"] = True  # see _describe_figures
    _relative, path = env.relfn2path(image["uri"], env.docname)
    path = Path(path)
    size = _png_size(path) if path.suffix == ".png" and path.is_file() else None
    if size is None:
        return
    image["kb_size"] = tuple(str(n) for n in size)
    if env.app.builder.name == "epub":
        return
    dark = path.with_name(f"{path.stem}-dark{path.suffix}")
    if not dark.is_file() or dark.stat().st_mtime < path.stat().st_mtime:
        dark_variant(path, dark)
    twin = image.deepcopy()
    twin["uri"] = image["uri"][: -len(path.suffix)] + "-dark" + path.suffix
    image["classes"].append("only-light")
    twin["classes"].append("only-dark")
    image.parent.insert(image.parent.index(image) + 1, twin)


def setup(app: Sphinx) -> None:
    app.setup_extension("matplotlib.sphinxext.plot_directive")
    app.add_directive("plot", PlotDirective, override=True)
    mpl_plot.render_figures = confined_render_figures
    app.add_config_value("kb_plot_timeout", WALL_SECONDS, "env", int)
    app.add_config_value("kb_plot_cache", "", "", str)
    app.connect("build-finished", _stop_server)
    app.connect("doctree-read", _describe_figures)
