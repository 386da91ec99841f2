"""Typed feature access and error messages that say what is allowed (simulated acA4112-20um)."""

from __future__ import annotations

import pytest

import ace_gentl
from ace_gentl.errors import (
    AcquisitionTimeout,
    FeatureAccessError,
    FeatureError,
    FeatureTypeError,
    FeatureValueError,
    UnknownFeatureError,
)
from session_fixtures import session  # noqa: F401 (pytest fixture)


def test_every_feature_has_a_typed_value(session: ace_gentl.Session) -> None:
    features = session.features
    assert len(features) > 50
    types = {name: features.type_of(name) for name in features}
    assert types["Width"] == "Integer" and types["ExposureTime"] == "Float"
    assert types["CenterX"] == "Boolean" and types["PixelFormat"] == "Enumeration"
    assert types["DeviceModelName"] == "String"
    python = {"Integer": int, "Float": float, "Boolean": bool, "String": str, "Enumeration": str}
    for name in features:
        if features.is_readable(name):
            assert type(features[name]) is python[types[name]], name


def test_read_and_write_three_ways(session: ace_gentl.Session) -> None:
    session.features["ExposureTime"] = 5000.0
    assert session.ExposureTime == 5000.0
    session.ExposureTime = 1234.0
    assert session.features["ExposureTime"] == 1234.0
    session.set("PixelFormat", "Mono12p")
    assert session.get("PixelFormat") == "Mono12p"
    session.CenterX = True
    assert session.CenterX is True


def test_describe(session: ace_gentl.Session) -> None:
    info = session.describe("ExposureTime")
    assert (info.type, info.unit, info.min, info.max, info.access) == ("Float", "us", 19.0, 1e7, "RW")
    assert info.visibility == "Beginner" and info.category == ("AcquisitionControl",)
    assert "exposure" in info.description.lower() and info.value == 5000.0
    width = session.describe("Width")
    assert (width.increment, width.min) == (4, 16)
    pixel = session.describe("PixelFormat")
    assert pixel.entries == ("Mono8", "Mono12", "Mono12p")
    udv = session.describe("UserDefinedValue")
    assert udv.selectors == ("UserDefinedValueSelector",) and udv.visibility == "Guru"
    assert session.describe("UserDefinedValueSelector").selects == ("UserDefinedValue",)


def test_unknown_name_suggests_the_closest(session: ace_gentl.Session) -> None:
    with pytest.raises(UnknownFeatureError, match=r"Exposuretime: no such feature on this camera; closest: ExposureTime"):
        session.features["Exposuretime"]
    with pytest.raises(AttributeError, match="closest: Width"):
        session.Widht  # noqa: B018
    assert "Widht" not in session.features and "Width" in session.features


def test_out_of_range_names_the_range(session: ace_gentl.Session) -> None:
    with pytest.raises(FeatureValueError, match=r"ExposureTime: 20000000.0 is out of range \(min 19, max 1e\+07\)"):
        session.ExposureTime = 2e7
    with pytest.raises(FeatureValueError, match=r"Width: 8 is out of range \(min 16, max 4104, increment 4\)"):
        session.Width = 8


def test_off_increment_names_nearest_valid(session: ace_gentl.Session) -> None:
    with pytest.raises(FeatureValueError,
                       match=r"Width: 4097 is off increment 4 \(min 16, max 4104\); nearest valid 4096 or 4100"):
        session.Width = 4097
    assert session.Width == 4096  # nothing was written


def test_enumeration_entries_listed(session: ace_gentl.Session) -> None:
    with pytest.raises(FeatureValueError, match="'Mono10' is not an available entry; allowed: Mono8, Mono12, Mono12p"):
        session.PixelFormat = "Mono10"


