"""Find the package's compiled parts when the package is imported from a source tree.

``pip install .`` puts ``_unpack`` (csrc/unpack.c) and the simulated producer into site-packages.
Python run from a checkout (``python -m ace_gentl.cli`` or a test's child process started in the
repository root) imports ``ace_gentl`` from the checkout instead, which holds no compiled files:
the installed copies are found through the distribution's file list, as ``ace_gentl.sim.cti_path``
does for the producer.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
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
