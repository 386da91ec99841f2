"""Truncated files and flipped bits: every command ends within seconds, with a one-line error or a
result, and repair never changes a damaged file (it cannot mend it, so it must not touch it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faults.campaign import (
    assert_one_line_outcome,
    digest,
    flip_bits,
    read_all_in_child,
    record,
    run_cli,
    truncate,
)

TRUNCATIONS = (0.002, 0.01, 0.1, 0.5, 0.9, 0.99)
FLIP_SEEDS = range(6)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record(tmp_path_factory.mktemp("damaged") / "original.h5")


def _every_command(damaged: Path, folder: Path) -> dict[str, object]:
    """inspect, open_recording (all of it), reproduce and repair on one damaged file."""
    before = digest(damaged)
    inspect = run_cli("inspect", damaged)
    assert_one_line_outcome(inspect, damaged)
    library = read_all_in_child(damaged)
    assert library["outcome"] in ("ok", "RecordingFileError", "RunFileError"), library
    reproduce = run_cli("reproduce", damaged, "-o", folder / "again-{run}.h5")
    assert_one_line_outcome(reproduce, damaged)
    repair = run_cli("repair", damaged)
    assert_one_line_outcome(repair, damaged)
    assert digest(damaged) == before, "repair changed a damaged file it could not mend"
    return {"inspect": inspect, "library": library, "repair": repair}


@pytest.mark.parametrize("fraction", TRUNCATIONS)
def test_a_truncated_file_is_named_truncated_at_once(original: Path, tmp_path: Path, fraction: float) -> None:
    damaged = tmp_path / "truncated.h5"
    truncate(original, damaged, fraction)
    seen = _every_command(damaged, tmp_path)
    inspect = seen["inspect"]
    assert inspect.returncode == 1 and "truncated" in inspect.stderr  # type: ignore[attr-defined]
    assert inspect.seconds < 20  # type: ignore[attr-defined]  # start-up is 1-2 s (6.8 s seen with two CPU hogs)
    assert seen["library"]["outcome"] == "RecordingFileError"  # type: ignore[index]
    assert seen["repair"].returncode == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", FLIP_SEEDS)
def test_bits_flipped_in_the_first_8_kb(original: Path, tmp_path: Path, seed: int) -> None:
    damaged = tmp_path / "flipped.h5"
    flip_bits(original, damaged, seed)
    seen = _every_command(damaged, tmp_path)
    if seen["inspect"].returncode == 1:  # type: ignore[attr-defined]
        # the same damage is reported by the library and refused by repair
        assert seen["library"]["outcome"] != "ok"  # type: ignore[index]
        assert seen["repair"].returncode == 1  # type: ignore[attr-defined]


def test_a_damaged_superblock_is_named(original: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "superblock.h5"
    flip_bits(original, damaged, 0, start=20, end=40, bits=1)  # inside the superblock's addresses
    inspect = run_cli("inspect", damaged)
    assert inspect.returncode == 1 and "superblock's checksum does not match" in inspect.stderr
    _every_command(damaged, tmp_path)
