"""Native bits: the compiled parts found from a source tree, and OS thread names.

``pip install .`` puts ``_unpack`` (csrc/unpack.c) and the simulated producer into site-packages.
Python run from a checkout (``python -m ace_gentl.cli`` or a test's child process started in the
repository root) imports ``ace_gentl`` from the checkout instead, which holds no compiled files:
the installed copies are found through the distribution's file list, as ``ace_gentl.sim.cti_path``
does for the producer.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import threading
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from types import ModuleType

from ace_gentl.errors import AceGentlError


def installed_file(folder: str, name_prefix: str, suffixes: tuple[str, ...]) -> Path | None:
    """The installed ``<folder>/<name_prefix>*<suffix>`` of the ace-gentl distribution, if any."""
    try:
        files = distribution("ace-gentl").files or []
    except PackageNotFoundError:
        return None
    for file in files:
        if file.parent.name == folder and file.name.startswith(name_prefix) and file.name.endswith(suffixes):
            path = Path(str(file.locate())).resolve()
            if path.is_file():
                return path
    return None


def unpack_module() -> ModuleType:
    """The ``ace_gentl._unpack`` extension: next to this file, else the installed one."""
    try:
        from ace_gentl import _unpack  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        return _unpack  # type: ignore[no-any-return]
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    path = installed_file("ace_gentl", "_unpack.", suffixes)
    if path is None:
        raise AceGentlError("ace_gentl._unpack (csrc/unpack.c) is not built: install the package with "
                            "`pip install .` (it needs a C compiler and cmake)")
    spec = importlib.util.spec_from_file_location("ace_gentl._unpack", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def name_native_thread() -> None:
    """Give the calling thread's Python name to the OS thread (``top -H``, /proc/<pid>/task/*/comm).

    ``ace-gentl-writer`` becomes ``ace-writer`` (Linux keeps 15 characters); benchmarks/bench_cpu.py
    splits a recording's CPU time by these names. A no-op where prctl is missing.
    """
    name = threading.current_thread().name.replace("ace-gentl-", "ace-")[:15].encode()
    try:
        ctypes.CDLL(None).prctl(_PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError):
        pass


_PR_SET_NAME = 15
