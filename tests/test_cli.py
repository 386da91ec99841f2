"""``ace-gentl``: list, info, features, get, set, snapshot, sim path, --help, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ace_gentl
from ace_gentl.sim import cti_path
from cli_helpers import invoke, invoke_narrow, run_process

COMMANDS = ["list", "info", "features", "get", "set", "snapshot", "record", "reproduce", "inspect", "repair",
            "sim", "sim path"]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_everywhere(command: str) -> None:
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_fits_80_columns_and_cuts_nothing(command: str) -> None:
    result = invoke_narrow(*command.split(), "--help")
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80 and "…" not in result.stdout


def test_no_arguments_shows_the_commands() -> None:
    result = invoke()
    assert "record" in result.output and "reproduce" in result.output and "inspect" in result.output


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("ace-gentl ")


def test_sim_path() -> None:
    result = invoke("sim", "path")
    assert result.exit_code == 0
    assert result.stdout.strip() == str(cti_path())


# --- list --------------------------------------------------------------------------------------


def test_list_shows_producers_and_cameras() -> None:
    serial = ace_gentl.list_devices(sim=True)[0].serial
    result = invoke("list", "--sim")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Producers" in out and str(cti_path()) in out and " ok " in out
    assert "Cameras" in out and "acA4112-20um" in out and serial in out and "ReadWrite" in out


def test_list_json_and_a_missing_producer(tmp_path: Path) -> None:
    missing = tmp_path / "missing.cti"
    result = invoke("list", "--sim", "--cti", missing, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["model"] for c in data["cameras"]] == ["acA4112-20um"]
    errors = {p["path"]: p["error"] for p in data["producers"]}
    assert errors[str(cti_path())] is None
    assert errors[str(missing)] == "file does not exist"


def test_list_without_producers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GENICAM_GENTL64_PATH", str(tmp_path))  # an empty folder
    result = invoke("list")
    assert result.exit_code == 0
    assert "No GenTL producer found in the folders of GENICAM_GENTL64_PATH; try --sim" in result.stdout


# --- info --------------------------------------------------------------------------------------


def test_info_shows_identity_producer_and_settings() -> None:
    result = invoke("info", "--sim")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Camera", "Basler", "acA4112-20um", "Producer", "TL vendor", "GenTL version  1.6", "Settings",
                 "PixelFormat", "ExposureTime", "ResultingFrameRate"):
        assert text in out, text


def test_info_json() -> None:
    data = json.loads(invoke("info", "--sim", "--json").stdout)
    assert data["camera"]["model"] == "acA4112-20um"
    assert data["producer"]["path"] == str(cti_path())
    assert data["settings"]["TriggerMode"] in ("Off", "On")
    assert isinstance(data["settings"]["Width"], int)


# --- features ----------------------------------------------------------------------------------


def test_features_tree_with_values_ranges_entries_and_access() -> None:
    result = invoke("features", "--sim", "Exposure")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "AcquisitionControl" in out  # the category branch
    assert "ExposureTime = " in out and "(Float; RW; 19.." in out  # value, type, access, range
    assert "ExposureAuto = Off" in out and "{Off, Once, Continuous}" in out
    assert "Width =" not in out and "Gain =" not in out  # filtered


def test_features_glob_visibility_and_module() -> None:
    everything = invoke("features", "--sim").stdout
    assert "Height = " in everything and "TriggerSource = " in everything
    glob = invoke("features", "--sim", "Trigger*").stdout
    assert "TriggerSource" in glob and "selected by TriggerSelector" in glob and "ExposureTime" not in glob
    beginner = invoke("features", "--sim", "--visibility", "beginner").stdout
    assert len(beginner.splitlines()) < len(everything.splitlines())
    device = invoke("features", "--sim", "-m", "device", "SimLine").stdout
    assert "Simulation" in device and "SimLinePulseFrequency = 0" in device


def test_features_no_match_and_bad_options() -> None:
    assert "No feature matches 'NoSuchThing'." in invoke("features", "--sim", "NoSuchThing").stdout
    bad = invoke("features", "--sim", "--visibility", "everyone")
    assert bad.exit_code == 2 and "choose one of beginner, expert, guru, all" in bad.stderr
    module = invoke("features", "--sim", "--module", "remote")
    assert module.exit_code == 2 and "choose one of camera, device, stream, system, interface" in module.stderr


# --- get / set ---------------------------------------------------------------------------------


def test_get_values_selectors_and_json() -> None:
    result = invoke("get", "--sim", "Width", "ExposureTime", "LineMode[LineSelector=Line2]", "ReverseX")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Width = ") and int(lines[0].split(" = ")[1]) > 0
    assert lines[2] == "LineMode[LineSelector=Line2] = Output"
    assert lines[3] == "ReverseX = False"
    data = json.loads(invoke("get", "--sim", "--json", "Height", "PixelFormat").stdout)
    assert isinstance(data["Height"], int) and data["PixelFormat"] == "Mono8"
    device = invoke("get", "--sim", "-m", "device", "DeviceSerialNumber")
    assert device.stdout.strip() == f"DeviceSerialNumber = {ace_gentl.list_devices(sim=True)[0].serial}"


def test_get_unknown_feature_is_one_line_with_the_closest_names() -> None:
    result = invoke("get", "--sim", "Wdth")
    assert result.exit_code == 1
    assert result.stderr == "error: Wdth: no such feature on this camera; closest: Width, WidthMax, SensorWidth\n"
    assert result.stdout == ""


def test_get_bad_reference_is_a_usage_error() -> None:
    result = invoke("get", "--sim", "Line Mode")
    assert result.exit_code == 2 and "is not a feature name" in result.stderr


def test_set_converts_text_to_the_feature_types_in_order() -> None:
    result = invoke("set", "--sim", "PixelFormat=Mono12", "Width=512", "Height=0x40", "ReverseX=on",
                    "ExposureTime=1500", "LineMode[LineSelector=Line3]=Output")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["PixelFormat = Mono12", "Width = 512", "Height = 64", "ReverseX = True",
                                          "ExposureTime = 1500", "LineMode[LineSelector=Line3] = Output"]


@pytest.mark.parametrize(("assignment", "message"), [
    ("Width=abc", "error: Width: expects an integer, got 'abc'"),
    ("ReverseX=maybe", "error: ReverseX: expects true or false (also on/off, yes/no, 1/0), got 'maybe'"),
    ("ExposureTime=1", "error: ExposureTime: 1.0 is out of range (min 19, max 1e+07)"),
    ("PixelFormat=Mono10", "error: PixelFormat: 'Mono10' is not an available entry; allowed: Mono8, Mono12, Mono12p"),
    ("Width=513", "error: Width: 513 is off increment"),
    ("WidthMax=100", "error: WidthMax: not writable now"),
])
def test_set_errors_say_what_is_allowed(assignment: str, message: str) -> None:
    result = invoke("set", "--sim", assignment)
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.output


def test_set_without_equals_is_a_usage_error() -> None:
    result = invoke("set", "--sim", "Width")
    assert result.exit_code == 2 and "'Width' is not NAME=VALUE" in result.stderr


def test_set_device_module_and_save_user_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_STATE_DIR", str(tmp_path))  # user sets of this test only
    device = invoke("set", "--sim", "-m", "device", "SimLinePulseFrequency=12.5")
    assert device.exit_code == 0 and device.stdout.strip() == "SimLinePulseFrequency = 12.5"
    saved = invoke("set", "--sim", "Width=1024", "--save-user-set", "UserSet2")
    assert saved.exit_code == 0 and saved.stdout.splitlines()[1:] == [
        "saved to UserSet2",
        "note: at power-up the camera loads UserSetDefault, now Default; to start with these settings, also set "
        "UserSetDefault=UserSet2"]
    assert any(tmp_path.iterdir()), "the simulator stored the user set in this test's state folder"
    chosen = invoke("set", "--sim", "UserSetDefault=UserSet2", "Width=1024", "--save-user-set", "UserSet2")
    assert chosen.stdout.splitlines()[-1] == ("note: UserSetDefault is UserSet2: the camera starts with these settings "
                                              "at power-up")
    with ace_gentl.open(sim=True) as cam:  # a new Session starts from UserSetDefault, now UserSet2
        assert cam.Width == 1024
        cam.set_default_user_set("Default")
        cam.load_user_set("Default")
        assert cam.Width != 1024
        cam.load_user_set("UserSet2")
        assert cam.Width == 1024


# --- snapshot ----------------------------------------------------------------------------------


def test_snapshot_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    result = invoke("snapshot", "--sim", "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("wrote ") and str(target) in result.stderr
    snap = json.loads(target.read_text())
    assert snap["format"] == "ace_gentl.snapshot" and snap["features"]["PixelFormat"] == "Mono8"
    with ace_gentl.open(sim=True) as cam:  # what the file holds applies to a camera
        cam.Width = 1024
        cam.apply(snap)
        assert cam.Width == snap["features"]["Width"]
    printed = json.loads(invoke("snapshot", "--sim", "-o", "-").stdout)
    assert printed["features"] == snap["features"]


def test_snapshot_into_a_missing_folder(tmp_path: Path) -> None:
    result = invoke("snapshot", "--sim", "-o", tmp_path / "no" / "such" / "folder.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write ") and "No such file" in result.stderr


def test_snapshot_needs_an_output() -> None:
    result = invoke("snapshot", "--sim")
    assert result.exit_code == 2 and "--output" in result.stderr


# --- errors ------------------------------------------------------------------------------------


def test_no_camera_matches_lists_the_cameras() -> None:
    result = invoke("info", "--sim", "--serial", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no camera matches serial='nope'; cameras found:")
    assert "Basler acA4112-20um serial" in result.stderr


def test_no_camera_at_all_names_the_variable_and_suggests_sim(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.delenv("GENICAM_GENTL64_PATH", raising=False)
    unset = invoke("info")
    assert unset.exit_code == 1 and len(unset.stderr.splitlines()) == 1
    assert unset.stderr.startswith("error: no camera found: no GenTL producer reported one (GENICAM_GENTL64_PATH is "
                                   "not set).")
    assert "--cti FILE" in unset.stderr and "--sim (sim=True) opens the simulated camera" in unset.stderr
    assert "any camera" not in unset.stderr
    monkeypatch.setenv("GENICAM_GENTL64_PATH", str(tmp_path))  # a folder without producers
    empty = invoke("info", "--serial", "123")
    assert empty.stderr.startswith(f"error: no camera found for serial='123': no GenTL producer reported one "
                                   f"(GENICAM_GENTL64_PATH is '{tmp_path}').")


def test_a_folder_given_as_cti_lists_its_producers(tmp_path: Path) -> None:
    folder = cti_path().parent
    result = invoke("info", "--cti", folder)
    assert result.exit_code == 1
    assert result.stderr == (f"error: GenTL producer '{folder}': is a folder, not a .cti file; the .cti files in it: "
                             f"{cti_path().name} (give one, e.g. --cti {cti_path()})\n")
    empty = invoke("info", "--cti", tmp_path)
    assert empty.stderr == f"error: GenTL producer '{tmp_path}': is a folder, not a .cti file, and holds no .cti file\n"


def test_list_fits_80_columns_without_splitting_names() -> None:
    result = invoke_narrow("list", "--sim")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    camera_row = next(line for line in lines if "40000001" in line)
    assert "acA4112-20um" in camera_row and "ace_gentl_sim.cti" in camera_row and "ReadWrite" in camera_row


def test_missing_producer_is_an_error() -> None:
    result = invoke("info", "--cti", "/no/such/producer.cti")
    assert result.exit_code == 1
    assert result.stderr == "error: GenTL producer '/no/such/producer.cti': file does not exist\n"


def test_a_real_process_prints_one_line_and_exits_1() -> None:
    done = run_process("get", "--sim", "Wdth")
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: Wdth: no such feature on this camera; closest: Width, WidthMax, "
                                        "SensorWidth"]
    assert done.stdout == ""


def test_debug_shows_the_traceback() -> None:
    done = run_process("--debug", "get", "--sim", "Wdth")
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "UnknownFeatureError: Wdth: no such feature" in done.stderr


def test_exit_codes_of_a_real_process(tmp_path: Path) -> None:
    ok = run_process("sim", "path")
    assert ok.returncode == 0 and ok.stdout.strip() == str(cti_path())
    usage = run_process("record", "--frames", "zero")
    assert usage.returncode == 2 and "Invalid value for '--frames'" in usage.stderr
    assert "Traceback" not in usage.stderr
    missing = run_process("inspect", tmp_path / "missing.h5")
    assert missing.returncode == 1 and missing.stderr.startswith("error: ") and len(missing.stderr.splitlines()) == 1
