"""Session features on the simulated camera's behaviour: chunk data, incomplete frames,
a camera busy in another process, a camera lost mid-stream, triggers, selected features in
snapshots, and user sets that outlive the process."""

from __future__ import annotations

import signal
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import numpy as np
import pytest

import ace_gentl
from ace_gentl import transport
from ace_gentl.errors import AcquisitionTimeout, DeviceBusyError, DeviceLostError
from sim_controls import child_env, crc16_ccitt_false

WIDTH, HEIGHT = 256, 64
#: Testimage2 is X mod 2^B: static and noise-free (cti/TEST_IMAGES.md), so pixels can be checked exactly.
EXPECTED = np.tile(np.arange(WIDTH) % 256, (HEIGHT, 1)).astype(np.uint8)
CHUNKS = ("Timestamp", "ExposureTime", "Gain", "LineStatusAll", "CounterValue", "PayloadCRC16")


def _small(session: ace_gentl.Session) -> None:
    session.PixelFormat = "Mono8"
    session.Width, session.Height, session.OffsetX, session.OffsetY = WIDTH, HEIGHT, 0, 0
    session.TestImageSelector = "Testimage2"


@pytest.fixture
def cam() -> Iterator[ace_gentl.Session]:
    assert transport.loaded_paths() == [], "an earlier test left a producer loaded"
    with ace_gentl.open(sim=True) as session:
        _small(session)
        yield session
        # Sim* controls belong to the camera slot: leave no fault armed (a lost camera is replaced anyway).
        if not session.closed and session.device_features["DeviceAccessStatus"] != "NoAccess":
            session.device_features["SimFaultIncompleteRate"] = 0.0
            session.device_features["SimFaultDisconnectAfterFrames"] = 0


def _spawn(body: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(body)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=child_env())


# --- 1. chunk data -----------------------------------------------------------------------------


def _expected_crc(frame: ace_gentl.Frame, counter2: int) -> int:
    """CRC-16/CCITT-FALSE over image, image trailer and every chunk before the CRC (cti/README.md)."""
    c = frame.chunks
    parts = [frame.data.tobytes(), struct.pack("<II", 0xA5A50000, frame.data.nbytes)]
    for cid, data in ((1, struct.pack("<Q", c["Timestamp"])), (2, struct.pack("<d", c["ExposureTime"])),
                      (3, struct.pack("<d", c["Gain"])), (4, struct.pack("<I", c["LineStatusAll"])),
                      (5, struct.pack("<II", c["CounterValue"], counter2))):
        parts += [data, struct.pack("<II", 0xA5A50000 + cid, len(data))]
    return crc16_ccitt_false(b"".join(parts))


def test_frames_carry_chunk_values(cam: ace_gentl.Session) -> None:
    cam.ExposureTime = 3000.0
    cam.Gain = 6.0
    cam.ChunkModeActive = True
    for name in CHUNKS:
        cam.set("ChunkEnable", True, ChunkSelector=name)
    for counter in ("Counter1", "Counter2"):  # count exposure starts from 1 in this acquisition
        cam.execute("CounterReset", CounterSelector=counter)
    frames = cam.grab(3, timeout=5)
    assert len(frames) == 3
    for frame in frames:
        assert set(frame.chunks) == set(CHUNKS), frame.chunks  # values only: no selectors, no controls
        assert frame.chunks["Timestamp"] == frame.timestamp_ns
        assert frame.chunks["ExposureTime"] == 3000.0
        assert frame.chunks["Gain"] == 6.0
        # Sampled at exposure start: inputs undriven (low), Line2's default source ExposureActive is high.
        assert frame.chunks["LineStatusAll"] == 0b0010
        assert frame.chunks["CounterValue"] == frame.frame_id  # Counter1 counts FrameStart since the reset
        assert frame.chunks["PayloadCRC16"] == _expected_crc(frame, counter2=frame.frame_id)
        np.testing.assert_array_equal(frame.data, EXPECTED)
    # A chunk that is not enabled is not in the dict; chunk mode off gives no chunks at all.
    cam.set("ChunkEnable", False, ChunkSelector="Gain")
    (frame,) = cam.grab(1, timeout=5)
    assert set(frame.chunks) == set(CHUNKS) - {"Gain"}
    cam.ChunkModeActive = False
    (frame,) = cam.grab(1, timeout=5)
    assert frame.chunks == {}


# --- 2. incomplete frames ----------------------------------------------------------------------


def _incomplete_run(cam: ace_gentl.Session, n: int) -> list[ace_gentl.Frame]:
    started = time.monotonic()
    frames = cam.grab(n, timeout=2)
    assert time.monotonic() - started < 10
    return frames


