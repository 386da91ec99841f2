"""Between acquisition and disk: a queue bounded in bytes, worker threads, one writer thread.

The acquisition thread only takes buffers: it reserves a frame's bytes in the :class:`ByteBudget`
*before* it takes the next buffer and hands the frame over, still holding its producer buffer.
Worker threads decode it (packed formats, into arrays made resident before the run), give the
buffer back, compress it and checksum the stored bytes; one writer thread writes the chunks in
order and flushes the file at least every ``flush_interval_s``.

Buffers. A frame holds its producer buffer until it is decoded or compressed (or written, when
neither is needed), so steady state costs no copy. The producer must keep free buffers, though:
when more than ``lendable`` frames hold one (the disk or the CPU fell behind), the acquisition
thread copies the next frames' bytes into the queue's own memory and gives their buffers back at
once. When the disk falls further behind, the budget is used up, acquisition stops taking
buffers, the producer's buffers fill up and the camera drops frames — which show up as gaps in
the frame IDs, as with a real camera — instead of memory growing without bound.
"""

from __future__ import annotations

import io
import logging
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from ace_gentl import backend, pixels
from ace_gentl._native import name_native_thread
from ace_gentl.errors import AceGentlError
from ace_gentl.frames import Frame
from ace_gentl.recording import chunkio
from ace_gentl.recording.writer import FrameWriter, chunk_checksum

log = logging.getLogger(__name__)

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

    def adjust(self, reserved: int, nbytes: int) -> None:
        """Turn a reservation of ``reserved`` bytes into one of ``nbytes`` without waiting."""
        with self._cond:
            self.used += nbytes - reserved
            self.peak = max(self.peak, self.used)
            self._cond.notify_all()

    @property
    def fill(self) -> float:
        return self.used / self.limit


class FramePool:
    """Reusable flat arrays of ``size`` elements, made resident when created.

    A fresh 12-25 MB array costs up to 120 ms of page faults on a VM that hands idle memory back
    to its host (measured); arrays made before the run and reused cost nothing in it.
    """

    def __init__(self, size: int, dtype: np.dtype[Any] | type[np.generic], *, resident: int = 0,
                 aligned: bool = False) -> None:
        self.size = int(size)
        self.dtype = np.dtype(dtype)
        self.aligned = aligned  # arrays start on a chunkio.ALIGNMENT boundary (O_DIRECT writes from them)
        self._free: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self.created = 0
        for _ in range(resident):
            self._free.append(self._new())

    def _new(self) -> np.ndarray:
        if self.aligned:
            array = chunkio.aligned_empty(self.size * self.dtype.itemsize).view(self.dtype)
        else:
            array = np.empty(self.size, self.dtype)
        backend.touch(array)
        self.created += 1
        return array

    def take(self) -> np.ndarray:
        with self._lock:
            if self._free:
                return self._free.pop()
        return self._new()

    def give(self, array: np.ndarray) -> None:
        with self._lock:
            self._free.append(array)

    @property
    def free(self) -> int:
        return len(self._free)

    def clear(self) -> None:
        with self._lock:
            self._free.clear()


@dataclass
class CameraStats:
    """Counters of one camera in a run. Each is written by one thread only (so no lock is needed)."""

    acquired: int = 0  # acquisition thread
    lost: int = 0
    incomplete: int = 0
    copied: int = 0  # frames copied because too many held a producer buffer
    held_peak: int = 0
    written: int = 0  # writer thread
    bytes_raw: int = 0
    bytes_stored: int = 0

    def counters(self) -> dict[str, int]:
        return {"frames_written": self.written, "frames_lost": self.lost, "frames_incomplete": self.incomplete,
                "frames_acquired": self.acquired, "bytes_raw": self.bytes_raw}


@dataclass
class Stats:
    """Counters of one run: per camera, and their sums."""

    cameras: list[CameraStats] = field(default_factory=lambda: [CameraStats()])
    history: deque[tuple[float, int, int]] = field(default_factory=lambda: deque(maxlen=8))

    def resize(self, count: int) -> None:
        while len(self.cameras) < count:
            self.cameras.append(CameraStats())

    def _sum(self, name: str) -> int:
        return sum(getattr(camera, name) for camera in self.cameras)

    @property
    def acquired(self) -> int:
        return self._sum("acquired")

    @property
    def lost(self) -> int:
        return self._sum("lost")

    @property
    def incomplete(self) -> int:
        return self._sum("incomplete")

    @property
    def written(self) -> int:
        return self._sum("written")

    @property
    def bytes_raw(self) -> int:
        return self._sum("bytes_raw")

    @property
    def bytes_stored(self) -> int:
        return self._sum("bytes_stored")

    @property
    def copied(self) -> int:
        return self._sum("copied")

    @property
    def held_peak(self) -> int:
        return max(camera.held_peak for camera in self.cameras)

    def counters(self) -> dict[str, int]:
        return {"frames_written": self.written, "frames_lost": self.lost, "frames_incomplete": self.incomplete,
                "frames_acquired": self.acquired, "bytes_raw": self.bytes_raw}

    def camera_counters(self) -> list[dict[str, int]]:
        return [camera.counters() for camera in self.cameras]


