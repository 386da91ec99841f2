"""Several cameras as one instrument: a :class:`Rig` of Sessions, recorded into one file.

The first camera is the leader, the others follow. Three ways to keep them together:

``hardware``
    The leader free-runs (or is triggered itself) and its output line (``leader_line``, Line2 by
    default, LineSource ExposureActive) drives the followers' trigger input (``follower_line``,
    Line1): every leader exposure starts one frame on each follower. Simulated cameras are wired
    to each other the same way, through their Device-module controls (SimLineSource Camera).
``software``
    Every camera waits for TriggerSoftware; the recorder sends one to each camera at
    ``trigger_rate_hz`` (followers first) and keeps the host time of each broadcast.
``free-run``
    No synchronisation: the cameras run on their own; the file says so and frames are paired by
    time only.

Where the cameras have them, trigger counters go into the chunk data (leader: frames started,
followers: triggers received) and the matching table checks itself against them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ace_gentl import devices, transport
from ace_gentl.errors import AceGentlError, RecordingConfigError, add_note
from ace_gentl.recording import recorder as recorder_mod
from ace_gentl.recording.camera_engine import CameraEngine
from ace_gentl.recording.layout import nexus_name
from ace_gentl.recording.recorder import Recorder, RecordingResult
from ace_gentl.recording.rig_engine import SYNC_MODES, RigEngine
from ace_gentl.session import Session, open as open_session

ROLES = ("leader", "follower")
#: In hardware sync the leader runs at most at this fraction of the slowest follower's highest rate.
PACING_MARGIN = 0.995


@dataclass(frozen=True)
class CameraChoice:
    """Which camera, and its part in the rig."""

    serial: str | None = None
    model: str | None = None
    user_id: str | None = None
    index: int | None = None
    role: str | None = None  # None: follower, unless no camera is named leader (then the first leads)
    name: str | None = None  # the NXdetector group's name (default: model_serial)
    events: tuple[str, ...] = ()
    device_xml: str | None = None

    @classmethod
    def of(cls, value: Mapping[str, Any] | CameraChoice) -> CameraChoice:
        if isinstance(value, CameraChoice):
            return value
        known = {"serial", "model", "user_id", "index", "role", "name", "events", "device_xml"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise RecordingConfigError(f"camera choice: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(known))}")
        options = dict(value)
        if "events" in options:
            options["events"] = tuple(options["events"])
        if "serial" in options and options["serial"] is not None:
            options["serial"] = str(options["serial"])
        return cls(**options)


@dataclass
class SyncSettings:
    """How the rig keeps its cameras together."""

    mode: str = "hardware"
    leader_line: str = "Line2"  # the leader's output that drives the followers
    follower_line: str = "Line1"  # the followers' trigger input
    line_delay_us: float = 1.0  # simulated cable delay (simulated cameras only)
    trigger_rate_hz: float | None = None  # software sync: broadcasts per second (default: 0.9 x the slowest camera)
    counters: bool = True  # trigger counters in the chunk data, where the cameras have them
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.mode not in SYNC_MODES:
            raise RecordingConfigError(f"sync must be one of {', '.join(SYNC_MODES)}, not {self.mode!r}")


def _try(session: Session, notes: list[str], name: str, value: Any, **selectors: Any) -> bool:
    """Set a feature if the camera has it; what it refuses is noted (a rig works with what there is)."""
    features = session.features
    if name not in features:
        notes.append(f"{session.device.serial}: no {name}")
        return False
    try:
        features.write(name, value, **selectors)
    except AceGentlError as error:
        notes.append(f"{session.device.serial}: {name} = {value}: {error}")
        return False
    return True


def _frame_trigger(session: Session, mode: str, source: str | None = None) -> None:
    """FrameStart trigger Off (free run) or On from ``source``; errors here are the run's errors."""
    features = session.features
    if "TriggerSelector" in features:
        features["TriggerSelector"] = "FrameStart"
    features["TriggerMode"] = mode
    if mode == "On" and source is not None:
        features["TriggerSource"] = source
        if "TriggerActivation" in features:
            features["TriggerActivation"] = "RisingEdge"


def _counters(session: Session, source: str, notes: list[str]) -> None:
    """Counter1 counting ``source`` (FrameStart, FrameTrigger) into ChunkCounterValue."""
    if not _try(session, notes, "CounterSelector", "Counter1"):
        return
    if not _try(session, notes, "CounterEventSource", source, CounterSelector="Counter1"):
        return
    if "CounterReset" in session.features:
        try:
            session.execute("CounterReset", CounterSelector="Counter1")
        except AceGentlError as error:
            notes.append(f"{session.device.serial}: CounterReset: {error}")
    if _try(session, notes, "ChunkModeActive", True):
        _try(session, notes, "ChunkEnable", True, ChunkSelector="Timestamp")
        if _try(session, notes, "ChunkEnable", True, ChunkSelector="CounterValue") and \
                "ChunkCounterSelector" in session.features:
            _try(session, notes, "ChunkCounterSelector", "Counter1")


