"""Issue point 1 (triggers) and 2 (simulated wiring), through Harvesters.

Hardware triggers are fired through the Device-module Simulation controls (SimLineSelector,
SimLinePulse, SimLinePulseFrequency, SimLineLevel).  Timestamps are checked in device time:
TimestampLatch just before and just after the simulated edge brackets the edge, so a triggered
frame's timestamp must lie in [before, after] + TriggerDelay (+ LineDebouncerTime).
"""

from __future__ import annotations

import time

import pytest
from sim_controls import (
    REFUSED,
    SIM_PULSE_WIDTH_NS,
    TRIGGER_WIDTH_OFFSET_US,
    frame_period_min_us,
    sim_camera,
    sim_env,  # noqa: F401  (sim_env is a fixture)
)
import itertools

pytestmark = pytest.mark.usefixtures("sim_env")


def test_simulation_controls_live_in_the_device_module_not_in_the_camera_xml() -> None:
    with sim_camera() as cam:
        for name in ("SimLineSelector", "SimLinePulse", "SimLinePulseFrequency", "SimLineLevel"):
            assert hasattr(cam.dev, name), f"{name} missing from the Device-module node map"
            assert not hasattr(cam.nm, name), f"{name} must not be in the camera's XML"
        entries = sorted(e.symbolic for e in cam.dev.SimLineSelector.entries)
        assert entries == ["Line1", "Line3", "Line4"]
        cam.dev.SimLineSelector.value = "Line3"
        cam.dev.SimLineLevel.value = True
        assert cam.dev.SimLineLevel.value is True
        cam.dev.SimLineSelector.value = "Line1"
        assert cam.dev.SimLineLevel.value is False, "SimLineLevel is per line"
        cam.dev.SimLineSelector.value = "Line3"
        cam.dev.SimLineLevel.value = False
        cam.dev.SimLinePulseFrequency.value = 0.0
        assert cam.dev.SimLinePulseFrequency.value == 0.0


@pytest.mark.parametrize("line", [1, 3, 4])
def test_n_line_pulses_give_exactly_n_frames_with_pulse_plus_delay_timestamps(line: int) -> None:
    delay_us = 250.0
    with sim_camera() as cam:
        cam.trigger("FrameStart", "On", source=f"Line{line}", activation="RisingEdge", delay_us=delay_us)
        cam.start()
        assert cam.try_fetch(timeout=0.2) is None, "no trigger, no frame"
        n = 5
        brackets = []
        frames = []
        for _ in range(n):
            brackets.append(cam.line_pulse(line))
            frames.append(cam.fetch(timeout=3))
        assert cam.try_fetch(timeout=0.2) is None, "a frame without a pulse"
        assert [f.frame_id for f in frames] == list(range(1, n + 1))
        for (lo, hi), frame in zip(brackets, frames):
            assert lo + delay_us * 1000 <= frame.timestamp_ns <= hi + delay_us * 1000, (lo, hi, frame.timestamp_ns)
        assert cam.lost_triggers("FrameStart") == 0


def test_pulse_train_frames_are_exactly_one_period_apart() -> None:
    with sim_camera() as cam:
        cam.trigger("FrameStart", "On", source="Line1", delay_us=0.0)
        cam.start()
        lo, hi = cam.pulse_train(1, 50.0)
        frames = [cam.fetch(timeout=3) for _ in range(6)]
        cam.pulse_train(1, 0.0)
        cam.stop()
    stamps = [f.timestamp_ns for f in frames]
    assert lo <= stamps[0] <= hi, "the first edge of a train is the call itself"
    assert [b - a for a, b in itertools.pairwise(stamps)] == [20_000_000] * 5
    assert [f.frame_id for f in frames] == list(range(1, 7))


def test_debouncer_filters_a_short_pulse_and_delays_a_level() -> None:
    with sim_camera() as cam:
        cam.sel("LineSelector", "Line1").set(LineDebouncerTime=50.0)
        cam.trigger("FrameStart", "On", source="Line1", delay_us=100.0)
        cam.start()
        cam.line_pulse(1)  # 10 us < 50 us debouncer
        assert cam.try_fetch(timeout=0.2) is None, "a pulse shorter than the debouncer triggered"
        lo, hi = cam.line_level(1, True)
        frame = cam.fetch(timeout=3)
        assert lo + 150_000 <= frame.timestamp_ns <= hi + 150_000
        cam.sel("LineSelector", "Line1")
        assert cam.get("LineStatus") is True
        cam.line_level(1, False)


