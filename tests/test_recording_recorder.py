"""Recording the simulated camera: every pixel format x compression, checked pixel by pixel; metadata; Recorder."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401 (registers the filters for plain h5py reads)
import numpy as np
import pytest

import ace_gentl
from ace_gentl.recording import compression
from recording_helpers import BITS, ROI, configure, expected_frame


@pytest.fixture(scope="module")
def cam() -> Iterator[ace_gentl.Session]:
    with ace_gentl.open(sim=True) as session:
        yield session


def check_pixels(path: Path, pixel_format: str, image: str = "Testimage1", roi: dict[str, int] = ROI) -> int:
    """Every pixel of every frame against the formula, with plain h5py (+ hdf5plugin); returns the frame count."""
    with h5py.File(path, "r") as file:
        detector = file["entry/instrument/acA4112_20um"]
        data, ids = detector["data"], detector["frame_id"][:]
        assert data.shape == (len(ids), roi["Height"], roi["Width"])
        assert data.dtype == (np.uint8 if pixel_format == "Mono8" else np.uint16)
        for index, frame_id in enumerate(ids):
            expected = expected_frame(image, int(frame_id), data.shape[1:], (roi["OffsetX"], roi["OffsetY"]),
                                      BITS[pixel_format])
            np.testing.assert_array_equal(data[index], expected.astype(data.dtype), err_msg=f"frame {index}")
        return len(ids)


@pytest.mark.parametrize("pixel_format", ["Mono8", "Mono12", "Mono12p"])
def test_every_format_and_compression_reads_back_exactly(cam: ace_gentl.Session, tmp_path: Path,
                                                         pixel_format: str) -> None:
    configure(cam, pixel_format=pixel_format)
    for name in compression.NAMES:
        path = tmp_path / f"{pixel_format}-{name}.h5"
        result = cam.record(path, frames=6, compression=name)
        assert (result.frames_written, result.frames_lost, result.frames_incomplete) == (6, 0, 0)
        assert result.status == "complete" and result.error is None
        assert check_pixels(path, pixel_format) == 6
        with h5py.File(path, "r") as file:
            filters = file["entry/instrument/acA4112_20um/data"]._filters
            assert (name == "none") == (not filters), (name, filters)
            frame_ids = file["entry/instrument/acA4112_20um/frame_id"][:]
            assert np.array_equal(np.diff(frame_ids), np.ones(5)), frame_ids
        path.unlink()


def test_mono12p_is_stored_decoded_and_compresses_below_packed_size(cam: ace_gentl.Session, tmp_path: Path) -> None:
    roi = {"Width": 1024, "Height": 512, "OffsetX": 0, "OffsetY": 0}
    configure(cam, pixel_format="Mono12p", image="Off", roi=roi)  # the noisy scene, not a test image
    path = tmp_path / "scene.h5"
    result = cam.record(path, frames=8, compression="blosc-lz4")
    with ace_gentl.open_recording(path) as recording:
        assert recording.frames.dtype == np.uint16 and recording.frames[0].max() <= 4095
        stored = recording.detector["data"].id.get_chunk_info(0).size
    packed = 1024 * 512 * 12 // 8
    assert stored < packed, f"a chunk of {stored} bytes is not below the packed {packed}"
    assert result.frames_written == 8


def test_layout_is_nexus_with_metadata(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, chunks=True)
    path = tmp_path / "meta.h5"
    cam.features["ExposureTime"] = 2500.0
    result = cam.record(path, frames=5, title="metadata test")
    with h5py.File(path, "r") as file:
        assert file.attrs["default"] == "entry"
        entry = file["entry"]
        assert entry.attrs["NX_class"] == "NXentry" and entry.attrs["default"] == "data"
        assert entry["title"][()].decode() == "metadata test"
        assert entry["start_time"][()] and entry["end_time"][()].decode().startswith(time.strftime("%Y"))
        assert entry["program_name"].attrs["version"]
        nxdata = entry["data"]
        assert nxdata.attrs["NX_class"] == "NXdata" and nxdata.attrs["signal"] == "data"
        detector = entry["instrument/acA4112_20um"]
        assert detector.attrs["NX_class"] == "NXdetector"
        assert nxdata["data"] == detector["data"]  # a link, not a copy
        assert detector["x_pixel_size"][()] == pytest.approx(3.45e-6)
        assert detector["x_pixel_size"].attrs["units"] == "m"
        assert detector["serial_number"][()].decode() == cam.device.serial
        assert detector["device_timestamp"].attrs["units"] == "ns"
        assert detector["count_time"].attrs["units"] == "s"
        assert np.allclose(detector["count_time"][:], 2500e-6)
        assert np.all(detector["chunk_ExposureTime"][:] == 2500.0)
        assert detector["chunk_ExposureTime"].attrs["units"] == "us"
        # The Timestamp chunk is the device timestamp the buffer reports.
        assert np.array_equal(detector["chunk_Timestamp"][:], detector["device_timestamp"][:].astype(np.int64))
        assert np.all(np.diff(detector["device_timestamp"][:].astype(np.int64)) > 0)
        assert np.all(np.diff(detector["host_timestamp"][:]) >= 0)
        host = detector["host_timestamp"][:] * 1e-9
        assert abs(host[-1] - time.time()) < 60
        genicam = detector["genicam"]
        xml = genicam["device_xml"][()]  # a UTF-8 string: the XML text
        assert b"<RegisterDescription" in xml and b"acA4112-20um" in xml
        cti = Path(cam.device.producer)
        assert genicam["producer/sha256"][()].decode() == hashlib.sha256(cti.read_bytes()).hexdigest()
        assert genicam["producer/path"][()].decode() == str(cti)
        for package in ("ace-gentl", "harvesters", "genicam", "numpy", "h5py", "hdf5", "hdf5plugin", "python"):
            assert entry["software"][package][()], package
        assert entry["host/hostname"][()]
    with ace_gentl.open_recording(path) as recording:
        assert recording.settings["features"]["ExposureTime"] == 2500.0
        assert recording.settings_end["features"]["ExposureTime"] == 2500.0
        assert recording.config["frames"] == 5 and recording.config["compression"] == "blosc-lz4:5"
        assert recording.record_options["frames"] == 5
        table = recording.table
        assert set(table.dtype.names) >= {"frame_id", "device_timestamp", "host_timestamp", "incomplete",
                                          "lost_before", "chunk_ExposureTime", "chunk_Gain", "chunk_PayloadCRC16"}
        assert len(table) == 5 and recording.status == "complete"
        summary = recording.summary()
        assert summary.frames == 5 and summary.id_gaps == 0 and summary.frames_lost == 0
        assert "5 x (64, 256) Mono8" in str(summary)
    assert result.path == path
    cam.features["ExposureTime"] = 5000.0


def test_settings_in_the_file_repeat_the_run(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, pixel_format="Mono12")
    first = tmp_path / "first.h5"
    cam.record(first, frames=3, compression="zstd")
    configure(cam, pixel_format="Mono8", roi={"Width": 128, "Height": 32, "OffsetX": 0, "OffsetY": 0})
    with ace_gentl.open_recording(first) as recording:
        cam.apply(recording.settings)
        second = tmp_path / "second.h5"
        cam.record(second, **recording.record_options)
    with ace_gentl.open_recording(second) as again:
        assert again.frames.shape == (3, 64, 256) and again.frames.dtype == np.uint16
        assert again.config["compression"] == "zstd:3"
    assert check_pixels(second, "Mono12") == 3


def test_background_recorder_progress_stop_and_live_reading(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False, roi={"Width": 1024, "Height": 480, "OffsetX": 0, "OffsetY": 0})
    path = tmp_path / "bg.h5"
    recorder = cam.recorder(path)
    with pytest.raises(ace_gentl.RecordingError, match="not started"):
        recorder.wait()
    recorder.start()
    deadline = time.monotonic() + 10
    while recorder.progress.frames_written < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.1)  # at least one flush interval
    with ace_gentl.open_recording(path) as live:  # a SWMR reader while the writer runs
        seen = len(live)
        assert seen > 0 and live.status == "running"
        time.sleep(1.1)
        live.refresh()
        assert len(live) > seen
        np.testing.assert_array_equal(live.frames[seen - 1], expected_frame(
            "Testimage1", int(live.column("frame_id")[seen - 1]), (480, 1024), (0, 0), 8).astype(np.uint8))
    progress = recorder.progress
    assert progress.running and progress.fps > 50 and 0 <= progress.queue_fill <= 1
    recorder.stop()
    result = recorder.wait(timeout=10)
    assert result.status == "stopped" and result.frames_lost == 0 and not recorder.running
    with ace_gentl.open_recording(path) as recording:
        assert len(recording) == result.frames_written and recording.status == "stopped"
        assert np.array_equal(np.diff(recording.column("frame_id")), np.ones(len(recording) - 1))


def test_duration_and_progress_bar(cam: ace_gentl.Session, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    configure(cam, unthrottled=False)
    result = cam.record(tmp_path / "d.h5", duration=0.6, progress=True)
    assert 0.6 <= result.duration_s < 2.5 and result.frames_written > 10
    assert "fps" in capsys.readouterr().out


def test_bad_arguments_are_clear(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam)
    with pytest.raises(ace_gentl.RecordingConfigError, match="unknown compression 'lzma'"):
        cam.record(tmp_path / "x.h5", frames=1, compression="lzma")
    with pytest.raises(ace_gentl.RecordingConfigError, match="chunks must have 3 sizes"):
        cam.record(tmp_path / "x.h5", frames=1, chunks=(1, 64))
    (tmp_path / "exists.h5").write_bytes(b"")
    with pytest.raises(FileExistsError):
        cam.record(tmp_path / "exists.h5", frames=1)
    assert not (tmp_path / "exists.h5.reserve").exists()


def test_other_chunk_shapes_go_through_the_filter_pipeline(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, pixel_format="Mono12")
    path = tmp_path / "tiles.h5"
    cam.record(path, frames=4, chunks=(1, 32, 128), compression="blosc-zstd")
    with h5py.File(path, "r") as file:
        assert file["entry/instrument/acA4112_20um/data"].chunks == (1, 32, 128)
    assert check_pixels(path, "Mono12") == 4


def test_a_triggered_run_waits_for_its_triggers_and_says_so(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False)
    cam.TriggerSelector = "FrameStart"
    cam.TriggerMode = "On"
    cam.TriggerSource = "Line1"
    cam.device_features["SimLineSelector"] = "Line1"
    cam.device_features["SimLinePulseFrequency"] = 0.6  # a trigger every 1.7 s: longer than a free-run timeout
    try:
        recorder = cam.recorder(tmp_path / "triggered.h5", frames=3)
        recorder.start()
        seen_waiting = ""
        while recorder.running:
            progress = recorder.progress
            seen_waiting = seen_waiting or progress.waiting_for
            time.sleep(0.1)
        result = recorder.wait()
    finally:
        cam.device_features["SimLinePulseFrequency"] = 0.0
        cam.TriggerMode = "Off"
    assert result.frames_written == 3 and result.status == "complete"
    assert seen_waiting == "a trigger on Line1"


def test_a_triggered_run_without_triggers_ends_on_stop_or_its_timeout(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False)
    cam.TriggerMode = "On"
    cam.TriggerSource = "Software"
    try:
        recorder = cam.recorder(tmp_path / "waiting.h5", frames=3).start()
        time.sleep(1.0)
        t0 = time.monotonic()
        recorder.stop()
        result = recorder.wait()
        assert time.monotonic() - t0 < 1.0 and result.status == "stopped" and result.frames_written == 0
        with pytest.raises(ace_gentl.CameraLostError, match="no frame within 0.5 s"):
            cam.record(tmp_path / "bounded.h5", frames=3, timeout=0.5)
    finally:
        cam.TriggerMode = "Off"


def test_a_duration_counts_from_the_first_frame(cam: ace_gentl.Session, tmp_path: Path) -> None:
    configure(cam, unthrottled=False)
    cam.AcquisitionFrameRateEnable = True
    cam.AcquisitionFrameRate = 20.0
    try:
        result = cam.record(tmp_path / "timed.h5", duration=1.0)
    finally:
        cam.AcquisitionFrameRateEnable = False
    assert 19 <= result.frames_written <= 21, result  # 20 frames due in one second of frames
    assert result.mean_fps == pytest.approx(20.0, rel=0.01)  # by device timestamps, as inspect says
