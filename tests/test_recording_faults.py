"""Nothing lost, nothing hidden: slow disk, injected camera faults, camera lost, disk full, kill -9, Ctrl-C."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin  # noqa: F401
import numpy as np
import pytest

import ace_gentl
from ace_gentl.errors import DeviceError
from ace_gentl.recording.repair import needs_repair
from ace_gentl.recording.camera_engine import CameraEngine
from ace_gentl.recording.writer import FrameWriter
from recording_helpers import BITS, ROI, configure, expected_frame

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cam() -> Iterator[ace_gentl.Session]:
    with ace_gentl.open(sim=True) as session:
        yield session


def check_frames(recording: ace_gentl.Recording, pixel_format: str = "Mono8", roi: dict[str, int] = ROI) -> None:
    ids, incomplete = recording.column("frame_id"), recording.column("incomplete")
    for index in range(len(recording)):
        if incomplete[index]:
            continue
        expected = expected_frame("Testimage1", int(ids[index]), (roi["Height"], roi["Width"]),
                                  (roi["OffsetX"], roi["OffsetY"]), BITS[pixel_format])
        np.testing.assert_array_equal(recording.frames[index], expected.astype(recording.frames.dtype))


def assert_losses_recorded(recording: ace_gentl.Recording, result: ace_gentl.RecordingResult) -> None:
    """Gaps between recorded frames are in lost_before; the run's count adds what the producer lost outside them."""
    ids = recording.column("frame_id").astype(np.int64)
    gaps = int(np.sum(np.diff(ids) - 1))
    before_first = int(recording.column("lost_before")[0])
    assert gaps + before_first == int(recording.column("lost_before").sum())
    details = json.loads(recording.file["entry/recording/result"][()])
    assert details["frames_lost_in_gaps"] == gaps + before_first
    producer = details["frames_lost_by_producer"]
    assert result.frames_lost == max(gaps + before_first, producer if producer is not None else 0)
    assert recording.file["entry/recording/frames_lost"][()] == result.frames_lost


