"""Streaming: payload sizes, frame rate from the timing model, frame IDs, lost frames."""

from __future__ import annotations

import math
import time

import pytest

from gentl_consumer import gentl_rig, gentl_stream, harvester

BYTES_PER_PIXEL = {"Mono8": 1.0, "Mono12": 2.0, "Mono12p": 1.5}


def expected_payload(width: int, height: int, fmt: str) -> int:
    return math.ceil(width * height * BYTES_PER_PIXEL[fmt])


@pytest.mark.parametrize("fmt", ["Mono8", "Mono12", "Mono12p"])
@pytest.mark.parametrize("roi", [(4096, 3000, 8, 4), (4112, 3008, 0, 0), (16, 16, 100, 200), (1028, 16, 4, 2),
                                 (2052, 1002, 0, 0)])
def test_payload_size_for_every_format_and_roi(fmt: str, roi: tuple[int, int, int, int]) -> None:
    width, height, ox, oy = roi
    with gentl_rig() as rig:
        nm = rig.remote
        nm.get_node("PixelFormat").value = fmt
        nm.get_node("OffsetX").value = 0
        nm.get_node("OffsetY").value = 0
        nm.get_node("Width").value = width
        nm.get_node("Height").value = height
        nm.get_node("OffsetX").value = ox
        nm.get_node("OffsetY").value = oy
        payload = nm.get_node("PayloadSize").value
        assert payload == expected_payload(width, height, fmt)
        with gentl_stream(rig, num_buffers=2) as stream:
            assert stream.ds.payload_size == payload if stream.ds.defines_payload_size() else True
            stream.start()
            frame = stream.next()
            assert (frame.width, frame.height) == (width, height)
            assert len(frame.data) == payload
            assert frame.complete


@pytest.mark.parametrize("fmt", ["Mono8", "Mono12", "Mono12p"])
def test_payload_size_with_binning(fmt: str) -> None:
    with gentl_rig() as rig:
        nm = rig.remote
        nm.get_node("PixelFormat").value = fmt
        nm.get_node("BinningHorizontal").value = 2
        nm.get_node("BinningVertical").value = 3
        width, height = nm.get_node("Width").value, nm.get_node("Height").value
        assert width <= nm.get_node("WidthMax").value == 4112 // 2
        assert height <= nm.get_node("HeightMax").value == 3008 // 3
        assert nm.get_node("PayloadSize").value == expected_payload(width, height, fmt)


# (pixel format, width, height, expected rate from the spec's timing table §3.5)
RATE_CASES = [
    ("Mono8", 4096, 3000, 23.51),    # sensor readout limits
    ("Mono12", 4096, 1000, 43.95),   # USB throughput limit
    ("Mono12p", 4096, 480, 122.1),   # USB limit at a small ROI
]


@pytest.mark.slow
@pytest.mark.parametrize("fmt,width,height,table_rate", RATE_CASES)
def test_delivered_rate_matches_resulting_frame_rate(fmt: str, width: int, height: int, table_rate: float) -> None:
    with gentl_rig() as rig:
        nm = rig.remote
        nm.get_node("PixelFormat").value = fmt
        nm.get_node("Width").value = width
        nm.get_node("Height").value = height
        nm.get_node("ExposureTime").value = 1000.0
        resulting = nm.get_node("ResultingFrameRate").value
        assert resulting == pytest.approx(table_rate, rel=0.005)
        seconds = 3.0
        count = max(30, int(resulting * seconds))
        with gentl_stream(rig, num_buffers=8) as stream:
            stream.start()
            frames = [stream.next(copy=False) for _ in range(count)]
        ids = [f.frame_id for f in frames]
        assert ids == list(range(1, count + 1)), "frames were lost at the camera's own rate"
        host_rate = (count - 1) / (frames[-1].host_time - frames[0].host_time)
        device_rate = (count - 1) * 1e9 / (frames[-1].timestamp_ns - frames[0].timestamp_ns)
        assert host_rate == pytest.approx(resulting, rel=0.02)
        assert device_rate == pytest.approx(resulting, rel=0.005)


def test_frame_rate_limited_by_exposure_and_by_acquisition_frame_rate() -> None:
    with gentl_rig() as rig:
        nm = rig.remote
        nm.get_node("Height").value = 480
        nm.get_node("ExposureTime").value = 100_000.0
        assert nm.get_node("ResultingFrameRate").value < 10.0
        assert nm.get_node("ResultingFrameRate").value == pytest.approx(1e6 / (100_000 + 2 * 14.02), rel=0.01)
        nm.get_node("ExposureTime").value = 1000.0
        nm.get_node("AcquisitionFrameRateEnable").value = True
        nm.get_node("AcquisitionFrameRate").value = 10.0
        assert nm.get_node("ResultingFrameRate").value == pytest.approx(10.0, rel=1e-6)
        with gentl_stream(rig, num_buffers=4) as stream:
            stream.start()
            frames = [stream.next(copy=False) for _ in range(6)]
        spacing = (frames[-1].timestamp_ns - frames[0].timestamp_ns) / 5
        assert spacing == pytest.approx(1e8, rel=0.01)


