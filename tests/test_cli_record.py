"""``ace-gentl record | inspect | repair | reproduce``: run files into recordings and back."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import ace_gentl
from ace_gentl import runfile, runs
from ace_gentl.cli_files import current_value
from ace_gentl.recording.metadata import software_versions
from cli_helpers import ENV, invoke, invoke_narrow, run_process

#: Snapshot values that may change between two runs without anyone changing a setting.
VOLATILE = {"DeviceTemperature", "TemperatureState", "TimestampLatchValue"}

RUN_FILE = """\
title = "cli test"

[producer]
sim = true

[features]
PixelFormat = "Mono12"
Width = 256
Height = 64
ExposureTime = 1500.0

[acquisition]
frames = 8

[output]
path = "{folder}/run_{serial}_{run:03d}.h5"
compression = "zstd:3"

[metadata]
operator = "A. Scientist"
sample = "S-17"
notes = "from the test"
"""


def write_run_file(folder: Path, text: str = RUN_FILE, name: str = "run.toml") -> Path:
    path = folder / name
    path.write_text(text.replace("{folder}", str(folder)))
    return path


def stored_run_file(path: Path) -> dict:
    with ace_gentl.open_recording(path) as recording:
        return recording.config["run_file"]


def test_record_a_run_file(tmp_path: Path) -> None:
    run_file = write_run_file(tmp_path)
    result = invoke("record", run_file, "-q")
    assert result.exit_code == 0, result.output
    serial = ace_gentl.list_devices(sim=True)[0].serial
    path = tmp_path / f"run_{serial}_001.h5"
    assert result.stdout.startswith(f"wrote {path}\n  8 frames, 0 lost, 0 incomplete")
    with ace_gentl.open_recording(path) as recording:
        assert len(recording) == 8 and recording.frames.shape == (8, 64, 256)
        assert recording.frames.dtype == np.uint16  # Mono12, decoded
        assert recording.summary().compression == "zstd:3"
        assert recording.settings["features"]["ExposureTime"] == 1500.0
        stored = recording.config["run_file"]
        assert recording.file["entry/title"][()].decode() == "cli test"
    text = run_file.read_text()
    assert stored["text"] == text and stored["source"] == str(run_file)
    assert stored["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert runfile.loads(stored["effective"]).features == {"PixelFormat": "Mono12", "Width": 256, "Height": 64,
                                                           "ExposureTime": 1500.0}
    with h5py.File(path, "r") as file:  # readable NeXus copies, not only the JSON
        assert file["entry/run_file"].attrs["NX_class"] == "NXnote"
        assert file["entry/run_file/data"][()].decode() == text
        assert file["entry/run_file/sha256"][()].decode() == stored["sha256"]
        assert file["entry/user/name"][()].decode() == "A. Scientist"
        assert file["entry/sample/name"][()].decode() == "S-17"
        assert file["entry/notes/data"][()].decode() == "from the test"
    again = invoke("record", run_file, "-q")  # {run} numbers the next file
    assert again.exit_code == 0 and (tmp_path / f"run_{serial}_002.h5").is_file()


def test_record_from_flags_only(tmp_path: Path) -> None:
    target = tmp_path / "flags.h5"
    result = invoke("record", "--sim", "-n", "5", "--set", "Height=32", "--set", "Width=128", "--set", "ReverseX=on",
                    "--compression", "none", "--title", "flags", "--meta", "operator=me", "--meta", "run=7",
                    "-o", target, "-q")
    assert result.exit_code == 0, result.output
    with ace_gentl.open_recording(target) as recording:
        assert recording.frames.shape == (5, 32, 128) and recording.summary().compression == "none"
        assert recording.settings["features"]["ReverseX"] is True
        stored = recording.config["run_file"]
    config = runfile.loads(stored["effective"])
    assert stored["source"] == "command line"
    assert config.features == {"Height": 32, "Width": 128, "ReverseX": True}  # typed by the camera, in order
    assert config.metadata == {"operator": "me", "run": 7} and config.title == "flags"
    assert config.producer.sim and config.output.path == str(target)


def test_options_override_the_run_file(tmp_path: Path) -> None:
    run_file = write_run_file(tmp_path)
    target = tmp_path / "override.h5"
    result = invoke("record", run_file, "--frames", "3", "--set", "Width=128", "--compression", "lz4", "-o", target,
                    "-q")
    assert result.exit_code == 0, result.output
    stored = stored_run_file(target)
    assert stored["text"] == run_file.read_text()  # the file as written, and the run as carried out
    assert stored["source"] == f"{run_file} (with command-line options)"
    effective = runfile.loads(stored["effective"])
    assert effective.acquisition.frames == 3 and effective.output.compression == "lz4"
    assert list(effective.features) == ["PixelFormat", "Height", "ExposureTime", "Width"]  # --set goes last
    with ace_gentl.open_recording(target) as recording:
        assert recording.frames.shape == (3, 64, 128)


def test_record_for_a_duration(tmp_path: Path) -> None:
    target = tmp_path / "duration.h5"
    result = invoke("record", "--sim", "--duration", "0.4", "--set", "Height=64", "-o", target, "-q")
    assert result.exit_code == 0, result.output
    with ace_gentl.open_recording(target) as recording:
        summary = recording.summary()
    assert summary.status == "complete" and summary.frames >= 5


def test_record_with_a_hardware_trigger(tmp_path: Path) -> None:
    target = tmp_path / "trigger.h5"
    result = invoke("record", "--sim", "-n", "6", "--set", "Height=64", "--trigger", "Line1",
                    "--device-set", "SimLineSelector=Line1", "--device-set", "SimLinePulseFrequency=100",
                    "-o", target, "-q")
    assert result.exit_code == 0, result.output
    with ace_gentl.open_recording(target) as recording:
        stamps = recording.column("device_timestamp").astype(np.int64)
        assert current_value(recording.settings, "TriggerMode") == "On"
    assert np.allclose(np.diff(stamps), 10_000_000, atol=10_000)  # 100 Hz from Line1, not the camera's rate


def test_progress_is_shown_unless_quiet(tmp_path: Path) -> None:
    shown = invoke("record", "--sim", "-n", "4", "--set", "Height=32", "-o", tmp_path / "a.h5")
    assert shown.exit_code == 0, shown.output
    bar, rates = shown.stdout.splitlines()[:2]
    assert bar.startswith("a.h5 ") and bar.endswith(" 4 of 4 frames 0:00:00 ETA 0:00:00")
    assert rates.startswith("  4 frames, ") and " fps, " in rates and "lost 0, incomplete 0" in rates
    quiet = invoke("record", "--sim", "-n", "4", "--set", "Height=32", "-o", tmp_path / "b.h5", "-q")
    assert quiet.stdout.startswith("wrote ")


def test_dry_run_sets_up_the_camera_and_records_nothing(tmp_path: Path) -> None:
    result = invoke("record", "--sim", "-n", "5", "--set", "Width=512", "--set", "ExposureTime=3000",
                    "-o", tmp_path / "dry_{run}.h5", "--dry-run")
    assert result.exit_code == 0, result.output
    config = runfile.loads(result.stdout)  # the printed run file is a valid run file
    assert config.features == {"Width": 512, "ExposureTime": 3000.0}
    assert f"# would write: {tmp_path / 'dry_1.h5'}" in result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--sim"], "say how long to record: --frames N or --duration SECONDS"),
    (["--sim", "-n", "2", "--duration", "1"], "give --frames or --duration, not both"),
    (["--sim", "-n", "2", "--set", "Width"], "'Width' is not NAME=VALUE"),
    (["--sim", "-n", "2", "--meta", "operator"], "'operator' is not KEY=VALUE"),
    (["--sim", "-n", "0"], "Invalid value for '--frames'"),
    (["--sim", "--duration", "0"], "Invalid value for '--duration'"),  # as --frames 0: a usage error, exit 2
    (["--sim", "--duration", "-1"], "must be a positive number of seconds, not -1"),
    (["--sim", "-n", "2", "--timeout", "0"], "Invalid value for '--timeout'"),
])
def test_record_usage_errors(args: list[str], message: str) -> None:
    result = invoke("record", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--sim", "-n", "2", "--set", "Width=abc"], "error: Width: expects an integer, got 'abc'"),
    (["--sim", "-n", "2", "--set", "Wdth=5"], "error: Wdth: no such feature on this camera; closest: Width"),
    (["--sim", "-n", "2", "--compression", "zip"], "error: command line: [output] compression: unknown compression"),
    (["--sim", "-n", "2", "-o", "{dat}.h5"], "error: command line: [output] path: unknown placeholder {dat}"),
    (["--sim", "-n", "2", "--trigger", "Line9"], "error: TriggerSource: 'Line9' is not an available entry"),
])
def test_record_errors_are_one_message(args: list[str], message: str) -> None:
    result = invoke("record", *args, "-q")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(message), result.stderr


def test_run_file_errors_name_the_file_and_key(tmp_path: Path) -> None:
    bad = write_run_file(tmp_path, RUN_FILE.replace("frames = 8", "frame = 8"), "bad.toml")
    result = invoke("record", bad)
    assert result.exit_code == 1
    assert result.stderr == f"error: {bad}: [acquisition] unknown key 'frame'; did you mean 'frames'?\n"
    missing = invoke("record", tmp_path / "missing.toml")
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_an_existing_output_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "exists.h5"
    target.write_bytes(b"precious")
    result = invoke("record", "--sim", "-n", "2", "-o", target, "-q")
    assert result.exit_code == 1 and "exists; choose another output" in result.stderr
    assert target.read_bytes() == b"precious"


def test_overwrite_replaces_the_output_so_a_command_can_run_twice(tmp_path: Path) -> None:
    target = tmp_path / "first.h5"
    args = ("record", "--sim", "-n", "3", "--set", "Height=32", "-o", target, "-q")
    assert invoke(*args).exit_code == 0
    again = invoke(*args)
    assert again.exit_code == 1
    assert again.stderr == (f"error: output file '{target}' exists; choose another output, put {{run}} (or {{time}}) "
                            f"in the path template, or replace it with --overwrite\n")
    replaced = invoke("record", "--sim", "-n", "5", "--set", "Height=32", "-o", target, "-q", "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    with ace_gentl.open_recording(target) as recording:
        assert len(recording) == 5 and recording.summary().status == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.h5"]  # no .lock, no .reserve


def test_overwrite_never_replaces_a_file_being_written(tmp_path: Path) -> None:
    target = tmp_path / "live.h5"
    child, _frames = _start_long_recording(target)
    try:
        refused = invoke("record", "--sim", "-n", "2", "--set", "Height=32", "-o", target, "-q", "--overwrite")
        assert refused.exit_code == 1 and len(refused.stderr.splitlines()) == 1, refused.stderr
        assert f"PID {child.pid}" in refused.stderr
    finally:
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=30)
    with ace_gentl.open_recording(target) as recording:
        assert recording.summary().status == "interrupted" and len(recording) >= 5


def test_the_readme_command_in_a_fresh_folder(tmp_path: Path) -> None:
    """README "Quick start (CLI)": a missing folder is made and said so; {run} lets it run twice."""
    command = ("record", "--sim", "--frames", "4", "--set", "Height=64", "--meta", "operator=me", "-q",
               "-o", "runs/{date}_{serial}_{run:03d}.h5")
    first = run_process(*command, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created the folder runs\nwrote runs/"), first.stdout
    second = run_process(*command, cwd=tmp_path)
    assert second.returncode == 0 and "created the folder" not in second.stdout
    names = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert [name[-7:] for name in names] == ["_001.h5", "_002.h5"] and len(names) == 2
    assert ".reserve" not in first.stdout + first.stderr + second.stdout + second.stderr


def test_an_unwritable_output_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder is asked for")
    done = run_process("record", "--sim", "-n", "2", "--set", "Height=32", "-o", blocker / "sub" / "x.h5", "-q")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"error: {blocker / 'sub' / 'x.h5'}: cannot start recording")
    assert "Traceback" not in done.stderr and ".reserve" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    folder = invoke("record", "--sim", "-n", "2", "-o", tmp_path, "-q")
    assert folder.exit_code == 1 and f"output '{tmp_path}' is a folder; give a file name" in folder.stderr


@pytest.mark.slow
def test_a_triggered_run_waits_for_slow_triggers(tmp_path: Path) -> None:
    """The issue's command: Line1 at 0.45 Hz, a frame every 2.2 s, longer than any free-run timeout."""
    target = tmp_path / "t.h5"
    started = time.monotonic()
    result = invoke("record", "--sim", "--frames", "2", "--set", "Height=32", "--trigger", "Line1",
                    "--device-set", "SimLineSelector=Line1", "--device-set", "SimLinePulseFrequency=0.45",
                    "-o", target, "-q")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started > 2.0  # it did wait for the slow triggers
    with ace_gentl.open_recording(target) as recording:
        stamps = recording.column("device_timestamp").astype(np.int64)
    assert len(stamps) == 2 and abs(np.diff(stamps)[0] * 1e-9 - 1 / 0.45) < 0.01


