"""The Recorder: owns the run (threads, stop conditions, the file's life), drives an Engine.

``Recorder.start()`` gathers the metadata, creates the file and starts two threads: the
acquisition thread (this module) and the writer thread (:mod:`pipeline`). ``stop()`` asks
for a clean end; ``wait()`` returns the :class:`RecordingResult` or raises the run's error
(the file is closed and readable in every case).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Callable

import h5py
import numpy as np

from ace_gentl._native import name_native_thread
from ace_gentl.errors import (
    AceGentlError,
    CameraLostError,
    DiskFullError,
    OutputExistsError,
    RecordingConfigError,
    RecordingError,
    add_note,
)
from ace_gentl.frames import Frame
from ace_gentl.recording import compression as compression_mod
from ace_gentl import pixels
from ace_gentl.recording import layout, matching, schema, timebase
from ace_gentl.recording.camera_engine import CameraEngine, significant_bits
from ace_gentl.recording.engine import CameraEnd, Engine, RunEnd, RunStart
from ace_gentl.recording.pipeline import ByteBudget, Pipeline, Speed, Stats
from ace_gentl.recording.progress import Progress, ProgressDisplay
from ace_gentl.recording.writer import FrameWriter, is_disk_full

log = logging.getLogger(__name__)

#: Default bytes between camera and disk: ~40 full Mono8 frames, 20 Mono12; RSS stays far below 1.5 GB.
DEFAULT_QUEUE_BYTES = 512 * 1024 * 1024
#: Space kept free beside the file and given back on ENOSPC, so HDF5 can write its metadata and close.
DEFAULT_RESERVE_BYTES = 16 * 1024 * 1024
RESERVE_SUFFIX = ".reserve"


@dataclass(frozen=True)
class RecordingResult:
    """What a finished run wrote.

    ``mean_fps`` is the frame rate of the recorded frames by their device timestamps, (frames - 1)
    / (last - first), the same definition ``inspect`` uses; ``duration_s`` is the time from the
    start of the recording to its end, setup and draining included.
    """

    path: Path
    frames_written: int
    frames_lost: int
    frames_incomplete: int
    duration_s: float
    mean_fps: float
    mb_per_s: float  # decoded frame data per second of the run (MB = 1e6 bytes)
    file_bytes: int
    status: str  # complete, stopped, interrupted, error
    error: str | None = None
    warnings: tuple[str, ...] = ()
    max_stall_s: float = 0.0  # the longest time the producer was not asked for a buffer
    cameras: tuple[dict[str, int], ...] = ()  # several cameras: each one's counters
    matching: dict[str, Any] | None = None  # several cameras: the matching summary

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["warnings"] = list(self.warnings)
        data["cameras"] = [dict(camera) for camera in self.cameras]
        return data

    def __str__(self) -> str:
        tail = f"; error: {self.error}" if self.error else ""
        return (f"{self.path}: {self.frames_written} frames ({self.frames_lost} lost, {self.frames_incomplete} "
                f"incomplete) in {self.duration_s:.2f} s, {self.mean_fps:.1f} fps, {self.mb_per_s:.0f} MB/s, "
                f"{self.status}{tail}")


def _reserve(path: Path, nbytes: int) -> Path | None:
    """Space set aside beside the file, given back when the disk fills (so HDF5 can close the file)."""
    if nbytes <= 0:
        return None
    reserve = path.with_name(path.name + RESERVE_SUFFIX)
    try:
        with reserve.open("wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, nbytes)
    except OSError as error:
        reserve.unlink(missing_ok=True)
        raise _start_error(path, error, f"setting {nbytes >> 20} MB aside beside it") from error
    return reserve


def _start_error(path: Path, error: OSError, doing: str) -> RecordingError:
    """One line for an OS error before the first frame (nothing is left behind by the caller)."""
    reason = error.strerror or str(error)
    if is_disk_full(error):
        return DiskFullError(f"{path}: cannot start recording: the disk is full ({reason} while {doing}); "
                             f"free space at {path.parent}: {_free_mb(path.parent)} MB")
    return RecordingError(f"{path}: cannot start recording: {reason} (while {doing})")


def _free_mb(folder: Path) -> int:
    try:
        info = os.statvfs(folder)
    except OSError:
        return -1
    return info.f_bavail * info.f_frsize >> 20


def _give_back(reserve: Path | None) -> None:
    if reserve is not None:
        reserve.unlink(missing_ok=True)


def _size_limit(folder: Path) -> int | None:
    """The largest file this process may write in ``folder``: ``ulimit -f`` and the file system's limit."""
    limits: list[int] = []
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY and soft > 0:
            limits.append(int(soft))
    except (ImportError, OSError, ValueError):
        pass
    try:
        bits = os.pathconf(folder, "PC_FILESIZEBITS")
        if 0 < bits < 64:
            limits.append((1 << (bits - 1)) - 1 if bits > 32 else (1 << bits) - 1)
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


