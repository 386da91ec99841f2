"""Between acquisition and disk: a queue bounded in bytes, compression workers, one writer thread.

The acquisition side reserves a frame's bytes in the :class:`ByteBudget` *before* it takes the
next buffer from the producer. When the disk falls behind, the budget is used up, acquisition
stops taking buffers, the producer's buffers fill up and the camera drops frames — which show
up as gaps in the frame IDs, as with a real camera — instead of memory growing without bound.

Frames are compressed in a thread pool (blosc and zlib release the GIL) and written in order by a
single writer thread, which also flushes the file at least every ``flush_interval_s``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ace_gentl.recording.writer import FrameWriter

#: Longest single wait, so stop requests are seen promptly.
WAIT_SLICE_S = 0.1


class ByteBudget:
    """A counter of bytes in flight with an upper limit; :meth:`reserve` blocks while it is full.

    One item may always enter an empty budget, so a frame larger than the limit still moves.
    """

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError(f"the queue limit must be positive, not {limit}")
        self.limit = int(limit)
        self.used = 0
        self.peak = 0
        self._cond = threading.Condition()

    def reserve(self, nbytes: int, cancelled: Callable[[], bool]) -> bool:
        """Wait for room for ``nbytes``; False if ``cancelled()`` became true first."""
        with self._cond:
            while self.used and self.used + nbytes > self.limit:
                if cancelled():
                    return False
                self._cond.wait(WAIT_SLICE_S)
            self.used += nbytes
            self.peak = max(self.peak, self.used)
            return True

    def release(self, nbytes: int) -> None:
        with self._cond:
            self.used -= nbytes
            self._cond.notify_all()

    @property
    def fill(self) -> float:
        return self.used / self.limit


class FramePool:
    """Reusable frame arrays: fresh 12-25 MB allocations would be page-faulted in on every frame."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        self.shape = shape
        self.dtype = dtype
        self._free: deque[np.ndarray] = deque()
        self._lock = threading.Lock()

    def take(self) -> np.ndarray:
        with self._lock:
            if self._free:
                return self._free.pop()
        return np.empty(self.shape, self.dtype)

    def give(self, array: np.ndarray) -> None:
        with self._lock:
            self._free.append(array)

    def clear(self) -> None:
        with self._lock:
            self._free.clear()


@dataclass
class Stats:
    """Counters of one run. Each is written by one thread only (so no lock is needed)."""

    acquired: int = 0  # acquisition thread
    lost: int = 0
    incomplete: int = 0
    written: int = 0  # writer thread
    bytes_raw: int = 0
    bytes_stored: int = 0
    history: deque[tuple[float, int, int]] = field(default_factory=lambda: deque(maxlen=8))

    def counters(self) -> dict[str, int]:
        return {"frames_written": self.written, "frames_lost": self.lost, "frames_incomplete": self.incomplete,
                "frames_acquired": self.acquired, "bytes_raw": self.bytes_raw}


@dataclass
class _Item:
    array: np.ndarray
    values: Mapping[str, Any]
    nbytes: int
    encoded: Future[Any] | None


_STOP = object()


class Pipeline:
    """Compress (in workers) and write (in one thread) frames handed over by the acquisition side."""

    def __init__(self, writer: FrameWriter, *, budget: ByteBudget, pool: FramePool, stats: Stats,
                 workers: int = 2) -> None:
        self.writer = writer
        self.budget = budget
        self.pool = pool
        self.stats = stats
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        encode_in_workers = writer.needs_encoded and writer.compression.in_workers
        self._executor = ThreadPoolExecutor(max(1, workers), "ace-gentl-compress") if encode_in_workers else None
        # Encodes are started at most this many frames ahead of the disk: enough to keep every worker
        # busy while the writer writes, and few finished chunks (12-25 MB each) waiting in memory, so
        # their memory is reused. While the writer itself stalls, the workers wait too; the frames
        # meanwhile wait in the byte-bounded queue, as they would for busy workers.
        self._ahead = max(1, workers) + 1
        self._thread = threading.Thread(target=self._run, name="ace-gentl-writer", daemon=False)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def start(self) -> None:
        self._thread.start()

    def submit(self, array: np.ndarray, values: Mapping[str, Any], nbytes: int) -> None:
        """Hand over a frame whose ``nbytes`` were reserved in the budget; ``array`` comes from the pool."""
        self._queue.put(_Item(array, values, nbytes, None))

    def close(self) -> None:
        """Let the writer finish what was submitted, then stop it (blocks until it has)."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    def _payload(self, item: _Item) -> Any:
        if item.encoded is not None:
            return item.encoded.result()
        if self.writer.needs_encoded:
            return self.writer.compression.encode(item.array)
        return item.array

    def _next_items(self, window: deque[_Item]) -> bool:
        """Move queued frames into ``window`` (starting their encodes); False once the stop mark is seen."""
        while len(window) < self._ahead:
            try:
                if window:
                    item = self._queue.get_nowait()
                else:  # nothing else to do: wait, but not past the next flush
                    item = self._queue.get(timeout=self.writer.flush_interval_s / 2)
            except queue.Empty:
                return True
            if item is _STOP:
                return False
            assert isinstance(item, _Item)
            window.append(item)  # from here on, the loop in _run gives its array and bytes back
            if self._executor is not None and self.error is None:
                try:
                    item.encoded = self._executor.submit(self.writer.compression.encode, item.array)
                except RuntimeError:  # the pool was shut down (interpreter exit): encode in this thread
                    item.encoded = None
        return True

    def _run(self) -> None:
        writer, stats = self.writer, self.stats
        window: deque[_Item] = deque()
        running = True
        while running or window:
            item = None
            try:
                if running:
                    running = self._next_items(window)
                item = window.popleft() if window else None
                if item is not None and self.error is None:
                    stored = writer.write(self._payload(item), item.values)
                    stats.written += 1
                    stats.bytes_raw += item.array.nbytes
                    stats.bytes_stored += stored
                if self.error is None and writer.due():
                    writer.flush(stats.counters())
                    stats.history.append((time.monotonic(), stats.written, stats.bytes_raw))
            except BaseException as error:  # noqa: BLE001 (handed to the Recorder, which raises it)
                self.error = error
            finally:
                if item is not None:
                    if item.encoded is not None:
                        item.encoded.cancel()
                    self.pool.give(item.array)
                    self.budget.release(item.nbytes)


__all__ = ["ByteBudget", "FramePool", "Pipeline", "Stats"]
