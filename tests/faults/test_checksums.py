"""Per-frame checksums (``frame_checksum``, xxh3_64 of each stored chunk): ``verify`` names the frames
whose bits changed, with and without compression, and says so when a file stores none."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import xxhash

import ace_gentl
from ace_gentl.errors import RecordingFileError
from faults.campaign import record, run_cli

DETECTOR = "entry/instrument/acA4112_20um"


def add_checksums(path: Path) -> None:
    """What the recorder stores: xxh3_64 of each frame's chunk bytes exactly as read_direct_chunk returns them.

    A recorder that stores them already is checked against the same computation instead.
    """
    with h5py.File(path, "r+") as file:
        detector = file[DETECTOR]
        data = detector["data"]
        sums = np.asarray([xxhash.xxh3_64_intdigest(data.id.read_direct_chunk((i, 0, 0))[1])
                           for i in range(data.shape[0])], dtype=np.uint64)
        if "frame_checksum" in detector:
            stored = detector["frame_checksum"]
            assert stored.attrs["algorithm"] == "xxh3_64" and stored.dtype == np.uint64
            np.testing.assert_array_equal(stored[:], sums)
            return
        dataset = detector.create_dataset("frame_checksum", data=sums, maxshape=(None,), chunks=(4096,))
        dataset.attrs["algorithm"] = "xxh3_64"


@pytest.fixture(scope="module", params=["blosc-lz4", "none"])
def checked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = record(tmp_path_factory.mktemp("checksums") / f"{request.param}.h5", "--compression", request.param,
                  frames=8)
    add_checksums(path)
    return path


def _flip_in_chunk(path: Path, index: int, bits: int) -> None:
    """Flip bits at the end of a chunk (past blosc's header: the frame still decodes, to wrong pixels)."""
    with h5py.File(path, "r") as file:
        info = file[f"{DETECTOR}/data"].id.get_chunk_info(index)
    raw = bytearray(path.read_bytes())
    for k in range(bits):
        raw[info.byte_offset + info.size - 1 - 3 * k] ^= 1 << (k % 8)
    path.write_bytes(bytes(raw))


def test_an_intact_file_verifies(checked: Path) -> None:
    with ace_gentl.open_recording(checked) as recording:
        result = recording.verify()
    assert result.ok and result.checksums and result.frames == 8
    assert str(result) == "8 frames checked against their xxh3_64 checksums: all match; all metadata readable"
    ran = run_cli("inspect", "--verify", checked)
    assert ran.returncode == 0
    assert "verify      8 frames checked against their xxh3_64 checksums: all match" in ran.stdout


@pytest.mark.parametrize("bits", [1, 64])
def test_flipped_bits_are_named(checked: Path, tmp_path: Path, bits: int) -> None:
    damaged = tmp_path / "flipped.h5"
    shutil.copy(checked, damaged)
    _flip_in_chunk(damaged, 2, bits)
    _flip_in_chunk(damaged, 5, bits)
    with ace_gentl.open_recording(damaged) as recording:
        ids = recording.column("frame_id")
        seen: list[tuple[int, int]] = []
        result = recording.verify(progress=lambda done, total: seen.append((done, total)))
    assert result.bad == [2, 5] and not result.unreadable and not result.ok
    assert seen[-1] == (8, 8)
    assert f"2 do not match their checksum: frames 2 (ID {ids[2]}), 5 (ID {ids[5]})" in str(result)
    ran = run_cli("inspect", "--verify", damaged)
    assert ran.returncode == 1 and f"frames 2 (ID {ids[2]}), 5 (ID {ids[5]})" in ran.stdout
    assert "integrity   2 frames failed --verify" in ran.stdout  # only the checksums see the flips
    plain = run_cli("inspect", damaged)
    assert "integrity   ok" in plain.stdout  # without --verify nothing reads the pixels


def test_a_file_without_checksums_says_so(tmp_path: Path) -> None:
    path = record(tmp_path / "plain.h5", frames=3)
    with h5py.File(path, "r+") as file:  # as recorded before checksums were stored
        if "frame_checksum" in file[DETECTOR]:
            del file[DETECTOR]["frame_checksum"]
    with ace_gentl.open_recording(path) as recording:
        result = recording.verify()
    assert result.ok and not result.checksums
    assert str(result).startswith("no checksums stored; 3 frames decoded: all decode")


def test_an_unknown_algorithm_is_refused(checked: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.h5"
    shutil.copy(checked, other)
    with h5py.File(other, "r+") as file:
        file[f"{DETECTOR}/frame_checksum"].attrs["algorithm"] = "crc32"
    with ace_gentl.open_recording(other) as recording, pytest.raises(RecordingFileError, match="uses crc32"):
        recording.verify()


def test_a_frame_whose_chunk_is_missing_is_unreadable(checked: Path, tmp_path: Path) -> None:
    grown = tmp_path / "grown.h5"
    shutil.copy(checked, grown)
    with h5py.File(grown, "r+") as file:  # one more frame in every per-frame dataset, but no chunk written
        detector = file[DETECTOR]
        for name, item in detector.items():
            if isinstance(item, h5py.Dataset) and item.maxshape and item.maxshape[0] is None:
                item.resize(item.shape[0] + 1, axis=0)
    with ace_gentl.open_recording(grown) as recording:
        result = recording.verify()
    assert result.unreadable == [8] and not result.bad