def test_falling_edge_and_any_edge_activation() -> None:
    with sim_camera() as cam:
        cam.set(ExposureTime=100.0)
        cam.trigger("FrameStart", "On", source="Line3", activation="FallingEdge", delay_us=0.0)
        cam.start()
        cam.line_level(3, True)
        assert cam.try_fetch(timeout=0.2) is None, "rising edge triggered a FallingEdge trigger"
        lo, hi = cam.line_level(3, False)
        frame = cam.fetch(timeout=3)
        assert lo <= frame.timestamp_ns <= hi
        cam.stop()
        # AnyEdge: a 10 us pulse has two edges; the second comes inside P_min and is lost
        cam.trigger("FrameStart", "On", source="Line3", activation="AnyEdge")
        cam.start()
        lo, hi = cam.line_pulse(3)
        frame = cam.fetch(timeout=3)
        assert lo <= frame.timestamp_ns <= hi
        assert cam.try_fetch(timeout=0.2) is None
        assert cam.lost_triggers("FrameStart") == 1


def test_level_activation_is_refused_for_frame_start() -> None:
    
    with sim_camera() as cam:
        cam.nm.TriggerSelector.value = "FrameStart"
        with pytest.raises(REFUSED):
            cam.nm.TriggerActivation.value = "LevelHigh"
        cam.nm.TriggerSelector.value = "FrameBurstStart"
        cam.nm.TriggerActivation.value = "LevelHigh"
        assert cam.nm.TriggerActivation.value == "LevelHigh"


def test_software_trigger_frames_and_timestamps() -> None:
    delay_us = 1000.0
    with sim_camera() as cam:
        cam.trigger("FrameStart", "On", source="Software", delay_us=delay_us)
        cam.start()
        for i in range(1, 5):
            lo, hi = cam.software_trigger()
            frame = cam.fetch(timeout=3)
            assert frame.frame_id == i
            assert lo + delay_us * 1000 <= frame.timestamp_ns <= hi + delay_us * 1000
        assert cam.try_fetch(timeout=0.2) is None


def test_trigger_software_with_another_source_does_nothing() -> None:
    with sim_camera() as cam:
        cam.trigger("FrameStart", "On", source="Line1")
        cam.start()
        cam.software_trigger()
        assert cam.try_fetch(timeout=0.3) is None
        assert cam.lost_triggers("FrameStart") == 0


@pytest.mark.parametrize("signal", [1, 2, 3])
def test_software_signal_pulse_triggers_only_its_own_signal(signal: int) -> None:
    with sim_camera() as cam:
        cam.trigger("FrameStart", "On", source=f"SoftwareSignal{signal}", delay_us=0.0)
        cam.start()
        other = 1 if signal != 1 else 2
        cam.nm.SoftwareSignalSelector.value = f"SoftwareSignal{other}"
        cam.nm.SoftwareSignalPulse.execute()
        assert cam.try_fetch(timeout=0.2) is None, "another software signal triggered"
        cam.nm.SoftwareSignalSelector.value = f"SoftwareSignal{signal}"
        lo = cam.now_ns()
        cam.nm.SoftwareSignalPulse.execute()
        hi = cam.now_ns()
        frame = cam.fetch(timeout=3)
        assert frame.frame_id == 1 and lo <= frame.timestamp_ns <= hi


def test_triggers_while_stopped_are_ignored() -> None:
    with sim_camera() as cam:
        cam.trigger("FrameStart", "On", source="Software")
        cam.nm.TriggerSoftware.execute()
        cam.line_pulse(1)
        cam.start()
        assert cam.try_fetch(timeout=0.3) is None
        assert cam.lost_triggers("FrameStart") == 0


