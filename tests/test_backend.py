"""What ace_gentl.backend assumes of Harvesters and genicam, each checked on the installed release.

A Harvesters release that changes one of these behaviours fails the test named after it.
"""

from __future__ import annotations

import ctypes
import gc
import signal
import time
import weakref
from collections.abc import Iterator

import numpy as np
import pytest
from harvesters.core import ImageAcquirer

import ace_gentl
from ace_gentl import backend


@pytest.fixture
def cam() -> Iterator[ace_gentl.Session]:
    with ace_gentl.open(sim=True) as session:
        session.features["Height"] = 64
        yield session


def test_creating_an_acquirer_leaves_the_sigint_handler_alone() -> None:
    # Harvesters' ImageAcquirer.__init__ installs a handler that swallows Ctrl-C: the Session's must not.
    before = signal.getsignal(signal.SIGINT)
    with ace_gentl.open(sim=True) as session:
        assert session.raw is not None
        assert signal.getsignal(signal.SIGINT) is before


def test_harvesters_acquirer_still_installs_its_own_handler() -> None:
    # The reason create_acquirer exists: if Harvesters stops doing this, the workaround can go.
    assert "_sigint_handler" in ImageAcquirer.__init__.__code__.co_names


def test_destroying_frees_the_node_maps_the_finalizers_would_keep() -> None:
    session = ace_gentl.open(sim=True)
    ia = session.raw
    adapter = weakref.ref(ia._chunk_adapter)
    acquirer = weakref.ref(ia)
    assert ia._finalizer.alive and ia._chunk_adapter._finalizer.alive
    del ia
    session.close()
    del session
    gc.collect()
    assert adapter() is None and acquirer() is None  # nothing kept alive until the interpreter exits


def test_the_new_buffer_monitor_is_polled_without_waiting(cam: ace_gentl.Session) -> None:
    cam.TriggerMode = "On"
    cam.TriggerSource = "Software"
    cam.start(4)
    try:
        monitor = backend.new_buffer_monitor(cam.raw)
        assert monitor is not None
        t0 = time.perf_counter()
        assert backend.poll_buffer(monitor) is None  # no trigger sent: nothing ready
        assert time.perf_counter() - t0 < 0.05
        cam.trigger()
        deadline = time.monotonic() + 3
        buffer = None
        while buffer is None and time.monotonic() < deadline:
            buffer = backend.poll_buffer(monitor)
            time.sleep(0.005)
        assert buffer is not None and buffer.has_new_data()
        buffer.parent.queue_buffer(buffer)
    finally:
        cam.stop()


def test_chunk_update_makes_this_frames_chunks_readable(cam: ace_gentl.Session) -> None:
    cam.ChunkModeActive = True
    cam.set("ChunkEnable", True, ChunkSelector="Timestamp")
    frame = cam.grab(1)[0]
    assert "Timestamp" in frame.chunks and int(frame.chunks["Timestamp"]) == frame.timestamp_ns


def test_harvesters_allocates_buffers_through_the_method_that_is_made_to_touch_them(
        cam: ace_gentl.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[tuple[int, int]] = []
    touched = cam.raw._create_raw_buffers

    def spy(num_buffers: int = 0, size: int = 0) -> list[bytes]:
        sizes.append((num_buffers, size))
        buffers = touched(num_buffers, size)
        assert all(isinstance(buffer, bytes) and len(buffer) == size for buffer in buffers)
        return buffers

    monkeypatch.setattr(cam.raw, "_create_raw_buffers", spy)
    cam.start(5)
    cam.stop()
    assert sizes and sizes[0][0] >= 5 and sizes[0][1] >= int(cam.PayloadSize)


def _resident_pages(address: int, size: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    page = 4096
    start = address - address % page
    length = address + size - start
    pages = (length + page - 1) // page
    vector = (ctypes.c_ubyte * pages)()
    assert libc.mincore(ctypes.c_void_p(start), ctypes.c_size_t(length), vector) == 0
    return sum(byte & 1 for byte in vector)


def test_touching_makes_a_fresh_buffer_resident_without_changing_it() -> None:
    size = 64 << 20
    buffer = bytes(size)  # calloc'ed: mapped on first write
    address = np.frombuffer(buffer, np.uint8).ctypes.data
    before = _resident_pages(address, size)
    backend.touch(buffer)
    after = _resident_pages(address, size)
    assert before < 0.1 * (size // 4096) and after > 0.95 * (size // 4096)
    assert not any(np.frombuffer(buffer, np.uint8)[::4096])


@pytest.mark.parametrize("populate", [True, False], ids=["madvise", "zeros"])
def test_touching_keeps_what_a_buffer_holds_on_either_path(monkeypatch: pytest.MonkeyPatch, populate: bool) -> None:
    if not populate:
        monkeypatch.setattr(backend, "_madvise", False)
    size = (16 << 20) + 123  # partial pages at the end
    buffer = bytearray(size)
    view = np.frombuffer(buffer, np.uint8)
    view[::4093] = 7
    address = view.ctypes.data
    backend.touch(memoryview(buffer)[5:])  # partial pages at the start too
    assert _resident_pages(address, size) > 0.95 * (size // 4096)
    assert int(view[::4093].min()) == 7 and int(view.sum()) == 7 * len(view[::4093])


def test_the_device_xml_is_read_from_the_remote_port(cam: ace_gentl.Session) -> None:
    url, xml = backend.read_port_url(cam.raw.remote_device.port)
    assert url.lower().startswith("local:") and xml.lstrip().startswith(b"<?xml")
    assert b"acA4112-20um" in xml


def test_the_stream_module_gives_gentl_counters(cam: ace_gentl.Session) -> None:
    frames = cam.grab(3)
    counters = cam.stream.counters()
    assert len(frames) == 3 and counters.delivered is not None and counters.delivered >= 3
    assert counters.underrun is not None
