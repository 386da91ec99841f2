"""The Recorder: owns the run (threads, stop conditions, the file's life), drives an Engine.

``Recorder.start()`` gathers the metadata, creates the file and starts two threads: the
acquisition thread (this module) and the writer thread (:mod:`pipeline`). ``stop()`` asks
for a clean end; ``wait()`` returns the :class:`RecordingResult` or raises the run's error
(the file is closed and readable in every case).
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from ace_gentl.errors import (
    AceGentlError,
    CameraLostError,
    DiskFullError,
    RecordingConfigError,
    RecordingError,
    add_note,
)
from ace_gentl.frames import Frame
from ace_gentl.recording import compression as compression_mod
from ace_gentl.recording import layout, metadata
from ace_gentl.recording.engine import DEFAULT_BUFFERS, CameraEngine, Engine
from ace_gentl.recording.pipeline import ByteBudget, FramePool, Pipeline, Stats
from ace_gentl.recording.progress import Progress, ProgressDisplay
from ace_gentl.recording.writer import FrameWriter, is_disk_full
from ace_gentl.session import Session

#: Default bytes between camera and disk: ~40 full Mono8 frames, 20 Mono12; RSS stays far below 1.5 GB.
DEFAULT_QUEUE_BYTES = 512 * 1024 * 1024
#: Space kept free beside the file and given back on ENOSPC, so HDF5 can write its metadata and close.
DEFAULT_RESERVE_BYTES = 16 * 1024 * 1024
RESERVE_SUFFIX = ".reserve"


@dataclass(frozen=True)
class RecordingResult:
    """What a finished run wrote."""

    path: Path
    frames_written: int
    frames_lost: int
    frames_incomplete: int
    duration_s: float
    mean_fps: float
    mb_per_s: float  # decoded frame data per second (MB = 1e6 bytes)
    file_bytes: int
    status: str  # complete, stopped, interrupted, error
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data

    def __str__(self) -> str:
        tail = f"; error: {self.error}" if self.error else ""
        return (f"{self.path}: {self.frames_written} frames ({self.frames_lost} lost, {self.frames_incomplete} "
                f"incomplete) in {self.duration_s:.2f} s, {self.mean_fps:.1f} fps, {self.mb_per_s:.0f} MB/s, "
                f"{self.status}{tail}")


def _reserve(path: Path, nbytes: int) -> Path | None:
    if nbytes <= 0:
        return None
    reserve = path.with_name(path.name + RESERVE_SUFFIX)
    with reserve.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, nbytes)
    return reserve


def _give_back(reserve: Path | None) -> None:
    if reserve is not None:
        reserve.unlink(missing_ok=True)


class Recorder:
    """A recording that runs in the background: ``start()``, ``progress``, ``stop()``, ``wait()``.

    Also a context manager (``with session.recorder(path) as rec: ...`` starts it and, at the
    end of the block, stops it and waits).
    """

    def __init__(self, session: Session, path: str | os.PathLike[str], *, frames: int | None = None,
                 duration: float | None = None, compression: str | compression_mod.Compression | None =
                 compression_mod.DEFAULT, chunks: tuple[int, ...] | None = None,
                 queue_bytes: int = DEFAULT_QUEUE_BYTES, workers: int | None = None, title: str = "",
                 overwrite: bool = False, num_buffers: int = DEFAULT_BUFFERS, timeout: float | None = None,
                 flush_interval: float = 0.5, reserve_bytes: int = DEFAULT_RESERVE_BYTES,
                 engine: Engine | None = None) -> None:
        if frames is not None and frames < 1:
            raise RecordingConfigError(f"frames must be at least 1, not {frames}")
        if duration is not None and duration <= 0:
            raise RecordingConfigError(f"duration must be positive, not {duration}")
        if not 0 < flush_interval <= 1.0:
            raise RecordingConfigError(f"flush_interval must be in (0, 1] s, not {flush_interval}")
        self.session = session
        self.path = Path(path)
        self.frames = frames
        self.duration = duration
        self.compression = compression_mod.parse(compression)
        self.chunks = chunks
        self.queue_bytes = int(queue_bytes)
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.title = title or f"{session.device.model} {session.device.serial} -> {self.path.name}"
        self.overwrite = overwrite
        self.flush_interval = flush_interval
        self.reserve_bytes = reserve_bytes
        self.engine: Engine = engine or CameraEngine(session, num_buffers=num_buffers, timeout=timeout)
        self.config: dict[str, Any] = {
            "frames": frames, "duration": duration, "compression": self.compression.spec,
            "chunks": list(chunks) if chunks else None, "queue_bytes": self.queue_bytes, "workers": self.workers,
            "num_buffers": num_buffers, "timeout": timeout, "flush_interval": flush_interval, "title": self.title,
        }
        self.stats = Stats()
        self.result: RecordingResult | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._interrupted = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._t_end: float | None = None
        self._budget = ByteBudget(self.queue_bytes)
        self._writer: FrameWriter | None = None
        self._pipeline: Pipeline | None = None
        self._reserve: Path | None = None
        self._old_threads: compression_mod.BloscThreads | None = None
        self._exposure_s: float | None = None

    # --- control -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._done.is_set()

    def start(self) -> Recorder:
        """Gather the metadata, create the file, start acquiring. Errors here are raised at once."""
        if self._thread is not None:
            raise RecordingError(f"{self.path}: this Recorder was already started; make a new one")
        geometry = self.engine.geometry()
        chunk_fields, chunk_selectors = self.engine.chunk_fields()
        if self.chunks is not None and len(self.chunks) != 1 + len(geometry.shape):
            raise RecordingConfigError(f"chunks must have {1 + len(geometry.shape)} sizes for frames of shape "
                                       f"{geometry.shape}, not {self.chunks!r}")
        static = metadata.gather(self.session)
        static.extra["chunk_selectors"] = chunk_selectors
        self.config["pixel_format"] = geometry.pixel_format
        self.config["frame_shape"] = list(geometry.shape)
        self.config["chunk_selectors"] = chunk_selectors
        self.config["settings"] = "see /entry/instrument/<camera>/genicam/settings_start (Session.apply to repeat)"
        writer = FrameWriter(self.path, geometry=geometry, compression=self.compression, chunks=self.chunks,
                             fields=[*layout.BASE_FIELDS, *chunk_fields], static=static, config=self.config,
                             title=self.title, overwrite=self.overwrite, flush_interval_s=self.flush_interval)
        self._reserve = _reserve(self.path, self.reserve_bytes) if self.reserve_bytes else None
        try:
            writer.open()
        except BaseException:
            _give_back(self._reserve)
            raise
        self._writer = writer
        self._exposure_s = static.exposure_time_s
        if self.compression.in_workers:  # one whole frame per worker; blosc's threads share the rest of the cores
            self._old_threads = compression_mod.configure_threads(max(1, (os.cpu_count() or 1) // self.workers))
        self._pipeline = Pipeline(writer, budget=self._budget, pool=FramePool(geometry.shape, geometry.dtype),
                                  stats=self.stats, workers=self.workers)
        self._pipeline.start()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="ace-gentl-acquire", daemon=False)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to finish cleanly (returns at once; :meth:`wait` for the result)."""
        self._stop.set()

    def wait(self, timeout: float | None = None, *, progress: bool = False) -> RecordingResult:
        """Block until the run ended; the result, or the run's error (a :class:`RecordingError`).

        Ctrl-C while waiting stops the run, waits for the file to be closed, then re-raises.
        """
        if self._thread is None:
            raise RecordingError(f"{self.path}: the Recorder was not started")
        deadline = None if timeout is None else time.monotonic() + timeout
        display = ProgressDisplay(self.path.name) if progress else None
        try:
            if display is not None:
                display.__enter__()
            while not self._done.wait(0.25):
                if display is not None:
                    display.update(self.progress)
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"{self.path}: the recording is still running after {timeout} s")
            if display is not None:
                display.update(self.progress)
        except KeyboardInterrupt:
            self._interrupted = True
            self.stop()
            self._done.wait()
            raise
        finally:
            if display is not None:
                display.__exit__(None, None, None)
        return self._outcome()

    def _outcome(self) -> RecordingResult:
        assert self.result is not None or self._error is not None
        if self._error is not None:
            raise self._error
        assert self.result is not None
        return self.result

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
        if self._thread is None:
            return
        if error is None:
            self.wait()
        else:
            self._done.wait()  # the block's own exception is the one to see

    @property
    def progress(self) -> Progress:
        stats = self.stats
        now = self._t_end if self._t_end is not None else time.monotonic()
        elapsed = now - self._t0 if self._t0 else 0.0
        history = list(stats.history)
        if len(history) >= 2 and history[-1][0] > history[0][0]:
            span = history[-1][0] - history[0][0]
            fps = (history[-1][1] - history[0][1]) / span
            mbps = (history[-1][2] - history[0][2]) / span / 1e6
        else:
            fps = stats.written / elapsed if elapsed > 0 else 0.0
            mbps = stats.bytes_raw / elapsed / 1e6 if elapsed > 0 else 0.0
        return Progress(frames_acquired=stats.acquired, frames_written=stats.written, frames_lost=stats.lost,
                        frames_incomplete=stats.incomplete, elapsed_s=elapsed, fps=fps, mb_per_s=mbps,
                        queue_fill=self._budget.fill, queue_bytes=self._budget.used, target_frames=self.frames,
                        target_duration_s=self.duration, running=self.running)

    # --- the run -------------------------------------------------------------------------------

    def _cancelled(self) -> bool:
        return self._stop.is_set() or (self._pipeline is not None and self._pipeline.failed)

    def _values(self, frame: Frame) -> dict[str, Any]:
        values: dict[str, Any] = {
            "frame_id": frame.frame_id, "device_timestamp": frame.timestamp_ns, "host_timestamp": frame.host_time_ns,
            "incomplete": int(frame.incomplete), "lost_before": frame.lost_before,
        }
        exposure = frame.chunks.get("ExposureTime")
        values["count_time"] = float(exposure) * 1e-6 if exposure is not None else self._exposure_s
        for name, value in frame.chunks.items():
            if isinstance(value, (bool, int, float, np.number)):
                values[layout.CHUNK_PREFIX + name] = value
        return values

    def _acquire(self) -> None:
        assert self._pipeline is not None and self._writer is not None
        pipeline, stats, geometry = self._pipeline, self.stats, self._writer.geometry
        nbytes = geometry.nbytes
        frames = self.engine.frames()
        try:
            while not self._cancelled():
                if self.frames is not None and stats.acquired >= self.frames:
                    break
                if self.duration is not None and time.monotonic() - self._t0 >= self.duration:
                    break
                # Room first, buffer second: while the disk lags, buffers stay with the camera.
                if not self._budget.reserve(nbytes, self._cancelled):
                    break
                try:
                    frame = next(frames)
                except BaseException:
                    self._budget.release(nbytes)
                    raise
                try:
                    if frame.data.shape != geometry.shape:
                        raise RecordingError(f"frame {frame.frame_id} has shape {frame.data.shape}, the recording "
                                             f"{geometry.shape} (ROI or format changed during the run?)")
                    array = pipeline.pool.take()
                    np.copyto(array, frame.data)
                except BaseException:
                    self._budget.release(nbytes)
                    frame.release()
                    raise
                stats.acquired += 1
                stats.lost += frame.lost_before
                stats.incomplete += int(frame.incomplete)
                pipeline.submit(array, self._values(frame), nbytes)
                frame.release()  # after submit: if the camera is gone, this frame is still kept
        except BaseException as error:
            try:
                self._stop_engine(frames)
            except AceGentlError as stop_error:  # the first error is the one that matters; keep both
                add_note(error, f"stopping acquisition afterwards failed too: {stop_error}")
            raise
        self._stop_engine(frames)

    def _stop_engine(self, frames: Any) -> None:
        close = getattr(frames, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self.engine.stop()

    def _run(self) -> None:
        assert self._pipeline is not None and self._writer is not None
        writer, pipeline = self._writer, self._pipeline
        acquire_error: BaseException | None = None
        try:
            self._acquire()
        except BaseException as error:  # noqa: BLE001 (re-raised from wait())
            acquire_error = error
        finally:
            pipeline.close()
            pipeline.pool.clear()
            self._t_end = time.monotonic()
            compression_mod.release_free_memory()  # the pool's frames and the chunks freed in the run
        self._finish(writer, pipeline.error, acquire_error)

    def _status(self, write_error: BaseException | None, acquire_error: BaseException | None) -> str:
        if write_error is not None or acquire_error is not None:
            return "error"
        if self._interrupted:
            return "interrupted"
        if self._stop.is_set():
            return "stopped"
        return "complete"

    def _finish(self, writer: FrameWriter, write_error: BaseException | None,
                acquire_error: BaseException | None) -> None:
        status = self._status(write_error, acquire_error)
        counters = self.stats.counters()
        problems: list[BaseException] = []
        try:
            if write_error is not None:
                _give_back(self._reserve)  # space for HDF5 to flush what was written, and close
                self._reserve = None
                try:
                    writer.close(status, counters)
                except (OSError, RuntimeError, ValueError) as close_error:  # h5py's errors; the file keeps its last flush
                    add_note(write_error, f"closing the file after it also failed: {close_error}")
                writer.trim_to_flushed()
                self.stats.written = writer.flushed
                counters = self.stats.counters()
            else:
                writer.close(status, counters)
            _give_back(self._reserve)
            self._reserve = None
            message = _describe(write_error or acquire_error, self.path)
            self.result = self._make_result(status, message)
            settings_end = stream_end = None
            if not self.session.closed:
                try:
                    settings_end = self.session.snapshot()
                    stream_end = metadata.module_features(self.session.stream_features)
                except AceGentlError as error:  # the camera may be gone: say so in the file
                    settings_end = {"unavailable": str(error)}
            result = {**self.result.as_dict(), **self.stats.counters()}
            writer.finish(status=status, settings_end=settings_end, stream_module_end=stream_end, error=message,
                          result=result)
        except BaseException as error:  # noqa: BLE001 (reported through wait())
            problems.append(error)
        finally:
            _give_back(self._reserve)
            if self._old_threads is not None:
                compression_mod.restore_threads(self._old_threads)
            if self.result is None:
                self.result = self._make_result("error", _describe(write_error or acquire_error, self.path))
            self._error = self._error_for(write_error, acquire_error, problems)
            self._done.set()

    def _make_result(self, status: str, error: str | None) -> RecordingResult:
        stats = self.stats
        duration = (self._t_end or time.monotonic()) - self._t0
        size = self.path.stat().st_size if self.path.exists() else 0
        return RecordingResult(path=self.path, frames_written=stats.written, frames_lost=stats.lost,
                               frames_incomplete=stats.incomplete, duration_s=duration,
                               mean_fps=stats.written / duration if duration > 0 else 0.0,
                               mb_per_s=stats.bytes_raw / duration / 1e6 if duration > 0 else 0.0,
                               file_bytes=size, status=status, error=error)

    def _error_for(self, write_error: BaseException | None, acquire_error: BaseException | None,
                   problems: list[BaseException]) -> BaseException | None:
        result = self.result
        if write_error is not None:
            kind = DiskFullError if is_disk_full(write_error) else RecordingError
            error: BaseException = kind(f"{_describe(write_error, self.path)}; the file holds the "
                                        f"{self.stats.written} frames flushed before it", result)
            error.__cause__ = write_error
            return error
        if acquire_error is not None:
            if isinstance(acquire_error, RecordingError):
                return acquire_error
            if isinstance(acquire_error, AceGentlError):
                error = CameraLostError(f"{self.path}: the camera stopped delivering after {self.stats.acquired} "
                                        f"frames: {acquire_error}", result)
                error.__cause__ = acquire_error
                return error
            return acquire_error
        if problems:
            error = RecordingError(f"{self.path}: finishing the file failed: {problems[0]}", result)
            error.__cause__ = problems[0]
            return error
        return None


def _describe(error: BaseException | None, path: Path) -> str | None:
    if error is None:
        return None
    if is_disk_full(error):
        return f"{path}: disk full ({os.strerror(errno.ENOSPC)}) while writing: {error}"
    return f"{type(error).__name__}: {error}"


def record(session: Session, path: str | os.PathLike[str], *, progress: bool = False,
           **options: Any) -> RecordingResult:
    """Record and block until done (see :class:`Recorder` for the options)."""
    recorder = Recorder(session, path, **options)
    recorder.start()
    return recorder.wait(progress=progress)


def options_of(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Recorder options from a stored run configuration (to repeat a run)."""
    keys = ("frames", "duration", "compression", "chunks", "queue_bytes", "workers", "num_buffers", "timeout",
            "flush_interval", "title")
    options = {key: mapping[key] for key in keys if key in mapping and mapping[key] is not None}
    if "chunks" in options:
        options["chunks"] = tuple(options["chunks"])
    return options


__all__ = ["DEFAULT_QUEUE_BYTES", "DEFAULT_RESERVE_BYTES", "Recorder", "RecordingResult", "options_of", "record"]
