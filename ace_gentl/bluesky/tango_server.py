"""``ace-gentl serve --tango NAME``: one camera of this host as a Tango device (class ``GenTLCamera``).

The device wraps the same :class:`~ace_gentl.bluesky.controller.CameraController` as the
in-process detector, so a file written through Tango is the same ace_gentl recording. On the
control host :class:`~ace_gentl.bluesky.GenTLTangoDetector` drives it over ophyd-async's Tango
backend.

Attributes: the key camera features (``exposure_time`` in us, ``gain``, ``width``, ``height``,
``pixel_format``), the trigger set-up (``trigger_mode`` internal/edge/level, ``trigger_line``,
``livetime`` and ``deadtime`` in s, ``batch_frames``), the file (``output_path``, ``create_dirs``)
and what the file holds (``frames_written``, ``frames_lost``, ``file_status``, ``last_error``,
``frame_shape``, ``frame_dtype``, ``detector_group``, ``field_names``, ``field_dtypes``).
Commands: ``Configure`` (apply the trigger set-up), ``Arm`` (begin the file at ``output_path``),
``Start`` (take ``batch_frames`` more frames), ``Disarm`` (end the open batch), ``Stop`` (finish
the file). Change events are pushed for ``frames_written``, ``file_status`` and ``State``
(ON: no file; STANDBY: a file, no batch; RUNNING: a batch is being taken; FAULT: the recording
failed, see ``last_error``; ``Stop`` clears it).

Without a Tango database (``-nodb``, tests, one-off use) the device is reached as
``tango://HOST:PORT/NAME#dbase=no``. With one (production) the device must be registered
under server ``GenTLCamera/<instance>`` (``--register`` does it) and ``TANGO_HOST`` names the
database.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import tango
from tango import AttrWriteType, DevState
from tango.server import Device, attribute, command

from ace_gentl.bluesky.controller import CameraController, TriggerMode, TriggerSetup
from ace_gentl.errors import AceGentlError

log = logging.getLogger(__name__)

SERVER_NAME = "GenTLCamera"
#: Seconds between looks at the recording for change events.
WATCH_S = 0.02
#: Frames of an open-ended batch (batch_frames = 0).
UNBOUNDED = 2**62
READY_LINE = "ACE_GENTL_TANGO_READY"


def _tango_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """An ace_gentl error becomes a DevFailed whose description is the error's one line."""

    @functools.wraps(function)  # pytango reads the command's types from the wrapped signature
    def wrapper(self: GenTLCamera, *args: Any) -> Any:
        try:
            return function(self, *args)
        except AceGentlError as error:
            self.last_error_text = str(error)
            tango.Except.throw_exception(type(error).__name__, str(error), f"GenTLCamera.{function.__name__}")

    return wrapper


