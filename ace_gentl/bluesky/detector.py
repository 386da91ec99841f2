"""``GenTLDetector``: an ophyd-async StandardDetector for an ace_gentl camera in the same process.

Built the way ophyd-async 0.21 assembles its own detectors (SimBlobDetector, AravisDetector): a
:class:`GenTLTriggerLogic`, a :class:`GenTLAcquireLogic` and a :class:`GenTLDataLogic` added with
``add_detector_logics``, the data described by a ``StreamResourceDataProvider`` over the file that
ace_gentl's own Recorder writes. Camera calls block, so each detector runs them in its own worker
thread (one per camera: calls to a camera never overlap) and the RunEngine's loop stays free.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ophyd_async.core import (
    DetectorAcquireLogic,
    DetectorDataLogic,
    DetectorTriggerLogic,
    Device,
    DeviceConnector,
    NotConnectedError,
    PathProvider,
    SignalDict,
    SignalR,
    StandardDetector,
    StreamableDataProvider,
    StreamResourceDataProvider,
    StreamResourceInfo,
    TriggerInfo,
    soft_signal_r_and_setter,
    soft_signal_rw,
)

from ace_gentl.bluesky.controller import CameraController, FileInfo, TriggerMode, TriggerSetup
from ace_gentl.errors import AceGentlError, RecordingError
from ace_gentl.recording import layout

T = TypeVar("T")

#: Frames of an "until stopped" fly scan (TriggerInfo number_of_events=0).
UNBOUNDED = 2**62
#: Seconds between looks at the recording's progress while a batch is open (frames_collected).
POLL_S = 0.02
#: Configuration signals: attribute name -> camera feature. Those the camera lacks are left out.
CONFIG_FEATURES: Mapping[str, str] = {
    "exposure_time": "ExposureTime", "gain": "Gain", "black_level": "BlackLevel",
    "pixel_format": "PixelFormat", "width": "Width", "height": "Height", "offset_x": "OffsetX",
    "offset_y": "OffsetY", "binning_horizontal": "BinningHorizontal", "binning_vertical": "BinningVertical",
    "acquisition_frame_rate_enable": "AcquisitionFrameRateEnable", "acquisition_frame_rate": "AcquisitionFrameRate",
    "resulting_frame_rate": "ResultingFrameRate", "sensor_readout_time": "SensorReadoutTime",
    "exposure_mode": "ExposureMode", "device_temperature": "DeviceTemperature",
}
_DATATYPES: Mapping[str, type] = {"Integer": int, "Float": float, "Boolean": bool, "Enumeration": str, "String": str}


class CameraWorker:
    """A :class:`CameraController` behind one worker thread, with a ``frames_collected`` signal."""

    def __init__(self, controller: CameraController, name: str) -> None:
        self.controller = controller
        self.name = name
        self.batch_frames = 1  # frames of the next batch, set by the trigger logic's prepare
        self.frames_collected, self._set_collected = soft_signal_r_and_setter(int, 0)
        self._executor: ThreadPoolExecutor | None = None
        self._poll: asyncio.Task[None] | None = None

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"ace-gentl-{self.name or 'camera'}")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, *args, **kwargs))

    async def open(self) -> None:
        await self.run(self.controller.open)

    async def close(self) -> None:
        await self._stop_polling()
        try:
            await self.run(self.controller.close)
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    async def configure(self, setup: TriggerSetup, frames: int) -> None:
        await self.run(self.controller.configure, setup)
        self.batch_frames = frames or UNBOUNDED

    async def begin_file(self, path: Path, *, create_dirs: bool) -> FileInfo:
        await self._stop_polling()
        info = await self.run(self.controller.begin_file, path, create_dirs=create_dirs)
        self._set_collected(0)
        return info

    async def open_batch(self) -> None:
        """Open a batch of ``batch_frames`` unless one is still open (external triggers arm at prepare)."""
        if await self.run(lambda: self.controller.batch_open):
            return
        await self.run(self.controller.open_batch, self.batch_frames)
        if self._poll is None or self._poll.done():
            self._poll = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        # Progress is plain counters (no camera call): read it from the loop, not the worker.
        # Only changes are published: observers time out (TriggerInfo.exposure_timeout) when frames stop.
        controller = self.controller
        last = None
        while True:
            count = controller.frames_collected()
            if count != last:
                self._set_collected(count)
                last = count
            await asyncio.sleep(POLL_S)

    async def _stop_polling(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            try:
                await self._poll
            except asyncio.CancelledError:
                pass
            self._poll = None

    async def wait_idle(self) -> None:
        """Until the open batch has all its frames; the recording's error if it ended on its own."""
        while True:
            open_, failure = await self.run(lambda: (self.controller.batch_open, self.controller.failure()))
            if failure is not None:
                raise RecordingError(failure)
            if not open_:
                return
            await asyncio.sleep(POLL_S)

    async def cancel_batch(self) -> None:
        await self.run(self.controller.cancel_batch)

    async def finish_file(self) -> None:
        await self._stop_polling()
        try:
            await self.run(self.controller.finish_file)
        finally:
            self._set_collected(self.controller.frames_collected())