def test_incomplete_frames_are_flagged_not_dropped(cam: ace_gentl.Session) -> None:
    cam.ChunkModeActive = True
    cam.set("ChunkEnable", True, ChunkSelector="Timestamp")
    cam.device_features["SimUnthrottled"] = True  # no underruns: every frame ID arrives
    cam.device_features["SimFaultSeed"] = 7
    cam.device_features["SimFaultIncompleteRate"] = 0.3
    frames = _incomplete_run(cam, 30)
    assert [f.frame_id for f in frames] == list(range(1, 31))  # nothing silently dropped
    assert all(f.lost_before == 0 for f in frames)
    bad = [f.frame_id for f in frames if f.incomplete]
    assert 0 < len(bad) < 30, bad
    half = WIDTH * HEIGHT // 2  # the simulator fills half the image of an incomplete frame
    for frame in frames:
        if frame.incomplete:
            # What arrived, zero-filled after it; no chunk layout in an incomplete frame.
            flat = frame.data.reshape(-1)
            np.testing.assert_array_equal(flat[:half], EXPECTED.reshape(-1)[:half])
            assert not flat[half:].any()
            assert frame.chunks == {}
        else:
            np.testing.assert_array_equal(frame.data, EXPECTED)
            assert frame.chunks == {"Timestamp": frame.timestamp_ns}
    # The fault PRNG restarts with the frame IDs: the same seed flags the same frames again.
    again = _incomplete_run(cam, 30)
    assert [f.frame_id for f in again if f.incomplete] == bad
    cam.device_features["SimFaultIncompleteRate"] = 0.0
    assert not any(f.incomplete for f in cam.grab(5, timeout=2))


# --- 3. busy in another process ----------------------------------------------------------------


def test_camera_open_in_another_process_is_busy() -> None:
    assert transport.loaded_paths() == []
    child = _spawn("""
        import time, ace_gentl
        session = ace_gentl.open(sim=True)
        print("open", flush=True)
        time.sleep(120)
    """)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()  # the child opens the camera first
        assert line == "open", line + child.stdout.read()
        (record,) = ace_gentl.list_devices(sim=True)
        assert record.access_status == "Busy"
        with pytest.raises(DeviceBusyError, match=rf"in use by another process.*\(PID {child.pid}\)"):
            ace_gentl.open(sim=True)
        assert transport.loaded_paths() == []  # the failed open released the producer
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    (record,) = ace_gentl.list_devices(sim=True)  # the kernel dropped the dead child's lock
    assert record.access_status == "ReadWrite"
    with ace_gentl.open(sim=True) as session:
        session.Height = HEIGHT
        assert len(session.grab(1, timeout=5)) == 1


# --- 4. camera lost mid-stream -----------------------------------------------------------------


def _reopens_after_loss() -> None:
    (record,) = ace_gentl.list_devices(sim=True)  # enumeration re-plugs the lost camera
    assert record.access_status == "ReadWrite"
    with ace_gentl.open(sim=True) as again:
        assert again.device_features["SimFaultDisconnectAfterFrames"] == 0  # the re-plug disarmed it
        assert again.Height == 3000  # a fresh camera: power-up state, not the lost one's settings
        again.Height = HEIGHT
        (frame,) = again.grab(1, timeout=5)
        assert frame.frame_id == 1 and not frame.incomplete


def test_camera_lost_mid_stream_raises_device_lost(cam: ace_gentl.Session) -> None:
    cam.device_features["SimFaultDisconnectAfterFrames"] = 5
    got = []
    started = time.monotonic()
    with pytest.raises(DeviceLostError, match=r"disconnected \(device lost\)"):
        for frame in cam.frames(timeout=3):
            got.append(frame)
    assert time.monotonic() - started < 3  # the lost camera is noticed at once, not after the timeout
    assert [f.frame_id for f in got] == [1, 2, 3, 4, 5] and not any(f.incomplete for f in got)
    assert cam.device_features["DeviceAccessStatus"] == "NoAccess"
    assert not cam.streaming
    cam.stop()  # nothing left to stop: no error
    cam.close()
    assert cam.closed and transport.loaded_paths() == []
    _reopens_after_loss()


def test_camera_lost_with_every_buffer_lent_out_raises_within_the_timeout(cam: ace_gentl.Session) -> None:
    # All buffers held by zero-copy frames: the producer has none to hand back unfilled, so the loss
    # shows only as silence. The Session must still say "device lost", and on time.
    cam.device_features["SimFaultDisconnectAfterFrames"] = 4
    cam.start(num_buffers=4)
    stream = cam.frames(timeout=0.5, copy=False)
    held = [next(stream) for _ in range(4)]
    assert [f.frame_id for f in held] == [1, 2, 3, 4]
    started = time.monotonic()
    with pytest.raises(DeviceLostError, match="no frame within 0.5 s: the camera was disconnected"):
        next(stream)
    assert 0.5 <= time.monotonic() - started < 2.0
    for frame in held:
        frame.release()  # harmless: the buffers go back to a stream that will never fill them
    with pytest.raises(ace_gentl.AcquisitionError, match="disconnected"):
        cam.stop()  # AcquisitionStop cannot reach a lost camera; the error says so
    cam.close()
    assert transport.loaded_paths() == []
    _reopens_after_loss()


# --- 5. triggers -------------------------------------------------------------------------------


def _expect_no_more_frames(cam: ace_gentl.Session) -> None:
    with pytest.raises(AcquisitionTimeout):
        next(cam.frames(timeout=0.3))


