"""A run written into an in-memory Tiled catalog (no open port) reads back what h5py reads from the file."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from bluesky_helpers import DETECTOR_GROUP, data_dir, detectors, file_of, fly, run_engine, sim_state

pytest.importorskip("tiled.server", reason="the Tiled server part is not installed")

import bluesky.plans as bp  # noqa: E402
from bluesky.callbacks.tiled_writer import TiledWriter  # noqa: E402
from ophyd_async.core import TriggerInfo  # noqa: E402
from ophyd_async.sim import SimMotor  # noqa: E402
from tiled.catalog import in_memory  # noqa: E402
from tiled.client import Context, from_context  # noqa: E402
from tiled.server.app import build_app  # noqa: E402

__all__ = ["data_dir", "run_engine", "sim_state"]


@pytest.fixture
def tiled_client(tmp_path, data_dir):
    catalog = in_memory(writable_storage={"filesystem": str(tmp_path / "tiled"), "sql": f"sqlite:///{tmp_path}/tables.db"},
                        readable_storage=[str(data_dir)])
    with Context.from_app(build_app(catalog)) as context:  # in-process ASGI: no port is opened
        yield from_context(context)


def _same_as_file(stream, data_key: str, path) -> None:
    # Tiled's HDF5 adapter keeps the file open in SWMR read mode; HDF5 wants the same mode in one process.
    with h5py.File(path, "r", swmr=True) as file:
        group = file[DETECTOR_GROUP]
        frames = group["data"][()]
        assert np.array_equal(np.asarray(stream[data_key].read()).reshape(frames.shape), frames)
        for name in ("frame_id", "device_timestamp", "host_timestamp", "count_time", "chunk_Timestamp"):
            assert np.array_equal(np.asarray(stream[f"{data_key}-{name}"].read()).ravel(), group[name][()]), name


def test_step_scan_frames_and_per_frame_values_through_tiled(sim_state, run_engine, data_dir, tiled_client) -> None:
    engine, documents = run_engine
    engine.subscribe(TiledWriter(tiled_client, batch_size=1))
    motor = SimMotor(name="motor", instant=True)
    with detectors(data_dir, chunks=("Timestamp",)) as (cam,):
        (uid,) = engine(bp.scan([cam], motor, 0.0, 1.0, 4)).run_start_uids
    stream = tiled_client[uid]["primary"]
    assert list(np.asarray(stream["motor"].read())) == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    _same_as_file(stream, "cam1", file_of(documents, "cam1"))


def test_fly_scan_of_two_cameras_through_tiled(sim_state, run_engine, data_dir, tiled_client) -> None:
    engine, documents = run_engine
    engine.subscribe(TiledWriter(tiled_client, batch_size=1))
    with detectors(data_dir, "40000001", "40000002", chunks=("Timestamp",)) as dets:
        (uid,) = engine(fly(dets, TriggerInfo(number_of_events=25))).run_start_uids
    stream = tiled_client[uid]["primary"]
    for name in ("cam1", "cam2"):
        assert stream[name].shape[0] == 25
        _same_as_file(stream, name, file_of(documents, name))