def test_overtriggers_are_lost_counted_and_counter_sees_every_trigger() -> None:
    with sim_camera() as cam:
        cam.set(ExposureTime=50_000.0)  # P_min = 50 ms: back-to-back triggers must be lost
        cam.trigger("FrameStart", "On", source="Software", delay_us=0.0)
        cam.sel("CounterSelector", "Counter2").set(CounterEventSource="FrameTrigger")
        cam.enable_chunks("CounterValue")
        cam.nm.ChunkCounterSelector.value = "Counter2"
        cam.start()
        for _ in range(5):
            cam.nm.TriggerSoftware.execute()
        frame = cam.fetch(timeout=3, chunks=("ChunkCounterValue",))
        assert frame.frame_id == 1
        assert frame.chunks["ChunkCounterValue"] == 1, "FrameTrigger counter at the first exposure start"
        assert cam.try_fetch(timeout=0.2) is None, "overtriggers produced frames"
        assert cam.lost_triggers("FrameStart") == 4
        time.sleep(0.06)
        cam.nm.TriggerSelector.value = "FrameStart"
        cam.nm.TriggerSoftware.execute()
        frame = cam.fetch(timeout=3, chunks=("ChunkCounterValue",))
        assert frame.frame_id == 2, "a trigger after P_min is accepted again"
        assert frame.chunks["ChunkCounterValue"] == 6, "Counter2 counts accepted and lost triggers"
        cam.stop()
        cam.start()
        assert cam.lost_triggers("FrameStart") == 0, "SimLostTriggerCount restarts at AcquisitionStart"


def test_pulse_train_faster_than_the_camera_loses_every_other_trigger() -> None:
    with sim_camera(height=480, width=4096, num_buffers=8) as cam:
        cam.set(ExposureTime=1000.0)
        p_min_us = frame_period_min_us(cam.nm)
        assert 5000 < p_min_us < 10000  # readout-limited, ~7.2 ms
        cam.trigger("FrameStart", "On", source="Line4", delay_us=0.0)
        cam.start()
        cam.pulse_train(4, 200.0)  # edges every 5 ms: each accepted edge loses the next one
        frames = []
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            frame = cam.try_fetch(timeout=0.05)
            if frame is not None:
                frames.append(frame)
        cam.pulse_train(4, 0.0)
        frames += cam.drain(quiet_s=0.3)
        lost = cam.lost_triggers("FrameStart")
        cam.stop()
    assert len(frames) >= 40
    assert [f.frame_id for f in frames] == list(range(1, len(frames) + 1))
    stamps = [f.timestamp_ns for f in frames]
    assert {b - a for a, b in itertools.pairwise(stamps)} == {10_000_000}
    assert len(frames) - 1 <= lost <= len(frames)


def test_trigger_inside_trigger_delay_is_lost_too() -> None:
    with sim_camera() as cam:
        cam.set(ExposureTime=100_000.0)  # P_min ~100 ms
        cam.trigger("FrameStart", "On", source="Software", delay_us=200_000.0)  # 200 ms delay
        cam.start()
        lo, hi = cam.software_trigger()
        time.sleep(0.05)
        cam.software_trigger()  # exposure slot of the first is reserved
        frame = cam.fetch(timeout=3)
        assert lo + 200_000_000 <= frame.timestamp_ns <= hi + 200_000_000
        assert cam.try_fetch(timeout=0.4) is None, "the second trigger's exposure would start inside P_min"
        assert cam.lost_triggers("FrameStart") == 1


def test_burst_gives_burst_frame_count_frames_at_the_free_run_period() -> None:
    with sim_camera() as cam:
        cam.set(ExposureTime=2000.0, AcquisitionBurstFrameCount=4)
        with pytest.raises(REFUSED):
            cam.nm.AcquisitionBurstFrameCount.value = 256
        cam.trigger("FrameStart", "Off")
        cam.trigger("FrameBurstStart", "On", source="Software", delay_us=0.0)
        period_ns = round(1e9 / cam.get("ResultingFrameRate"))
        cam.start()
        cam.sel("AcquisitionStatusSelector", "FrameBurstTriggerWait")
        assert cam.get("AcquisitionStatus") is True
        lo, hi = cam.software_trigger("FrameBurstStart")
        cam.nm.TriggerSoftware.execute()  # during the burst: lost
        frames = cam.drain(quiet_s=0.3)
        assert len(frames) == 4
        assert lo <= frames[0].timestamp_ns <= hi
        gaps = [b.timestamp_ns - a.timestamp_ns for a, b in itertools.pairwise(frames)]
        assert all(abs(g - period_ns) <= 1000 for g in gaps), (gaps, period_ns)
        assert cam.lost_triggers("FrameBurstStart") == 1
        cam.software_trigger("FrameBurstStart")
        frames2 = cam.drain(quiet_s=0.3)
        assert [f.frame_id for f in frames2] == [5, 6, 7, 8]


