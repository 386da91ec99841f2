"""The recorder driven through the engine protocol by an engine that makes numpy frames: no producer at all."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin  # noqa: F401
import numpy as np
import pytest

import ace_gentl
from ace_gentl import cli_files
from ace_gentl.errors import RecordingError
from ace_gentl.frames import Frame
from ace_gentl.recording import layout, metadata
from ace_gentl.recording.engine import CameraEnd, CameraStart, Record, RunEnd, RunStart
from ace_gentl.recording.recorder import Recorder


def numpy_frame(index: int, shape: tuple[int, int], *, lent: set[int] | None = None, lost_before: int = 0) -> Frame:
    data = ((np.arange(shape[0] * shape[1], dtype=np.uint32) + index) % 4096).astype(np.uint16).reshape(shape)
    give_back = None
    if lent is not None:
        lent.add(index)
        give_back = lambda: lent.discard(index)  # noqa: E731
    return Frame(raw=data.reshape(-1).view(np.uint8), frame_id=index + 1, timestamp_ns=(index + 1) * 10_000_000,
                 host_time_ns=time.time_ns(), pixel_format="Mono16", width=shape[1], height=shape[0],
                 lost_before=lost_before, give_back=give_back)


class NumpyEngine:
    """Frames of ``shapes`` (one per frame; the last repeats), 100 fps, each lent like a producer buffer."""

    def __init__(self, shapes: list[tuple[int, int]], *, known: tuple[int, int] | None = None, count: int = 1000,
                 lost_by_producer: int | None = None, gap_at: int | None = None) -> None:
        self.shapes = shapes
        self.known = known
        self.count = count
        self.lost_by_producer = lost_by_producer
        self.gap_at = gap_at
        self.lent: set[int] = set()
        self.calls: list[str] = []

    def begin(self) -> RunStart:
        self.calls.append("begin")
        geometry = None if self.known is None else layout.Geometry(self.known, np.dtype(np.uint16), "Mono16", 16)
        camera = CameraStart(name="numpy", geometry=geometry, fields=[],
                             static=metadata.StaticMetadata.without_camera("numpy frames"), frame_rate_hz=100.0,
                             lendable_frames=4)
        return RunStart(cameras=[camera], title="numpy")

    def frames(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, Frame]]:
        self.calls.append("frames")
        for index in range(self.count):
            if cancelled():
                return
            time.sleep(0.01)
            shape = self.shapes[min(index, len(self.shapes) - 1)]
            yield 0, numpy_frame(index, shape, lent=self.lent, lost_before=3 if index == self.gap_at else 0)

    def records(self) -> list[Record]:
        return []

    def leader_done(self) -> None:
        self.calls.append("leader_done")

    def halt(self) -> None:
        self.calls.append("halt")

    def end(self) -> RunEnd:
        self.calls.append("end")
        assert not self.lent, "the recorder must have let go of every frame before end()"
        return RunEnd(cameras=[CameraEnd(settings_end={"numpy": True}, lost_by_producer=self.lost_by_producer)])

    def stop(self) -> None:
        self.calls.append("stop")

    def waiting_for(self) -> str:
        return ""

    def max_poll_gap_s(self) -> float:
        return 0.0


def stored(path: Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    with h5py.File(path, "r") as file:
        detector = layout_detector(file)
        return detector["data"][:], detector["frame_id"][:], json.loads(file["entry/recording/result"][()])


def layout_detector(file: h5py.File) -> h5py.Group:
    return next(group for group in file["entry/instrument"].values() if group.attrs.get("NX_class") == "NXdetector")


def test_frames_from_an_engine_are_written_exactly_and_the_calls_come_in_order(tmp_path: Path) -> None:
    engine = NumpyEngine([(8, 16)], known=(8, 16), count=25)
    result = Recorder(engine, tmp_path / "numpy.h5", frames=20).start().wait()
    data, ids, _ = stored(result.path)
    assert result.frames_written == 20 and list(ids) == list(range(1, 21))
    for index in range(20):
        np.testing.assert_array_equal(data[index], numpy_frame(index, (8, 16)).data)
    assert engine.calls == ["begin", "frames", "halt", "end", "stop"]
    assert result.mean_fps == pytest.approx(100.0)  # by the device timestamps, 10 ms apart


class StampedEngine(NumpyEngine):
    """NumpyEngine frames with the device timestamps ``stamp(index)`` gives."""

    def __init__(self, stamp: Callable[[int], int], **kwargs: Any) -> None:
        super().__init__([(8, 16)], known=(8, 16), **kwargs)
        self.stamp = stamp

    def frames(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, Frame]]:
        for index, (camera, frame) in enumerate(super().frames(cancelled)):
            frame.timestamp_ns = self.stamp(index)
            yield camera, frame


def test_a_camera_without_device_timestamps_gets_its_rate_from_the_host_clock(tmp_path: Path) -> None:
    # viky.cti leaves every timestamp at 0: the rate must not read 0 fps, nor the file fail integrity.
    result = Recorder(StampedEngine(lambda index: 0, count=12), tmp_path / "host.h5", frames=12).start().wait()
    assert 10.0 < result.mean_fps < 101.0  # the engine sleeps 10 ms per frame: at most 100 fps by the host clock
    with ace_gentl.open_recording(result.path) as recording:
        summary = recording.summary()
        report = cli_files.examine(recording)
        host = recording.column("host_timestamp").astype(np.int64)
    assert summary.clock == "host" and summary.fps == pytest.approx(11 / ((host[-1] - host[0]) * 1e-9))
    assert "of host time" in dict(summary.rows())["rate"]
    assert report.rates["interval_mean_ms"] == pytest.approx(np.diff(host).mean() * 1e-6)
    assert not any("timestamps" in problem for problem in report.problems)


def test_device_timestamps_that_go_back_are_an_integrity_problem(tmp_path: Path) -> None:
    stamps = [10, 20, 30, 25, 40, 50]
    result = Recorder(StampedEngine(lambda index: stamps[index] * 1_000_000, count=6), tmp_path / "back.h5",
                      frames=6).start().wait()
    with ace_gentl.open_recording(result.path) as recording:
        summary = recording.summary()
        report = cli_files.examine(recording)
    assert summary.clock == "device" and summary.fps == pytest.approx(5 / 0.040)
    assert "device timestamps are not increasing" in report.problems


def test_a_shape_unknown_before_the_run_comes_from_the_first_frame(tmp_path: Path) -> None:
    engine = NumpyEngine([(6, 10)], known=None, count=5)
    result = Recorder(engine, tmp_path / "late.h5", frames=5).start().wait()
    data, ids, _ = stored(result.path)
    assert data.shape == (5, 6, 10) and list(ids) == [1, 2, 3, 4, 5]


def test_frames_unlike_the_node_map_make_the_file_follow_the_frames_and_say_so(tmp_path: Path) -> None:
    engine = NumpyEngine([(6, 10)], known=(8, 16), count=5)
    recorder = Recorder(engine, tmp_path / "follows.h5", frames=5)
    result = recorder.start().wait()
    data, _, details = stored(result.path)
    assert data.shape == (5, 6, 10)
    assert any("the file follows the frames" in note for note in details["notes"])


def test_a_shape_change_during_the_run_stops_it_with_the_frames_so_far(tmp_path: Path) -> None:
    engine = NumpyEngine([(6, 10)] * 4 + [(7, 10)], known=(6, 10), count=10)
    recorder = Recorder(engine, tmp_path / "changed.h5", frames=10)
    with pytest.raises(RecordingError, match="changed during the run"):
        recorder.start().wait()
    with ace_gentl.open_recording(tmp_path / "changed.h5") as recording:
        assert len(recording) == 4 and recording.status == "error"


def test_losses_the_producer_counted_outside_the_gaps_are_in_the_run_count(tmp_path: Path) -> None:
    engine = NumpyEngine([(4, 8)], known=(4, 8), count=10, lost_by_producer=7, gap_at=5)
    result = Recorder(engine, tmp_path / "lost.h5", frames=10).start().wait()
    _, _, details = stored(result.path)
    assert details["frames_lost_in_gaps"] == 3 and details["frames_lost_by_producer"] == 7
    assert result.frames_lost == 7


def test_a_run_stopped_before_its_first_frame_writes_no_file(tmp_path: Path) -> None:
    class Silent(NumpyEngine):
        def frames(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, Frame]]:
            while not cancelled():
                time.sleep(0.01)
            return
            yield  # noqa: unreachable (a generator)

    recorder = Recorder(Silent([(4, 4)], known=None), tmp_path / "never.h5", frames=3).start()
    threading.Timer(0.2, recorder.stop).start()
    result = recorder.wait()
    assert result.frames_written == 0 and result.status == "stopped" and not (tmp_path / "never.h5").exists()
    assert any("no file was written" in warning for warning in result.warnings)
    assert not list(tmp_path.iterdir())  # no reserve or lock left behind
