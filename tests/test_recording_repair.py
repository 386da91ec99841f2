"""repair(): the superblock checksum, clearing the status flags, refusing what is not a recording."""

from __future__ import annotations

import struct
from pathlib import Path

import h5py
import pytest

from ace_gentl.errors import RecordingFileError
from ace_gentl.recording.repair import clear_status_flags, lookup3, read_superblock, repair


def test_lookup3_matches_hdf5s_own_superblock_checksums(tmp_path: Path) -> None:
    for index, libver in enumerate(("v108", "latest")):
        path = tmp_path / f"{index}.h5"
        with h5py.File(path, "w", libver=libver) as file:
            file["x"] = list(range(index + 3))
        block = read_superblock(path)
        raw = path.read_bytes()[block.offset:block.offset + block.size]
        assert lookup3(raw[:-4]) == struct.unpack("<I", raw[-4:])[0]
    assert lookup3(b"") == 0xDEADBEEF


def test_clearing_flags_of_an_open_writer_lets_a_plain_open_work(tmp_path: Path) -> None:
    path = tmp_path / "open.h5"
    writer = h5py.File(path, "w", libver="latest")
    writer["x"] = [1, 2, 3]
    writer.flush()
    copy = tmp_path / "copy.h5"
    copy.write_bytes(path.read_bytes())  # what a dead writer leaves: flags set
    writer.close()
    assert read_superblock(copy).flags != 0
    with pytest.raises(OSError):
        h5py.File(copy, "r").close()
    before, after = clear_status_flags(copy)
    assert before != 0 and after == 0
    with h5py.File(copy, "r") as file:
        assert list(file["x"][:]) == [1, 2, 3]


def test_repair_refuses_other_files(tmp_path: Path) -> None:
    with pytest.raises(RecordingFileError, match="no such file"):
        repair(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_bytes(b"hello" * 10)
    with pytest.raises(RecordingFileError, match="no HDF5 superblock"):
        repair(tmp_path / "text.h5")
    with h5py.File(tmp_path / "plain.h5", "w", libver="latest") as file:
        file["x"] = 1
    with pytest.raises(RecordingFileError, match="not an ace_gentl recording"):
        repair(tmp_path / "plain.h5")
