"""snapshot() / apply() / diff(): JSON round trip, safe ordering, one error listing every failure."""

from __future__ import annotations

import json
import pathlib
import time

import genicam
import pytest

import ace_gentl
from ace_gentl import snapshot
from ace_gentl.errors import ApplyError, SnapshotFormatError
from ace_gentl.features import FeatureMap
from ram_nodemap import CORPUS, load
from session_fixtures import session  # noqa: F401 (pytest fixture)


def _writable_state(snap: dict) -> dict:
    keep = set(snap["writable"])
    flat = {k: v for k, v in snap["features"].items() if k in keep}
    for name, variants in snap["selected"].items():
        if name in keep:
            for variant in variants:
                flat[(name, tuple(sorted(variant["selectors"].items())))] = variant["value"]
    return flat


def test_snapshot_is_versioned_json_with_selected_variants(session: ace_gentl.Session) -> None:
    session.set("UserDefinedValue", 11, UserDefinedValueSelector="Value2")
    snap = json.loads(json.dumps(session.snapshot()))
    assert snap["format"] == "ace_gentl.snapshot" and snap["version"] == 1
    assert snap["device"]["model"] == "acA4112-20um"
    assert snap["features"]["Width"] == 4096 and snap["features"]["PixelFormat"] == "Mono8"
    variants = {v["selectors"]["UserDefinedValueSelector"]: v["value"] for v in snap["selected"]["UserDefinedValue"]}
    assert variants == {"Value1": 0, "Value2": 11, "Value3": 0, "Value4": 0, "Value5": 0}
    assert "Width" in snap["writable"] and "PayloadSize" not in snap["writable"]
    assert session.UserDefinedValueSelector == "Value1"  # capturing restored the selector


def test_apply_snapshot_onto_a_camera_in_another_state(session: ace_gentl.Session) -> None:
    session.set("UserDefinedValue", -5, UserDefinedValueSelector="Value3")
    wanted = session.snapshot()
    # Knock the camera far away: binning, small ROI with a large offset, other format, centring on.
    session.PixelFormat = "Mono12p"
    session.BinningHorizontal = 2
    session.Width = 256
    session.OffsetX = 1000
    session.CenterY = True
    session.ExposureTime = 777.0
    session.Gain = 3.5
    session.AcquisitionFrameRateEnable = True
    session.set("UserDefinedValue", 99, UserDefinedValueSelector="Value3")
    session.UserDefinedValueSelector = "Value5"
    assert ace_gentl.diff(wanted, session.snapshot())  # really different
    session.apply(wanted)
    after = session.snapshot()
    assert _writable_state(after) == _writable_state(wanted)
    assert ace_gentl.diff(wanted, after) == {}


def test_apply_orders_width_before_a_larger_offset(session: ace_gentl.Session) -> None:
    session.Width = 4096
    session.OffsetX = 8
    # OffsetX 3000 is only valid once Width is small: the order must not depend on the dict's order.
    session.apply({"OffsetX": 3000, "Width": 1024})
    assert (session.Width, session.OffsetX) == (1024, 3000)
    session.apply({"Width": 4096, "OffsetX": 0})  # and back: the offset must shrink first
    assert (session.Width, session.OffsetX) == (4096, 0)


def test_apply_reports_every_failure_at_once(session: ace_gentl.Session) -> None:
    with pytest.raises(ApplyError) as info:
        session.apply({"Width": 4097, "PixelFormat": "Mono10", "ExposureTime": 2000.0, "Nope": 1})
    failures = info.value.failures
    assert set(failures) == {"Width", "PixelFormat", "Nope"}
    assert "nearest valid 4096 or 4100" in failures["Width"]
    assert "allowed: Mono8, Mono12, Mono12p" in failures["PixelFormat"]
    assert "no such feature" in failures["Nope"]
    assert session.ExposureTime == 2000.0  # the good ones were still applied
    assert "could not set 3 feature(s)" in str(info.value)


