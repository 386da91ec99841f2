"""Issue point 6: user sets, UserSetDefault at open, persistence across processes, damaged state files."""

from __future__ import annotations

import json

import pytest
from sim_controls import REFUSED, run_child, sim_camera, sim_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("sim_env")

SERIAL = "40000001"


def test_factory_sets_load_their_values() -> None:
    with sim_camera() as cam:
        nm = cam.nm
        entries = sorted(e.symbolic for e in nm.UserSetSelector.entries)
        assert entries == sorted(["Default", "HighGain", "AutoFunctions", "UserSet1", "UserSet2", "UserSet3"])
        cam.set(Gain=3.0, ExposureTime=1234.0)
        nm.UserSetSelector.value = "HighGain"
        nm.UserSetLoad.execute()
        assert (nm.Gain.value, nm.ExposureTime.value) == (24.0, 5000.0)
        assert (nm.Width.value, nm.Height.value) == (4096, 3000), "a set holds the ROI too"
        nm.UserSetSelector.value = "AutoFunctions"
        nm.UserSetLoad.execute()
        assert (nm.ExposureAuto.value, nm.GainAuto.value) == ("Continuous", "Continuous")
        nm.UserSetSelector.value = "Default"
        nm.UserSetLoad.execute()
        assert (nm.Gain.value, nm.ExposureAuto.value, nm.GainAuto.value) == (0.0, "Off", "Off")


@pytest.mark.parametrize("factory", ["Default", "HighGain", "AutoFunctions"])
def test_factory_sets_cannot_be_saved(factory: str) -> None:
    with sim_camera() as cam:
        cam.nm.UserSetSelector.value = factory
        with pytest.raises(REFUSED):
            cam.nm.UserSetSave.execute()


def test_user_set_save_and_load_round_trip() -> None:
    with sim_camera(width=1024, height=480) as cam:
        nm = cam.nm
        cam.set(Gain=7.5, ExposureTime=2222.0, PixelFormat="Mono12", BlackLevel=4.0, ReverseX=True)
        cam.sel("TriggerSelector", "FrameBurstStart").set(TriggerMode="On", TriggerSource="Line3")
        cam.sel("LineSelector", "Line4").set(LineMode="Output", LineSource="UserOutput3")
        cam.sel("UserDefinedValueSelector", "Value3").set(UserDefinedValue=-42)
        nm.UserSetSelector.value = "UserSet2"
        nm.UserSetSave.execute()
        nm.UserSetSelector.value = "Default"
        nm.UserSetLoad.execute()
        assert (nm.Gain.value, nm.Width.value, nm.PixelFormat.value) == (0.0, 4096, "Mono8")
        nm.UserSetSelector.value = "UserSet2"
        nm.UserSetLoad.execute()
        assert (nm.Gain.value, nm.ExposureTime.value, nm.PixelFormat.value) == (7.5, 2222.0, "Mono12")
        assert (nm.Width.value, nm.Height.value, nm.BlackLevel.value, nm.ReverseX.value) == (1024, 480, 4.0, True)
        cam.sel("TriggerSelector", "FrameBurstStart")
        assert (nm.TriggerMode.value, nm.TriggerSource.value) == ("On", "Line3")
        cam.sel("TriggerSelector", "FrameStart")
        assert nm.TriggerMode.value == "Off", "all elements of indexed registers are in the set"
        cam.sel("LineSelector", "Line4")
        assert (nm.LineMode.value, nm.LineSource.value) == ("Output", "UserOutput3")
        cam.sel("UserDefinedValueSelector", "Value3")
        assert nm.UserDefinedValue.value == -42


def test_a_never_saved_user_set_loads_default_values() -> None:
    with sim_camera() as cam:
        cam.set(Gain=9.0)
        cam.nm.UserSetSelector.value = "UserSet3"
        cam.nm.UserSetLoad.execute()
        assert cam.get("Gain") == 0.0
        assert cam.get("Height") == 3000


