"""What a :class:`~ace_gentl.recording.recorder.Recorder` needs from the thing that delivers frames.

The recorder owns the run (threads, stop conditions, the file); an engine owns the hardware.
Like pymmcore-plus keeps its engine apart from its runner, the recorder talks to hardware only
through this protocol: :class:`~ace_gentl.recording.camera_engine.CameraEngine` for one camera,
and tests drive the recorder with engines that make numpy frames without any producer.

A run, as the recorder drives it::

    start = engine.begin()              # geometry, per-frame fields, metadata; nothing acquired yet
    for frame in engine.frames(stop):   # acquisition starts here; frames may hold a buffer
        ...                             # the recorder releases every frame it is given
    engine.halt()                       # no new frames (the camera stops); lent frames stay valid
    ...                                 # the recorder lets go of every frame still held
    end = engine.end()                  # what only the end knows: settings, counters
    engine.stop()                       # buffers revoked; always called, also after errors
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ace_gentl.frames import Frame
from ace_gentl.recording import layout, metadata


@dataclass(frozen=True)
class RunStart:
    """What the engine knows before the first frame."""

    geometry: layout.Geometry | None  # None: known only from the first frame (the file is made then)
    fields: list[layout.Field]  # per-frame values beyond layout.BASE_FIELDS (chunk data)
    static: metadata.StaticMetadata
    title: str  # a default title ("<model> <serial>")
    frame_rate_hz: float | None  # the rate frames will come at (free run), None if triggered or unknown
    trigger: str | None = None  # what starts each frame ("Line1", "Software"), None for free run
    lendable_frames: int = 1 << 30  # frames the recorder may hold at once without starving the producer
    config: dict[str, Any] = field(default_factory=dict)  # for the stored run configuration


@dataclass(frozen=True)
class RunEnd:
    """What only the end of a run knows."""

    settings_end: dict[str, Any] | None = None
    stream_module_end: dict[str, Any] | None = None
    lost_by_producer: int | None = None  # frames the producer counted as lost during the run
    counters: dict[str, Any] = field(default_factory=dict)  # the producer's own counts, stored as they are


class Engine(Protocol):
    """The hardware side of a recording (see the module docstring for the order of calls)."""

    def begin(self) -> RunStart: ...

    def frames(self, cancelled: Callable[[], bool]) -> Iterator[Frame]:
        """Start acquiring; yield frames until ``cancelled()`` (checked while waiting) or an error."""
        ...

    def halt(self) -> None: ...

    def end(self) -> RunEnd: ...

    def stop(self) -> None: ...

    def waiting_for(self) -> str:
        """What a frame waits for, for a progress display ("a trigger on Line1"); "" in free run."""
        ...

    def max_poll_gap_s(self) -> float:
        """The longest time the producer was not asked for a buffer (0 if the engine cannot tell)."""
        ...


__all__ = ["Engine", "RunEnd", "RunStart"]
