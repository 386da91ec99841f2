"""Damaged JSON in a recording and corrupt compressed chunks: one-line errors, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import pytest

import ace_gentl
from ace_gentl.errors import RecordingFileError
from faults.campaign import assert_one_line_outcome, digest, record, run_cli

DETECTOR = "entry/instrument/acA4112_20um"
SETTINGS = f"{DETECTOR}/genicam/settings_start"
CONFIG = "entry/run_configuration/data"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record(tmp_path_factory.mktemp("metadata") / "original.h5", frames=6)


def _replace_text(path: Path, dataset: str, text: str) -> None:
    with h5py.File(path, "r+") as file:
        group, name = dataset.rsplit("/", 1)
        del file[dataset]
        file[group].create_dataset(name, data=text, dtype=h5py.string_dtype("utf-8"))


@pytest.mark.parametrize(("dataset", "text", "message"), [
    (CONFIG, "{garbage", f"{CONFIG} is not valid JSON"),
    (CONFIG, "[1, 2]", f"{CONFIG} must hold a JSON object, not list"),
    (CONFIG, '{"run_file": {"effective": 3}}', "the stored run file (/entry/run_configuration, run_file.effective) "
                                               "is int, not TOML text"),
    (SETTINGS, "not json", f"{SETTINGS} is not valid JSON"),
    (SETTINGS, '"a string"', f"{SETTINGS} must hold a JSON object, not str"),
    (SETTINGS, '{"device": "x", "features": 3}', 'the settings snapshot holds no camera record ("device")'),
    (SETTINGS, "[" * 5000 + "]" * 5000, f"{SETTINGS} is not valid JSON"),
], ids=["config-garbage", "config-list", "config-effective", "settings-garbage", "settings-string",
        "settings-device", "settings-deep"])
def test_damaged_json(original: Path, tmp_path: Path, dataset: str, text: str, message: str) -> None:
    damaged = tmp_path / "json.h5"
    shutil.copy(original, damaged)
    _replace_text(damaged, dataset, text)
    reproduce = run_cli("reproduce", damaged, "-o", tmp_path / "again-{run}.h5")
    assert reproduce.returncode == 1 and message in reproduce.stderr, reproduce.stderr
    assert_one_line_outcome(reproduce, damaged)
    assert not list(tmp_path.glob("again-*"))
    inspect = run_cli("inspect", "--strict", damaged)  # the rest of the file, and the damage among the problems
    assert inspect.returncode == 1 and not inspect.stderr, inspect.stderr
    assert "frames      6 x (32, 4096)" in inspect.stdout
    if "not valid JSON" in message or "must hold" in message:
        assert message in inspect.stdout


def test_garbage_json_through_the_library(original: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "json.h5"
    shutil.copy(original, damaged)
    _replace_text(damaged, SETTINGS, "{")
    with ace_gentl.open_recording(damaged) as recording:
        assert len(recording) == 6  # the frames are not affected
        with pytest.raises(RecordingFileError, match="settings_start is not valid JSON"):
            recording.settings


def _chunk_extent(path: Path, index: int) -> tuple[int, int]:
    with h5py.File(path, "r") as file:
        info = file[f"{DETECTOR}/data"].id.get_chunk_info(index)
        return info.byte_offset, info.size


@pytest.mark.parametrize("index", [0, 3])
def test_a_corrupt_compressed_chunk(original: Path, tmp_path: Path, index: int) -> None:
    damaged = tmp_path / "chunk.h5"
    shutil.copy(original, damaged)
    offset, _size = _chunk_extent(damaged, index)
    raw = bytearray(damaged.read_bytes())
    raw[offset:offset + 16] = bytes(16)  # the blosc header: no version, no sizes
    damaged.write_bytes(bytes(raw))
    with ace_gentl.open_recording(damaged) as recording:
        with pytest.raises(RecordingFileError, match=f"frame {index}: a compressed chunk cannot be decoded"):
            recording.frames[index]
        recording.frames[(index + 1) % 6]  # the other frames are fine
        with pytest.raises(RecordingFileError, match=f"frame {index}"):
            list(recording.frames)
        checked = recording.verify()
    assert not checked.ok and checked.bad == [index] and checked.checksums  # the recorder stores checksums
    before = digest(damaged)
    verify = run_cli("inspect", "--verify", damaged)
    assert verify.returncode == 1 and f"1 do not match their checksum: frames {index} (ID " in verify.stdout
    assert "integrity   ok" not in verify.stdout and "failed --verify" in verify.stdout
    assert digest(damaged) == before