class GenTLCamera(Device):
    """An ace_gentl camera recording NeXus/HDF5 files in batches of frames."""

    #: Set by :func:`serve` before the server starts: builds the controller for this process's camera.
    controller_factory: Callable[[], CameraController] | None = None

    def init_device(self) -> None:
        super().init_device()
        factory = type(self).controller_factory
        if factory is None:
            raise RuntimeError("GenTLCamera.controller_factory is not set (start the server with serve())")
        self.controller = factory()
        self.last_error_text = ""
        self._trigger_mode = TriggerMode.INTERNAL.value
        self._trigger_line = "Line1"
        self._livetime = 0.0
        self._deadtime = 0.0
        self._batch_frames = 1
        self._output_path = ""
        self._create_dirs = False
        self._lock = threading.RLock()  # commands and the watcher thread
        try:
            self.controller.open()
        except AceGentlError as error:
            self.last_error_text = str(error)
            self.set_state(DevState.FAULT)
            self.set_status(f"the camera could not be opened: {error}")
            raise
        for name in ("frames_written", "file_status", "State"):
            self.set_change_event(name, True, False)
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="ace-gentl-tango-watch", daemon=True)
        with self._lock:
            self._set_state()
        self._watcher.start()

    def delete_device(self) -> None:
        self._stopping.set()
        if getattr(self, "_watcher", None) is not None and self._watcher.is_alive():
            self._watcher.join(2.0)
        try:
            self.controller.close()
        except AceGentlError as error:
            log.error("closing the camera: %s", error)

    # --- state and change events -----------------------------------------------------------

    def _file_status(self) -> str:
        controller = self.controller
        if controller.failure() is not None:
            return "error"
        if controller.file_open:
            return "recording" if controller.recording else "armed"
        if controller.last_result is not None:
            return controller.last_result.status
        return "error" if controller.last_error else ""

    def _current(self) -> tuple[DevState, str, int, str]:
        """State, status text, frames written and file status, from the controller (under ``_lock``)."""
        controller = self.controller
        failure = controller.failure()
        path = controller.file.path if controller.file is not None else ""
        if failure is not None:
            state, status = DevState.FAULT, f"the recording failed: {failure}"
            self.last_error_text = failure
        elif controller.batch_open:
            state, status = DevState.RUNNING, f"taking frames into {path}"
        elif controller.file_open:
            state, status = DevState.STANDBY, f"between batches of {path}"
        else:
            state, status = DevState.ON, f"idle; last file {path}" if path else "idle"
        return state, status, controller.frames_collected(), self._file_status()

    def _set_state(self) -> None:
        """In a command (which holds Tango's device monitor): the state it leaves, at once."""
        state, status, _, _ = self._current()
        self.set_state(state)
        self.set_status(status)

    def _watch(self) -> None:
        # Events are pushed from this thread only, and never while holding _lock: a command holds
        # Tango's device monitor and may wait for _lock, so taking the monitor under _lock could deadlock.
        published: tuple[Any, ...] = (None, None, None, None)
        with tango.EnsureOmniThread():
            while not self._stopping.wait(WATCH_S):
                try:
                    with self._lock:
                        current = self._current()
                    if current == published:
                        continue
                    state, status, frames, file_status = current
                    self.set_state(state)
                    self.set_status(status)
                    if frames != published[2]:
                        self.push_change_event("frames_written", frames)
                    if file_status != published[3]:
                        self.push_change_event("file_status", file_status)
                    if state != published[0]:
                        self.push_change_event("State", state)
                    published = current
                except Exception:  # noqa: BLE001 (the watcher must keep running; the next look retries)
                    log.exception("publishing change events")

    # --- camera features -------------------------------------------------------------------

    def _feature(self, name: str) -> Any:
        with self._lock:
            return self.controller.feature(name)

    def _set(self, name: str, value: Any) -> None:
        with self._lock:
            self.controller.set_feature(name, value)

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="us", label="ExposureTime")
    @_tango_errors
    def exposure_time(self) -> float:
        return float(self._feature("ExposureTime"))

    @exposure_time.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    @_tango_errors
    def exposure_time(self, value: float) -> None:
        self._set("ExposureTime", value)

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="dB", label="Gain")
    @_tango_errors
    def gain(self) -> float:
        return float(self._feature("Gain"))

    @gain.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    @_tango_errors
    def gain(self, value: float) -> None:
        self._set("Gain", value)

    @attribute(dtype=int, access=AttrWriteType.READ_WRITE, label="Width")
    @_tango_errors
    def width(self) -> int:
        return int(self._feature("Width"))

    @width.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    @_tango_errors
    def width(self, value: int) -> None:
        self._set("Width", value)

    @attribute(dtype=int, access=AttrWriteType.READ_WRITE, label="Height")
    @_tango_errors
    def height(self) -> int:
        return int(self._feature("Height"))

    @height.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    @_tango_errors
    def height(self, value: int) -> None:
        self._set("Height", value)

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE, label="PixelFormat")
    @_tango_errors
    def pixel_format(self) -> str:
        return str(self._feature("PixelFormat"))

    @pixel_format.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    @_tango_errors
    def pixel_format(self, value: str) -> None:
        self._set("PixelFormat", value)

    @attribute(dtype=float, unit="s", label="readout time (deadtime between exposures)")
    @_tango_errors
    def readout_time(self) -> float:
        with self._lock:
            return self.controller.readout_time_s()

    @attribute(dtype=str)
    def serial_number(self) -> str:
        return self.controller.camera.device.serial

    @attribute(dtype=str)
    def model(self) -> str:
        return self.controller.camera.device.model

    # --- trigger set-up --------------------------------------------------------------------

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE, doc="internal, edge or level")
    def trigger_mode(self) -> str:
        return self._trigger_mode

    @trigger_mode.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    def trigger_mode(self, value: str) -> None:
        try:
            self._trigger_mode = TriggerMode(value).value
        except ValueError:
            tango.Except.throw_exception("BadValue", f"trigger_mode must be one of "
                                         f"{', '.join(m.value for m in TriggerMode)}, not {value!r}", "trigger_mode")

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE)
    def trigger_line(self) -> str:
        return self._trigger_line

    @trigger_line.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    def trigger_line(self, value: str) -> None:
        self._trigger_line = value

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="s", doc="exposure; 0 keeps ExposureTime")
    def livetime(self) -> float:
        return self._livetime

    @livetime.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    def livetime(self, value: float) -> None:
        self._livetime = value

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="s", doc="internal: gap between exposures")
    def deadtime(self) -> float:
        return self._deadtime

    @deadtime.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    def deadtime(self, value: float) -> None:
        self._deadtime = value

    @attribute(dtype=int, access=AttrWriteType.READ_WRITE, doc="frames per Start; 0 = until Disarm/Stop")
    def batch_frames(self) -> int:
        return self._batch_frames

    @batch_frames.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    def batch_frames(self, value: int) -> None:
        if value < 0:
            tango.Except.throw_exception("BadValue", f"batch_frames must be >= 0, not {value}", "batch_frames")
        self._batch_frames = value

    # --- the file --------------------------------------------------------------------------

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE, doc="the file of the next Arm, as this host sees it")
    def output_path(self) -> str:
        return self._output_path

    @output_path.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    def output_path(self, value: str) -> None:
        self._output_path = value

    @attribute(dtype=bool, access=AttrWriteType.READ_WRITE, doc="Arm creates the file's folder if missing")
    def create_dirs(self) -> bool:
        return self._create_dirs

    @create_dirs.write  # type: ignore[no-redef]  # pytango: the attribute's read and write
    def create_dirs(self, value: bool) -> None:
        self._create_dirs = value

    @attribute(dtype=int, doc="frames of the file written (or, the newest, held to be written)")
    def frames_written(self) -> int:
        return self.controller.frames_collected()

    @attribute(dtype=int)
    def frames_lost(self) -> int:
        return self.controller.frames_lost()

    @attribute(dtype=str, doc="'', armed, recording, stopped, complete or error")
    def file_status(self) -> str:
        return self._file_status()

    @attribute(dtype=str)
    def last_error(self) -> str:
        return self.last_error_text

    @attribute(dtype=(int,), max_dim_x=4)
    def frame_shape(self) -> list[int]:
        return list(self.controller.file.frame_shape) if self.controller.file else []

    @attribute(dtype=str)
    def frame_dtype(self) -> str:
        return self.controller.file.frame_dtype if self.controller.file else ""

    @attribute(dtype=str, doc="HDF5 path of the NXdetector group in the file")
    def detector_group(self) -> str:
        return self.controller.file.group if self.controller.file else ""

    @attribute(dtype=(str,), max_dim_x=256)
    def field_names(self) -> list[str]:
        return list(self.controller.file.fields) if self.controller.file else []

    @attribute(dtype=(str,), max_dim_x=256)
    def field_dtypes(self) -> list[str]:
        return list(self.controller.file.fields.values()) if self.controller.file else []

    # --- commands --------------------------------------------------------------------------

    @command
    @_tango_errors
    def Configure(self) -> None:  # noqa: N802 (Tango command names are CamelCase)
        """Apply trigger_mode, trigger_line, livetime and deadtime to the camera."""
        setup = TriggerSetup(TriggerMode(self._trigger_mode), self._livetime, self._deadtime, self._trigger_line)
        with self._lock:
            self.controller.configure(setup)

    @command
    @_tango_errors
    def Arm(self) -> None:  # noqa: N802
        """Begin the file at output_path (finishing any previous one)."""
        if not self._output_path:
            tango.Except.throw_exception("NoPath", "set output_path before Arm", "Arm")
        with self._lock:
            self.last_error_text = ""
            self.controller.begin_file(Path(self._output_path), create_dirs=self._create_dirs)
            self._set_state()

    @command
    @_tango_errors
    def Start(self) -> None:  # noqa: N802
        """Take batch_frames more frames into the file (nothing if a batch is still open)."""
        with self._lock:
            if not self.controller.batch_open:
                self.controller.open_batch(self._batch_frames or UNBOUNDED)
            self._set_state()

    @command
    @_tango_errors
    def Disarm(self) -> None:  # noqa: N802
        """End the open batch where it stands (the file stays open)."""
        with self._lock:
            self.controller.cancel_batch()
            self._set_state()

    @command
    @_tango_errors
    def Stop(self) -> None:  # noqa: N802
        """Finish the file: the last frame is written, the file closed."""
        with self._lock:
            try:
                self.controller.finish_file()
            finally:
                self._set_state()


