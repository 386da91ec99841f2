"""One figure that shows a recording at a glance: ``Recording.plot()`` and ``ace-gentl inspect FILE --plot``.

The first and last frame (grey scale over the pixel format's full range, so a dim or saturated
run looks dim or saturated), their histograms, the interval between frames over the run with
lost-frame gaps and incomplete frames marked, and the event timeline when the file has an events
table. matplotlib is an optional extra (``pip install 'ace-gentl[plot]'``); the figure is a plain
``matplotlib.figure.Figure`` (no pyplot state), so it also renders in notebooks and headless.
"""

from __future__ import annotations

from collections.abc import Mapping

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from ace_gentl.errors import OptionalDependencyError, RecordingError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ace_gentl.recording.reader import Recording

#: Where an events table is looked for, under the detector group: datasets ``name`` (text) and
#: ``device_timestamp`` (ns, the frames' clock), one row per event; more columns are ignored.
EVENTS_GROUP = "events"
#: Lost-frame gaps annotated with their count (all are marked).
ANNOTATED_GAPS = 12
#: Pixel values above this many levels are histogrammed in this many bins.
HISTOGRAM_BINS = 1024


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as error:
        raise OptionalDependencyError("plotting needs matplotlib: pip install 'ace-gentl[plot]'") from error
    del matplotlib
    return Figure


def events_of(recording: Recording) -> tuple[list[str], np.ndarray] | None:
    """(names, device timestamps in ns) of the file's events table, or None when it has none."""
    group = recording.detector.get(EVENTS_GROUP)
    if not isinstance(group, h5py.Group):
        return None
    names, stamps = group.get("name"), group.get("device_timestamp")
    if not isinstance(names, h5py.Dataset) or not isinstance(stamps, h5py.Dataset):
        return None
    count = min(names.shape[0], stamps.shape[0]) if names.ndim and stamps.ndim else 0
    if count == 0:
        return None
    texts = [value.decode(errors="replace") if isinstance(value, bytes) else str(value) for value in names[:count]]
    return texts, stamps[:count].astype(np.int64)


def _frame_panel(ax: Axes, frame: np.ndarray, top: int, title: str) -> None:
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[..., 0]
    # colour frames as RGB in 0..1 of the full scale (imshow takes no vmin/vmax for RGB)
    shown = frame if frame.ndim == 2 else np.clip(frame[..., :3] / top, 0.0, 1.0)
    height, width = shown.shape[:2]
    stretched = max(height, width) > 3 * max(1, min(height, width))  # a thin ROI: fill the panel instead
    image = ax.imshow(shown, cmap="gray", vmin=0, vmax=top, interpolation="nearest",
                      aspect="auto" if stretched else "equal")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if shown.ndim == 2:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.02)


def _histogram(ax: Axes, frames: list[tuple[str, np.ndarray]], top: int) -> None:
    bins = min(top + 1, HISTOGRAM_BINS)
    edges = np.linspace(0, top + 1, bins + 1)
    for label, frame in frames:
        counts, _ = np.histogram(frame, bins=edges)
        ax.stairs(counts, edges, label=label)
    ax.set_yscale("log")
    ax.set_xlim(0, top + 1)
    ax.set_xlabel("pixel value")
    ax.set_ylabel("pixels")
    ax.set_title(f"histogram (0..{top})", fontsize=9)
    ax.legend(fontsize=8)