def test_burst_at_the_maximum_frame_rate_delivers_every_frame() -> None:
    """A burst into enough queued buffers loses nothing, also at ~730 fps (Height 64)."""
    with sim_camera(height=64, num_buffers=16) as cam:
        cam.set(ExposureTime=1000.0, AcquisitionBurstFrameCount=10)
        cam.trigger("FrameBurstStart", "On", source="Software")
        assert cam.get("ResultingFrameRate") > 700
        cam.start()
        ids = []
        for _ in range(3):
            cam.software_trigger("FrameBurstStart")
            ids += [f.frame_id for f in cam.drain(quiet_s=0.2)]
        assert ids == list(range(1, 31))


def test_burst_with_frame_start_triggers_needs_a_frame_trigger_per_frame() -> None:
    with sim_camera() as cam:
        cam.set(ExposureTime=200.0, AcquisitionBurstFrameCount=2)
        cam.trigger("FrameBurstStart", "On", source="SoftwareSignal1")
        cam.trigger("FrameStart", "On", source="Line1", delay_us=0.0)
        cam.start()
        cam.line_pulse(1)  # outside a burst: lost
        assert cam.try_fetch(timeout=0.2) is None
        assert cam.lost_triggers("FrameStart") == 1
        cam.nm.SoftwareSignalSelector.value = "SoftwareSignal1"
        cam.nm.SoftwareSignalPulse.execute()
        assert cam.try_fetch(timeout=0.2) is None, "a burst without frame triggers produced a frame"
        stamps = []
        for _ in range(3):
            lo, hi = cam.line_pulse(1)
            time.sleep(0.02)
            stamps.append((lo, hi))
        frames = cam.drain(quiet_s=0.3)
        assert len(frames) == 2, "burst count 2: the third frame trigger is outside the burst"
        for (lo, hi), f in zip(stamps, frames):
            assert lo <= f.timestamp_ns <= hi
        assert cam.lost_triggers("FrameStart") == 2


def test_trigger_width_exposure_is_pulse_width_plus_offset() -> None:
    with sim_camera() as cam:
        cam.set(ExposureMode="TriggerWidth")
        cam.trigger("FrameStart", "On", source="Line1", activation="RisingEdge", delay_us=0.0)
        cam.enable_chunks("ExposureTime", "Timestamp")
        cam.start()
        lo, hi = cam.line_pulse(1)  # exactly 10 us high
        frame = cam.fetch(timeout=3, chunks=("ChunkExposureTime", "ChunkTimestamp"))
        assert frame.chunks["ChunkExposureTime"] == pytest.approx(SIM_PULSE_WIDTH_NS / 1000 + TRIGGER_WIDTH_OFFSET_US,
                                                                  abs=1e-6)
        assert lo <= frame.timestamp_ns <= hi
        # a held level: the exposure follows the level
        a0, a1 = cam.line_level(1, True)
        time.sleep(0.03)
        cam.sel("AcquisitionStatusSelector", "ExposureActive")
        assert cam.get("AcquisitionStatus") is True
        b0, b1 = cam.line_level(1, False)
        frame = cam.fetch(timeout=3, chunks=("ChunkExposureTime",))
        width_us = frame.chunks["ChunkExposureTime"] - TRIGGER_WIDTH_OFFSET_US
        assert (b0 - a1) / 1000 - 1e-3 <= width_us <= (b1 - a0) / 1000 + 1e-3
        assert a0 <= frame.timestamp_ns <= a1


def test_acquisition_status_frame_trigger_wait_and_exposure_active() -> None:
    with sim_camera() as cam:
        cam.set(ExposureTime=300_000.0)
        cam.trigger("FrameStart", "On", source="Software")
        cam.sel("AcquisitionStatusSelector", "FrameTriggerWait")
        assert cam.get("AcquisitionStatus") is False, "not acquiring: no trigger would be accepted"
        cam.start()
        assert cam.get("AcquisitionStatus") is True
        cam.nm.TriggerSoftware.execute()
        statuses = {}
        for sel in ("FrameTriggerWait", "ExposureActive", "FrameActive"):
            cam.sel("AcquisitionStatusSelector", sel)
            statuses[sel] = cam.get("AcquisitionStatus")
        assert statuses == {"FrameTriggerWait": False, "ExposureActive": True, "FrameActive": True}
        cam.fetch(timeout=3)
        time.sleep(0.05)
        for sel, want in (("FrameTriggerWait", True), ("ExposureActive", False), ("FrameActive", False)):
            cam.sel("AcquisitionStatusSelector", sel)
            assert cam.get("AcquisitionStatus") is want, sel
