"""Every use of Harvesters' and genicam's private parts, in one place.

ace_gentl drives cameras through Harvesters' public API where it can. Where that API does not
do what a recorder needs, this module reaches inside, one function per reason, each with a
one-line why; ``tests/test_backend.py`` checks every assumption made here, so a Harvesters
release that changes one of them fails a named test instead of a recording.
"""

from __future__ import annotations

import ctypes
import mmap
import signal
import threading
from typing import Any

import numpy as np
from genicam import genapi, gentl
from harvesters.core import Device, ImageAcquirer, ParameterSet

#: Harvesters releases this module was checked against (tests/test_backend.py runs on the installed one).
CHECKED_HARVESTERS = ("1.4.3",)

_acquirer_lock = threading.Lock()  # ImageAcquirer creation swaps the process-wide SIGINT handler


def create_acquirer(device: Device, config: ParameterSet | None) -> ImageAcquirer:
    """An ImageAcquirer without Harvesters' SIGINT handler.

    Why: Harvesters installs a handler that swallows Ctrl-C (it destroys the acquirer and returns)
    and keeps the acquirer alive through it; the Session wants KeyboardInterrupt to reach the caller.
    """
    with _acquirer_lock:
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.getsignal(signal.SIGINT) if in_main else None
        try:
            return ImageAcquirer(parent=None, device_proxy=device, config=config)
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)


def destroy_acquirer(ia: ImageAcquirer) -> None:
    """Destroy an ImageAcquirer and free what Harvesters' finalizers would keep until exit.

    Why: genicam's ChunkAdapter registers ``weakref.finalize(self, self._destruct)``: the bound
    method keeps the adapter, and the remote node map it holds (~400 KB), alive until the
    interpreter exits; the ImageAcquirer does the same with ``destroy``.
    """
    chunk_adapter = ia._chunk_adapter
    ia.remote_device.deregister_node_callbacks()  # node callbacks must not outlive their node map
    if ia.is_acquiring():
        stop(ia)  # destroy() stops too, but without the leniency for node maps lacking AcquisitionStop
    ia.destroy()
    if chunk_adapter is not None:
        chunk_adapter._finalizer()  # detaches buffer and node map, drops the self-reference
    ia._finalizer.detach()


def new_buffer_monitor(ia: ImageAcquirer) -> Any:
    """The genicam new-buffer event manager of the acquirer's first data stream, or None.

    Why: ``ImageAcquirer.fetch`` re-queues incomplete buffers silently, restarts its timeout after
    each, and with ``timeout=0`` waits forever; the Session waits on the event itself.
    """
    monitors = list(ia._new_buffer_event_monitor_dict.values())
    return monitors[0] if monitors else None


def poll_buffer(monitor: Any) -> gentl.Buffer | None:
    """The next delivered buffer if one is ready now, else None; never waits.

    Why: genicam's ``update_event_data(timeout)`` holds the GIL while it waits in the producer
    (another Python thread got 6 % of its speed during a 1 s wait), so the Session asks without
    waiting and sleeps in Python between polls.
    """
    try:
        monitor.update_event_data(0)
    except gentl.TimeoutException:
        return None
    return monitor.buffer


def update_chunks(ia: ImageAcquirer, buffer: gentl.Buffer) -> None:
    """Attach ``buffer``'s chunk data to the remote node map, so Chunk* features read this frame.

    Why: Harvesters does this only inside ``fetch``, which the Session does not use.
    """
    ia._update_chunk_data(buffer=buffer, is_manual=True)


def stream_module(ia: ImageAcquirer) -> Any:
    """The genicam DataStream under the acquirer's first data stream (GenTL stream info and counters)."""
    return ia.data_streams[0].module


