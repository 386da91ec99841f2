"""The producer is built, installed with the package, and exports exactly the GenTL API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ace_gentl.sim import CTI_NAME, cti_path
from gentl_ctypes import GENTL_FUNCTIONS

REPO = Path(__file__).resolve().parents[2]


def test_cti_path_is_an_absolute_existing_file() -> None:
    path = cti_path()
    assert path.is_absolute()
    assert path.is_file()
    assert path.name == CTI_NAME


def test_cli_prints_the_path() -> None:
    exe = shutil.which("ace-gentl")
    assert exe, "the ace-gentl console script is not installed"
    out = subprocess.run([exe, "sim", "path"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(cti_path())


def test_cti_override_that_does_not_exist_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ace_gentl.errors import SimulatorNotBuiltError

    monkeypatch.setenv("ACE_GENTL_SIM_CTI", str(tmp_path / "missing.cti"))
    with pytest.raises(SimulatorNotBuiltError, match="does not exist"):
        cti_path()


def test_cli_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    exe = shutil.which("ace-gentl")
    assert exe
    env = {"ACE_GENTL_SIM_CTI": str(tmp_path / "missing.cti"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([exe, "sim", "path"], capture_output=True, text=True, env=env)
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("nm") is None, reason="binutils nm not installed")
def test_exports_exactly_the_64_gentl_functions() -> None:
    out = subprocess.run(["nm", "-D", "--defined-only", str(cti_path())], capture_output=True, text=True, check=True)
    exported = {line.split()[-1] for line in out.stdout.splitlines() if line.split()[1:2] in (["T"], ["W"], ["D"], ["B"])}
    exported = {name.split("@")[0] for name in exported}
    assert exported == set(GENTL_FUNCTIONS)


def test_generated_register_table_is_up_to_date() -> None:
    generator = REPO / "cti" / "tools" / "gen_camera.py"
    proc = subprocess.run([sys.executable, str(generator), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