def test_diff_lists_only_differences(session: ace_gentl.Session) -> None:
    a = session.snapshot()
    session.ExposureTime = 4321.0
    session.set("UserDefinedValue", 3, UserDefinedValueSelector="Value1")
    b = session.snapshot()
    changes = ace_gentl.diff(a, b)
    assert changes["ExposureTime"] == (5000.0, 4321.0)
    assert changes["UserDefinedValue[UserDefinedValueSelector=Value1]"] == (0, 3)
    assert all(not k.startswith("Width") for k in changes)


def test_foreign_structure_is_refused(session: ace_gentl.Session) -> None:
    with pytest.raises(SnapshotFormatError, match="version 99"):
        session.apply({"format": "ace_gentl.snapshot", "version": 99, "features": {}})
    with pytest.raises(SnapshotFormatError):
        ace_gentl.diff({"features": {}}, {"features": {}})


# --- any node map: bounded, total, every failure reported (corpus maps over a RAM port; viky.cti) --




VIKY = str(next(pathlib.Path(genicam.__file__).parent.rglob("viky.cti")))


def corpus_map(name: str, seed: int | None = None) -> FeatureMap:
    loaded = load(CORPUS / f"{name}.xml", seed)
    features = FeatureMap(loaded.node_map, neutral=True)
    features._keep = loaded  # type: ignore[attr-defined]  # the port lives as long as the map
    return features


def test_viky_snapshot_lists_what_it_cannot_read() -> None:
    with ace_gentl.open(cti=VIKY, index=0) as viky:
        snap = viky.snapshot()
        assert snap["features"]["Width"] == viky.Width
        why = snap["unreadable"]["ChunkComponentSelector"]
        assert "ChunkScan3dFeatures_AvailCalc" in why and "chunk data" in why
        assert snap["unreadable"]["ChunkComponentIDValue"].startswith("its selector ChunkComponentSelector: ")
        viky.apply(snap)
        assert ace_gentl.diff(snap, viky.snapshot()) == {}


def test_nested_and_huge_selectors_stay_bounded() -> None:
    features = corpus_map("selectors_of_selectors")
    started = time.perf_counter()
    snap = snapshot.capture(features)
    assert time.perf_counter() - started < 10  # 4 x 4096 LUT entries and 10000 defect pixels, bounded
    lut = snap["selected"]["LUTValue"]
    assert len(lut) == 4 * snapshot.Limits().selector_values
    assert {v["selectors"]["LUTSelector"] for v in lut} == {"Luminance", "Red", "Green", "Blue"}
    assert snap["notes"]["LUTIndex"] == "4096 values (0..4095 step 1); only the first 64 captured"
    assert snap["notes"]["DefectPixelIndex"] == "10000 values (0..9999 step 1); only the first 64 captured"
    paths = {(v["selectors"]["SequencerSetSelector"], v["selectors"]["SequencerPathSelector"])
             for v in snap["selected"]["SequencerSetNext"]}
    assert paths == {(s, p) for s in range(32) for p in (0, 1)}
    assert list(snap["selected"]["SequencerSetNext"][0]["selectors"]) == ["SequencerSetSelector",
                                                                           "SequencerPathSelector"]  # outer first
    small = snapshot.capture(features, limits=snapshot.Limits(selector_values=8, combinations=10))
    assert len(small["selected"]["LUTValue"]) == 10
    assert "only the first 10 combinations of LUTSelector, LUTIndex captured" in small["notes"]["LUTValue"]


def test_the_largest_map_snapshots_in_bounded_time() -> None:
    features = corpus_map("large_map")
    started = time.perf_counter()
    snap = snapshot.capture(features)
    elapsed = time.perf_counter() - started
    values = len(snap["features"]) + sum(len(v) for v in snap["selected"].values())
    assert values > 1500 and elapsed < 20, (values, elapsed)  # ~0.15 s on the development machine


