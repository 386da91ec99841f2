"""The pipeline between acquisition and disk: order, bounded encodes, buffers lent and given back, copies."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from ace_gentl import pixels
from ace_gentl.frames import Frame
from ace_gentl.recording import chunkio
from ace_gentl.recording.layout import Geometry
from ace_gentl.recording.pipeline import ByteBudget, FramePool, Pipeline, Stats
from ace_gentl.recording.writer import chunk_checksum
from test_pixels import pack_lsb

SHAPE = (16, 64)


@dataclass
class CountingCompression:
    """Stands in for a Compression: counts chunks made, and made-but-not-yet-written at the worst moment."""

    name: str = "counting"
    in_workers: bool = True
    made: int = 0
    written: int = 0
    most_waiting: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def dataset_options(self) -> dict[str, Any]:
        return {}

    def encode(self, frame: np.ndarray) -> bytes:
        if frame.size <= 64 * 4:  # the pipeline's warm-up frame: not one of the test's
            return frame.tobytes()
        with self.lock:
            self.made += 1
            self.most_waiting = max(self.most_waiting, self.made - self.written)
        return frame.tobytes()


@dataclass
class FakeSpec:
    geometry: Geometry


@dataclass
class FakeStream:
    spec: FakeSpec


class SlowWriter:
    """The writer side of the pipeline's contract, with a disk that takes ``delay_s`` per frame."""

    flush_interval_s = 0.5

    def __init__(self, compression: CountingCompression, delay_s: float = 0.0, *, encoded: bool = True,
                 geometry: Geometry | None = None) -> None:
        self.compression = compression
        self.delay_s = delay_s
        self.needs_encoded = encoded
        self.needs_aligned = False
        self.geometry = geometry or Geometry(SHAPE, np.dtype(np.uint16), "Mono16", 16)
        self.streams = [FakeStream(FakeSpec(self.geometry))]
        self.frames: list[tuple[int, bytes, int | None]] = []
        self.rows: list[tuple[int, str, list[Mapping[str, Any]]]] = []
        self.flushes = 0

    def needs_encoded_for(self, index: int) -> bool:
        return self.needs_encoded

    def needs_aligned_for(self, index: int) -> bool:
        return self.needs_aligned

    def append(self, stream: int, table: str, rows: list[Mapping[str, Any]]) -> None:
        self.rows.append((stream, table, rows))

    def write(self, payload: Any, values: Mapping[str, Any], *, checksum: int | None = None,
              stream: int = 0) -> int:
        time.sleep(self.delay_s)
        data = payload if isinstance(payload, bytes) else np.ascontiguousarray(payload).tobytes()
        self.frames.append((int(values["frame_id"]), data, checksum))
        with self.compression.lock:
            self.compression.written += 1
        return len(data)

    def due(self) -> bool:
        return False

    def flush(self, counters: Mapping[str, int], camera_counters: Any = None) -> None:
        self.flushes += 1


class Buffers:
    """A producer's buffers: frames lent from them are given back through ``release``."""

    def __init__(self) -> None:
        self.lent: set[int] = set()
        self.given_back: list[int] = []
        self.lock = threading.Lock()

    def frame(self, index: int, raw: np.ndarray, pixel_format: str = "Mono16", shape: tuple[int, int] = SHAPE) -> Frame:
        with self.lock:
            self.lent.add(index)

        def give_back() -> None:
            with self.lock:
                self.lent.discard(index)
                self.given_back.append(index)

        return Frame(raw=raw, frame_id=index, timestamp_ns=index, host_time_ns=0, pixel_format=pixel_format,
                     width=shape[1], height=shape[0], give_back=give_back)


def mono16(index: int) -> np.ndarray:
    return np.full(SHAPE, index, np.uint16).reshape(-1).view(np.uint8)


def run(pipeline: Pipeline, frames: list[Frame]) -> None:
    pipeline.start()
    for frame in frames:
        nbytes = pipeline.writer.geometry.nbytes
        assert pipeline.budget.reserve(nbytes, lambda: False)
        pipeline.submit(frame, {"frame_id": frame.frame_id}, nbytes)
    pipeline.close()


def test_encodes_run_at_most_workers_plus_one_frames_ahead_of_a_slow_disk() -> None:
    compression = CountingCompression()
    writer = SlowWriter(compression, delay_s=0.01)
    buffers = Buffers()
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2)  # type: ignore[arg-type]
    run(pipeline, [buffers.frame(index, mono16(index)) for index in range(40)])
    assert pipeline.error is None
    assert [frame_id for frame_id, _, _ in writer.frames] == list(range(40))
    assert [payload for _, payload, _ in writer.frames] == [mono16(index).tobytes() for index in range(40)]
    assert all(checksum is not None for _, _, checksum in writer.frames)
    # 40 frames were queued at once; finished chunks waiting for the disk never exceeded the window.
    assert compression.made == 40 and 1 <= compression.most_waiting <= 3
    assert pipeline.budget.used == 0 and not buffers.lent


