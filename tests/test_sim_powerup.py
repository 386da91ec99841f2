"""``ace-gentl sim --from-recording`` and its library side (ace_gentl/sim/powerup.py): a recording's
camera (device XML + start settings) becomes the simulated camera's power-up state, seen by
ace_gentl, by the CLI and by plain Harvesters in another process, until reset."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest

import ace_gentl
from ace_gentl.errors import DeviceError, RecordingFileError
from ace_gentl.recording.writer import find_detector
from ace_gentl.sim import powerup
from cli_helpers import invoke
from devicexml_helpers import SHAPES, TINY, zipped
from sim_controls import run_child, sim_env  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.usefixtures("sim_env")

HARVESTERS_VIEW = """
    h = new_harvester()
    ia = h.create(0)
    nm = ia.remote_device.node_map
    values = {name: str(getattr(nm, name).value) for name in NAMES if hasattr(nm, name)}
    ia.start()
    with ia.fetch(timeout=5) as b:
        c = b.payload.components[0]
        frame = [c.width, c.height, c.data_format]
    ia.stop()
    result = dict(url=ia.remote_device.port.url_info_list[0].url, values=values, frame=frame,
                  space=ia.device.node_map.SimRegisterSpace.value)
    ia.destroy()
    h.reset()
    print("RESULT " + json.dumps(result))
"""


def harvesters_view(*names: str, **env: str) -> dict:
    """What plain Harvesters in a fresh process sees on the simulator (node map values, one frame)."""
    proc = run_child(f"    NAMES = {list(names)!r}\n" + HARVESTERS_VIEW, **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[7:])


def record_tiny(path: Path, xml: Path = TINY) -> None:
    with ace_gentl.open(sim=True, device_xml=xml) as s:
        s.Width, s.Height, s.PixelFormat = 512, 64, "Mono12"
        s.ExposureTime, s.DeviceUserID = 1234.5, "lab"
        s.record(path, frames=3)


def test_a_foreign_recording_becomes_the_power_up_state_everywhere(tmp_path: Path, sim_env: Path) -> None:
    recording = tmp_path / "lab.h5"
    record_tiny(recording)
    done = powerup.from_recording(recording)
    assert (done.serial, done.served, done.register_memory) == ("40000001", "tiny_camera.xml", True)
    assert (done.frame_shape, done.pixel_format, done.failures, done.notes) == ((64, 512), "Mono12", {}, [])
    assert done.applied == 8  # every writable feature of tiny_camera.xml
    assert (sim_env / "40000001.powerup").is_file()

    with ace_gentl.open(sim=True) as s:  # no device_xml: the saved state
        assert (s.Width, s.Height, s.PixelFormat, s.ExposureTime, s.DeviceUserID) == \
            (512, 64, "Mono12", 1234.5, "lab")
        assert s.grab(1)[0].data.shape == (64, 512)
    seen = harvesters_view("Width", "PixelFormat", "DeviceUserID", "ExposureTime")
    assert seen["url"].startswith("local:tiny_camera.xml;7fff000000000000;")
    assert seen["values"] == {"Width": "512", "PixelFormat": "Mono12", "DeviceUserID": "lab", "ExposureTime": "1234.5"}
    assert seen["frame"] == [512, 64, "Mono12"] and seen["space"] == "Memory"

    again = tmp_path / "again.h5"
    result = invoke("record", "--sim", "-n", "3", "-o", again, "-q")
    assert result.exit_code == 0, result.stderr
    with ace_gentl.open_recording(again) as rec:
        assert rec.frames.shape == (3, 64, 512) and rec.device_xml == TINY.read_bytes().rstrip(b"\0")

    status = invoke("sim")
    assert status.exit_code == 0, status.stderr
    assert "camera 40000001  tiny_camera.xml" in status.stdout and f"recording {recording}" in status.stdout
    assert [state.serial for state in powerup.status()] == ["40000001"]

    assert powerup.reset() == ["40000001"]
    assert not (sim_env / "40000001.powerup").exists()
    with ace_gentl.open(sim=True) as s:
        assert s.device_features["SimRegisterSpace"] == "Model" and s.Width == 4096
    assert "the simulator's own XML" in invoke("sim").stdout


def test_a_recording_of_the_simulator_itself(tmp_path: Path) -> None:
    recording = tmp_path / "own.h5"
    with ace_gentl.open(sim=True) as s:
        s.Width, s.Height, s.ExposureTime = 640, 48, 777.0
        s.set("LineInverter", True, LineSelector="Line3")
        s.record(recording, frames=2)
    done = powerup.from_recording(recording)
    assert not done.register_memory and done.served == "Basler_acA4112-20um_sim.xml"
    assert done.frame_shape == (48, 640) and not done.failures
    seen = harvesters_view("Width", "Height", "ExposureTime")
    assert seen["values"] == {"Width": "640", "Height": "48", "ExposureTime": "777.0"}
    assert seen["frame"] == [640, 48, "Mono8"] and seen["space"] == "Model"
    with ace_gentl.open(sim=True) as s:
        assert s.get("LineInverter", LineSelector="Line3") is True
        assert s.device_features["SimRegisterSpace"] == "Model"


def test_a_zipped_device_xml_in_a_recording(tmp_path: Path) -> None:
    recording = tmp_path / "zipped.h5"
    archive = zipped(TINY, tmp_path)
    record_tiny(recording, archive)
    done = powerup.from_recording(recording)
    assert done.served == "tiny_camera.zip"
    with ace_gentl.open(sim=True) as s:
        assert s.DeviceUserID == "lab" and s.Width == 512
    seen = harvesters_view("Width")
    assert seen["url"].startswith("local:tiny_camera.zip;") and seen["values"] == {"Width": "512"}


def test_the_environment_variable_wins_over_the_saved_state(tmp_path: Path) -> None:
    recording = tmp_path / "lab.h5"
    record_tiny(recording)
    powerup.from_recording(recording)
    seen = harvesters_view("Nibble", ACE_SIM_DEVICE_XML=str(SHAPES))
    assert seen["url"].startswith("local:register_shapes.xml;")
    proc = run_child("""
        from ace_gentl.sim import powerup
        print("RESULT " + powerup.status()[0].source)
    """, ACE_SIM_DEVICE_XML=str(SHAPES))
    assert f"from ACE_SIM_DEVICE_XML={SHAPES}" in proc.stdout, proc.stderr
    assert harvesters_view("Width")["values"] == {"Width": "512"}, "the saved state is still there"


def test_another_camera_of_the_simulator(tmp_path: Path) -> None:
    recording = tmp_path / "lab.h5"
    record_tiny(recording)
    done = powerup.from_recording(recording, serial="40000002")
    assert done.serial == "40000002"
    states = {state.serial: state.source for state in powerup.status()}
    assert "tiny_camera.xml" in states["40000002"] and states["40000001"] == "the simulator's own XML"
    assert powerup.saved_serials() == ["40000002"]
    assert powerup.reset("40000002") == ["40000002"] and powerup.saved_serials() == []


def test_a_damaged_saved_state_serves_the_own_xml(sim_env: Path) -> None:
    (sim_env / "40000001.powerup").write_bytes(b"ace_gentl_sim power-up 1\nnote x\nxml 999 a.xml\n<Regi")
    with ace_gentl.open(sim=True) as s:
        assert s.device_features["SimRegisterSpace"] == "Model"
    assert "is damaged" in powerup.status()[0].source
    result = invoke("sim")
    assert result.exit_code == 0 and "damaged" in result.stdout


def test_bad_recordings_and_serials(tmp_path: Path) -> None:
    with pytest.raises(RecordingFileError, match="no such file"):
        powerup.from_recording(tmp_path / "missing.h5")
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as file:
        file["x"] = 1
    with pytest.raises(RecordingFileError, match="not an ace_gentl recording"):
        powerup.from_recording(plain)
    with pytest.raises(DeviceError, match="not a simulated camera's serial"):
        powerup.from_recording(plain, serial="12345")
    assert powerup.saved_serials() == []


def test_a_recording_the_model_cannot_shape_exactly_says_so(tmp_path: Path) -> None:
    """A colour camera's frames: the model renders mono; the note says what the frames are."""
    recording = tmp_path / "rgb.h5"
    record_tiny(recording)
    with h5py.File(recording, "r+") as file:  # as if the lab camera had recorded RGB8 frames
        detector = find_detector(file)
        del detector["pixel_format"]
        detector["pixel_format"] = "RGB8"
    done = powerup.from_recording(recording)
    assert done.pixel_format == "Mono8"
    assert any("renders Mono8, Mono12, Mono12p, not the recording's RGB8" in note for note in done.notes)