@dataclass(frozen=True)
class Speed:
    """How fast the pipeline turned the first frames into chunks on disk."""

    frames: int
    prepare_s: float  # median wall time per frame in a worker (decode + compress + checksum)
    write_s: float  # median wall time per frame in the writer
    workers: int

    @property
    def sustained_fps(self) -> float:
        """Frames per second the workers and the writer keep up with (the slower of the two)."""
        worker_rate = self.workers / self.prepare_s if self.prepare_s > 0 else float("inf")
        writer_rate = 1.0 / self.write_s if self.write_s > 0 else float("inf")
        return min(worker_rate, writer_rate)


class _Item:
    """One frame on its way to disk."""

    __slots__ = ("frame", "stream", "values", "nbytes", "raw_copy", "decoded", "array", "payload", "checksum",
                 "prepared", "prepare_s", "lock")

    def __init__(self, frame: Frame, stream: int, values: Mapping[str, Any], nbytes: int) -> None:
        self.frame = frame
        self.stream = stream
        self.values = values
        self.nbytes = nbytes
        self.raw_copy: np.ndarray | None = None  # queue memory holding the frame's bytes, once copied
        self.decoded: np.ndarray | None = None  # pool array holding the decoded frame (packed formats)
        self.array: np.ndarray | None = None  # the decoded frame (a view on ``decoded``)
        self.payload: bytes | np.ndarray | None = None  # the chunk bytes, when compressed in a worker
        self.checksum: int | None = None
        self.prepared: Future[None] | None = None
        self.prepare_s = 0.0
        self.lock = threading.Lock()  # held while something reads the frame's buffer


@dataclass
class _Rows:
    stream: int
    table: str
    rows: list[Mapping[str, Any]]


class _StreamState:
    """What the pipeline keeps per camera: its decoding, its pools, the frames holding its buffers."""

    def __init__(self, writer: FrameWriter, index: int, lendable: int, resident: int) -> None:
        geometry = writer.streams[index].spec.geometry
        fmt = pixels.lookup(geometry.pixel_format)
        height, width = geometry.shape[0], geometry.shape[1]
        self.geometry = geometry
        self.encoded = writer.needs_encoded_for(index)
        # Packed formats (and 4:2:2) are stored decoded: a worker decodes into one of these arrays.
        self.decodes = fmt.packing != "none"
        # Frames written around the page cache (chunkio) must be in aligned memory: a worker copies
        # those that are not (GenTL buffers never are) into this pool too, so the one writer thread
        # only writes (the copy cost it 1.5-2 ms per full frame, measured: it then fell behind at 4 cameras).
        self.stages = writer.needs_aligned_for(index)
        self.lendable = max(1, lendable)
        self.decoded_pool = FramePool(pixels.decode_capacity(fmt.name, width, height), fmt.dtype,
                                      resident=resident if self.decodes or self.stages else 0, aligned=self.stages)
        self.raw_pool = FramePool(pixels.frame_bytes(fmt.name, width, height), np.uint8)
        self.holding: set[_Item] = set()  # items whose frame holds a producer buffer


_STOP = object()