def test_user_set_load_is_refused_while_streaming() -> None:
    with sim_camera(height=64) as cam:
        cam.start()
        cam.fetch()
        cam.nm.UserSetSelector.value = "HighGain"
        with pytest.raises(REFUSED):
            cam.nm.UserSetLoad.execute()
        assert cam.get("Gain") == 0.0


def test_user_set_default_is_applied_when_the_device_opens() -> None:
    """Same process, producer reloaded (the cameras are created again at GCInitLib)."""
    with sim_camera() as cam:
        cam.set(Gain=11.0, ExposureTime=3333.0)
        cam.nm.UserSetSelector.value = "UserSet1"
        cam.nm.UserSetSave.execute()
        cam.nm.UserSetDefault.value = "UserSet1"
        cam.set(Gain=1.0)
    with sim_camera(width=None, height=None) as cam:
        assert cam.get("UserSetDefault") == "UserSet1"
        assert (cam.get("Gain"), cam.get("ExposureTime")) == (11.0, 3333.0)


CHILD_WRITE = """
    h = new_harvester()
    ia = h.create(0)
    nm = ia.remote_device.node_map
    nm.Gain.value = 7.25
    nm.ExposureTime.value = 2468.0
    nm.Height.value = 600
    nm.UserSetSelector.value = "UserSet3"
    nm.UserSetSave.execute()
    nm.UserSetDefault.value = "UserSet3"
    nm.DeviceUserID.value = "bench-left"
    nm.Gain.value = 1.0
    ia.destroy(); h.reset()
    print("written")
"""

CHILD_READ = """
    h = new_harvester()
    info = h.device_info_list[0]
    listed = info.user_defined_name
    ia = h.create(0)
    nm = ia.remote_device.node_map
    out = dict(listed=listed, user_id=nm.DeviceUserID.value, gain=nm.Gain.value,
               exposure=nm.ExposureTime.value, height=nm.Height.value, default=nm.UserSetDefault.value)
    ia.destroy(); h.reset()
    print("RESULT " + json.dumps(out))
"""


def _result(proc) -> dict:
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, proc.stdout + proc.stderr[-2000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_saved_sets_and_device_user_id_survive_a_new_process(sim_env) -> None:
    proc = run_child(CHILD_WRITE)
    assert proc.returncode == 0 and "written" in proc.stdout, proc.stderr[-2000:]
    assert (sim_env / f"{SERIAL}.state").is_file(), list(sim_env.iterdir())
    res = _result(run_child(CHILD_READ))
    assert res == {"listed": "bench-left", "user_id": "bench-left", "gain": 7.25, "exposure": 2468.0, "height": 600,
                       "default": "UserSet3"}


def test_state_dir_is_per_environment(sim_env, tmp_path) -> None:
    assert run_child(CHILD_WRITE).returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    res = _result(run_child(CHILD_READ, ACE_SIM_STATE_DIR=str(other)))
    assert res["user_id"] == "" and res["gain"] == 0.0 and res["default"] == "Default"
    assert not list(other.glob("*.state")), "nothing saved there"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_version", "unreadable_dir"])
def test_damaged_state_file_logs_an_error_and_falls_back_to_factory_values(sim_env, damage: str) -> None:
    assert run_child(CHILD_WRITE).returncode == 0
    state = sim_env / f"{SERIAL}.state"
    text = state.read_text()
    if damage == "garbage":
        state.write_bytes(b"\x00\xff garbage \x81\n" * 20)
    elif damage == "truncated":
        state.write_text(text[: len(text) // 2])
    elif damage == "wrong_version":
        lines = text.splitlines()
        lines[0] = lines[0].rstrip("0123456789") + "999"
        state.write_text("\n".join(lines) + "\n")
    else:
        state.unlink()
        state.mkdir()  # a directory where the file should be: cannot be read
    proc = run_child(CHILD_READ)
    res = _result(proc)
    assert res == {"listed": "", "user_id": "", "gain": 0.0, "exposure": 5000.0, "height": 3000, "default": "Default"}
    log = proc.stdout + proc.stderr
    assert "state file" in log and "damaged" in log and SERIAL in log, \
        f"no clear error about the damaged state file in the log:\n{log[-2000:]}"
