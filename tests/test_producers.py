"""Producer discovery and validation: every broken file gives ProducerError naming file and reason."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import ace_gentl
from ace_gentl import transport
from ace_gentl.errors import ProducerError
from ace_gentl.producers import REQUIRED_SYMBOLS, find_producers, validate_producer
from ace_gentl.sim import cti_path

CC = shutil.which("cc") or shutil.which("gcc")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler to build test libraries")


def _build(tmp_path: Path, name: str, source: str, *extra: str) -> Path:
    c_file = tmp_path / f"{name}.c"
    c_file.write_text(source)
    out = tmp_path / name
    subprocess.run([CC, "-shared", "-fPIC", "-o", str(out), str(c_file), *extra], check=True, capture_output=True)
    return out


def _all_symbols(body: str = "") -> str:
    return "\n".join(f"int {name}(void) {{ return -1; }}" for name in REQUIRED_SYMBOLS) + body


def test_simulator_passes_validation() -> None:
    assert validate_producer(cti_path()) == cti_path()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProducerError, match="file does not exist") as info:
        validate_producer(tmp_path / "nope.cti")
    assert info.value.path.endswith("nope.cti")


def test_not_a_shared_library(tmp_path: Path) -> None:
    bogus = tmp_path / "text.cti"
    bogus.write_text("this is not a library\n")
    with pytest.raises(ProducerError, match=r"text\.cti.*not a shared library \(no ELF header\)"):
        validate_producer(bogus)


def test_other_architecture(tmp_path: Path) -> None:
    # The simulator with e_machine patched to AArch64: the loader would refuse it with a vague message.
    data = bytearray(cti_path().read_bytes())
    struct.pack_into("<H", data, 18, 183)
    foreign = tmp_path / "arm.cti"
    foreign.write_bytes(bytes(data))
    with pytest.raises(ProducerError, match=r"built for AArch64 \(64-bit\), this Python runs on"):
        validate_producer(foreign)


def test_truncated_library(tmp_path: Path) -> None:
    cut = tmp_path / "cut.cti"
    cut.write_bytes(cti_path().read_bytes()[:4096])
    with pytest.raises(ProducerError, match="cut.cti") as info:
        validate_producer(cut)
    assert "corrupt" in info.value.reason or "refused" in info.value.reason or "lacks" in info.value.reason


@needs_cc
def test_library_without_gentl_symbols(tmp_path: Path) -> None:
    lib = _build(tmp_path, "plain.cti", "int hello(void) { return 1; }\n")
    with pytest.raises(ProducerError, match=r"not a GenTL producer: lacks \d+ GenTL function\(s\): GCInitLib"):
        validate_producer(lib)


@needs_cc
def test_library_with_missing_dependency(tmp_path: Path) -> None:
    dep = _build(tmp_path, "libgone.so", "int gone(void) { return 0; }\n")
    lib = _build(tmp_path, "needsdep.cti", _all_symbols("\nextern int gone(void); int use(void) { return gone(); }\n"),
                 f"-L{tmp_path}", "-lgone")
    dep.unlink()
    with pytest.raises(ProducerError, match=r"the dynamic loader refused it: .*libgone\.so"):
        validate_producer(lib)


@needs_cc
def test_library_that_crashes_when_loaded_does_not_crash_us(tmp_path: Path) -> None:
    lib = _build(tmp_path, "crash.cti", _all_symbols(
        "\n#include <signal.h>\n__attribute__((constructor)) static void boom(void) { raise(SIGSEGV); }\n"))
    with pytest.raises(ProducerError, match=r"crashed while loading it \(signal 11\)"):
        validate_producer(lib)


def test_env_folders_are_searched_and_missing_ones_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "producers"
    folder.mkdir()
    link = folder / "sim.cti"
    link.symlink_to(cti_path())
    (folder / "readme.txt").write_text("not a producer")
    monkeypatch.setenv("GENICAM_GENTL64_PATH", f"{folder}:{tmp_path / 'missing'}")
    search = find_producers()
    assert search.paths == [cti_path()]  # symlink resolved; the .txt file ignored
    assert [e.reason for e in search.errors] == ["folder named on GENICAM_GENTL64_PATH does not exist"]


def test_duplicates_are_dropped() -> None:
    search = find_producers([cti_path(), str(cti_path())], sim=True, env=False)
    assert search.paths == [cti_path()]


def test_broken_producer_does_not_hide_the_others(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.cti"
    bogus.write_bytes(b"\x7fELF garbage")
    found = ace_gentl.list_devices([bogus, tmp_path / "absent.cti"], sim=True)
    assert [d.model for d in found] == ["acA4112-20um"]
    reasons = sorted(str(e) for e in found.errors)
    assert len(reasons) == 2
    assert "absent.cti" in reasons[0] and "file does not exist" in reasons[0]
    assert "broken.cti" in reasons[1]
    assert transport.loaded_paths() == []  # listing releases every producer it loaded


def test_open_with_only_a_broken_producer_raises_producer_error(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.cti"
    bogus.write_text("nope")
    with pytest.raises(ProducerError, match="broken.cti"):
        ace_gentl.open(cti=bogus)