class Pipeline:
    """Decode and compress (in workers) and write (in one thread) frames handed over by acquisition.

    ``lendable``: per camera (or one number for all), how many of its frames may hold a producer
    buffer at once before further ones are copied out.
    """

    def __init__(self, writer: FrameWriter, *, budget: ByteBudget, stats: Stats, workers: int = 2,
                 lendable: int | list[int] = 1 << 30, on_speed: Callable[[Speed], None] | None = None,
                 speed_frames: int = 4) -> None:
        self.writer = writer
        self.budget = budget
        self.stats = stats
        self.error: BaseException | None = None
        self.workers = max(1, workers)
        self._ahead = self.workers + 1
        count = len(writer.streams)
        stats.resize(count)
        lendables = lendable if isinstance(lendable, list) else [lendable] * count
        self.streams = [_StreamState(writer, index, lendables[index], self._ahead + 2) for index in range(count)]
        self._queue: queue.SimpleQueue[_Item | _Rows | object] = queue.SimpleQueue()
        self._holding_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(self.workers, "ace-gentl-compress",
                                            initializer=name_native_thread)
        self._on_speed = on_speed
        self._speed_frames = speed_frames
        self._prepare_times: list[float] = []
        self._write_times: list[float] = []
        self.speed: Speed | None = None
        self._thread = threading.Thread(target=self._run, name="ace-gentl-writer", daemon=False)

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def holding(self) -> int:
        """Frames in the pipeline that still hold a producer buffer."""
        return sum(len(state.holding) for state in self.streams)

    @property
    def decoded_pool(self) -> FramePool:
        return self.streams[0].decoded_pool

    @property
    def raw_pool(self) -> FramePool:
        return self.streams[0].raw_pool

    def start(self) -> None:
        self.warm_up()
        self._thread.start()

    def warm_up(self) -> None:
        """Run every step once on a small frame of each camera's format before the run.

        This VM pages out memory not touched for a minute (DAMON "pageout", also the libraries'
        code); a recording started after the camera sat idle would page in the decoder, the
        compressor, the checksum and HDF5's chunk writing while its first frames arrive.
        """
        compression = self.writer.compression
        for state in {(s.geometry.pixel_format, s.encoded): s for s in self.streams}.values():
            fmt = pixels.lookup(state.geometry.pixel_format)
            width = 64
            raw = np.zeros(pixels.frame_bytes(fmt.name, width, 4), np.uint8)
            array = pixels.decode(raw, fmt.name, width, 4,
                                  out=np.empty(pixels.decode_capacity(fmt.name, width, 4), fmt.dtype))
            payload = compression.encode(np.ascontiguousarray(array)) if compression.in_workers else array
            chunk_checksum(payload)
            with h5py.File(io.BytesIO(), "w") as scratch:  # HDF5's chunk path, with the run's filter
                dataset = scratch.create_dataset("warm", shape=(1, *array.shape), dtype=array.dtype,
                                                 chunks=(1, *array.shape), **compression.dataset_options())
                if state.encoded and compression.in_workers:
                    dataset.id.write_direct_chunk((0,) * dataset.ndim, payload)
                else:
                    dataset[0] = array

    # --- acquisition side -------------------------------------------------------------------------

    def submit(self, frame: Frame, values: Mapping[str, Any], nbytes: int, stream: int = 0) -> None:
        """Hand over a frame whose ``nbytes`` were reserved in the budget; the pipeline releases it."""
        item = _Item(frame, stream, values, nbytes)
        state, camera = self.streams[stream], self.stats.cameras[stream]
        if frame.holds_buffer:
            if len(state.holding) >= state.lendable:
                self._copy_out(item)
                camera.copied += 1
            else:
                with self._holding_lock:
                    state.holding.add(item)
                    camera.held_peak = max(camera.held_peak, len(state.holding))
        self._queue.put(item)

    def submit_rows(self, stream: int, table: str, rows: list[Mapping[str, Any]]) -> None:
        """Rows for a table of camera ``stream`` (events, clock, reconnects), written at the next flush."""
        if rows:
            self._queue.put(_Rows(stream, table, list(rows)))

    def _copy_out(self, item: _Item) -> None:
        """Copy the frame's bytes into queue memory and give its buffer back (caller holds no lock)."""
        frame = item.frame
        if not frame.holds_buffer or frame.raw is None:
            return
        copy = self.streams[item.stream].raw_pool.take()
        frame.detach(copy)
        item.raw_copy = copy

    def release_buffers(self) -> int:
        """Copy out every frame still holding a producer buffer (before the stream is stopped).

        Returns how many were copied. Waits for a frame a worker or the writer is reading.
        """
        with self._holding_lock:
            items = [item for state in self.streams for item in state.holding]
        copied = 0
        for item in items:
            with item.lock:
                if item.frame.holds_buffer:
                    self._copy_out(item)
                    copied += 1
            self._not_holding(item)
        return copied

    def _not_holding(self, item: _Item) -> None:
        with self._holding_lock:
            self.streams[item.stream].holding.discard(item)

    # --- workers ----------------------------------------------------------------------------------

    def _give_back_source(self, item: _Item) -> None:
        """The frame's bytes are no longer needed: buffer (or queue copy) back."""
        try:
            item.frame.release()
        except AceGentlError as error:  # the camera is gone: the acquisition side sees it on its own
            log.debug("giving a buffer back failed: %s", error)
        self._not_holding(item)
        if item.raw_copy is not None:
            self.streams[item.stream].raw_pool.give(item.raw_copy)
            item.raw_copy = None

    def _prepare(self, item: _Item) -> None:
        """Worker: decode, compress, checksum; give the frame's buffer back as early as possible."""
        t0 = time.perf_counter()
        compression = self.writer.compression
        state = self.streams[item.stream]
        with item.lock:
            frame = item.frame
            if state.decodes or (state.stages and not chunkio.is_aligned(frame.data)):
                item.decoded = state.decoded_pool.take()
                item.array = frame.decode_into(item.decoded)
                self._give_back_source(item)
                array = item.array
            else:
                array = frame.data
            if state.encoded and compression.in_workers:
                item.payload = compression.encode(array)
                item.array = None
                if item.decoded is not None:
                    state.decoded_pool.give(item.decoded)
                    item.decoded = None
                else:
                    self._give_back_source(item)
            if state.encoded:
                item.checksum = chunk_checksum(item.payload if item.payload is not None else array)
        item.prepare_s = time.perf_counter() - t0

    # --- writer thread ----------------------------------------------------------------------------

    def close(self) -> None:
        """Let the writer finish what was submitted, then stop it (blocks until it has)."""
        self._queue.put(_STOP)
        self._thread.join()
        self._executor.shutdown(wait=True)

    def clear_pools(self) -> None:
        for state in self.streams:
            state.decoded_pool.clear()
            state.raw_pool.clear()

    def _next_items(self, window: deque[_Item]) -> bool:
        """Move queued frames into ``window`` (starting their preparation); False once the stop mark is seen.

        Table rows met on the way go to the writer at once (they are written at its next flush).
        """
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
            if isinstance(item, _Rows):
                self.writer.append(item.stream, item.table, item.rows)
                continue
            assert isinstance(item, _Item)
            window.append(item)  # from here on, the loop in _run gives its memory and bytes back
            if self.error is None:
                try:
                    item.prepared = self._executor.submit(self._prepare, item)
                except RuntimeError:  # the pool was shut down (interpreter exit): prepare in this thread
                    item.prepared = None
        return True

    def _write(self, item: _Item) -> None:
        if item.prepared is not None:
            item.prepared.result()
        else:
            self._prepare(item)
        t0 = time.perf_counter()
        with item.lock:  # unencoded, the frame is written from its buffer (or from its copy, once copied out)
            payload: bytes | np.ndarray
            if item.payload is not None:
                payload = item.payload
            else:
                payload = item.array if item.array is not None else item.frame.data
            stored = self.writer.write(payload, item.values, checksum=item.checksum, stream=item.stream)
        self._measure(item.prepare_s, time.perf_counter() - t0)
        camera = self.stats.cameras[item.stream]
        camera.written += 1
        camera.bytes_raw += self.streams[item.stream].geometry.nbytes
        camera.bytes_stored += stored

    def _measure(self, prepare_s: float, write_s: float) -> None:
        """Time the frames after the first one per worker (those pay for warming up)."""
        if self.speed is not None or self.stats.written < self.workers:
            return
        self._prepare_times.append(prepare_s)
        self._write_times.append(write_s)
        if len(self._prepare_times) >= self._speed_frames:
            self.speed = Speed(frames=len(self._prepare_times), prepare_s=statistics.median(self._prepare_times),
                               write_s=statistics.median(self._write_times), workers=self.workers)
            if self._on_speed is not None:
                self._on_speed(self.speed)

    def _done_with(self, item: _Item) -> None:
        if item.prepared is not None and not item.prepared.done():
            item.prepared.cancel()
            try:
                item.prepared.result()  # a running preparation must end before its memory goes back
            except BaseException:  # noqa: BLE001 (its error, if any, is already the pipeline's)
                pass
        with item.lock:
            self._give_back_source(item)
        if item.decoded is not None:
            self.streams[item.stream].decoded_pool.give(item.decoded)
            item.decoded = None
        item.payload = item.array = None
        self.budget.release(item.nbytes)

    def _run(self) -> None:
        name_native_thread()
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
                    self._write(item)
                if self.error is None and writer.due():
                    writer.flush(stats.counters(), stats.camera_counters())
                    stats.history.append((time.monotonic(), stats.written, stats.bytes_raw))
            except BaseException as error:  # noqa: BLE001 (handed to the Recorder, which raises it)
                self.error = error
            finally:
                if item is not None:
                    self._done_with(item)


__all__ = ["ByteBudget", "CameraStats", "FramePool", "Pipeline", "Speed", "Stats"]
