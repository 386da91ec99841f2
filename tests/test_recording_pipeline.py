"""The pipeline between acquisition and disk: encodes bounded ahead of the writer, order kept, budget released."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ace_gentl.recording.pipeline import ByteBudget, FramePool, Pipeline, Stats


@dataclass
class CountingCompression:
    """Stands in for a Compression: counts chunks made, and made-but-not-yet-written at the worst moment."""

    in_workers: bool = True
    made: int = 0
    written: int = 0
    most_waiting: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def encode(self, frame: np.ndarray) -> bytes:
        with self.lock:
            self.made += 1
            self.most_waiting = max(self.most_waiting, self.made - self.written)
        return frame.tobytes()


class SlowWriter:
    """The writer side of the pipeline's contract, with a disk that takes ``delay_s`` per frame."""

    needs_encoded = True
    flush_interval_s = 0.5

    def __init__(self, compression: CountingCompression, delay_s: float) -> None:
        self.compression = compression
        self.delay_s = delay_s
        self.frames: list[tuple[int, bytes]] = []
        self.flushes = 0

    def write(self, payload: bytes, values: Mapping[str, Any]) -> int:
        time.sleep(self.delay_s)
        self.frames.append((int(values["frame_id"]), payload))
        with self.compression.lock:
            self.compression.written += 1
        return len(payload)

    def due(self) -> bool:
        return False

    def flush(self, counters: Mapping[str, int]) -> None:
        self.flushes += 1


def test_encodes_run_at_most_workers_plus_one_frames_ahead_of_a_slow_disk() -> None:
    compression = CountingCompression()
    writer = SlowWriter(compression, delay_s=0.01)
    budget = ByteBudget(1 << 30)  # room for everything: only the pipeline's own window limits the encodes
    pool = FramePool((4, 4), np.dtype(np.uint16))
    pipeline = Pipeline(writer, budget=budget, pool=pool, stats=Stats(), workers=2)  # type: ignore[arg-type]
    pipeline.start()
    frames = [np.full((4, 4), index, np.uint16) for index in range(40)]
    for index, frame in enumerate(frames):
        assert budget.reserve(frame.nbytes, lambda: False)
        pipeline.submit(frame, {"frame_id": index}, frame.nbytes)
    pipeline.close()
    assert pipeline.error is None
    assert [frame_id for frame_id, _ in writer.frames] == list(range(40))
    assert [payload for _, payload in writer.frames] == [frame.tobytes() for frame in frames]
    # 40 frames were queued at once; finished chunks waiting for the disk never exceeded the window.
    assert compression.made == 40
    assert 1 <= compression.most_waiting <= 3
    assert budget.used == 0


def test_frames_arriving_slowly_are_written_without_waiting_for_more() -> None:
    compression = CountingCompression()
    writer = SlowWriter(compression, delay_s=0.0)
    pool = FramePool((2, 2), np.dtype(np.uint8))
    pipeline = Pipeline(writer, budget=ByteBudget(1 << 20), pool=pool, stats=Stats(), workers=2)  # type: ignore[arg-type]
    pipeline.start()
    try:
        frame = np.zeros((2, 2), np.uint8)
        pipeline.budget.reserve(frame.nbytes, lambda: False)
        pipeline.submit(frame, {"frame_id": 7}, frame.nbytes)
        deadline = time.monotonic() + 2.0
        while not writer.frames and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [frame_id for frame_id, _ in writer.frames] == [7]  # alone in the window, still written
    finally:
        pipeline.close()


class FailingCompression(CountingCompression):
    def encode(self, frame: np.ndarray) -> bytes:
        if int(frame.flat[0]) == 3:
            raise ValueError("encoder broke on frame 3")
        return super().encode(frame)


def run_frames(pipeline: Pipeline, budget: ByteBudget, count: int) -> None:
    pipeline.start()
    for index in range(count):
        frame = np.full((4, 4), index, np.uint16)
        assert budget.reserve(frame.nbytes, lambda: False)
        pipeline.submit(frame, {"frame_id": index}, frame.nbytes)
    pipeline.close()


def test_a_failing_encode_stops_writing_and_gives_every_frame_back() -> None:
    compression = FailingCompression()
    writer = SlowWriter(compression, delay_s=0.0)
    budget, pool = ByteBudget(1 << 30), FramePool((4, 4), np.dtype(np.uint16))
    pipeline = Pipeline(writer, budget=budget, pool=pool, stats=Stats(), workers=2)  # type: ignore[arg-type]
    run_frames(pipeline, budget, 10)
    assert isinstance(pipeline.error, ValueError) and "frame 3" in str(pipeline.error)
    assert [frame_id for frame_id, _ in writer.frames] == [0, 1, 2]  # in order, none after the failure
    assert budget.used == 0 and len(pool._free) == 10  # every frame's bytes and array came back


def test_frames_are_still_written_when_the_worker_pool_is_gone() -> None:
    # At interpreter exit concurrent.futures shuts its pools down; the writer must not die with it.
    compression = CountingCompression()
    writer = SlowWriter(compression, delay_s=0.0)
    budget = ByteBudget(1 << 30)
    pipeline = Pipeline(writer, budget=budget, pool=FramePool((4, 4), np.dtype(np.uint16)),  # type: ignore[arg-type]
                        stats=Stats(), workers=2)
    assert pipeline._executor is not None
    pipeline._executor.shutdown(wait=True)
    run_frames(pipeline, budget, 6)
    assert pipeline.error is None
    assert [frame_id for frame_id, _ in writer.frames] == list(range(6)) and budget.used == 0
