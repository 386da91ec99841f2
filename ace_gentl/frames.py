"""Frames and the buffer loop under them.

:class:`Stream` waits for buffers itself (see :func:`ace_gentl.backend.poll_buffer`): the producer
is asked without waiting, the waiting happens in ``time.sleep`` (which releases the GIL) against
one absolute deadline, so a timeout is raised on time, Ctrl-C gets through, and incomplete
frames reach the caller flagged instead of vanishing.

A zero-copy :class:`Frame` (``copy=False``) holds its producer buffer until released and decodes
its pixels only when asked (``frame.data``, or :meth:`Frame.decode_into` a caller's array): the
thread that takes buffers then only takes buffers, and decoding happens where the caller wants,
e.g. in a recorder's worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from genicam import gentl
from harvesters.core import ImageAcquirer

from ace_gentl import backend, pixels
from ace_gentl.errormap import acquisition_errors
from ace_gentl.errors import AcquisitionError, AcquisitionTimeout, DeviceLostError
from ace_gentl.features import FeatureValue

#: Sleeps between asking the producer for a frame: from the first, doubling up to the last. A poll
#: is ~70 us; this costs about 2 % of a core at 23 fps and adds at most the last interval of latency.
POLL_INTERVALS_S = (0.0005, 0.004)
#: Frame periods up to this long are slept through (3/4 of one) before polling; longer ones are
#: polled throughout (a slow or triggered camera's next frame can come at any moment).
QUIET_PERIOD_MAX_S = 0.25


class Frame:
    """One image with its metadata.

    ``data`` (also ``array``) is the decoded image: Mono12p and other packed formats become
    uint16, unpacked formats are a view on the delivered bytes. ``raw`` is the image's bytes as
    delivered (uint8, without chunk data). With ``copy=False`` the frame holds the producer's
    buffer: call :meth:`release` (or use ``with frame:``) to give it back; ``data`` and ``raw``
    must not be used after that.
    """

    __slots__ = ("frame_id", "timestamp_ns", "host_time_ns", "pixel_format", "width", "height", "offset_x",
                 "offset_y", "incomplete", "lost_before", "chunks", "bayer", "raw", "_data", "_give_back")

    def __init__(self, *, frame_id: int, timestamp_ns: int, host_time_ns: int, pixel_format: str, width: int,
                 height: int, data: np.ndarray | None = None, raw: np.ndarray | None = None, offset_x: int = 0,
                 offset_y: int = 0, incomplete: bool = False, lost_before: int = 0,
                 chunks: dict[str, FeatureValue] | None = None, bayer: str | None = None,
                 give_back: Callable[[], None] | None = None) -> None:
        if data is None and raw is None:
            raise ValueError("a Frame needs its decoded data or its raw bytes")
        self.frame_id = frame_id
        self.timestamp_ns = timestamp_ns  # device clock at exposure start (as the producer reports it)
        self.host_time_ns = host_time_ns  # time.time_ns() when the buffer was handed to us
        self.pixel_format = pixel_format
        self.width = width
        self.height = height
        self.offset_x = offset_x
        self.offset_y = offset_y
        self.incomplete = incomplete
        self.lost_before = lost_before  # frame IDs skipped since the previous frame of this stream
        self.chunks: dict[str, FeatureValue] = chunks if chunks is not None else {}
        self.bayer = bayer
        self.raw = raw
        self._data = data
        self._give_back = give_back

    @property
    def data(self) -> np.ndarray:
        if self._data is None:
            assert self.raw is not None
            self._data = pixels.decode(self.raw, self.pixel_format, self.width, self.height)
        return self._data

    @property
    def array(self) -> np.ndarray:
        """Same as :attr:`data`."""
        return self.data

    @property
    def shape(self) -> tuple[int, ...]:
        channels = pixels.lookup(self.pixel_format).channels
        return (self.height, self.width) if channels == 1 else (self.height, self.width, channels)

    def decode_into(self, out: np.ndarray) -> np.ndarray:
        """Decode into ``out`` (flat, at least :func:`ace_gentl.pixels.decode_capacity` elements); a view on it."""
        if self.raw is None:
            decoded = self.data
            target = out[:decoded.size].reshape(decoded.shape)
            np.copyto(target, decoded)
            return target
        return pixels.decode(self.raw, self.pixel_format, self.width, self.height, out=out)

    def detach(self, into: np.ndarray) -> None:
        """Copy the frame's bytes into ``into`` (flat uint8, at least ``raw.size``) and give the buffer back."""
        assert self.raw is not None
        target = into[:self.raw.size]
        np.copyto(target, self.raw)
        self.raw = target
        self._data = None
        self.release()

    @property
    def holds_buffer(self) -> bool:
        return self._give_back is not None

    def release(self) -> None:
        """Return the buffer to the producer (no-op for copied frames or a second call)."""
        give_back, self._give_back = self._give_back, None
        if give_back is not None:
            give_back()

    def __enter__(self) -> Frame:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        flags = " incomplete" if self.incomplete else ""
        return (f"<Frame {self.frame_id} {self.pixel_format} {self.width}x{self.height}{flags}"
                f"{' (holds its buffer)' if self.holds_buffer else ''}>")


