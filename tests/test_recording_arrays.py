"""``Recording.to_xarray()`` and ``Recording.to_dask()``: lazy frames, read chunk by chunk, labelled."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import dask
import numpy as np
import pytest
import xarray as xr

import ace_gentl
from ace_gentl.recording import arrays
from ace_gentl.recording.reader import LazyFrames

FRAMES = 12


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("arrays") / "run.h5"
    with ace_gentl.open(sim=True) as cam:
        cam.Width, cam.Height, cam.PixelFormat = 320, 40, "Mono12"
        cam.ExposureTime = 3000.0
        cam.record(path, frames=FRAMES)
    return path


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The keys of every read of pixel data from the file."""
    seen: list[Any] = []
    original = LazyFrames._read

    def counted(self: LazyFrames, key: Any, what: str) -> np.ndarray:
        seen.append(key)
        return original(self, key, what)

    monkeypatch.setattr(LazyFrames, "_read", counted)
    return seen


def _frames_in(key: Any) -> int:
    first = key[0] if isinstance(key, tuple) else key
    return len(range(*first.indices(FRAMES))) if isinstance(first, slice) else 1


def test_a_dask_reduction_matches_numpy(recording: Path, reads: list[Any],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    frame_bytes = 320 * 40 * 2
    monkeypatch.setattr(arrays, "CHUNK_BYTES", 5 * frame_bytes)  # 5 frames a chunk: 3 chunks for 12 frames
    with ace_gentl.open_recording(recording) as rec:
        ds = rec.to_xarray()
        assert reads == []  # nothing read to build it
        frames = ds["frames"]
        assert isinstance(frames.data, dask.array.Array) and frames.dims == ("frame", "y", "x")
        assert frames.data.chunks[0] == (5, 5, 2) and frames.shape == (FRAMES, 40, 320)
        with dask.config.set(scheduler="threads"):
            mean = frames.mean("frame").compute()
            brightest = frames.max(("y", "x")).compute()
        assert all(_frames_in(key) <= 5 for key in reads) and len(reads) == 2 * 3  # chunk by chunk, twice
        everything = rec.frames[:]
    assert isinstance(mean, xr.DataArray) and mean.dims == ("y", "x")
    np.testing.assert_allclose(mean.values, everything.astype(np.float64).mean(axis=0))
    np.testing.assert_array_equal(brightest.values, everything.max(axis=(1, 2)))


def test_coordinates_and_settings(recording: Path) -> None:
    with ace_gentl.open_recording(recording) as rec:
        ds = rec.to_xarray()
        table = rec.table
        settings = rec.settings["features"]
        serial = rec.summary().serial
        by_id = ds.swap_dims(frame="frame_id")
        np.testing.assert_array_equal(by_id["frames"].sel(frame_id=int(table["frame_id"][3])).values, rec.frames[3])
    np.testing.assert_array_equal(ds["frame_id"].values, table["frame_id"])
    np.testing.assert_array_equal(ds["device_time"].values, table["device_timestamp"])
    assert ds["device_time"].attrs["units"] == "ns"
    assert ds["host_time"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(ds["host_time"].values.astype(np.int64), table["host_timestamp"])
    for name in ("incomplete", "lost_before", "count_time"):
        assert ds[name].dims == ("frame",)
    assert ds.attrs["ExposureTime"] == settings["ExposureTime"] == 3000.0
    assert ds.attrs["PixelFormat"] == "Mono12" and ds.attrs["serial"] == serial
    assert ds["frames"].attrs["significant_bits"] == 12


def test_without_dask_the_frames_are_lazy_too(recording: Path, reads: list[Any]) -> None:
    with ace_gentl.open_recording(recording) as rec:
        ds = rec.to_xarray(use_dask=False)
        assert reads == [] and ds["frames"].chunks is None  # xarray's lazy indexing, no dask
        one = ds["frames"].isel(frame=4, y=slice(0, 8)).values
        assert len(reads) == 1 and _frames_in(reads[0]) == 1
        np.testing.assert_array_equal(one, rec.frames[4][:8])


def test_to_dask_with_a_chosen_chunk(recording: Path) -> None:
    with ace_gentl.open_recording(recording) as rec:
        stack = rec.to_dask(frames_per_chunk=4)
        assert stack.chunks[0] == (4, 4, 4) and stack.dtype == np.uint16
        total = int(stack.sum(dtype=np.uint64).compute())
        assert total == int(rec.frames[:].sum(dtype=np.uint64))
        again = rec.to_dask(frames_per_chunk=4)
        assert again.name == stack.name  # the same file gives the same graph name (dask can cache by it)


def test_default_chunks_are_64_mib_of_frames() -> None:
    assert arrays.frames_per_chunk((3008, 4112), np.dtype(np.uint16)) == math.floor(64 * 2**20 / (3008 * 4112 * 2))
    assert arrays.frames_per_chunk((3008, 4112), np.dtype(np.uint16)) == 2
    assert arrays.frames_per_chunk((64, 256), np.dtype(np.uint8)) == 4096
    assert arrays.frames_per_chunk((30000, 30000), np.dtype(np.uint16)) == 1


def test_missing_extras_are_one_line(recording: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xarray", None)
    with ace_gentl.open_recording(recording) as rec:
        with pytest.raises(ace_gentl.AceGentlError, match=r"pip install 'ace-gentl\[xarray\]'"):
            rec.to_xarray()
        monkeypatch.setitem(sys.modules, "dask.array", None)
        with pytest.raises(ImportError, match="dask arrays need dask"):
            rec.to_dask()
