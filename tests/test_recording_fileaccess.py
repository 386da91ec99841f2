"""Opening recordings for reading: HDF5's SWMR retries bounded, the child-process fallback, error texts."""

from __future__ import annotations

import ctypes
import time
from pathlib import Path

import h5py
import pytest

from ace_gentl.errors import RecordingFileError
from ace_gentl.recording import fileaccess


def test_swmr_reads_make_a_bounded_number_of_attempts() -> None:
    library = fileaccess.hdf5_library()
    assert library is not None  # h5py's libhdf5 is found on Linux and macOS
    fapl = fileaccess.swmr_read_access()
    attempts = ctypes.c_uint()
    assert library.H5Pget_metadata_read_attempts(fapl.id, ctypes.byref(attempts)) >= 0
    assert attempts.value == fileaccess.READ_ATTEMPTS
    assert 2 ** fileaccess.READ_ATTEMPTS * 1e-9 < 0.5  # the most one damaged block can cost, in seconds


def _live_then_truncated(tmp_path: Path) -> Path:
    """A SWMR file still marked open (as a killed writer leaves it), cut in half: HDF5 skips its EOF check."""
    path = tmp_path / "live.h5"
    with h5py.File(path, "w", libver="latest") as file:
        for index in range(40):
            file.create_dataset(f"d{index}", data=list(range(200)), chunks=(50,), maxshape=(None,))
        file.swmr_mode = True
        file.flush()
        copy = tmp_path / "cut.h5"
        data = path.read_bytes()
        copy.write_bytes(data[:len(data) // 2])
    return copy


def _read_everything(path: Path) -> None:
    with fileaccess.file_errors(path), fileaccess.open_swmr(path) as file:
        file.visititems(lambda _name, item: item[()] if isinstance(item, h5py.Dataset) else None)


def test_a_damaged_swmr_file_fails_within_a_second(tmp_path: Path) -> None:
    cut = _live_then_truncated(tmp_path)
    start = time.monotonic()
    with pytest.raises(RecordingFileError, match="damaged"):
        _read_everything(cut)
    assert time.monotonic() - start < 3


def test_without_the_library_a_child_process_reads_the_metadata_first(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fileaccess, "swmr_read_access", lambda: None)
    monkeypatch.setattr(fileaccess, "PROBE_TIMEOUT_S", 5.0)
    good = tmp_path / "good.h5"
    with h5py.File(good, "w", libver="latest") as file:
        file["x"] = [1, 2, 3]
    with fileaccess.open_swmr(good) as file:
        assert list(file["x"][:]) == [1, 2, 3]
    start = time.monotonic()
    with pytest.raises(RecordingFileError, match="damaged|did not end within"):
        _read_everything(_live_then_truncated(tmp_path))
    assert time.monotonic() - start < 8


def test_reasons_in_plain_words() -> None:
    assert fileaccess.reason(OSError("Can't read data (incorrect metadata checksum after all read attempts)")) \
        .startswith("damaged: a metadata checksum does not match (")
    assert fileaccess.reason("x (filter returned failure during read)").startswith("a compressed chunk cannot be "
                                                                                   "decoded")
    assert fileaccess.reason("something\nelse") == "something else"
