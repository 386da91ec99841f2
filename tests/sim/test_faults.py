"""Issue point 10: injected faults (Device-module Simulation controls), seen through Harvesters."""

from __future__ import annotations

import time

import pytest
from genicam import gentl
from sim_controls import REFUSED, new_harvester, sim_camera, sim_env  # noqa: F401
import itertools

pytestmark = pytest.mark.usefixtures("sim_env")

FAULT_NODES = ("SimFaultDisconnectAfterFrames", "SimFaultIncompleteRate", "SimFaultDropRate", "SimFaultStallMs",
               "SimFaultSeed")


class _Count:
    def __init__(self) -> None:
        self.n = 0


def _count_incomplete(cam) -> _Count:
    from harvesters.core import Callback

    counter = _Count()

    class OnIncomplete(Callback):
        def emit(self, context=None) -> None:
            counter.n += 1

    cam.ia.add_callback(cam.ia.Events.INCOMPLETE_BUFFER, OnIncomplete())
    return counter


def _stream_ids(cam, frames: int, timeout_s: float = 20.0) -> tuple[list[int], int]:
    """Fetch until the sensor frame ID reaches `frames`; returns (complete frame IDs, incomplete count)."""
    counter = _count_incomplete(cam)
    cam.start()
    ids: list[int] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame = cam.try_fetch(timeout=0.5)
        if frame is not None:
            ids.append(frame.frame_id)
            if frame.frame_id >= frames:
                break
    cam.stop()
    return ids, counter.n


def test_fault_controls_are_in_the_device_module_with_ranges() -> None:
    with sim_camera() as cam:
        for name in FAULT_NODES:
            assert hasattr(cam.dev, name), name
            assert not hasattr(cam.nm, name), f"{name} must not be in the camera's XML"
        assert cam.dev.SimFaultDisconnectAfterFrames.value == 0
        assert cam.dev.SimFaultIncompleteRate.value == 0.0
        assert cam.dev.SimFaultDropRate.value == 0.0
        assert cam.dev.SimFaultStallMs.value == 0
        for name, bad in (("SimFaultIncompleteRate", 1.5), ("SimFaultDropRate", -0.1), ("SimFaultStallMs", -1)):
            with pytest.raises(REFUSED):
                getattr(cam.dev, name).value = bad


def _unthrottled(cam) -> None:
    cam.dev.SimUnthrottled.value = True
    cam.set(ExposureTime=100.0)


def test_incomplete_rate_delivers_that_fraction_incomplete_and_the_seed_repeats_it() -> None:
    with sim_camera(height=64, width=256, num_buffers=4) as cam:
        _unthrottled(cam)
        cam.dev.SimFaultSeed.value = 1234
        cam.dev.SimFaultIncompleteRate.value = 0.25
        ids1, inc1 = _stream_ids(cam, 400)
        ids2, inc2 = _stream_ids(cam, 400)
        cam.dev.SimFaultSeed.value = 99
        ids3, inc3 = _stream_ids(cam, 400)
        cam.dev.SimFaultIncompleteRate.value = 0.0
        ids4, inc4 = _stream_ids(cam, 50)
    # Harvesters discards incomplete buffers (INCOMPLETE_BUFFER); their IDs are the gaps
    missing1 = set(range(1, 401)) - set(ids1)
    assert len(missing1) == inc1, "every missing frame ID came as an incomplete buffer"
    assert 0.15 * 400 < inc1 < 0.35 * 400, inc1
    assert ids1 == ids2 and inc1 == inc2, "same seed, same incomplete frames in every acquisition"
    assert set(range(1, 401)) - set(ids3) != missing1, "another seed gives other frames"
    assert 0.15 * 400 < inc3 < 0.35 * 400
    assert ids4 == list(range(1, 51)) and inc4 == 0


def test_incomplete_buffer_flags_and_size_filled() -> None:
    """Look at the incomplete buffers themselves (raw buffers, as Harvesters' is_raw fetch gives them)."""
    with sim_camera(height=64, width=256, num_buffers=4) as cam:
        _unthrottled(cam)
        cam.dev.SimFaultSeed.value = 7
        cam.dev.SimFaultIncompleteRate.value = 1.0
        ds = cam.ia._data_streams[0]
        cam.start()
        monitor = next(iter(cam.ia._new_buffer_event_monitor_dict.values()))
        seen = 0
        deadline = time.monotonic() + 5
        while seen < 5 and time.monotonic() < deadline:
            try:
                monitor.update_event_data(100)
            except gentl.TimeoutException:
                continue
            buf = monitor.buffer
            assert buf.is_complete() is False
            assert buf.size_filled < 256 * 64
            ds.module.queue_buffer(buf)
            seen += 1
        assert seen == 5


