"""Shared pieces of the Bluesky tests: a RunEngine, detectors that are always disconnected, plans."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

pytest.importorskip("ophyd_async", reason="the [bluesky] extra is not installed")

import bluesky.plan_stubs as bps  # noqa: E402
import bluesky.preprocessors as bpp  # noqa: E402
from bluesky import RunEngine  # noqa: E402
from bluesky.run_engine import call_in_bluesky_event_loop  # noqa: E402
from ophyd_async.core import StaticPathProvider, UUIDFilenameProvider, wait_for_connection  # noqa: E402

from ace_gentl.bluesky import GenTLDetector  # noqa: E402

#: ROI for tests that only need frames (full frames are 12.4 MB).
HEIGHT, WIDTH = 64, 256
DETECTOR_GROUP = "entry/instrument/acA4112_20um"


class Documents(list[tuple[str, dict[str, Any]]]):
    """Every document a RunEngine emitted, in order."""

    def of(self, name: str) -> list[dict[str, Any]]:
        return [doc for kind, doc in self if kind == name]


@pytest.fixture
def sim_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private simulator state folder and three simulated cameras (serials 40000001..3)."""
    state = tmp_path / "sim_state"
    state.mkdir()
    monkeypatch.setenv("ACE_SIM_STATE_DIR", str(state))
    monkeypatch.setenv("ACE_SIM_CAMERAS", "3")
    return state


@pytest.fixture
def run_engine() -> Iterator[tuple[RunEngine, Documents]]:
    engine = RunEngine(call_returns_result=True)
    documents = Documents()
    engine.subscribe(lambda name, doc: documents.append((name, doc)))
    yield engine, documents


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@contextlib.contextmanager
def detectors(data_dir: Path, *serials: str, **options: Any) -> Iterator[list[GenTLDetector]]:
    """Connected GenTLDetectors on simulated cameras (small ROI), disconnected at the end."""
    path_provider = StaticPathProvider(UUIDFilenameProvider(), data_dir)
    made: list[GenTLDetector] = []
    try:
        for index, serial in enumerate(serials or ("40000001",), start=1):
            made.append(GenTLDetector(path_provider, name=f"cam{index}", sim=True, serial=serial, **options))
        call_in_bluesky_event_loop(wait_for_connection(**{det.name: det.connect() for det in made}))
        for detector in made:
            detector.controller.set_feature("Height", HEIGHT)
            detector.controller.set_feature("Width", WIDTH)
        yield made
    finally:
        for detector in made:
            call_in_bluesky_event_loop(detector.disconnect())


def fly(dets: list[Any], info: Any, *, pulser: Any = None, hz: float = 0.0) -> Any:
    """prepare, kickoff, complete and collect (while completing) on every detector, in one run."""

    @bpp.stage_decorator(dets)
    @bpp.run_decorator()
    def inner() -> Any:
        for det in dets:
            yield from bps.prepare(det, info, group="prepare")
        yield from bps.wait(group="prepare")
        yield from bps.declare_stream(*dets, name="primary", collect=True)
        yield from bps.kickoff_all(*dets, wait=True)
        if pulser is not None:
            yield from bps.mv(pulser.frequency, hz)
        try:
            yield from bps.collect_while_completing(dets, dets, flush_period=0.2)
        finally:
            if pulser is not None:
                yield from bps.mv(pulser.frequency, 0.0)

    return (yield from inner())


def file_of(documents: Documents, data_key: str) -> Path:
    """The local file a StreamResource of ``data_key`` names (file://localhost/...)."""
    uris = {doc["uri"] for doc in documents.of("stream_resource") if doc["data_key"] == data_key}
    assert len(uris) == 1, uris
    return Path(uris.pop().removeprefix("file://localhost"))


def read_detector(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as file:
        group = file[DETECTOR_GROUP]
        values = {name: group[name][()] for name in group if isinstance(group[name], h5py.Dataset)
                  and group[name].ndim >= 1 and name != "data"}
        values["data"] = group["data"][()]
        values["status"] = file["entry/recording/status"][()].decode()
        return values


def stream_rows(documents: Documents, data_key: str) -> int:
    """Rows the StreamDatum documents of ``data_key`` announce (checked to be contiguous from 0)."""
    resources = {doc["uid"] for doc in documents.of("stream_resource") if doc["data_key"] == data_key}
    ranges = [doc["indices"] for doc in documents.of("stream_datum") if doc["stream_resource"] in resources]
    stop = 0
    for indices in ranges:
        assert indices["start"] == stop, ranges
        stop = indices["stop"]
    return stop
