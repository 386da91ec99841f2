"""Finding, opening and closing cameras: records, clear errors, nothing left behind."""

from __future__ import annotations

import gc
import shutil
import signal
import threading
from pathlib import Path

import pytest

import ace_gentl
from ace_gentl import transport
from ace_gentl.errors import (
    AmbiguousDeviceError,
    DeviceBusyError,
    DeviceNotFoundError,
    SessionClosedError,
)
from ace_gentl.sim import cti_path
from session_fixtures import session  # noqa: F401 (pytest fixture)
from gentl_consumer import open_fd_count, process_rss_bytes, thread_count


def test_list_devices_gives_typed_records() -> None:
    (record,) = ace_gentl.list_devices(sim=True)
    assert isinstance(record, ace_gentl.DeviceRecord)
    assert (record.vendor, record.model, record.tl_type) == ("Basler", "acA4112-20um", "U3V")
    assert record.serial and record.id and record.access_status == "ReadWrite"
    assert record.producer == cti_path()
    assert isinstance(record.user_id, str)


def test_open_by_serial_model_and_index() -> None:
    serial = ace_gentl.list_devices(sim=True)[0].serial
    with ace_gentl.open(sim=True, serial=serial) as s:
        assert s.device.serial == serial and s.DeviceSerialNumber == serial
    with ace_gentl.open(sim=True, model="acA4112-20um", index=0) as s:
        assert s.DeviceModelName == "acA4112-20um"


def test_no_match_lists_what_exists() -> None:
    with pytest.raises(DeviceNotFoundError) as info:
        ace_gentl.open(sim=True, serial="does-not-exist")
    text = str(info.value)
    assert "serial='does-not-exist'" in text
    assert "Basler acA4112-20um serial" in text  # the camera that does exist
    with pytest.raises(DeviceNotFoundError, match="index=3"):
        ace_gentl.open(sim=True, index=3)
    assert transport.loaded_paths() == []


def test_several_match(tmp_path: Path) -> None:
    # A second copy of the producer file is a second producer reporting a camera with the same serial.
    copy = tmp_path / "copy.cti"
    shutil.copy(cti_path(), copy)
    with pytest.raises(AmbiguousDeviceError, match=r"(?s)2 cameras match any camera.*\[0\].*\[1\]"):
        ace_gentl.open(cti=[cti_path(), copy])
    assert transport.loaded_paths() == []


def test_busy_when_already_open(session: ace_gentl.Session) -> None:
    with pytest.raises(DeviceBusyError, match="in use by another process or Session"):
        ace_gentl.open(sim=True)
    assert session.Width > 0  # the first Session is unharmed
    assert transport.loaded_paths() == [cti_path()]


def test_close_releases_everything_also_on_exceptions() -> None:
    with pytest.raises(RuntimeError):
        with ace_gentl.open(sim=True) as s:
            s.start()
            raise RuntimeError("user code failed")
    assert s.closed and transport.loaded_paths() == []
    with pytest.raises(SessionClosedError):
        s.Width  # noqa: B018
    s.close()  # idempotent
    with ace_gentl.open(sim=True) as again:  # and the camera can be opened again
        assert again.Width > 0


def test_ctrl_c_reaches_the_caller_and_the_session_closes() -> None:
    # Start from Python's own handler: a plain Harvesters ImageAcquirer made by an earlier test
    # may have left its Ctrl-C-swallowing handler installed.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with ace_gentl.open(sim=True) as s:
                # Harvesters' swallowing handler was removed again
                assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
                s.Height = 64
                for count, _frame in enumerate(s.frames(timeout=5)):
                    if count == 2:
                        signal.raise_signal(signal.SIGINT)
        assert s.closed and transport.loaded_paths() == []
    finally:
        signal.signal(signal.SIGINT, previous)


def test_forgotten_session_is_closed_by_the_garbage_collector() -> None:
    s = ace_gentl.open(sim=True)
    assert transport.loaded_paths() == [cti_path()]
    del s
    gc.collect()
    assert transport.loaded_paths() == []


def _cycle() -> None:
    with ace_gentl.open(sim=True) as s:
        s.Height = 64
        s.grab(1, timeout=5)


@pytest.mark.slow
def test_100_open_close_cycles_do_not_grow() -> None:
    # Warm-up: glibc hands each new thread (the producer's and Harvesters') a malloc arena until
    # it has 8 per core; RSS rises over the first ~40 cycles, then stays flat (measured over 300).
    for _ in range(50):
        _cycle()
    gc.collect()
    rss0, fds0, threads0 = process_rss_bytes(), open_fd_count(), thread_count()
    for _ in range(100):
        _cycle()
    gc.collect()
    grown = process_rss_bytes() - rss0
    assert grown < 5 * 2**20, f"RSS grew by {grown / 2**20:.2f} MiB over 100 cycles"
    assert open_fd_count() == fds0
    assert thread_count() == threads0


def test_features_read_while_another_thread_starts_and_stops_do_not_deadlock(session: ace_gentl.Session) -> None:
    """GenApi holds the GIL while it waits for the node map, whose holder may need the GIL (a Bluesky plan
    reading a feature while the recorder ran AcquisitionStart hung this way): the Session makes them take turns."""
    session.features["Height"] = 32
    done = threading.Event()
    errors: list[BaseException] = []
    reads = [0]

    def start_and_stop() -> None:
        try:
            for _ in range(40):
                session.start(num_buffers=4)
                session.stop()
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)
        finally:
            done.set()

    def read() -> None:
        try:
            while not done.is_set():
                session.features["ExposureTime"]
                session.features.describe("Width")
                session.device_features["DeviceAccessStatus"]
                reads[0] += 1
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=start_and_stop, daemon=True), threading.Thread(target=read, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "deadlocked"
    assert not errors and reads[0] > 10
