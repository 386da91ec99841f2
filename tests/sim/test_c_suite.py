"""The producer's own C tests (model, images, GenTL API with bad calls), built from cti/ with
cmake: once under AddressSanitizer + UndefinedBehaviorSanitizer, once under valgrind memcheck."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CTI_SRC = REPO / "cti"

pytestmark = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                reason="no C compiler")


def _cmake() -> str:
    exe = shutil.which("cmake")
    assert exe, "cmake is needed for the C tests (pip install cmake)"
    return exe


def _build(build_dir: Path, *defines: str) -> None:
    subprocess.run([_cmake(), "-S", str(CTI_SRC), "-B", str(build_dir), "-DACESIM_BUILD_TESTS=ON", *defines],
                   check=True, capture_output=True, text=True)
    proc = subprocess.run([_cmake(), "--build", str(build_dir), "-j", str(os.cpu_count() or 2)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


def _ctest(build_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    ctest = Path(_cmake()).with_name("ctest")
    return subprocess.run([str(ctest) if ctest.exists() else "ctest", "--test-dir", str(build_dir),
                           "--output-on-failure", *args], capture_output=True, text=True, timeout=1200)


@pytest.mark.slow
def test_c_tests_clean_under_address_and_undefined_sanitizers(tmp_path: Path) -> None:
    build = tmp_path / "asan"
    _build(build, "-DACESIM_SANITIZE=ON", "-DCMAKE_BUILD_TYPE=Debug")
    proc = _ctest(build, "-LE", "valgrind")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "tests passed" in proc.stdout
    assert "0 tests failed" in proc.stdout or "100% tests passed" in proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed (.ci/run installs it)")
def test_gentl_api_test_clean_under_valgrind(tmp_path: Path) -> None:
    build = tmp_path / "plain"
    _build(build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo")
    proc = _ctest(build, "-L", "valgrind")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "100% tests passed" in proc.stdout