def test_timeout_bounds_the_wait_for_triggers(tmp_path: Path) -> None:
    target = tmp_path / "never.h5"
    started = time.monotonic()
    result = invoke("record", "--sim", "-n", "2", "--set", "Height=32", "--trigger", "Line1", "--timeout", "0.5",
                    "-o", target, "-q")
    assert time.monotonic() - started < 20
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "0.5" in result.stderr and result.stderr.startswith("error: ")
    plan = "frames = 2\ntrigger = \"Line1\"\ntimeout = 0.5"
    run_file = write_run_file(tmp_path, RUN_FILE.replace("frames = 8", plan), "slow.toml")
    from_file = invoke("record", run_file, "-q")
    assert from_file.exit_code == 1 and "0.5" in from_file.stderr and len(from_file.stderr.splitlines()) == 1
    stored = runfile.load(run_file)
    assert stored.acquisition.timeout == 0.5


def test_record_help_fits_80_columns_and_names_the_rate() -> None:
    result = invoke_narrow("record", "--help")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in result.stdout
    text = " ".join(" ".join(line.strip(" │╭╮╰╯─").split()) for line in lines)
    assert f"The default output file is {runfile.DEFAULT_OUTPUT} in the current folder." in text
    assert ("The frame rate printed at the end (fps) is the one `ace-gentl inspect` shows: (frames - 1) / (device "
            "timestamp of the last frame - that of the first).") in text
    assert "--timeout" in text and "--overwrite" in text and "no limit with --trigger" in text
    inspect_help = " ".join(invoke_narrow("inspect", "--help").stdout.split())
    assert "(frames - 1) / (device timestamp of the last frame - that of the first)" in inspect_help


