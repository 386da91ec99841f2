"""``GenTLTangoDetector``: a camera served by ``ace-gentl serve --tango`` on another host, in Bluesky plans.

The same logic classes as :class:`~ace_gentl.bluesky.GenTLDetector`, talking to the Tango device
(``GenTLCamera``, see :mod:`ace_gentl.bluesky.tango_server`) through ophyd-async's Tango backend:
attributes become signals (change events for ``frames_written`` and ``State``), commands become
ophyd-async Commands. The path provider names the file as the *camera host* sees it
(``directory_path``) and as Tiled sees it (``directory_uri``): on a shared mount these differ.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from ophyd_async.core import (
    Array1D,
    DetectorAcquireLogic,
    DetectorDataLogic,
    DetectorTriggerLogic,
    PathProvider,
    SignalDict,
    SignalR,
    SignalRW,
    StandardDetector,
    StreamableDataProvider,
    StreamResourceDataProvider,
    TriggerableCommand,
    TriggerInfo,
)
from ophyd_async.tango.core import DevStateEnum, TangoDevice

from ace_gentl.bluesky.controller import FileInfo, TriggerMode
from ace_gentl.bluesky.detector import stream_resources

#: Seconds between looks at the device's State while waiting for a batch to end.
POLL_S = 0.02


class GenTLCameraDevice(TangoDevice):
    """The GenTLCamera Tango device's attributes and commands, as ophyd-async signals and commands."""

    State: SignalR[DevStateEnum]
    exposure_time: SignalRW[float]
    gain: SignalRW[float]
    width: SignalRW[int]
    height: SignalRW[int]
    pixel_format: SignalRW[str]
    readout_time: SignalR[float]
    serial_number: SignalR[str]
    model: SignalR[str]
    trigger_mode: SignalRW[str]
    trigger_line: SignalRW[str]
    livetime: SignalRW[float]
    deadtime: SignalRW[float]
    batch_frames: SignalRW[int]
    output_path: SignalRW[str]
    create_dirs: SignalRW[bool]
    frames_written: SignalR[int]
    frames_lost: SignalR[int]
    file_status: SignalR[str]
    last_error: SignalR[str]
    frame_shape: SignalR[Array1D[np.int64]]
    frame_dtype: SignalR[str]
    detector_group: SignalR[str]
    field_names: SignalR[Sequence[str]]
    field_dtypes: SignalR[Sequence[str]]
    Configure: TriggerableCommand
    Arm: TriggerableCommand
    Start: TriggerableCommand
    Disarm: TriggerableCommand
    Stop: TriggerableCommand

    def __init__(self, trl: str, name: str = "") -> None:
        super().__init__(trl, support_events=True, name=name, auto_fill_signals=False)


class TangoTriggerLogic(DetectorTriggerLogic):
    def __init__(self, device: GenTLCameraDevice, line: str) -> None:
        self.device = device
        self.line = line

    def config_sigs(self) -> set[SignalR]:
        return {self.device.readout_time}

    def get_deadtime(self, config_values: SignalDict) -> float:
        return float(config_values[self.device.readout_time])

    async def _configure(self, mode: TriggerMode, num: int, livetime: float, deadtime: float) -> None:
        device = self.device
        await asyncio.gather(device.trigger_mode.set(mode.value), device.trigger_line.set(self.line),
                             device.livetime.set(livetime), device.deadtime.set(deadtime),
                             device.batch_frames.set(num))
        await device.Configure.trigger()

    async def prepare_internal(self, num: int, livetime: float, deadtime: float) -> None:
        await self._configure(TriggerMode.INTERNAL, num, livetime, deadtime)

    async def prepare_edge(self, num: int, livetime: float) -> None:
        await self._configure(TriggerMode.EDGE, num, livetime, 0.0)

    async def prepare_level(self, num: int) -> None:
        await self._configure(TriggerMode.LEVEL, num, 0.0, 0.0)

    async def default_trigger_info(self) -> TriggerInfo:
        return TriggerInfo()


class TangoAcquireLogic(DetectorAcquireLogic):
    def __init__(self, device: GenTLCameraDevice) -> None:
        self.device = device

    async def start_acquiring(self) -> None:
        await self.device.Start.trigger()  # the server ignores it while a batch is still open

    async def wait_for_idle(self) -> None:
        while True:
            state = await self.device.State.get_value()
            if state == DevStateEnum.FAULT:
                raise RuntimeError(f"{self.device.name}: {await self.device.last_error.get_value()}")
            if state != DevStateEnum.RUNNING:
                return
            await asyncio.sleep(POLL_S)

    async def ensure_stopped(self) -> None:
        await self.device.Disarm.trigger()


class TangoDataLogic(DetectorDataLogic):
    def __init__(self, path_provider: PathProvider, device: GenTLCameraDevice) -> None:
        self.path_provider = path_provider
        self.device = device

    async def prepare_unbounded(self, datakey_name: str) -> StreamableDataProvider:
        device = self.device
        path_info = self.path_provider(datakey_name)
        filename = f"{path_info.filename}.h5"
        # The camera host's path; the path provider's flavour (posix or windows) decides the separator.
        path = str(path_info.directory_path / filename)
        await asyncio.gather(device.output_path.set(path), device.create_dirs.set(path_info.create_dir_depth != 0))
        await device.Arm.trigger()
        shape, dtype, group, names, dtypes = await asyncio.gather(
            device.frame_shape.get_value(), device.frame_dtype.get_value(), device.detector_group.get_value(),
            device.field_names.get_value(), device.field_dtypes.get_value())
        info = FileInfo(path=path_info.directory_path / filename, group=group,  # type: ignore[arg-type]
                        frame_shape=tuple(int(n) for n in shape), frame_dtype=dtype,
                        fields=dict(zip(names, dtypes, strict=True)))
        return StreamResourceDataProvider(uri=f"{path_info.directory_uri}{filename}",
                                          resources=stream_resources(info, datakey_name),
                                          mimetype="application/x-hdf5",
                                          collections_written_signal=device.frames_written)

    async def stop(self) -> None:
        await self.device.Stop.trigger()

    def get_hinted_fields(self, datakey_name: str) -> Sequence[str]:
        return [datakey_name]


class GenTLTangoDetector(StandardDetector):
    """``GenTLTangoDetector("tango://camhost:10000/lab/cam/1#dbase=no", path_provider, name="cam1")``.

    ``trl`` is the Tango resource locator of a ``GenTLCamera`` device (with a database,
    ``"lab/cam/1"`` and TANGO_HOST set). Configuration: exposure_time, gain, width, height,
    pixel_format, readout_time, serial_number and model of the device.
    """

    def __init__(self, trl: str, path_provider: PathProvider, name: str = "", *, trigger_line: str = "Line1") -> None:
        self.camera = GenTLCameraDevice(trl)
        self.add_detector_logics(TangoTriggerLogic(self.camera, trigger_line), TangoAcquireLogic(self.camera),
                                 TangoDataLogic(path_provider, self.camera))
        camera = self.camera
        self.add_config_signals(camera.exposure_time, camera.gain, camera.width, camera.height, camera.pixel_format,
                                camera.serial_number, camera.model)
        super().__init__(name=name)


__all__ = ["GenTLCameraDevice", "GenTLTangoDetector", "TangoAcquireLogic", "TangoDataLogic", "TangoTriggerLogic"]
