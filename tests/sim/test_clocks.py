"""Each simulated camera's own device clock (cti/README.md "Device clocks"): drift and offset, seeded
per serial, and every device time the camera exposes on it."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sim_controls import REFUSED, EventRecorder, new_harvester, sim_camera, sim_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("sim_env")


def latch_against_host(cam) -> tuple[int, int]:
    """(host ns at the latch, device ns), the tightest of a few tries."""
    best = None
    for _ in range(5):
        before = time.monotonic_ns()
        device = cam.now_ns()
        after = time.monotonic_ns()
        if best is None or after - before < best[0]:
            best = (after - before, (before + after) // 2, device)
    assert best is not None
    return best[1], best[2]


def test_every_camera_has_its_own_seeded_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "3")
    h = new_harvester()
    try:
        clocks = []
        for index in range(3):
            with sim_camera(index, h=h, height=64) as cam:
                drift, offset = cam.dev.SimClockDriftPpm.value, cam.dev.SimClockOffset.value
                assert 3.0 <= abs(drift) <= 40.0 and 2e9 <= offset <= 62e9, (drift, offset)
                assert cam.now_ns() >= offset  # the clock started at its offset when the camera powered up
                clocks.append((drift, offset))
        assert len({c[0] for c in clocks}) == 3 and len({c[1] for c in clocks}) == 3, clocks
    finally:
        h.reset()


def test_the_configured_drift_and_offset_are_what_the_latch_shows() -> None:
    with sim_camera(height=64) as cam:
        cam.dev.SimClockDriftPpm.value = 500.0
        cam.dev.SimClockOffset.value = 1_000_000_000_000
        assert cam.dev.SimClockDriftPpm.value == 500.0 and cam.dev.SimClockOffset.value == 1_000_000_000_000
        host0, dev0 = latch_against_host(cam)
        assert 1_000_000_000_000 <= dev0 < 1_000_000_000_000 + 60_000_000_000
        time.sleep(2.0)
        host1, dev1 = latch_against_host(cam)
        drift = ((dev1 - dev0) / (host1 - host0) - 1) * 1e6
        assert abs(drift - 500.0) < 50.0, drift  # 1 ms over 2 s; the latch is read within ~0.1 ms
        with pytest.raises(REFUSED):
            cam.dev.SimClockDriftPpm.value = 2000.0


def test_frame_chunk_and_event_timestamps_are_on_the_device_clock_and_it_is_fixed_while_acquiring() -> None:
    with sim_camera(height=64, events=True) as cam:
        cam.dev.SimClockDriftPpm.value = -250.0
        cam.set(AcquisitionFrameRateEnable=True, AcquisitionFrameRate=100.0, ExposureTime=1000.0)
        cam.enable_chunks("Timestamp")
        cam.enable_events("FrameStart")
        events = EventRecorder(cam, ["FrameStart"])
        before = cam.now_ns()
        cam.start()
        frames = [cam.fetch(chunks=("ChunkTimestamp",)) for _ in range(30)]
        after = cam.now_ns()
        with pytest.raises(REFUSED, match="acquiring"):
            cam.dev.SimClockDriftPpm.value = 10.0
        got = events.wait_for("FrameStart", 30)
        cam.stop()
    stamps = np.array([f.timestamp_ns for f in frames], dtype=np.int64)
    assert all(f.chunks["ChunkTimestamp"] == f.timestamp_ns for f in frames)
    assert before <= stamps[0] and stamps[-1] <= after
    # the frame schedule runs on the device clock: exactly 10 ms of device time apart
    assert set(np.diff(stamps).tolist()) == {10_000_000}
    by_frame = {frame_id: ts for ts, frame_id in got}
    assert all(by_frame[f.frame_id] == f.timestamp_ns for f in frames if f.frame_id in by_frame)
