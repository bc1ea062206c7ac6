"""arenatrace: record a CPython program's allocator calls for arenabench.

    python3 -m arenatrace [--domains obj,mem[,raw]] [--no-arenas] OUT.trace script.py [args...]
    ARENATRACE=OUT.trace python3 script.py      (with this directory's parent on PYTHONPATH)

The trace format and how to replay it are described in the arenabench README
("Replaying real Python programs").
"""
import atexit
import os

from arenatrace import _capture

DEFAULT_DOMAINS = "obj,mem"

__all__ = ["start", "stop", "active", "start_from_environment", "DEFAULT_DOMAINS"]


def start(path, domains=DEFAULT_DOMAINS, arenas=True):
    """Hook the allocators of `domains` and start writing a trace to `path`."""
    _capture.start(os.fspath(path), domains, arenas)


def stop():
    """Unhook and finish the trace; returns a summary dict (None if not tracing)."""
    return _capture.stop()


def active():
    return _capture.active()


def start_from_environment(environ=os.environ):
    """Start tracing if ARENATRACE names a file ("%p" is replaced by the pid).

    ARENATRACE_DOMAINS overrides the hooked domains.  Unless the name contains
    "%p", the variable is removed from os.environ, so child Python processes
    do not overwrite the same file.  Tracing stops at interpreter exit
    (atexit); a process that ends with os._exit() leaves a trace without its
    END record, which readers reject as truncated.
    """
    path = environ.get("ARENATRACE")
    if not path:
        return False
    domains = environ.get("ARENATRACE_DOMAINS", DEFAULT_DOMAINS)
    if "%p" in path:
        path = path.replace("%p", str(os.getpid()))
    else:
        environ.pop("ARENATRACE", None)
    atexit.register(_stop_quietly)
    start(path, domains)
    return True


def _stop_quietly():
    stop()
