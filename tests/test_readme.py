"""The README's newcomer examples run as written, from a fresh folder, and can be run twice.

Covers the sections "Two commands for a fresh machine" (after the install), "Quick start (Python)",
"Quick start (CLI)", "Run files", "Several cameras as one instrument", "Seeing the data" and "The
simulated camera". ``FILE.h5`` in the README stands for the file ``record`` printed;
``lab_camera.xml`` for a camera's XML (the test uses one of ours). Commands run in bash, with ``ace-gentl`` as ``python -m ace_gentl.cli``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ace_gentl
from devicexml_helpers import TINY

README = Path(__file__).resolve().parent.parent / "README.md"
#: Enough for every command (the slowest records 100 frames of 1024 x 1024 Mono12p in about 4 s).
COMMAND_TIMEOUT_S = 120


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match is not None, f"README has no section {title!r}"
    return match.group(1)


def blocks(title: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", section(title), re.S | re.M)


def bash(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """One README command line, with ``ace-gentl`` the CLI of this interpreter."""
    prelude = f"ace-gentl() {{ {shlex.quote(sys.executable)} -m ace_gentl.cli \"$@\"; }}\n"
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    done = subprocess.run(["bash", "-e", "-c", prelude + command], cwd=cwd, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S, env=env)
    assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done


def python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S, env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0, f"README Python failed:\n{done.stdout}\n{done.stderr}"
    return done


def written(output: str) -> str:
    """The file a ``record`` printed (``wrote PATH``)."""
    match = re.search(r"^wrote (\S+)$", output, re.M)
    assert match is not None, output
    return match.group(1)


def lines_of(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.slow
def test_the_first_command_twice(tmp_path: Path) -> None:
    (install_and_run,) = blocks("Two commands for a fresh machine", "sh")[:1]
    assert "pip install . && " in install_and_run
    commands = install_and_run.split("pip install . && ", 1)[1].strip()
    for _ in range(2):  # --overwrite: the same command again
        done = bash(commands, tmp_path)
        assert "100 frames, 0 lost" in done.stdout and "integrity   ok" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.h5"]
    assert tmp_path.joinpath("first.h5").stat().st_size < 100e6  # the README says about 55 MB


@pytest.mark.slow
def test_the_python_quick_start_and_seeing_the_data(tmp_path: Path) -> None:
    (quick,) = blocks("Quick start (Python)", "python")
    for _ in range(2):  # overwrite=True: the same code again
        done = python(quick, tmp_path)
        assert "100 frames (0 lost, 0 incomplete)" in done.stdout
    assert tmp_path.joinpath("run.h5").stat().st_size < 150e6  # the README says about 105 MB
    (seeing,) = blocks("Seeing the data", "python")
    python(seeing, tmp_path)
    assert tmp_path.joinpath("run.png").stat().st_size > 10_000


@pytest.mark.slow
def test_the_cli_quick_start(tmp_path: Path) -> None:
    (block,) = blocks("Quick start (CLI)", "sh")
    shutil.copy(TINY, tmp_path / "lab_camera.xml")
    file = None
    for line in lines_of(block):
        if "FILE.h5" in line:
            assert file is not None, f"{line!r} comes before the record command"
            line = line.replace("runs/FILE.h5", file).replace("FILE.h5", file)
        done = bash(line, tmp_path)
        if " record " in line:
            file = written(done.stdout)
            assert "created the folder runs\nwrote runs/" in done.stdout
            again = bash(line, tmp_path)  # {run} numbers the next one
            assert written(again.stdout) != file and "created the folder" not in again.stdout
    assert file is not None and (tmp_path / "run.png").is_file() and (tmp_path / "settings.json").is_file()
    with ace_gentl.open(sim=True) as cam:  # UserSet1 was saved; the camera still starts from its defaults
        assert cam.default_user_set == "Default" and cam.PixelFormat == "Mono8"


@pytest.mark.slow
def test_the_run_file_section(tmp_path: Path) -> None:
    (toml,) = blocks("Run files: repeatable experiments", "toml")
    (commands,) = blocks("Run files: repeatable experiments", "sh")
    (tmp_path / "run.toml").write_text(toml, encoding="utf-8")
    file = None
    for line in lines_of(commands):
        if "FILE.h5" in line:
            assert file is not None
            line = line.replace("FILE.h5", file)
        done = bash(line, tmp_path)
        if line.startswith("ace-gentl record run.toml") and "--dry-run" not in line:
            file = written(done.stdout)
    assert file is not None and Path(tmp_path, file).stat().st_size < 80e6  # the README says about 55 MB


@pytest.mark.slow
def test_the_rig_section(tmp_path: Path) -> None:
    (code,) = blocks("Several cameras as one instrument", "python")
    (toml,) = blocks("Several cameras as one instrument", "toml")
    for _ in range(2):  # overwrite=True: the same code again
        done = python(code, tmp_path)
        assert done.stdout.startswith("50 triggers with a frame from every camera\n['left', 'right']")
    (tmp_path / "rig.toml").write_text(toml, encoding="utf-8")
    first = written(bash("ace-gentl record rig.toml", tmp_path).stdout)
    shown = bash(f"ace-gentl inspect {first}", tmp_path).stdout
    assert "left (leader): 50 frames" in shown and "right (follower): 50 frames" in shown


@pytest.mark.slow
def test_the_simulated_camera_section(tmp_path: Path) -> None:
    (commands,) = blocks("The simulated camera", "sh")
    bash(commands + '\ntest -f "$GENICAM_GENTL64_PATH/ace_gentl_sim.cti"', tmp_path)
    (code,) = blocks("The simulated camera", "python")
    done = python(code, tmp_path)
    height, width, mean = done.stdout.split()
    assert (height, width) == ("480", "4096") and 0 < float(mean) < 255