def test_wrong_type(session: ace_gentl.Session) -> None:
    with pytest.raises(FeatureTypeError, match="Width: expects an int, got float 100.5"):
        session.Width = 100.5
    with pytest.raises(FeatureTypeError, match="CenterX: expects a bool, got int 1"):
        session.CenterX = 1
    with pytest.raises(FeatureTypeError, match=r"PixelFormat: expects an entry name \(one of Mono8, Mono12, Mono12p\)"):
        session.PixelFormat = 17301505
    with pytest.raises(FeatureTypeError, match="AcquisitionStart: is a Command and cannot be set; use execute"):
        session.features["AcquisitionStart"] = 1


def test_not_writable_says_why(session: ace_gentl.Session) -> None:
    session.CenterX = True
    with pytest.raises(FeatureAccessError, match="OffsetX: not writable now: locked by CenterX"):
        session.OffsetX = 0
    session.CenterX = False
    session.Height = 64
    session.start()
    with pytest.raises(FeatureAccessError, match=r"Width: not writable now: locked while streaming \(TLParamsLocked"):
        session.Width = 1024
    session.stop()
    session.Width = 1024
    with pytest.raises(FeatureAccessError, match="PayloadSize: not writable now: read-only feature"):
        session.features["PayloadSize"] = 5
    session.ExposureAuto = "Continuous"
    assert "ExposureAuto is Continuous" in session.features.why_not_writable("ExposureTime")


def test_selected_features_without_juggling(session: ace_gentl.Session) -> None:
    session.set("UserDefinedValue", 42, UserDefinedValueSelector="Value4")
    assert session.UserDefinedValueSelector == "Value1"  # put back as it was
    assert session.get("UserDefinedValue", UserDefinedValueSelector="Value4") == 42
    assert session.get("UserDefinedValue", UserDefinedValueSelector="Value2") == 0
    session.UserDefinedValueSelector = "Value4"
    assert session.UserDefinedValue == 42
    with pytest.raises(FeatureValueError, match="UserDefinedValue: is not selected by GainSelector"):
        session.get("UserDefinedValue", GainSelector="All")


def test_module_node_maps(session: ace_gentl.Session) -> None:
    assert session.device_features["SimUnthrottled"] is False
    session.device_features["SimUnthrottled"] = True
    assert session.device_features["SimUnthrottled"] is True
    assert session.device_features["DeviceID"] == session.device.id
    assert session.stream_features["StreamAnnounceBufferMinimum"] >= 1
    assert "TLVendorName" in session.system_features
    assert session.interface_features["InterfaceID"]
    with pytest.raises(UnknownFeatureError, match="no such feature on this GenTL Device module"):
        session.device_features["ExposureTime"]
    from harvesters.core import ImageAcquirer

    assert isinstance(session.raw, ImageAcquirer)


def test_user_sets_save_load_and_default(session: ace_gentl.Session) -> None:
    session.ExposureTime = 1234.0
    session.save_user_set("UserSet1")
    session.ExposureTime = 5000.0
    session.load_user_set("UserSet1")
    assert session.ExposureTime == 1234.0
    session.load_user_set("Default")
    assert session.ExposureTime != 1234.0
    with pytest.raises(FeatureError, match="UserSetSave"):
        session.save_user_set("Default")  # factory sets are read-only
    session.set_default_user_set("UserSet1")
    try:
        assert session.default_user_set == "UserSet1"
    finally:
        session.set_default_user_set("Default")


def test_software_trigger_gives_one_frame_per_trigger(session: ace_gentl.Session) -> None:
    session.Height = 64
    session.set("TriggerMode", "On", TriggerSelector="FrameStart")
    session.set("TriggerSource", "Software", TriggerSelector="FrameStart")
    session.start()
    try:
        with pytest.raises(AcquisitionTimeout):
            session.grab(1, timeout=0.3)  # no trigger, no frame
        session.trigger()
        frames = session.grab(1, timeout=2.0)
        assert len(frames) == 1
        with pytest.raises(AcquisitionTimeout):
            session.grab(1, timeout=0.3)
    finally:
        session.stop()
