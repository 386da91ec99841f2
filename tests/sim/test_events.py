"""Issue point 5: remote-device events as U3V event messages, through Harvesters' event monitor.

Harvesters' event path: EventManagerRemoteDevice on EVENT_REMOTE_DEVICE, then GenApi's
EventAdapterU3V updates the EventXxx nodes.  Harvesters' monitor thread
(ParameterSet({ENABLE_EVENT_MONITOR: True})) deadlocks against node access from the main thread
(see sim_controls.EventRecorder), so most tests pump the same calls in the test thread; one test runs
the monitor thread itself without touching nodes while events flow.
"""

from __future__ import annotations

import time

import pytest
from sim_controls import EVENT_IDS, EventRecorder, sim_camera, sim_env  # noqa: F401
import itertools

pytestmark = pytest.mark.usefixtures("sim_env")


def test_event_selector_entries_and_notification() -> None:
    with sim_camera() as cam:
        entries = sorted(e.symbolic for e in cam.nm.EventSelector.entries)
        assert entries == sorted(EVENT_IDS)
        for name in EVENT_IDS:
            cam.nm.EventSelector.value = name
            assert cam.nm.EventNotification.value == "Off"
            cam.nm.EventNotification.value = "On"
            assert cam.nm.EventNotification.value == "On"
            cam.nm.EventNotification.value = "Off"


def test_no_events_when_notification_is_off() -> None:
    with sim_camera(events=True, height=64) as cam:
        rec = EventRecorder(cam, ["FrameStart", "ExposureEnd"])
        cam.start()
        for _ in range(10):
            cam.fetch()
        cam.stop()
        rec.pump(300)
        assert rec.records == [] and rec.messages == 0


def test_frame_start_and_exposure_end_for_every_frame_with_timestamps() -> None:
    with sim_camera(events=True, height=64) as cam:
        cam.set(ExposureTime=3000.0, AcquisitionFrameRateEnable=True, AcquisitionFrameRate=60.0)
        cam.enable_events("FrameStart", "ExposureEnd")
        rec = EventRecorder(cam, ["FrameStart", "ExposureEnd"])
        cam.start()
        frames = [cam.fetch() for _ in range(30)]
        cam.stop()
        starts = rec.wait_for("FrameStart", 30)
        ends = rec.wait_for("ExposureEnd", 30)
    assert not rec.errors, rec.errors
    ids = [f.frame_id for f in frames]
    assert ids == list(range(1, 31))
    start_by_id = {fid: ts for ts, fid in starts}
    end_by_id = {fid: ts for ts, fid in ends}
    assert [fid for _, fid in starts][:30] == ids, "FrameStart FrameIDs in order, none lost"
    assert [fid for _, fid in ends][:30] == ids
    for f in frames:
        assert start_by_id[f.frame_id] == f.timestamp_ns, "FrameStart event time = frame timestamp"
        assert end_by_id[f.frame_id] == f.timestamp_ns + 3_000_000, "ExposureEnd = start + ExposureTime"


def test_no_frame_start_event_lost_at_the_full_frame_rate() -> None:
    with sim_camera(events=True, width=4096, height=480, num_buffers=8) as cam:
        cam.set(ExposureTime=1000.0)
        rate = cam.get("ResultingFrameRate")
        assert rate > 130
        cam.enable_events("FrameStart")
        rec = EventRecorder(cam, ["FrameStart"])
        cam.start()
        t0 = time.monotonic()
        last = 0
        while time.monotonic() - t0 < 1.5:
            last = cam.fetch().frame_id
            rec.pump(0)
        cam.stop()
        got = rec.wait_for("FrameStart", last, timeout_s=10)
    fids = [fid for _, fid in got]
    # the sensor may have started a frame or two after the last fetched one before the stop
    assert fids[:last] == list(range(1, last + 1)), f"missing FrameStart events: {sorted(set(range(1, last + 1)) - set(fids))[:10]}"
    assert last > 1.2 * rate
    stamps = [ts for ts, _ in got]
    assert all(b > a for a, b in itertools.pairwise(stamps))


