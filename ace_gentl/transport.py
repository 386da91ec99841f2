"""Loaded GenTL producers, shared by every Session and device listing of this process.

A producer library is initialised once per process (a second ``GCInitLib`` on the same
file fails), and ``harvesters.Harvester.update()`` destroys every ImageAcquirer it made.
So instead of one Harvester per Session, this module keeps one reference-counted
:class:`LoadedProducer` per file: the genicam producer, its System and Interfaces wrapped
in Harvesters' module classes (which build their node maps). The last release closes it,
so repeated open/close cycles leave nothing behind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from genicam import gentl
from harvesters.core import Interface, Producer, System

from ace_gentl.errormap import genicam_reason
from ace_gentl.errors import ProducerError
from ace_gentl.producers import validate_producer

#: Milliseconds a producer may take to enumerate interfaces or devices.
ENUMERATION_TIMEOUT_MS = 1000


@dataclass
class FoundDevice:
    """One device a loaded producer reports: its GenTL info and the interface it hangs on."""

    producer: LoadedProducer
    interface: Interface
    info: gentl.DeviceInfo


class LoadedProducer:
    """An initialised producer with its opened System and Interfaces. Use :func:`acquire`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._users = 0
        self._lock = threading.RLock()
        raw = gentl.GenTLProducer.create_producer()
        try:
            raw.open(str(path))
        except gentl.GenericException as error:
            raise ProducerError(str(path), f"GCInitLib failed: {genicam_reason(error)}") from error
        self.producer = Producer(module=raw)
        self.interfaces: list[Interface] = []
        raw_system = raw.create_system()
        try:
            raw_system.open()
            self.system = System(module=raw_system, parent=self.producer)
        except gentl.GenericException as error:
            raw.close()
            raise ProducerError(str(path), f"TLOpen failed: {genicam_reason(error)}") from error

    def devices(self) -> list[FoundDevice]:
        """Enumerate interfaces (once) and their devices (every call: cameras come and go)."""
        with self._lock:
            try:
                if not self.interfaces:
                    raw_system = self.system.module
                    raw_system.update_interface_info_list(ENUMERATION_TIMEOUT_MS)
                    for info in raw_system.interface_info_list:
                        raw_interface = info.create_interface()
                        raw_interface.open()
                        self.interfaces.append(Interface(module=raw_interface, parent=self.system))
                found: list[FoundDevice] = []
                for interface in self.interfaces:
                    interface.module.update_device_info_list(ENUMERATION_TIMEOUT_MS)
                    found.extend(FoundDevice(self, interface, info) for info in interface.module.device_info_list)
                return found
            except gentl.GenericException as error:
                raise ProducerError(str(self.path), f"device enumeration failed: {genicam_reason(error)}") from error

    def _close(self) -> None:
        # Children first, as GenTL requires; an error here is reported, not hidden.
        try:
            for interface in self.interfaces:
                if interface.module.is_open():
                    interface.module.close()
            self.interfaces.clear()
            if self.system.module.is_open():
                self.system.module.close()
            self.producer.module.close()
        except gentl.GenericException as error:
            raise ProducerError(str(self.path), f"closing failed: {genicam_reason(error)}") from error


_registry: dict[Path, LoadedProducer] = {}
_registry_lock = threading.Lock()


def acquire(path: str | Path) -> LoadedProducer:
    """The loaded producer for ``path`` (validated and loaded on first use); pair with :func:`release`."""
    resolved = validate_producer(path)
    with _registry_lock:
        loaded = _registry.get(resolved)
        if loaded is None:
            loaded = LoadedProducer(resolved)
            _registry[resolved] = loaded
        loaded._users += 1
        return loaded


def release(loaded: LoadedProducer) -> None:
    """Drop one use; the last one closes interfaces, system and producer."""
    with _registry_lock:
        loaded._users -= 1
        if loaded._users > 0:
            return
        del _registry[loaded.path]
    loaded._close()


def loaded_paths() -> list[Path]:
    """Producers loaded right now (for tests and diagnostics)."""
    with _registry_lock:
        return list(_registry)


__all__ = ["ENUMERATION_TIMEOUT_MS", "FoundDevice", "LoadedProducer", "acquire", "loaded_paths", "release"]