@pytest.mark.parametrize(("line", "written", "message"), [
    ("Height = 64", 'Height = "64"', "[features] Height: must be an integer (Height is an Integer feature), not the "
                                     "string '64'; write it without quotes"),
    ("ExposureTime = 1500.0", 'ExposureTime = "1500"', "[features] ExposureTime: must be a number (ExposureTime is a "
                                                       "Float feature), not the string '1500'"),
    ("Height = 64", "Heigth = 64", "[features] Heigth: no such feature on this camera; closest: Height"),
    ("Height = 64", "Height = 63", "[features] Height: "),
])
def test_run_file_feature_errors_name_the_file_section_and_type(tmp_path: Path, line: str, written: str,
                                                               message: str) -> None:
    bad = write_run_file(tmp_path, RUN_FILE.replace(line, written), "bad.toml")
    result = invoke("record", bad, "-q")
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {bad}: {message}"), result.stderr
    assert not list(tmp_path.glob("*.h5"))


def test_device_feature_typo_in_a_run_file_names_the_section(tmp_path: Path) -> None:
    bad = write_run_file(tmp_path, RUN_FILE + "\n[device_features]\nSimLinePulseFrequncy = 3.0\n", "bad.toml")
    result = invoke("record", bad, "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad}: [device_features] SimLinePulseFrequncy: no such feature on this "
                                    f"GenTL Device module; closest: SimLinePulseFrequency")
    cli = invoke("record", write_run_file(tmp_path), "--set", "Heigth=5", "-q")  # the command line's own mistake
    assert cli.stderr.startswith("error: Heigth: no such feature on this camera")