def serve(name: str, selection: Mapping[str, Any], *, instance: str | None = None, nodb: bool = False,
          port: int | None = None, host: str | None = None, register: bool = False,
          recorder_options: Mapping[str, Any] | None = None) -> None:
    """Run the device server for one camera until it is killed (blocks).

    ``name`` is the Tango device name (domain/family/member). Without a database (``nodb``)
    ``port`` is required; ``host`` restricts the server to one address (e.g. 127.0.0.1).
    With a database, ``register`` adds the device to server ``GenTLCamera/<instance>`` first.
    """
    if name.count("/") != 2 or not all(name.split("/")):
        raise ValueError(f"the Tango device name must be domain/family/member, not {name!r}")
    instance = instance or name.replace("/", "_")
    # The camera is opened before the server starts: a camera that is missing or busy is one clear
    # error here, not a server that starts without its device.
    controller = CameraController(selection, recorder_options=recorder_options)
    controller.open()
    GenTLCamera.controller_factory = staticmethod(lambda: controller)  # type: ignore[assignment]
    args = [SERVER_NAME, instance]
    if nodb:
        if port is None:
            raise ValueError("without a Tango database (--nodb) give the port (--port)")
        args += ["-nodb", "-dlist", name]
    elif register:
        info = tango.DbDevInfo()
        info.name, info._class, info.server = name, SERVER_NAME, f"{SERVER_NAME}/{instance}"
        tango.Database().add_device(info)
    if port is not None:
        args += ["-ORBendPoint", f"giop:tcp:{host or ''}:{port}"]

    def ready() -> None:
        print(READY_LINE, name, flush=True)

    try:
        tango.server.run((GenTLCamera,), args=args, post_init_callback=ready, raises=True)
    except tango.DevFailed as error:
        reason = error.args[0].desc.strip().splitlines()[0] if error.args else str(error)
        raise AceGentlError(f"the Tango server for {name} stopped: {reason}") from None
    finally:
        controller.close()


__all__ = ["GenTLCamera", "READY_LINE", "SERVER_NAME", "serve"]