def test_frames_larger_than_the_simulators_sensor_are_fitted(tmp_path: Path) -> None:
    recording = tmp_path / "big.h5"
    record_tiny(recording)
    with h5py.File(recording, "r+") as file:  # as if the lab camera had a 5472x3648 sensor
        detector = find_detector(file)
        del detector["data"]
        detector.create_dataset("data", shape=(0, 3648, 5472), maxshape=(None, 3648, 5472), dtype="uint16")
    done = powerup.from_recording(recording)
    assert done.frame_shape == (3000, 4096) and done.pixel_format == "Mono12"
    assert any("the recording's 5472x3648 does not fit" in note for note in done.notes)
    with ace_gentl.open(sim=True) as s:
        assert (s.device_features["SimImageWidth"], s.device_features["SimImageHeight"]) == (4096, 3000)


def test_reset_forgets_user_sets_and_the_set_loaded_at_start(sim_env: Path) -> None:
    with ace_gentl.open(sim=True) as s:
        s.Width = 640
        s.save_user_set("UserSet1")
        s.UserSetDefault, s.DeviceUserID = "UserSet1", "bench"
    assert harvesters_view("Width", "UserSetDefault")["values"] == {"Width": "640", "UserSetDefault": "UserSet1"}
    assert powerup.reset() == ["40000001"]  # no power-up state was saved: the user sets alone count
    assert not (sim_env / "40000001.state").exists()
    assert harvesters_view("Width", "UserSetDefault", "DeviceUserID")["values"] == {
        "Width": "4096", "UserSetDefault": "Default", "DeviceUserID": ""}
    assert powerup.reset() == []
    with pytest.raises(DeviceError, match="not a simulated camera's serial"):
        powerup.reset("12")
