"""CameraController: batches of frames into one ace_gentl recording, without ophyd-async or Tango."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from bluesky_helpers import DETECTOR_GROUP, HEIGHT, WIDTH, sim_state

from ace_gentl.bluesky.controller import CameraController, TriggerMode, TriggerSetup
from ace_gentl.errors import RecordingConfigError, RecordingError

__all__ = ["sim_state"]


@pytest.fixture
def controller(sim_state):
    made = CameraController({"sim": True, "serial": "40000001"}, recorder_options={"compression": "none"})
    session = made.open()
    session.Height, session.Width = HEIGHT, WIDTH
    yield made
    made.close()


def _wait_for(controller: CameraController, frames: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while controller.frames_collected() < frames:
        assert time.monotonic() < deadline, f"{controller.frames_collected()} of {frames} frames"
        time.sleep(0.005)


def test_batches_go_into_one_file_and_the_last_frame_is_written_at_the_finish(controller, tmp_path) -> None:
    path = tmp_path / "batches.h5"
    controller.configure(TriggerSetup(TriggerMode.INTERNAL, livetime_s=0.001))
    controller.begin_file(path)
    seen = []
    for batch in (3, 1, 4):
        controller.open_batch(batch)
        _wait_for(controller, sum(seen) + batch)
        seen.append(batch)
        assert not controller.batch_open
        assert controller.frames_collected() == sum(seen)  # the camera stopped: no frame beyond the batch
    time.sleep(0.3)
    assert controller.frames_collected() == 8
    result = controller.finish_file()
    assert result is not None and result.frames_written == 8 and result.status == "complete"
    with h5py.File(path) as file:
        group = file[DETECTOR_GROUP]
        assert group["data"].shape == (8, HEIGHT, WIDTH)
        assert list(group["frame_id"]) == [1, 2, 3, 1, 1, 2, 3, 4]  # the camera restarts at each batch
        assert np.allclose(group["count_time"][()], 0.001)


def test_finishing_before_any_frame_is_not_an_error(controller, tmp_path) -> None:
    controller.configure(TriggerSetup(TriggerMode.EDGE))
    controller.begin_file(tmp_path / "waiting.h5")
    controller.open_batch(5)  # edges never come
    time.sleep(0.3)
    started = time.monotonic()
    controller.finish_file()
    assert time.monotonic() - started < 5
    with h5py.File(tmp_path / "waiting.h5") as file:
        assert file[f"{DETECTOR_GROUP}/data"].shape[0] == 0


def test_cancel_ends_a_batch_where_it_stands(controller, tmp_path) -> None:
    controller.configure(TriggerSetup(TriggerMode.EDGE))
    controller.begin_file(tmp_path / "cancel.h5")
    controller.open_batch(10)
    controller.sim_pulses("Line1", 100.0)
    _wait_for(controller, 3)
    missing = controller.cancel_batch()
    controller.sim_pulses("Line1", 0.0)
    assert 0 < missing <= 7 and not controller.batch_open
    result = controller.finish_file()
    assert result is not None and result.frames_written == 10 - missing


def test_bad_requests_are_refused_with_what_is_allowed(controller, tmp_path) -> None:
    with pytest.raises(RecordingConfigError, match="livetime_s must be a finite number"):
        TriggerSetup(TriggerMode.INTERNAL, livetime_s=-1.0)
    with pytest.raises(ValueError):
        TriggerSetup("sometimes")  # type: ignore[arg-type]
    with pytest.raises(RecordingError, match="begin_file"):
        controller.open_batch(1)
    with pytest.raises(RecordingConfigError, match="does not exist"):
        controller.begin_file(tmp_path / "missing" / "x.h5")
    (tmp_path / "taken.h5").write_bytes(b"")
    with pytest.raises(RecordingConfigError, match="exists"):
        controller.begin_file(tmp_path / "taken.h5")
    with pytest.raises(RecordingConfigError, match="decided by the batches"):
        CameraController({"sim": True}, recorder_options={"frames": 3})
    with pytest.raises(RecordingConfigError, match="not offered by this camera"):
        controller.enable_chunks(("Bogus",))
    controller.begin_file(tmp_path / "one.h5")
    controller.open_batch(2)
    _wait_for(controller, 2)
    controller.configure(TriggerSetup(TriggerMode.EDGE))
    controller.open_batch(1)
    with pytest.raises(RecordingError, match="while a batch"):
        controller.configure(TriggerSetup(TriggerMode.INTERNAL))
    with pytest.raises(RecordingError, match="still being taken"):
        controller.open_batch(1)
    controller.cancel_batch()
    assert controller.finish_file().frames_written == 2


def test_the_file_is_created_where_asked(controller, tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "f.h5"
    controller.begin_file(target, create_dirs=True)
    controller.open_batch(1)
    _wait_for(controller, 1)
    controller.finish_file()
    assert target.is_file()
