"""viky.cti (a producer we did not write, in the genicam wheel) records 10 frames exactly as a new user
would ask it to: from the command line with no other option, and from Python, its snapshot in the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ace_gentl
from cli_helpers import run_process
from contract.targets import needs_ci_producers, viky_cti

pytestmark = needs_ci_producers


def _check(path: Path, serial: str) -> None:
    with ace_gentl.open_recording(path) as recording:
        assert recording.status == "complete" and len(recording) == 10
        assert recording.frames.shape == (10, 400, 400, 4) and recording.frames.dtype == np.uint8  # RGBa8
        assert list(recording.column("frame_id")) == list(range(1, 11))
        # viky leaves every device timestamp at 0: the rate comes from the host clock (it runs at 20 fps)
        assert not recording.column("device_timestamp").any()
        summary = recording.summary()
        assert summary.clock == "host" and 10.0 < summary.fps < 30.0, (summary.clock, summary.fps)
        snap = recording.settings
        assert snap["format"] == "ace_gentl.snapshot" and snap["device"]["model"] == "Viky"
        assert snap["device"]["serial"] == serial
        assert (snap["features"]["Width"], snap["features"]["Height"]) == (400, 400)
        # viky selects PixelFormat by ComponentSelector (GenDC components): one variant per component
        assert {"selectors": {"ComponentSelector": "Intensity"}, "value": "RGBa8"} in snap["selected"]["PixelFormat"]
        assert "ChunkComponentSelector" in snap["unreadable"], "what viky cannot read is kept with its reason"
        assert recording.settings_end is not None
        assert b"Viky" in recording.device_xml or b"viky" in recording.device_xml.lower()


def test_viky_records_ten_frames_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "v.h5"
    done = run_process("record", "--cti", viky_cti(), "--index", "0", "--frames", "10", "-o", path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"wrote {path}" in done.stdout and "Traceback" not in done.stderr
    _check(path, "0")


def test_viky_records_ten_frames_from_python(tmp_path: Path) -> None:
    path = tmp_path / "v.h5"
    with ace_gentl.open(cti=viky_cti(), index=0) as viky:
        result = viky.record(path, frames=10)
    assert (result.status, result.frames_written, result.frames_lost) == ("complete", 10, 0)
    _check(path, "0")