def test_drop_rate_loses_frames_on_the_link_and_counts_them() -> None:
    with sim_camera(height=64, width=256, num_buffers=4) as cam:
        _unthrottled(cam)
        cam.dev.SimFaultSeed.value = 42
        cam.dev.SimFaultDropRate.value = 0.2
        ids1, inc1 = _stream_ids(cam, 400)
        lost1 = cam.ia._data_streams[0].node_map.StreamLostFrameCount.value
        ids2, _ = _stream_ids(cam, 400)
        cam.dev.SimFaultDropRate.value = 0.0
    assert inc1 == 0, "dropped frames never arrive, not even as incomplete buffers"
    gaps = 400 - len(ids1) if ids1[-1] == 400 else None
    assert gaps is not None and 0.1 * 400 < gaps < 0.3 * 400, (len(ids1), ids1[-5:])
    assert ids1 == sorted(ids1)
    # frames dropped after ID 400, before the stop took effect, are counted too
    assert gaps <= lost1 <= gaps + 10, f"StreamLostFrameCount {lost1} for {gaps} dropped frames"
    assert ids1 == ids2, "the same seed drops the same frames"


def test_stall_delays_delivery_once() -> None:
    with sim_camera(height=64, width=256) as cam:
        cam.set(ExposureTime=1000.0, AcquisitionFrameRateEnable=True, AcquisitionFrameRate=100.0)
        cam.start()
        cam.fetch()
        cam.dev.SimFaultStallMs.value = 400
        times, ids = [], []
        for _ in range(30):
            ids.append(cam.fetch(timeout=5).frame_id)
            times.append(time.monotonic())
        cam.stop()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    long_gaps = [g for g in gaps if g > 0.2]
    # the stall is before the next frame: it shows as the first fetch taking long, or as one gap
    assert len(long_gaps) <= 1
    assert ids == sorted(ids)
    assert max(gaps) < 0.2 or 0.35 < max(gaps) < 1.0


def test_stall_length_is_measured_from_the_consumer() -> None:
    with sim_camera(height=64, width=256) as cam:
        cam.set(ExposureTime=1000.0, AcquisitionFrameRateEnable=True, AcquisitionFrameRate=100.0)
        cam.dev.SimFaultStallMs.value = 500
        t0 = time.monotonic()
        cam.start()
        cam.fetch(timeout=5)
        first = time.monotonic() - t0
        t1 = time.monotonic()
        for _ in range(20):
            cam.fetch(timeout=5)
        rest = time.monotonic() - t1
        cam.stop()
        cam.dev.SimFaultStallMs.value = 0
    assert 0.45 < first < 1.5, f"first frame after {first:.3f} s, expected the 500 ms stall"
    assert rest < 0.6, f"20 frames at 100 fps took {rest:.3f} s: the stall happened more than once"


def test_disconnect_after_n_frames_then_reenumeration_finds_it_again() -> None:
    h = new_harvester()
    try:
        with sim_camera(h=h, height=64, width=256) as cam:
            cam.set(AcquisitionFrameRateEnable=True, AcquisitionFrameRate=100.0)
            cam.dev.SimFaultDisconnectAfterFrames.value = 5
            incomplete = _count_incomplete(cam)
            cam.start()
            ids = [cam.fetch(timeout=3).frame_id for _ in range(5)]
            assert ids == [1, 2, 3, 4, 5]
            try:
                extra = cam.try_fetch(timeout=0.5)
            except REFUSED:  # re-queueing the failed buffer may be refused on a lost device
                extra = None
            assert extra is None, "a frame after the disconnect"
            # pending buffers complete with an error: they come back incomplete
            assert incomplete.n >= 1, "queued buffers were not completed with an error"
            # later calls fail the way a real unplugged U3V device does
            with pytest.raises(REFUSED):
                _ = cam.nm.Gain.value
            with pytest.raises(REFUSED):
                cam.nm.ExposureTime.value = 1000.0
            # a device-lost module event was fired on the device
            dev_monitor = cam.ia._module_event_monitor_dict.get(cam.ia._device_proxy)
            assert dev_monitor is not None, "no EVENT_MODULE registered on the device"
            got = False
            deadline = time.monotonic() + 2
            while not got and time.monotonic() < deadline:
                try:
                    dev_monitor.update_event_data(100)
                    got = True
                except gentl.TimeoutException:
                    pass
            assert got, "no device-lost module event"
            try:
                cam.ia.stop()
            except Exception:
                pass
        # re-enumeration finds it again
        h.update()
        assert [d.serial_number for d in h.device_info_list] == ["40000001"]
        with sim_camera(h=h, height=64, width=256) as cam:
            cam.dev.SimFaultDisconnectAfterFrames.value = 0
            cam.start()
            assert [cam.fetch(timeout=3).frame_id for _ in range(3)] == [1, 2, 3]
    finally:
        h.reset()