# --- inspect -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inspect")
    result = invoke("record", write_run_file(folder), "-q")
    assert result.exit_code == 0, result.output
    (path,) = folder.glob("*.h5")
    return path


def test_inspect_shows_frames_rates_settings_and_integrity(recording: Path) -> None:
    result = invoke("inspect", recording)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "8 x (64, 256) Mono12, lost 0, incomplete 0, gaps in frame IDs 0" in out
    assert "fps" in out and "intervals   mean" in out
    assert "settings    PixelFormat=Mono12, Width=256 px, Height=64 px" in out and "ExposureTime=1500 us" in out
    assert "run file    " in out and "(hash ok)" in out
    assert out.rstrip().endswith("integrity   ok")


def test_inspect_fits_80_columns_with_units_title_operator_and_sample(recording: Path) -> None:
    result = invoke_narrow("inspect", recording)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert lines[1:4] == ["  title       cli test", "  operator    A. Scientist", "  sample      S-17"]
    started = next(line for line in lines if line.startswith("  started     "))
    ended = next(line for line in lines if line.startswith("  ended       "))
    assert started.split()[1].startswith("20") and ended.split()[1] >= started.split()[1]
    rate = next(line for line in lines if line.startswith("  rate        "))
    assert " fps over " in rate and " s of device time" in rate
    at = lines.index(next(line for line in lines if line.startswith("  settings    ")))
    settings = [lines[at]] + [line for line in lines[at + 1:] if line.startswith(" " * 14)]
    assert len(settings) >= 2 and all(line.startswith("  settings    ") or line[14] != " " for line in settings)
    joined = " ".join(line[14:] for line in settings)
    assert "ExposureTime=1500 us" in joined and "Gain=0 dB" in joined and "Width=256 px" in joined
    assert "AcquisitionFrameRate=" in joined and " Hz" in joined