def test_selectors_that_cannot_be_iterated_are_noted() -> None:
    features = corpus_map("readonly_selectors")
    snap = snapshot.capture(features)
    notes = snap["notes"]
    assert notes["ActionSelector"] == "not writable now (read-only feature); only its current value was captured"
    assert [v["selectors"] for v in snap["selected"]["ActionGroupKey"]] == [{"ActionSelector": 0}]
    assert notes["SequencerSetSelector"].startswith("not writable now (locked by SequencerSetSelectorLocked)")
    assert notes["GainSelector"] == ("GainSelector=DigitalAll skipped: cannot be selected (Value = 256 must be equal "
                                     "or smaller than Max = 255.)")
    assert [v["selectors"]["GainSelector"] for v in snap["selected"]["Gain"]] == ["All", "AnalogAll"]
    assert snap["unreadable"]["ActionDeviceKey"] == "not readable now (write-only feature)"
    assert snap["unreadable"]["UserSetDescription"].startswith("its selector UserSetSelector: not readable now")
    features["SequencerConfigurationMode"] = "On"
    assert len(snapshot.capture(features)["selected"]["SequencerSetNext"]) == 16


def test_chunk_features_while_chunk_mode_is_off_and_on() -> None:
    features = corpus_map("chunk_mode_off")
    off = snapshot.capture(features)
    assert off["unreadable"]["ChunkEnable"] == ("its selector ChunkSelector: not readable now (not available while "
                                                "ChunkModeActive is false)")
    assert off["unreadable"]["ChunkGain[ChunkGainSelector=Red]"].startswith("not readable now (ChunkGainReg is chunk")
    features["ChunkModeActive"] = True
    on = snapshot.capture(features)
    assert [v["selectors"]["ChunkSelector"] for v in on["selected"]["ChunkEnable"]] == \
        ["ExposureTime", "Timestamp", "FrameID", "Gain"]
    assert "ChunkEnable" in on["writable"]


def test_apply_reports_every_failure_on_a_foreign_map() -> None:
    features = corpus_map("formula_division_by_zero")
    assert features["Gain"] == 0.0
    with pytest.raises(ApplyError) as info:
        snapshot.apply(features, {"Width": 64, "ExposureTime": 5.0, "BinningHorizontal": 9, "SensorWidth": 1,
                                  "GainRaw": 3, "Gain": 6.0, "WidthMax": "x"})
    failures = info.value.failures
    assert set(failures) == {"Width", "ExposureTime", "BinningHorizontal", "SensorWidth", "GainRaw", "WidthMax"}
    assert "WidthMax cannot be evaluated" in failures["Width"]
    assert "out of range (min 0, max 4" in failures["BinningHorizontal"]
    assert "read-only feature" in failures["SensorWidth"]
    assert features["Gain"] == 6.0  # the good one was applied


@pytest.mark.parametrize("settings,message", [
    ({"format": "ace_gentl.snapshot", "version": 1}, "without a 'features' mapping"),
    ({"format": "ace_gentl.snapshot", "version": 1, "features": [], "selected": {}}, "without a 'features' mapping"),
    ({"format": "ace_gentl.snapshot", "version": 1, "features": {}, "selected": {"A": [{"value": 1}]}},
     "each variant needs 'selectors'"),
    ({"format": "ace_gentl.snapshot", "version": 1, "features": {}, "selected": []}, "'selected' must map"),
    ({"format": "ace_gentl.snapshot", "version": 1, "features": {}, "writable": "Width"}, "'writable' must be a list"),
    (["Width", 5], "settings must be a snapshot or a mapping"),
])
def test_malformed_settings_are_refused_clearly(settings: object, message: str) -> None:
    features = corpus_map("legacy_names")
    with pytest.raises(SnapshotFormatError, match=message):
        snapshot.apply(features, settings)  # type: ignore[arg-type]


def test_snapshots_with_raw_values_and_escaped_bytes_round_trip_as_json() -> None:
    features = corpus_map("strings_registers")
    features["DeviceManufacturerInfoRaw"] = b"Caf\xe9 \xb5m" + bytes(41)
    snap = json.loads(json.dumps(snapshot.capture(features)))
    assert snap["features"]["DeviceManufacturerInfo"] == "Caf\\xe9 \\xb5m"
    assert "not UTF-8" in snap["notes"]["DeviceManufacturerInfo"]
    snapshot.apply(features, snap)  # a read-only string: not a target; the writable ones read back equal
    unnamed = json.loads(json.dumps(snapshot.capture(corpus_map("enum_unnamed_values"))))
    assert unnamed["features"]["PixelFormat"] == 0 and "no entry names" in unnamed["notes"]["PixelFormat"]