def test_overtrigger_and_wait_events() -> None:
    with sim_camera(events=True) as cam:
        cam.set(ExposureTime=50_000.0)
        cam.trigger("FrameStart", "On", source="Software", delay_us=0.0)
        cam.enable_events("FrameStart", "FrameStartOvertrigger", "FrameStartWait")
        rec = EventRecorder(cam, ["FrameStart", "FrameStartOvertrigger", "FrameStartWait"])
        cam.start()
        lo, _ = cam.software_trigger()
        _, hi = cam.software_trigger()  # lost: inside P_min
        cam.fetch(timeout=3)
        over = rec.wait_for("FrameStartOvertrigger", 1)
        waits = rec.wait_for("FrameStartWait", 1, timeout_s=2)
        starts = rec.wait_for("FrameStart", 1)
        cam.stop()
    assert len(over) == 1
    ts, fid = over[0]
    assert fid == 1, "FrameID of an overtrigger = last started frame"
    assert lo <= ts <= hi
    assert len(starts) == 1
    assert waits, "FrameStartWait when the camera can accept a frame trigger again"
    assert all(w_ts >= starts[0][0] for w_ts, _ in waits[-1:])


def test_burst_events() -> None:
    with sim_camera(events=True, height=256) as cam:
        cam.set(ExposureTime=1000.0, AcquisitionBurstFrameCount=3)
        cam.trigger("FrameBurstStart", "On", source="Software")
        cam.enable_events("FrameBurstStart", "FrameBurstStartOvertrigger", "FrameBurstStartWait", "FrameStart")
        rec = EventRecorder(cam, ["FrameBurstStart", "FrameBurstStartOvertrigger", "FrameBurstStartWait",
                                  "FrameStart"])
        cam.start()
        lo, hi = cam.software_trigger("FrameBurstStart")
        cam.nm.TriggerSoftware.execute()  # lost: burst running
        frames = cam.drain(quiet_s=0.3)
        cam.software_trigger("FrameBurstStart")
        frames += cam.drain(quiet_s=0.3)
        bursts = rec.wait_for("FrameBurstStart", 2)
        over = rec.wait_for("FrameBurstStartOvertrigger", 1)
        waits = rec.wait_for("FrameBurstStartWait", 3)
        starts = rec.wait_for("FrameStart", 6)
        cam.stop()
    assert [f.frame_id for f in frames] == [1, 2, 3, 4, 5, 6]
    assert [fid for _, fid in bursts] == [1, 4], "FrameID = first frame of the burst"
    assert lo <= bursts[0][0] <= hi
    assert len(over) == 1
    assert len(waits) >= 3, "at acquisition start and after each burst"
    assert [fid for _, fid in starts] == [1, 2, 3, 4, 5, 6]


def test_events_do_not_arrive_after_notification_off() -> None:
    with sim_camera(events=True, height=64) as cam:
        cam.enable_events("ExposureEnd")
        rec = EventRecorder(cam, ["ExposureEnd"])
        cam.start()
        for _ in range(5):
            cam.fetch()
        cam.nm.EventSelector.value = "ExposureEnd"
        cam.nm.EventNotification.value = "Off"
        time.sleep(0.05)
        rec.pump(100)
        n = len(rec.of("ExposureEnd"))
        for _ in range(5):
            cam.fetch()
        rec.pump(300)
        assert len(rec.of("ExposureEnd")) == n
        assert n >= 5


def test_harvesters_event_monitor_thread_delivers_every_frame_event() -> None:
    """ENABLE_EVENT_MONITOR: Harvesters' own thread delivers the messages (ON_EVENT_DATA_UPDATED per
    message).  No node is touched from this thread while events flow (see sim_controls.EventRecorder)."""
    from harvesters.core import Callback

    count = {"n": 0}

    class OnEvent(Callback):
        def emit(self, context=None) -> None:
            count["n"] += 1

    with sim_camera(events="thread", height=64) as cam:
        cam.set(AcquisitionFrameRateEnable=True, AcquisitionFrameRate=50.0)
        cam.trigger("FrameStart", "On", source="Software")
        cam.enable_events("ExposureEnd")
        cam.ia.add_callback(cam.ia.Events.ON_EVENT_DATA_UPDATED, OnEvent())
        cam.start()  # triggered: no exposure, so no event, until the first trigger
        cam.nm.TriggerSelector.value = "FrameStart"
        cam.nm.AcquisitionStatusSelector.value = "FrameTriggerWait"
        for _ in range(10):
            cam.nm.TriggerSoftware.execute()  # one exposure of 5 ms; its event comes after the write
            cam.fetch(timeout=3)
            deadline = time.monotonic() + 2
            while count["n"] < _ + 1 and time.monotonic() < deadline:
                time.sleep(0.005)
        for thread in cam.ia._module_event_monitor_thread_dict.values():
            thread.stop()
            thread.join()
        assert count["n"] == 10
