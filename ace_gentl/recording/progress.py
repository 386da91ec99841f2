"""Progress of a running recording: a typed snapshot, and a rich progress bar to show it.

rich renders in terminals and in Jupyter notebooks alike, so one display serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from rich.progress import BarColumn, Progress as RichProgress, TaskID, TextColumn, TimeElapsedColumn


@dataclass(frozen=True)
class Progress:
    """Where a recording stands. ``fps`` and ``mb_per_s`` are over the last few seconds."""

    frames_acquired: int
    frames_written: int
    frames_lost: int
    frames_incomplete: int
    elapsed_s: float
    fps: float
    mb_per_s: float
    queue_fill: float  # 0..1 of the byte budget
    queue_bytes: int
    target_frames: int | None
    target_duration_s: float | None
    running: bool
    waiting_for: str = ""  # what the run waits for when frames stopped coming ("a trigger on Line1")
    recording_s: float = 0.0  # time since the first frame (what a duration counts)

    @property
    def fraction(self) -> float | None:
        """0..1 towards the frame or duration target (None when the run has none)."""
        if self.target_frames:
            return min(1.0, self.frames_written / self.target_frames)
        if self.target_duration_s:
            return min(1.0, self.recording_s / self.target_duration_s)
        return None

    def line(self) -> str:
        if self.waiting_for:
            return f"waiting for {self.waiting_for}; {self.frames_written} frames, lost {self.frames_lost}"
        return (f"{self.frames_written} frames, {self.fps:.1f} fps, {self.mb_per_s:.0f} MB/s, "
                f"lost {self.frames_lost}, incomplete {self.frames_incomplete}, queue {self.queue_fill:.0%}")


class ProgressDisplay:
    """A live bar (terminal or notebook): ``with ProgressDisplay(path) as bar: bar.update(progress)``."""

    def __init__(self, description: str) -> None:
        self._bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[line]}"),
                                 TimeElapsedColumn(), refresh_per_second=4, transient=False)
        self._description = description
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressDisplay:
        self._bar.__enter__()
        self._task = self._bar.add_task(self._description, total=None, line="starting")
        return self

    def update(self, progress: Progress) -> None:
        if self._task is None:
            return
        fraction = progress.fraction
        self._bar.update(self._task, total=1.0 if fraction is not None else None,
                         completed=fraction or 0.0, line=progress.line())

    def warn(self, message: str) -> None:
        """Print a warning above the bar at once."""
        self._bar.console.print(f"warning: {message}", markup=False, highlight=False)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._bar.__exit__(kind, error, trace)


__all__ = ["Progress", "ProgressDisplay"]