class Recorder:
    """A recording that runs in the background: ``start()``, ``progress``, ``stop()``, ``wait()``.

    ``source`` is a :class:`~ace_gentl.session.Session` (recorded through a
    :class:`~ace_gentl.recording.camera_engine.CameraEngine`), a rig, or any
    :class:`~ace_gentl.recording.engine.Engine`. Also a context manager (``with
    session.recorder(path) as rec: ...`` starts it and, at the end of the block, stops it and waits).

    ``frames`` and ``duration`` are per camera; ``duration`` counts from each camera's first frame.
    With several cameras the run ends when the first (the leader) has its frames and the others
    have delivered theirs (or nothing more came for a moment). ``num_buffers`` None sizes the
    producer's buffers from the frame rate (see :mod:`camera_engine`). ``timeout`` bounds the
    wait for each frame: by default three frame periods plus a margin in free run, and no limit
    when frames wait for a trigger (stop() and Ctrl-C still end the wait). ``events`` (one
    camera): event names stored in the camera's events table. ``reconnect`` (one camera; a rig has
    its own): seconds a lost camera is waited for, reopened with the run's start settings and
    recorded on into the same file (the gap is in its reconnects table). ``on_warning`` is called (from the
    recorder's threads) with each warning as it arises, e.g. a compression that cannot keep up.
    """

    def __init__(self, source: Any, path: str | os.PathLike[str], *, frames: int | None = None,
                 duration: float | None = None, compression: str | compression_mod.Compression | None =
                 compression_mod.DEFAULT, chunks: tuple[int, ...] | None = None,
                 queue_bytes: int = DEFAULT_QUEUE_BYTES, workers: int | None = None, title: str = "",
                 overwrite: bool = False, num_buffers: int | None = None, timeout: float | None = None,
                 flush_interval: float = 0.5, reserve_bytes: int = DEFAULT_RESERVE_BYTES,
                 events: tuple[str, ...] | list[str] = (), reconnect: float | None = None,
                 on_warning: Callable[[str], None] | None = None) -> None:
        if frames is not None and frames < 1:
            raise RecordingConfigError(f"frames must be at least 1, not {frames}")
        if duration is not None and duration <= 0:
            raise RecordingConfigError(f"duration must be positive, not {duration}")
        if timeout is not None and timeout <= 0:
            raise RecordingConfigError(f"timeout must be positive, not {timeout}")
        if num_buffers is not None and num_buffers < 1:
            raise RecordingConfigError(f"num_buffers must be at least 1, not {num_buffers}")
        if not 0 < flush_interval <= 1.0:
            raise RecordingConfigError(f"flush_interval must be in (0, 1] s, not {flush_interval}")
        if hasattr(source, "begin") and hasattr(source, "frames"):
            self.engine: Engine = source
        elif hasattr(source, "engine"):  # a rig makes its own engine
            self.engine = source.engine(num_buffers=num_buffers, timeout=timeout)
        else:
            self.engine = CameraEngine(source, num_buffers=num_buffers, timeout=timeout, events=events,
                                       reconnect_s=reconnect)
        self.path = Path(path)
        self.frames = frames
        self.duration = duration
        self.compression = compression_mod.parse(compression)
        self.chunks = chunks
        self.queue_bytes = int(queue_bytes)
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.title = title
        self.overwrite = overwrite
        self.flush_interval = flush_interval
        self.reserve_bytes = reserve_bytes
        self.on_warning = on_warning
        # The run as carried out, stored before the first frame (schema.RunConfiguration; front ends add keys).
        self.config: dict[str, Any] = schema.RunConfiguration(
            frames=frames, duration=duration, compression=self.compression.spec,
            chunks=list(chunks) if chunks else None, queue_bytes=self.queue_bytes, workers=self.workers,
            num_buffers=num_buffers, timeout=timeout, flush_interval=flush_interval, title=title,
            extra={"events": list(events), "reconnect": reconnect}).to_dict()
        self.stats = Stats()
        self.result: RecordingResult | None = None
        self.warnings: list[str] = []
        self.notes: list[str] = []  # what the recorder did on the user's behalf (a folder it created)
        self.run_start: RunStart | None = None
        self.run_end: RunEnd | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._interrupted = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._t_end: float | None = None
        self._last_frame = 0.0
        # (device timestamp, host receive time) of each camera's first and last frame
        self._first_times: list[tuple[int, int] | None] = []
        self._last_times: list[tuple[int, int] | None] = []
        self._first_frame_monotonic: float | None = None
        self._geometries: list[layout.Geometry | None] = []
        self._clock_rows: list[list[dict[str, Any]]] = []
        self._budget = ByteBudget(self.queue_bytes)
        self._writer: FrameWriter | None = None
        self._pipeline: Pipeline | None = None
        self._reserve: Path | None = None
        self._old_threads: compression_mod.BloscThreads | None = None
        self._exposures: list[float | None] = []
        self._done_flags: list[bool] = []  # per camera: it has what the run asked of it
        self._leader_done_at: float | None = None
        self._grace = 2.0  # seconds the followers may stay silent after the leader is done
        self._early_rows: list[Any] = []  # side rows that came before the file existed
        self.match_summary: dict[str, Any] | None = None  # several cameras: the matching's summary

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._done.is_set()

    # --- start ---------------------------------------------------------------------------------

    def _prepare_folder(self) -> None:
        folder = self.path.parent
        if folder.is_dir():
            return
        if folder.exists():
            raise RecordingError(f"{self.path}: cannot start recording: {folder} is not a folder")
        try:
            folder.mkdir(parents=True)
        except OSError as error:
            raise _start_error(self.path, error, f"creating the folder {folder}") from error
        self.notes.append(f"created the folder {folder}")

    def start(self) -> Recorder:
        """Gather the metadata, create the file, start acquisition; returns at once.

        When the engine cannot tell a camera's frame shape beforehand (a node map whose Width,
        Height or PixelFormat cannot be read), the file is created at the first frame, shaped like it.
        """
        if self._thread is not None:
            raise RecordingError(f"{self.path}: this Recorder was already started")
        if self.path.exists() and not self.overwrite:
            raise OutputExistsError(f"{self.path} exists; pass overwrite=True to replace it")
        start = self.engine.begin()
        self.run_start = start
        count = len(start.cameras)
        names = [camera.name for camera in start.cameras]
        if len(set(names)) != count:
            raise RecordingConfigError(f"cameras need distinct names in one file, not {names}")
        self.stats.resize(count)
        self._geometries = [camera.geometry for camera in start.cameras]
        self._first_times, self._last_times = [None] * count, [None] * count
        self._clock_rows = [[] for _ in range(count)]
        self._exposures = [camera.static.exposure_time_s for camera in start.cameras]
        self.title = self.title or f"{start.title} -> {self.path.name}"
        self.config["title"] = self.title
        self.config.update(start.config)
        self.config["cameras"] = [{"name": camera.name, **camera.config} for camera in start.cameras]
        self.config["settings"] = "see /entry/instrument/<camera>/genicam/settings_start (Session.apply to repeat)"
        for geometry in self._geometries:
            if geometry is not None:
                self._check_chunks(geometry)
        self._prepare_folder()
        self._reserve = _reserve(self.path, self.reserve_bytes) if self.reserve_bytes else None
        try:
            if all(geometry is not None for geometry in self._geometries):
                self._open_output()
        except BaseException:
            _give_back(self._reserve)
            self._reserve = None
            raise
        self._t0 = time.monotonic()
        self._last_frame = self._t0
        self._thread = threading.Thread(target=self._run, name="ace-gentl-acquire", daemon=False)
        self._thread.start()
        return self

    def _check_chunks(self, geometry: layout.Geometry) -> None:
        if self.chunks is not None and len(self.chunks) != 1 + len(geometry.shape):
            raise RecordingConfigError(f"chunks must have {1 + len(geometry.shape)} sizes for frames of shape "
                                       f"{geometry.shape}, not {self.chunks!r}")

    def _open_output(self) -> None:
        """Create the file for frames of the cameras' geometries and start the pipeline to it."""
        assert self.run_start is not None
        specs = []
        for camera, geometry in zip(self.run_start.cameras, self._geometries):
            assert geometry is not None
            self._check_chunks(geometry)
            chunks = tuple(self.chunks) if self.chunks is not None else (1, *geometry.shape)
            specs.append(layout.DetectorSpec(name=camera.name, geometry=geometry,
                                             fields=[*layout.BASE_FIELDS, *camera.fields], static=camera.static,
                                             chunks=chunks, role=camera.role))
        first = self._geometries[0]
        assert first is not None
        self.config["pixel_format"] = first.pixel_format
        self.config["frame_shape"] = list(first.shape)
        for entry, geometry in zip(self.config["cameras"], self._geometries):
            assert geometry is not None
            entry["pixel_format"], entry["frame_shape"] = geometry.pixel_format, list(geometry.shape)
        writer = FrameWriter(self.path, detectors=specs, rig=self.run_start.rig, compression=self.compression,
                             config=self.config, title=self.title, overwrite=self.overwrite,
                             flush_interval_s=self.flush_interval, size_limit=_size_limit(self.path.parent))
        try:
            writer.open()
        except OSError as error:
            self.path.unlink(missing_ok=True)
            raise _start_error(self.path, error, "creating the file") from error
        self._writer = writer
        if self.compression.in_workers and self._old_threads is None:
            # one whole frame per worker; blosc's threads share the rest of the cores
            self._old_threads = compression_mod.configure_threads(max(1, (os.cpu_count() or 1) // self.workers))
        self._pipeline = Pipeline(writer, budget=self._budget, stats=self.stats, workers=self.workers,
                                  lendable=[camera.lendable_frames for camera in self.run_start.cameras],
                                  on_speed=self._check_speed)
        self._pipeline.start()

    def _discard_output(self) -> None:
        """Remove a file that holds no frame yet (its shape was not the frames')."""
        assert self._pipeline is not None and self._writer is not None
        self._pipeline.close()
        self._writer.abandon()
        self.path.unlink(missing_ok=True)
        self._pipeline = self._writer = None

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s: %s", self.path, message)
        if self.on_warning is not None:
            try:
                self.on_warning(message)
            except Exception as error:  # noqa: BLE001 (a display's failure must not end the recording)
                log.debug("on_warning failed: %s", error)

    def _check_speed(self, speed: Speed) -> None:
        """Say at once when the chosen compression cannot keep up with the camera (writer thread)."""
        assert self.run_start is not None
        rate = self.run_start.frame_rate_hz
        sustained = speed.sustained_fps
        if rate is None or sustained >= rate:
            return
        nbytes = sum(geometry.nbytes for geometry in self._geometries if geometry is not None) / \
            max(1, len(self._geometries))
        fill_s = self.queue_bytes / (nbytes * (rate - sustained))
        triggered = any(camera.trigger for camera in self.run_start.cameras)
        who = "the camera" if len(self.run_start.cameras) == 1 else "the cameras together"
        kind = "can be triggered at up to" if triggered else "deliver" if len(self.run_start.cameras) > 1 else \
            "delivers"
        compressing = speed.workers / speed.prepare_s < 1.0 / speed.write_s
        if compressing:
            faster = [name for name in ("blosc-lz4", "none") if name != self.compression.name]
            advice = (f"compressing is the slower step ({speed.prepare_s * 1e3:.0f} ms per frame on "
                      f"{speed.workers} threads); choose a faster compression ({' or '.join(faster)})")
        else:
            advice = (f"writing to {self.path.parent} is the slower step ({speed.write_s * 1e3:.0f} ms per frame); "
                      f"use a faster disk, or compression to write fewer bytes")
        self._warn(f"compression {self.compression.spec} and this disk sustain about {sustained:.1f} fps on this "
                   f"machine (measured on the first {speed.frames} frames), but {who} {kind} {rate:.1f} fps: "
                   f"frames will be lost once the {self.queue_bytes >> 20} MB queue is full (in about {fill_s:.0f} "
                   f"s); {advice}")

    # --- control -------------------------------------------------------------------------------

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
        shown = 0
        try:
            if display is not None:
                display.__enter__()
            while not self._done.wait(0.25):
                if display is not None:
                    shown = self._show(display, shown)
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"{self.path}: the recording is still running after {timeout} s")
            if display is not None:
                self._show(display, shown)
        except KeyboardInterrupt:
            self._interrupted = True
            self.stop()
            self._done.wait()
            raise
        finally:
            if display is not None:
                display.__exit__(None, None, None)
        return self._outcome()

    def _show(self, display: ProgressDisplay, shown: int) -> int:
        for message in self.warnings[shown:]:
            display.warn(message)
        display.update(self.progress)
        return len(self.warnings)

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
        waiting = ""
        if self.running and self._t_end is None and now - self._last_frame > 1.0:
            waiting = self.engine.waiting_for() or "the next frame"
        recording_s = max(0.0, now - self._first_frame_monotonic) if self._first_frame_monotonic else 0.0
        cameras = len(self.stats.cameras)
        return Progress(frames_acquired=stats.acquired, frames_written=stats.written, frames_lost=stats.lost,
                        frames_incomplete=stats.incomplete, elapsed_s=elapsed, fps=fps, mb_per_s=mbps,
                        queue_fill=self._budget.fill, queue_bytes=self._budget.used,
                        target_frames=self.frames * cameras if self.frames else None,
                        target_duration_s=self.duration, running=self.running, waiting_for=waiting,
                        recording_s=recording_s)

    # --- the run -------------------------------------------------------------------------------

    def _cancelled(self) -> bool:
        """True when the run must end now: stopped, the writer failed, or every camera has its frames.

        Engines check it while they wait, so waiting for frames that will not come ends on time: the
        followers of a rig get a moment (``_grace_s``) after the leader has its frames.
        """
        if self._stop.is_set() or (self._pipeline is not None and self._pipeline.failed):
            return True
        if self._done_flags and all(self._done_flags):
            return True
        if self._leader_done_at is not None:
            now = time.monotonic()
            return now - self._leader_done_at > self._grace and now - self._last_frame > self._grace
        return False

    def _values(self, index: int, frame: Frame) -> dict[str, Any]:
        values: dict[str, Any] = {
            "frame_id": frame.frame_id, "device_timestamp": frame.timestamp_ns, "host_timestamp": frame.host_time_ns,
            "incomplete": int(frame.incomplete), "lost_before": frame.lost_before,
        }
        exposure = frame.chunks.get("ExposureTime")
        values["count_time"] = float(exposure) * 1e-6 if exposure is not None else self._exposures[index]
        for name, value in frame.chunks.items():
            if isinstance(value, (bool, int, float, np.number)):
                values[layout.CHUNK_PREFIX + name] = value
        return values

    def _geometry_of(self, frame: Frame) -> layout.Geometry:
        fmt = pixels.lookup(frame.pixel_format)
        return layout.Geometry(shape=frame.shape, dtype=np.dtype(fmt.dtype), pixel_format=fmt.name,
                               bits=significant_bits(fmt.name, fmt.bits))

    def _first_frame(self, index: int, frame: Frame) -> None:
        """Make sure the file is shaped like the frames the camera really delivers."""
        geometry = self._geometry_of(frame)
        known = self._geometries[index]
        if known == geometry:
            return
        if known is not None:
            if self._writer is not None and self.stats.written + self.stats.acquired > 0:
                raise RecordingError(f"{self.run_start.cameras[index].name if self.run_start else index}: the "
                                     f"camera delivers {geometry.pixel_format} {frame.width}x{frame.height} frames "
                                     f"where its node map said {known.pixel_format} {known.shape[1]}x{known.shape[0]}")
            self.notes.append(f"the camera delivers {geometry.pixel_format} {frame.width}x{frame.height} frames "
                              f"where its node map said {known.pixel_format} {known.shape[1]}x{known.shape[0]}: "
                              f"the file follows the frames")
        self._geometries[index] = geometry
        if self._writer is not None:
            self._discard_output()
        if all(g is not None for g in self._geometries):
            self._open_output()

    def _camera_done(self, index: int, frame: Frame, firsts: list[int | None]) -> bool:
        """True when camera ``index`` has recorded what the run asked of it (this frame is not recorded)."""
        camera = self.stats.cameras[index]
        if self.frames is not None and camera.acquired >= self.frames:
            return True
        if self.duration is not None:  # the duration counts from the camera's first frame
            first = firsts[index]
            if first is None:
                firsts[index] = frame.host_time_ns
            elif frame.host_time_ns - first >= int(self.duration * 1e9):
                return True
        return False

    def _forward_records(self) -> None:
        rows = self.engine.records()
        if not rows:
            return
        for record in rows:
            if record.table == "clock":
                self._clock_rows[record.camera].append(dict(record.row))
        if self._pipeline is not None:
            grouped: dict[tuple[int, str], list[Any]] = {}
            for record in rows:
                grouped.setdefault((record.camera, record.table), []).append(record.row)
            for (camera, table), items in grouped.items():
                self._pipeline.submit_rows(camera, table, items)
        else:
            self._early_rows.extend(rows)

    def _acquire(self) -> None:
        count = len(self._geometries)
        self._early_rows = []
        frames = self.engine.frames(self._cancelled)
        failure: BaseException | None = None
        firsts: list[int | None] = [None] * count
        done = [False] * count
        seen_first = [False] * count
        held: list[tuple[int, Frame, int]] = []  # frames that came before the file could be made
        self._done_flags = done
        self._grace = self._grace_s()
        budget = self._budget
        try:
            while not self._cancelled():
                if all(done):
                    break
                # Room first, buffer second: while the disk lags, buffers stay with the camera. (The
                # first frame always finds room: one item may enter an empty budget.)
                reserved = max((g.nbytes for g in self._geometries if g is not None), default=0)
                if not budget.reserve(reserved, self._cancelled):
                    break
                try:
                    item = next(frames, None)
                    self._forward_records()
                except BaseException:
                    budget.release(reserved)
                    raise
                if item is None:  # stopped while waiting, or the engine has no more frames
                    budget.release(reserved)
                    break
                index, frame = item
                if done[index] or self._camera_done(index, frame, firsts):
                    frame.release()
                    budget.release(reserved)
                    if not done[index]:
                        done[index] = True
                        if index == 0 and count > 1:
                            self._leader_done_at = time.monotonic()
                            self.engine.leader_done()
                    continue
                try:
                    if not seen_first[index]:
                        seen_first[index] = True
                        self._first_frame(index, frame)
                    geometry = self._geometries[index]
                    assert geometry is not None
                    if frame.shape != geometry.shape or frame.pixel_format != geometry.pixel_format:
                        raise RecordingError(f"frame {frame.frame_id} is {frame.pixel_format} {frame.shape}, the "
                                             f"recording {geometry.pixel_format} {geometry.shape} (ROI or format "
                                             f"changed during the run?)")
                except BaseException:
                    frame.release()
                    budget.release(reserved)
                    raise
                budget.adjust(reserved, geometry.nbytes)  # the frame's own size, from here on
                if self._pipeline is None:  # another camera's shape is not known yet: keep this frame
                    held.append((index, frame, geometry.nbytes))
                    continue
                for early in held:
                    self._submit(*early)
                held.clear()
                if self._early_rows:
                    rows, self._early_rows = self._early_rows, []
                    for record in rows:
                        self._pipeline.submit_rows(record.camera, record.table, [record.row])
                self._submit(index, frame, geometry.nbytes)
                if self.frames is not None and self.stats.cameras[index].acquired >= self.frames:
                    done[index] = True  # this camera has its frames (no need to wait for one more)
                    if index == 0 and count > 1:
                        self._leader_done_at = time.monotonic()  # no more triggers from now on
                        self.engine.leader_done()
        except BaseException as error:
            failure = error
            raise
        finally:
            for _, frame, nbytes in held:
                frame.release()
                budget.release(nbytes)
            self._end_acquisition(frames, failure)

    def _submit(self, index: int, frame: Frame, nbytes: int) -> None:
        """Hand a frame whose ``nbytes`` are reserved in the budget to the pipeline (which releases both)."""
        assert self._pipeline is not None
        camera = self.stats.cameras[index]
        times = (frame.timestamp_ns, frame.host_time_ns)
        if self._first_times[index] is None:
            self._first_times[index] = times
        if self._first_frame_monotonic is None:
            self._first_frame_monotonic = time.monotonic()
        self._last_times[index] = times
        self._last_frame = time.monotonic()
        camera.acquired += 1
        camera.lost += frame.lost_before
        camera.incomplete += int(frame.incomplete)
        self._pipeline.submit(frame, self._values(index, frame), nbytes, stream=index)

    def _grace_s(self) -> float:
        """How long the other cameras may stay silent after the leader has its frames."""
        assert self.run_start is not None
        rates = [camera.frame_rate_hz for camera in self.run_start.cameras if camera.frame_rate_hz]
        return max(0.5, 3.0 / min(rates)) if rates else 2.0

    def _end_acquisition(self, frames: Any, failure: BaseException | None) -> None:
        """Cameras stop, held buffers are copied out, end state is read, the stream is stopped.

        Called also after an error; a problem here is attached to the first error, or raised.
        """
        problems: list[BaseException] = []

        def attempt(step: Callable[[], Any], what: str) -> Any:
            try:
                return step()
            except AceGentlError as error:
                problems.append(error)
                if failure is not None:
                    add_note(failure, f"{what} afterwards failed too: {error}")
                return None

        close = getattr(frames, "close", None)
        if close is not None:
            attempt(close, "closing the frame source")
        attempt(self.engine.halt, "stopping the camera")
        if self._pipeline is not None:
            attempt(self._pipeline.release_buffers, "giving the buffers back")
        self.run_end = attempt(self.engine.end, "reading the camera's state at the end")
        attempt(self._forward_records, "storing the last events and clock readings")
        attempt(self.engine.stop, "stopping acquisition")
        if problems and failure is None:
            raise problems[0]

    def _run(self) -> None:
        name_native_thread()
        acquire_error: BaseException | None = None
        try:
            self._acquire()
        except BaseException as error:  # noqa: BLE001 (re-raised from wait())
            acquire_error = error
        finally:
            pipeline = self._pipeline
            if pipeline is not None:
                pipeline.close()
                pipeline.clear_pools()
            self._t_end = time.monotonic()
            compression_mod.release_free_memory()  # the pools' frames and the chunks freed in the run
        if self._writer is None or self._pipeline is None:  # no frame came, so no file was made
            self._finish_without_file(acquire_error)
            return
        self._finish(self._writer, self._pipeline.error, acquire_error)

    def _finish_without_file(self, acquire_error: BaseException | None) -> None:
        try:
            _give_back(self._reserve)
            self._reserve = None
            if self._old_threads is not None:
                compression_mod.restore_threads(self._old_threads)
            status = self._status(None, acquire_error)
            reason = _describe(acquire_error, self.path) or "no frame came before the run ended"
            if acquire_error is None:
                self._warn(f"no file was written: {reason} (the camera's frame shape is known only from a frame)")
            self.result = self._make_result(status, reason if acquire_error is not None else None)
            self._error = self._error_for(None, acquire_error, [])
        finally:
            self._done.set()

    def _status(self, write_error: BaseException | None, acquire_error: BaseException | None) -> str:
        if write_error is not None or acquire_error is not None:
            return "error"
        if self._interrupted:
            return "interrupted"
        if self._stop.is_set():
            return "stopped"
        return "complete"

    def _account_losses(self) -> dict[str, Any]:
        """Frames lost: the gaps between recorded frames, or the producer's own count if it is larger.

        The producer also counts frames lost before the first recorded frame and after the last one.
        """
        stats, end = self.stats, self.run_end
        in_gaps = [camera.lost for camera in stats.cameras]
        by_producer: list[int | None] = [None] * len(stats.cameras)
        if end is not None:
            by_producer = [camera.lost_by_producer for camera in end.cameras]
            for camera, counted in zip(stats.cameras, by_producer):
                if counted is not None and counted > camera.lost:
                    camera.lost = counted
        speed = self._pipeline.speed if self._pipeline is not None else None
        single = len(stats.cameras) == 1
        return {"frames_lost_in_gaps": in_gaps[0] if single else in_gaps,
                "frames_lost_by_producer": by_producer[0] if single else by_producer,
                "first_frames_speed": None if speed is None else {**asdict(speed),
                                                                  "sustained_fps": speed.sustained_fps},
                "frames_copied_from_buffers": stats.copied, "buffers_held_at_most": stats.held_peak,
                "max_stall_s": round(self.engine.max_poll_gap_s(), 6),
                "producer_counters": (end.cameras[0].counters if single else [c.counters for c in end.cameras])
                if end is not None and end.cameras else {}}

    def _finish(self, writer: FrameWriter, write_error: BaseException | None,
                acquire_error: BaseException | None) -> None:
        status = self._status(write_error, acquire_error)
        problems: list[BaseException] = []
        try:
            details = self._account_losses()
            counters, per_camera = self.stats.counters(), self.stats.camera_counters()
            if write_error is not None:
                _give_back(self._reserve)  # space for HDF5 to flush what was written, and close
                self._reserve = None
                try:
                    writer.close(status, counters, per_camera)
                except (OSError, RuntimeError, ValueError) as close_error:  # h5py's errors; the file keeps its last flush
                    add_note(write_error, f"closing the file after it also failed: {close_error}")
                if writer.written > writer.flushed:  # pixel data is never removed: say what it lacks
                    self.notes.append(f"{writer.written - writer.flushed} frames at the end of data have no "
                                      f"per-frame values (the write failed before they were flushed); "
                                      f"ace-gentl inspect lists them")
                for camera, stream in zip(self.stats.cameras, writer.streams):
                    camera.written = stream.flushed
                counters, per_camera = self.stats.counters(), self.stats.camera_counters()
            else:
                writer.close(status, counters, per_camera)
            _give_back(self._reserve)
            self._reserve = None
            message = _describe(write_error or acquire_error, self.path)
            detectors, rig = self._annotations(per_camera)
            self.result = self._make_result(status, message)
            result = {**self.result.as_dict(), **counters, **details, "notes": list(self.notes)}
            writer.finish(status=status, error=message, result=result, warnings=list(self.warnings),
                          detectors=detectors, rig=rig)
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

    def _annotations(self, per_camera: list[dict[str, int]]) -> tuple[list[layout.DetectorEnd], dict[str, Any]]:
        """End-of-run additions: per camera its end state, clock fit and estimated host times; the rig's matching."""
        assert self.run_start is not None
        ends = self.run_end.cameras if self.run_end is not None else []
        detectors: list[layout.DetectorEnd] = []
        fits = []
        for index, camera in enumerate(self.run_start.cameras):
            end = ends[index] if index < len(ends) else CameraEnd(
                settings_end={"unavailable": "the run ended before the camera was read"})
            rows = self._clock_rows[index]
            fitted = timebase.fit(np.array([r["host_before"] for r in rows], dtype=np.int64),
                                  np.array([r["host_after"] for r in rows], dtype=np.int64),
                                  np.array([r["device"] for r in rows], dtype=np.int64)) if rows else None
            fits.append(fitted)
            extra: dict[str, Any] = {}
            if fitted is not None:
                extra["clock_fit"] = fitted.as_dict()
            detectors.append(layout.DetectorEnd(settings_end=end.settings_end, stream_module_end=end.stream_module_end,
                                                counters=per_camera[index] if index < len(per_camera) else {},
                                                extra=extra))
        rig: dict[str, Any] = {key: np.asarray(value, dtype=np.int64) if key == "trigger_times_ns" else value
                               for key, value in (self.run_end.rig if self.run_end is not None else {}).items()}
        with h5py.File(self.path, "r") as file:  # the per-frame columns as stored
            groups = layout.detector_groups(file)
            stamps = [group["device_timestamp"][:] for group in groups]
            hosts = [group["host_timestamp"][:] for group in groups]
            counters = [group[f"{layout.CHUNK_PREFIX}CounterValue"][:] if
                        f"{layout.CHUNK_PREFIX}CounterValue" in group else None for group in groups]
        estimated = []
        for index, fitted in enumerate(fits):
            times = fitted.host_time(stamps[index]) if fitted is not None else hosts[index].astype(np.int64)
            estimated.append(times)
            if fitted is not None:
                detectors[index].extra[schema.HOST_TIME_ESTIMATED] = times
        if self.run_start.rig is not None and len(groups) > 1:
            rig.update(self._matching(estimated, counters))
        return detectors, rig

    def _matching(self, times: list[np.ndarray], counters: list[np.ndarray | None]) -> dict[str, Any]:
        assert self.run_start is not None and self.run_start.rig is not None
        mode = str(self.run_start.rig.get("sync", "free-run"))
        cameras = [matching.CameraTimes(name=camera.name, times_ns=times[index], counters=counters[index])
                   for index, camera in enumerate(self.run_start.cameras)]
        triggers = times[0]
        trigger_counters = counters[0]
        leader: int | None = 0
        if mode == "software" and self.run_end is not None and "trigger_times_ns" in self.run_end.rig:
            triggers = np.asarray(self.run_end.rig["trigger_times_ns"], dtype=np.int64)
            trigger_counters = np.arange(1, triggers.size + 1)  # the k-th broadcast: every counter's k-th trigger
            leader = None
        result = matching.match(triggers, cameras, mode=mode, trigger_counters=trigger_counters, leader=leader)
        self.match_summary = result.summary
        return {"matching": result.table, "matching_doubtful": result.doubtful.astype(np.int8),
                "matching_summary": result.summary}

    def _make_result(self, status: str, error: str | None) -> RecordingResult:
        stats = self.stats
        duration = (self._t_end or time.monotonic()) - self._t0
        size = self.path.stat().st_size if self.path.exists() else 0
        first = stats.cameras[0] if stats.cameras else None
        # By the first camera's device clock, or the host's where that clock does not advance (layout.rate_clock).
        rate = 0.0
        if first is not None and (start := self._first_times[0]) is not None and (end := self._last_times[0]):
            pick = 0 if layout.rate_clock(start[0], end[0]) == "device" else 1
            rate = layout.frame_rate(first.written, start[pick], end[pick])
        return RecordingResult(path=self.path, frames_written=stats.written, frames_lost=stats.lost,
                               frames_incomplete=stats.incomplete, duration_s=duration, mean_fps=rate,
                               mb_per_s=stats.bytes_raw / duration / 1e6 if duration > 0 else 0.0,
                               file_bytes=size, status=status, error=error, warnings=tuple(self.warnings),
                               max_stall_s=self.engine.max_poll_gap_s(),
                               cameras=tuple(camera.counters() for camera in stats.cameras)
                               if len(stats.cameras) > 1 else (),
                               matching=self.match_summary)

    def _error_for(self, write_error: BaseException | None, acquire_error: BaseException | None,
                   problems: list[BaseException]) -> BaseException | None:
        result = self.result
        if write_error is not None:
            if isinstance(write_error, RecordingError) and not is_disk_full(write_error):
                kind: type[RecordingError] = type(write_error)
            else:
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
    if isinstance(error, AceGentlError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def record(source: Any, path: str | os.PathLike[str], *, progress: bool = False,
           **options: Any) -> RecordingResult:
    """Record and block until done (see :class:`Recorder` for the options)."""
    recorder = Recorder(source, path, **options)
    recorder.start()
    return recorder.wait(progress=progress)


__all__ = ["DEFAULT_QUEUE_BYTES", "DEFAULT_RESERVE_BYTES", "Recorder", "RecordingResult", "record"]
