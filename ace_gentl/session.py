"""The Session: one opened camera, its features, its frames; and :func:`open` to get one."""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path
from collections.abc import Iterator, Mapping
from typing import Any

from genicam import gentl
from harvesters.core import Device, ImageAcquirer, ParameterKey, ParameterSet

from ace_gentl import backend, devices, snapshot, transport
from ace_gentl.errormap import genicam_reason, gentl_errors
from ace_gentl.errors import (
    AceGentlError,
    DeviceBusyError,
    DeviceError,
    SessionClosedError,
    UnknownFeatureError,
    add_note,
)
from ace_gentl.features import FeatureInfo, FeatureMap, FeatureValue
from ace_gentl.frames import Frame, Stream
from ace_gentl.naming import Resolution
from ace_gentl.recording import recorder as recorder_mod
from ace_gentl.recording.recorder import Recorder, RecordingResult
from ace_gentl.sim import devicexml

_ACCESS_FLAGS = {
    "exclusive": gentl.DEVICE_ACCESS_FLAGS_LIST.DEVICE_ACCESS_EXCLUSIVE,
    "control": gentl.DEVICE_ACCESS_FLAGS_LIST.DEVICE_ACCESS_CONTROL,
    "read_only": gentl.DEVICE_ACCESS_FLAGS_LIST.DEVICE_ACCESS_READONLY,
}
#: Chunk features that configure chunks rather than carry per-frame values.
_CHUNK_CONTROLS = frozenset({"ChunkModeActive", "ChunkSelector", "ChunkEnable"})
#: Chunk selectors (ChunkGainSelector, ChunkCounterSelector, ...) pick a chunk value; they are not one.
_CHUNK_SELECTOR_SUFFIX = "Selector"
#: Seconds added to three frame periods for the default frame timeout.
TIMEOUT_MARGIN_S = 2.0


def _release(ia: ImageAcquirer | None, loaded: transport.LoadedProducer) -> None:
    """Free everything a Session holds; safe to call from a weakref finalizer (no Session reference)."""
    try:
        if ia is not None:
            with gentl_errors("closing the camera"):
                backend.destroy_acquirer(ia)
    finally:
        transport.release(loaded)


