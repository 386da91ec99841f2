"""Issue point 4: chunk data, laid out as U3V chunks, filled into the node map by Harvesters inside fetch."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from sim_controls import (  # noqa: F401
    CHUNK_DATA_LEN,
    CHUNK_IDS,
    REFUSED,
    crc16_ccitt_false,
    parse_u3v_chunks,
    sim_camera,
    sim_env,
)

pytestmark = pytest.mark.usefixtures("sim_env")

ALL = ("Timestamp", "ExposureTime", "Gain", "LineStatusAll", "CounterValue", "PayloadCRC16")
VALUE_NODES = ("ChunkTimestamp", "ChunkExposureTime", "ChunkGain", "ChunkLineStatusAll", "ChunkPayloadCRC16")


def test_crc_reference_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_payload_size_includes_the_chunk_area() -> None:
    with sim_camera(width=512, height=256) as cam:
        image = 512 * 256
        assert cam.get("PayloadSize") == image
        cam.nm.ChunkModeActive.value = True
        assert cam.get("PayloadSize") == image + 8, "the image carries its own trailer"
        total = image + 8
        for name in ALL:
            cam.nm.ChunkSelector.value = name
            cam.nm.ChunkEnable.value = True
            total += CHUNK_DATA_LEN[name] + 8
            assert cam.get("PayloadSize") == total, name
        cam.nm.ChunkSelector.value = "Image"
        with pytest.raises(REFUSED):
            cam.nm.ChunkEnable.value = False
        cam.nm.ChunkModeActive.value = False
        assert cam.get("PayloadSize") == image


def test_chunk_mode_is_locked_while_streaming() -> None:
    with sim_camera() as cam:
        cam.enable_chunks("Timestamp")
        cam.start()
        cam.fetch()
        with pytest.raises(REFUSED):
            cam.nm.ChunkModeActive.value = False
        cam.nm.ChunkSelector.value = "Gain"
        with pytest.raises(REFUSED):
            cam.nm.ChunkEnable.value = True


@pytest.mark.parametrize("fmt", ["Mono8", "Mono12p"])
def test_chunk_values_equal_settings_buffer_timestamp_and_crc(fmt: str) -> None:
    with sim_camera(width=640, height=120) as cam:
        cam.set(PixelFormat=fmt, ExposureTime=1234.0, Gain=6.5)
        cam.sel("LineSelector", "Line2").set(LineSource="UserOutput1")
        cam.sel("UserOutputSelector", "UserOutput1").set(UserOutputValue=True)
        cam.line_level(3, True)
        cam.sel("CounterSelector", "Counter1").set(CounterEventSource="FrameStart")
        cam.nm.CounterReset.execute()
        cam.enable_chunks(*ALL)
        cam.nm.ChunkGainSelector.value = "All"
        cam.nm.ChunkCounterSelector.value = "Counter1"
        payload = cam.get("PayloadSize")
        cam.start()
        frames = [cam.fetch(chunks=VALUE_NODES + ("ChunkCounterValue",)) for _ in range(4)]
        cam.stop()
        cam.line_level(3, False)
    image_bytes = 640 * 120 if fmt == "Mono8" else 640 * 120 * 3 // 2
    for frame in frames:
        c = frame.chunks
        assert frame.chunk_payload_size == frame.size_filled == payload
        assert c["ChunkTimestamp"] == frame.timestamp_ns
        assert c["ChunkExposureTime"] == 1234.0
        assert c["ChunkGain"] == 6.5
        assert c["ChunkLineStatusAll"] == 0b0110, "Line2 = UserOutput1 high, Line3 input high"
        assert c["ChunkCounterValue"] == frame.frame_id
        # independent parse of the U3V layout
        layout = parse_u3v_chunks(frame.raw, frame.size_filled)
        assert [cid for cid, _, _ in layout] == [CHUNK_IDS[n] for n in ("Image",) + ALL]
        assert layout[0] == (CHUNK_IDS["Image"], 0, image_bytes)
        data = {cid: frame.raw[off:off + ln] for cid, off, ln in layout}
        assert struct.unpack("<Q", data[CHUNK_IDS["Timestamp"]])[0] == frame.timestamp_ns
        assert struct.unpack("<d", data[CHUNK_IDS["ExposureTime"]])[0] == 1234.0
        assert struct.unpack("<II", data[CHUNK_IDS["CounterValue"]])[0] == frame.frame_id
        crc_cid, crc_off, _ = layout[-1]
        crc = crc16_ccitt_false(frame.raw[:crc_off])
        assert c["ChunkPayloadCRC16"] & 0xFFFF == crc
        assert struct.unpack("<I", data[crc_cid])[0] == crc
        if fmt == "Mono8":
            assert np.array_equal(frame.image.reshape(-1), np.frombuffer(frame.raw[:image_bytes], np.uint8))
    assert [f.frame_id for f in frames] == [1, 2, 3, 4]


def test_chunk_values_follow_changes_while_streaming() -> None:
    with sim_camera(height=64) as cam:
        cam.set(ExposureTime=1000.0, Gain=0.0)
        cam.enable_chunks("ExposureTime", "Gain", "Timestamp")
        cam.start()
        first = cam.fetch(chunks=("ChunkExposureTime", "ChunkGain", "ChunkTimestamp"))
        assert (first.chunks["ChunkExposureTime"], first.chunks["ChunkGain"]) == (1000.0, 0.0)
        cam.set(ExposureTime=2500.0, Gain=12.25)
        # Up to 3 buffers and the frame being exposed (4 in all) were made before the change: frames
        # after it show the old values, then (ExposureTime is written first) perhaps the new
        # ExposureTime with the old Gain, then the new pair, which stays.
        later = [cam.fetch(chunks=("ChunkExposureTime", "ChunkGain", "ChunkTimestamp")) for _ in range(12)]
        values = [(f.chunks["ChunkExposureTime"], f.chunks["ChunkGain"]) for f in later]
        new = values.index((2500.0, 12.25)) if (2500.0, 12.25) in values else None
        assert new is not None and new <= 5, values
        assert all(value == (2500.0, 12.25) for value in values[new:]), values
        assert all(value in ((1000.0, 0.0), (2500.0, 0.0)) for value in values[:new]), values
        assert all(f.chunks["ChunkTimestamp"] == f.timestamp_ns for f in later)


def test_only_enabled_chunks_are_present() -> None:
    with sim_camera(width=256, height=64) as cam:
        cam.enable_chunks("Gain", "PayloadCRC16")
        assert cam.get("PayloadSize") == 256 * 64 + 8 + 16 + 12
        cam.start()
        frame = cam.fetch(chunks=("ChunkGain", "ChunkPayloadCRC16"))
    layout = parse_u3v_chunks(frame.raw, frame.size_filled)
    assert [cid for cid, _, _ in layout] == [CHUNK_IDS["Image"], CHUNK_IDS["Gain"], CHUNK_IDS["PayloadCRC16"]]
    assert frame.chunks["ChunkPayloadCRC16"] == crc16_ccitt_false(frame.raw[:layout[-1][1]])


def test_no_chunks_when_chunk_mode_is_off() -> None:
    with sim_camera(width=256, height=64) as cam:
        cam.start()
        frame = cam.fetch()
    assert frame.size_filled == 256 * 64
    assert frame.chunk_payload_size is None
