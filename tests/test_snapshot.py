"""snapshot() / apply() / diff(): JSON round trip, safe ordering, one error listing every failure."""

from __future__ import annotations

import json

import pytest

import ace_gentl
from ace_gentl.errors import ApplyError, SnapshotFormatError
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
