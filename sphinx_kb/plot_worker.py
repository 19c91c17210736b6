"""Runs one ``{plot}`` block, confined; started by :mod:`sphinx_kb.plots`, never imported by it.

The parent starts ``python -I plot_worker.py`` with a minimal environment (no secrets, no
CI or Read the Docs variables), a working directory under the build, CPU-time and memory
limits, a wall-clock timeout, its own process group and, where the platform allows it, no
network namespace. Here, once matplotlib is imported, an audit hook refuses what a plot
never needs: sockets, new processes, writing outside the build's plot folders, and reading
the repository's ``.git`` or files outside the interpreter, the build and the system's
fonts. The request comes as JSON on stdin; the reply is the last line on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def _install_guard(writable: list[str], readable: list[str], forbidden: list[str]) -> None:
    writable = [os.path.realpath(p) for p in writable]
    readable = [os.path.realpath(p) for p in readable] + writable
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
            if writing and not inside(path, writable) and path != os.devnull:
                refuse(f"write {path} (only its working directory under the build)")
            if not writing and not inside(path, readable) and not path.startswith(("/dev/", "/proc/self/")):
                refuse(f"read {path} (only the interpreter, the build and the system's fonts)")
        elif event in ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.chmod",
                       "os.chown", "os.truncate", "shutil.rmtree", "shutil.move", "shutil.copyfile"):
            for arg in args:
                if isinstance(arg, (str, bytes, os.PathLike)):
                    path = os.path.realpath(os.fsdecode(arg))
                    if not inside(path, writable):
                        refuse(f"change {path}")
        elif event.startswith(("socket.", "subprocess.", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                               "os.system", "os.kill", "os.killpg", "pty.", "ctypes.", "winreg.")) \
                and event not in ("socket.gethostname",):
            refuse(f"use {event.split('.')[0]} ({event}): plots draw, they do not connect or start programs")

    sys.addaudithook(hook)


def main() -> None:
    request = json.loads(sys.stdin.readline())
    import matplotlib

    matplotlib.use("Agg")
    import numpy  # noqa: F401  (imported before the guard: it reads its own files freely)
    from matplotlib import pyplot  # noqa: F401
    from matplotlib.sphinxext import plot_directive as mpl_plot

    class Config:  # the settings render_figures reads, from the parent's Sphinx config
        pass

    config = Config()
    for name, value in request["config"].items():
        setattr(config, name, value)
    config.plot_formats = [tuple(f) if isinstance(f, list) else f for f in config.plot_formats]
    config.plot_working_directory = request["workdir"]
    mpl_plot.setup.config = config
    # the font cache and any temporary file stay in the working directory
    _install_guard(writable=[request["workdir"], request["output_dir"]],
                   readable=request["readable"], forbidden=request["forbidden"])
    try:
        results = mpl_plot.render_figures(
            code=request["code"], code_path=request["code_path"], output_dir=request["output_dir"],
            output_base=request["output_base"], context=False, function_name=None, config=config)
    except mpl_plot.PlotError as err:
        reply = {"error": str(err)}
    except BaseException:  # noqa: BLE001 - anything the plot's code raised, SystemExit included
        reply = {"error": traceback.format_exc()}
    else:
        reply = {"results": [[piece, [[img.basename, img.dirname, img.formats] for img in images]]
                             for piece, images in results]}
    sys.stdout.write("\n" + json.dumps(reply) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
