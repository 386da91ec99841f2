"""Issue point 3: digital I/O lines, user outputs, counters and Timer1, through Harvesters."""

from __future__ import annotations

import time

import pytest
from sim_controls import REFUSED, sim_camera, sim_env  # noqa: F401
import itertools

pytestmark = pytest.mark.usefixtures("sim_env")


def test_line_modes_and_formats_per_line() -> None:
    with sim_camera() as cam:
        nm = cam.nm
        expected = {"Line1": ("Input", "OptoCoupled"), "Line2": ("Output", "OptoCoupled"),
                    "Line3": ("Input", "TTL"), "Line4": ("Input", "TTL")}
        for line, (mode, fmt) in expected.items():
            nm.LineSelector.value = line
            assert (nm.LineMode.value, nm.LineFormat.value) == (mode, fmt), line
        for line, target in (("Line1", "Output"), ("Line2", "Input")):
            nm.LineSelector.value = line
            with pytest.raises(REFUSED):
                nm.LineMode.value = target
        for line in ("Line3", "Line4"):
            nm.LineSelector.value = line
            nm.LineMode.value = "Output"
            assert nm.LineMode.value == "Output"
            nm.LineMode.value = "Input"
        nm.LineSelector.value = "Line2"
        assert nm.LineSource.value == "ExposureActive", "Line2's default source"


def test_input_status_follows_the_simulated_level_inverter_and_debouncer() -> None:
    with sim_camera() as cam:
        nm = cam.nm
        assert nm.LineStatusAll.value & 0b1101 == 0
        cam.line_level(3, True)
        nm.LineSelector.value = "Line3"
        assert nm.LineStatus.value is True
        assert nm.LineStatusAll.value & 0b0100
        nm.LineInverter.value = True
        assert nm.LineStatus.value is False
        assert not nm.LineStatusAll.value & 0b0100
        nm.LineInverter.value = False
        cam.line_level(3, False)
        assert nm.LineStatus.value is False
        # debouncer: a level change counts only after it was stable for LineDebouncerTime
        nm.LineSelector.value = "Line4"
        nm.LineDebouncerTime.value = 20_000.0  # 20 ms
        cam.line_level(4, True)
        assert nm.LineStatus.value is False
        time.sleep(0.05)
        assert nm.LineStatus.value is True
        assert nm.LineStatusAll.value & 0b1000
        cam.line_level(4, False)


def test_user_outputs_drive_their_lines_and_value_all() -> None:
    with sim_camera() as cam:
        nm = cam.nm
        nm.LineSelector.value = "Line2"
        nm.LineSource.value = "UserOutput1"
        nm.LineSelector.value = "Line3"
        nm.LineMode.value = "Output"
        with pytest.raises(REFUSED):
            nm.LineSource.value = "UserOutput1"  # UserOutput1 only on Line2
        nm.LineSource.value = "UserOutput2"
        nm.LineSelector.value = "Line4"
        nm.LineMode.value = "Output"
        nm.LineSource.value = "UserOutput3"
        assert nm.LineStatusAll.value & 0b1110 == 0
        nm.UserOutputSelector.value = "UserOutput1"
        nm.UserOutputValue.value = True
        assert nm.LineStatusAll.value & 0b1110 == 0b0010
        assert nm.UserOutputValueAll.value == 0b0010
        nm.UserOutputValueAll.value = 0b1100
        assert nm.LineStatusAll.value & 0b1110 == 0b1100
        nm.UserOutputSelector.value = "UserOutput3"
        assert nm.UserOutputValue.value is True
        nm.LineSelector.value = "Line4"
        nm.LineInverter.value = True
        assert nm.LineStatus.value is False
        assert nm.LineStatusAll.value & 0b1110 == 0b0100
        nm.LineSource.value = "Off"
        nm.LineInverter.value = False
        assert nm.LineStatus.value is False
        with pytest.raises(REFUSED):
            nm.UserOutputValueAll.value = 1  # bit 0 is unused


def test_exposure_active_output_follows_the_exposure_over_time() -> None:
    """Line2 (ExposureActive) sampled while streaming at 50 % exposure duty is high about half the time."""
    with sim_camera(height=64) as cam:
        nm = cam.nm
        nm.ExposureTime.value = 40_000.0
        nm.AcquisitionFrameRateEnable.value = True
        nm.AcquisitionFrameRate.value = 12.5  # 80 ms period, 40 ms exposed
        nm.LineSelector.value = "Line2"
        nm.LineSource.value = "ExposureActive"
        assert nm.LineStatus.value is False, "no exposure while stopped"
        cam.start()
        samples = []
        t_end = time.monotonic() + 0.8
        while time.monotonic() < t_end:
            samples.append(bool(nm.LineStatus.value))
            time.sleep(0.003)
        cam.stop()
        duty = sum(samples) / len(samples)
        assert 0.3 < duty < 0.7, duty
        time.sleep(0.06)  # an exposure in flight at the stop ends within 40 ms
        assert nm.LineStatus.value is False


