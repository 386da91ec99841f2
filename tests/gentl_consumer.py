"""Test rigs for the simulated camera: the raw GenTL path (genicam.gentl) and Harvesters.

Both open the producer the way a real consumer does, so the same assertions hold for
either path.  Every rig closes what it opened, also when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
from genicam import gentl
from genicam.genapi import AbstractPort, EAccessMode, NodeMap

from ace_gentl.sim import cti_path

INFINITE = -1  # genicam maps -1 to GENTL_INFINITE


class GentlPort(AbstractPort):
    """A GenApi port over a genicam.gentl Port (what Harvesters does, written for the tests)."""

    def __init__(self, port: gentl.Port) -> None:
        super().__init__()
        self._port = port

    def is_open(self) -> bool:
        return True

    def read(self, address: int, length: int) -> bytes:
        return self._port.read(address, length)[1]

    def write(self, address: int, value: bytes) -> None:
        self._port.write(address, value)

    def open(self, port: gentl.Port) -> None:
        self._port = port

    def close(self) -> None:
        pass

    def get_access_mode(self) -> EAccessMode:
        return EAccessMode.RW


def read_port_xml(port: gentl.Port) -> bytes:
    """Fetch the XML behind a port's first URL (local: scheme), as Harvesters does."""
    url = port.url_info_list[0].url
    scheme, rest = url.split(":", 1)
    assert scheme.lower() == "local", url
    _name, address, size = rest.split(";")
    return port.read(int(address, 16), int(size.split("?")[0], 16))[1]


def node_map_of(port: gentl.Port) -> tuple[NodeMap, GentlPort]:
    """A GenApi node map connected to `port`; keep the returned port object alive with it."""
    node_map = NodeMap()
    node_map.load_xml_from_string(read_port_xml(port).decode("utf-8"))
    concrete = GentlPort(port)
    assert node_map.connect(concrete, port.name), f"port name {port.name!r} is not a Port of the XML"
    return node_map, concrete


@dataclass
class GentlRig:
    """Producer -> system -> interface -> one opened device, through genicam.gentl only."""

    producer: gentl.GenTLProducer
    system: gentl.System
    interface: gentl.Interface
    device: gentl.Device
    remote: NodeMap
    _ports: list[object] = field(default_factory=list)

    def node_map(self, port: gentl.Port) -> NodeMap:
        node_map, concrete = node_map_of(port)
        # Keep both alive as long as the rig: a node outlived by its node map crashes GenApi.
        self._ports.append((node_map, concrete))
        return node_map


@contextlib.contextmanager
def gentl_rig(path: Path | None = None, device_index: int = 0) -> Iterator[GentlRig]:
    producer = gentl.GenTLProducer.create_producer()
    producer.open(str(path or cti_path()))
    system = producer.create_system()
    system.open()
    interface = device = None
    try:
        system.update_interface_info_list(1000)
        interface = system.interface_info_list[0].create_interface()
        interface.open()
        interface.update_device_info_list(1000)
        device = interface.device_info_list[device_index].create_device()
        device.open(gentl.DEVICE_ACCESS_FLAGS_LIST.DEVICE_ACCESS_EXCLUSIVE)
        remote, port = node_map_of(device.remote_port)
        rig = GentlRig(producer, system, interface, device, remote, [port])
        yield rig
    finally:
        if device is not None and device.is_open():
            device.close()
        if interface is not None and interface.is_open():
            interface.close()
        system.close()
        producer.close()


@dataclass
class Grabbed:
    frame_id: int
    timestamp_ns: int
    host_time: float
    width: int
    height: int
    pixel_format: int
    data: bytes
    complete: bool