def test_slow_disk_loses_frames_at_the_camera_not_memory(cam: ace_gentl.Session, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    roi = {"Width": 4096, "Height": 480, "OffsetX": 0, "OffsetY": 0}  # ~139 fps at the camera's own pace
    configure(cam, unthrottled=False, roi=roi)
    write = FrameWriter.write

    def slow_write(self: FrameWriter, payload: Any, values: Any, **options: Any) -> int:
        time.sleep(0.03)  # a disk that manages ~33 frames/s
        return write(self, payload, values, **options)

    monkeypatch.setattr(FrameWriter, "write", slow_write)
    frame_bytes = 4096 * 480
    # Few buffers, so the producer runs out of them within the run (by default it has 1 s of frames).
    recorder = cam.recorder(tmp_path / "slow.h5", duration=1.5, queue_bytes=4 * frame_bytes, num_buffers=8)
    recorder.start()
    result = recorder.wait()
    assert result.frames_lost > 20, result
    assert recorder._budget.peak <= 4 * frame_bytes
    with ace_gentl.open_recording(result.path) as recording:
        assert len(recording) == result.frames_written
        assert_losses_recorded(recording, result)
        check_frames(recording, roi=roi)


def test_injected_drops_and_incomplete_frames_are_recorded(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False, roi={"Width": 1024, "Height": 240, "OffsetX": 0, "OffsetY": 0})
    cam.device_features["SimFaultSeed"] = 7
    cam.device_features["SimFaultDropRate"] = 0.2
    cam.device_features["SimFaultIncompleteRate"] = 0.2
    result = cam.record(tmp_path / "faults.h5", frames=60)
    assert result.frames_lost > 0 and result.frames_incomplete > 0, result
    with ace_gentl.open_recording(result.path) as recording:
        assert_losses_recorded(recording, result)
        assert int(recording.column("incomplete").sum()) == result.frames_incomplete
        check_frames(recording, roi={"Width": 1024, "Height": 240, "OffsetX": 0, "OffsetY": 0})
        stream = recording.file[f"{recording.detector.name}/genicam/stream_module_end"][()]
        assert b"StreamLostFrameCount" in stream


def test_a_stall_does_not_break_the_run(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False)
    cam.device_features["SimFaultStallMs"] = 300
    result = cam.record(tmp_path / "stall.h5", frames=20)
    assert result.frames_written == 20 and result.error is None


def test_camera_unplugged_mid_run(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False)
    cam.device_features["SimFaultDisconnectAfterFrames"] = 10
    with pytest.raises(ace_gentl.CameraLostError) as caught:
        cam.record(tmp_path / "lost.h5", frames=100, timeout=1.0)
    result = caught.value.result
    # The 10th frame may still sit in the producer's output queue when returning the 9th buffer fails.
    assert result.frames_written in (9, 10) and result.status == "error"
    with h5py.File(result.path, "r") as file:  # a plain open: the file was closed properly
        assert file["entry/recording/status"][()] == b"error"
        assert file["entry/recording/error"][()]
    with ace_gentl.open_recording(result.path) as recording:
        assert len(recording) == result.frames_written
        assert "disconnected" in recording.error
        check_frames(recording)


class FailingEngine(CameraEngine):
    """The real camera, until it "goes away" after ``after`` frames (no fault controls needed)."""

    def __init__(self, session: ace_gentl.Session, after: int) -> None:
        super().__init__(session)
        self.after = after

    def frames(self, cancelled: Any) -> Iterator[tuple[int, ace_gentl.Frame]]:
        inner = super().frames(cancelled)
        for count, (index, frame) in enumerate(inner):
            if count == self.after:
                frame.release()
                raise DeviceError("the camera was unplugged (injected)")
            yield index, frame


def test_camera_error_mid_run_keeps_the_file(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam)
    recorder = ace_gentl.Recorder(FailingEngine(cam, 7), tmp_path / "gone.h5", frames=50)
    recorder.start()
    with pytest.raises(ace_gentl.CameraLostError, match="after 7 frames.*unplugged") as caught:
        recorder.wait()
    assert isinstance(caught.value.__cause__, DeviceError)
    with ace_gentl.open_recording(tmp_path / "gone.h5") as recording:
        assert len(recording) == 7 and recording.status == "error" and "unplugged" in recording.error
        check_frames(recording)
    assert not cam.streaming


def test_enospc_at_write_stops_cleanly(cam: ace_gentl.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(cam)
    write = FrameWriter.write

    def failing_write(self: FrameWriter, payload: Any, values: Any, **options: Any) -> int:
        if self.written == 12:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
        return write(self, payload, values, **options)

    monkeypatch.setattr(FrameWriter, "write", failing_write)
    path = tmp_path / "full.h5"
    with pytest.raises(ace_gentl.DiskFullError, match="disk full"):
        cam.record(path, frames=40, flush_interval=0.05)
    with h5py.File(path, "r") as file:
        assert file["entry/recording/status"][()] == b"error"
    with ace_gentl.open_recording(path) as recording:
        assert 0 < len(recording) <= 12
        assert recording.detector["data"].shape[0] >= len(recording)  # pixel data is never removed
        check_frames(recording)
    assert not (tmp_path / "full.h5.reserve").exists()


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_real_disk_full_on_a_small_filesystem(cam: ace_gentl.Session, small_fs: Path) -> None:
    roi = {"Width": 1024, "Height": 1024, "OffsetX": 0, "OffsetY": 0}
    configure(cam, roi=roi)
    path = small_fs / "full.h5"
    with pytest.raises(ace_gentl.DiskFullError) as caught:
        cam.record(path, frames=200, compression="none", flush_interval=0.1)
    assert "No space left on device" in str(caught.value) or "disk full" in str(caught.value)
    with h5py.File(path, "r") as file:  # plain open: valid and closed
        assert file["entry/recording/status"][()] == b"error"
    with ace_gentl.open_recording(path) as recording:
        assert 10 < len(recording) < 48
        check_frames(recording, roi=roi)


CHILD = textwrap.dedent("""
    import sys, ace_gentl
    sys.path.insert(0, {tests!r})
    from recording_helpers import configure
    with ace_gentl.open(sim=True) as session:
        configure(session, unthrottled=False)
        session.record({path!r}, duration=60, flush_interval=0.2)
""")


def start_child(path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    code = CHILD.format(tests=str(REPO / "tests"), path=str(path))
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_frames(path: Path, child: subprocess.Popen[bytes], count: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert child.poll() is None, child.communicate()
        if path.exists():
            try:
                with ace_gentl.open_recording(path) as live:
                    if len(live) >= count:
                        return len(live)
            except (ace_gentl.RecordingFileError, OSError, KeyError):
                pass  # the writer is still creating the layout
        time.sleep(0.1)
    raise AssertionError(f"no {count} frames in {path} within 30 s")


def test_kill_9_keeps_every_flushed_frame(tmp_path: Path) -> None:
    path = tmp_path / "killed.h5"
    child = start_child(path)
    try:
        seen = wait_for_frames(path, child, 15)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with pytest.raises(OSError):
        h5py.File(path, "r").close()  # HDF5 refuses a plain open of a file a dead writer left open
    assert needs_repair(path)
    with ace_gentl.open_recording(path) as recording:  # SWMR read works without repair
        assert len(recording) >= seen and recording.status == "running"
    report = ace_gentl.repair(path)
    assert report.flags_before != 0 and report.frames_kept >= seen and report.reserve_removed
    with h5py.File(path, "r") as file:
        assert file["entry/recording/status"][()] == b"aborted"
    with ace_gentl.open_recording(path) as recording:
        assert len(recording) == report.frames_kept
        assert recording.detector["data"].shape[0] == report.frames_kept
        ids = recording.column("frame_id")
        assert np.array_equal(np.diff(ids), np.ones(len(ids) - 1))
        check_frames(recording)
    assert not needs_repair(path)


def test_ctrl_c_finishes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "interrupted.h5"
    child = start_child(path)
    try:
        wait_for_frames(path, child, 10)
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode != 0 and b"KeyboardInterrupt" in err
    assert not needs_repair(path)
    with h5py.File(path, "r") as file:
        assert file["entry/recording/status"][()] == b"interrupted"
        assert file["entry/end_time"][()]
    with ace_gentl.open_recording(path) as recording:
        assert len(recording) >= 10 and recording.settings_end is not None
        check_frames(recording)
    assert not Path(str(path) + ".reserve").exists()


FILE_LIMIT_CHILD = textwrap.dedent("""
    import resource, sys, ace_gentl
    sys.path.insert(0, {tests!r})
    from recording_helpers import configure
    resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))  # as `prlimit --fsize` / `ulimit -f`
    with ace_gentl.open(sim=True) as session:
        configure(session, roi={{"Width": 1024, "Height": 256, "OffsetX": 0, "OffsetY": 0}})
        try:
            session.record({path!r}, frames=2000, compression="none")
        except ace_gentl.RecordingError as error:
            print("ERROR", error)
""")


def test_a_file_size_limit_ends_the_run_like_a_full_disk(tmp_path: Path) -> None:
    path, limit = tmp_path / "limited.h5", 40 << 20
    code = FILE_LIMIT_CHILD.format(tests=str(REPO / "tests"), limit=limit, path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "largest file allowed" in done.stdout, done.stdout
    assert path.stat().st_size <= limit
    with h5py.File(path, "r") as file:  # a valid, closed file, no repair needed
        assert file["entry/recording/status"][()] == b"error"
        assert "largest file allowed" in file["entry/recording/error"][()].decode()
    with ace_gentl.open_recording(path) as recording:
        assert 50 < len(recording) < 160
        check_frames(recording, roi={"Width": 1024, "Height": 256, "OffsetX": 0, "OffsetY": 0})
    assert not needs_repair(path)


def test_a_nearly_full_disk_at_the_start_is_one_line_and_leaves_nothing(cam: ace_gentl.Session,
                                                                        small_fs: Path) -> None:
    configure(cam)
    (small_fs / "filler").write_bytes(b"\0" * (44 << 20))  # 48 MB file system, 4 MB left: the reserve cannot fit
    before = set(small_fs.iterdir())
    with pytest.raises(ace_gentl.DiskFullError, match="cannot start recording: the disk is full") as caught:
        cam.record(small_fs / "f.h5", frames=10)
    assert "\n" not in str(caught.value) and ".reserve" not in str(caught.value)
    assert set(small_fs.iterdir()) == before


def test_a_reserve_that_cannot_be_made_is_one_line_and_leaves_nothing(cam: ace_gentl.Session, tmp_path: Path) -> None:
    # The same path without a small file system: more reserve than any disk has.
    configure(cam)
    with pytest.raises(ace_gentl.RecordingError, match="cannot start recording") as caught:
        cam.record(tmp_path / "f.h5", frames=10, reserve_bytes=1 << 60)
    assert "\n" not in str(caught.value) and ".reserve" not in str(caught.value)
    assert not list(tmp_path.iterdir())


def test_the_output_folder_is_made_when_missing_and_a_file_in_its_place_is_one_line(cam: ace_gentl.Session,
                                                                                     tmp_path: Path) -> None:
    configure(cam)
    recorder = cam.recorder(tmp_path / "runs" / "2026" / "x.h5", frames=3)
    result = recorder.start().wait()
    assert result.frames_written == 3 and any("created the folder" in note for note in recorder.notes)
    (tmp_path / "plain").write_text("a file, not a folder")
    with pytest.raises(ace_gentl.RecordingError, match="is not a folder"):
        cam.record(tmp_path / "plain" / "x.h5", frames=3)


def test_losses_before_the_first_frame_and_by_the_producer_are_counted(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False, roi={"Width": 1024, "Height": 240, "OffsetX": 0, "OffsetY": 0})
    cam.device_features["SimFaultSeed"] = 17
    cam.device_features["SimFaultDropRate"] = 0.1
    result = cam.record(tmp_path / "drops.h5", frames=100)
    with ace_gentl.open_recording(result.path) as recording:
        stream_end = json.loads(recording.file[f"{recording.detector.name}/genicam/stream_module_end"][()])
        ids = recording.column("frame_id")
        lost_before = recording.column("lost_before")
        assert result.frames_lost == stream_end["StreamLostFrameCount"] > 0  # what the camera lost, all of it
        assert recording.file["entry/recording/frames_lost"][()] == result.frames_lost
        assert int(lost_before[0]) == int(ids[0]) - 1  # frame IDs start at 1 after AcquisitionStart


def test_a_camera_that_drops_every_frame_reports_them_lost(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False, roi={"Width": 1024, "Height": 240, "OffsetX": 0, "OffsetY": 0})
    cam.device_features["SimFaultDropRate"] = 1.0
    with pytest.raises(ace_gentl.CameraLostError, match="no frame within") as caught:
        cam.record(tmp_path / "none.h5", frames=10, timeout=1.0)
    result = caught.value.result
    assert result.frames_written == 0 and result.frames_lost > 20  # ~140 fps for 1 s, all dropped
    with h5py.File(tmp_path / "none.h5", "r") as file:
        assert file["entry/recording/frames_lost"][()] == result.frames_lost