class GenTLTriggerLogic(DetectorTriggerLogic):
    """Internal (the camera's clock), external edge and external level triggering on one input line."""

    def __init__(self, worker: CameraWorker, line: str, readout_time: SignalR[float]) -> None:
        self.worker = worker
        self.line = line
        self.readout_time = readout_time

    def config_sigs(self) -> set[SignalR]:
        return {self.readout_time}

    def get_deadtime(self, config_values: SignalDict) -> float:
        return float(config_values[self.readout_time])

    async def prepare_internal(self, num: int, livetime: float, deadtime: float) -> None:
        await self.worker.configure(TriggerSetup(TriggerMode.INTERNAL, livetime, deadtime, self.line), num)

    async def prepare_edge(self, num: int, livetime: float) -> None:
        await self.worker.configure(TriggerSetup(TriggerMode.EDGE, livetime, 0.0, self.line), num)

    async def prepare_level(self, num: int) -> None:
        await self.worker.configure(TriggerSetup(TriggerMode.LEVEL, 0.0, 0.0, self.line), num)

    async def default_trigger_info(self) -> TriggerInfo:
        return TriggerInfo()


class GenTLAcquireLogic(DetectorAcquireLogic):
    """A batch of frames per ``start_acquiring``; cancelled at unstage."""

    def __init__(self, worker: CameraWorker) -> None:
        self.worker = worker

    async def start_acquiring(self) -> None:
        await self.worker.open_batch()

    async def wait_for_idle(self) -> None:
        await self.worker.wait_idle()

    async def ensure_stopped(self) -> None:
        await self.worker.cancel_batch()


class GenTLDataLogic(DetectorDataLogic):
    """One ace_gentl recording per prepare; StreamResources for ``data`` and every per-frame dataset."""

    def __init__(self, path_provider: PathProvider, worker: CameraWorker,
                 chunk_shape: Sequence[int] | None = None) -> None:
        self.path_provider = path_provider
        self.worker = worker
        self.chunk_shape = tuple(chunk_shape) if chunk_shape else None

    async def prepare_unbounded(self, datakey_name: str) -> StreamableDataProvider:
        path_info = self.path_provider(datakey_name)
        filename = f"{path_info.filename}.h5"
        info = await self.worker.begin_file(Path(str(path_info.directory_path)) / filename,
                                            create_dirs=path_info.create_dir_depth != 0)
        return StreamResourceDataProvider(
            uri=f"{path_info.directory_uri}{filename}", resources=stream_resources(info, datakey_name, self.chunk_shape),
            mimetype="application/x-hdf5", collections_written_signal=self.worker.frames_collected)

    async def stop(self) -> None:
        await self.worker.finish_file()

    def get_hinted_fields(self, datakey_name: str) -> Sequence[str]:
        return [datakey_name]


def stream_resources(info: FileInfo, datakey_name: str,
                     chunk_shape: Sequence[int] | None = None) -> list[StreamResourceInfo]:
    """The frames as ``datakey_name``, each per-frame dataset as ``datakey_name-<dataset>``."""
    resources = [StreamResourceInfo(data_key=datakey_name, shape=info.frame_shape,
                                    chunk_shape=tuple(chunk_shape) if chunk_shape else (1, *info.frame_shape),
                                    dtype_numpy=info.frame_dtype, parameters={"dataset": info.data_path})]
    for field, dtype in info.fields.items():
        resources.append(StreamResourceInfo(data_key=f"{datakey_name}-{field}", shape=(),
                                            chunk_shape=(layout.PER_FRAME_CHUNK,), dtype_numpy=dtype,
                                            parameters={"dataset": f"{info.group}/{field}"}))
    return resources


