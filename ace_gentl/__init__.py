"""ace_gentl: put every frame of a GenICam camera on disk, with everything needed to trust and repeat the run."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ace_gentl.devices import DeviceList, DeviceRecord
from ace_gentl.errors import (
    AceGentlError,
    AcquisitionError,
    AcquisitionTimeout,
    AmbiguousDeviceError,
    ApplyError,
    CameraLostError,
    DeviceBusyError,
    DeviceError,
    DeviceLostError,
    DeviceNotFoundError,
    DeviceXmlError,
    DiskFullError,
    FeatureAccessError,
    FeatureError,
    FeatureTypeError,
    FeatureValueError,
    PixelFormatError,
    ProducerError,
    RecordingConfigError,
    RecordingError,
    RecordingFileError,
    SessionClosedError,
    SimulatorNotBuiltError,
    SnapshotFormatError,
    UnknownFeatureError,
)
from ace_gentl.features import FeatureInfo
from ace_gentl.frames import Frame
from ace_gentl.session import Session, list_devices, open  # noqa: A004 (ace_gentl.open is the API)
from ace_gentl.snapshot import diff
from ace_gentl.recording import Recorder, Recording, RecordingResult, open_recording, repair  # noqa: I001 (after session)
from ace_gentl.rig import Rig, open_rig

try:
    __version__ = version("ace-gentl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AceGentlError", "AcquisitionError", "AcquisitionTimeout", "AmbiguousDeviceError", "ApplyError",
    "CameraLostError", "DeviceBusyError", "DiskFullError", "Recorder", "Recording", "RecordingConfigError",
    "RecordingError", "RecordingFileError", "RecordingResult", "open_recording",
    "repair", "DeviceError", "DeviceList", "DeviceLostError", "DeviceNotFoundError", "DeviceRecord", "DeviceXmlError",
    "FeatureAccessError",
    "FeatureError", "FeatureInfo", "FeatureTypeError", "FeatureValueError", "Frame", "PixelFormatError",
    "ProducerError", "Session", "SessionClosedError", "SimulatorNotBuiltError", "SnapshotFormatError",
    "Rig", "UnknownFeatureError", "__version__", "diff", "list_devices", "open", "open_rig",
]
