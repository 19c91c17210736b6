"""Runs one ``{plot}`` block, confined; started by :mod:`sphinx_kb.plots`, never imported by it.

The parent starts ``python -I plot_worker.py`` with a minimal environment (no secrets, no
CI or Read the Docs variables), a working directory under the build, CPU-time and memory
limits, a wall-clock timeout, its own process group and, where the platform allows it, no
network namespace. Here, once matplotlib is imported, an audit hook refuses what a plot
never needs: sockets, new processes, writing outside the build's plot folders, and reading
the repository's ``.git`` or files outside the interpreter, the build and the system's
fonts. ``python -I plot_worker.py SOCKET`` serves requests on a Unix socket: it imports matplotlib
once (about 1.4 s) and forks a fresh child for every block, so no block sees another's state.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path


def _install_guard(writable: list[str], readable: list[str], forbidden: list[str],
                   figures: tuple[str, str] | None = None) -> None:
    writable = [os.path.realpath(p) for p in writable]
    readable = [os.path.realpath(p) for p in readable] + writable
    # the figures' folder takes only this block's PNG files (it may sit inside the published site)
    figure_dir, figure_base = (os.path.realpath(figures[0]), figures[1]) if figures else ("", "")

    def figure(path: str) -> bool:
        name = os.path.basename(path)
        return (bool(figure_dir) and os.path.dirname(path) == figure_dir and name.startswith(figure_base)
                and name.endswith(".png"))
    forbidden = [os.path.realpath(p) for p in forbidden]

    def inside(path: str, roots: list[str]) -> bool:
        return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)

    def refuse(what: str) -> None:
        raise PermissionError(f"a {{plot}} block may not {what}")

    def hook(event: str, args) -> None:
        if event == "open":
            path, mode, flags = args
            if not isinstance(path, (str, bytes)):
                return  # an already open file descriptor
            path = os.path.realpath(os.fsdecode(path))
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & (
                os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC)
            if inside(path, forbidden):
                refuse(f"read {path}")
            if writing and not inside(path, writable) and not figure(path) and path != os.devnull:
                refuse(f"write {path} (only its working directory under the build)")
            if not writing and not inside(path, readable) and not path.startswith(("/dev/", "/proc/self/")):
                refuse(f"read {path} (only the interpreter, the build and the system's fonts)")
        elif event in ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.chmod",
                       "os.chown", "os.truncate", "shutil.rmtree", "shutil.move", "shutil.copyfile"):
            for arg in args:
                if isinstance(arg, (str, bytes, os.PathLike)):
                    path = os.path.realpath(os.fsdecode(arg))
                    if not inside(path, writable) and not figure(path):
                        refuse(f"change {path}")
        elif event.startswith(("socket.", "subprocess.", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                               "os.system", "os.kill", "os.killpg", "pty.", "ctypes.", "winreg.")) \
                and event not in ("socket.gethostname",):
            refuse(f"use {event.split('.')[0]} ({event}): plots draw, they do not connect or start programs")

    sys.addaudithook(hook)


def _import_matplotlib():
    import matplotlib

    matplotlib.use("Agg")
    import numpy  # noqa: F401  (imported before the guard: it reads its own files freely)
    from matplotlib import pyplot  # noqa: F401
    from matplotlib.sphinxext import plot_directive as mpl_plot

    _add_cjk_font()
    return mpl_plot


def _add_cjk_font() -> None:
    """Noto Sans CJK SC from the pinned mplfonts package, so that labels can be Chinese
    (``plot_rcparams`` names it after DejaVu Sans: matplotlib falls back glyph by glyph).
    Found without importing the package, which would import its command-line tools."""
    import importlib.util

    spec = importlib.util.find_spec("mplfonts")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        font = Path(folder) / "fonts" / "NotoSansCJKsc-Regular.otf"
        if font.is_file():
            from matplotlib import font_manager

            if "Noto Sans CJK SC" not in {f.name for f in font_manager.fontManager.ttflist}:
                font_manager.fontManager.addfont(str(font))
            return


def _limit(request: dict) -> None:
    import resource

    cpu = int(request["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_AS, (request["memory_bytes"], request["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 20, 256 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def render(request: dict) -> dict:
    """Run one block (in a process of its own, whose rules it sets for itself) and say what
    it drew."""
    mpl_plot = _import_matplotlib()
    os.chdir(request["workdir"])
    os.environ.update(HOME=request["workdir"], TMPDIR=request["workdir"])

    class Config:  # the settings render_figures reads, from the parent's Sphinx config
        pass

    config = Config()
    for name, value in request["config"].items():
        setattr(config, name, value)
    config.plot_formats = [tuple(f) if isinstance(f, list) else f for f in config.plot_formats]
    config.plot_working_directory = request["workdir"]
    mpl_plot.setup.config = config
    _install_guard(writable=[request["workdir"]], readable=[*request["readable"], request["output_dir"]],
                   forbidden=request["forbidden"], figures=(request["output_dir"], request["output_base"]))
    try:
        results = mpl_plot.render_figures(
            code=request["code"], code_path=request["code_path"], output_dir=request["output_dir"],
            output_base=request["output_base"], context=False, function_name=None, config=config)
    except mpl_plot.PlotError as err:
        return {"error": str(err)}
    except BaseException:  # noqa: BLE001 - anything the plot's code raised, SystemExit included
        return {"error": traceback.format_exc()}
    return {"results": [[piece, [[img.basename, img.dirname, img.formats] for img in images]]
                        for piece, images in results]}


def _supervise(connection) -> None:
    """In a process forked for one request: fork the block's own process, wait for it within
    the time limit (then kill its process group), and send back its reply and exit status."""
    import select
    import signal
    import time

    with connection.makefile("r", encoding="utf-8") as lines:
        request = json.loads(lines.readline())
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the block's process
        os.close(read_end)
        os.setsid()
        _limit(request)
        try:
            reply = render(request)
        except BaseException:  # noqa: BLE001
            reply = {"error": traceback.format_exc()}
        os.write(write_end, json.dumps(reply).encode())
        os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + request["wall_seconds"]
    chunks, timed_out = [], False
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([read_end], [], [], max(left, 0))
        if not ready:
            timed_out = True
            break
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    try:
        os.killpg(pid, signal.SIGKILL)  # whatever the block left running in its group
    except ProcessLookupError:
        pass
    try:
        reply = json.loads(b"".join(chunks)) if chunks else None
    except ValueError:
        reply = None
    connection.sendall((json.dumps({"timed_out": timed_out, "status": os.waitstatus_to_exitcode(status),
                                    "reply": reply}) + "\n").encode())


def serve(path: str, idle_seconds: float = 60.0) -> None:
    """The fork server: matplotlib is imported once, here, before any block runs; every block
    runs in a fresh fork of this clean process. It ends when asked or after a minute idle."""
    import signal
    import socket

    _import_matplotlib()
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(16)
    server.settimeout(idle_seconds)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    while True:
        try:
            connection, _ = server.accept()
        except (socket.timeout, OSError):
            break
        connection.settimeout(5)
        try:
            peek = connection.recv(16, socket.MSG_PEEK)
        except OSError:
            peek = b""
        connection.settimeout(None)
        if peek.startswith(b'{"shutdown"'):
            connection.close()
            break
        if not peek.startswith(b'{"code"'):  # a probe, or nothing
            connection.close()
            continue
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _supervise(connection)
            finally:
                os._exit(0)
        connection.close()
    server.close()
    try:
        os.unlink(path)
    except OSError:
        pass


if __name__ == "__main__":
    serve(sys.argv[1])
