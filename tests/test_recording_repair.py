"""repair(): the superblock checksum, clearing the status flags, refusing what is not a recording; never
touching a healthy file, never removing pixel data, all or nothing."""

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


# --- what repair must never do ---------------------------------------------------------------

import hashlib  # noqa: E402
import importlib  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

from ace_gentl.recording import compression, layout, metadata  # noqa: E402
from ace_gentl.recording import writer as writer_module  # noqa: E402

import ace_gentl  # noqa: E402
from ace_gentl.recording.writer import FrameWriter  # noqa: E402

repair_module = importlib.import_module("ace_gentl.recording.repair")  # the package exports repair() by that name

SHAPE = (16, 32)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _writer(path: Path) -> FrameWriter:
    geometry = layout.Geometry(shape=SHAPE, dtype=np.dtype(np.uint8), pixel_format="Mono8", bits=8)
    return FrameWriter(path, geometry=geometry, compression=compression.parse("none"), chunks=None,
                       fields=list(layout.BASE_FIELDS), static=metadata.StaticMetadata.without_camera("repair test"),
                       config={}, overwrite=True, drop_page_cache=False)


def _frame(index: int) -> np.ndarray:
    return np.full(SHAPE, index, np.uint8)


def _values(index: int) -> dict[str, int]:
    return {"frame_id": index + 1, "device_timestamp": 1000 * (index + 1), "host_timestamp": index}


def write_closed(path: Path, frames: int) -> None:
    writer = _writer(path)
    writer.open()
    for index in range(frames):
        writer.write(_frame(index), _values(index))
    writer.close("complete", {"frames_written": frames})


_KILLED_CHILD = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from test_recording_repair import _frame, _values, _writer
from pathlib import Path
writer = _writer(Path({path!r}))
writer.open()
for index in range({frames}):
    writer.write(_frame(index), _values(index))
writer.flush({{"frames_written": {frames}}})
for index in range({frames}, {frames} + {unflushed}):  # written; their per-frame values not flushed yet
    writer.write(_frame(index), _values(index))