def test_frame_ids_start_at_one_and_timestamps_increase() -> None:
    with gentl_rig() as rig:
        rig.remote.get_node("Height").value = 240
        with gentl_stream(rig, num_buffers=4) as stream:
            stream.start()
            frames = [stream.next(copy=False) for _ in range(20)]
    assert [f.frame_id for f in frames] == list(range(1, 21))
    stamps = [f.timestamp_ns for f in frames]
    assert all(b > a for a, b in zip(stamps, stamps[1:]))


def test_stalled_consumer_loses_frames_and_the_gap_is_counted() -> None:
    with gentl_rig() as rig:
        rig.remote.get_node("Height").value = 480  # ~138 fps
        with gentl_stream(rig, num_buffers=2) as stream:
            stream.start()
            first = stream.next(copy=False, requeue=False)
            second = stream.next(copy=False, requeue=False)
            assert (first.frame_id, second.frame_id) == (1, 2)
            time.sleep(0.5)  # no buffer queued: the camera's frames have nowhere to go
            lost_while_stalled = stream.ds.num_underrun
            assert lost_while_stalled > 30
            for buffer in stream.buffers:
                stream.ds.queue_buffer(buffer)
            third = stream.next(copy=False)
            lost = stream.ds.num_underrun
            assert lost >= lost_while_stalled
            assert third.frame_id == 2 + lost + 1, "frame ID gap must equal the frames counted as lost"
            fourth = stream.next(copy=False)
            assert fourth.frame_id == third.frame_id + 1
            assert stream.ds.num_delivered == 4


def test_unthrottled_delivers_every_frame_without_loss() -> None:
    with gentl_rig() as rig:
        dev_nm = rig.node_map(rig.device.local_port)
        dev_nm.get_node("SimUnthrottled").value = True
        rig.remote.get_node("Height").value = 480
        resulting = rig.remote.get_node("ResultingFrameRate").value
        with gentl_stream(rig, num_buffers=3) as stream:
            stream.start()
            t0 = time.monotonic()
            frames = [stream.next(copy=False) for _ in range(300)]
            elapsed = time.monotonic() - t0
            assert stream.ds.num_underrun == 0
        assert [f.frame_id for f in frames] == list(range(1, 301))
        # faster than the camera's own rate: the producer waits for buffers instead of pacing
        assert 299 / elapsed > 1.5 * resulting


def test_single_frame_mode_delivers_one_frame() -> None:
    with gentl_rig() as rig:
        rig.remote.get_node("Height").value = 240
        rig.remote.get_node("AcquisitionMode").value = "SingleFrame"
        with gentl_stream(rig, num_buffers=3) as stream:
            stream.start()
            assert stream.next(copy=False).frame_id == 1
            with pytest.raises(TimeoutError):
                stream.next(timeout_s=0.5)


def test_locked_features_cannot_change_while_streaming() -> None:
    from genicam.genapi import AccessException, LogicalErrorException

    with gentl_rig() as rig:
        nm = rig.remote
        nm.get_node("Height").value = 240
        with gentl_stream(rig, num_buffers=3) as stream:
            stream.start()
            stream.next(copy=False)
            for name, value in [("Width", 2048), ("Height", 480), ("PixelFormat", "Mono12"), ("BinningHorizontal", 2)]:
                with pytest.raises((AccessException, LogicalErrorException)):
                    nm.get_node(name).value = value
            nm.get_node("ExposureTime").value = 2000.0  # not locked
            assert nm.get_node("ExposureTime").value == 2000.0
        nm.get_node("Height").value = 480  # unlocked again after stop
        assert nm.get_node("Height").value == 480


def test_harvesters_fetch_gives_numpy_frames() -> None:
    with harvester() as h:
        ia = h.create(0)
        try:
            nm = ia.remote_device.node_map
            nm.Height.value = 256
            nm.Width.value = 512
            nm.PixelFormat.value = "Mono12"
            ia.start()
            ids = []
            for _ in range(5):
                with ia.fetch(timeout=5) as buffer:
                    component = buffer.payload.components[0]
                    assert (component.height, component.width) == (256, 512)
                    assert component.data.dtype.name == "uint16"
                    assert int(component.data.max()) <= 4095
                    ids.append(buffer.frame_id)
            ia.stop()
            assert ids == list(range(1, 6))
        finally:
            ia.destroy()
