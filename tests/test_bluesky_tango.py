"""Cameras on several 'hosts': three `ace-gentl serve --tango` servers (no database, free loopback ports)
driven from GenTLTangoDetectors in step and fly scans; one server killed mid-scan."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import pytest
from bluesky_helpers import DETECTOR_GROUP, HEIGHT, WIDTH, Documents, data_dir, file_of, fly, read_detector, sim_state
from bluesky_helpers import stream_rows
from tango_servers import Server, start, wait_ready

pytest.importorskip("tango", reason="the [tango] extra is not installed")

import bluesky.plan_stubs as bps  # noqa: E402
import bluesky.plans as bp  # noqa: E402
from bluesky.run_engine import call_in_bluesky_event_loop  # noqa: E402
from ophyd_async.core import StaticPathProvider, TriggerInfo, UUIDFilenameProvider, wait_for_connection  # noqa: E402
from ophyd_async.sim import SimMotor  # noqa: E402

from ace_gentl.bluesky import GenTLTangoDetector  # noqa: E402
from ace_gentl.recording import needs_repair  # noqa: E402

__all__ = ["data_dir", "sim_state"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def module_engine():
    # One RunEngine (one event loop) for the module: pytango's asyncio proxies bind to the first loop they see.
    from bluesky import RunEngine

    return RunEngine(call_returns_result=True)


@pytest.fixture
def run_engine(module_engine):
    documents = Documents()
    token = module_engine.subscribe(lambda name, doc: documents.append((name, doc)))
    yield module_engine, documents
    module_engine.unsubscribe(token)


@pytest.fixture
def servers(sim_state, tmp_path):
    made: list[Server] = []
    try:
        for index in (1, 2, 3):
            made.append(start(f"test/cam/{index}", f"4000000{index}", tmp_path))
        wait_ready(made)
        yield made
    finally:
        for server in made:
            server.stop()


def _detectors(engine, servers: list[Server], data_dir: Path) -> list[GenTLTangoDetector]:
    provider = StaticPathProvider(UUIDFilenameProvider(), data_dir)
    dets = [GenTLTangoDetector(server.trl, provider, name=f"cam{index}") for index, server in
            enumerate(servers, start=1)]
    call_in_bluesky_event_loop(wait_for_connection(**{det.name: det.connect(timeout=20) for det in dets}))
    for det in dets:
        engine(bps.mv(det.camera.height, HEIGHT, det.camera.width, WIDTH))
    return dets


def _file_status(det: GenTLTangoDetector) -> str | None:
    """The server's file_status; None while the server is too busy to answer (a loaded 2-core machine)."""
    try:
        return call_in_bluesky_event_loop(det.camera.file_status.get_value())
    except Exception as error:  # noqa: BLE001 (tango.CommunicationFailed and friends: ask again)
        if "Timeout" not in str(error) and "TRANSIENT" not in str(error):
            raise
        return None


def test_server_attributes_commands_and_errors(servers, run_engine, data_dir) -> None:
    engine, _ = run_engine
    (cam1, cam2, cam3) = _detectors(engine, servers, data_dir)
    serials = [call_in_bluesky_event_loop(det.camera.serial_number.get_value()) for det in (cam1, cam2, cam3)]
    assert serials == ["40000001", "40000002", "40000003"]
    engine(bps.mv(cam1.camera.exposure_time, 1234.0))
    assert call_in_bluesky_event_loop(cam1.camera.exposure_time.get_value()) == 1234.0
    with pytest.raises(Exception, match="out of range"):  # the camera's own message reaches the client
        engine(bps.mv(cam1.camera.exposure_time, -5.0))
    with pytest.raises(Exception, match="trigger_mode must be one of internal, edge, level"):
        engine(bps.mv(cam1.camera.trigger_mode, "sometimes"))


def test_step_scan_across_three_servers(servers, run_engine, data_dir) -> None:
    engine, documents = run_engine
    dets = _detectors(engine, servers, data_dir)
    motor = SimMotor(name="motor", instant=True)
    engine(bp.scan(dets, motor, 0.0, 1.0, 4))
    assert len(documents.of("event")) == 4
    for index, det in enumerate(dets, start=1):
        assert stream_rows(documents, det.name) == 4
        path = file_of(documents, det.name)
        values = read_detector(path)
        assert values["data"].shape == (4, HEIGHT, WIDTH) and values["status"] == "complete"
        with h5py.File(path) as file:
            assert file[f"{DETECTOR_GROUP}/serial_number"][()].decode() == f"4000000{index}"


def test_fly_scan_across_three_servers(servers, run_engine, data_dir) -> None:
    engine, documents = run_engine
    dets = _detectors(engine, servers, data_dir)
    engine(fly(dets, TriggerInfo(number_of_events=60, livetime=0.002, deadtime=0.003)))
    for det in dets:
        assert stream_rows(documents, det.name) == 60
        values = read_detector(file_of(documents, det.name))
        assert list(values["frame_id"]) == list(range(1, 61))
        assert values["status"] == "complete"


def test_a_server_killed_mid_scan_fails_the_plan_and_the_other_files_are_complete(servers, run_engine,
                                                                                    data_dir) -> None:
    engine, documents = run_engine
    dets = _detectors(engine, servers, data_dir)
    victim = servers[1]
    # 100 frames/s for 20 s; the second server is killed after about a second of it.
    info = TriggerInfo(number_of_events=2000, livetime=0.002, deadtime=0.008, exposure_timeout=3.0)
    killer = threading.Timer(1.5, victim.kill)
    started = time.monotonic()
    killer.start()
    try:
        with pytest.raises(Exception) as failure:
            engine(fly(dets, info))
    finally:
        killer.cancel()
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"the plan took {elapsed:.1f} s to fail"
    assert "cam2" in str(failure.value) or "test/cam/2" in str(failure.value) or "Timeout" in repr(failure.value)
    assert documents.of("stop")[-1]["exit_status"] == "fail"
    # The living servers finished their files at unstage: valid, closed, every frame with its metadata.
    for det in (dets[0], dets[2]):
        # The RunEngine's wait for the unstage group ends at the first failure (the dead server's), while
        # the living servers may still be closing their files (their Stop command runs on): wait for it.
        deadline = time.monotonic() + 20
        while _file_status(det) in ("recording", None):
            assert time.monotonic() < deadline, f"{det.name} did not finish its file"
            time.sleep(0.1)
        path = file_of(documents, det.name)
        assert not needs_repair(path)
        values = read_detector(path)
        assert values["status"] == "stopped"
        assert 50 <= len(values["frame_id"]) < 2000
        assert values["data"].shape[0] == len(values["frame_id"]) == len(values["device_timestamp"])
    # The killed server's file was open for writing: repairable, and keeps the frames flushed before the kill.
    killed = file_of(documents, "cam2")
    assert needs_repair(killed)
    done = subprocess.run([sys.executable, "-m", "ace_gentl.cli", "repair", str(killed)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not needs_repair(killed)
    with h5py.File(killed, "r") as file:
        frames = file[f"{DETECTOR_GROUP}/frame_id"].shape[0]
        assert frames >= 20  # ~150 were taken in 1.5 s; the last flush was at most 0.5 s before the kill
        assert file[f"{DETECTOR_GROUP}/data"].shape[0] >= frames
