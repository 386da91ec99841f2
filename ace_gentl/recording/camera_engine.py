"""The engine for one camera: frames from a :class:`~ace_gentl.session.Session`, zero-copy.

Buffers. The producer needs free buffers to fill while the recorder is busy elsewhere; a frame
is lost only when it has none. The count is sized from the camera's rate and a time budget,
:data:`BUFFER_SECONDS` of frames (within a memory cap), instead of a fixed number. The recorder
may hold all but :data:`FREE_SECONDS` of them while it decodes, compresses or writes their
frames; beyond that it copies frames out and gives their buffers back at once. Harvesters'
buffers are made resident before AcquisitionStart (:func:`ace_gentl.backend.use_touched_buffers`).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ace_gentl import backend, pixels
from ace_gentl.errors import AceGentlError, DeviceLostError, FeatureError, RecordingConfigError
from ace_gentl.errormap import gentl_errors
from ace_gentl.frames import Frame
from ace_gentl.recording import layout, metadata
from ace_gentl.recording.engine import CameraEnd, CameraStart, Record, RunEnd, RunStart

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the Session is only used, never imported at run time: no session <-> recording cycle
    from ace_gentl.session import Session

_CHUNK_CONTROLS = frozenset({"ChunkModeActive", "ChunkSelector", "ChunkEnable"})
#: Seconds of frames at the camera's rate the producer's buffers hold in all.
BUFFER_SECONDS = 2.0
#: Seconds of frames kept free for the producer whatever the recorder holds: the slack for the
#: recorder's stalls (the worst measured in the soaks is in the README).
FREE_SECONDS = 0.5
MIN_BUFFERS = 8
MIN_FREE = 4
MAX_BUFFERS = 1000
#: The buffers' memory stays below this (unless MIN_BUFFERS alone is more).
MAX_BUFFER_BYTES = 1 << 30
#: Seconds between two attempts to reopen a lost camera.
RECONNECT_POLL_S = 0.25
#: Seconds between two readings of the device clock against the host clock (TimestampLatch).
CLOCK_INTERVAL_S = 5.0
#: Trigger selectors whose TriggerMode On means frames wait for a trigger.
_FRAME_TRIGGERS = ("FrameStart", "FrameBurstStart", "AcquisitionStart", "ExposureStart")


def significant_bits(pixel_format: str, container_bits: int) -> int:
    """12 for Mono12/Mono12p/BayerRG12, 8 for RGB8, ...: the number in the PFNC name."""
    match = re.search(r"(\d+)", pixel_format)
    return int(match.group(1)) if match else container_bits


def buffer_count(rate_hz: float | None, payload_bytes: int) -> int:
    """GenTL buffers for a run at ``rate_hz``: :data:`BUFFER_SECONDS` of frames, within the caps."""
    wanted = math.ceil((rate_hz or 0.0) * BUFFER_SECONDS)
    cap = MAX_BUFFER_BYTES // max(1, payload_bytes)
    return max(MIN_BUFFERS, min(wanted, cap, MAX_BUFFERS))


def lendable_count(num_buffers: int, rate_hz: float | None) -> int:
    """Buffers the recorder may hold at once: all but :data:`FREE_SECONDS` of frames (at least :data:`MIN_FREE`)."""
    free = max(MIN_FREE, math.ceil((rate_hz or 0.0) * FREE_SECONDS))
    return max(1, num_buffers - free)


class CameraEngine:
    """Frames from a :class:`Session`; each frame holds its buffer until the recorder releases it.

    ``events``: event names (EventSelector entries) switched on for the run and stored per frame
    in the camera's events table. The device clock is read against the host clock (TimestampLatch)
    at the start, every :data:`CLOCK_INTERVAL_S` and at the end, into the clock table.
    """

    def __init__(self, session: Session, *, num_buffers: int | None = None, timeout: float | None = None,
                 events: tuple[str, ...] | list[str] = (), name: str | None = None, role: str = "",
                 clock_interval_s: float = CLOCK_INTERVAL_S, reconnect_s: float | None = None) -> None:
        self.session = session
        self.num_buffers = num_buffers  # None: buffer_count() from the camera's rate
        self.timeout = timeout  # None: frame period based in free run, no limit when triggered
        self.events = tuple(events)
        self.name = name
        self.role = role
        self.clock_interval_s = clock_interval_s
        self.reconnect_s = reconnect_s  # a lost camera is waited for this long, then recorded on (None: never)
        self._settings_start: dict[str, Any] | None = None
        self._delivered = 0
        self._started_here = False
        self._trigger: str | None = None
        self._lost_at_start: int | None = None
        self._first = True
        self._pump: backend.EventPump | None = None
        self._rows: list[Record] = []
        self._next_clock = 0.0
        self._clock_problem = ""
        self._events_on: list[str] = []
        self.index = 0  # this camera's place in the run (a rig sets it)

    # --- before the run ------------------------------------------------------------------------

    def geometry(self) -> layout.Geometry | None:
        """The frames' shape as the node map says, or None when it cannot say (read at the first frame)."""
        features = self.session.features
        name, height, width = (features.value_or(key) for key in ("PixelFormat", "Height", "Width"))
        if not isinstance(name, str) or not isinstance(height, int) or not isinstance(width, int) or \
                height <= 0 or width <= 0:
            return None
        fmt = pixels.lookup(name)  # a format ace_gentl cannot decode stops the run here, with its name
        shape = (height, width) if fmt.channels == 1 else (height, width, fmt.channels)
        return layout.Geometry(shape=shape, dtype=np.dtype(fmt.dtype), pixel_format=fmt.name,
                               bits=significant_bits(fmt.name, fmt.bits))

    def chunk_fields(self) -> tuple[list[layout.Field], dict[str, Any]]:
        """Per-frame datasets for every enabled numeric chunk, and the chunk selectors' values.

        Decided before the run starts: the SWMR file cannot get new datasets later.
        """
        features = self.session.features
        if not features.value_or("ChunkModeActive", False):
            return [], {}
        enabled: set[str] | None = None
        if "ChunkSelector" in features and "ChunkEnable" in features:
            try:
                enabled = {str(entry) for entry in features.selector_values("ChunkSelector")
                           if features.value_or("ChunkEnable", False, ChunkSelector=entry)}
            except FeatureError:  # the selector cannot be listed: take every chunk the node map has
                enabled = None
        fields: list[layout.Field] = []
        selectors: dict[str, Any] = {}
        for name in features:
            if not name.startswith("Chunk") or name in _CHUNK_CONTROLS:
                continue
            short = name.removeprefix("Chunk")
            if name.endswith("Selector"):
                try:
                    selectors[short] = features[name]
                except FeatureError as error:  # kept in the file as the reason
                    selectors[short] = f"<unreadable: {error}>"
                continue
            try:
                info = features.describe(name)
            except FeatureError:
                continue
            if info.type not in ("Integer", "Float", "Boolean"):
                continue
            if enabled is not None and short not in enabled:
                continue
            fields.append(layout.chunk_field(short, info.type, info.unit or ""))
        return fields, selectors

    def _float(self, name: str) -> float | None:
        value = self.session.features.value_or(name)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def frame_rate(self) -> float | None:
        """Frames per second the camera runs at (free run) or at most (triggered)."""
        for name in ("ResultingFrameRate", "AcquisitionResultingFrameRate", "AcquisitionFrameRate"):
            rate = self._float(name)
            if rate is not None and rate > 0:
                return rate
        return None

    def trigger(self) -> str | None:
        """The TriggerSource of the first frame trigger that is On, else None (free run)."""
        features = self.session.features
        if "TriggerMode" not in features:
            return None
        try:
            if "TriggerSelector" in features:
                for selector in features.selector_values("TriggerSelector"):
                    if str(selector) in _FRAME_TRIGGERS and \
                            str(features.read("TriggerMode", TriggerSelector=selector)) == "On":
                        source = features.read("TriggerSource", TriggerSelector=selector) \
                            if "TriggerSource" in features else "a trigger"
                        return str(source)
                return None
            if str(features["TriggerMode"]) == "On":
                return str(features["TriggerSource"]) if "TriggerSource" in features else "a trigger"
        except FeatureError:
            return None
        return None

    def camera_start(self) -> CameraStart:
        """This camera's part of the run's start (metadata gathered, buffers sized, events on)."""
        geometry = self.geometry()
        fields, selectors = self.chunk_fields()
        self._switch_events_on()
        static = metadata.gather(self.session)
        static.extra["chunk_selectors"] = selectors
        self._settings_start = static.settings_start
        rate = self.frame_rate()
        self._trigger = self.trigger()
        payload = self._payload_bytes(geometry)
        if self.num_buffers is None:
            self.num_buffers = buffer_count(rate, payload)
        device = self.session.device
        config = {"serial": device.serial, "model": device.model, "chunk_selectors": selectors,
                  "buffers": self.num_buffers, "buffer_bytes": payload * self.num_buffers,
                  "events": list(self._events_on)}
        if self.role:
            config["role"] = self.role
        return CameraStart(name=self.name or layout.nexus_name(device.model), geometry=geometry, fields=fields,
                           static=static, frame_rate_hz=rate, trigger=self._trigger,
                           lendable_frames=lendable_count(self.num_buffers, rate), role=self.role, config=config)

    def begin(self) -> RunStart:
        camera = self.camera_start()
        device = self.session.device
        return RunStart(cameras=[camera], title=f"{device.model} {device.serial}",
                        config={key: camera.config[key] for key in ("chunk_selectors", "buffers", "buffer_bytes")})

    def _switch_events_on(self) -> None:
        """EventNotification On for each event of the run (before acquisition: some cameras lock it)."""
        self._events_on = []
        for name in self.events:
            try:
                self.session.set("EventNotification", "On", EventSelector=name)
            except AceGentlError as error:
                raise RecordingConfigError(f"{self.session.device}: event {name!r} cannot be switched on: "
                                           f"{error}") from error
            self._events_on.append(name)

    def _payload_bytes(self, geometry: layout.Geometry | None) -> int:
        payload = self.session.features.value_or("PayloadSize")
        if isinstance(payload, int) and payload > 0:
            return payload
        if geometry is None:
            return 1  # unknown: the memory cap then leaves the count to the frame rate
        return pixels.frame_bytes(geometry.pixel_format, geometry.shape[1], geometry.shape[0])

    # --- the run -------------------------------------------------------------------------------

    def start_acquisition(self) -> None:
        """Start the stream (if it is not running) and take the run's starting points."""
        if not self.session.stream.running:
            self.session.start(self.num_buffers)  # the Session prepares the stream (a served XML's frame shape)
            self._started_here = True
        self._lost_at_start = self._lost_count()
        self._first = True
        if self._events_on:
            try:
                with gentl_errors(f"{self.session.device}: opening its event channel"):
                    self._pump = backend.EventPump(self.session.raw, self._events_on)
            except AceGentlError as error:
                raise RecordingConfigError(f"{self.session.device}: events {self._events_on} cannot be "
                                           f"received: {error}") from error
        self.sample_clock()

    def frame_timeout(self) -> float | None:
        """Seconds to wait for a frame: given, or frame period based in free run, None when triggered."""
        if self.timeout is None and self._trigger is None:
            return self.session.default_timeout()
        return self.timeout

    def take(self, cancelled: Callable[[], bool], timeout: float | None) -> Frame | None:
        """The next frame (waiting up to ``timeout``), or None once ``cancelled()``."""
        frame = self.session.stream.fetch(timeout, copy=False, cancelled=cancelled)
        return self._taken(frame)

    def poll(self) -> Frame | None:
        """The next frame if one is ready now (for engines that serve several cameras from one thread)."""
        return self._taken(self.session.stream.try_fetch(copy=False))

    def _taken(self, frame: Frame | None) -> Frame | None:
        self._side_rows()
        if frame is not None:
            self._delivered += 1
        if frame is not None and self._first:  # frames the producer lost before the first one it delivered
            self._first = False
            lost = self._lost_count()
            if lost is not None and self._lost_at_start is not None and lost > self._lost_at_start:
                frame.lost_before = max(frame.lost_before, lost - self._lost_at_start)
        return frame

    def frames(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, Frame]]:
        """Start acquisition and yield frames that still hold their buffer, until ``cancelled()``."""
        self.start_acquisition()
        timeout = self.frame_timeout()
        while True:
            try:
                frame = self.take(cancelled, timeout)
            except DeviceLostError as error:
                if self.reconnect_s is None:
                    raise
                self.lost(str(error))
                deadline = time.monotonic() + self.reconnect_s
                while not self.reconnect():
                    if cancelled():
                        return
                    if time.monotonic() > deadline:
                        raise DeviceLostError(f"{error}; it did not come back within {self.reconnect_s:g} s") from error
                    time.sleep(RECONNECT_POLL_S)
                continue
            if frame is None:
                return
            yield self.index, frame

    # --- a camera lost and back ------------------------------------------------------------------

    def device_lost(self) -> bool:
        try:
            return not self.session.closed and self.session.stream.device_lost()
        except AceGentlError:
            return True

    def lost(self, reason: str) -> None:
        """The camera is gone: note it in the reconnects table (back_host_timestamp 0 until it is back)."""
        self._rows.append(Record(self.index, "reconnects", {"lost_host_timestamp": time.time_ns(),
                                                            "frames_before": self._delivered, "reason": reason}))
        if self._pump is not None:
            try:
                self._pump.close()
            except Exception as error:  # noqa: BLE001 (the camera is gone; its node map may be too)
                log.debug("removing event callbacks of a lost camera: %s", error)
            self._pump = None

    def reconnect(self) -> bool:
        """One attempt to have the camera back: reopened, the run's start settings applied, acquiring."""
        if not self.session.reopen():
            return False
        if self._settings_start:
            try:
                self.session.apply(self._settings_start)
            except AceGentlError as error:  # ApplyError lists what could not be set: noted, recorded on
                log.warning("%s: after reconnecting, not every start setting could be restored: %s",
                            self.session.device, error)
        self._started_here = False
        self._switch_events_on()
        self.start_acquisition()
        self._rows.append(Record(self.index, "reconnects", {"back_host_timestamp": time.time_ns(),
                                                            "frames_before": self._delivered, "reason": "back"}))
        return True

    def _side_rows(self) -> None:
        """Events delivered since the last frame, and a clock reading when one is due."""
        if self._pump is not None:
            host = time.time_ns()
            for event in self._pump.pump():
                self._rows.append(Record(self.index, "events", {**event, "host_timestamp": host}))
        if self.clock_interval_s > 0 and time.monotonic() >= self._next_clock:
            self.sample_clock()

    def sample_clock(self) -> None:
        """Read the device clock against the host clock once (TimestampLatch, TimestampLatchValue)."""
        self._next_clock = time.monotonic() + self.clock_interval_s
        if self._clock_problem or self.session.closed:
            return
        features = self.session.features
        try:
            before = time.time_ns()
            features.execute("TimestampLatch")
            device = int(features["TimestampLatchValue"])
            after = time.time_ns()
        except (AceGentlError, TypeError, ValueError) as error:  # no latch on this camera: noted once
            self._clock_problem = str(error)
            log.info("%s: the device clock cannot be read against the host clock: %s", self.session.device, error)
            return
        self._rows.append(Record(self.index, "clock", {"host_before": before, "host_after": after,
                                                       "device": device}))

    def records(self) -> list[Record]:
        rows, self._rows = self._rows, []
        return rows

    def leader_done(self) -> None:
        """One camera: nothing else to wait for."""

    def halt(self) -> None:
        if self._started_here and self.session.streaming:
            self.session.stream.halt()

    def camera_end(self) -> CameraEnd:
        if self._pump is not None:
            self._side_rows()
            self._pump.close()
            self._pump = None
        self.sample_clock()
        lost = self._lost_count()
        lost_in_run = None
        if lost is not None and self._lost_at_start is not None:
            lost_in_run = max(0, lost - self._lost_at_start)
        counters: dict[str, Any] = {}
        settings_end = stream_end = None
        if not self.session.closed:
            counters = {key: value for key, value in vars(self.session.stream.counters()).items()
                        if value is not None}
            if self._clock_problem:
                counters["clock"] = f"not read: {self._clock_problem}"
            try:
                settings_end = self.session.snapshot()
                stream_end = metadata.module_features(self.session.stream_features)
            except AceGentlError as error:  # the camera may be gone: say so in the file
                settings_end = {"unavailable": str(error)}
        return CameraEnd(settings_end=settings_end, stream_module_end=stream_end, lost_by_producer=lost_in_run,
                         counters=counters)

    def end(self) -> RunEnd:
        return RunEnd(cameras=[self.camera_end()])

    def stop(self) -> None:
        if self._started_here and self.session.streaming:
            self.session.stop()
        self._started_here = False

    def waiting_for(self) -> str:
        return f"a trigger on {self._trigger}" if self._trigger else ""

    def max_poll_gap_s(self) -> float:
        return self.session.stream.poll_stats.max_gap_s if not self.session.closed else 0.0

    def _lost_count(self) -> int | None:
        """Frames the producer lost so far: SFNC StreamLostFrameCount, else GenTL's underrun count."""
        if self.session.closed:
            return None
        lost = self.session.stream_features.value_or("StreamLostFrameCount")
        if isinstance(lost, int) and not isinstance(lost, bool):
            return lost
        try:
            return self.session.stream.counters().underrun
        except AceGentlError:
            return None


__all__ = ["BUFFER_SECONDS", "CameraEngine", "FREE_SECONDS", "buffer_count", "lendable_count", "significant_bits"]
