"""Lose nothing at the camera's real rate: full frame, paced, after idling, back to back, beside CPU hogs.

The bounded form of ``benchmarks/bench_soak.py`` (which runs the long soaks and prints the figures).
Each check also holds the worst stall (the longest time the producer was not asked for a buffer)
to a small fraction of the slack the producer's free buffers give.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import pytest

import ace_gentl
from ace_gentl.recording import camera_engine

pytestmark = pytest.mark.slow

#: The worst stall may use at most this share of the slack (the rest is margin for what is not ours).
STALL_SHARE = 0.5


def full_frame(session: ace_gentl.Session, pixel_format: str) -> None:
    session.device_features["SimUnthrottled"] = False
    session.features["PixelFormat"] = pixel_format
    session.features["OffsetX"], session.features["OffsetY"] = 0, 0
    session.features["Width"] = int(session.describe("Width").max)
    session.features["Height"] = int(session.describe("Height").max)


def checked_run(session: ace_gentl.Session, path: Path, **options: Any) -> dict[str, Any]:
    """Record, check nothing was lost and the worst stall against the slack; the run's figures."""
    result = session.record(path, overwrite=True, **options)
    with h5py.File(path, "r") as file:
        details = json.loads(file["entry/recording/result"][()])
        config = json.loads(file["entry/run_configuration/data"][()])
        ids = file["entry/instrument/acA4112_20um/frame_id"][:]
    path.unlink()
    rate = float(session.features["ResultingFrameRate"])
    slack = (config["buffers"] - details["buffers_held_at_most"]) / rate
    figures = {"lost": result.frames_lost, "stall": result.max_stall_s, "slack": slack, "frames": len(ids),
               "copied": details["frames_copied_from_buffers"]}
    assert result.frames_lost == 0 and details["frames_lost_by_producer"] == 0, figures
    assert (ids[1:] - ids[:-1] == 1).all(), figures
    assert result.max_stall_s < STALL_SHARE * slack, figures
    return figures


@pytest.fixture
def cam() -> Iterator[ace_gentl.Session]:
    with ace_gentl.open(sim=True) as session:
        yield session


def test_buffers_cover_two_seconds_of_frames_within_the_memory_cap() -> None:
    assert camera_engine.buffer_count(23.4, 12_368_896) == 47
    assert camera_engine.lendable_count(47, 23.4) == 47 - 12  # half a second stays with the producer
    assert camera_engine.buffer_count(122.1, 2_000_000) == 245
    assert camera_engine.buffer_count(None, 1000) == camera_engine.MIN_BUFFERS  # rate unknown
    assert camera_engine.lendable_count(camera_engine.MIN_BUFFERS, None) == 8 - camera_engine.MIN_FREE
    big = camera_engine.buffer_count(200.0, 100_000_000)  # 100 MB frames: the memory cap wins
    assert big == max(camera_engine.MIN_BUFFERS, camera_engine.MAX_BUFFER_BYTES // 100_000_000)


def test_the_first_run_after_the_camera_sat_idle_loses_nothing(tmp_path: Path) -> None:
    # A fresh process opens the camera, sets it up, waits (its memory goes cold), then records.
    script = textwrap.dedent(f"""
        import json, sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import ace_gentl
        from test_recording_realrate import checked_run, full_frame
        from pathlib import Path
        with ace_gentl.open(sim=True) as session:
            full_frame(session, "Mono12p")
            time.sleep(15)
            print(json.dumps(checked_run(session, Path({str(tmp_path / 'idle.h5')!r}), frames=30)))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("compression", ["none", "blosc-lz4"])
def test_runs_back_to_back_lose_nothing(cam: ace_gentl.Session, tmp_path: Path, compression: str) -> None:
    full_frame(cam, "Mono12p")
    for _ in range(6):
        checked_run(cam, tmp_path / "again.h5", frames=20, compression=compression)


def _hog() -> None:
    while True:
        pass


def test_real_rate_beside_two_cpu_hogs_loses_nothing(cam: ace_gentl.Session, tmp_path: Path) -> None:
    full_frame(cam, "Mono12p")
    hogs = [multiprocessing.get_context("fork").Process(target=_hog, daemon=True) for _ in range(os.cpu_count() or 2)]
    for hog in hogs:
        hog.start()
    try:
        figures = checked_run(cam, tmp_path / "hogs.h5", duration=15.0)
    finally:
        for hog in hogs:
            hog.terminate()
            hog.join()
    assert figures["frames"] >= 15 * 19
