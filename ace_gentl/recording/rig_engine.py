"""The engine for several cameras recorded as one instrument: one thread polls them all.

Followers are armed before the leader and stopped after it. One thread takes every camera's
buffers, reads its chunk data, pumps its events, reads its clock and (in software sync) sends the
triggers, so nothing touches a camera's node map from two threads. Cameras lost in the run are
reopened when ``reconnect`` allows it (see :meth:`CameraEngine.reconnect`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from ace_gentl.errors import AcquisitionTimeout, DeviceLostError
from ace_gentl.frames import POLL_INTERVALS_S, Frame
from ace_gentl.recording.camera_engine import CameraEngine
from ace_gentl.recording.engine import Record, RunEnd, RunStart

#: Sync modes of a rig.
SYNC_MODES = ("hardware", "software", "free-run")
#: Seconds between two checks of each camera's access status while frames are awaited.
LOST_CHECK_S = 1.0


class RigEngine:
    """Frames of several :class:`CameraEngine` s, the first being the leader."""

    def __init__(self, cameras: list[CameraEngine], *, sync: str, rig: dict[str, Any],
                 trigger_rate_hz: float | None = None, reconnect_s: float | None = None) -> None:
        if sync not in SYNC_MODES:
            raise ValueError(f"sync must be one of {', '.join(SYNC_MODES)}, not {sync!r}")
        self.cameras = cameras
        for index, camera in enumerate(cameras):
            camera.index = index
        self.sync = sync
        self.rig = dict(rig)
        self.trigger_rate_hz = trigger_rate_hz
        self.reconnect_s = reconnect_s
        self._trigger_times: list[int] = []
        self._next_trigger = 0.0
        self._leader_done = False
        self._halted: set[int] = set()
        self._lost: dict[int, tuple[float, str]] = {}  # camera -> (when it was lost, why)
        self._timeouts: list[float | None] = []

    # --- before the run ------------------------------------------------------------------------

    def begin(self) -> RunStart:
        starts = [camera.camera_start() for camera in self.cameras]
        if self.sync == "software" and self.trigger_rate_hz is None:
            rates = [start.frame_rate_hz for start in starts if start.frame_rate_hz]
            # Half the slowest camera's rate: software triggers come with the host's jitter (ms), and a
            # trigger that comes before the camera can take it is lost (an overtrigger).
            self.trigger_rate_hz = 0.5 * min(rates) if rates else 10.0
        self.rig["sync"] = self.sync
        if self.trigger_rate_hz is not None and self.sync == "software":
            self.rig["trigger_rate_hz"] = self.trigger_rate_hz
        self.rig["cameras"] = [{"name": start.name, "role": start.role, "serial": start.static.serial,
                                "model": start.static.model} for start in starts]
        title = "rig: " + ", ".join(f"{start.static.model} {start.static.serial}" for start in starts)
        return RunStart(cameras=starts, title=title, config={"sync": self.sync, "reconnect": self.reconnect_s,
                                                              "trigger_rate_hz": self.trigger_rate_hz},
                        rig=self.rig)

    # --- the run -------------------------------------------------------------------------------

    def frames(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, Frame]]:
        order = list(range(1, len(self.cameras))) + [0]  # followers armed first: the leader's first trigger finds them
        for index in order:
            self.cameras[index].start_acquisition()
        self._timeouts = [camera.frame_timeout() if self.sync != "software" else None for camera in self.cameras]
        now = time.monotonic()
        self._next_trigger = now
        last = [now] * len(self.cameras)
        next_check = now + LOST_CHECK_S
        interval, longest = POLL_INTERVALS_S
        while not cancelled():
            got = False
            if self.sync == "software" and not self._leader_done and time.monotonic() >= self._next_trigger:
                self._broadcast()
            for index, camera in enumerate(self.cameras):
                if index in self._halted:
                    continue
                if index in self._lost:
                    self._try_reconnect(index)
                    continue
                try:
                    frame = camera.poll()
                except DeviceLostError as error:
                    self._camera_lost(index, str(error))
                    continue
                if frame is not None:
                    got = True
                    last[index] = time.monotonic()
                    yield index, frame
            now = time.monotonic()
            if now >= next_check:
                next_check = now + LOST_CHECK_S
                for index, camera in enumerate(self.cameras):
                    if index not in self._lost and index not in self._halted and camera.device_lost():
                        self._camera_lost(index, "the camera was disconnected (device lost)")
            for index, timeout in enumerate(self._timeouts):
                if timeout is not None and index not in self._lost and index not in self._halted and \
                        not (index != 0 and self._leader_done) and now - last[index] > timeout:
                    raise AcquisitionTimeout(f"{self.cameras[index].session.device}: no frame within {timeout:g} s")
            if got:
                interval = POLL_INTERVALS_S[0]
            else:
                wait = interval
                if self.sync == "software" and not self._leader_done:
                    wait = min(wait, max(0.0, self._next_trigger - now))
                time.sleep(wait)
                interval = min(2 * interval, longest)

    def _broadcast(self) -> None:
        """One software trigger to every camera, followers first; its host time is kept for matching."""
        assert self.trigger_rate_hz is not None
        before = time.time_ns()
        for index in list(range(1, len(self.cameras))) + [0]:
            if index not in self._lost:
                self.cameras[index].session.execute("TriggerSoftware")
        after = time.time_ns()
        self._trigger_times.append((before + after) // 2)
        # The next one a period after this one was due; a late broadcast does not make the next one early.
        self._next_trigger = max(self._next_trigger + 1.0 / self.trigger_rate_hz,
                                 time.monotonic() + 0.5 / self.trigger_rate_hz)

    def _camera_lost(self, index: int, reason: str) -> None:
        camera = self.cameras[index]
        if self.reconnect_s is None:
            raise DeviceLostError(f"{camera.session.device}: {reason} (the run has no reconnect time)")
        self._lost[index] = (time.monotonic(), reason)
        camera.lost(reason)

    def _try_reconnect(self, index: int) -> None:
        since, reason = self._lost[index]
        assert self.reconnect_s is not None
        if self.cameras[index].reconnect():
            del self._lost[index]
            return
        if time.monotonic() - since > self.reconnect_s:
            raise DeviceLostError(f"{self.cameras[index].session.device}: {reason}, and it did not come back within "
                                  f"{self.reconnect_s:g} s")

    def records(self) -> list[Record]:
        rows: list[Record] = []
        for camera in self.cameras:
            rows.extend(camera.records())
        return rows

    def leader_done(self) -> None:
        """The leader has its frames: no more triggers (hardware: the leader stops; software: no broadcast)."""
        self._leader_done = True
        if self.sync == "hardware":
            self.cameras[0].halt()
            self._halted.add(0)

    def halt(self) -> None:
        for index in range(len(self.cameras)):  # the leader first, then the followers
            if index not in self._lost:
                self.cameras[index].halt()

    def end(self) -> RunEnd:
        ends = [camera.camera_end() for camera in self.cameras]
        return RunEnd(cameras=ends, rig={"trigger_times_ns": list(self._trigger_times)} if self._trigger_times else {})

    def stop(self) -> None:
        errors = []
        for camera in self.cameras:
            try:
                camera.stop()
            except Exception as error:  # noqa: BLE001 (every camera must be stopped; the first error is raised)
                errors.append(error)
        if errors:
            raise errors[0]

    def waiting_for(self) -> str:
        waits = {camera.waiting_for() for camera in self.cameras} - {""}
        if self._lost:
            waits.add("a lost camera to come back")
        return ", ".join(sorted(waits))

    def max_poll_gap_s(self) -> float:
        return max((camera.max_poll_gap_s() for camera in self.cameras), default=0.0)


__all__ = ["RigEngine", "SYNC_MODES"]
