"""One camera driven in batches of frames into one ace_gentl recording at a time.

This is the synchronous core that both front ends share: :class:`~ace_gentl.bluesky.GenTLDetector`
(ophyd-async, in the same process) runs it in a worker thread, and the Tango device server
(``ace-gentl serve --tango``) runs it behind its commands. It imports neither ophyd-async nor
Tango.

A *file* is one ace_gentl recording (the same NeXus file, metadata, speed and loss accounting
as ``session.record``). Within a file the camera takes *batches*: a step scan asks for one
batch per point, a fly scan for one batch of all its frames. The camera streams only while a
batch is open, so frames are never taken between points (free-run) and triggers between
points are ignored (triggered modes).

The Recorder pulls frames from a :class:`BatchEngine` (the recording engine protocol); finishing
the file ends the engine's frames, and the Recorder closes the file with every frame taken.
"""

from __future__ import annotations

import enum
import logging
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import ace_gentl
from ace_gentl.errors import AceGentlError, AcquisitionTimeout, RecordingConfigError, RecordingError
from ace_gentl.frames import Frame
from ace_gentl.recording import Recorder, RecordingResult, layout
from ace_gentl.recording.camera_engine import CameraEngine
from ace_gentl.recording.engine import Record, RunEnd, RunStart
from ace_gentl.session import Session

log = logging.getLogger(__name__)

#: Longest single wait for a frame, so a finish request is seen promptly.
WAIT_SLICE_S = 0.1
#: Trigger selectors that can gate frames; each is switched off unless the mode uses it.
TRIGGER_SELECTORS = ("FrameStart", "FrameBurstStart")


class TriggerMode(str, enum.Enum):
    """How frames are started (the names of ophyd-async's DetectorTrigger, in lower case)."""

    INTERNAL = "internal"  # the camera's own clock, from the opening of a batch
    EDGE = "edge"  # one frame per rising edge on the trigger line, exposure ExposureTime
    LEVEL = "level"  # exposure from the rising to the falling edge (ExposureMode TriggerWidth)


