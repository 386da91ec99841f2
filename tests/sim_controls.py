"""The simulated acA4112-20um through Harvesters 1.4.3, with its Simulation controls.

`sim_camera()` opens one camera through Harvesters (optionally with the event monitor on) and
gives the remote-device node map (`nm`), the GenTL Device-module node map with the Simulation
controls (`dev`), device-time latches, simulated wiring helpers, a fetch that snapshots a buffer
(timestamp, frame ID, image, raw bytes, chunk values read inside fetch) and an event recorder.

Every test must call the `sim_env` fixture (imported into the test module) first: it points
ACE_SIM_STATE_DIR at a temporary folder before any producer is loaded.
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ace_gentl.sim import cti_path


def _refused() -> tuple[type[BaseException], ...]:
    from genicam import genapi, gentl

    return (genapi.GenericException, gentl.GenericException)


# What a refused feature write raises: GenApi's own check, or the producer's GenTL error
REFUSED = _refused()

CHUNK_IDS = {
    "Image": 0xA5A50000,
    "Timestamp": 0xA5A50001,
    "ExposureTime": 0xA5A50002,
    "Gain": 0xA5A50003,
    "LineStatusAll": 0xA5A50004,
    "CounterValue": 0xA5A50005,
    "SequencerSetActive": 0xA5A50007,
    "PayloadCRC16": 0xA5A50006,
}
CHUNK_DATA_LEN = {"Timestamp": 8, "ExposureTime": 8, "Gain": 8, "LineStatusAll": 4, "CounterValue": 8,
                  "SequencerSetActive": 4, "PayloadCRC16": 4}
EVENT_IDS = {
    "ExposureEnd": 9001, "FrameStart": 9002, "FrameBurstStart": 9003, "FrameStartOvertrigger": 9004,
    "FrameBurstStartOvertrigger": 9005, "FrameStartWait": 9006, "FrameBurstStartWait": 9007,
    "CriticalTemperature": 9008, "OverTemperature": 9009,
}
EVENTS_WITH_FRAME_ID = {"ExposureEnd", "FrameStart", "FrameBurstStart", "FrameStartOvertrigger",
                        "FrameBurstStartOvertrigger"}

# Timing constants of the model (cti/README.md, "Timing model")
LINE_TIME_US = 14.02
EXTRA_ROWS = 34
EXPOSURE_OVERHEAD_US = 2 * LINE_TIME_US
TRIGGER_WIDTH_OFFSET_US = 14.0
SIM_PULSE_WIDTH_NS = 10_000


@pytest.fixture
def sim_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state folder (user sets, busy locks) and default simulator environment."""
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("ACE_SIM_STATE_DIR", str(state))
    for name in ("ACE_SIM_CAMERAS", "ACE_SIM_THERMAL_TAU_S", "ACE_SIM_THERMAL_RISE_C"):
        monkeypatch.delenv(name, raising=False)
    return state


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0), table-driven."""
    table = _crc_table()
    crc = 0xFFFF
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ b) & 0xFF]
    return crc


_CRC_TABLE: list[int] = []


def _crc_table() -> list[int]:
    if not _CRC_TABLE:
        for i in range(256):
            c = i << 8
            for _ in range(8):
                c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
            _CRC_TABLE.append(c & 0xFFFF)
    return _CRC_TABLE


def parse_u3v_chunks(raw: bytes, size: int) -> list[tuple[int, int, int]]:
    """Parse a U3V chunk layout backwards from `size`: [(chunk_id, data_offset, data_len)] in buffer order."""
    out = []
    end = size
    while end > 0:
        assert end >= 8, f"dangling {end} bytes at the start of the chunk layout"
        cid, length = struct.unpack_from("<II", raw, end - 8)
        assert length <= end - 8, f"chunk {cid:#x} length {length} overruns the buffer (end {end})"
        out.append((cid, end - 8 - length, length))
        end -= 8 + length
    return out[::-1]


@dataclass
class Frame:
    frame_id: int
    timestamp_ns: int
    width: int
    height: int
    image: np.ndarray
    raw: bytes
    size_filled: int
    chunk_payload_size: int | None
    chunks: dict[str, Any] = field(default_factory=dict)


class EventRecorder:
    """Records every remote-device event through Harvesters' own event path, pumped in this thread.

    Harvesters registers EVENT_REMOTE_DEVICE (EventManagerRemoteDevice) and builds an
    EventAdapterU3V on the remote node map; its monitor thread calls update_event_data() and
    deliver_message().  That thread deadlocks with any node access from the main thread (it holds
    the GIL inside DeliverMessage while waiting for the node-map lock, and Harvesters' port is
    Python code that needs the GIL), so the tests run the same two calls here instead (sim_camera
    with events=True does not start the monitor thread).  A node callback on each EventXxx node
    reads the event's data nodes while the message is attached."""

    def __init__(self, cam: SimCamera, names: list[str]) -> None:
        self.cam = cam
        self.records: list[tuple[str, int, int | None]] = []  # (event, timestamp, frame id)
        self.errors: list[str] = []
        self.messages = 0
        self.monitor = cam.ia._module_event_monitor_dict[cam.ia.remote_device]
        self.adapter = cam.ia._event_adapter
        for name in names:
            self._register(name)

    def _register(self, name: str) -> None:
        nm = self.cam.nm
        from genicam.genapi import AccessException

        def callback(node: Any, *_: Any) -> None:
            try:
                ts = int(getattr(nm, f"Event{name}Timestamp").value)
                fid = int(getattr(nm, f"Event{name}FrameID").value) if name in EVENTS_WITH_FRAME_ID else None
            except AccessException:
                return  # fired again when GenApi detaches the message: nothing to read
            except Exception as exc:
                self.errors.append(repr(exc))
                return
            self.records.append((name, ts, fid))

        result = self.cam.ia.remote_device.register_node_callback(node_name=f"Event{name}", callback=callback)
        assert result is not None, f"no node Event{name} in the remote node map"

    def pump(self, timeout_ms: int = 20) -> int:
        """Deliver every queued message (waiting at most timeout_ms for the first); returns how many."""
        from genicam.gentl import TimeoutException

        n = 0
        while True:
            try:
                self.monitor.update_event_data(timeout_ms if n == 0 else 0)
            except TimeoutException:
                return n
            self.adapter.deliver_message(self.monitor.optional_data)
            self.messages += 1
            n += 1

    def of(self, name: str) -> list[tuple[int, int | None]]:
        return [(ts, fid) for n, ts, fid in self.records if n == name]

    def wait_for(self, name: str, count: int, timeout_s: float = 2.0) -> list[tuple[int, int | None]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(self.of(name)) < count:
            self.pump(20)
        self.pump(0)
        return self.of(name)


class SimCamera:
    def __init__(self, h: Any, ia: Any) -> None:
        self.h = h
        self.ia = ia
        self.nm = ia.remote_device.node_map
        self.dev = ia.device.node_map

    # --- node helpers ---
    def set(self, **values: Any) -> None:
        for name, value in values.items():
            getattr(self.nm, name).value = value

    def get(self, name: str) -> Any:
        return getattr(self.nm, name).value

    def sel(self, selector: str, entry: str) -> SimCamera:
        getattr(self.nm, selector).value = entry
        return self

    def trigger(self, selector: str = "FrameStart", mode: str = "On", source: str | None = None,
                activation: str | None = None, delay_us: float | None = None) -> None:
        self.nm.TriggerSelector.value = selector
        if source is not None:
            self.nm.TriggerSource.value = source
        if activation is not None:
            self.nm.TriggerActivation.value = activation
        if delay_us is not None:
            self.nm.TriggerDelay.value = delay_us
        self.nm.TriggerMode.value = mode

    def lost_triggers(self, selector: str = "FrameStart") -> int:
        """Lost triggers since AcquisitionStart (simulator diagnostic, in the Device-module Simulation
        category; older builds had it in the camera XML, indexed by TriggerSelector)."""
        if hasattr(self.dev, "SimLostTriggerCount"):
            self.dev.SimTriggerSelector.value = selector
            return int(self.dev.SimLostTriggerCount.value)
        self.nm.TriggerSelector.value = selector
        return int(self.nm.SimLostTriggerCount.value)

    def enable_events(self, *names: str) -> None:
        for name in names:
            self.nm.EventSelector.value = name
            self.nm.EventNotification.value = "On"

    def enable_chunks(self, *names: str) -> None:
        self.nm.ChunkModeActive.value = True
        for name in names:
            self.nm.ChunkSelector.value = name
            self.nm.ChunkEnable.value = True

    # --- device time ---
    def now_ns(self) -> int:
        self.nm.TimestampLatch.execute()
        return int(self.nm.TimestampLatchValue.value)

    # --- simulated wiring (Device-module node map, category Simulation) ---
    def line_pulse(self, line: int) -> tuple[int, int]:
        """One pulse on Line<line>; returns the device-time bracket (before, after) of the rising edge."""
        self.dev.SimLineSelector.value = f"Line{line}"
        before = self.now_ns()
        self.dev.SimLinePulse.execute()
        return before, self.now_ns()

    def line_level(self, line: int, high: bool) -> tuple[int, int]:
        self.dev.SimLineSelector.value = f"Line{line}"
        before = self.now_ns()
        self.dev.SimLineLevel.value = high
        return before, self.now_ns()

    def pulse_train(self, line: int, hz: float) -> tuple[int, int]:
        self.dev.SimLineSelector.value = f"Line{line}"
        before = self.now_ns()
        self.dev.SimLinePulseFrequency.value = hz
        return before, self.now_ns()

    def wire(self, line: int, camera: str, source_line: int = 2, delay_us: float = 1.0) -> None:
        """Line<line> follows output Line<source_line> of the camera with serial ``camera``
        (SimLineSource Camera, cti/README.md "Cameras wired to each other")."""
        self.dev.SimLineSelector.value = f"Line{line}"
        self.dev.SimLineSource.value = "Camera"
        self.dev.SimLineSourceCamera.value = camera
        self.dev.SimLineSourceLine.value = f"Line{source_line}"
        self.dev.SimLineSourceDelay.value = delay_us

    def software_trigger(self, selector: str = "FrameStart") -> tuple[int, int]:
        self.nm.TriggerSelector.value = selector
        before = self.now_ns()
        self.nm.TriggerSoftware.execute()
        return before, self.now_ns()

    # --- acquisition ---
    def start(self) -> None:
        self.ia.start()

    def stop(self) -> None:
        if self.ia.is_acquiring():
            self.ia.stop()

    def fetch(self, timeout: float = 5.0, chunks: tuple[str, ...] = ()) -> Frame:
        with self.ia.fetch(timeout=timeout) as buffer:
            return self._snapshot(buffer, chunks)

    def try_fetch(self, timeout: float, chunks: tuple[str, ...] = ()) -> Frame | None:
        buffer = self.ia.try_fetch(timeout=timeout)
        if buffer is None:
            return None
        with buffer:
            return self._snapshot(buffer, chunks)

    def _snapshot(self, buffer: Any, chunks: tuple[str, ...]) -> Frame:
        module = buffer.module
        component = buffer.payload.components[0]
        filled = module.size_filled
        try:
            cps = module.delivered_chunk_payload_size
        except Exception:
            cps = None
        values = {}
        for name in chunks:
            values[name] = getattr(self.nm, name).value
        return Frame(
            frame_id=module.frame_id,
            timestamp_ns=module.timestamp_ns,
            width=component.width,
            height=component.height,
            image=component.data.copy(),
            # a real copy: bytes(b[:len(b)]) would alias the live buffer the producer refills
            raw=bytes(bytearray(memoryview(module.raw_buffer)[:filled])),
            size_filled=filled,
            chunk_payload_size=cps,
            chunks=values,
        )

    def drain(self, quiet_s: float = 0.3, chunks: tuple[str, ...] = ()) -> list[Frame]:
        """Fetch until no frame arrives for quiet_s."""
        frames = []
        while True:
            frame = self.try_fetch(timeout=quiet_s, chunks=chunks)
            if frame is None:
                return frames
            frames.append(frame)


def new_harvester(path: Path | None = None) -> Any:
    from harvesters.core import Harvester

    h = Harvester()
    h.add_file(str(path or cti_path()), check_existence=True, check_validity=True)
    h.update()
    return h


@contextlib.contextmanager
def sim_camera(index: int = 0, *, events: bool | str = False, num_buffers: int | None = None,
               height: int | None = 256, width: int | None = 512, h: Any = None) -> Iterator[SimCamera]:
    """One opened camera through Harvesters.  ROI defaults to 512x256 so frames are fast."""
    from harvesters.core import ParameterKey, ParameterSet

    own = h is None
    if own:
        h = new_harvester()
    ia = None
    try:
        params: dict = {}
        if events == "thread":  # Harvesters' own monitor thread (see EventRecorder)
            params[ParameterKey.ENABLE_EVENT_MONITOR] = True
        if num_buffers:
            params[ParameterKey.NUM_BUFFERS_FOR_FETCH_CALL] = num_buffers
        ia = h.create(index, config=ParameterSet(params) if params else None)
        cam = SimCamera(h, ia)
        if width is not None:
            cam.nm.Width.value = width
        if height is not None:
            cam.nm.Height.value = height
        yield cam
    finally:
        if ia is not None:
            try:
                if ia.is_acquiring():
                    ia.stop()
            except Exception:  # e.g. a camera that a fault test unplugged; destroy anyway
                pass
            finally:
                ia.destroy()
        if own:
            h.reset()


def frame_period_min_us(nm: Any) -> float:
    """P_min of the overlap rule: max(readout, payload / link, exposure + C_exp) in microseconds."""
    readout = (nm.Height.value * nm.BinningVertical.value + EXTRA_ROWS) * LINE_TIME_US
    link = nm.DeviceLinkThroughputLimit.value if nm.DeviceLinkThroughputLimitMode.value == "On" else 380e6
    return max(readout, nm.PayloadSize.value / link * 1e6, nm.ExposureTime.value + EXPOSURE_OVERHEAD_US)


# --- child processes (a fresh producer in a new process) ---

CHILD_PRELUDE = textwrap.dedent(
    """
    import os, sys, time, json
    sys.path.insert(0, {tests!r})
    from sim_controls import new_harvester
    """
)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                       env.get("PYTHONPATH", "")]))
    env["ACE_GENTL_SIM_CTI"] = str(cti_path())
    env.update(extra)
    return env


def child_script(body: str) -> str:
    return CHILD_PRELUDE.format(tests=str(Path(__file__).resolve().parent)) + textwrap.dedent(body)


def run_child(body: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", child_script(body)], capture_output=True, text=True,
                          timeout=timeout, env=child_env(**env))


def spawn_child(body: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", child_script(body)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env(**env))
