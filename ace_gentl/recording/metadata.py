"""What a recording stores besides frames: versions, host, producer, device XML, module info.

Everything here is gathered once at the start (and the snapshots once more at the end) and is
plain data (str, int, float, dicts of them), so :mod:`layout` writes it without knowing where
it came from. The file's structure is versioned in :mod:`schema`.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import sys
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from ace_gentl import backend
from ace_gentl.errormap import gentl_errors
from ace_gentl.errors import AceGentlError, FeatureError

if TYPE_CHECKING:
    from ace_gentl.features import FeatureMap
    from ace_gentl.session import Session

_PACKAGES = ("ace-gentl", "harvesters", "genicam", "numpy", "h5py", "hdf5plugin", "blosc", "rich")
#: Pixel pitch (m) of cameras whose node map has no SensorPixelWidth/Height.
KNOWN_PIXEL_PITCH_M = {"acA4112-20um": 3.45e-6, "acA4112-20uc": 3.45e-6, "acA4112-30um": 3.45e-6}


def software_versions() -> dict[str, str]:
    """Versions of the packages a recording depends on, plus HDF5 and Python."""
    found: dict[str, str] = {}
    for package in _PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed" if package != "ace-gentl" else "0+unknown (source tree)"
    found["hdf5"] = h5py.version.hdf5_version
    found["python"] = sys.version.split()[0]
    return found


def host_info() -> dict[str, Any]:
    """The machine that recorded."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # not every platform exposes these
        memory = -1
    return {"hostname": socket.gethostname(), "platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor(), "cpu_count": os.cpu_count() or 0, "memory_bytes": memory,
            "user": os.environ.get("USER", ""), "pid": os.getpid()}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def module_features(features: FeatureMap) -> dict[str, Any]:
    """Every readable feature of a GenTL module node map (values, or why a read failed)."""
    values: dict[str, Any] = {}
    for name in features:
        if not features.is_readable(name):
            continue
        try:
            values[name] = features[name]
        except FeatureError as error:  # recorded, not hidden: a module may refuse single reads
            values[name] = f"<unreadable: {error}>"
    return values


def device_xml(session: Session) -> tuple[str, bytes]:
    """(URL, bytes) of the device description file exactly as the device serves it."""
    try:
        with gentl_errors("reading the device XML"):
            return backend.read_port_url(session.raw.remote_device.port)
    except (AceGentlError, ValueError, IndexError) as error:  # a description file we cannot read is noted, not fatal
        return f"<unreadable: {error}>", b""


@dataclass
class ProducerInfo:
    path: str
    sha256: str
    tl_vendor: str = ""
    tl_model: str = ""
    tl_version: str = ""
    tl_type: str = ""
    gentl_version: str = ""


def producer_info(session: Session) -> ProducerInfo:
    path = Path(session.device.producer)
    system = module_features(session.system_features)
    major, minor = system.get("GenTLVersionMajor"), system.get("GenTLVersionMinor")
    return ProducerInfo(path=str(path), sha256=sha256_of(path), tl_vendor=str(system.get("TLVendorName", "")),
                        tl_model=str(system.get("TLModelName", "")), tl_version=str(system.get("TLVersion", "")),
                        tl_type=str(system.get("TLType", "")),
                        gentl_version=f"{major}.{minor}" if major is not None else "")


def pixel_pitch_m(session: Session) -> tuple[float | None, float | None]:
    """Sensor pixel pitch (x, y) in metres: SFNC SensorPixelWidth/Height (µm), else a known model."""
    features = session.features
    width, height = features.value_or("SensorPixelWidth"), features.value_or("SensorPixelHeight")
    if isinstance(width, (int, float)) and isinstance(height, (int, float)) and width > 0 and height > 0:
        return float(width) * 1e-6, float(height) * 1e-6
    pitch = KNOWN_PIXEL_PITCH_M.get(session.device.model)
    return pitch, pitch


@dataclass
class StaticMetadata:
    """Gathered at the start of a run; written once."""

    vendor: str
    model: str
    serial: str
    user_id: str
    description: str
    versions: dict[str, str]
    host: dict[str, Any]
    producer: ProducerInfo
    xml_url: str
    xml: bytes
    interface: dict[str, Any]
    device_module: dict[str, Any]
    stream_module: dict[str, Any]
    settings_start: dict[str, Any]
    pixel_size_m: tuple[float | None, float | None]
    exposure_time_s: float | None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["xml"] = f"<{len(self.xml)} bytes>"
        return data

    @classmethod
    def without_camera(cls, description: str) -> StaticMetadata:
        """For frames that come from no camera (benchmarks, tests of the writer): this host, no device."""
        return cls(vendor="none", model="none", serial="", user_id="", description=description,
                   versions=software_versions(), host=host_info(), producer=ProducerInfo(path="", sha256=""),
                   xml_url="", xml=b"", interface={}, device_module={}, stream_module={}, settings_start={},
                   pixel_size_m=(None, None), exposure_time_s=None)


def gather(session: Session) -> StaticMetadata:
    record = session.device
    features = session.features
    pitch_x, pitch_y = pixel_pitch_m(session)
    # Binning is an Enumeration ("X2") on some cameras: only an integer counts.
    binning = [value if isinstance(value := features.value_or(name, 1), int) and not isinstance(value, bool)
               and value > 0 else 1 for name in ("BinningHorizontal", "BinningVertical")]
    exposure_us = features.value_or("ExposureTime")
    exposure = float(exposure_us) * 1e-6 if isinstance(exposure_us, (int, float)) else None
    url, xml = device_xml(session)
    manufacturer = str(features.value_or("DeviceManufacturerInfo", ""))
    return StaticMetadata(
        vendor=record.vendor, model=record.model, serial=record.serial, user_id=record.user_id,
        description=" ".join(part for part in (record.vendor, record.model, manufacturer) if part),
        versions=software_versions(), host=host_info(), producer=producer_info(session), xml_url=url, xml=xml,
        interface=module_features(session.interface_features),
        device_module=module_features(session.device_features),
        stream_module=module_features(session.stream_features), settings_start=session.snapshot(),
        pixel_size_m=(pitch_x * binning[0] if pitch_x else None, pitch_y * binning[1] if pitch_y else None),
        exposure_time_s=exposure)


def to_json_safe(value: Any) -> Any:
    """numpy scalars and Paths to plain JSON types (recursively)."""
    if isinstance(value, dict):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


__all__ = ["KNOWN_PIXEL_PITCH_M", "ProducerInfo", "StaticMetadata", "gather",
           "host_info", "module_features", "software_versions", "to_json_safe"]
