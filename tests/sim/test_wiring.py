"""Simulated cameras wired to each other, and the unplug/replug fault (cti/README.md "Cameras wired to
each other", "Faults"), through Harvesters and the Device module's Simulation controls."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sim_controls import REFUSED, SimCamera, new_harvester, sim_camera, sim_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("sim_env")


@pytest.fixture
def two_cameras(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ACE_SIM_CAMERAS", "2")
    h = new_harvester()
    try:
        yield h
    finally:
        h.reset()


def leader_follower(a: SimCamera, b: SimCamera, rate_hz: float = 50.0) -> None:
    a.set(AcquisitionFrameRateEnable=True, AcquisitionFrameRate=rate_hz, ExposureTime=2000.0)
    b.set(ExposureTime=2000.0)
    b.trigger("FrameStart", "On", source="Line1")
    b.nm.CounterSelector.value = "Counter1"
    b.nm.CounterEventSource.value = "FrameTrigger"
    b.enable_chunks("CounterValue", "Timestamp")
    b.nm.ChunkCounterSelector.value = "Counter1"


def test_the_wiring_controls_have_defaults_read_back_and_refuse_what_cannot_be(two_cameras) -> None:
    with sim_camera(0, h=two_cameras, height=64) as a, sim_camera(1, h=two_cameras, height=64) as b:
        dev = b.dev
        for line in ("Line1", "Line3", "Line4"):
            dev.SimLineSelector.value = line
            assert dev.SimLineSource.value == "Off" and dev.SimLineSourceCamera.value == ""
            assert dev.SimLineSourceLine.value == "Line2" and dev.SimLineSourceDelay.value == 1.0
            assert dev.SimFaultDropEdges.value == ""
        assert dev.SimFaultMissTriggers.value == ""
        b.wire(3, "40000001", source_line=4, delay_us=12.5)
        dev.SimLineSelector.value = "Line1"
        assert dev.SimLineSource.value == "Off", "each input has its own source"
        dev.SimLineSelector.value = "Line3"
        assert (dev.SimLineSource.value, dev.SimLineSourceCamera.value, dev.SimLineSourceLine.value,
                dev.SimLineSourceDelay.value) == ("Camera", "40000001", "Line4", 12.5)
        with pytest.raises(REFUSED, match="no simulated camera with serial number"):
            dev.SimLineSourceCamera.value = "12345678"
        with pytest.raises(REFUSED, match="wired to another camera"):
            dev.SimLinePulse.execute()  # a wired input is not driven by hand
        dev.SimFaultDropEdges.value = "7, 2,7"
        assert dev.SimFaultDropEdges.value == "2,7"
        with pytest.raises(REFUSED, match="comma list"):
            dev.SimFaultDropEdges.value = "2-7"
        with pytest.raises(REFUSED, match="count from 1"):
            b.dev.SimFaultMissTriggers.value = "0"
        dev.SimLineSource.value = "Off"
        b.line_pulse(3)  # by hand again
        assert a.dev.SimLineSource.value == "Off"


def test_every_leader_exposure_triggers_the_follower_a_cable_delay_later(two_cameras) -> None:
    with sim_camera(0, h=two_cameras, height=64) as a, sim_camera(1, h=two_cameras, height=64) as b:
        leader_follower(a, b)
        b.wire(1, "40000001", delay_us=40.0)
        # device clock of b minus that of a, bracketed through the host (two latches each side)
        offsets = []
        for _ in range(5):
            ta0 = a.now_ns()
            tb = b.now_ns()
            ta1 = a.now_ns()
            offsets.append((tb - (ta0 + ta1) // 2, ta1 - ta0))
        b_minus_a, spread = min(offsets, key=lambda o: o[1])
        b.start()
        a.start()
        leader, follower = [], []
        for _ in range(20):  # in turn: a follower frame that finds no buffer is lost
            leader.append(a.fetch())
            follower.append(b.fetch(chunks=("ChunkCounterValue",)))
        a.stop()
        b.stop()
    assert [f.frame_id for f in follower] == list(range(1, 21))
    assert [f.chunks["ChunkCounterValue"] for f in follower] == list(range(1, 21))
    lead_ts = np.array([f.timestamp_ns for f in leader], dtype=np.int64)
    foll_ts = np.array([f.timestamp_ns for f in follower], dtype=np.int64)
    # one frame per leader exposure, each on its own clock: the intervals agree within the drifts
    # (20 ms periods, clocks at most 80 ppm apart: 1.6 us)
    assert np.all(np.abs(np.diff(foll_ts) - np.diff(lead_ts)) < 2_000), np.diff(foll_ts) - np.diff(lead_ts)
    lag = foll_ts[0] - lead_ts[0] - b_minus_a
    assert abs(lag - 40_000) < spread + 20_000, (lag, spread)


def test_dropped_edges_reach_no_counter_and_missed_triggers_are_counted(two_cameras) -> None:
    with sim_camera(0, h=two_cameras, height=64) as a, sim_camera(1, h=two_cameras, height=64) as b:
        leader_follower(a, b)
        b.wire(1, "40000001")
        b.dev.SimLineSelector.value = "Line1"
        b.dev.SimFaultDropEdges.value = "4"
        b.dev.SimFaultMissTriggers.value = "7"
        b.start()
        a.start()
        leader, follower = [], []
        for _ in range(10):
            leader.append(a.fetch())
            while (frame := b.try_fetch(timeout=0.005, chunks=("ChunkCounterValue",))) is not None:
                follower.append(frame)
        a.stop()
        follower += b.drain(quiet_s=0.3, chunks=("ChunkCounterValue",))
        b.stop()
    counters = [f.chunks["ChunkCounterValue"] for f in follower]
    # leader exposures 1..10 (+ the one started as the 10th was delivered); edge 4 is gone on the cable,
    # so trigger 7 (the follower's count) is the leader's 8th exposure, received but without a frame
    period = np.median(np.diff([f.timestamp_ns for f in leader]))
    gaps = np.round(np.diff([f.timestamp_ns for f in follower]) / period).astype(int).tolist()
    assert gaps[:6] == [1, 1, 2, 1, 1, 2], gaps  # after the 3rd frame edge 4 is missing, after the 6th trigger 7
    assert counters[:6] == [1, 2, 3, 4, 5, 6] and counters[6] == 8, counters


def test_a_timed_unplug_leaves_the_device_list_until_the_replug_time(tmp_path: Path) -> None:
    h = new_harvester()
    try:
        with sim_camera(0, h=h, height=64) as cam:
            cam.set(AcquisitionFrameRateEnable=True, AcquisitionFrameRate=100.0)
            cam.dev.SimFaultUnplugAfterMs.value = 300
            cam.dev.SimFaultReplugAfterMs.value = 700
            assert cam.dev.SimFaultUnplugAfterMs.value == 300
            cam.start()
            started = time.monotonic()
            frames = []
            while time.monotonic() - started < 2.0:
                frame = cam.try_fetch(timeout=0.05)
                if frame is not None:
                    frames.append(frame)
                if cam.dev.DeviceAccessStatus.value == "NoAccess":
                    break
            gone_after = time.monotonic() - started
            assert cam.dev.DeviceAccessStatus.value == "NoAccess"
            assert 0.25 < gone_after < 0.6, gone_after
            assert 20 <= len(frames) <= 40 and frames[-1].frame_id == len(frames)
        h.update()
        assert [d.serial_number for d in h.device_info_list] == [], "unplugged: not on the list"
        # unloading and loading the producer does not power it up early
        h.reset()
        h = new_harvester()
        assert h.device_info_list == []
        while time.monotonic() - started < gone_after + 0.8:
            time.sleep(0.05)
        h.update()
        assert [d.serial_number for d in h.device_info_list] == ["40000001"]
        with sim_camera(0, h=h, height=64) as cam:
            assert cam.dev.SimFaultUnplugAfterMs.value == 0, "the fault fired once"
            cam.start()
            assert cam.fetch(timeout=2).frame_id == 1  # powered up fresh
    finally:
        h.reset()


def test_sim_reset_plugs_an_unplugged_camera_in_again(sim_env: Path) -> None:
    h = new_harvester()
    try:
        with sim_camera(0, h=h, height=64) as cam:
            cam.dev.SimFaultUnplugAfterMs.value = 50
            cam.dev.SimFaultReplugAfterMs.value = 600000
            cam.start()
            deadline = time.monotonic() + 2
            while cam.dev.DeviceAccessStatus.value != "NoAccess" and time.monotonic() < deadline:
                cam.try_fetch(timeout=0.05)
        assert list(sim_env.glob("*.unplugged")) or list(Path(sim_env).rglob("*.unplugged"))
    finally:
        h.reset()
    from ace_gentl.sim.powerup import reset

    reset("40000001")
    assert not list(Path(sim_env).rglob("*.unplugged"))
    h = new_harvester()
    try:
        assert [d.serial_number for d in h.device_info_list] == ["40000001"]
    finally:
        h.reset()
