"""The progress bar: "N of M", elapsed time and ETA on one line, rates below; both fit 80 columns."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from ace_gentl.recording.progress import Progress, ProgressDisplay, clock

RUNNING = Progress(frames_acquired=37, frames_written=37, frames_lost=2, frames_incomplete=1, elapsed_s=2.4,
                   fps=23.4, mb_per_s=290.0, queue_fill=0.03, queue_bytes=1 << 20, target_frames=100,
                   target_duration_s=None, running=True, recording_s=1.6)


def rendered(progress: Progress, description: str = "2026-12-02_40000001_001.h5", width: int = 80) -> list[str]:
    """What the bar shows on a terminal of ``width`` columns."""
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False, legacy_windows=False)
    with ProgressDisplay(description, console=console) as display:
        display.update(progress)
    return [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]


def test_count_eta_and_rates_fit_80_columns() -> None:
    bar, rates = rendered(RUNNING)[-2:]
    assert max(len(bar), len(rates)) <= 80
    assert bar.startswith("2026-12-02_40000001_001.h5 ")  # the whole file name
    assert bar.endswith(" 37 of 100 frames 0:00:02 ETA 0:00:03")  # 63 frames left at 23.4 fps: 2.7 s
    bar_width = bar.index(" 37 of") - len("2026-12-02_40000001_001.h5 ")
    assert bar_width >= 10, bar  # a bar, not 4 characters
    assert 0.3 * bar_width <= sum(1 for char in bar if char in "━╸") <= 0.45 * bar_width  # 37 % filled
    assert rates == "  37 frames, 23.4 fps, 290 MB/s, lost 2, incomplete 1, queue 3%"


def test_a_long_file_name_is_shortened_from_the_left() -> None:
    name = "a_very_long_experiment_name_with_the_sample_and_the_date_2026-12-02_40000001_001.h5"
    bar = rendered(RUNNING, name)[-2]
    assert len(bar) <= 80 and bar.startswith("…") and "_001.h5 " in bar and "37 of 100 frames" in bar


def test_a_duration_target_counts_seconds_from_the_first_frame() -> None:
    progress = replace(RUNNING, target_frames=None, target_duration_s=5.0, recording_s=1.25)
    assert progress.fraction == pytest.approx(0.25)
    assert rendered(progress)[-2].endswith(" 1.2 of 5 s 0:00:02 ETA 0:00:04")


def test_waiting_for_a_trigger_is_said_and_has_no_eta() -> None:
    waiting = replace(RUNNING, frames_written=0, frames_acquired=0, fps=0.0, waiting_for="a trigger on Line1")
    bar, line = rendered(waiting)[-2:]
    assert bar.endswith(" 0 of 100 frames 0:00:02 ETA -:--:--")
    assert line == "  waiting for a trigger on Line1; 0 frames, lost 2"


def test_a_run_without_target_shows_the_frames_so_far() -> None:
    open_ended = replace(RUNNING, target_frames=None)
    assert open_ended.fraction is None and open_ended.remaining_s is None
    assert " 37 frames 0:00:02 ETA -:--:--" in rendered(open_ended)[-2]


@pytest.mark.parametrize(("seconds", "text"), [(None, "-:--:--"), (0, "0:00:00"), (59.6, "0:01:00"),
                                                (3725, "1:02:05"), (float("inf"), "-:--:--")])
def test_clock(seconds: float | None, text: str) -> None:
    assert clock(seconds) == text
