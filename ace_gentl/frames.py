"""Frames and the buffer loop under them.

Harvesters' ``ImageAcquirer.fetch`` silently re-queues incomplete buffers and restarts its
timeout after each one (so a stream of incomplete buffers never times out), and with
``timeout=0`` it waits forever. :class:`Stream` therefore waits on the new-buffer event of
the ImageAcquirer's data stream itself, in slices of at most 100 ms against one absolute
deadline: a timeout is raised on time, Ctrl-C gets through between slices, and incomplete
frames reach the caller flagged instead of vanishing. This is the only module that touches
Harvesters' private attributes (``_new_buffer_event_monitor_dict``, ``_update_chunk_data``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from genicam import gentl
from harvesters.core import ImageAcquirer

from ace_gentl import pixels
from ace_gentl.errormap import acquisition_errors
from ace_gentl.errors import AcquisitionError, AcquisitionTimeout, DeviceLostError
from ace_gentl.features import FeatureValue

#: Sleeps between asking the producer for a frame: from the first, doubling up to the last.
#: genicam's ``update_event_data`` holds the GIL while it waits inside the producer (measured:
#: another Python thread got 6 % of its speed during a 1 s wait), which would freeze the recorder's
#: writer and compression threads for up to a frame period each frame; so the producer is asked
#: without waiting, and the waiting happens in ``time.sleep``, which releases the GIL. Frames
#: queue in the producer meanwhile: this adds at most the last interval of latency. Costs about
#: 2 % of a core at 23 fps (a poll is ~70 us; 1 ms polls throughout cost 7 %).
POLL_INTERVALS_S = (0.0005, 0.004)


@dataclass(eq=False)
class Frame:
    """One image with its metadata.

    With ``copy=False`` the frame still holds the producer's buffer: call :meth:`release`
    (or use ``with frame:``) to give it back. ``data`` must not be used after that.
    """

    data: np.ndarray
    frame_id: int
    timestamp_ns: int  # device clock at exposure start (as the producer reports it)
    host_time_ns: int  # time.time_ns() when the buffer was handed to us
    pixel_format: str
    width: int
    height: int
    offset_x: int = 0
    offset_y: int = 0
    incomplete: bool = False
    lost_before: int = 0  # frame IDs skipped since the previous frame of this stream
    chunks: dict[str, FeatureValue] = field(default_factory=dict)
    bayer: str | None = None
    _give_back: Callable[[], None] | None = field(default=None, repr=False)

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


def _info(buffer: gentl.Buffer, name: str, default: int = 0) -> int:
    # Optional buffer info (offsets, padding) is legitimately missing on some producers.
    try:
        return int(getattr(buffer, name))
    except (gentl.NotImplementedException, gentl.NotAvailableException, gentl.InvalidParameterException):
        return default


class Stream:
    """Start/stop and buffer delivery for the first data stream of an ImageAcquirer."""

    def __init__(self, ia: ImageAcquirer, read_chunks: Callable[[], dict[str, FeatureValue]]) -> None:
        self._ia = ia
        self._read_chunks = read_chunks
        self._last_id: int | None = None
        self._held: set[int] = set()  # ids of buffers lent out to zero-copy frames
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return bool(self._ia.is_acquiring())

    @property
    def outstanding(self) -> int:
        """Zero-copy frames not released yet."""
        return len(self._held)

    def start(self, num_buffers: int | None = None) -> None:
        if self.running:
            return
        if num_buffers is not None:
            self._ia.num_buffers = max(num_buffers, self._ia.min_num_buffers)
        self._last_id = None
        with acquisition_errors("starting acquisition"):
            self._ia.start()

    def stop(self) -> None:
        if not self.running:
            return
        with self._lock:  # lent buffers are revoked by stop(); their frames must not queue them again
            self._held.clear()
        with acquisition_errors("stopping acquisition"):
            self._ia.stop()  # flushes and revokes every buffer, lent or not

    def _monitor(self) -> gentl.EventManagerNewBuffer:
        monitors = list(self._ia._new_buffer_event_monitor_dict.values())
        if not monitors:
            raise AcquisitionError("the device has no open data stream")
        return monitors[0]

    def _wait(self, timeout_s: float) -> gentl.Buffer:
        monitor = self._monitor()
        deadline = time.monotonic() + timeout_s
        interval, longest = POLL_INTERVALS_S
        while True:
            try:
                with acquisition_errors("waiting for a frame"):
                    monitor.update_event_data(0)
            except AcquisitionTimeout:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if self._device_lost():
                        raise DeviceLostError(f"no frame within {timeout_s:g} s: the camera was disconnected "
                                              f"(device lost)") from None
                    raise AcquisitionTimeout(f"no frame within {timeout_s:g} s") from None
                time.sleep(min(interval, remaining))
                interval = min(2 * interval, longest)
                continue
            return monitor.buffer

    def _device_lost(self) -> bool:
        """True when the GenTL Device module reports the camera as gone (DeviceAccessStatus NoAccess)."""
        node_map = self._ia.device.node_map
        if not node_map.has_node("DeviceAccessStatus"):
            return False
        with acquisition_errors("reading the camera's access status"):
            return str(node_map.get_node("DeviceAccessStatus").value) == "NoAccess"

    def fetch(self, timeout_s: float, *, copy: bool = True) -> Frame:
        """The next frame; AcquisitionTimeout after ``timeout_s``; never blocks longer."""
        if not self.running:
            raise AcquisitionError("acquisition is not running")
        buffer = self._wait(timeout_s)
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
            frame = self._frame_of(buffer, host, copy)
        except BaseException:
            self._queue(buffer)  # a decoding error must not lose the buffer for good
            raise
        if copy:
            self._queue(buffer)
        else:
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
        return frame

    def _queue(self, buffer: gentl.Buffer) -> None:
        with acquisition_errors("returning a buffer to the producer"):
            buffer.parent.queue_buffer(buffer)

    def _frame_of(self, buffer: gentl.Buffer, host_ns: int, copy: bool) -> Frame:
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
                self._ia._update_chunk_data(buffer=buffer, is_manual=True)
        fmt = pixels.lookup(code)
        lost = 0
        if self._last_id is not None and frame_id > self._last_id + 1:
            lost = frame_id - self._last_id - 1
        self._last_id = frame_id
        view = np.frombuffer(raw, dtype=np.uint8)
        if complete:
            data = pixels.decode(view, code, width, height, copy=copy)
        else:
            # What arrived of an incomplete frame, zero-filled; the flag tells the caller not to trust it.
            needed = pixels.frame_bytes(code, width, height)
            padded = np.zeros(needed, dtype=np.uint8)
            padded[:min(filled, needed)] = view[:min(filled, needed)]
            data = pixels.decode(padded, code, width, height)
        # No chunk data in the buffer (ChunkModeActive off): nothing to read, and no node-map reads per frame.
        chunks = self._read_chunks() if complete and has_chunks else {}
        return Frame(data=data, frame_id=frame_id, timestamp_ns=timestamp, host_time_ns=host_ns,
                     pixel_format=fmt.name, width=width, height=height, offset_x=offset_x, offset_y=offset_y,
                     incomplete=not complete, lost_before=lost, chunks=chunks, bayer=fmt.bayer)


__all__ = ["Frame", "POLL_INTERVALS_S", "Stream"]