def _info(buffer: gentl.Buffer, name: str, default: int = 0) -> int:
    # Optional buffer info (offsets, padding) is legitimately missing on some producers.
    try:
        return int(getattr(buffer, name))
    except (gentl.NotImplementedException, gentl.NotAvailableException, gentl.InvalidParameterException):
        return default


@dataclass
class PollStats:
    """How promptly the producer was asked for buffers since acquisition started.

    ``max_gap_s`` is the longest a poll came after it was due (the previous poll plus the sleep the
    waiter chose): while the thread that takes buffers is away (processing a frame, waiting for the
    GIL, descheduled), filled buffers wait and the producer's free ones run down. It is the figure
    to compare with the buffers' slack. ``period_s`` is the smoothed time between buffers taken, so
    a waiter can sleep through the part of a frame period in which no buffer can come.
    """

    polls: int = 0
    max_gap_s: float = 0.0
    due: float = 0.0
    arrivals: int = 0
    last_arrival: float = 0.0
    period_s: float = 0.0

    def mark(self, now: float) -> None:
        if self.polls:
            self.max_gap_s = max(self.max_gap_s, now - self.due)
        self.polls += 1
        self.due = now

    def sleeping(self, seconds: float) -> None:
        self.due += seconds

    def arrived(self, now: float) -> None:
        if self.arrivals:
            gap = now - self.last_arrival
            self.period_s = gap if self.arrivals == 1 else 0.8 * self.period_s + 0.2 * gap
        self.arrivals += 1
        self.last_arrival = now

    def quiet_until(self) -> float:
        """Until when no buffer is expected: 3/4 of the usual period after the last (0: no rhythm yet).

        Why: polling from the first 0.5 ms, doubling to 4 ms, asked ~12 times per frame at 23 fps
        (~70 us each); sleeping through the quiet part first asks ~4 times.
        """
        if self.arrivals < 3 or self.period_s > QUIET_PERIOD_MAX_S:
            return 0.0
        return self.last_arrival + 0.75 * self.period_s


@dataclass(frozen=True)
class StreamCounters:
    """The producer's own counts for the stream (GenTL stream info; None where it gives none)."""

    delivered: int | None
    underrun: int | None
    started: int | None


