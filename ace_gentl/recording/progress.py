"""Progress of a running recording: a typed snapshot, and a rich progress bar to show it.

rich renders in terminals and in Jupyter notebooks alike, so one display serves both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console, RenderableType
from rich.progress import BarColumn, TaskID, TextColumn
from rich.progress import Progress as RichProgress
from rich.table import Column
from rich.text import Text


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

    @property
    def remaining_s(self) -> float | None:
        """Seconds left to the frame or duration target at the current rate (None when it cannot be told)."""
        if self.waiting_for or not self.running:
            return None
        if self.target_frames:
            left = max(0, self.target_frames - self.frames_written)
            return left / self.fps if self.fps > 0 else None
        if self.target_duration_s:
            return max(0.0, self.target_duration_s - self.recording_s) if self.frames_written else None
        return None

    def count(self) -> str:
        """How far the run is: "37 of 100 frames", "1.2 of 5.0 s" or "37 frames" (no target)."""
        if self.target_frames:
            return f"{self.frames_written} of {self.target_frames} frames"
        if self.target_duration_s:
            return f"{self.recording_s:.1f} of {self.target_duration_s:g} s"
        return f"{self.frames_written} frames"

    def line(self) -> str:
        if self.waiting_for:
            return f"waiting for {self.waiting_for}; {self.frames_written} frames, lost {self.frames_lost}"
        return (f"{self.frames_written} frames, {self.fps:.1f} fps, {self.mb_per_s:.0f} MB/s, "
                f"lost {self.frames_lost}, incomplete {self.frames_incomplete}, queue {self.queue_fill:.0%}")


def clock(seconds: float | None) -> str:
    """H:MM:SS, or -:--:-- when unknown."""
    if seconds is None or not seconds < 1e6:
        return "-:--:--"
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


#: Columns the bar's line needs besides the file name: the bar (10 at least), "N of M frames", elapsed, ETA.
_FIXED_WIDTH = 50


class _TwoLines(RichProgress):
    """The bar with its count and times on one line, the rates and losses below (80 columns hold both)."""

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        for task in self.tasks:
            yield Text("  " + str(task.fields.get("line", "")), overflow="fold")


class ProgressDisplay:
    """A live bar (terminal or notebook): ``with ProgressDisplay(path) as bar: bar.update(progress)``.

    Two lines that fit 80 columns: the file name (shortened to fit), the bar, "N of M frames", the
    time since the start and the time left; then rates, losses and the queue, or what the run waits for.
    """

    def __init__(self, description: str, console: Console | None = None) -> None:
        self._bar = _TwoLines(
            TextColumn("[bold]{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis")),
            BarColumn(bar_width=None), TextColumn("{task.fields[count]}", table_column=Column(no_wrap=True)),
            TextColumn("{task.fields[elapsed]} ETA {task.fields[eta]}", table_column=Column(no_wrap=True)),
            refresh_per_second=4, transient=False, console=console, expand=True)
        width = self._bar.console.width
        room = max(8, width - _FIXED_WIDTH)
        self._description = description if len(description) <= room else "…" + description[-(room - 1):]
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressDisplay:
        self._bar.__enter__()
        self._task = self._bar.add_task(self._description, total=None, line="starting", count="", elapsed=clock(0),
                                        eta=clock(None))
        return self

    def update(self, progress: Progress) -> None:
        if self._task is None:
            return
        fraction = progress.fraction
        self._bar.update(self._task, total=1.0 if fraction is not None else None,
                         completed=fraction or 0.0, line=progress.line(), count=progress.count(),
                         elapsed=clock(progress.elapsed_s),
                         eta=clock(progress.remaining_s) if progress.running else clock(0))
    def warn(self, message: str) -> None:
        """Print a warning above the bar at once."""
        self._bar.console.print(f"warning: {message}", markup=False, highlight=False)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._bar.__exit__(kind, error, trace)


__all__ = ["Progress", "ProgressDisplay"]
