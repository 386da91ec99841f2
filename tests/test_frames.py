"""Frames from the simulated camera: pixels checked against the test-image formula, metadata,
timeouts on time, and zero-copy buffers that go back to the producer only when released."""

from __future__ import annotations

import time

import numpy as np
import pytest

import ace_gentl
from ace_gentl.errors import AcquisitionError, AcquisitionTimeout
from session_fixtures import session  # noqa: F401 (pytest fixture)


def _small(session: ace_gentl.Session, pixel_format: str = "Mono8") -> None:
    session.PixelFormat = pixel_format
    session.Width, session.Height, session.OffsetX, session.OffsetY = 1000, 20, 40, 6
    session.TestImageSelector = "Testimage2"  # X mod 2^B, static, no noise (cti/TEST_IMAGES.md)


@pytest.mark.parametrize("pixel_format,bits,dtype", [("Mono8", 8, np.uint8), ("Mono12", 12, np.uint16),
                                                     ("Mono12p", 12, np.uint16)])
def test_pixels_match_the_test_image_formula(session: ace_gentl.Session, pixel_format: str, bits: int,
                                             dtype: type) -> None:
    _small(session, pixel_format)
    (frame,) = session.grab(1, timeout=5)
    expected = np.tile((np.arange(1000) + 40) % (1 << bits), (20, 1)).astype(dtype)
    assert frame.data.dtype == dtype and frame.data.shape == (20, 1000)
    np.testing.assert_array_equal(frame.data, expected)
    assert (frame.pixel_format, frame.width, frame.height) == (pixel_format, 1000, 20)
    assert (frame.offset_x, frame.offset_y) == (40, 6)
    assert not frame.incomplete and frame.chunks == {} and frame.bayer is None


def test_metadata_of_consecutive_frames(session: ace_gentl.Session) -> None:
    _small(session)
    session.AcquisitionFrameRateEnable = True
    session.AcquisitionFrameRate = 50.0
    before = time.time_ns()
    frames = session.grab(4, timeout=5)
    ids = [f.frame_id for f in frames]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert all(b.timestamp_ns - a.timestamp_ns >= 15_000_000 for a, b in zip(frames, frames[1:]))  # ~20 ms apart
    assert all(before <= f.host_time_ns <= time.time_ns() for f in frames)
    assert [f.lost_before for f in frames] == [0] + [b.frame_id - a.frame_id - 1 for a, b in zip(frames, frames[1:])]
    assert not session.streaming  # grab stopped what it started


def test_timeout_is_raised_on_time(session: ace_gentl.Session) -> None:
    _small(session)
    session.AcquisitionFrameRateEnable = True
    session.AcquisitionFrameRate = 0.5  # first frame after 2 s
    started = time.monotonic()
    with pytest.raises(AcquisitionTimeout, match="no frame within 0.3 s"):
        session.grab(1, timeout=0.3)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 1.0, elapsed
    assert not session.streaming


def test_default_timeout_follows_the_frame_rate(session: ace_gentl.Session) -> None:
    _small(session)
    session.AcquisitionFrameRateEnable = True
    session.AcquisitionFrameRate = 0.5
    assert session.default_timeout() == pytest.approx(2.0 + 3 * 2.0 + session.ExposureTime * 1e-6)


def test_zero_copy_frames_hold_their_buffer_until_released(session: ace_gentl.Session) -> None:
    _small(session)
    session.device_features["SimUnthrottled"] = True
    session.start(num_buffers=2)
    stream = session.frames(timeout=1, copy=False)
    first, second = next(stream), next(stream)
    assert first.holds_buffer and second.holds_buffer
    assert not first.data.flags.owndata  # a view on the producer's buffer, not a copy
    with pytest.raises(AcquisitionTimeout):  # both buffers are lent out: the producer has none to fill
        next(stream)
    assert session.streaming  # the iterator ended with its error; acquisition started outside goes on
    kept = first.data.copy()
    first.release()
    first.release()  # second call is harmless
    stream = session.frames(timeout=1, copy=False)
    with next(stream) as third:  # a context manager releases too
        assert third.frame_id > second.frame_id
        np.testing.assert_array_equal(third.data, kept)  # static test image
    stream.close()
    session.stop()  # revokes every buffer, also the one `second` still holds
    assert int(second.data.max()) >= 0  # still readable memory (numpy keeps the buffer object alive)
    second.release()  # no-op now: the buffer no longer belongs to a running stream


def test_buffers_go_back_to_the_producer_without_being_zeroed(session: ace_gentl.Session,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # genicam zeroes a buffer when it is queued unless told not to: a 12 MB memset per full frame
    # (0.76 ms against 0.02 ms, measured). Released frames must not pay it.
    from genicam import gentl

    _small(session)
    session.start(num_buffers=4)
    cleared: list[bool] = []
    original = gentl.DataStream.queue_buffer

    def spy(self: gentl.DataStream, buffer: gentl.Buffer, clear_buffer: bool = True) -> None:
        cleared.append(bool(clear_buffer))
        original(self, buffer, clear_buffer)

    monkeypatch.setattr(gentl.DataStream, "queue_buffer", spy)
    for _, frame in zip(range(3), session.frames(timeout=2, copy=False)):
        frame.release()
    frames = [f for _, f in zip(range(3), session.frames(timeout=2))]  # copied: given back at once
    session.stop()
    assert len(cleared) == 6 and not any(cleared)
    assert all(int(f.data.max()) > 0 for f in frames)  # Testimage2 (X mod 256): the frames are not zeros


def test_copied_frames_do_not_hold_buffers(session: ace_gentl.Session) -> None:
    _small(session)
    session.device_features["SimUnthrottled"] = True
    session.start(num_buffers=2)
    frames = [f for _, f in zip(range(6), session.frames(timeout=2))]
    assert not any(f.holds_buffer for f in frames)
    assert all(f.data.flags.owndata or f.data.base is not None for f in frames)
    frames[0].data[0, 0] = 1  # a private copy: writable
    session.stop()


def test_fetch_without_acquisition_is_an_error(session: ace_gentl.Session) -> None:
    with pytest.raises(AcquisitionError, match="not running"):
        session._stream.fetch(0.1)


def test_frames_after_close_are_refused(session: ace_gentl.Session) -> None:
    session.close()
    with pytest.raises(ace_gentl.SessionClosedError):
        session.grab(1)


def test_waiting_for_a_frame_leaves_other_python_threads_running(session: ace_gentl.Session) -> None:
    """While one thread waits for a frame, the recorder's writer and compression threads must run."""
    import threading

    session.TriggerMode = "On"
    session.TriggerSource = "Software"  # no trigger is sent: fetch waits its whole timeout
    session.start(4)
    counted, stop = [0], threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counted[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.3)
        start, t0 = counted[0], time.perf_counter()
        with pytest.raises(AcquisitionTimeout):
            session._stream.fetch(1.0)
        waiting_rate = (counted[0] - start) / (time.perf_counter() - t0)
        start, t0 = counted[0], time.perf_counter()
        time.sleep(1.0)
        idle_rate = (counted[0] - start) / (time.perf_counter() - t0)
    finally:
        stop.set()
        spinner.join()
        session.stop()
    # Holding the GIL through the producer's wait left the other thread ~6 % of its speed.
    assert waiting_rate > 0.3 * idle_rate, (waiting_rate, idle_rate)