def test_software_trigger_gives_one_frame_per_call(cam: ace_gentl.Session) -> None:
    cam.set("TriggerMode", "On", TriggerSelector="FrameStart")
    cam.set("TriggerSource", "Software", TriggerSelector="FrameStart")
    cam.TriggerSelector = "FrameStart"
    cam.start()
    _expect_no_more_frames(cam)  # free run is off: nothing without a trigger
    ids = []
    for _ in range(3):
        cam.trigger()
        ids.append(next(cam.frames(timeout=2)).frame_id)
        _expect_no_more_frames(cam)
    assert ids == [1, 2, 3]
    cam.stop()


def test_line_pulse_gives_one_frame_per_pulse(cam: ace_gentl.Session) -> None:
    cam.set("TriggerMode", "On", TriggerSelector="FrameStart")
    cam.set("TriggerSource", "Line1", TriggerSelector="FrameStart")
    cam.device_features["SimLineSelector"] = "Line1"
    cam.start()
    _expect_no_more_frames(cam)
    ids = []
    for _ in range(3):
        cam.device_features.execute("SimLinePulse")
        ids.append(next(cam.frames(timeout=2)).frame_id)
        _expect_no_more_frames(cam)
    assert ids == [1, 2, 3]
    cam.device_features["SimTriggerSelector"] = "FrameStart"
    assert cam.device_features["SimLostTriggerCount"] == 0
    cam.stop()


# --- 6. snapshot and apply with selectors ------------------------------------------------------


def _variant(snap: dict, name: str, **selectors: str) -> object:
    (value,) = [v["value"] for v in snap["selected"][name] if v["selectors"] == selectors]
    return value


def test_snapshot_and_apply_cover_every_selector_value(cam: ace_gentl.Session) -> None:
    cam.set("LineMode", "Output", LineSelector="Line4")
    cam.set("TriggerMode", "On", TriggerSelector="FrameBurstStart")
    cam.set("TriggerSource", "Line3", TriggerSelector="FrameBurstStart")
    cam.LineSelector, cam.TriggerSelector = "Line1", "FrameStart"
    snap = cam.snapshot()
    assert _variant(snap, "LineMode", LineSelector="Line3") == "Input"
    assert _variant(snap, "LineMode", LineSelector="Line4") == "Output"
    assert _variant(snap, "TriggerMode", TriggerSelector="FrameStart") == "Off"
    assert _variant(snap, "TriggerMode", TriggerSelector="FrameBurstStart") == "On"
    assert _variant(snap, "TriggerSource", TriggerSelector="FrameBurstStart") == "Line3"
    assert (cam.LineSelector, cam.TriggerSelector) == ("Line1", "FrameStart")  # capturing restores selectors

    cam.set("LineMode", "Output", LineSelector="Line3")
    cam.set("TriggerSource", "Software", TriggerSelector="FrameBurstStart")
    cam.LineSelector, cam.TriggerSelector = "Line4", "FrameBurstStart"
    assert set(ace_gentl.diff(snap, cam.snapshot())) >= {"LineMode[LineSelector=Line3]",
                                                         "TriggerSource[TriggerSelector=FrameBurstStart]"}
    cam.apply(snap)
    assert cam.get("LineMode", LineSelector="Line3") == "Input"
    assert cam.get("LineMode", LineSelector="Line4") == "Output"
    assert cam.get("TriggerSource", TriggerSelector="FrameBurstStart") == "Line3"
    assert cam.get("TriggerMode", TriggerSelector="FrameBurstStart") == "On"
    assert (cam.LineSelector, cam.TriggerSelector) == ("Line1", "FrameStart")  # selectors end as captured
    assert ace_gentl.diff(snap, cam.snapshot()) == {}


# --- 7. user sets across processes -------------------------------------------------------------


def _run_child(body: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(body)], capture_output=True, text=True,
                          timeout=60, env=child_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_user_set_saved_in_another_process_is_the_power_up_state() -> None:
    assert transport.loaded_paths() == []  # the next open in this process creates the camera afresh
    try:
        _run_child("""
            import ace_gentl
            with ace_gentl.open(sim=True) as s:
                s.Gain, s.ExposureTime, s.Height = 7.5, 1234.0, 64
                s.set("LineMode", "Output", LineSelector="Line3")
                s.save_user_set("UserSet2")
                s.set_default_user_set("UserSet2")
        """)
        with ace_gentl.open(sim=True) as s:
            assert s.default_user_set == "UserSet2"
            assert (s.Gain, s.ExposureTime, s.Height) == (7.5, 1234.0, 64)
            assert s.get("LineMode", LineSelector="Line3") == "Output"
            s.load_user_set("Default")
            assert (s.Gain, s.Height) == (0.0, 3000)
            s.load_user_set("UserSet2")  # the saved set itself is still there
            assert s.Gain == 7.5
    finally:
        with ace_gentl.open(sim=True) as s:
            s.set_default_user_set("Default")
    out = _run_child("""
        import ace_gentl
        with ace_gentl.open(sim=True) as s:
            print(s.default_user_set, s.Gain, s.Height)
    """)
    assert out.split() == ["Default", "0.0", "3000"]