def use_touched_buffers(ia: ImageAcquirer) -> None:
    """Make the acquirer's buffers resident before acquisition starts.

    Why: Harvesters allocates its buffers as ``bytes(size)``, whose pages the kernel maps on first
    write, by the producer, while frames arrive; on a VM that hands idle memory back to its host
    that first write costs up to 120 ms per 12 MB buffer (measured), paid by the first frames of
    every run. Writing zeros into the zeroed ``bytes`` (the content does not change) before they
    are announced moves that cost before AcquisitionStart.
    """
    create = ia._create_raw_buffers

    def create_touched(num_buffers: int = 0, size: int = 0) -> list[bytes]:
        buffers = create(num_buffers, size)
        for buffer in buffers:
            touch(buffer)
        return buffers

    ia._create_raw_buffers = create_touched


def touch(buffer: bytes | bytearray | memoryview | np.ndarray) -> None:
    """Make a buffer's pages resident; its content is unchanged.

    Linux >= 5.14 faults the whole range in one call (madvise MADV_POPULATE_WRITE): 47 fresh
    12.3 MB buffers cost 0.23 s of CPU that way against 0.33 s for writing zeros over them
    (measured in fresh processes). Elsewhere, and for the partial pages at the ends, one byte per
    page is written back with the value it has.
    """
    view = np.frombuffer(buffer, dtype=np.uint8) if not isinstance(buffer, np.ndarray) else buffer
    if not view.nbytes:
        return
    address, size = view.ctypes.data, view.nbytes
    # Writable even over bytes: Harvesters' buffers are bytes objects the producer writes into.
    view = np.ctypeslib.as_array((ctypes.c_ubyte * size).from_address(address))
    first = -(-address // _PAGE) * _PAGE
    end = (address + size) // _PAGE * _PAGE
    if end > first and _populate(first, end - first):
        view[[0, -1]] = view[[0, -1]]
        return
    view[::_PAGE] = view[::_PAGE].copy()
    view[-1:] = view[-1:].copy()


_PAGE = mmap.PAGESIZE
_MADV_POPULATE_WRITE = 23
_madvise: Any = None


def _populate(address: int, size: int) -> bool:
    global _madvise
    if _madvise is None:
        try:
            function = ctypes.CDLL(None, use_errno=True).madvise
            function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
            function.restype = ctypes.c_int
            _madvise = function
        except (OSError, AttributeError):
            _madvise = False
    if not _madvise:
        return False
    if _madvise(address, size, _MADV_POPULATE_WRITE) == 0:
        return True
    _madvise = False  # EINVAL before Linux 5.14: write zeros from now on
    return False


class _NoCommand:
    """Stands in for an AcquisitionStart/AcquisitionStop the node map does not have."""

    def execute(self) -> None:
        return None


class _LenientNodeMap:
    """The remote node map as Harvesters' ``start()``/``stop()`` see it.

    Harvesters 1.4.3 executes ``AcquisitionStart``/``AcquisitionStop`` unconditionally (a bare
    AttributeError on a node map without them, which leaves stop() before its buffers are revoked)
    and reads ``AcquisitionMode`` catching only GenTL errors (GenApi's PropertyException on a
    register holding a value no entry names). Here a missing command does nothing (the DataStream's
    start and stop are then all the device has) and an unreadable AcquisitionMode is absent
    (Harvesters then assumes Continuous).
    """

    def __init__(self, node_map: Any) -> None:
        self._node_map = node_map

    def __getattr__(self, name: str) -> Any:
        if name in ("AcquisitionStart", "AcquisitionStop") and not self._node_map.has_node(name):
            return _NoCommand()
        if name == "AcquisitionMode":
            if not self._node_map.has_node(name):
                raise AttributeError(name)
            node = getattr(self._node_map, name)
            try:
                node.value  # noqa: B018 (only whether it can be read)
            except genapi.GenericException as error:
                raise AttributeError(f"AcquisitionMode cannot be read: {error}") from None
            return node
        return getattr(self._node_map, name)


def _with_lenient_node_map(ia: ImageAcquirer, action: Any) -> None:
    remote = ia.remote_device
    real = remote._node_map
    remote._node_map = _LenientNodeMap(real)
    try:
        action()
    finally:
        remote._node_map = real


def start(ia: ImageAcquirer) -> None:
    """``ia.start()``, also for node maps without AcquisitionStart or with an unreadable AcquisitionMode.

    Why: see :class:`_LenientNodeMap` (Harvesters raises where GenTL alone could run the stream).
    """
    _with_lenient_node_map(ia, ia.start)


def stop(ia: ImageAcquirer) -> None:
    """``ia.stop()``, also for node maps without AcquisitionStop (its buffers are revoked all the same)."""
    _with_lenient_node_map(ia, ia.stop)


def read_port_url(port: Any) -> tuple[str, bytes]:
    """(URL, bytes) of a port's first description file as the device serves it.

    ``Local:name;address;size`` URLs are read from the device; ``file:`` and ``http:`` URLs name
    files that are not on the device, so only the URL is returned.
    """
    url = str(port.url_info_list[0].url)
    scheme, _, rest = url.partition(":")
    if scheme.lower() != "local":
        return url, b""
    _name, address, size = rest.split(";")
    data = port.read(int(address, 16), int(size.split("?")[0], 16))[1]
    from ace_gentl.recording.description import trim_padding  # here: the recording package imports this module

    return url, trim_padding(bytes(data))




class EventPump:
    """Remote-device events delivered in the caller's thread, never in Harvesters' monitor thread.

    Why: Harvesters' event-monitor thread holds the GIL inside GenApi's DeliverMessage while it
    waits for the node map's lock, and deadlocks against any other thread touching nodes (seen in
    gdb; cti/GENTL.md). The same two calls it makes (``update_event_data``, ``deliver_message``)
    run here, from the thread that also reads frames, with a node callback per event reading the
    event's data nodes while its message is attached.
    """

    def __init__(self, ia: ImageAcquirer, names: list[str]) -> None:
        self._monitor = ia._module_event_monitor_dict.get(ia.remote_device)
        self._adapter = ia._event_adapter
        self._node_map = ia.remote_device.node_map
        self.names = list(names)
        self.pending: list[dict[str, Any]] = []
        self.messages = 0
        self._remote = ia.remote_device
        self._callbacks: list[Any] = []
        if self._monitor is None or self._adapter is None:
            raise gentl.NotAvailableException("the device has no remote-device event channel")
        for name in self.names:
            self._callbacks.append(ia.remote_device.register_node_callback(node_name=f"Event{name}",
                                                                          callback=self._reader(name)))

    def _reader(self, name: str) -> Any:
        node_map = self._node_map

        def value(node_name: str) -> int | None:
            if not node_map.has_node(node_name):
                return None
            try:
                return int(node_map.get_node(node_name).value)
            except Exception:  # noqa: BLE001 (the message is not attached: nothing to read)
                return None

        def callback(node: Any, *_: Any) -> None:
            timestamp = value(f"Event{name}Timestamp")
            if timestamp is None:
                return  # fired again when GenApi detaches the message
            self.pending.append({"name": name, "event_id": value(f"Event{name}") or -1,
                                 "device_timestamp": timestamp, "frame_id": value(f"Event{name}FrameID") or -1})

        return callback

    def pump(self) -> list[dict[str, Any]]:
        """Deliver every queued message without waiting; the events they carried."""
        while True:
            try:
                self._monitor.update_event_data(0)
            except gentl.TimeoutException:
                break
            self._adapter.deliver_message(self._monitor.optional_data)
            self.messages += 1
        events, self.pending = self.pending, []
        return events

    def close(self) -> None:
        """Remove the node callbacks (GenApi calls into freed Python objects if they outlive the pump)."""
        callbacks, self._callbacks = self._callbacks, []
        for token in callbacks:
            if token is not None:
                self._remote.deregister_node_callback(token)


__all__ = ["CHECKED_HARVESTERS", "EventPump", "create_acquirer", "destroy_acquirer", "new_buffer_monitor",
           "poll_buffer", "read_port_url", "start", "stop", "stream_module", "touch",
           "update_chunks", "use_touched_buffers"]
