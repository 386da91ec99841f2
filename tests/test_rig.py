"""Several simulated cameras as one instrument: one file, one NXdetector each, the matching table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest

import ace_gentl
from ace_gentl.errors import RecordingConfigError

SERIALS = ("40000001", "40000002", "40000003")


@pytest.fixture
def three_cameras(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "3")
    yield


def small(rig: ace_gentl.Rig, height: int = 64) -> None:
    for session in rig.sessions:
        session.device_features["SimUnthrottled"] = False
        session.features["Height"] = height
        session.features["TestImageSelector"] = "Testimage1"


def groups(path: Path) -> list[str]:
    with h5py.File(path, "r") as file:
        return [name for name, group in file["entry/instrument"].items() if group.attrs.get("NX_class") == "NXdetector"]


@pytest.mark.parametrize("count", [2, 3])
def test_software_triggers_reach_every_camera_and_each_frame_is_matched(three_cameras: None, tmp_path: Path,
                                                                        count: int) -> None:
    cameras = [{"serial": serial} for serial in SERIALS[:count]]
    cameras[0]["role"] = "leader"
    with ace_gentl.open_rig(cameras, sim=True, sync="software", trigger_rate_hz=50.0) as rig:
        small(rig)
        result = rig.record(tmp_path / "software.h5", frames=25)
    assert result.frames_written == 25 * count and result.frames_lost == 0
    summary = result.matching
    assert summary is not None and summary["mode"] == "software" and summary["complete_triggers"] == 25
    assert all(camera["by"] == "time, checked by counters" and camera["doubtful"] == 0
               for camera in summary["cameras"].values())
    with h5py.File(result.path, "r") as file:
        table = file["entry/rig/matching"][:]
        assert table.shape == (25, count) and (table == np.arange(25)[:, None]).all()
        assert file["entry/rig/sync"][()] == b"software"
        assert len(groups(result.path)) == count
        for name in groups(result.path):
            detector = file[f"entry/instrument/{name}"]
            assert detector["data"].shape[0] == 25 and detector["counters/frames_written"][()] == 25
            assert detector["clock/device"].shape[0] >= 2  # latched at the start and at the end
            assert json.loads(detector["clock_fit"][()])["samples"] >= 2
            assert detector["host_time_estimated"].shape == (25,)
    with ace_gentl.open_recording(result.path) as recording:
        assert len(recording) == 25  # the leader's frames (the first NXdetector)


def test_a_free_running_rig_is_said_to_be_unsynchronised(three_cameras: None, tmp_path: Path) -> None:
    with ace_gentl.open_rig([{"serial": "40000001", "role": "leader"}, {"serial": "40000002"}], sim=True,
                            sync="free-run") as rig:
        small(rig)
        result = rig.record(tmp_path / "free.h5", frames=10)
    assert result.frames_written == 20
    assert "not synchronised" in result.matching["note"]
    with h5py.File(result.path, "r") as file:
        assert file["entry/rig/sync"][()] == b"free-run"


def test_followers_are_armed_before_the_leader_and_roles_reorder(three_cameras: None, tmp_path: Path) -> None:
    with ace_gentl.open_rig([{"serial": "40000002"}, {"serial": "40000001", "role": "leader", "name": "main"}],
                            sim=True, sync="software") as rig:
        assert rig.names[0] == "main" and rig.leader.device.serial == "40000001"
        small(rig)
        result = rig.record(tmp_path / "roles.h5", frames=5)
    assert groups(result.path)[0] == "main"


def test_bad_rigs_are_refused_with_a_reason(three_cameras: None) -> None:
    with pytest.raises(RecordingConfigError, match="exactly one leader"):
        ace_gentl.open_rig([{"serial": "40000001"}, {"serial": "40000002"}], sim=True)
    with pytest.raises(RecordingConfigError, match="sync must be one of"):
        ace_gentl.open_rig([{"serial": "40000001", "role": "leader"}, {"serial": "40000002"}], sim=True,
                           sync="telepathy")
    with pytest.raises(RecordingConfigError, match="unknown key 'serail'"):
        ace_gentl.open_rig([{"serail": "40000001", "role": "leader"}, {"serial": "40000002"}], sim=True)
    with ace_gentl.open(sim=True, serial="40000001") as session, pytest.raises(RecordingConfigError, match="at least two"):
        ace_gentl.Rig([session])
