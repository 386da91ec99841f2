"""Typed feature access and errors that say what is allowed: the simulated acA4112-20um, the node-map corpus
(tests/data/nodemaps) over a RAM port, and viky.cti."""

from __future__ import annotations

import pathlib

import genicam
import pytest

import ace_gentl
from ace_gentl import featuretext
from ace_gentl.errors import (
    AcquisitionTimeout,
    FeatureAccessError,
    FeatureError,
    FeatureTypeError,
    FeatureValueError,
    UnknownFeatureError,
)
from ace_gentl.features import FeatureMap
from ram_nodemap import CORPUS, load
from session_fixtures import session  # noqa: F401 (pytest fixture)

#: The GenTL producer in the genicam wheel (three simulated cameras, TL type Custom).
VIKY = str(next(pathlib.Path(genicam.__file__).parent.rglob("viky.cti")))


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


# --- any node map: the corpus (tests/data/nodemaps) over a RAM port, and viky.cti ----------------



def corpus_map(name: str) -> FeatureMap:
    loaded = load(CORPUS / f"{name}.xml")
    features = FeatureMap(loaded.node_map, neutral=True)
    features._keep = loaded  # type: ignore[attr-defined]  # the port lives as long as the map
    return features


def test_describe_says_why_a_value_is_missing() -> None:
    features = corpus_map("formula_division_by_zero")
    info = features.describe("ResultingFrameRate")
    assert info.value is None and info.type == "Float"
    assert info.why_not_readable == ("the formula '1000000 / PERIOD' of ResultingFrameRate cannot be evaluated now "
                                     "(#Infinity somewhere!: a division by zero or an overflow in the current state)")
    with pytest.raises(FeatureError, match=r"ResultingFrameRate: the formula '1000000 / PERIOD'"):
        features["ResultingFrameRate"]
    assert features.value_or("ResultingFrameRate", -1.0) == -1.0 and features.value_or("Nope") is None
    assert features["ExposureTime"] == 0.0  # reading goes the other way through the converter
    with pytest.raises(FeatureError, match="the formula 'FROM / BASE' of ExposureTime_ConvertTo"):
        features["ExposureTime"] = 0.0  # in range [0, 0], but FormulaTo divides by the zero time base


def test_availability_that_cannot_be_evaluated_gives_the_same_answer_every_time() -> None:
    features = corpus_map("availability_throws")
    for _ in range(3):  # GenApi itself answers RW after the first failure; the map re-evaluates
        assert not features.is_readable("BlackLevel") and not features.is_writable("BlackLevel")
        assert features.access_of("BlackLevel") == "NA"
        assert features.why_not_readable("BlackLevel").startswith(
            "its availability cannot be evaluated now: the formula '(1000 / V) > 10' of VariantHasBlackLevel")
        assert features.describe("Gamma").value is None
    with pytest.raises(FeatureAccessError, match="DigitalShift: not writable now: its availability cannot be"):
        features["DigitalShift"] = 1


def test_unavailable_features_name_their_condition() -> None:
    features = corpus_map("chunk_mode_off")
    assert features.why_not_readable("ChunkSelector") == "not available while ChunkModeActive is false"
    assert features.why_not_readable("ChunkTimestamp") == ("ChunkTimestamp is chunk data (port ChunkPort): it has a "
                                                           "value only while a frame's chunks are attached")
    assert features.why_not_readable("ChunkComponentSelector").startswith(
        "not available: its condition ChunkComponentAvailable (= 1) has no value now (ChunkLayoutReg is chunk data")
    features["ChunkModeActive"] = True
    assert features.is_readable("ChunkSelector") and features.read("ChunkEnable", ChunkSelector="Gain") is False
    locked = corpus_map("readonly_selectors")
    assert "locked by SequencerSetSelectorLocked" in locked.why_not_writable("SequencerSetSelector")
    assert locked.why_not_readable("UserSetSelector") == "none of its entries (UserSet1, UserSet2) is available now"


def test_namespace_prefixes_and_hidden_nodes() -> None:
    features = corpus_map("namespaces_std_cust")
    features["Std::Width"] = 640
    assert features["Width"] == 640 and features.describe("Std::Width").node == "Width"
    assert "Cust::VndSensorMode" in features and "Std::VndSensorMode" not in features and "Cust::Width" not in features
    with pytest.raises(UnknownFeatureError, match="Cust::Width: no such feature on this camera; closest: Width"):
        features["Cust::Width"]
    assert "WidthReg" not in list(features) and features["WidthReg"] == 640  # hidden, by its exact name
    assert features.describe("WidthReg").category == ()
    assert featuretext.read(features, featuretext.parse_ref("Std::Width")) == 640


def test_viky_describes_every_feature() -> None:
    with ace_gentl.open(cti=VIKY, index=0) as viky:
        for name in viky.features:
            info = viky.describe(name)
            assert info.value is not None or info.why_not_readable, name
        assert "ChunkScan3dFeatures_AvailCalc" in viky.describe("ChunkComponentSelector").why_not_readable