def test_frame_trigger_wait_output_and_chunk_line_status_all() -> None:
    """LineStatusAll in a chunk is the line state at exposure start."""
    with sim_camera() as cam:
        nm = cam.nm
        nm.LineSelector.value = "Line3"
        nm.LineMode.value = "Output"
        nm.LineSource.value = "FrameTriggerWait"
        nm.LineSelector.value = "Line2"
        nm.LineSource.value = "ExposureActive"
        cam.line_level(4, True)  # Line4 input held high
        cam.enable_chunks("LineStatusAll")
        cam.trigger("FrameStart", "On", source="Software")
        assert nm.LineStatusAll.value & 0b0100 == 0, "not acquiring: not waiting for a trigger"
        cam.start()
        assert nm.LineStatusAll.value & 0b0100, "Line3 = FrameTriggerWait while armed"
        cam.nm.TriggerSoftware.execute()
        frame = cam.fetch(timeout=3, chunks=("ChunkLineStatusAll",))
        # exposing (Line2 high), not waiting (Line3 low), Line4 high, Line1 low
        assert frame.chunks["ChunkLineStatusAll"] == 0b1010
        cam.stop()
        nm.LineSelector.value = "Line2"
        nm.LineInverter.value = True
        cam.line_level(4, False)
        cam.start()
        cam.nm.TriggerSoftware.execute()
        frame = cam.fetch(timeout=3, chunks=("ChunkLineStatusAll",))
        assert frame.chunks["ChunkLineStatusAll"] == 0b0000


def test_timer1_active_on_an_output_after_delay_for_duration() -> None:
    with sim_camera() as cam:
        nm = cam.nm
        nm.TimerSelector.value = "Timer1"
        nm.TimerTriggerSource.value = "ExposureStart"
        nm.TimerDelay.value = 100_000.0      # 100 ms
        nm.TimerDuration.value = 200_000.0   # 200 ms
        nm.LineSelector.value = "Line4"
        nm.LineMode.value = "Output"
        nm.LineSource.value = "Timer1Active"
        cam.set(ExposureTime=100.0)
        cam.trigger("FrameStart", "On", source="Software", delay_us=0.0)
        cam.enable_chunks("Timestamp")
        cam.start()
        cam.nm.TriggerSoftware.execute()
        frame = cam.fetch(timeout=3, chunks=("ChunkTimestamp",))
        start = frame.timestamp_ns
        seen = {"before": 0, "during": 0, "after": 0}
        t_end = time.monotonic() + 0.45
        while time.monotonic() < t_end:
            t0 = cam.now_ns()
            high = bool(nm.LineStatusAll.value & 0b1000)
            t1 = cam.now_ns()
            rel0, rel1 = (t0 - start) / 1e6, (t1 - start) / 1e6  # ms since exposure start
            if rel1 < 100:
                assert not high, rel1
                seen["before"] += 1
            elif rel0 >= 100 and rel1 < 300:
                assert high, (rel0, rel1)
                seen["during"] += 1
            elif rel0 >= 300:
                assert not high, rel0
                seen["after"] += 1
            time.sleep(0.01)
        assert seen["during"] > 5 and seen["after"] > 2, seen


def test_counters_count_frame_starts_and_reset_by_line_and_software() -> None:
    with sim_camera(height=64) as cam:
        nm = cam.nm
        nm.CounterSelector.value = "Counter1"
        nm.CounterEventSource.value = "FrameStart"
        nm.CounterResetSource.value = "Off"
        nm.CounterReset.execute()
        nm.CounterSelector.value = "Counter2"
        nm.CounterEventSource.value = "FrameStart"
        nm.CounterResetSource.value = "Line3"
        nm.CounterReset.execute()
        cam.enable_chunks("CounterValue")
        cam.trigger("FrameStart", "On", source="Software")
        cam.start()

        def frame_counters() -> tuple[int, int]:
            cam.nm.TriggerSoftware.execute()
            with cam.ia.fetch(timeout=3):
                nm.ChunkCounterSelector.value = "Counter1"
                c1 = nm.ChunkCounterValue.value
                nm.ChunkCounterSelector.value = "Counter2"
                return c1, nm.ChunkCounterValue.value

        values = [frame_counters() for _ in range(3)]
        cam.line_pulse(3)  # resets Counter2 (Line3 is no trigger source here)
        values += [frame_counters() for _ in range(2)]
        nm.CounterSelector.value = "Counter1"
        nm.CounterReset.execute()
        values += [frame_counters() for _ in range(2)]
    assert values == [(1, 1), (2, 2), (3, 3), (4, 1), (5, 2), (1, 3), (2, 4)]


def test_counter_duration_and_counter2_end_reset() -> None:
    with sim_camera(height=64) as cam:
        nm = cam.nm
        nm.CounterSelector.value = "Counter2"
        nm.CounterEventSource.value = "FrameStart"
        nm.CounterDuration.value = 3
        nm.CounterReset.execute()
        nm.CounterSelector.value = "Counter1"
        nm.CounterEventSource.value = "FrameStart"
        nm.CounterResetSource.value = "Counter2End"
        nm.CounterReset.execute()
        cam.enable_chunks("CounterValue")
        cam.trigger("FrameStart", "On", source="Software")
        cam.start()
        c1, c2 = [], []
        for _ in range(7):
            cam.nm.TriggerSoftware.execute()
            with cam.ia.fetch(timeout=3):
                nm.ChunkCounterSelector.value = "Counter1"
                c1.append(nm.ChunkCounterValue.value)
                nm.ChunkCounterSelector.value = "Counter2"
                c2.append(nm.ChunkCounterValue.value)
    assert c2 == [1, 2, 3, 1, 2, 3, 1], "CounterDuration 3: runs 1..3"
    # Counter1 is reset whenever Counter2 reaches its end (after frames 3 and 6)
    assert c1[:2] == [1, 2] and max(c1) <= 3, c1
    assert any(b < a for a, b in itertools.pairwise(c1)), f"Counter1 never reset: {c1}"
