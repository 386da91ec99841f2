"""kill -9 at any moment of a recording, from the first millisecond of the file on: inspect tells a
dead writer and suggests repair, repair keeps every frame (or says the file is too young to hold
any and leaves it alone), and a live recording is never touched by repair."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import h5py
import pytest

import ace_gentl
from faults.campaign import (
    assert_one_line_outcome,
    check_test_image,
    digest,
    run_cli,
    start_recording,
    wait_for_file,
)

#: Seconds after the file appeared. SWMR starts ~10-25 ms in (the layout first): the first ones
#: catch the writer before it, the others while frames are written; two more are drawn per seed.
DELAYS = (0.0, 0.003, 0.008, 0.2, 1.0, *(round(random.Random(seed).uniform(0.0, 0.05), 4) for seed in (1, 2)))


def _frames_on_disk(target: Path) -> int:
    try:
        with ace_gentl.open_recording(target) as live:
            return len(live)
    except ace_gentl.RecordingFileError:
        return 0  # not readable yet (being created)


@pytest.mark.parametrize("delay", DELAYS)
def test_kill_9_at_any_moment(tmp_path: Path, delay: float) -> None:
    target = tmp_path / "killed.h5"
    child = start_recording(target)
    try:
        wait_for_file(target, child)
        time.sleep(delay)
    finally:
        child.kill()
        child.communicate()
    inspect = run_cli("inspect", target)
    assert_one_line_outcome(inspect, target)
    young = inspect.returncode == 1
    if young:
        assert "holds no frames" in inspect.stderr, inspect.stderr
    else:
        assert "its writer died without closing the file: run `ace-gentl repair" in inspect.stdout, inspect.stdout
        assert "gone (PID" in inspect.stdout  # the writer line names the dead process
    frames = _frames_on_disk(target)
    before = digest(target)
    repair = run_cli("repair", target)
    assert_one_line_outcome(repair, target)
    if young:
        assert repair.returncode == 1 and "holds no frames" in repair.stderr, repair.stderr
        assert digest(target) == before  # nothing written: the user decides what to delete
        return
    assert repair.returncode == 0, repair.stderr
    assert f"{frames} frames kept" in repair.stdout
    with h5py.File(target, "r") as file:  # a plain open works again
        assert file["entry/recording/status"][()] == b"aborted"
    with ace_gentl.open_recording(target) as recording:
        assert len(recording) == frames and recording.unpaired_frames == 0
        check_test_image(recording)
    assert not target.with_name(target.name + ".reserve").exists()
    assert not target.with_name(target.name + ".lock").exists()
    repaired = digest(target)
    again = run_cli("repair", target)
    assert again.returncode == 0 and "nothing to repair" in again.stdout and digest(target) == repaired


def test_repair_refuses_a_live_recording_and_inspect_tells_it_from_a_dead_one(tmp_path: Path) -> None:
    target = tmp_path / "live.h5"
    child = start_recording(target)
    try:
        wait_for_file(target, child)
        deadline = time.monotonic() + 30
        while _frames_on_disk(target) < 5:
            assert time.monotonic() < deadline and child.poll() is None, child.stderr
            time.sleep(0.1)
        repair = run_cli("repair", target)
        assert repair.returncode == 1, repair.stdout
        assert f"is being written by PID {child.pid} on host" in repair.stderr
        assert_one_line_outcome(repair, target)
        inspect = run_cli("inspect", target)
        assert inspect.returncode == 0 and "still being written" in inspect.stdout
        assert f"writer      running (PID {child.pid}" in inspect.stdout
        child.send_signal(signal.SIGINT)  # the recording goes on unharmed until it is stopped
        _out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert "Traceback" not in err and "already exists" not in err
    with ace_gentl.open_recording(target) as recording:
        assert recording.status == "interrupted" and len(recording) >= 5
        assert recording.writer.state == "closed"
        check_test_image(recording)
    assert not target.with_name(target.name + ".lock").exists()