def test_frames_arriving_slowly_are_written_without_waiting_for_more() -> None:
    compression = CountingCompression()
    writer = SlowWriter(compression)
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 20), stats=Stats(), workers=2)  # type: ignore[arg-type]
    pipeline.start()
    try:
        nbytes = writer.geometry.nbytes
        pipeline.budget.reserve(nbytes, lambda: False)
        pipeline.submit(Buffers().frame(7, mono16(7)), {"frame_id": 7}, nbytes)
        deadline = time.monotonic() + 2.0
        while not writer.frames and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [frame_id for frame_id, _, _ in writer.frames] == [7]  # alone in the window, still written
    finally:
        pipeline.close()


def test_a_compressed_frame_gives_its_buffer_back_before_it_is_written() -> None:
    compression = CountingCompression()
    release_seen_at_write: list[bool] = []
    buffers = Buffers()

    class Checking(SlowWriter):
        def write(self, payload: Any, values: Mapping[str, Any], *, checksum: int | None = None,
                  stream: int = 0) -> int:
            with buffers.lock:
                release_seen_at_write.append(int(values["frame_id"]) not in buffers.lent)
            return super().write(payload, values, checksum=checksum, stream=stream)

    pipeline = Pipeline(Checking(compression), budget=ByteBudget(1 << 30), stats=Stats(),  # type: ignore[arg-type]
                        workers=2)
    run(pipeline, [buffers.frame(index, mono16(index)) for index in range(10)])
    assert release_seen_at_write == [True] * 10


def test_an_uncompressed_frame_is_written_from_its_buffer_then_given_back() -> None:
    compression = CountingCompression(in_workers=False)
    buffers = Buffers()
    held_at_write: list[bool] = []

    class Checking(SlowWriter):
        def write(self, payload: Any, values: Mapping[str, Any], *, checksum: int | None = None,
                  stream: int = 0) -> int:
            with buffers.lock:
                held_at_write.append(int(values["frame_id"]) in buffers.lent)
            return super().write(payload, values, checksum=checksum, stream=stream)

    writer = Checking(compression)
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2)  # type: ignore[arg-type]
    run(pipeline, [buffers.frame(index, mono16(index)) for index in range(10)])
    assert held_at_write == [True] * 10 and not buffers.lent  # zero copy: written from the buffer itself
    assert pipeline.stats.copied == 0
    assert [payload for _, payload, _ in writer.frames] == [mono16(index).tobytes() for index in range(10)]


def test_a_frame_for_o_direct_is_copied_to_aligned_memory_by_a_worker_and_its_buffer_given_back() -> None:
    compression = CountingCompression(in_workers=False)
    buffers = Buffers()
    seen: list[tuple[bool, bool]] = []  # (buffer still lent, payload aligned) at each write

    class Checking(SlowWriter):
        def write(self, payload: Any, values: Mapping[str, Any], *, checksum: int | None = None,
                  stream: int = 0) -> int:
            with buffers.lock:
                seen.append((int(values["frame_id"]) in buffers.lent, chunkio.is_aligned(payload)))
            return super().write(payload, values, checksum=checksum, stream=stream)

    writer = Checking(compression)
    writer.needs_aligned = True
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2)  # type: ignore[arg-type]
    unaligned = [np.concatenate([np.zeros(1, np.uint8), mono16(index)])[1:] for index in range(10)]
    assert not any(chunkio.is_aligned(raw) for raw in unaligned)
    run(pipeline, [buffers.frame(index, raw) for index, raw in enumerate(unaligned)])
    assert seen == [(False, True)] * 10 and not buffers.lent  # copied, aligned, buffer back before the write
    assert [payload for _, payload, _ in writer.frames] == [mono16(index).tobytes() for index in range(10)]
    assert [checksum for _, _, checksum in writer.frames] == [chunk_checksum(mono16(index)) for index in range(10)]
    assert pipeline.streams[0].decoded_pool.created <= pipeline.workers + 3  # a few arrays, reused


def test_beyond_lendable_frames_are_copied_and_their_buffers_given_back_at_once() -> None:
    compression = CountingCompression(in_workers=False)
    writer = SlowWriter(compression, delay_s=0.02)  # the disk lags: frames pile up in the queue
    buffers = Buffers()
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=1, lendable=3)  # type: ignore[arg-type]
    pipeline.start()
    raws = [mono16(index) for index in range(12)]
    for index, raw in enumerate(raws):
        nbytes = writer.geometry.nbytes
        pipeline.budget.reserve(nbytes, lambda: False)
        pipeline.submit(buffers.frame(index, raw), {"frame_id": index}, nbytes)
        assert len(buffers.lent) <= 3  # never more than lendable frames keep the producer's buffers
    pipeline.close()
    assert pipeline.stats.copied >= 12 - 3 - 2 and pipeline.stats.held_peak <= 3
    assert [payload for _, payload, _ in writer.frames] == [raw.tobytes() for raw in raws]