class _GenTLConnector(DeviceConnector):
    """Opens the camera on connect and adds a configuration signal for each feature it has."""

    def __init__(self, worker: CameraWorker, config_features: Mapping[str, str], chunks: tuple[str, ...]) -> None:
        self.worker = worker
        self.config_features = dict(config_features)
        self.chunks = chunks
        self._signals_made = False

    async def connect_real(self, device: Device, timeout: float, force_reconnect: bool) -> None:
        try:
            await asyncio.wait_for(self.worker.open(), timeout)
        except AceGentlError as error:
            raise NotConnectedError(f"{device.name}: {error}") from error
        except TimeoutError as error:
            raise NotConnectedError(f"{device.name}: the camera did not open within {timeout} s") from error
        await self.worker.run(self.worker.controller.enable_chunks, self.chunks)
        if not self._signals_made:
            signals = await self.worker.run(self._describe)
            for attribute, (feature, datatype, unit, writable) in signals.items():
                signal = _feature_signal(self.worker, feature, datatype, unit, writable)
                setattr(device, attribute, signal)
                assert isinstance(device, StandardDetector)
                device.add_config_signals(signal)
            self._signals_made = True
        await super().connect_real(device, timeout, force_reconnect)

    def _describe(self) -> dict[str, tuple[str, type, str | None, bool]]:
        features = self.worker.controller.camera.features
        found: dict[str, tuple[str, type, str | None, bool]] = {}
        for attribute, feature in self.config_features.items():
            if feature not in features or not features.is_readable(feature):
                continue
            info = features.describe(feature)
            datatype = _DATATYPES.get(info.type)
            if datatype is not None:
                found[attribute] = (feature, datatype, info.unit or None, features.is_writable(feature))
        return found


def _feature_signal(worker: CameraWorker, feature: str, datatype: type, unit: str | None,
                    writable: bool) -> SignalR[Any]:
    controller = worker.controller

    async def read() -> Any:
        return datatype(await worker.run(controller.feature, feature))

    async def write(value: Any) -> Any:
        return datatype(await worker.run(controller.set_feature, feature, value))

    if writable:
        return soft_signal_rw(datatype, units=unit, getter=read, setter=write)
    signal, _ = soft_signal_r_and_setter(datatype, units=unit, getter=read)
    return signal


class GenTLDetector(StandardDetector):
    """An ace_gentl camera as an ophyd-async detector: ``GenTLDetector(path_provider, name=..., sim=True)``.

    ``selection`` is what :func:`ace_gentl.open` takes (``sim=True``, ``serial=...``, ``cti=...``);
    the camera is opened on connect (``init_devices()``) and closed by :meth:`disconnect`.
    ``trigger_line`` is the input the external trigger modes use; ``chunks`` are chunk data appended
    to every frame, each a per-frame dataset (e.g. ``("Timestamp", "ExposureTime")``; with
    ExposureTime, ``count_time`` is each frame's own exposure, as in level triggering). ``recorder_options`` go to the
    Recorder (``compression="none"``, ``queue_bytes``, ``workers``, ...). Each prepare writes one
    file, ``<directory_path>/<filename>.h5`` of the path provider, named in the StreamResources by
    ``<directory_uri><filename>.h5`` (the URI under which Tiled reads it).
    """

    def __init__(self, path_provider: PathProvider, name: str = "", *, trigger_line: str = "Line1",
                 chunks: Sequence[str] = (), config_features: Mapping[str, str] = CONFIG_FEATURES,
                 recorder_options: Mapping[str, Any] | None = None, **selection: Any) -> None:
        options = dict(recorder_options or {})
        self.controller = CameraController(selection, recorder_options=options)
        worker = CameraWorker(self.controller, name)
        self.worker = worker
        self.frames_collected = worker.frames_collected
        self.readout_time, _ = soft_signal_r_and_setter(
            float, units="s", getter=lambda: worker.run(self.controller.readout_time_s))
        self.add_detector_logics(
            GenTLTriggerLogic(worker, trigger_line, self.readout_time),
            GenTLAcquireLogic(worker),
            GenTLDataLogic(path_provider, worker, options.get("chunks")),
        )
        super().__init__(name=name, connector=_GenTLConnector(worker, config_features, tuple(chunks)))

    def set_name(self, name: str, *, child_name_separator: str | None = None) -> None:
        super().set_name(name, child_name_separator=child_name_separator)
        self.worker.name = name

    async def disconnect(self) -> None:
        """Finish any file and close the camera; ``connect(force_reconnect=True)`` opens it again."""
        await self.worker.close()


__all__ = ["CONFIG_FEATURES", "CameraWorker", "GenTLAcquireLogic", "GenTLDataLogic", "GenTLDetector",
           "GenTLTriggerLogic", "stream_resources"]