def test_inspect_json_and_run_file(recording: Path) -> None:
    data = json.loads(invoke("inspect", recording, "--json").stdout)
    assert data["summary"]["frames"] == 8 and data["problems"] == [] and data["run_file"]["hash_ok"] is True
    assert data["rates"]["interval_mean_ms"] > 0 and data["settings"]["Width"] == 256
    toml = invoke("inspect", recording, "--run-file").stdout
    assert runfile.loads(toml).acquisition.frames == 8


def test_inspect_finds_a_tampered_run_file(recording: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.h5"
    shutil.copy(recording, copy)
    with h5py.File(copy, "r+") as file:
        dataset = file["entry/run_configuration/data"]
        config = json.loads(dataset[()])
        config["run_file"]["text"] = config["run_file"]["text"].replace("frames = 8", "frames = 9")
        del file["entry/run_configuration/data"]
        file["entry/run_configuration"].create_dataset("data", data=json.dumps(config),
                                                       dtype=h5py.string_dtype("utf-8"))
    result = invoke("inspect", copy)
    assert result.exit_code == 0 and "HASH MISMATCH" in result.stdout
    strict = invoke("inspect", copy, "--strict")
    assert strict.exit_code == 1 and "the stored run file's SHA-256 is" in strict.stdout


def test_inspect_strict_fails_on_lost_frames(tmp_path: Path) -> None:
    target = tmp_path / "lossy.h5"
    result = invoke("record", "--sim", "-n", "30", "--set", "Height=32", "--device-set", "SimFaultDropRate=0.3",
                    "--device-set", "SimFaultSeed=7", "-o", target, "-q")
    assert result.exit_code == 0, result.output
    assert "lost" in result.stderr and result.stderr.startswith("warning: ")
    assert invoke("inspect", target).exit_code == 0
    strict = invoke("inspect", target, "--strict")
    assert strict.exit_code == 1 and "frames lost" in strict.stdout


def test_inspect_errors(tmp_path: Path) -> None:
    missing = invoke("inspect", tmp_path / "missing.h5")
    assert missing.exit_code == 1 and missing.stderr == f"error: {tmp_path / 'missing.h5'}: no such file\n"
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as file:
        file["x"] = 1
    result = invoke("inspect", other)
    assert result.exit_code == 1 and "not an ace_gentl recording" in result.stderr
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    assert invoke("inspect", text).stderr.startswith(f"error: {text}: cannot open as HDF5")


# --- repair ------------------------------------------------------------------------------------


def _start_long_recording(target: Path) -> tuple[subprocess.Popen[str], int]:
    """A child process recording for a minute; returns once at least 5 frames are on disk."""
    child = subprocess.Popen([sys.executable, "-m", "ace_gentl.cli", "record", "--sim", "--duration", "60",
                              "--set", "Height=64", "-o", str(target), "-q"], env={**os.environ, **ENV},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    frames = 0
    while frames < 5 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.3)
        if target.exists():
            try:
                with ace_gentl.open_recording(target) as reading:
                    frames = len(reading)
            except ace_gentl.RecordingFileError:
                continue  # the writer has not made the structure yet
    if frames < 5:
        child.kill()
        raise AssertionError(f"the recording did not get going: {child.communicate()[1]}")
    return child, frames


def test_ctrl_c_finishes_the_file_and_exits_130(tmp_path: Path) -> None:
    target = tmp_path / "interrupted.h5"
    child, frames = _start_long_recording(target)
    child.send_signal(signal.SIGINT)
    _out, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert err.splitlines()[-1].startswith("interrupted: the recording was finished cleanly")
    assert "Traceback" not in err
    with ace_gentl.open_recording(target) as recording:
        assert recording.status == "interrupted" and len(recording) >= frames
    with h5py.File(target, "r") as file:  # closed normally: no repair needed, the run file is in
        assert file["entry/run_file/data"][()].decode().startswith("version = 1")


def test_repair_after_kill_9(tmp_path: Path) -> None:
    target = tmp_path / "killed.h5"
    child, frames = _start_long_recording(target)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)
    result = invoke("repair", target)
    assert result.exit_code == 0, result.output
    assert "cleared status flags" in result.stdout and "frames kept" in result.stdout
    with ace_gentl.open_recording(target) as recording:
        assert len(recording) >= frames and recording.status == "aborted"
    inspected = invoke("inspect", target, "--strict")
    assert inspected.exit_code == 1 and "status 'aborted'" in inspected.stdout
    again = invoke("repair", target)
    assert again.exit_code == 0 and "status flags were clean" in again.stdout


