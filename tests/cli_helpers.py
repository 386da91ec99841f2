"""Running ``ace-gentl`` in tests: in-process through typer's CliRunner, or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ace_gentl.cli import app

#: Wide enough that rich never wraps a table cell or a line the tests look for.
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # older typer/click mix stderr into stdout unless told
    except TypeError:  # newer ones always keep them apart
        return CliRunner()


#: A terminal as narrow as many are: what a newcomer's first commands must fit.
NARROW = {"COLUMNS": "80", "NO_COLOR": "1"}


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Any:
    """``ace-gentl ARGS`` in this process, with ``result.stdout`` and ``result.stderr`` apart."""
    return _runner().invoke(app, [str(a) for a in args], env=env or ENV)


def invoke_narrow(*args: str | Path) -> Any:
    """``ace-gentl ARGS`` at 80 columns."""
    return invoke(*args, env=NARROW)


def run_process(*args: str | Path, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m ace_gentl.cli ARGS`` as a child process (the same program as the ace-gentl script)."""
    env = {**os.environ, **ENV}
    return subprocess.run([sys.executable, "-m", "ace_gentl.cli", *[str(a) for a in args]], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=cwd)
