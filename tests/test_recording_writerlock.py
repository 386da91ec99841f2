"""Who writes a recording: the writer's lock file and identity, and telling a live writer from a dead one."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import h5py
import numpy as np
import pytest

import ace_gentl
from ace_gentl.errors import RecordingFileError
from ace_gentl.recording import compression, layout, metadata
from ace_gentl.recording.writer import FrameWriter
from ace_gentl.recording.writerlock import WriterInfo, WriterLock, hdf5_lock_held, lock_path, writer_state

SHAPE = (8, 16)


def make_writer(path: Path, title: str = "") -> FrameWriter:
    geometry = layout.Geometry(shape=SHAPE, dtype=np.dtype(np.uint8), pixel_format="Mono8", bits=8)
    return FrameWriter(path, geometry=geometry, compression=compression.parse("none"), chunks=None,
                       fields=list(layout.BASE_FIELDS), static=metadata.StaticMetadata.without_camera("lock test"),
                       config={}, title=title, overwrite=True, drop_page_cache=False)


def test_the_writer_holds_a_lock_file_and_leaves_its_identity(tmp_path: Path) -> None:
    path = tmp_path / "r.h5"
    writer = make_writer(path)
    writer.open()
    try:
        info = WriterInfo.from_json(lock_path(path).read_text())
        assert info is not None and info.pid == os.getpid() and info.host == socket.gethostname()
        state = writer_state(path, True)
        assert state.running and state.info == info and "it holds r.h5.lock" in state.how
        with ace_gentl.open_recording(path) as live:
            assert live.writer.running
            stored = WriterInfo.from_attrs(live.file["entry/recording"].attrs)
        assert stored == info
    finally:
        writer.close("complete", {})
    assert not lock_path(path).exists()
    with ace_gentl.open_recording(path) as closed:
        assert closed.writer.state == "closed"


def test_a_second_writer_on_a_live_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.h5"
    first = make_writer(path)
    first.open()
    try:
        first.write(np.ones(SHAPE, np.uint8), {"frame_id": 1})
        first.flush({})
        with pytest.raises(RecordingFileError, match=f"is being written by PID {os.getpid()}"):
            make_writer(path).open()  # overwrite=True must not truncate a file a live writer holds
        with ace_gentl.open_recording(path) as live:
            assert len(live) == 1
    finally:
        first.close("complete", {})


def test_a_writer_that_fails_to_make_the_layout_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.h5"
    with pytest.raises(ValueError, match="NUL"):
        make_writer(path, title="a\0b").open()  # HDF5 text cannot hold NUL
    assert list(tmp_path.iterdir()) == []


def test_a_stale_lock_file_means_a_dead_writer(tmp_path: Path) -> None:
    path = tmp_path / "r.h5"
    path.write_bytes(b"")
    lock_path(path).write_text('{"pid": 1, "host": "h", "started": "t", "token": ""}')  # nobody holds it
    state = writer_state(path, True)
    assert state.state == "dead" and state.info == WriterInfo(pid=1, host="h", started="t")
    assert writer_state(path, False).state == "closed"


def test_a_reused_pid_is_not_taken_for_the_writer() -> None:
    here = socket.gethostname()
    me = WriterInfo.current()
    assert me.alive() is True
    if me.token:  # Linux: the start token tells another process with the same PID apart
        assert WriterInfo(pid=me.pid, host=here, started="", token=me.token + "0").alive() is False
    assert WriterInfo(pid=me.pid, host="another-host", started="").alive() is None


def test_the_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "r.h5"
    holder = WriterLock(path)
    holder.acquire()
    try:
        with pytest.raises(RecordingFileError, match=f"is being repaired by PID {os.getpid()}"):
            WriterLock(path).acquire("repaired")
    finally:
        holder.release()
    assert not lock_path(path).exists()


def test_hdf5s_own_lock_marks_a_writer_without_swmr(tmp_path: Path) -> None:
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w", libver="latest") as file:
        file["x"] = 1
        assert hdf5_lock_held(path)
        assert writer_state(path, True).running
    assert not hdf5_lock_held(path)
