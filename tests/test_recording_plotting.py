"""``ace-gentl inspect FILE --plot out.png`` and ``Recording.plot()``: one figure to look at a run."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from matplotlib import image as mpimg  # the [plot] extra, which the test extra includes

import ace_gentl
from ace_gentl.recording import plotting
from cli_helpers import invoke


@pytest.fixture(scope="module")
def lossy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Mono12 with frames dropped and delivered incomplete by the simulator's fault controls."""
    path = tmp_path_factory.mktemp("plot") / "lossy.h5"
    result = invoke("record", "--sim", "-n", "120", "--set", "Height=48", "--set", "Width=256", "--set",
                    "PixelFormat=Mono12", "--device-set", "SimFaultDropRate=0.05", "--device-set",
                    "SimFaultIncompleteRate=0.04", "--device-set", "SimFaultSeed=11", "-o", path, "-q")
    assert result.exit_code == 0, result.output
    with ace_gentl.open_recording(path) as recording:
        summary = recording.summary()
    assert summary.frames_lost > 0 and summary.frames_incomplete > 0  # the plot has something to mark
    return path


def _not_blank(png: Path) -> np.ndarray:
    pixels = mpimg.imread(png)
    rgb = pixels[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05, "the image is (nearly) one colour"
    assert len(np.unique((rgb * 255).astype(np.uint8), axis=0)) > 50
    assert (rgb.min(axis=1) < 0.5).mean() > 0.01  # ink, not only a white page
    return pixels


def test_inspect_plot_writes_a_png(lossy: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    result = invoke("inspect", lossy, "--plot", target)
    assert result.exit_code == 0, result.output
    assert f"  plot        {target}" in result.stdout
    pixels = _not_blank(target)
    assert pixels.shape[:2] == (720, 1200)  # 12 x 7.2 inches at 100 dpi: two rows of panels


def test_the_figure_marks_lost_and_incomplete_frames(lossy: Path) -> None:
    with ace_gentl.open_recording(lossy) as recording:
        figure = recording.plot()
        lost = recording.column("lost_before")
        incomplete = recording.column("incomplete")
    first, last, histogram, intervals = figure.axes[0], figure.axes[2], figure.axes[4], figure.axes[5]
    assert [first.get_title(), last.get_title()] == ["first frame", "last frame (119)"]
    for panel in (first, last):
        assert panel.images[0].get_clim() == (0, 4095)  # Mono12: scaled to its 12 bits, not to the data
    assert histogram.get_xlim() == (0, 4096) and histogram.get_yscale() == "log"
    red = [line for line in intervals.get_lines() if line.get_color() == "tab:red"]
    assert len(red) == int(np.count_nonzero(lost))
    assert sorted(int(line.get_xdata()[0]) for line in red) == list(np.flatnonzero(lost))
    crosses = next(line for line in intervals.get_lines() if line.get_marker() == "x")
    assert list(crosses.get_xdata()) == list(np.flatnonzero(incomplete))
    labels = [text.get_text() for text in intervals.texts]
    assert f"{int(lost[np.flatnonzero(lost)[0]])} lost" in labels


def test_events_are_drawn_only_when_the_file_has_them(lossy: Path, tmp_path: Path) -> None:
    with ace_gentl.open_recording(lossy) as recording:
        assert plotting.events_of(recording) is None
        assert len(recording.plot().axes) == 6  # 2 frames + 2 colour bars + histogram + intervals
        stamps = recording.column("device_timestamp").astype(np.int64)
    with_events = tmp_path / "events.h5"
    shutil.copy(lossy, with_events)
    with h5py.File(with_events, "r+") as file:
        detector = next(g for g in file["entry/instrument"].values() if g.attrs.get("NX_class") == "NXdetector")
        events = detector[plotting.EVENTS_GROUP]  # the recording's events table, empty: fill it as a run would
        names = ["ExposureEnd"] * 5 + ["FrameStartOvertrigger"] * 2
        for column in events.values():
            column.resize(len(names), axis=0)
        events["name"][:] = np.array(names, dtype="S48")
        events["device_timestamp"][:] = np.concatenate([stamps[:5] + 1000, stamps[[7, 9]]])
    with ace_gentl.open_recording(with_events) as recording:
        found = plotting.events_of(recording)
        assert found is not None and found[0] == names
        figure = recording.plot(tmp_path / "events.png")
    timeline = figure.axes[-1]
    assert timeline.get_title() == "events (7)"
    assert [tick.get_text() for tick in timeline.get_yticklabels()] == ["frames", "ExposureEnd",
                                                                        "FrameStartOvertrigger"]
    assert _not_blank(tmp_path / "events.png").shape[:2] == (1080, 1200)  # a third row


def test_a_file_without_frames_still_plots(tmp_path: Path) -> None:
    empty = tmp_path / "empty.h5"
    with ace_gentl.open(sim=True) as cam:
        cam.Height = 16
        cam.record(empty, frames=1)
    with h5py.File(empty, "r+") as file:  # as a run stopped before its first frame was flushed
        detector = next(g for g in file["entry/instrument"].values() if g.attrs.get("NX_class") == "NXdetector")
        for name, item in detector.items():
            if isinstance(item, h5py.Dataset) and item.maxshape and item.maxshape[0] is None:
                item.resize(0, axis=0)
    with ace_gentl.open_recording(empty) as recording:
        figure = recording.plot(tmp_path / "empty.png")
    assert "no frames in this file" in [text.get_text() for axes in figure.axes for text in axes.texts]
    assert (tmp_path / "empty.png").stat().st_size > 1000


def test_plot_errors_are_one_line(lossy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = tmp_path / "missing" / "out.png"
    result = invoke("inspect", lossy, "--plot", nowhere)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {nowhere}: cannot write the plot: ")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [plot] extra were not installed
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    missing = invoke("inspect", lossy, "--plot", tmp_path / "x.png")
    assert missing.exit_code == 1
    assert missing.stderr == "error: plotting needs matplotlib: pip install 'ace-gentl[plot]'\n"
    with ace_gentl.open_recording(lossy) as recording, pytest.raises(ace_gentl.AceGentlError, match=r"\[plot\]"):
        recording.plot()


def test_colour_frames_are_shown_at_full_scale() -> None:
    from matplotlib.figure import Figure

    frame = np.zeros((4, 6, 3), np.uint16)
    frame[..., 0] = 4095  # full red in 12 bits
    frame[..., 1] = 2048
    ax = Figure().add_subplot()
    plotting._frame_panel(ax, frame, 4095, "colour")
    shown = ax.images[0].get_array()
    assert shown.shape == (4, 6, 3) and float(shown[..., 0].max()) == 1.0
    assert abs(float(shown[0, 0, 1]) - 2048 / 4095) < 1e-6 and float(shown[..., 2].max()) == 0.0
