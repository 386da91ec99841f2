"""Chunks made by ace_gentl's encoders are what the standard HDF5 filters read back (plain h5py + hdf5plugin)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401
import numpy as np
import pytest

from ace_gentl.errors import RecordingConfigError
from ace_gentl.recording import compression


@pytest.mark.parametrize("name", compression.NAMES)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_direct_chunks_read_back_through_the_filter(tmp_path: Path, name: str, dtype: type) -> None:
    rng = np.random.default_rng(1)
    frames = (rng.integers(0, 4096, size=(3, 48, 80)) & np.iinfo(dtype).max).astype(dtype)
    choice = compression.parse(name)
    path = tmp_path / "c.h5"
    with h5py.File(path, "w", libver="latest") as file:
        data = file.create_dataset("d", shape=(3, 48, 80), dtype=dtype, chunks=(1, 48, 80),
                                   **choice.dataset_options())
        for index, frame in enumerate(frames):
            if choice.direct:
                data.id.write_direct_chunk((index, 0, 0), choice.encode(frame))
            else:
                data[index] = frame
    with h5py.File(path, "r") as file:
        np.testing.assert_array_equal(file["d"][:], frames)
        assert bool(file["d"]._filters) == (name != "none")


def test_parse_names_levels_and_errors() -> None:
    assert compression.parse(None).spec == "none"
    assert compression.parse("blosc").spec == "blosc-lz4:5"
    assert compression.parse("ZSTD:7").spec == "zstd:7"
    assert compression.parse("gzip").level == 1
    for bad, message in (("lzma", "unknown compression"), ("gzip:12", "level must be 0..9"),
                         ("lz4:3", "takes no level"), ("zstd:x", "must be an integer")):
        with pytest.raises(RecordingConfigError, match=message):
            compression.parse(bad)


def test_bitshuffle_makes_12_bit_frames_smaller_than_packed() -> None:
    rng = np.random.default_rng(2)
    y, x = np.mgrid[0:256, 0:512]
    frame = ((1800 + x // 4 + rng.normal(0, 27, size=x.shape)).clip(0, 4095)).astype(np.uint16)
    encoded = compression.parse("blosc-lz4").encode(frame)
    assert len(encoded) < frame.size * 12 // 8


@pytest.mark.parametrize("threads", [1, 2])
def test_gil_free_blosc_chunks_read_back_and_settings_are_restored(tmp_path: Path, threads: int) -> None:
    import blosc

    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:300, 0:700]
    frames = (1800 + x // 4 + rng.normal(0, 27, size=(4, 300, 700))).clip(0, 4095).astype(np.uint16)
    choice = compression.parse("blosc-lz4")
    before_threads, before_gil = blosc.set_nthreads(3), blosc.set_releasegil(False)
    previous = compression.configure_threads(threads)
    try:
        assert previous == compression.BloscThreads(3, False)
        encoded = [choice.encode(frame) for frame in frames]  # blosc_compress_ctx, GIL released
    finally:
        compression.restore_threads(previous)
    restored_threads, restored_gil = blosc.set_nthreads(before_threads), blosc.set_releasegil(before_gil)
    assert (restored_threads, bool(restored_gil)) == (3, False)
    path = tmp_path / "g.h5"
    with h5py.File(path, "w", libver="latest") as file:
        data = file.create_dataset("d", shape=frames.shape, dtype=np.uint16, chunks=(1, 300, 700),
                                   **choice.dataset_options())
        for index, chunk in enumerate(encoded):
            data.id.write_direct_chunk((index, 0, 0), chunk)
    with h5py.File(path, "r") as file:
        np.testing.assert_array_equal(file["d"][:], frames)


_FAULTS_SCRIPT = """
import json, resource, sys
import numpy as np
from ace_gentl.recording import compression

# made without a larger temporary: freeing one would itself raise glibc's threshold
frame = np.random.default_rng(4).integers(0, 4096, size=(2000, 2000), dtype=np.uint16)
choice = compression.parse("blosc-lz4")

def faults_per_chunk():
    choice.encode(frame)  # settle the allocator first
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(6):
        choice.encode(frame)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 6

plain = faults_per_chunk()
applied = compression.keep_frame_sized_blocks_in_heap()
print(json.dumps({"plain": plain, "kept": faults_per_chunk(), "applied": applied}))
"""


@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"),
                    reason="the allocator setting is glibc's")
def test_chunks_stop_being_page_faulted_in_once_frame_sized_blocks_stay_in_the_heap() -> None:
    # A fresh process: the setting is process-wide and once set stays set.
    done = subprocess.run([sys.executable, "-c", _FAULTS_SCRIPT], capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    chunk_pages = 2000 * 2000 * 2 / 4096 / 2  # the chunk is about half the frame (noise over 12 of 16 bits)
    assert measured["applied"] is True
    assert measured["plain"] > chunk_pages / 2, measured  # each chunk's bytes were new pages
    assert measured["kept"] < measured["plain"] / 10, measured