class GentlStream:
    """Announce/queue/start on the first data stream of a GentlRig; yields Grabbed frames."""

    def __init__(self, rig: GentlRig, num_buffers: int = 4) -> None:
        self.rig = rig
        self.ds = rig.device.create_data_stream()
        self.ds.open(rig.device.data_stream_ids[0])
        self.monitor = gentl.EventManagerNewBuffer(self.ds.register_event(gentl.EVENT_TYPE_LIST.EVENT_NEW_BUFFER))
        size = rig.remote.get_node("PayloadSize").value
        self._raw = [bytes(size) for _ in range(num_buffers)]  # genicam takes bytes only (as Harvesters does)
        self.buffers = [self.ds.announce_buffer(gentl.BufferToken(raw, i)) for i, raw in enumerate(self._raw)]
        self.started = False

    def start(self, queue: bool = True) -> None:
        if queue:
            for buffer in self.buffers:
                self.ds.queue_buffer(buffer)
        self.rig.remote.get_node("TLParamsLocked").value = 1
        self.ds.start_acquisition(gentl.ACQ_START_FLAGS_LIST.ACQ_START_FLAGS_DEFAULT, INFINITE)
        self.rig.remote.get_node("AcquisitionStart").execute()
        self.started = True

    def next(self, timeout_s: float = 5.0, requeue: bool = True, copy: bool = True) -> Grabbed:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.monitor.update_event_data(50)
                break
            except gentl.TimeoutException:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no frame within {timeout_s} s") from None
        buffer = self.monitor.buffer
        host = time.monotonic()
        size = buffer.size_filled if buffer.is_complete() and copy else 0
        grabbed = Grabbed(
            frame_id=buffer.frame_id,
            timestamp_ns=buffer.timestamp_ns,
            host_time=host,
            width=buffer.width,
            height=buffer.height,
            pixel_format=buffer.pixel_format,
            data=bytes(memoryview(buffer.raw_buffer)[:size]),  # a real copy: a full slice of bytes is the same object
            complete=buffer.is_complete(),
        )
        if requeue:
            self.ds.queue_buffer(buffer)
        return grabbed

    def stop(self) -> None:
        if self.started:
            self.rig.remote.get_node("AcquisitionStop").execute()
            self.ds.stop_acquisition(gentl.ACQ_STOP_FLAGS_LIST.ACQ_STOP_FLAGS_KILL)
            self.rig.remote.get_node("TLParamsLocked").value = 0
            self.started = False
        self.ds.flush_buffer_queue(gentl.ACQ_QUEUE_TYPE_LIST.ACQ_QUEUE_ALL_DISCARD)
        self.monitor.flush_event_queue()

    def close(self) -> None:
        self.stop()
        for buffer in self.buffers:
            self.ds.revoke_buffer(buffer)
        self.buffers = []
        self.ds.close()


@contextlib.contextmanager
def gentl_stream(rig: GentlRig, num_buffers: int = 4) -> Iterator[GentlStream]:
    stream = GentlStream(rig, num_buffers)
    try:
        yield stream
    finally:
        stream.close()


@contextlib.contextmanager
def harvester(path: Path | None = None) -> Iterator["Harvester"]:  # noqa: F821
    from harvesters.core import Harvester

    # Harvesters' ImageAcquirer installs a SIGINT handler that swallows Ctrl-C; put ours back after.
    sigint = signal.getsignal(signal.SIGINT)
    h = Harvester()
    h.add_file(str(path or cti_path()), check_existence=True, check_validity=True)
    h.update()
    try:
        yield h
    finally:
        h.reset()
        signal.signal(signal.SIGINT, sigint)


def unpack_mono12p(data: bytes, count: int) -> np.ndarray:
    """PFNC Mono12p -> uint16, written independently of the producer: 2 pixels in 3 bytes, LSB first."""
    raw = np.frombuffer(data, dtype=np.uint8)
    pairs = (count + 1) // 2
    padded = np.zeros(pairs * 3, dtype=np.uint16)
    padded[: min(len(raw), pairs * 3)] = raw[: pairs * 3]
    b0, b1, b2 = padded[0::3], padded[1::3], padded[2::3]
    out = np.empty(pairs * 2, dtype=np.uint16)
    out[0::2] = b0 | ((b1 & 0x0F) << 8)
    out[1::2] = (b1 >> 4) | (b2 << 4)
    return out[:count]


def process_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def open_fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def thread_count() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise RuntimeError("no Threads: line in /proc/self/status")
