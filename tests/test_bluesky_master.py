"""The NeXus master file of a multi-camera run: external links and virtual datasets over the per-camera files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from bluesky_helpers import DETECTOR_GROUP, HEIGHT, WIDTH, data_dir, detectors, file_of, fly, run_engine, sim_state

from ophyd_async.core import TriggerInfo  # noqa: E402

from ace_gentl.bluesky import MasterFileWriter, write_master_file
from ace_gentl.errors import RecordingFileError

__all__ = ["data_dir", "run_engine", "sim_state"]


def _run_two_cameras(engine, documents, data_dir: Path, events: int = 12) -> tuple[MasterFileWriter, list[Path]]:
    writer = MasterFileWriter(data_dir)
    engine.subscribe(writer)
    with detectors(data_dir, "40000001", "40000002") as dets:
        engine(fly(dets, TriggerInfo(number_of_events=events)))
    return writer, [file_of(documents, "cam1"), file_of(documents, "cam2")]


def _check(master: Path, files: list[Path], frames: int) -> None:
    with h5py.File(master, "r") as handle:
        stacked = handle["entry/data/data"]
        assert stacked.is_virtual and stacked.shape == (2, frames, HEIGHT, WIDTH)
        for index, path in enumerate(files):
            with h5py.File(path, "r") as source:
                own = source[DETECTOR_GROUP]
                assert np.array_equal(stacked[index], own["data"][:frames])
                assert np.array_equal(handle["entry/data/frame_id"][index], own["frame_id"][:frames])
                linked = handle[f"entry/instrument/cam{index + 1}"]
                assert linked["serial_number"][()] == own["serial_number"][()]
                assert np.array_equal(linked["device_timestamp"][()], own["device_timestamp"][()])
        assert list(handle["entry/data/frames_per_camera"][()]) == [frames, frames]


def test_a_run_gets_a_master_file_readable_by_h5py(sim_state, run_engine, data_dir, tmp_path) -> None:
    engine, documents = run_engine
    writer, files = _run_two_cameras(engine, documents, data_dir)
    (master,) = writer.written
    _check(master, files, 12)
    # Relative links: the run's folder moved elsewhere (another mount point) still resolves, from any cwd.
    moved = tmp_path / "elsewhere" / "run"
    shutil.copytree(data_dir, moved)
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        _check(moved / master.name, [moved / path.name for path in files], 12)
    finally:
        os.chdir(cwd)


def test_tiled_hdf5_adapter_reads_the_master_file(sim_state, run_engine, data_dir) -> None:
    adapters = pytest.importorskip("tiled.adapters.hdf5")
    engine, documents = run_engine
    writer, files = _run_two_cameras(engine, documents, data_dir, events=6)
    (master,) = writer.written
    tree = adapters.HDF5Adapter.from_uris(f"file://localhost{master}")
    stacked = tree["entry"]["data"]["data"].read()
    with h5py.File(files[1], "r") as source:
        assert np.array_equal(np.asarray(stacked)[1], source[f"{DETECTOR_GROUP}/data"][()])
    linked = tree["entry"]["instrument"]["cam1"]["frame_id"].read()
    assert list(np.asarray(linked)) == list(range(1, 7))


def test_cameras_with_different_frame_counts(sim_state, data_dir) -> None:
    import ace_gentl

    files = {}
    with ace_gentl.open(sim=True, serial="40000001") as one, ace_gentl.open(sim=True, serial="40000002") as two:
        for key, session, count in (("left", one, 5), ("right", two, 8)):
            session.Height, session.Width = HEIGHT, WIDTH
            files[key] = session.record(data_dir / f"{key}.h5", frames=count, compression="none").path
    master = write_master_file(data_dir / "master.h5", files)
    with h5py.File(master, "r") as handle:
        assert handle["entry/data/data"].shape == (2, 5, HEIGHT, WIDTH)  # the frames every camera has
        assert list(handle["entry/data/frames_per_camera"][()]) == [5, 8]
        assert handle["entry/instrument/right/data"].shape[0] == 8  # the rest is one link away


def test_bad_inputs_are_refused_with_the_reason(sim_state, data_dir) -> None:
    with pytest.raises(RecordingFileError, match="at least one"):
        write_master_file(data_dir / "m.h5", {})
    with pytest.raises(RecordingFileError, match="NeXus names"):
        write_master_file(data_dir / "m.h5", {"cam-1": data_dir / "x.h5"})
    with pytest.raises(RecordingFileError, match="cannot read it"):
        write_master_file(data_dir / "m.h5", {"cam1": data_dir / "missing.h5"})
    (data_dir / "open.h5").write_bytes(b"not HDF5")
    with pytest.raises(RecordingFileError, match="repair"):
        write_master_file(data_dir / "m.h5", {"cam1": data_dir / "open.h5"})
