"""Cameras the producers report, as typed records; choosing one by serial, model, user id, index."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from genicam import gentl

from ace_gentl import transport
from ace_gentl.errors import AmbiguousDeviceError, DeviceNotFoundError, ProducerError
from ace_gentl.producers import find_producers, gentl_path_variable

_ACCESS = {
    0: "Unknown", 1: "ReadWrite", 2: "ReadOnly", 3: "NoAccess", 4: "Busy", 5: "OpenReadWrite", 6: "OpenReadOnly",
}

CtiArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None


@dataclass(frozen=True)
class DeviceRecord:
    """What a producer tells about one camera, without opening it."""

    vendor: str
    model: str
    serial: str
    id: str
    user_id: str
    tl_type: str
    access_status: str  # ReadWrite, ReadOnly, NoAccess, Busy, OpenReadWrite, OpenReadOnly or Unknown
    producer: Path
    version: str = ""
    display_name: str = ""

    def __str__(self) -> str:
        user = f" '{self.user_id}'" if self.user_id else ""
        return (f"{self.vendor} {self.model} serial {self.serial}{user} [{self.tl_type}, {self.access_status}] "
                f"via {self.producer.name}")


class DeviceList(list[DeviceRecord]):
    """The devices found, plus ``errors``: producers that could not be used (they hide no one else)."""

    def __init__(self, records: Iterable[DeviceRecord] = (), errors: Iterable[ProducerError] = ()) -> None:
        super().__init__(records)
        self.errors: list[ProducerError] = list(errors)


def _text(info: gentl.DeviceInfo, attribute: str) -> str:
    # Optional GenTL info commands may be missing on a producer: an empty field, not a failure.
    try:
        return str(getattr(info, attribute))
    except (gentl.NotImplementedException, gentl.NotAvailableException, gentl.InvalidParameterException):
        return ""


def record_of(found: transport.FoundDevice) -> DeviceRecord:
    info = found.info
    try:
        access = _ACCESS.get(int(info.access_status), "Unknown")
    except (gentl.NotImplementedException, gentl.NotAvailableException):
        access = "Unknown"
    return DeviceRecord(
        vendor=_text(info, "vendor"), model=_text(info, "model"), serial=_text(info, "serial_number"),
        id=_text(info, "id_"), user_id=_text(info, "user_defined_name"), tl_type=_text(info, "tl_type"),
        access_status=access, producer=found.producer.path, version=_text(info, "version"),
        display_name=_text(info, "display_name"))


@dataclass
class _Scan:
    found: list[transport.FoundDevice]
    held: list[transport.LoadedProducer]
    errors: list[ProducerError]

    def release(self, keep: transport.LoadedProducer | None = None) -> None:
        for loaded in self.held:
            if loaded is not keep:
                transport.release(loaded)
        self.held = [keep] if keep is not None else []


def scan(cti: CtiArg = None, *, sim: bool = False, env: bool = True) -> _Scan:
    """Load every producer and enumerate its devices; the caller must ``release()`` the scan."""
    search = find_producers(cti, sim=sim, env=env)
    result = _Scan([], [], list(search.errors))
    for path in search.paths:
        try:
            loaded = transport.acquire(path)
        except ProducerError as error:
            result.errors.append(error)
            continue
        result.held.append(loaded)
        try:
            result.found.extend(loaded.devices())
        except ProducerError as error:
            result.errors.append(error)
    return result


def list_devices(cti: CtiArg = None, *, sim: bool = False, env: bool = True) -> DeviceList:
    """Every camera of every producer (``cti`` paths, the simulator if ``sim``, ``GENICAM_GENTL64_PATH``).

    Broken producers do not stop the listing; they are in ``result.errors``.
    """
    result = scan(cti, sim=sim, env=env)
    try:
        return DeviceList((record_of(found) for found in result.found), result.errors)
    finally:
        result.release()


def _describe(records: Iterable[DeviceRecord]) -> str:
    lines = [f"  [{i}] {record}" for i, record in enumerate(records)]
    return "\n".join(lines) if lines else "  (none)"


def _no_camera_hint() -> str:
    """Where cameras were looked for, and what to try, when none was found at all."""
    variable = gentl_path_variable()
    value = os.environ.get(variable, "")
    where = f"{variable} is {value!r}" if value else f"{variable} is not set"
    return (f"no GenTL producer reported one ({where}). Put the folder of your camera's GenTL producer (.cti) on "
            f"{variable} or give the file with --cti FILE (cti=... in Python); --sim (sim=True) opens the simulated "
            f"camera")


def choose(found: list[transport.FoundDevice], errors: list[ProducerError], *, serial: str | None = None,
           model: str | None = None, user_id: str | None = None,
           index: int | None = None) -> transport.FoundDevice:
    """The single device that matches, or a DeviceNotFoundError / AmbiguousDeviceError listing what exists."""
    records = [record_of(item) for item in found]
    wanted = {"serial": serial, "model": model, "user_id": user_id}
    criteria = {key: value for key, value in wanted.items() if value is not None}
    matches = [i for i, record in enumerate(records)
               if all(getattr(record, key) == value for key, value in criteria.items())]
    asked = ", ".join(f"{key}={value!r}" for key, value in criteria.items()) or "any camera"
    broken = "".join(f"\nunusable producer: {error}" for error in errors)
    if index is not None:
        asked += f", index={index}"
        if not 0 <= index < len(matches):
            raise DeviceNotFoundError(
                f"no camera matches {asked} ({len(matches)} match without the index); cameras found:\n"
                f"{_describe(records)}{broken}")
        return found[matches[index]]
    if not records:
        raise DeviceNotFoundError(f"no camera found{' for ' + asked if criteria else ''}: {_no_camera_hint()}"
                                  f"{broken}")
    if not matches:
        raise DeviceNotFoundError(f"no camera matches {asked}; cameras found:\n{_describe(records)}{broken}")
    if len(matches) > 1:
        raise AmbiguousDeviceError(
            f"{len(matches)} cameras match {asked}; add serial=, user_id= or index=:\n"
            f"{_describe(records[i] for i in matches)}")
    return found[matches[0]]


__all__ = ["DeviceList", "DeviceRecord", "choose", "list_devices", "record_of", "scan"]
