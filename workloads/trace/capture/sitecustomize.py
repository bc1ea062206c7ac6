"""Activate arenatrace when ARENATRACE is set (PYTHONPATH must name this directory).

Python imports exactly one `sitecustomize`; this one shadows the system's
(Debian: /etc/python3.11/sitecustomize.py), so it runs that one afterwards.
"""
import importlib.machinery
import importlib.util
import os
import sys


def _chain_system_sitecustomize():
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec and spec.loader:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


_chain_system_sitecustomize()
if os.environ.get("ARENATRACE"):
    import arenatrace
    arenatrace.start_from_environment()
