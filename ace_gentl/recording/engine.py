"""What a :class:`~ace_gentl.recording.recorder.Recorder` needs from the thing that delivers frames.

The recorder owns the run (threads, stop conditions, the file); an engine owns the hardware.
Like pymmcore-plus keeps its engine apart from its runner, the recorder talks to hardware only
through this protocol: :class:`~ace_gentl.recording.camera_engine.CameraEngine` for one camera,
:class:`~ace_gentl.recording.rig_engine.RigEngine` for several, and tests drive the recorder with
engines that make numpy frames without any producer.

A run, as the recorder drives it::

    start = engine.begin()              # per camera: geometry, per-frame fields, metadata
    for index, frame in engine.frames(stop):   # acquisition starts here; frames may hold a buffer
        ...                             # the recorder releases every frame it is given
        engine.records()                # side rows (events, clock samples, reconnects) as they come
    engine.halt()                       # no new frames (cameras stop); lent frames stay valid
    ...                                 # the recorder lets go of every frame still held
    end = engine.end()                  # what only the end knows: settings, counters
    engine.stop()                       # buffers revoked; always called, also after errors

``index`` is the camera's position in ``start.cameras``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ace_gentl.frames import Frame
from ace_gentl.recording import layout, metadata


@dataclass(frozen=True)
class CameraStart:
    """What the engine knows of one camera before the first frame."""

    name: str  # the NXdetector group's name, unique in the file
    geometry: layout.Geometry | None  # None: known only from the first frame (the file is made then)
    fields: list[layout.Field]  # per-frame values beyond layout.BASE_FIELDS (chunk data)
    static: metadata.StaticMetadata
    frame_rate_hz: float | None  # the rate frames will come at (free run), None if unknown
    trigger: str | None = None  # what starts each frame ("Line1", "Software"), None for free run
    lendable_frames: int = 1 << 30  # frames the recorder may hold at once without starving the producer
    role: str = ""  # "leader" / "follower" in a rig
    config: dict[str, Any] = field(default_factory=dict)  # this camera's part of the run configuration


@dataclass(frozen=True)
class RunStart:
    """What the engine knows before the first frame."""

    cameras: list[CameraStart]
    title: str  # a default title ("<model> <serial>")
    config: dict[str, Any] = field(default_factory=dict)  # for the stored run configuration
    rig: dict[str, Any] | None = None  # several cameras: sync mode, roles, wiring (stored under /entry/rig)

    @property
    def frame_rate_hz(self) -> float | None:
        """Frames per second of all cameras together (None if any is unknown)."""
        rates = [camera.frame_rate_hz for camera in self.cameras]
        return None if any(rate is None for rate in rates) else sum(rate for rate in rates if rate)


@dataclass(frozen=True)
class CameraEnd:
    """What only the end of a run knows about one camera."""

    settings_end: dict[str, Any] | None = None
    stream_module_end: dict[str, Any] | None = None
    lost_by_producer: int | None = None  # frames the producer counted as lost during the run
    counters: dict[str, Any] = field(default_factory=dict)  # the producer's own counts, stored as they are


@dataclass(frozen=True)
class RunEnd:
    cameras: list[CameraEnd]
    rig: dict[str, Any] = field(default_factory=dict)  # JSON-able results for /entry/rig (e.g. triggers sent)


@dataclass(frozen=True)
class Record:
    """One row for a camera's table (schema.TABLES: events, clock, reconnects)."""

    camera: int
    table: str
    row: Mapping[str, Any]


class Engine(Protocol):
    """The hardware side of a recording (see the module docstring for the order of calls)."""

    def begin(self) -> RunStart: ...

    def frames(self, cancelled: Callable[[], bool]) -> Iterator[tuple[int, Frame]]:
        """Start acquiring; yield (camera index, frame) until ``cancelled()`` (checked while waiting)."""
        ...

    def records(self) -> list[Record]:
        """Rows gathered since the last call (from the thread that iterates :meth:`frames`)."""
        ...

    def leader_done(self) -> None:
        """The first camera has its frames: stop making triggers, keep delivering the others' frames."""
        ...

    def halt(self) -> None: ...

    def end(self) -> RunEnd: ...

    def stop(self) -> None: ...

    def waiting_for(self) -> str:
        """What a frame waits for, for a progress display ("a trigger on Line1"); "" in free run."""
        ...

    def max_poll_gap_s(self) -> float:
        """The longest time a producer was not asked for a buffer (0 if the engine cannot tell)."""
        ...


__all__ = ["CameraEnd", "CameraStart", "Engine", "Record", "RunEnd", "RunStart"]