writer._file.flush()  # the chunks and data's new shape reach the file, the per-frame values stay pending
os.kill(os.getpid(), signal.SIGKILL)
"""


def write_dead(path: Path, frames: int, unflushed: int = 0) -> Path:
    """A file whose writer was killed with ``kill -9`` (in a child process) after ``frames`` flushed frames."""
    code = _KILLED_CHILD.format(tests=str(Path(__file__).parent), path=str(path), frames=frames, unflushed=unflushed)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return path


def test_repair_leaves_a_healthy_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "healthy.h5"
    write_closed(path, 4)
    before, mtime = _digest(path), path.stat().st_mtime_ns
    report = repair(path)
    assert not report.changed and report.frames_kept == 4
    assert "nothing to repair" in str(report) and "file untouched" in str(report)
    assert _digest(path) == before and path.stat().st_mtime_ns == mtime
    assert not path.with_name(path.name + ".lock").exists()


def test_repair_keeps_frames_it_cannot_pair_with_metadata(tmp_path: Path) -> None:
    path = tmp_path / "short_ids.h5"
    write_closed(path, 20)
    with h5py.File(path, "r+") as file:  # frame_id shorter than data: clean flags, status complete
        detector = writer_module.find_detector(file)
        for name in ("frame_id", "device_timestamp", "host_timestamp", "incomplete", "lost_before", "count_time"):
            detector[name].resize(5, axis=0)
    before = _digest(path)
    report = repair(path)
    assert report.frames_in_data == 20 and report.frames_kept == 5 and report.frames_unpaired == 15
    assert "15 frames in data have no per-frame metadata: kept (data[5:])" in str(report)
    assert _digest(path) == before
    with ace_gentl.open_recording(path) as recording:
        assert len(recording) == 5 and recording.unpaired_frames == 15
        assert recording.summary().frames_unpaired == 15
        np.testing.assert_array_equal(recording.detector["data"][19], _frame(19))


def test_repair_of_a_dead_writer_keeps_unflushed_frames(tmp_path: Path) -> None:
    dead = write_dead(tmp_path / "w.h5", 6, unflushed=3)
    with ace_gentl.open_recording(dead) as recording:
        assert recording.status == "running" and len(recording) == 6
        data_before = recording.detector["data"].shape[0]
        assert data_before == 9 and recording.unpaired_frames == 3
    report = repair(dead)
    assert report.changed and report.flags_before == 0x05 and report.frames_kept == 6
    assert report.reserve_removed is False and not dead.with_name(dead.name + ".lock").exists()
    assert report.frames_in_data == data_before and report.frames_unpaired == 3
    with h5py.File(dead, "r") as file:
        detector = writer_module.find_detector(file)
        assert detector["data"].shape[0] == data_before  # nothing trimmed
        assert file["entry/recording/status"][()] == b"aborted"
        for index in range(data_before):
            np.testing.assert_array_equal(detector["data"][index], _frame(index))


def test_repair_refuses_what_it_cannot_tell_without_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = write_dead(tmp_path / "w.h5", 2)
    dead.with_name(dead.name + ".lock").unlink()  # a copied file: only the identity stored inside is left
    monkeypatch.setattr(socket, "gethostname", lambda: "another-host")  # ... of a writer on another machine
    before = _digest(dead)
    with pytest.raises(RecordingFileError, match="cannot be told whether its writer still runs .*use --force"):
        repair(dead)
    assert _digest(dead) == before
    assert repair(dead, force=True).frames_kept == 2


def test_repair_is_undone_when_it_fails_half_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = write_dead(tmp_path / "w.h5", 3)
    before = _digest(dead)

    class FailingH5py:
        """h5py whose File fails when repair opens the file for writing."""

        def __getattr__(self, name: str) -> object:
            return getattr(h5py, name)

        @staticmethod
        def File(*args: object, **kwargs: object) -> h5py.File:  # noqa: N802 (h5py's name)
            if len(args) > 1 and args[1] == "r+":
                raise OSError("Unable to synchronously open file (injected failure)")
            return h5py.File(*args, **kwargs)

    monkeypatch.setattr(repair_module, "h5py", FailingH5py())
    with pytest.raises(RecordingFileError, match="repair failed and was undone"):
        repair(dead)
    assert _digest(dead) == before


def test_a_file_killed_before_its_layout_holds_no_frames(tmp_path: Path) -> None:
    path = tmp_path / "young.h5"
    writer = h5py.File(path, "w", libver="latest")  # created, no layout yet, SWMR not on: flags 0x01
    writer.create_group("entry")
    writer.flush()
    young = tmp_path / "copy.h5"
    young.write_bytes(path.read_bytes())
    writer.close()
    assert read_superblock(young).flags == 0x01
    before = _digest(young)
    with pytest.raises(RecordingFileError, match="holds no frames: its writer ended before the recording's "
                                                 "structure was complete"):
        repair(young, force=True)
    assert _digest(young) == before
    with pytest.raises(RecordingFileError, match="holds no frames"):
        ace_gentl.open_recording(young)


def test_a_damaged_superblock_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "sb.h5"
    write_closed(path, 2)
    raw = bytearray(path.read_bytes())
    raw[30] ^= 0x10
    path.write_bytes(bytes(raw))
    before = _digest(path)
    for attempt in (repair, ace_gentl.open_recording):
        with pytest.raises(RecordingFileError, match="superblock's checksum does not match"):
            attempt(path)
    assert _digest(path) == before


_KILLED_WHILE_FINISHING = """
import h5py, os, signal, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_recording_repair import write_closed
write_closed(Path({path!r}), 4)
file = h5py.File({path!r}, "r+", libver="latest")  # what FrameWriter.finish does after the SWMR writer closed
file.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_while_finishing_the_file(tmp_path: Path) -> None:
    path = tmp_path / "finishing.h5"
    code = _KILLED_WHILE_FINISHING.format(tests=str(Path(__file__).parent), path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert read_superblock(path).flags == 0x01  # open for writing without SWMR: HDF5 refuses every read mode
    with ace_gentl.open_recording(path) as recording:  # read through the flags-cleared view, nothing written
        assert len(recording) == 4 and recording.status == "complete"
        assert recording.writer.state == "dead"
        np.testing.assert_array_equal(recording.frames[3], _frame(3))
    report = repair(path)
    assert report.changed and report.flags_before == 0x01 and report.frames_kept == 4
    with h5py.File(path, "r") as file:
        assert file["entry/recording/status"][()] == b"complete"
