"""Helpers of the fault suite: running ``ace-gentl`` as a user does, damaging files, reading everything."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Seconds a command on a damaged file may take. What is tested is that nothing hangs (HDF5's SWMR
#: retries used to sleep for ever); a command here takes 0.5-1.5 s on a 2-core machine.
BOUND_S = 15.0
ENV = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}


@dataclass(frozen=True)
class Ran:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_cli(*args: str | Path, timeout: float = BOUND_S, cwd: Path | None = None) -> Ran:
    """``ace-gentl ARGS`` in a child process; the test fails if it does not end within ``timeout``."""
    words = tuple(str(a) for a in args)
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "ace_gentl.cli", *words], capture_output=True, text=True,
                              timeout=timeout, env=ENV, cwd=cwd)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ace-gentl {' '.join(words)} did not end within {timeout:.0f} s")
    return Ran(words, done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def assert_one_line_outcome(ran: Ran, path: Path) -> None:
    """Exit 0, or exit 1 with exactly one line ``error: PATH...``; never a traceback."""
    assert "Traceback" not in ran.stderr, ran.stderr
    assert ran.returncode in (0, 1), (ran.args, ran.returncode, ran.stderr)
    if ran.returncode == 1:
        lines = ran.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], ran.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def truncate(source: Path, target: Path, fraction: float) -> None:
    data = source.read_bytes()
    target.write_bytes(data[:int(len(data) * fraction)])


def flip_bits(source: Path, target: Path, seed: int, *, start: int = 0, end: int = 8192, bits: int = 4) -> list[int]:
    """Copy with ``bits`` random bits flipped in bytes [start, end); returns the byte offsets."""
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    where = [rng.randrange(start, min(end, len(data))) for _ in range(bits)]
    for offset in where:
        data[offset] ^= 1 << rng.randrange(8)
    target.write_bytes(bytes(data))
    return where


_READ_ALL = """
import json, sys
import ace_gentl
try:
    with ace_gentl.open_recording(sys.argv[1]) as rec:
        rec.summary(); rec.table; rec.settings; rec.config; rec.settings_end; rec.producer; rec.versions
        for frame in rec.frames:
            pass
        verified = rec.verify()
    print(json.dumps({"outcome": "ok", "verified": verified.ok}))
except ace_gentl.AceGentlError as error:
    print(json.dumps({"outcome": type(error).__name__, "message": str(error)}))
"""


def read_all_in_child(path: Path, timeout: float = BOUND_S) -> dict[str, object]:
    """Open with ``open_recording`` and read everything, in a child process (a hang fails the test)."""
    try:
        done = subprocess.run([sys.executable, "-c", _READ_ALL, str(path)], capture_output=True, text=True,
                              timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path} with open_recording did not end within {timeout:.0f} s")
    assert done.returncode == 0, done.stderr  # an exception other than AceGentlError left the library
    return json.loads(done.stdout.strip().splitlines()[-1])


def record(target: Path, *options: str, frames: int = 12, timeout: float = 90) -> Path:
    """A small Testimage1 recording made by the CLI (it stores a run file, so ``reproduce`` works)."""
    ran = run_cli("record", "--sim", "-q", "-n", str(frames), "--set", "Height=32", "--set",
                  "TestImageSelector=Testimage1", *options, "-o", target, timeout=timeout)
    assert ran.returncode == 0, ran.stderr
    return target


def start_recording(target: Path, duration: float = 30) -> subprocess.Popen[str]:
    """``ace-gentl record`` in the background (Testimage1, 32 rows) until stopped or killed."""
    return subprocess.Popen([sys.executable, "-m", "ace_gentl.cli", "record", "--sim", "-q", "-d", str(duration),
                             "--set", "Height=32", "--set", "TestImageSelector=Testimage1", "-o", str(target)],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_file(target: Path, child: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not target.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"{target} was not created: {child.communicate()[1]}")
        time.sleep(0.0005)


def check_test_image(recording: object) -> None:
    """Every frame holds Testimage1 for its frame ID (the simulator's formula, cti/TEST_IMAGES.md)."""
    import numpy as np

    from recording_helpers import expected_frame

    features = recording.settings["features"]  # type: ignore[attr-defined]
    shape = (int(features["Height"]), int(features["Width"]))
    offset = (int(features["OffsetX"]), int(features["OffsetY"]))
    ids = recording.column("frame_id")  # type: ignore[attr-defined]
    incomplete = recording.column("incomplete")  # type: ignore[attr-defined]
    for index in range(len(ids)):
        if not incomplete[index]:
            expected = expected_frame("Testimage1", int(ids[index]), shape, offset, 8).astype(np.uint8)
            np.testing.assert_array_equal(recording.frames[index], expected)  # type: ignore[attr-defined]