def _intervals(ax: Axes, table: Mapping[str, np.ndarray]) -> None:
    stamps = table["device_timestamp"].astype(np.int64)
    index = np.arange(stamps.size)
    if stamps.size >= 2:
        steps_ms = np.diff(stamps) * 1e-6
        ax.plot(index[1:], steps_ms, lw=0.8, marker="." if steps_ms.size < 500 else None, ms=3, color="tab:blue",
                label="interval")
        middle = float(np.median(steps_ms))
        ax.axhline(middle, color="grey", lw=0.6, ls=":", label=f"median {middle:.3f} ms")
    else:
        steps_ms = np.zeros(0)
        ax.text(0.5, 0.5, "fewer than two frames: no interval", ha="center", va="center", transform=ax.transAxes)
    lost = table.get("lost_before")
    if lost is not None and np.any(lost > 0):
        gaps = np.flatnonzero(lost > 0)
        for number, where in enumerate(gaps):
            ax.axvline(float(where), color="tab:red", lw=0.8, alpha=0.6, label="lost frames" if number == 0 else None)
            if number < ANNOTATED_GAPS:
                ax.annotate(f"{int(lost[where])} lost", (where, 1.0), xycoords=("data", "axes fraction"),
                            fontsize=7, color="tab:red", rotation=90, va="top", ha="right")
    incomplete = table.get("incomplete")
    if incomplete is not None and np.any(incomplete > 0):
        bad = np.flatnonzero(incomplete > 0)
        heights = np.array([steps_ms[i - 1] if 0 < i <= steps_ms.size else 0.0 for i in bad])
        ax.plot(bad, heights, "x", color="tab:orange", ms=6, mew=1.5, label=f"incomplete ({bad.size})")
    ax.set_xlabel("frame (index in the file)")
    ax.set_ylabel("interval (ms, device clock)")
    ax.set_title("frame intervals", fontsize=9)
    ax.set_xlim(0, max(1, stamps.size - 1))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper right")


def _timeline(ax: Axes, events: tuple[list[str], np.ndarray], first_ns: int, frame_ns: np.ndarray) -> None:
    names, stamps = events
    kinds = sorted(set(names))
    rows = {kind: row for row, kind in enumerate(kinds)}
    seconds = (stamps - first_ns) * 1e-9
    ax.scatter(seconds, [rows[name] for name in names], s=10, marker="|", color="tab:purple")
    if frame_ns.size:
        ax.scatter((frame_ns - first_ns) * 1e-9, np.full(frame_ns.size, -1), s=6, marker="|", color="grey")
    ax.set_yticks([-1, *range(len(kinds))], ["frames", *kinds], fontsize=8)
    ax.set_xlabel("device time since the first frame (s)")
    ax.set_title(f"events ({len(names)})", fontsize=9)


def figure(recording: Recording) -> Figure:
    """The overview figure of an opened recording (reads the first and last frame and the per-frame table)."""
    figure_class = _matplotlib()
    summary = recording.summary()
    count = len(recording)
    table: dict[str, np.ndarray] = {name: recording.column(name) for name in ("device_timestamp", "lost_before", "incomplete")
             if name in recording.field_names}
    events = events_of(recording)
    rows = 3 if events is not None else 2
    fig = figure_class(figsize=(12, 3.6 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, 3)
    fig.suptitle(f"{recording.path.name}: {summary.camera} {summary.serial}, {count} frames "
                 f"{summary.pixel_format}, {summary.fps:.2f} fps, lost {summary.frames_lost}, incomplete "
                 f"{summary.frames_incomplete}", fontsize=10)
    top = (1 << recording.significant_bits) - 1
    if count:
        first, last = recording.frames[0], recording.frames[count - 1]
        _frame_panel(fig.add_subplot(grid[0, 0]), first, top, "first frame")
        _frame_panel(fig.add_subplot(grid[0, 1]), last, top, f"last frame ({count - 1})")
        _histogram(fig.add_subplot(grid[0, 2]), [("first", first), ("last", last)], top)
    else:
        empty = fig.add_subplot(grid[0, :])
        empty.text(0.5, 0.5, "no frames in this file", ha="center", va="center", transform=empty.transAxes)
        empty.set_axis_off()
    _intervals(fig.add_subplot(grid[1, :]), table)
    if events is not None:
        stamps = table.get("device_timestamp", np.zeros(0, np.int64)).astype(np.int64)
        first_ns = int(stamps[0]) if stamps.size else int(events[1].min())
        _timeline(fig.add_subplot(grid[2, :]), events, first_ns, stamps)
    return fig


def write(fig: Figure, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Save a figure to ``path`` (PNG, or any format matplotlib knows by the suffix); one-line errors."""
    target = Path(path)
    try:
        fig.savefig(target, dpi=dpi)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise RecordingError(f"{target}: cannot write the plot: {reason}") from error
    return target


__all__ = ["ANNOTATED_GAPS", "EVENTS_GROUP", "events_of", "figure", "write"]
