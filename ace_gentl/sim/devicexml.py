"""The simulated camera serving another camera's description file (GenICam XML, .xml or .zip).

The producer does the serving (cti/README.md "Serving any camera's XML"): its Device-module
control ``SimDeviceXml`` takes a path between opening the device and reading the remote
device's XML. A foreign file gets a zero-filled register memory (writes read back) and the
frames keep coming from the camera model, shaped by ``SimImageWidth``, ``SimImageHeight`` and
``SimImagePixelFormat``. This module checks a file the way GenApi will load it, hands it to
the producer, and keeps the model's frames in step with the node map's Width, Height and
PixelFormat when a Session starts streaming.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genicam import genapi, gentl

from ace_gentl.errormap import genicam_reason
from ace_gentl.errors import AceGentlError, DeviceXmlError

if TYPE_CHECKING:
    from ace_gentl.session import Session

#: Read by the producer when it creates its cameras: every simulated camera serves this file.
DEVICE_XML_ENV = "ACE_SIM_DEVICE_XML"
#: The producer's limit (GT_DEVXML_MAX_BYTES in cti/src/gentl/devxml.h).
MAX_BYTES = 64 << 20
#: Pixel formats the camera model renders (SimImagePixelFormat entries).
MODEL_PIXEL_FORMATS = ("Mono8", "Mono12", "Mono12p")
#: The Device-module node that only the simulated camera's producer has.
CONTROL = "SimDeviceXml"

_ZIP_MAGIC = b"PK\x03\x04"


def check(path: str | Path) -> Path:
    """The absolute path of a description file GenApi loads; DeviceXmlError says what is wrong otherwise.

    Accepts an XML file or a zip archive holding one (GenICam allows both).
    """
    file = Path(path).expanduser()
    label = f"device XML {str(file)!r}"
    if not file.exists():
        raise DeviceXmlError(f"{label} does not exist")
    if not file.is_file():
        raise DeviceXmlError(f"{label} is not a file")
    size = file.stat().st_size
    if size == 0:
        raise DeviceXmlError(f"{label} is empty")
    if size > MAX_BYTES:
        raise DeviceXmlError(f"{label} has {size} bytes; a device description file may have at most "
                             f"{MAX_BYTES >> 20} MiB")
    try:
        with file.open("rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise DeviceXmlError(f"{label} cannot be read: {error.strerror or error}") from error
    node_map = genapi.NodeMap()
    try:
        if head.startswith(_ZIP_MAGIC):
            _check_zip(file, label)
            node_map.load_xml_from_zip_file(str(file))
        else:
            text = head.lstrip(b"\xef\xbb\xbf").lstrip()
            if not text.startswith(b"<"):
                raise DeviceXmlError(f"{label} is neither XML nor a zip archive (GenICam description files are one "
                                     f"of the two)")
            node_map.load_xml_from_file(str(file))
    except genapi.GenericException as error:
        raise DeviceXmlError(f"{label}: GenApi cannot load it: {genicam_reason(error)}") from error
    return file.resolve()


def _check_zip(file: Path, label: str) -> None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = [info.filename for info in archive.infolist() if info.filename.lower().endswith(".xml")]
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:
        raise DeviceXmlError(f"{label} is a damaged zip archive: {error}") from error
    if not names:
        raise DeviceXmlError(f"{label} is a zip archive without an .xml file in it")
    if broken is not None:
        raise DeviceXmlError(f"{label}: {broken} in the zip archive is damaged")


def is_simulator(device_node_map: Any) -> bool:
    """True for the Device-module node map of a simulated camera (it has the SimDeviceXml control)."""
    return bool(device_node_map.has_node(CONTROL))


def serve(device_node_map: Any, path: Path) -> None:
    """Ask the simulated camera to serve ``path`` in this open (before the remote node map is made)."""
    try:
        device_node_map.get_node(CONTROL).value = str(path)
    except (genapi.GenericException, gentl.GenericException) as error:
        raise DeviceXmlError(f"the simulated camera cannot serve {str(path)!r}: {genicam_reason(error)}") from error


def serves_register_memory(device_node_map: Any) -> bool:
    """True when the simulated camera serves a foreign XML over register memory."""
    if not device_node_map.has_node("SimRegisterSpace"):
        return False
    try:
        return str(device_node_map.get_node("SimRegisterSpace").value) == "Memory"
    except (genapi.GenericException, gentl.GenericException):
        return False


def match_frames(session: Session) -> dict[str, Any]:
    """Shape the model's frames like the node map's Width, Height and PixelFormat, where the model can.

    Called before a Session starts streaming while a foreign XML is served: those features live in
    register memory, the frames come from the camera model. Values the model cannot take (zero in a
    fresh memory, a size beyond its sensor, a colour format) leave its setting as it is. Returns what
    was set.
    """
    features, device = session.features, session.device_features
    changes: dict[str, Any] = {}
    for name, control in (("PixelFormat", "SimImagePixelFormat"), ("Width", "SimImageWidth"),
                          ("Height", "SimImageHeight")):
        wanted = _readable(features, name)
        if wanted is None or control not in device:
            continue
        if name == "PixelFormat":
            wanted = str(wanted)
            if wanted not in MODEL_PIXEL_FORMATS:
                continue
        elif not isinstance(wanted, int) or wanted <= 0:
            continue
        try:
            if device[control] != wanted:
                device[control] = wanted
                changes[control] = wanted
        except AceGentlError:  # the model refused (off increment, beyond the sensor): frames keep its shape
            continue
    return changes


def _readable(features: Any, name: str) -> Any:
    """The feature's value, or None when it has none to give: the sync must never stop a start.

    Fresh memory holds zeros, which an enumeration (PixelFormat) usually does not name; the feature
    layer then raises AttributeError instead of a FeatureError, so both count as "no value".
    """
    try:
        if name in features and features.is_readable(name):
            return features[name]
    except (AceGentlError, AttributeError):
        return None
    return None


__all__ = ["CONTROL", "DEVICE_XML_ENV", "MAX_BYTES", "MODEL_PIXEL_FORMATS", "check", "is_simulator",
           "match_frames", "serve", "serves_register_memory"]
