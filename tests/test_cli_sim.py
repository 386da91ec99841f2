"""``ace-gentl ... --sim-xml FILE`` and ``ace-gentl sim`` (status, --from-recording, reset): one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import ace_gentl
from cli_helpers import invoke
from devicexml_helpers import TINY
from sim_controls import sim_env  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.usefixtures("sim_env")


def test_camera_commands_take_sim_xml() -> None:
    result = invoke("set", "--sim-xml", TINY, "DeviceUserID=cli", "Width=640")
    assert result.exit_code == 0, result.stderr
    assert "DeviceUserID = cli" in result.stdout and "Width = 640" in result.stdout
    result = invoke("get", "--sim-xml", TINY, "Width", "DeviceUserID", "--json")  # a new process: fresh memory
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["{", '"Width":', "0,", '"DeviceUserID":', '""', "}"]


def test_record_with_sim_xml_stores_the_served_xml(tmp_path: Path) -> None:
    out = tmp_path / "tiny.h5"
    result = invoke("record", "--sim-xml", TINY, "--set", "Width=256", "--set", "Height=32", "--set",
                    "PixelFormat=Mono8", "-n", "10", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    with ace_gentl.open_recording(out) as recording:
        assert recording.frames.shape == (10, 32, 256)
        assert recording.device_xml == TINY.read_bytes().rstrip(b"\0")
        assert f'sim_device_xml = "{TINY}"' in recording.config["run_file"]["effective"]


def test_run_file_sim_device_xml(tmp_path: Path) -> None:
    run = tmp_path / "run.toml"
    run.write_text(f'[producer]\nsim_device_xml = "{TINY}"\n\n[features]\nWidth = 128\nHeight = 16\n'
                   f'PixelFormat = "Mono12"\n\n[acquisition]\nframes = 4\n\n[output]\npath = "{tmp_path}/r.h5"\n')
    result = invoke("record", run, "-q")
    assert result.exit_code == 0, result.stderr
    with ace_gentl.open_recording(tmp_path / "r.h5") as recording:
        assert recording.frames.shape == (4, 16, 128)


@pytest.mark.parametrize(("args", "code", "text"), [
    (("get", "Width", "--sim-xml", "/no/such.xml"), 1, "error: device XML '/no/such.xml' does not exist"),
    (("get", "Width", "--sim-xml", __file__), 1, "is neither XML nor a zip archive"),
    (("get", "Width", "--sim-xml", str(TINY), "--cti", "/x.cti"), 2, "give --sim-xml without --cti"),
    (("record", "-n", "1", "--sim-xml", str(TINY), "--cti", "/x.cti"), 2, "give --sim-xml without --cti"),
])
def test_bad_sim_xml_is_one_clear_line(args: tuple[str, ...], code: int, text: str) -> None:
    result = invoke(*args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert text in result.stderr and "Traceback" not in result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1


def test_sim_tells_what_is_served() -> None:
    result = invoke("sim")
    assert result.exit_code == 0, result.stderr
    assert "camera 40000001  the simulator's own XML" in result.stdout and "state folder" in result.stdout


def test_sim_tells_about_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_DEVICE_XML", str(TINY))
    result = invoke("sim")
    assert result.exit_code == 0, result.stderr
    assert f"camera 40000001  tiny_camera.xml (6677 bytes; register memory) from ACE_SIM_DEVICE_XML={TINY}" \
        in result.stdout
    monkeypatch.setenv("ACE_SIM_DEVICE_XML", "/no/such.xml")
    result = invoke("sim")
    assert "ACE_SIM_DEVICE_XML=/no/such.xml: no such file (every open fails until it is fixed or unset)" \
        in result.stdout
    result = invoke("get", "Width", "--sim")
    assert result.exit_code == 1 and "ACE_SIM_DEVICE_XML=/no/such.xml: no such file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_from_recording_errors_are_one_line(tmp_path: Path) -> None:
    result = invoke("sim", "--from-recording", tmp_path / "missing.h5")
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert invoke("sim", "--from-recording", tmp_path / "missing.h5", "reset").exit_code == 2


def test_from_recording_and_reset(tmp_path: Path) -> None:
    recording = tmp_path / "lab.h5"
    with ace_gentl.open(sim=True, device_xml=TINY) as s:
        s.Width, s.Height, s.PixelFormat = 512, 64, "Mono12"
        s.record(recording, frames=2)
    result = invoke("sim", "--from-recording", recording)
    assert result.exit_code == 0, result.stderr
    assert f"camera 40000001 now starts as the camera of {recording}:" in result.stdout
    assert "serves    tiny_camera.xml (register memory)" in result.stdout
    assert "frames    512x64 Mono12" in result.stdout
    assert "camera 40000001  tiny_camera.xml" in result.stdout  # the status after it
    result = invoke("sim", "reset")
    assert result.exit_code == 0 and "camera 40000001: serves the simulator's own XML" in result.stdout
    assert "no simulated camera has saved state" in invoke("sim", "reset").stdout
