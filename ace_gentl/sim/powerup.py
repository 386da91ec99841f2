"""The simulated camera's power-up state: rehearsing with the exact node map of a camera in the lab.

``from_recording`` makes a simulated camera start, in every process from then on, as the camera of
a recording was at the start of that run: the recording's device XML is served (register memory
for a foreign XML, the camera model for the simulator's own), the recording's start settings are
applied, the model's frames get the recording's shape, and the producer saves all of it as the
camera's power-up state in its state folder (Device-module SimPowerUpSave). ``reset`` forgets it;
``status`` tells what each simulated camera serves at power-up. ACE_SIM_DEVICE_XML, when set,
wins over a saved state (cti/README.md "Serving any camera's XML").
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ace_gentl import transport
from ace_gentl.errors import AceGentlError, ApplyError, DeviceError, FeatureError, RecordingFileError
from ace_gentl.sim import cti_path
from ace_gentl.sim.devicexml import DEVICE_XML_ENV, MODEL_PIXEL_FORMATS

FIRST_SERIAL = 40000001
MAX_CAMERAS = 16
CAMERAS_ENV = "ACE_SIM_CAMERAS"
STATE_ENV = "ACE_SIM_STATE_DIR"
#: The largest frame (height, width) the camera model takes with its factory offsets (4112x3008
#: sensor, OffsetX 8, OffsetY 4), and its increments (cti/README.md).
LARGEST_FRAME = (3000, 4096)
STEP = (2, 4)
NOTE_MAX = 255


@dataclass(frozen=True)
class CameraState:
    """What one simulated camera serves when a process opens it (the Interface's SimDeviceXmlSource)."""

    serial: str
    source: str


@dataclass
class Rehearsal:
    """What ``from_recording`` set up."""

    serial: str
    served: str                      # the file name the camera serves now ("" = the simulator's own XML)
    register_memory: bool            # a foreign XML over register memory (else the camera model)
    frame_shape: tuple[int, int]
    pixel_format: str
    applied: int                     # start settings applied
    failures: dict[str, str] = field(default_factory=dict)  # settings the node map refused, and why
    notes: list[str] = field(default_factory=list)          # what differs from the recording, and why


def state_dir() -> Path:
    """The producer's state folder (same rule as the producer: cti/src/gentl/system.c gt_state_dir)."""
    for variable, suffix in ((STATE_ENV, ""), ("XDG_CACHE_HOME", "ace_gentl_sim")):
        value = os.environ.get(variable)
        if value:
            return Path(value) / suffix if suffix else Path(value)
    home = os.environ.get("HOME")
    return Path(home) / ".cache" / "ace_gentl_sim" if home else Path(f"/tmp/ace_gentl_sim-{os.getuid()}")


def _index_of(serial: str) -> int:
    try:
        index = int(serial) - FIRST_SERIAL
    except ValueError:
        index = -1
    if not 0 <= index < MAX_CAMERAS:
        raise DeviceError(f"{serial!r} is not a simulated camera's serial number ({FIRST_SERIAL}.."
                          f"{FIRST_SERIAL + MAX_CAMERAS - 1})")
    return index


@contextlib.contextmanager
def _producer_environment(serial: str) -> Iterator[None]:
    """Enough simulated cameras for ``serial``, and no ACE_SIM_DEVICE_XML (it would hide the saved state).

    Takes effect when this process loads the producer; the previous values come back afterwards.
    """
    wanted = _index_of(serial) + 1
    saved = {name: os.environ.get(name) for name in (CAMERAS_ENV, DEVICE_XML_ENV)}
    try:
        count = int(saved[CAMERAS_ENV] or 1)
    except ValueError:
        count = 1
    if count < wanted:
        os.environ[CAMERAS_ENV] = str(wanted)
    os.environ.pop(DEVICE_XML_ENV, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _model_frame(shape: tuple[int, ...], pixel_format: str) -> tuple[tuple[int, int], str, list[str]]:
    """The frame the camera model can deliver closest to a recording's, and what differs."""
    notes: list[str] = []
    height, width = (int(shape[0]), int(shape[1])) if len(shape) >= 2 else LARGEST_FRAME
    fitted = tuple(max(16, min(size, limit) // step * step)
                   for size, limit, step in zip((height, width), LARGEST_FRAME, STEP))
    if fitted != (height, width):
        notes.append(f"frames are {fitted[1]}x{fitted[0]}: the recording's {width}x{height} does not fit the "
                     f"simulator's sensor and increments; set Width and Height to the frames' size before recording")
    fmt = pixel_format if pixel_format in MODEL_PIXEL_FORMATS else ("Mono8" if "8" in pixel_format else "Mono12")
    if fmt != pixel_format:
        notes.append(f"frames are {fmt}: the simulator renders {', '.join(MODEL_PIXEL_FORMATS)}, not the "
                     f"recording's {pixel_format or 'unknown format'}")
    return (fitted[0], fitted[1]), fmt, notes


@dataclass(frozen=True)
class _Recorded:
    xml: bytes
    name: str
    settings: dict[str, Any]
    shape: tuple[int, ...]
    pixel_format: str
    camera: str


def _read_recording(path: Path) -> _Recorded:
    from ace_gentl.recording.reader import open_recording

    with open_recording(path) as recording:
        try:
            dataset = recording.file[f"{recording.detector.name}/genicam/device_xml"]
            xml = recording.device_xml  # the exact bytes, in any of the layouts recordings have used
            url = dataset.attrs.get("url", "")
            url = url.decode() if isinstance(url, bytes) else str(url)
            settings = recording.settings
            summary = recording.summary()
        except (KeyError, ValueError, OSError) as error:
            raise RecordingFileError(f"{path}: no usable device XML or start settings in it: {error}") from error
    if not xml:
        raise RecordingFileError(f"{path}: holds no device XML (the camera described itself by {url or 'no URL'})")
    if not isinstance(settings, dict):
        raise RecordingFileError(f"{path}: holds no start settings (/entry/instrument/<camera>/genicam/settings_start)")
    name = url.split(":", 1)[1].split(";")[0].lstrip("/") if url.lower().startswith("local:") else ""
    if not name:
        name = "device.zip" if xml.startswith(b"PK\x03\x04") else "device.xml"
    camera = f"{summary.camera} serial {summary.serial}".strip()
    return _Recorded(xml, Path(name).name, settings, summary.frame_shape, summary.pixel_format, camera)


def from_recording(path: str | os.PathLike[str], *, serial: str = str(FIRST_SERIAL)) -> Rehearsal:
    """Make simulated camera ``serial`` start as the recording's camera did: its XML, its start settings.

    Saved in the producer's state folder; every process that loads the simulator from then on sees
    it (plain Harvesters too) until :func:`reset`.
    """
    import ace_gentl

    _index_of(serial)
    recording = Path(path)
    recorded = _read_recording(recording)
    note = f"recording {recording.resolve()} ({recorded.camera})"
    with _producer_environment(serial), tempfile.TemporaryDirectory(prefix="ace_sim_rehearsal_") as folder:
        xml_file = Path(folder) / recorded.name
        xml_file.write_bytes(recorded.xml)
        # First forget an earlier saved state; the next load of the producer starts from factory settings.
        reset(serial)
        with ace_gentl.open(sim=True, serial=serial, device_xml=xml_file) as session:
            device = session.device_features
            memory = str(device["SimRegisterSpace"]) == "Memory"
            shape, fmt, notes = _model_frame(recorded.shape, recorded.pixel_format)
            if memory:  # a foreign XML: the frames come from the model, shaped like the recording's
                for control, value in (("SimImagePixelFormat", fmt), ("SimImageWidth", shape[1]),
                                       ("SimImageHeight", shape[0])):
                    try:
                        device[control] = value
                    except FeatureError as error:
                        notes.append(f"{control} stays {device[control]}: {error}")
                shape = (int(device["SimImageHeight"]), int(device["SimImageWidth"]))
                fmt = str(device["SimImagePixelFormat"])
                _seed(session, recorded.settings)
            failures: dict[str, str] = {}
            try:
                session.apply(recorded.settings)
            except ApplyError as error:
                failures = dict(error.failures)
            applied = _count_settings(recorded.settings) - len(failures)
            device["SimPowerUpNote"] = note[:NOTE_MAX]
            device.execute("SimPowerUpSave")
            served = str(device["SimDeviceXml"])
            if not memory:
                shape = (int(session.features["Height"]), int(session.features["Width"]))
                fmt = str(session.features["PixelFormat"])
                notes = []
    return Rehearsal(serial=serial, served=Path(served).name if served else "", register_memory=memory,
                     frame_shape=shape, pixel_format=fmt, applied=applied, failures=failures, notes=notes)


def _seed(session: Any, settings: dict[str, Any]) -> None:
    """Write every recorded plain value once, without reading it first.

    Fresh register memory holds zeros, which many enumerations (PixelFormat) do not name; after this
    pass each recorded feature holds a value of its own, and ``apply`` (which compares, repeats and
    reports) finishes the job.
    """
    writable = set(settings.get("writable", ()))
    for name, value in settings.get("features", {}).items():
        if name in writable:
            with contextlib.suppress(AceGentlError):
                session.features.write(name, value)


def _count_settings(settings: dict[str, Any]) -> int:
    """How many values ``apply`` sets: the writable features, each selected variant counted."""
    writable = set(settings.get("writable", ()))
    plain = [name for name in settings.get("features", {}) if name in writable]
    selected = [variant for name, variants in settings.get("selected", {}).items() if name in writable
                for variant in variants]
    return len(plain) + len(selected)


def reset(serial: str | None = None) -> list[str]:
    """Put camera ``serial`` (every camera with saved state if None) back to its factory state.

    Forgets what the simulator keeps between loads: the power-up state (:func:`from_recording`),
    the user sets with UserSetDefault and DeviceUserID (``<serial>.state``), and an unplug in
    progress (SimFaultUnplugAfterMs). Returns the serials reset. From the next load of the producer
    on the cameras serve their own XML with the factory settings (a UserSetDefault left on a user
    set would otherwise load that set at every start).
    """
    import ace_gentl

    # A camera pulled out by SimFaultUnplugAfterMs stays away for every load of the producer until
    # its re-plug time (<serial>.unplugged in the state folder): reset plugs it in again.
    folder = state_dir()
    unplugged = sorted(folder.glob(f"{serial}.unplugged" if serial is not None else "*.unplugged")) \
        if folder.is_dir() else []
    for file in unplugged:
        file.unlink(missing_ok=True)
    if serial is not None:
        _index_of(serial)
        serials = [serial]
    else:
        serials = sorted(set(saved_serials()) | set(_serials_with(".state")))
    for each in serials:
        if (folder / f"{each}.powerup").exists():
            with _producer_environment(each), ace_gentl.open(sim=True, serial=each) as session:
                session.device_features.execute("SimPowerUpClear")
        # After the producer let go of the camera: it writes this file when a set is saved.
        (folder / f"{each}.state").unlink(missing_ok=True)
    return serials


def _serials_with(suffix: str) -> list[str]:
    """Serials of the simulated cameras with a ``<serial><suffix>`` file in the state folder."""
    folder = state_dir()
    if not folder.is_dir():
        return []
    found = []
    for file in sorted(folder.glob(f"*{suffix}")):
        try:
            _index_of(file.stem)
        except DeviceError:
            continue
        found.append(file.stem)
    return found


def saved_serials() -> list[str]:
    """Serials of the simulated cameras with a saved power-up state in the state folder."""
    return _serials_with(".powerup")


def status() -> list[CameraState]:
    """What each simulated camera serves when it is opened (asks the producer; opens no camera)."""
    count = max([_index_of(s) + 1 for s in saved_serials()] + [1])
    loaded = None
    with _cameras_at_least(count):
        try:
            loaded = transport.acquire(cti_path())
            found = loaded.devices()
            states = []
            for interface in {id(item.interface): item.interface for item in found}.values():
                node_map = interface.node_map
                if not node_map.has_node("SimDeviceXmlSource"):
                    continue
                for index in range(int(node_map.get_node("DeviceSelector").max) + 1):
                    node_map.get_node("DeviceSelector").value = index
                    states.append(CameraState(serial=str(node_map.get_node("DeviceSerialNumber").value),
                                              source=str(node_map.get_node("SimDeviceXmlSource").value)))
            return states
        except AceGentlError:
            raise
        except Exception as error:  # genicam errors while reading the Interface node map
            raise DeviceError(f"cannot ask the simulated camera's producer what it serves: {error}") from error
        finally:
            if loaded is not None:
                transport.release(loaded)


@contextlib.contextmanager
def _cameras_at_least(count: int) -> Iterator[None]:
    previous = os.environ.get(CAMERAS_ENV)
    try:
        current = int(previous or 1)
    except ValueError:
        current = 1
    if current < count:
        os.environ[CAMERAS_ENV] = str(count)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(CAMERAS_ENV, None)
        else:
            os.environ[CAMERAS_ENV] = previous


__all__ = ["CameraState", "Rehearsal", "from_recording", "reset", "saved_serials", "state_dir", "status"]