@dataclass(frozen=True)
class TriggerSetup:
    """The trigger part of a prepare: mode, exposure and period (seconds), input line."""

    mode: TriggerMode = TriggerMode.INTERNAL
    livetime_s: float = 0.0  # exposure; 0 keeps the camera's ExposureTime (not used in LEVEL)
    deadtime_s: float = 0.0  # INTERNAL: gap between exposures; 0 = as fast as the camera goes
    line: str = "Line1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", TriggerMode(self.mode))
        for name in ("livetime_s", "deadtime_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise RecordingConfigError(f"{name} must be a finite number of seconds >= 0, not {value!r}")


@dataclass(frozen=True)
class FileInfo:
    """What a reader of the file needs before the first frame: where each dataset is and its type."""

    path: Path
    group: str  # HDF5 path of the NXdetector, e.g. /entry/instrument/acA4112_20um
    frame_shape: tuple[int, ...]
    frame_dtype: str  # numpy dtype string, e.g. "|u1"
    fields: dict[str, str] = field(default_factory=dict)  # per-frame dataset name -> numpy dtype string

    @property
    def data_path(self) -> str:
        return f"{self.group}/data"


class BatchEngine:
    """Frames of the batches opened with :meth:`request`, for a Recorder (the engine protocol).

    Everything else — metadata, geometry, chunk fields, buffers, events, clock readings — is the
    Recorder's own camera engine's. The stream runs only while a batch is open. The iteration ends
    when the file is finished, so the Recorder ends the file cleanly right after the last frame.
    """

    def __init__(self, session: Session, *, num_buffers: int | None = None) -> None:
        self.session = session
        self._camera = CameraEngine(session, num_buffers=num_buffers)
        self._cond = threading.Condition()
        self._requested = 0  # frames asked for, all batches of the file
        self._taken = 0  # frames taken from the camera
        self._finishing = False
        self.cut_short = False  # a batch was cancelled before all its frames came

    # --- the Engine protocol (called by the Recorder) ----------------------------------------

    def geometry(self) -> layout.Geometry | None:
        return self._camera.geometry()

    def chunk_fields(self) -> tuple[list[layout.Field], dict[str, Any]]:
        return self._camera.chunk_fields()

    def begin(self) -> RunStart:
        return self._camera.begin()

    def frames(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, Frame]]:
        failing = False
        try:
            while True:
                frame = self._take(cancelled)
                if frame is None:  # finishing (or cancelled), and no frame is on its way
                    return
                yield 0, frame
        except BaseException:
            failing = True
            raise
        finally:
            try:
                self._stop_stream()
            except AceGentlError:
                if not failing:  # a lost camera fails to stop too: the first error is the one to keep
                    raise

    def records(self) -> list[Record]:
        return self._camera.records()

    def leader_done(self) -> None:
        self._camera.leader_done()

    def halt(self) -> None:
        self._camera.halt()

    def end(self) -> RunEnd:
        return self._camera.end()

    def stop(self) -> None:
        self._stop_stream()

    def waiting_for(self) -> str:
        return self._camera.waiting_for() if self.batch_open else "the next batch"

    def max_poll_gap_s(self) -> float:
        return self._camera.max_poll_gap_s()

    # --- control (any thread) ----------------------------------------------------------------

    def request(self, frames: int) -> None:
        """Open a batch of ``frames`` more frames."""
        with self._cond:
            self._requested += frames
            self._cond.notify_all()

    def cancel(self) -> int:
        """Close the open batch where it stands; returns how many of its frames did not come."""
        with self._cond:
            missing = self._requested - self._taken
            self._requested = self._taken
            self.cut_short = self.cut_short or missing > 0
            self._cond.notify_all()
            return missing

    def finish(self) -> None:
        """No more frames: the Recorder writes what it has and closes the file."""
        with self._cond:
            self._finishing = True
            self._cond.notify_all()

    @property
    def taken(self) -> int:
        return self._taken

    @property
    def requested(self) -> int:
        return self._requested

    @property
    def batch_open(self) -> bool:
        return self._taken < self._requested

    # --- inside ------------------------------------------------------------------------------

    def _take(self, cancelled: Callable[[], bool]) -> Frame | None:
        """The next frame of the open batch; None once finishing. Waits while no batch is open."""
        while True:
            with self._cond:
                idle = not self._finishing and self._taken >= self._requested
            if idle:  # between batches the camera does not stream: no frame, no trigger, is taken
                self._stop_stream()
                with self._cond:
                    while not self._finishing and self._taken >= self._requested and not cancelled():
                        self._cond.wait(WAIT_SLICE_S)
            with self._cond:
                if self._finishing:
                    return None
            if cancelled():
                return None
            if not self.session.streaming:
                self._camera.start_acquisition()
            try:
                frame = self._camera.take(lambda: cancelled() or self._finishing or not self.batch_open,
                                          WAIT_SLICE_S)
            except AcquisitionTimeout:
                continue
            if frame is None:
                continue
            with self._cond:
                if self._taken < self._requested:
                    self._taken += 1
                    return frame
            frame.release()  # the batch was cancelled while this frame was on its way

    def _stop_stream(self) -> None:
        if not self.session.closed and self.session.streaming:
            self.session.stop()