def _is_simulated(session: Session) -> bool:
    return "SimLineSource" in session.device_features


class Rig:
    """Cameras recorded as one instrument; the first is the leader. A context manager (closes them all)."""

    def __init__(self, sessions: Sequence[Session], *, roles: Sequence[str] | None = None,
                 names: Sequence[str | None] | None = None, events: Sequence[Sequence[str]] | None = None,
                 reconnect: float | None = None) -> None:
        if len(sessions) < 2:
            raise RecordingConfigError(f"a rig needs at least two cameras, not {len(sessions)}")
        self.sessions = list(sessions)
        roles = list(roles) if roles is not None else ["leader"] + ["follower"] * (len(sessions) - 1)
        for role in roles:
            if role not in ROLES:
                raise RecordingConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if roles.count("leader") != 1:
            raise RecordingConfigError(f"a rig needs exactly one leader, not {roles.count('leader')}")
        order = [roles.index("leader")] + [i for i, role in enumerate(roles) if role != "leader"]
        self.sessions = [self.sessions[i] for i in order]  # the leader first
        self.roles = ["leader"] + ["follower"] * (len(order) - 1)
        given = list(names) if names is not None else [None] * len(order)
        chosen = [given[i] or nexus_name(f"{self.sessions[j].device.model}_{self.sessions[j].device.serial}")
                  for j, i in enumerate(order)]
        if len(set(chosen)) != len(chosen):
            raise RecordingConfigError(f"cameras need distinct names, not {chosen}")
        self.names = chosen
        all_events = list(events) if events is not None else [()] * len(order)
        self.events = [tuple(all_events[i]) for i in order]
        self.reconnect = reconnect
        self.sync = SyncSettings()

    @property
    def leader(self) -> Session:
        return self.sessions[0]

    @property
    def followers(self) -> list[Session]:
        return self.sessions[1:]

    def __repr__(self) -> str:
        return f"<Rig {', '.join(f'{n} ({r})' for n, r in zip(self.names, self.roles))}, sync {self.sync.mode}>"

    # --- synchronisation -------------------------------------------------------------------------

    def configure_sync(self, mode: str = "hardware", *, leader_line: str = "Line2", follower_line: str = "Line1",
                       trigger_rate_hz: float | None = None, counters: bool = True,
                       line_delay_us: float = 1.0) -> SyncSettings:
        """Set the cameras up for ``mode`` (see the module docstring); returns what was set and noted."""
        sync = SyncSettings(mode=mode, leader_line=leader_line, follower_line=follower_line,
                            trigger_rate_hz=trigger_rate_hz, counters=counters, line_delay_us=line_delay_us)
        notes = sync.notes
        leader = self.leader
        if mode == "hardware":
            _frame_trigger(leader, "Off")
            if leader.features.read("LineMode", LineSelector=leader_line) != "Output":
                leader.features.write("LineMode", "Output", LineSelector=leader_line)  # Line3/4 are configurable
            leader.features.write("LineSource", "ExposureActive", LineSelector=leader_line)
            for follower in self.followers:
                _frame_trigger(follower, "On", follower_line)
                if _is_simulated(follower):
                    if not _is_simulated(leader):
                        raise RecordingConfigError(f"{follower.device}: a simulated follower needs a simulated leader")
                    wiring = follower.device_features
                    wiring.write("SimLineSource", "Camera", SimLineSelector=follower_line)
                    wiring.write("SimLineSourceCamera", leader.device.serial, SimLineSelector=follower_line)
                    wiring.write("SimLineSourceLine", leader_line, SimLineSelector=follower_line)
                    wiring.write("SimLineSourceDelay", float(line_delay_us), SimLineSelector=follower_line)
            if counters:
                _counters(leader, "FrameStart", notes)
                for follower in self.followers:
                    _counters(follower, "FrameTrigger", notes)
        elif mode == "software":
            for session in self.sessions:
                _frame_trigger(session, "On", "Software")
                if counters:
                    _counters(session, "FrameTrigger", notes)
        else:
            for session in self.sessions:
                _frame_trigger(session, "Off")
        self.sync = sync
        return sync

    # --- recording ---------------------------------------------------------------------------------

    def engine(self, *, num_buffers: int | None = None, timeout: float | None = None) -> RigEngine:
        """The engine a Recorder drives this rig through."""
        cameras = [CameraEngine(session, num_buffers=num_buffers, timeout=timeout, events=events, name=name,
                                role=role)
                   for session, events, name, role in zip(self.sessions, self.events, self.names, self.roles)]
        sync = self.sync
        info: dict[str, Any] = {"leader": self.names[0]}
        notes = list(sync.notes)
        if sync.mode == "hardware":
            info["wiring"] = {"leader_line": sync.leader_line, "follower_line": sync.follower_line}
            notes += self._pace_leader()
        if notes:
            info["notes"] = notes
        return RigEngine(cameras, sync=sync.mode, rig=info, trigger_rate_hz=sync.trigger_rate_hz,
                         reconnect_s=self.reconnect)

    def _pace_leader(self) -> list[str]:
        """In hardware sync, keep the leader below the slowest follower's highest frame rate.

        Why: a follower triggered faster than it can expose drops those triggers (overtrigger). Its
        highest rate (ResultingFrameRate, with the run's settings) is in its own clock, which may
        run slower than the leader's by tens of ppm; PACING_MARGIN (0.5 %) covers that and more.
        """
        rates = [(float(rate), session.device.serial) for session in self.followers
                 if (rate := session.features.value_or("ResultingFrameRate")) is not None and float(rate) > 0]
        if not rates:
            return ["the followers do not say their highest frame rate (ResultingFrameRate): the leader is not paced"]
        slowest, serial = min(rates)
        limit = PACING_MARGIN * slowest
        features = self.leader.features
        current = features.value_or("ResultingFrameRate")
        if current is None or float(current) <= limit:
            return []
        try:
            if "AcquisitionFrameRateEnable" in features:
                features["AcquisitionFrameRateEnable"] = True
            features["AcquisitionFrameRate"] = limit
        except AceGentlError as error:
            return [f"the leader ({float(current):.3f} fps) could not be paced to {limit:.3f} fps, below follower "
                    f"{serial}'s {slowest:.3f} fps: {error}; that follower may miss triggers"]
        return [f"leader paced from {float(current):.3f} to {float(features['ResultingFrameRate']):.3f} fps "
                f"(AcquisitionFrameRate), {PACING_MARGIN:g} x the slowest follower's {slowest:.3f} fps ({serial})"]

    def recorder(self, path: str | os.PathLike[str], **options: Any) -> Recorder:
        """A background recording of every camera into one file (``Recorder`` options, per camera)."""
        return Recorder(self, path, **options)

    def record(self, path: str | os.PathLike[str], *, progress: bool = False, **options: Any) -> RecordingResult:
        """Record every camera into one NeXus file and block; ``frames``/``duration`` are per camera."""
        return recorder_mod.record(self, path, progress=progress, **options)

    def snapshot(self) -> list[dict[str, Any]]:
        return [session.snapshot() for session in self.sessions]

    def close(self) -> None:
        errors: list[BaseException] = []
        for session in self.sessions:
            try:
                session.close()
            except AceGentlError as error:
                errors.append(error)
        if errors:
            first = errors[0]
            for other in errors[1:]:
                add_note(first, f"closing another camera failed too: {other}")
            raise first

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_rig(cameras: Sequence[Mapping[str, Any] | CameraChoice], *, sync: str | None = "hardware",
             cti: devices.CtiArg = None, sim: bool = False, env: bool | None = None, reconnect: float | None = None,
             leader_line: str = "Line2", follower_line: str = "Line1",
             trigger_rate_hz: float | None = None) -> Rig:
    """Open every camera (``{"serial": ..., "role": "leader"|"follower", ...}`` each) and set up ``sync``.

    Without a camera named leader, the first one leads.

    ``sync=None`` leaves the cameras as they are (call :meth:`Rig.configure_sync` once they are set up).

    With ``sim=True`` and the simulator not loaded yet, it makes as many simulated cameras as asked
    (ACE_SIM_CAMERAS); their serials are 40000001, 40000002, ...
    """
    choices = [CameraChoice.of(camera) for camera in cameras]
    if sim and not any(path.name == "ace_gentl_sim.cti" for path in transport.loaded_paths()):
        wanted = max(len(choices), int(os.environ.get("ACE_SIM_CAMERAS", "1") or 1))
        os.environ["ACE_SIM_CAMERAS"] = str(wanted)
    sessions: list[Session] = []
    try:
        for choice in choices:
            sessions.append(open_session(serial=choice.serial, model=choice.model, user_id=choice.user_id,
                                         index=choice.index, cti=cti, sim=sim, env=env, device_xml=choice.device_xml))
        roles = [choice.role for choice in choices]
        if "leader" not in roles:
            roles[0] = roles[0] or "leader"
        rig = Rig(sessions, roles=[role or "follower" for role in roles], names=[choice.name for choice in choices],
                  events=[choice.events for choice in choices], reconnect=reconnect)
        if sync is not None:
            rig.configure_sync(sync, leader_line=leader_line, follower_line=follower_line,
                               trigger_rate_hz=trigger_rate_hz)
    except BaseException:
        for session in sessions:
            try:
                session.close()
            except AceGentlError:
                pass
        raise
    return rig


__all__ = ["CameraChoice", "ROLES", "Rig", "SyncSettings", "open_rig"]
