"""Issue point 9 (first half): ACE_SIM_CAMERAS=N gives N independent cameras on one interface."""

from __future__ import annotations

import pytest
from sim_controls import new_harvester, sim_camera, sim_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("sim_env")


def test_default_is_one_camera() -> None:
    h = new_harvester()
    try:
        assert [d.serial_number for d in h.device_info_list] == ["40000001"]
    finally:
        h.reset()


def test_n_cameras_with_distinct_serials_on_one_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "3")
    h = new_harvester()
    try:
        infos = h.device_info_list
        assert [d.serial_number for d in infos] == ["40000001", "40000002", "40000003"]
        assert [d.id_ for d in infos] == [f"U3V-SIM-4000000{i}" for i in (1, 2, 3)]
        assert len({d.parent.id_ for d in infos}) == 1, "all on one interface"
        assert all(d.model == "acA4112-20um" for d in infos)
    finally:
        h.reset()


def test_cameras_are_independent_and_stream_at_the_same_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "2")
    h = new_harvester()
    try:
        with sim_camera(0, h=h, height=64) as a, sim_camera(1, h=h, height=128) as b:
            assert a.get("DeviceSerialNumber") == "40000001"
            assert b.get("DeviceSerialNumber") == "40000002"
            a.set(Gain=12.0, ExposureTime=1500.0, AcquisitionFrameRateEnable=True, AcquisitionFrameRate=100.0)
            assert (b.get("Gain"), b.get("ExposureTime")) == (0.0, 5000.0)
            b.nm.DeviceUserID.value = "second"
            assert a.get("DeviceUserID") == ""
            a.enable_chunks("Gain")
            a.start()
            b.trigger("FrameStart", "On", source="Software")
            b.start()
            b.nm.TriggerSoftware.execute()
            fb = b.fetch(timeout=3)
            fa = [a.fetch(chunks=("ChunkGain",)) for _ in range(5)]
            assert [f.frame_id for f in fa] == [1, 2, 3, 4, 5]
            assert all(f.chunks["ChunkGain"] == 12.0 and f.height == 64 for f in fa)
            assert (fb.frame_id, fb.height) == (1, 128)
            assert b.try_fetch(timeout=0.2) is None, "camera 2 is triggered: camera 1's frames must not reach it"
            # software trigger on camera 1's node map does not trigger camera 2
            a.stop()
            a.trigger("FrameStart", "On", source="Software")
            a.start()
            a.nm.TriggerSoftware.execute()
            assert a.fetch(timeout=3).frame_id == 1
            assert b.try_fetch(timeout=0.2) is None
            # wiring is per camera too
            b.stop()
            b.trigger("FrameStart", "On", source="Line1")
            b.start()
            a.line_pulse(1)
            assert b.try_fetch(timeout=0.2) is None, "a pulse on camera 1's Line1 triggered camera 2"
            b.line_pulse(1)
            assert b.fetch(timeout=3).frame_id == 1
    finally:
        h.reset()


def test_camera_count_is_clamped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "40")
    h = new_harvester()
    try:
        assert len(h.device_info_list) == 16
    finally:
        h.reset()