class Session:
    """An opened camera. Get one with :func:`ace_gentl.open`; close it (or use ``with``)."""

    _own_attributes = frozenset({"features", "device_features", "stream_features", "system_features",
                                 "interface_features", "device"})

    def __init__(self, found: transport.FoundDevice, *, device_xml: str | os.PathLike[str] | None = None,
                 access: str = "exclusive") -> None:
        record = devices.record_of(found)
        object.__setattr__(self, "device", record)  # identity of the camera: vendor, model, serial, ...
        object.__setattr__(self, "_open_options", {"device_xml": device_xml, "access": access})
        flags = _ACCESS_FLAGS.get(access)
        try:
            if flags is None:
                raise ValueError(f"access must be one of {', '.join(_ACCESS_FLAGS)}, not {access!r}")
            xml = devicexml.check(Path(device_xml)) if device_xml is not None else None
        except (ValueError, AceGentlError):
            transport.release(found.producer)
            raise
        raw_device = found.info.create_device()
        try:
            raw_device.open(flags)
        except (gentl.AccessDeniedException, gentl.ResourceInUseException, gentl.BusyException) as error:
            transport.release(found.producer)
            raise DeviceBusyError(f"{record}: cannot open it, the camera is in use by another process or "
                                  f"Session (access status {record.access_status}; the producer says: "
                                  f"{genicam_reason(error)})") from error
        except gentl.GenericException as error:
            transport.release(found.producer)
            raise DeviceError(f"{record}: cannot open it: {genicam_reason(error)}") from error
        ia: ImageAcquirer | None = None
        try:
            with gentl_errors(f"{record}: setting up the camera"):
                device = Device(module=raw_device, parent=found.interface)
                config = None
                if xml is not None and devicexml.is_simulator(device.node_map):
                    devicexml.serve(device.node_map, xml)  # the simulated camera serves it (register memory)
                elif xml is not None:  # any other camera: Harvesters loads it instead of the device's own
                    config = ParameterSet({ParameterKey.REMOTE_DEVICE_SOURCE_XML_FILE_PATH: str(xml)})
                ia = backend.create_acquirer(device, config)
        except BaseException:
            if ia is None and raw_device.is_open():
                raw_device.close()
            transport.release(found.producer)
            raise
        object.__setattr__(self, "_ia", ia)
        object.__setattr__(self, "_finalizer", weakref.finalize(self, _release, ia, found.producer))
        # One lock for every node map of the camera and its stream (features._serialise says why).
        lock = threading.RLock()
        object.__setattr__(self, "_node_lock", lock)
        object.__setattr__(self, "_stream", Stream(ia, self._read_chunks, lock))
        streaming = lambda: self._stream.running  # noqa: E731 (keeps the FeatureMaps free of Session refs)
        object.__setattr__(self, "features", FeatureMap(ia.remote_device.node_map, "camera", neutral=True,
                                                        streaming=streaming, lock=lock))
        object.__setattr__(self, "device_features", FeatureMap(ia.device.node_map, "GenTL Device module", lock=lock))
        object.__setattr__(self, "stream_features", FeatureMap(ia.data_streams[0].node_map, "GenTL DataStream module",
                                                               lock=lock))
        object.__setattr__(self, "system_features", FeatureMap(ia.system.node_map, "GenTL System module", lock=lock))
        object.__setattr__(self, "interface_features", FeatureMap(ia.interface.node_map, "GenTL Interface module",
                                                                  lock=lock))
        object.__setattr__(self, "_chunk_names", None)
        # A simulated camera serving a foreign XML: its frames follow the node map's shape at each start.
        object.__setattr__(self, "_frames_from_model", devicexml.serves_register_memory(ia.device.node_map))

    # --- life cycle ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Stop acquisition, close the camera and release the producer. Idempotent."""
        if self.closed:
            return
        try:
            self._stream.stop()
        finally:
            self._finalizer()

    def reopen(self) -> bool:
        """Open the camera again after it was lost: True once it is back (same serial, same producer).

        One attempt, without waiting; call it again until it succeeds or you give up. The Session
        object stays the same; its features, stream and node maps are new. Settings are the
        camera's own after a power cycle: apply a snapshot to restore a run's.
        """
        serial, producer = self.device.serial, self.device.producer
        if not self.closed:
            try:
                self._stream.stop()
            except AceGentlError:  # the camera is gone: nothing to stop
                pass
            try:
                self._finalizer()
            except AceGentlError:
                pass
        try:
            scan = devices.scan([producer], sim=False, env=False)
        except AceGentlError:
            return False
        matches = [found for found in scan.found if devices.record_of(found).serial == serial]
        if not matches:
            scan.release()
            return False
        scan.release(keep=matches[0].producer)
        try:
            Session.__init__(self, matches[0], **self._open_options)
        except DeviceError:  # listed again but not ready to be opened (busy, powering up)
            return False
        return True

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("streaming" if self._stream.running else "open")
        return f"<Session {self.device} ({state})>"

    @property
    def raw(self) -> ImageAcquirer:
        """The Harvesters ImageAcquirer underneath, for anything the Session does not wrap."""
        self._check_open()
        return self._ia

    def _check_open(self) -> None:
        if self.closed:
            raise SessionClosedError(f"{self.device}: the Session is closed")

    # --- features ------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not attributes: CamelCase names are camera features.
        if name[:1].isupper():
            self._check_open()
            try:
                return self.features[name]
            except UnknownFeatureError as error:
                raise AttributeError(str(error)) from error
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name[:1].isupper():
            self._check_open()
            self.features[name] = value
            return
        raise AttributeError(f"cannot set {name!r} on a Session; camera features are CamelCase")

    def __dir__(self) -> list[str]:
        names = list(super().__dir__())
        if not self.closed:
            names += list(self.features)
        return names

    def get(self, name: str, **selectors: FeatureValue) -> FeatureValue:
        """A feature's value, optionally under selectors: ``get("LineMode", LineSelector="Line3")``."""
        self._check_open()
        return self.features.read(name, **selectors)

    def set(self, name: str, value: FeatureValue, **selectors: FeatureValue) -> None:
        self._check_open()
        self.features.write(name, value, **selectors)

    def execute(self, name: str, **selectors: FeatureValue) -> None:
        self._check_open()
        self.features.execute(name, **selectors)

    def describe(self, name: str) -> FeatureInfo:
        self._check_open()
        return self.features.describe(name)

    def resolve(self, name: str) -> Resolution:
        """Which node serves ``name`` (an SFNC name may map onto an older one) and how it converts."""
        self._check_open()
        return self.features.resolution(name)

    @property
    def names_used(self) -> dict[str, str]:
        """SFNC name -> older node name, for every neutral name this Session had to map."""
        return dict(self.features.used_names)

    # --- settings ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every readable feature (each selected variant too) as a versioned, JSON-serialisable dict."""
        self._check_open()
        return snapshot.capture(self.features, self.device)

    def apply(self, settings: Mapping[str, Any]) -> None:
        """Set a snapshot or a {name: value} mapping in a safe order; ApplyError lists every failure."""
        self._check_open()
        snapshot.apply(self.features, settings)

    def load_user_set(self, name: str) -> None:
        """Load a stored user set (``UserSetSelector`` + ``UserSetLoad``)."""
        self._user_set_command("UserSetLoad", name)

    def save_user_set(self, name: str) -> None:
        """Store the current settings in a user set (``UserSetSelector`` + ``UserSetSave``)."""
        self._user_set_command("UserSetSave", name)

    @property
    def default_user_set(self) -> str:
        """The user set loaded at power-up (SFNC ``UserSetDefault``, older ``UserSetDefaultSelector``)."""
        self._check_open()
        for name in ("UserSetDefault", "UserSetDefaultSelector"):
            if name in self.features:
                return str(self.features[name])
        raise UnknownFeatureError("UserSetDefault", self.features.closest("UserSetDefault"))

    def set_default_user_set(self, name: str) -> None:
        self._check_open()
        for feature in ("UserSetDefault", "UserSetDefaultSelector"):
            if feature in self.features:
                self.features[feature] = name
                return
        raise UnknownFeatureError("UserSetDefault", self.features.closest("UserSetDefault"))

    def _user_set_command(self, command: str, name: str) -> None:
        self._check_open()
        if "UserSetSelector" in self.features.selectors_of(command):
            self.features.execute(command, UserSetSelector=name)
        else:  # many cameras do not declare UserSetSelector as the commands' selector
            self.features["UserSetSelector"] = name
            self.features.execute(command)

    # --- frames --------------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return not self.closed and self._stream.running

    @property
    def stream(self) -> Stream:
        """The acquisition stream: start / halt / stop, zero-copy ``fetch``, the producer's counters."""
        self._check_open()
        return self._stream

    def start(self, num_buffers: int | None = None) -> None:
        """Start acquisition (``grab`` and ``frames`` do this themselves when needed)."""
        self._check_open()
        self._prepare_stream()
        self._stream.start(num_buffers)

    def _prepare_stream(self) -> None:
        if self._frames_from_model and not self._stream.running:
            devicexml.match_frames(self)

    def stop(self) -> None:
        self._check_open()
        self._stream.stop()

    def default_timeout(self) -> float:
        """Seconds to wait for a frame: 3 frame periods plus exposure plus a margin."""
        period = 0.0
        for name in ("ResultingFrameRate", "AcquisitionFrameRate"):
            rate = self.features.value_or(name)
            if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0:
                period = 1.0 / float(rate)
                break
        exposure = self.features.value_or("ExposureTime")
        exposure_s = float(exposure) * 1e-6 if isinstance(exposure, (int, float)) and exposure > 0 else 0.0
        return TIMEOUT_MARGIN_S + 3 * period + exposure_s

    def frames(self, timeout: float | None = None, *, copy: bool = True,
               count: int | None = None) -> Iterator[Frame]:
        """Yield frames as they arrive (starting acquisition if needed, stopping it at the end).

        ``timeout`` (s) bounds the wait for each frame; AcquisitionTimeout is raised on time.
        With ``copy=False`` each frame holds its buffer until ``frame.release()``.
        """
        self._check_open()
        wait = self.default_timeout() if timeout is None else float(timeout)
        started_here = not self._stream.running
        self._prepare_stream()
        self._stream.start()
        failure: Exception | None = None
        try:
            delivered = 0
            while count is None or delivered < count:
                frame = self._stream.fetch(wait, copy=copy)
                delivered += 1
                yield frame
        except Exception as error:
            failure = error
            raise
        finally:
            if started_here and not self.closed:
                if failure is None:
                    self._stream.stop()
                else:
                    try:
                        self._stream.stop()
                    except AceGentlError as stop_error:  # the first error is the one that matters; keep both
                        add_note(failure, f"stopping acquisition afterwards failed too: {stop_error}")

    def grab(self, n: int = 1, timeout: float | None = None) -> list[Frame]:
        """``n`` copied frames (acquisition is started and stopped around them if it was not running)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        return list(self.frames(timeout, copy=True, count=n))

    def trigger(self) -> None:
        """Fire a software trigger (``TriggerSoftware``; selected by ``TriggerSelector`` on most cameras)."""
        self.execute("TriggerSoftware")

    def record(self, path: str | os.PathLike[str], *, progress: bool = False, **options: Any) -> RecordingResult:
        """Record to NeXus/HDF5 and block: ``frames=N`` or ``duration=seconds``, ``compression=...``,
        ``chunks=...``; returns a ``RecordingResult``. Ctrl-C finishes the file, then re-raises."""
        self._check_open()
        return recorder_mod.record(self, path, progress=progress, **options)

    def recorder(self, path: str | os.PathLike[str], **options: Any) -> Recorder:
        """A ``Recorder`` for a background recording (``start()``, ``progress``, ``stop()``, ``wait()``)."""
        self._check_open()
        return Recorder(self, path, **options)

    def _read_chunks(self) -> dict[str, FeatureValue]:
        features = self.features
        if not features.value_or("ChunkModeActive", False):
            return {}
        if self._chunk_names is None:
            object.__setattr__(self, "_chunk_names",
                               [n for n in features if n.startswith("Chunk") and n not in _CHUNK_CONTROLS
                                and not n.endswith(_CHUNK_SELECTOR_SUFFIX)])
        values: dict[str, FeatureValue] = {}
        for name in self._chunk_names:
            # Only chunks enabled and present in this buffer are readable; a failing formula skips one value.
            if not features.is_readable(name):
                continue
            value = features.value_or(name)
            if value is not None:
                values[name.removeprefix("Chunk")] = value
        return values


def open(*, serial: str | None = None, model: str | None = None, user_id: str | None = None,  # noqa: A001
         index: int | None = None, cti: devices.CtiArg = None, sim: bool = False, env: bool | None = None,
         device_xml: str | os.PathLike[str] | None = None, access: str = "exclusive") -> Session:
    """Open one camera and return its :class:`Session` (a context manager).

    Producers searched: ``cti`` (one path or several), the simulated camera if ``sim``, and
    the folders of ``GENICAM_GENTL64_PATH`` (by default only when neither ``cti`` nor ``sim``
    is given). ``device_xml`` (a GenICam .xml or .zip): the simulated camera serves it as its own
    (any camera's node map over a register memory; frames still come from the simulator); any
    other camera's description file is replaced by it on this side (for cameras with a broken XML).
    """
    use_env = (cti is None and not sim) if env is None else env
    scan = devices.scan(cti, sim=sim, env=use_env)
    try:
        if not scan.held and scan.errors:
            # Nothing could be loaded at all: the producer problem is the error.
            raise scan.errors[0]
        chosen = devices.choose(scan.found, scan.errors, serial=serial, model=model, user_id=user_id, index=index)
    except AceGentlError:
        scan.release()
        raise
    scan.release(keep=chosen.producer)
    return Session(chosen, device_xml=device_xml, access=access)


def list_devices(cti: devices.CtiArg = None, *, sim: bool = False, env: bool | None = None) -> devices.DeviceList:
    """Every camera the producers report (same producer search as :func:`open`)."""
    use_env = (cti is None and not sim) if env is None else env
    return devices.list_devices(cti, sim=sim, env=use_env)


__all__ = ["Session", "list_devices", "open"]