class Stream:
    """Start/stop and buffer delivery for the first data stream of an ImageAcquirer."""

    def __init__(self, ia: ImageAcquirer, read_chunks: Callable[[], dict[str, FeatureValue]],
                 node_lock: Any = None) -> None:
        self._ia = ia
        self._read_chunks = read_chunks
        #: The Session's lock around node-map use (features._serialise); taking buffers needs none.
        self._node_lock = node_lock if node_lock is not None else threading.RLock()
        self._last_id: int | None = None
        self._held: set[int] = set()  # ids of buffers lent out to zero-copy frames
        self._lock = threading.Lock()
        self.poll_stats = PollStats()
        backend.use_touched_buffers(ia)

    @property
    def running(self) -> bool:
        return bool(self._ia.is_acquiring())

    @property
    def outstanding(self) -> int:
        """Zero-copy frames not released yet."""
        return len(self._held)

    @property
    def num_buffers(self) -> int:
        return int(self._ia.num_buffers)

    def start(self, num_buffers: int | None = None) -> None:
        if self.running:
            return
        if num_buffers is not None:
            self._ia.num_buffers = max(num_buffers, self._ia.min_num_buffers)
        self._last_id = None
        self.poll_stats = PollStats()
        with self._node_lock, acquisition_errors("starting acquisition"):
            backend.start(self._ia)

    def halt(self) -> None:
        """Stop the camera making frames (AcquisitionStop) but keep the stream and its buffers.

        Frames still lent out stay valid; :meth:`stop` afterwards revokes every buffer.
        """
        if not self.running:
            return
        node_map = self._ia.remote_device.node_map
        with self._node_lock:
            if node_map.has_node("AcquisitionStop"):
                with acquisition_errors("stopping the camera (AcquisitionStop)"):
                    node_map.get_node("AcquisitionStop").execute()

    def stop(self) -> None:
        if not self.running:
            return
        with self._lock:  # lent buffers are revoked by stop(); their frames must not queue them again
            self._held.clear()
        with self._node_lock, acquisition_errors("stopping acquisition"):
            backend.stop(self._ia)  # flushes and revokes every buffer, lent or not

    def counters(self) -> StreamCounters:
        """The producer's delivered / underrun / started counts (None where it does not say)."""
        module = backend.stream_module(self._ia)

        def read(name: str) -> int | None:
            try:
                return int(getattr(module, name))
            except (gentl.GenericException, AttributeError, TypeError, ValueError):
                return None

        return StreamCounters(delivered=read("num_delivered"), underrun=read("num_underrun"),
                              started=read("num_started"))

    def _wait(self, timeout_s: float | None, cancelled: Callable[[], bool] | None = None) -> gentl.Buffer | None:
        """The next buffer; ``timeout_s`` None waits until one comes (or the camera is lost).

        None if ``cancelled()`` became true while waiting (checked between polls).
        """
        monitor = backend.new_buffer_monitor(self._ia)
        if monitor is None:
            raise AcquisitionError("the device has no open data stream")
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        interval, longest = POLL_INTERVALS_S
        stats = self.poll_stats
        next_lost_check = time.monotonic() + 1.0
        while True:
            now = time.monotonic()
            stats.mark(now)
            with acquisition_errors("waiting for a frame"):
                buffer = backend.poll_buffer(monitor)
            if buffer is not None:
                stats.arrived(now)
                return buffer
            if cancelled is not None and cancelled():
                return None
            if deadline is not None and deadline - now <= 0:
                if self._device_lost():
                    raise DeviceLostError(f"no frame within {timeout_s:g} s: the camera was disconnected "
                                          f"(device lost)")
                raise AcquisitionTimeout(f"no frame within {timeout_s:g} s")
            if deadline is None and now >= next_lost_check:  # waiting without end: still notice a lost camera
                next_lost_check = now + 1.0
                if self._device_lost():
                    raise DeviceLostError("the camera was disconnected (device lost) while waiting for a frame")
            quiet = stats.quiet_until() - now
            if quiet > interval:
                sleep = quiet
            else:
                sleep, interval = interval, min(2 * interval, longest)
            if deadline is not None:
                sleep = min(sleep, deadline - now)
            stats.sleeping(sleep)
            time.sleep(sleep)

    def device_lost(self) -> bool:
        """True when the GenTL Device module reports the camera as gone (DeviceAccessStatus NoAccess)."""
        return self._device_lost()

    def _device_lost(self) -> bool:
        """True when the GenTL Device module reports the camera as gone (DeviceAccessStatus NoAccess)."""
        node_map = self._ia.device.node_map
        with self._node_lock, acquisition_errors("reading the camera's access status"):
            if not node_map.has_node("DeviceAccessStatus"):
                return False
            return str(node_map.get_node("DeviceAccessStatus").value) == "NoAccess"

    @overload
    def fetch(self, timeout_s: float | None, *, copy: bool = True, cancelled: None = None) -> Frame: ...

    @overload
    def fetch(self, timeout_s: float | None, *, copy: bool = True,
              cancelled: Callable[[], bool]) -> Frame | None: ...

    def fetch(self, timeout_s: float | None, *, copy: bool = True,
              cancelled: Callable[[], bool] | None = None) -> Frame | None:
        """The next frame; AcquisitionTimeout after ``timeout_s`` (None: no limit); never blocks longer.

        ``copy=False`` lends the producer's buffer to the frame (see :class:`Frame`). With
        ``cancelled``, None once it returns true while waiting.
        """
        if not self.running:
            raise AcquisitionError("acquisition is not running")
        buffer = self._wait(timeout_s, cancelled)
        if buffer is None:
            return None
        host = time.time_ns()
        with acquisition_errors("reading buffer information"):
            new_data = bool(buffer.has_new_data())
        if not new_data:
            # The producer handed back a buffer it never filled: it aborted acquisition (GenTL does
            # this when the device is lost). Not a frame; say why instead of decoding garbage.
            self._queue(buffer)
            if self._device_lost():
                raise DeviceLostError("the camera was disconnected (device lost) during acquisition")
            raise AcquisitionError("the producer returned a buffer without data (acquisition was aborted)")
        try:
            frame, borrowed = self._frame_of(buffer, host)
        except BaseException:
            self._queue(buffer)  # a decoding error must not lose the buffer for good
            raise
        if not borrowed:  # an incomplete frame, copied while padding it
            self._queue(buffer)
        elif copy:
            assert frame.raw is not None
            frame.raw = frame.raw.copy()
            try:
                frame.data  # noqa: B018 (decoded now: a copied frame owes the stream nothing)
            finally:
                self._queue(buffer)
        else:
            self._lend(frame, buffer)
        return frame

    def try_fetch(self, *, copy: bool = False) -> Frame | None:
        """The next frame if one is ready now, else None (asks the producer once, never waits)."""
        return self.fetch(0.0, copy=copy, cancelled=lambda: True)

    def _lend(self, frame: Frame, buffer: gentl.Buffer) -> None:
        key = id(buffer)
        with self._lock:
            self._held.add(key)

        def give_back(buffer: gentl.Buffer = buffer, key: int = key) -> None:
            with self._lock:
                if key not in self._held:  # acquisition stopped meanwhile: buffer already revoked
                    return
                self._held.discard(key)
            self._queue(buffer)

        frame._give_back = give_back

    def _queue(self, buffer: gentl.Buffer) -> None:
        # clear_buffer=False: genicam's default zeroes the whole buffer on every requeue (a 12 MB
        # memset: 0.76 ms per full frame against 0.02 ms, measured); nothing reads bytes the producer has not
        # filled (an incomplete frame is copied up to size_filled and zero-padded in _frame_of).
        with acquisition_errors("returning a buffer to the producer"):
            buffer.parent.queue_buffer(buffer, False)

    def _frame_of(self, buffer: gentl.Buffer, host_ns: int) -> tuple[Frame, bool]:
        """The frame in ``buffer`` and whether its ``raw`` is a view on the buffer (else a copy)."""
        with acquisition_errors("reading buffer information"):
            complete = bool(buffer.is_complete())
            frame_id = int(buffer.frame_id)
            timestamp = _info(buffer, "timestamp_ns")
            width, height = int(buffer.width), int(buffer.height)
            code = int(buffer.pixel_format)
            filled = int(buffer.size_filled)
            raw: Any = buffer.raw_buffer
            offset_x, offset_y = _info(buffer, "offset_x"), _info(buffer, "offset_y")
            has_chunks = bool(buffer.is_containing_chunk_data())
            if has_chunks:
                with self._node_lock:
                    backend.update_chunks(self._ia, buffer)
        fmt = pixels.lookup(code)
        lost = 0
        if self._last_id is not None and frame_id > self._last_id + 1:
            lost = frame_id - self._last_id - 1
        self._last_id = frame_id
        needed = pixels.frame_bytes(code, width, height)
        view = np.frombuffer(raw, dtype=np.uint8)
        if complete:
            if view.size < needed:
                raise AcquisitionError(f"frame {frame_id}: {fmt.name} {width}x{height} needs {needed} bytes, the "
                                       f"buffer holds {view.size}")
            image = view[:needed]
        else:
            # What arrived of an incomplete frame, zero-filled; the flag tells the caller not to trust it.
            image = np.zeros(needed, dtype=np.uint8)
            image[:min(filled, needed)] = view[:min(filled, needed)]
        # No chunk data in the buffer (ChunkModeActive off): nothing to read, and no node-map reads per frame.
        chunks = self._read_chunks() if complete and has_chunks else {}
        frame = Frame(raw=image, frame_id=frame_id, timestamp_ns=timestamp, host_time_ns=host_ns,
                      pixel_format=fmt.name, width=width, height=height, offset_x=offset_x, offset_y=offset_y,
                      incomplete=not complete, lost_before=lost, chunks=chunks, bayer=fmt.bayer)
        return frame, complete


__all__ = ["Frame", "POLL_INTERVALS_S", "PollStats", "Stream", "StreamCounters"]