def test_repair_errors(tmp_path: Path) -> None:
    result = invoke("repair", tmp_path / "missing.h5")
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and "no such file" in result.stderr


# --- reproduce ---------------------------------------------------------------------------------


def _settings_diff(a: Path, b: Path) -> dict:
    with ace_gentl.open_recording(a) as first, ace_gentl.open_recording(b) as second:
        differences = ace_gentl.diff(first.settings, second.settings)
    return {label: values for label, values in differences.items() if label.split("[")[0] not in VOLATILE}


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run-file recording whose camera also had settings the run file does not name."""
    folder = tmp_path_factory.mktemp("original")
    config = runfile.loads(write_run_file(folder).read_text(), "run.toml")
    with runs.open_camera(config) as session:
        session.Gain = 6.0  # set by hand before the run: only the settings snapshot knows
        session.BlackLevel = 12.0
        effective = runs.configure(session, config)
        path = folder / "original.h5"
        runs.record(session, effective, path)
    return path


def test_reproduce_same_config_same_settings(original: Path) -> None:
    result = invoke("reproduce", original, "-q")
    assert result.exit_code == 0, result.output
    copy = original.with_name("original-reproduce-1.h5")
    assert result.stdout.startswith(f"wrote {copy}\n")
    assert _settings_diff(original, copy) == {}
    with ace_gentl.open_recording(copy) as again:
        assert current_value(again.settings, "Gain") == 6.0 and len(again) == 8
        stored = again.config["run_file"]
    first = stored_run_file(original)
    assert runfile.loads(stored["effective"]) == runfile.loads(first["effective"])
    assert stored["reproduces"] == {"path": str(original), "run_file_sha256": first["sha256"], "differences": []}
    second = invoke("reproduce", original, "-q", "-o", original.with_name("explicit.h5"))
    assert second.exit_code == 0 and original.with_name("explicit.h5").is_file()


def test_reproduce_stops_when_camera_producer_or_software_differ(original: Path, tmp_path: Path) -> None:
    changed = tmp_path / "changed.h5"
    shutil.copy(original, changed)
    with h5py.File(changed, "r+") as file:
        detector = next(g for g in file["entry/instrument"].values() if g.attrs.get("NX_class") == "NXdetector")
        settings = json.loads(detector["genicam/settings_start"][()])
        settings["device"]["serial"] = "12345678"
        del detector["genicam/settings_start"]
        detector["genicam"].create_dataset("settings_start", data=json.dumps(settings),
                                           dtype=h5py.string_dtype("utf-8"))
        del detector["genicam/producer/sha256"]
        detector["genicam/producer"].create_dataset("sha256", data="0" * 64, dtype=h5py.string_dtype("utf-8"))
        del file["entry/software/numpy"]
        file["entry/software"].create_dataset("numpy", data="0.0.1", dtype=h5py.string_dtype("utf-8"))
    serial = ace_gentl.list_devices(sim=True)[0].serial
    result = invoke("reproduce", changed, "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {changed} was recorded with a different camera, producer or software:")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # one line, the differences joined by "; "
    assert f"camera serial: 12345678 -> {serial}; " in result.stderr
    assert "; producer sha256: 0000000000" in result.stderr
    producer = str(ace_gentl.list_devices(sim=True)[0].producer)  # same path, other content: no "X -> X"
    assert f"; producer path: {producer} (the same path; the file there has changed); " in result.stderr
    assert f"{producer} -> {producer}" not in result.stderr
    assert f"; software numpy: 0.0.1 -> {software_versions()['numpy']}; " in result.stderr
    assert result.stderr.rstrip().endswith("use --force (force=True) to record anyway")
    assert not tmp_path.joinpath("changed-reproduce-1.h5").exists()
    forced = invoke("reproduce", changed, "--force", "-q")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr.startswith("warning: recording anyway (--force) although these differ:")
    with ace_gentl.open_recording(tmp_path / "changed-reproduce-1.h5") as again:
        assert "software numpy: 0.0.1 -> " in " ".join(again.config["run_file"]["reproduces"]["differences"])


def test_reproduce_needs_a_run_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain.h5"
    with ace_gentl.open(sim=True) as cam:
        cam.Height = 32
        cam.record(plain, frames=2)
    result = invoke("reproduce", plain)
    assert result.exit_code == 1 and "holds no run file" in result.stderr


def test_record_and_reproduce_as_real_processes(tmp_path: Path) -> None:
    run_file = write_run_file(tmp_path)
    done = run_process("record", run_file, "-q")
    assert done.returncode == 0, done.stderr
    (path,) = tmp_path.glob("*.h5")
    again = run_process("reproduce", path, "-q")
    assert again.returncode == 0, again.stderr
    assert _settings_diff(path, path.with_name(f"{path.stem}-reproduce-1.h5")) == {}
    refused = run_process("record", run_file, "-q", "-o", path)
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1 and "exists" in refused.stderr