class CameraController:
    """A camera, its trigger set-up, and the file being recorded. Not thread-safe: one caller thread.

    ``selection`` is what :func:`ace_gentl.open` takes; ``recorder_options`` go to the Recorder
    (``compression``, ``queue_bytes``, ``workers``, ``overwrite``, ...).
    """

    def __init__(self, selection: Mapping[str, Any] | None = None, *, session: Session | None = None,
                 recorder_options: Mapping[str, Any] | None = None, num_buffers: int | None = None) -> None:
        self.selection = dict(selection or {})
        self.session: Session | None = session
        self._owns_session = session is None
        self.recorder_options = dict(recorder_options or {})
        for reserved in ("frames", "duration", "engine"):
            if reserved in self.recorder_options:
                raise RecordingConfigError(f"recorder option {reserved!r} is decided by the batches; "
                                           f"allowed: compression, chunks, queue_bytes, workers, overwrite, ...")
        self.num_buffers = num_buffers
        self.trigger = TriggerSetup()
        self.file: FileInfo | None = None
        self.last_result: RecordingResult | None = None
        self.last_error: str = ""
        self._engine: BatchEngine | None = None
        self._recorder: Recorder | None = None
        self._collected = 0  # never decreases within a file

    # --- the camera ------------------------------------------------------------------------

    def open(self) -> Session:
        if self.session is None or self.session.closed:
            self.session = ace_gentl.open(**self.selection)
            self._owns_session = True
        return self.session

    def close(self) -> None:
        try:
            self.finish_file()
        finally:
            if self.session is not None and self._owns_session:
                self.session.close()

    @property
    def camera(self) -> Session:
        if self.session is None or self.session.closed:
            raise ace_gentl.SessionClosedError("the camera is not open (connect the detector first)")
        return self.session

    def feature(self, name: str) -> Any:
        return self.camera.features[name]

    def set_feature(self, name: str, value: Any) -> Any:
        self.camera.features[name] = value
        return self.camera.features[name]

    def enable_chunks(self, names: tuple[str, ...]) -> None:
        """Append these chunks to every frame (``ChunkEnable[ChunkSelector=name]``); each becomes a
        per-frame dataset ``chunk_<name>`` (``ExposureTime`` also gives ``count_time`` per frame)."""
        if not names:
            return
        camera = self.camera
        allowed = [str(entry) for entry in camera.features.selector_values("ChunkSelector")]
        unknown = [name for name in names if name not in allowed]
        if unknown:
            raise RecordingConfigError(f"chunks {unknown} are not offered by this camera; allowed: {', '.join(allowed)}")
        camera.features["ChunkModeActive"] = True
        for name in names:
            camera.set("ChunkEnable", True, ChunkSelector=name)

    def sim_pulses(self, line: str, frequency_hz: float) -> None:
        """Simulated camera only: a pulse train on an input line (its Device-module SimLine* controls)."""
        device = self.camera.device_features
        if "SimLinePulseFrequency" not in device:
            raise RecordingConfigError(f"{self.camera.device}: not a simulated camera (no SimLinePulseFrequency)")
        device["SimLineSelector"] = line
        device["SimLinePulseFrequency"] = float(frequency_hz)

    def readout_time_s(self) -> float:
        """Time the sensor needs between two exposures (deadtime for external triggers).

        SensorReadoutTime where the camera has it (conservative: it assumes no overlap of
        exposure and readout); else the frame period left over by the exposure.
        """
        features = self.camera.features
        if "SensorReadoutTime" in features and features.is_readable("SensorReadoutTime"):
            return float(features["SensorReadoutTime"]) * 1e-6
        if "ResultingFrameRate" in features and features.is_readable("ResultingFrameRate"):
            rate = float(features["ResultingFrameRate"])
            exposure = float(features["ExposureTime"]) * 1e-6 if "ExposureTime" in features else 0.0
            return max(1.0 / rate - exposure, 0.0) if rate > 0 else 0.0
        return 0.0

    # --- triggers ------------------------------------------------------------------------------

    def configure(self, setup: TriggerSetup) -> None:
        """Set the camera up for ``setup`` (between batches; the camera is not streaming then)."""
        if self._engine is not None and self._engine.batch_open:
            raise RecordingError("cannot change the trigger set-up while a batch of frames is being taken")
        features = self.camera.features
        mode = setup.mode
        for selector in TRIGGER_SELECTORS:
            if "TriggerSelector" in features and selector in features.selector_values("TriggerSelector"):
                wanted = "On" if (mode is not TriggerMode.INTERNAL and selector == "FrameStart") else "Off"
                self.camera.set("TriggerMode", wanted, TriggerSelector=selector)
        if mode is TriggerMode.INTERNAL and "TriggerSelector" not in features and "TriggerMode" in features:
            features["TriggerMode"] = "Off"
        if mode is not TriggerMode.INTERNAL:
            self.camera.set("TriggerSource", setup.line, TriggerSelector="FrameStart")
            self.camera.set("TriggerActivation", "RisingEdge", TriggerSelector="FrameStart")
        if "ExposureMode" in features:
            features["ExposureMode"] = "TriggerWidth" if mode is TriggerMode.LEVEL else "Timed"
        if setup.livetime_s and mode is not TriggerMode.LEVEL:
            features["ExposureTime"] = setup.livetime_s * 1e6
        if "AcquisitionFrameRateEnable" in features:
            limit = mode is TriggerMode.INTERNAL and setup.deadtime_s > 0
            features["AcquisitionFrameRateEnable"] = limit
            if limit:
                exposure_s = setup.livetime_s or float(features["ExposureTime"]) * 1e-6
                features["AcquisitionFrameRate"] = 1.0 / (exposure_s + setup.deadtime_s)
        self.trigger = setup

    # --- the file ------------------------------------------------------------------------------

    def begin_file(self, path: str | Path, *, create_dirs: bool = False, title: str = "") -> FileInfo:
        """Decide the file of the next batches (created at the first batch); finishes the previous one."""
        self.finish_file()
        target = Path(path)
        if not target.parent.is_dir():
            if not create_dirs:
                raise RecordingConfigError(f"{target.parent} does not exist (create it, or let the path "
                                           f"provider create it with create_dir_depth)")
            target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not self.recorder_options.get("overwrite", False):
            raise RecordingConfigError(f"{target} exists; give the path provider a new file name "
                                       f"(or recorder_options={{'overwrite': True}})")
        session = self.camera
        engine = BatchEngine(session, num_buffers=self.num_buffers)
        geometry = engine.geometry()
        if geometry is None:
            raise RecordingConfigError(f"{session.device}: its node map does not say the frames' PixelFormat, "
                                       f"Width and Height, which a Bluesky file describes before the first frame")
        chunk_fields, _ = engine.chunk_fields()
        fields = {f.name: np.dtype(f.dtype).str for f in (*layout.BASE_FIELDS, *chunk_fields)}
        group = f"/entry/instrument/{layout.nexus_name(session.device.model)}"
        options: dict[str, Any] = dict(self.recorder_options)
        if title:
            options["title"] = title
        self._recorder = Recorder(engine, target, **options)
        self._engine = engine
        self._collected = 0
        self.last_result, self.last_error = None, ""
        self.file = FileInfo(path=target, group=group, frame_shape=tuple(geometry.shape),
                             frame_dtype=geometry.dtype.str, fields=fields)
        return self.file

    def open_batch(self, frames: int) -> None:
        """Take ``frames`` more frames into the file (starts the recording at the first batch)."""
        if frames < 1:
            raise RecordingConfigError(f"a batch needs at least 1 frame, not {frames}")
        if self._recorder is None or self._engine is None:
            raise RecordingError("no file to record into: begin_file() first")
        if self._engine.batch_open:
            raise RecordingError(f"a batch is still being taken ({self._engine.requested - self._engine.taken} "
                                 f"frames to come)")
        if not self._recorder.running and self._recorder.result is None:
            self._engine.request(frames)
            try:
                self._recorder.start()
            except BaseException:
                self._recorder, self._engine, self.file = None, None, None
                raise
            return
        self._raise_if_failed()
        self._engine.request(frames)

    @property
    def batch_open(self) -> bool:
        return self._engine is not None and self._engine.batch_open

    @property
    def file_open(self) -> bool:
        """A file was begun and not finished yet (``file`` keeps describing the last one after)."""
        return self._recorder is not None

    def cancel_batch(self) -> int:
        """Stop taking frames for the open batch; returns how many did not come."""
        return self._engine.cancel() if self._engine is not None else 0

    def frames_collected(self) -> int:
        """Frames of this file taken and written (never decreases within a file)."""
        if self._recorder is None or self._engine is None:
            return self._collected
        written = self._recorder.progress.frames_written
        self._collected = max(self._collected, min(written, self._engine.taken))
        return self._collected

    def frames_lost(self) -> int:
        return self._recorder.progress.frames_lost if self._recorder is not None else 0

    @property
    def recording(self) -> bool:
        return self._recorder is not None and self._recorder.running

    def failure(self) -> str | None:
        """Why the file's recording ended on its own (camera lost, disk full, ...), or None."""
        recorder = self._recorder
        if recorder is None or recorder.running or recorder.result is None:
            return None
        try:
            recorder.wait(0)
        except ace_gentl.AceGentlError as error:
            return str(error)
        return None

    def _raise_if_failed(self) -> None:
        problem = self.failure()
        if problem is not None:
            raise RecordingError(f"{self.file.path if self.file else 'the file'}: the recording already "
                                 f"ended: {problem}")

    def finish_file(self, timeout: float | None = 60.0) -> RecordingResult | None:
        """Close the file; its result, or the run's error.

        A file whose recording never received a frame is closed without an error (the result says 0).
        """
        recorder, engine = self._recorder, self._engine
        if recorder is None or engine is None:
            return None
        self._recorder, self._engine = None, None
        try:
            if recorder.result is None and not recorder.running:  # never started: no file was made
                return None
            if engine.cut_short or engine.batch_open:  # frames were asked for and did not come
                recorder.stop()
            engine.finish()
            try:
                result = recorder.wait(timeout)
            except RecordingError as error:
                if engine.taken == 0:  # finished before the first frame: an empty file, not a fault
                    self.last_result = error.result if isinstance(error.result, RecordingResult) else None
                    return self.last_result
                self.last_error = str(error)
                raise
            self.last_result = result
            self._collected = result.frames_written
            return result
        except ace_gentl.AceGentlError as error:
            self.last_error = str(error)
            raise


__all__ = ["BatchEngine", "CameraController", "FileInfo", "TriggerMode", "TriggerSetup"]