def test_release_buffers_copies_out_every_held_frame_before_the_stream_stops() -> None:
    compression = CountingCompression(in_workers=False)
    gate = threading.Event()

    class Stuck(SlowWriter):
        def write(self, payload: Any, values: Mapping[str, Any], *, checksum: int | None = None,
                  stream: int = 0) -> int:
            gate.wait(5)
            return super().write(payload, values, checksum=checksum, stream=stream)

    writer = Stuck(compression)
    buffers = Buffers()
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2)  # type: ignore[arg-type]
    pipeline.start()
    raws = [mono16(index) for index in range(6)]
    for index, raw in enumerate(raws):
        pipeline.budget.reserve(writer.geometry.nbytes, lambda: False)
        pipeline.submit(buffers.frame(index, raw), {"frame_id": index}, writer.geometry.nbytes)
    time.sleep(0.1)  # the first frame is being written (stuck), the others wait, all holding buffers
    releaser = threading.Thread(target=pipeline.release_buffers)
    releaser.start()
    time.sleep(0.1)
    gate.set()  # the frame being written is copied out only once its write ends
    releaser.join(5)
    assert not releaser.is_alive() and not buffers.lent
    for raw in raws:
        raw[:] = 0xEE  # the producer reuses its buffers: what is written must not change
    pipeline.close()
    assert [payload for _, payload, _ in writer.frames] == [mono16(index).tobytes() for index in range(6)]


def test_packed_frames_are_decoded_into_resident_arrays_and_their_buffers_given_back() -> None:
    shape = (8, 50)
    values = np.random.default_rng(5).integers(0, 4096, size=shape, dtype=np.uint16)
    packed = np.frombuffer(pack_lsb(values.ravel().tolist(), 12), np.uint8).copy()
    compression = CountingCompression()
    writer = SlowWriter(compression, geometry=Geometry(shape, np.dtype(np.uint16), "Mono12p", 12))
    buffers = Buffers()
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2)  # type: ignore[arg-type]
    created = pipeline.decoded_pool.created
    assert created >= 3 and pipeline.decoded_pool.size == pixels.decode_capacity("Mono12p", 50, 8)
    run(pipeline, [buffers.frame(index, packed.copy(), "Mono12p", shape) for index in range(8)])
    assert [payload for _, payload, _ in writer.frames] == [values.tobytes()] * 8
    assert pipeline.decoded_pool.created == created  # every frame reused an array made before the run
    assert not buffers.lent


class FailingCompression(CountingCompression):
    def encode(self, frame: np.ndarray) -> bytes:
        if frame.size > 64 * 4 and int(frame.flat[0]) == 3:
            raise ValueError("encoder broke on frame 3")
        return super().encode(frame)


def test_a_failing_encode_stops_writing_and_gives_every_frame_back() -> None:
    compression = FailingCompression()
    writer = SlowWriter(compression)
    buffers = Buffers()
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2)  # type: ignore[arg-type]
    run(pipeline, [buffers.frame(index, mono16(index)) for index in range(10)])
    assert isinstance(pipeline.error, ValueError) and "frame 3" in str(pipeline.error)
    assert [frame_id for frame_id, _, _ in writer.frames] == [0, 1, 2]  # in order, none after the failure
    assert pipeline.budget.used == 0 and not buffers.lent  # every frame's bytes and buffer came back


def test_frames_are_still_written_when_the_worker_pool_is_gone() -> None:
    # At interpreter exit concurrent.futures shuts its pools down; the writer must not die with it.
    compression = CountingCompression()
    writer = SlowWriter(compression)
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2)  # type: ignore[arg-type]
    pipeline._executor.shutdown(wait=True)
    run(pipeline, [Buffers().frame(index, mono16(index)) for index in range(6)])
    assert pipeline.error is None
    assert [frame_id for frame_id, _, _ in writer.frames] == list(range(6)) and pipeline.budget.used == 0


def test_speed_of_the_first_frames_is_reported_once() -> None:
    compression = CountingCompression()
    speeds = []
    writer = SlowWriter(compression, delay_s=0.02)
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 30), stats=Stats(), workers=2,  # type: ignore[arg-type]
                        on_speed=speeds.append, speed_frames=4)
    run(pipeline, [Buffers().frame(index, mono16(index)) for index in range(12)])
    assert len(speeds) == 1 and speeds[0].frames == 4
    assert speeds[0].write_s >= 0.02 and speeds[0].sustained_fps == pytest.approx(1 / speeds[0].write_s)


def test_frame_pool_arrays_are_resident_and_reused() -> None:
    pool = FramePool(1 << 20, np.uint8, resident=2)
    first = pool.take()
    assert first.size == 1 << 20 and pool.created == 2
    pool.give(first)
    assert pool.take() is first
