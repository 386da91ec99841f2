"""GenTLDetector in RunEngine plans against the simulated camera: step scans, fly scans, triggers, files."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from bluesky_helpers import (
    DETECTOR_GROUP, HEIGHT, WIDTH, data_dir, detectors, file_of, fly, read_detector, run_engine, sim_state,
    stream_rows,
)

import bluesky.plan_stubs as bps  # noqa: E402
import bluesky.plans as bp  # noqa: E402
from bluesky.utils import FailedStatus  # noqa: E402
from ophyd_async.core import DetectorTrigger, NotConnectedError, TriggerInfo  # noqa: E402
from ophyd_async.sim import SimMotor  # noqa: E402

import ace_gentl
from ace_gentl.bluesky import SimLinePulser

__all__ = ["data_dir", "run_engine", "sim_state"]  # fixtures used by name
PER_FRAME = ("frame_id", "device_timestamp", "host_timestamp", "incomplete", "lost_before", "count_time", "frame_checksum")


def test_count_records_one_file_described_by_stream_resources(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    with detectors(data_dir) as (cam,):
        engine(bp.count([cam], num=3))
    resources = {doc["data_key"]: doc for doc in documents.of("stream_resource")}
    assert set(resources) == {"cam1", *(f"cam1-{name}" for name in PER_FRAME)}
    assert resources["cam1"]["parameters"] == {"dataset": f"/{DETECTOR_GROUP}/data", "chunk_shape": (1, HEIGHT, WIDTH)}
    assert resources["cam1"]["mimetype"] == "application/x-hdf5"
    assert resources["cam1-frame_id"]["parameters"]["dataset"] == f"/{DETECTOR_GROUP}/frame_id"
    assert all(stream_rows(documents, key) == 3 for key in resources)
    descriptor = documents.of("descriptor")[0]
    assert descriptor["data_keys"]["cam1"]["shape"] == [1, HEIGHT, WIDTH]
    assert descriptor["data_keys"]["cam1"]["dtype_numpy"] == "|u1"
    assert descriptor["data_keys"]["cam1"]["external"] == "STREAM:"
    path = file_of(documents, "cam1")
    values = read_detector(path)
    assert values["data"].shape == (3, HEIGHT, WIDTH)
    assert values["status"] == "complete"  # the detector ended the recording at unstage, every frame in
    assert len(documents.of("event")) == 3
    with ace_gentl.open_recording(path) as recording:  # the same file as session.record makes
        summary = recording.summary()
    assert summary.frames == 3 and summary.frames_lost == 0


def test_scan_with_a_simulated_motor_takes_one_frame_per_point(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    motor = SimMotor(name="motor", instant=True)
    engine(bps.null())
    with detectors(data_dir) as (cam,):
        engine(bp.scan([cam], motor, -1.0, 1.0, 5))
    events = documents.of("event")
    assert [round(event["data"]["motor"], 6) for event in events] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert stream_rows(documents, "cam1") == 5
    values = read_detector(file_of(documents, "cam1"))
    assert values["data"].shape[0] == 5 == len(values["frame_id"])
    # The camera streams only during a point: each point's frame is the first of its acquisition.
    assert set(values["frame_id"]) == {1} and set(values["lost_before"]) == {0}


def test_config_signals_follow_the_camera_and_land_in_the_file(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    with detectors(data_dir) as (cam,):
        engine(bps.mv(cam.exposure_time, 1500.0))
        engine(bp.count([cam], num=2))
    configuration = documents.of("descriptor")[0]["configuration"]["cam1"]
    assert configuration["data"]["cam1-exposure_time"] == 1500.0
    assert configuration["data_keys"]["cam1-exposure_time"]["units"] == "us"
    assert configuration["data"]["cam1-pixel_format"] == "Mono8"
    assert configuration["data"]["cam1-height"] == HEIGHT
    assert 0 < configuration["data"]["cam1-readout_time"] < 0.01  # 64 rows + 34 at 14.02 us
    values = read_detector(file_of(documents, "cam1"))
    assert np.allclose(values["count_time"], 1500e-6)


def test_fly_scan_of_two_cameras_internal_trigger(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    with detectors(data_dir, "40000001", "40000002") as dets:
        engine(fly(dets, TriggerInfo(number_of_events=40, livetime=0.002)))
    for name, serial in (("cam1", b"40000001"), ("cam2", b"40000002")):
        assert stream_rows(documents, name) == 40
        path = file_of(documents, name)
        values = read_detector(path)
        assert values["data"].shape == (40, HEIGHT, WIDTH)
        assert list(values["frame_id"]) == list(range(1, 41))  # one acquisition, nothing lost
        assert np.allclose(values["count_time"], 0.002)
        with h5py.File(path) as file:
            assert file[f"{DETECTOR_GROUP}/serial_number"][()] == serial
    assert file_of(documents, "cam1") != file_of(documents, "cam2")


def test_fly_scan_deadtime_sets_the_frame_period(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    with detectors(data_dir, chunks=("Timestamp",)) as (cam,):
        engine(fly([cam], TriggerInfo(number_of_events=10, livetime=0.004, deadtime=0.006)))
    values = read_detector(file_of(documents, "cam1"))
    assert np.allclose(np.diff(values["chunk_Timestamp"]) * 1e-9, 0.010, atol=1e-5)


def test_external_edge_triggers_one_frame_per_pulse(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    with detectors(data_dir, "40000001", "40000002", chunks=("Timestamp", "ExposureTime")) as dets:
        pulser = SimLinePulser(dets, name="pulser")
        info = TriggerInfo(trigger=DetectorTrigger.EXTERNAL_EDGE, number_of_events=15, livetime=0.001)
        engine(fly(dets, info, pulser=pulser, hz=100.0))
    for name in ("cam1", "cam2"):
        assert stream_rows(documents, name) == 15
        values = read_detector(file_of(documents, name))
        assert len(values["frame_id"]) == 15
        assert np.allclose(np.diff(values["chunk_Timestamp"]) * 1e-9, 0.010, atol=1e-6)  # the pulse train's period
        assert np.allclose(values["chunk_ExposureTime"], 1000.0)


def test_external_level_exposes_while_the_line_is_high(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    with detectors(data_dir, chunks=("ExposureTime",)) as dets:
        pulser = SimLinePulser(dets, name="pulser")
        info = TriggerInfo(trigger=DetectorTrigger.EXTERNAL_LEVEL, number_of_events=6)
        engine(fly(dets, info, pulser=pulser, hz=50.0))
    values = read_detector(file_of(documents, "cam1"))
    # The simulator's pulses are 10 us high; TriggerWidth adds its 14 us offset (cti/README.md).
    assert np.allclose(values["chunk_ExposureTime"], 24.0, atol=1.0)
    assert np.allclose(values["count_time"], 24e-6, atol=1e-6)


def test_unsupported_requests_fail_the_plan_with_a_reason(sim_state, run_engine, data_dir) -> None:
    engine, _ = run_engine
    with detectors(data_dir) as (cam,):
        with pytest.raises(FailedStatus, match="Multiple exposures per collection not supported"):
            engine(fly([cam], TriggerInfo(number_of_events=2, exposures_per_collection=2)))
        with pytest.raises(FailedStatus, match="ExposureTime: .* out of range"):
            engine(fly([cam], TriggerInfo(number_of_events=2, livetime=100.0)))  # beyond ExposureTime's maximum


def test_missing_directory_fails_before_anything_is_recorded(sim_state, run_engine, tmp_path) -> None:
    engine, _ = run_engine
    missing = tmp_path / "nowhere"
    started = time.monotonic()
    with detectors(missing) as (cam,):
        with pytest.raises(FailedStatus, match="does not exist"):
            engine(bp.count([cam], num=1))
    assert time.monotonic() - started < 20
    assert not missing.exists()


def test_a_camera_lost_mid_scan_fails_the_plan_and_keeps_its_frames(sim_state, run_engine, data_dir) -> None:
    engine, documents = run_engine
    with detectors(data_dir) as (cam,):
        cam.controller.camera.device_features["SimFaultDisconnectAfterFrames"] = 5
        started = time.monotonic()
        with pytest.raises(Exception):
            engine(fly([cam], TriggerInfo(number_of_events=20, exposure_timeout=3.0)))
        assert time.monotonic() - started < 20
    path = file_of(documents, "cam1")
    values = read_detector(path)
    assert values["status"] == "error"
    assert 1 <= len(values["frame_id"]) <= 5
    with h5py.File(path) as file:
        assert "camera" in file["entry/recording/error"][()].decode().lower()


def test_connect_reports_a_busy_camera(sim_state, run_engine, data_dir) -> None:
    with ace_gentl.open(sim=True, serial="40000001"):
        with pytest.raises(NotConnectedError, match="in use"):
            with detectors(data_dir):
                pass


def test_disconnect_closes_the_camera(sim_state, run_engine, data_dir) -> None:
    with detectors(data_dir) as (cam,):
        assert not cam.controller.camera.closed
    with ace_gentl.open(sim=True, serial="40000001") as session:  # free again
        assert session.device.serial == "40000001"


def test_stage_without_frames_leaves_no_file_and_no_error(sim_state, run_engine, data_dir: Path) -> None:
    engine, _ = run_engine
    with detectors(data_dir) as (cam,):
        engine(bps.stage(cam, wait=True))
        engine(bps.prepare(cam, TriggerInfo(number_of_events=3), wait=True))
        engine(bps.unstage(cam, wait=True))
    assert list(data_dir.iterdir()) == []
