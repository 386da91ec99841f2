"""The contract every camera ace_gentl supports must keep, run once per camera target (conftest.py).

Discovery, open/close, a second open refused, the feature walk, describing every feature,
snapshot -> apply -> snapshot (every difference explained), grabbing frames, recording frames
from Python and from the command line and reading them back, closing and reopening.
Only AceGentlError may come out of ace_gentl on the way. A lab runs it on its own camera:

    ACE_GENTL_TEST_CTI=/opt/vendor/x.cti ACE_GENTL_TEST_SERIAL=1234 pytest tests/contract
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ace_gentl
from ace_gentl import transport
from ace_gentl.errors import AceGentlError
from ace_gentl.features import FeatureMap
from ace_gentl.snapshot import same
from cli_helpers import run_process
from contract.differences import DRIFTING_NAMES, drifting, explain, explained_diff
from contract.preparation import prepare
from contract.targets import CORPUS, CameraTarget, ci_targets, needs_ci_producers, viky_cti

GRAB_FRAMES = 3
RECORD_FRAMES = 10
TYPES = {"Integer", "Float", "Boolean", "String", "Enumeration", "Command", "Register"}
ACCESS = {"RW", "RO", "WO", "NA", "NI"}
_UNREADABLE = object()


def _identity(record: ace_gentl.DeviceRecord) -> tuple[str, ...]:
    return (record.vendor, record.model, record.serial, record.id, record.tl_type, str(record.producer))


def _modules(session: ace_gentl.Session) -> dict[str, FeatureMap]:
    return {"camera": session.features, "device": session.device_features, "stream": session.stream_features,
            "system": session.system_features, "interface": session.interface_features}


def _increasing(values: np.ndarray | list[int]) -> bool:
    return bool(np.all(np.diff(np.asarray(values, dtype=np.int64)) > 0))


# --- discovery, open, close ----------------------------------------------------------------------

def test_discovery_lists_the_camera_that_opens(target: CameraTarget) -> None:
    listed = ace_gentl.list_devices(**target.list_kwargs())
    if target.cti is not None or target.sim:
        assert listed.errors == [], [str(e) for e in listed.errors]
    assert listed, f"{target}: the producer reports no camera"
    with target.open() as session:
        opened = session.device
    assert _identity(opened) in {_identity(record) for record in listed}
    for record in listed:
        if record.producer == opened.producer:  # DEVICE_INFO_ID and TLType are mandatory in GenTL
            assert record.id and record.tl_type, record


def test_open_and_close(target: CameraTarget) -> None:
    session = target.open()
    try:
        assert not session.closed and str(session.device) in repr(session)
        assert len(session.features) > 0
    finally:
        session.close()
    assert session.closed
    session.close()  # idempotent
    with pytest.raises(ace_gentl.SessionClosedError):
        session.snapshot()
    with pytest.raises(ace_gentl.SessionClosedError):
        session.get("Width")
    assert transport.loaded_paths() == [], "closing the only Session releases the producer"


def test_a_second_open_is_refused_while_the_camera_is_open(target: CameraTarget) -> None:
    with target.open() as session:
        with pytest.raises(ace_gentl.DeviceBusyError):
            target.open()
        assert len(session.snapshot()["features"]) > 0, "the first Session still works"
    assert transport.loaded_paths() == []


# --- features ------------------------------------------------------------------------------------

def test_feature_walk_reads_every_feature_and_writes_each_own_value_back(target: CameraTarget) -> None:
    with target.open() as session:
        counts = {"read": 0, "unreadable": 0, "written": 0, "refused": 0}
        for module in _modules(session).values():
            for name in module:
                try:
                    module.read(name)
                    counts["read"] += 1
                except AceGentlError as error:  # anything else escaping fails the test
                    assert str(error), name
                    counts["unreadable"] += 1
        features = session.features
        first = {name: features.value_or(name, _UNREADABLE) for name in features}
        moved = {name for name in features if not same(features.value_or(name, _UNREADABLE), first[name])}
        changed: list[str] = []
        for name, value in first.items():
            if value is _UNREADABLE or not features.is_writable(name):
                continue
            try:
                features.write(name, value)
                counts["written"] += 1
            except AceGentlError as error:
                assert str(error), name
                counts["refused"] += 1
                continue
            after = features.value_or(name, _UNREADABLE)
            if not same(after, value) and name not in moved and not any(p in name for p in DRIFTING_NAMES):
                changed.append(f"{name}: wrote its own value {value!r}, reads {after!r}")
        print(f"{target}: {counts}")
        assert counts["read"] > 0 and counts["written"] > 0, counts
        assert changed == []


def test_describe_every_feature(target: CameraTarget) -> None:
    with target.open() as session:
        described = 0
        for where, module in _modules(session).items():
            for name in module:
                info = module.describe(name)
                label = f"{where} {name}"
                assert info.name == name and info.type in TYPES and info.access in ACCESS, (label, info)
                if info.value is None:
                    assert info.why_not_readable, f"{label}: no value and no reason"
                if info.access in ("NA", "NI"):
                    assert info.value is None, label
                if info.access not in ("RW", "WO"):
                    assert info.why_not_writable, f"{label}: {info.access} and no reason it cannot be written"
                for number in (info.min, info.max, info.increment):
                    assert number is None or isinstance(number, (int, float)), (label, number)
                described += 1
        assert described >= len(session.features) > 0


def test_snapshot_apply_snapshot_leaves_only_explained_differences(target: CameraTarget) -> None:
    with target.open() as session:
        features = session.features
        selectors = [name for name in features if features.selected_by(name)]
        selector_values = {name: features.value_or(name) for name in selectors}
        first, moved = drifting(session)  # two captures, nothing written between them
        put_back = {name: features.value_or(name) for name in selectors}
        assert [s for s in selectors if not same(put_back[s], selector_values[s]) and s not in moved] == [], \
            "capturing left selectors elsewhere"
        assert ace_gentl.diff(json.loads(json.dumps(first, allow_nan=True)), first) == {}, "JSON round trip"
        try:
            session.apply(first)
            failures: dict[str, str] = {}
        except ace_gentl.ApplyError as error:
            failures = error.failures
        second = session.snapshot()
    writable = set(first["writable"])
    unexplained_failures = {label: why for label, why in failures.items() if not explain(label, moved, writable)}
    differences = explained_diff(first, second, moved)
    for difference in differences:
        print(f"{target}: {difference}")
    for label, why in failures.items():
        print(f"{target}: apply refused {label}: {why} ({explain(label, moved, writable) or 'UNEXPLAINED'})")
    assert unexplained_failures == {}, "applying the camera's own snapshot failed"
    assert [str(d) for d in differences if not d.explanation] == []


# --- frames --------------------------------------------------------------------------------------

def test_grab_frames(target: CameraTarget, request: pytest.FixtureRequest) -> None:
    with target.open() as session:
        prepare(session)
        frames = session.grab(GRAB_FRAMES)
        assert not session.streaming, "grab stops what it started"
        counters = session.stream.counters()
        geometry = tuple(session.features.value_or(name) for name in ("Width", "Height", "PixelFormat"))
    assert len(frames) == GRAB_FRAMES
    assert _increasing([frame.frame_id for frame in frames]), [frame.frame_id for frame in frames]
    stamps = [frame.timestamp_ns for frame in frames]
    assert stamps == sorted(stamps), f"device timestamps go back: {stamps}"
    for frame in frames:
        assert frame.pixel_format and frame.data.size > 0 and not frame.incomplete, frame
        assert frame.data.shape[:2] == (frame.height, frame.width), (frame.data.shape, frame.width, frame.height)
    first = frames[0]
    width, height, pixel_format = geometry
    whole = isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0 and \
        isinstance(pixel_format, str)
    # A simulator serving a foreign XML: the frames come from its model, shaped like the node map only
    # where the model can be (a 5120-wide map on a 4112-wide sensor cannot); the recording follows the frames.
    if whole and not target.serves_foreign_xml:
        assert (first.width, first.height, first.pixel_format) == geometry, "frames are what the node map says"
    if counters.delivered is not None:
        assert counters.delivered >= GRAB_FRAMES, counters


def _recordable(session: ace_gentl.Session) -> ace_gentl.Frame:
    """A frame of the geometry the recording must have (the frames' own, whatever the node map says)."""
    return session.grab(1)[0]


def _check_recording(path: Path, target: CameraTarget, device: ace_gentl.DeviceRecord,
                     frame: ace_gentl.Frame | None, before: dict | None) -> None:
    with ace_gentl.open_recording(path) as recording:
        assert recording.status == "complete", recording.error
        assert len(recording) == RECORD_FRAMES and recording.frames.shape[0] == RECORD_FRAMES
        ids = recording.column("frame_id")
        assert _increasing(ids), list(ids)
        stamps = recording.column("device_timestamp").astype(np.int64)
        assert np.all(np.diff(stamps) >= 0), list(stamps)
        if frame is not None:
            assert recording.frames.shape[1:3] == (frame.height, frame.width)
            assert recording.frames.dtype == frame.data.dtype
        assert recording.frames[RECORD_FRAMES - 1].size > 0
        settings = recording.settings
        assert settings["format"] == "ace_gentl.snapshot" and settings["features"], "the snapshot is in the file"
        assert (settings["device"]["serial"], settings["device"]["model"]) == (device.serial, device.model)
        if before is not None:  # every feature captured before is in the stored snapshot (read or unreadable)
            stored = set(settings["features"]) | set(settings["unreadable"])
            assert set(before["features"]) - stored == set()
        assert recording.settings_end is not None and recording.settings_end["features"]
        assert recording.device_xml, "the device's description file is in the recording"
        if target.serves_foreign_xml:
            assert target.device_xml is not None
            assert recording.device_xml == target.device_xml.read_bytes().rstrip(b"\0")


def test_record_frames_and_read_them_back(target: CameraTarget, request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    path = tmp_path / "contract.h5"
    with target.open() as session:
        prepare(session)
        frame = _recordable(session)
        before = session.snapshot()
        result = session.record(path, frames=RECORD_FRAMES)
        device = session.device
    assert (result.status, result.frames_written, result.frames_incomplete) == ("complete", RECORD_FRAMES, 0), result
    print(f"{target}: {result}")
    _check_recording(path, target, device, frame, before)


def test_record_from_the_command_line(target: CameraTarget, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """``ace-gentl record <camera> --frames 10 -o FILE`` as a user runs it (a separate process)."""
    path = tmp_path / "cli.h5"
    with target.open() as session:
        settings = prepare(session)  # the same settings go on the command line: the CLI opens a fresh camera
        frame = _recordable(session)
        device = session.device
    options = [part for setting in settings for part in setting.cli()]
    done = run_process("record", *target.cli_args(), *options, "--frames", str(RECORD_FRAMES), "-o", path, "-q",
                       timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert f"wrote {path}" in done.stdout, done.stdout
    _check_recording(path, target, device, frame, None)


def test_close_and_reopen(target: CameraTarget, request: pytest.FixtureRequest) -> None:
    with target.open() as session:
        identity = _identity(session.device)
        first, moved = drifting(session)
    assert session.closed and transport.loaded_paths() == []
    with target.open() as again:
        assert _identity(again.device) == identity
        second = again.snapshot()
        differences = explained_diff(first, second, moved)
        assert [str(d) for d in differences if not d.explanation] == [], "reopening changed settings"
        prepare(again)
        assert len(again.grab(1)) == 1, "the camera streams after a reopen"


# --- what CI covers (the lab's run covers its one camera) -----------------------------------------

@needs_ci_producers
def test_ci_runs_against_the_simulator_every_corpus_map_and_every_viky_camera() -> None:
    targets = ci_targets()
    assert [t for t in targets if t.sim and t.device_xml is None], "the simulator's own XML"
    assert {t.device_xml for t in targets if t.serves_foreign_xml} == set(CORPUS) and len(CORPUS) >= 12
    viky = [t for t in targets if t.cti == viky_cti()]
    assert len(viky) == len(ace_gentl.list_devices(viky_cti())) == 3, "every camera viky.cti reports"
