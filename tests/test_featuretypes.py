"""One adapter per node type: each type's quirks, on the corpus maps (tests/data/nodemaps) over a RAM port."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from ace_gentl import featuretext, snapshot
from ace_gentl.errors import FeatureAccessError, FeatureError, FeatureTypeError, FeatureValueError
from ace_gentl.features import FeatureMap
from ace_gentl.featuretypes import ADAPTER_TYPES, VALUE_TYPES
from ram_nodemap import CORPUS, RamNodeMap, load


def open_map(name: str, seed: int | None = None) -> tuple[FeatureMap, RamNodeMap]:
    loaded = load(CORPUS / f"{name}.xml", seed)
    return FeatureMap(loaded.node_map, neutral=True), loaded


def test_one_adapter_per_node_type() -> None:
    kinds = sorted(adapter.kind for adapter in ADAPTER_TYPES.values())
    assert kinds == ["Boolean", "Command", "Enumeration", "Float", "Integer", "Register", "String"]
    assert VALUE_TYPES == {"Integer", "Float", "Boolean", "String", "Enumeration"}


# --- Enumeration -------------------------------------------------------------------------------


def test_an_enumeration_holding_a_value_no_entry_names_reads_as_the_integer() -> None:
    features, loaded = open_map("enum_unnamed_values")
    reading = features.reading("PixelFormat")
    assert reading.value == 0 and "no entry names" in reading.note and "Mono8=17301505" in reading.note
    info = features.describe("PixelFormat")
    assert info.value == 0 and info.value_note == reading.note and info.entries[0] == "Mono8"
    with pytest.raises(FeatureTypeError, match=r"expects an entry name \(one of Mono8, Mono10"):
        features["PixelFormat"] = 0
    features["PixelFormat"] = "Mono12"
    assert features["PixelFormat"] == "Mono12" and loaded.port.peek(0x02000000, 4) == bytes.fromhex("01100005")


def test_a_selector_holding_an_unnamed_value_is_put_back_as_it_was() -> None:
    features, loaded = open_map("enum_unnamed_values")
    assert features.read("LineMode", LineSelector="Line2") == 0
    features.write("LineMode", "Output", LineSelector="Line2")
    assert features["LineSelector"] == 0  # the raw value went back through LineSelectorReg
    snap = snapshot.capture(features)
    assert {v["selectors"]["LineSelector"]: v["value"] for v in snap["selected"]["LineMode"]} == \
        {"Line1": 0, "Line2": "Output", "Line3": 0}
    assert "no entry names" in snap["notes"]["LineMode[LineSelector=Line1]"]
    assert loaded.port.peek(0x02000010, 4) == bytes(4)


def test_unavailable_entries_are_refused_and_an_unavailable_current_entry_is_noted() -> None:
    features, _ = open_map("enum_entry_availability")
    assert features.describe("PixelFormat").entries == ("Mono8",)
    with pytest.raises(FeatureValueError, match=r"'Mono12' is not an available entry \(an entry, but not "
                                                r"available now\); allowed: Mono8"):
        features["PixelFormat"] = "Mono12"
    features["AdcBitDepth"] = "Bit12"
    features["PixelFormat"] = "Mono12"
    features["AdcBitDepth"] = "Bit8"
    assert features.reading("PixelFormat").note == "the current entry is not available now"
    assert features.selector_values("TriggerSelector") == ["FrameStart", "FrameBurstStart"]  # LineStart: NI


def test_entries_whose_availability_raises_are_unavailable_every_time() -> None:
    features, _ = open_map("availability_throws")
    for _ in range(3):  # GenApi caches "available" after the first raise; the adapter re-evaluates
        info = features.describe("GainMode")
        assert info.entries == ("Linear",)
        assert any("HighDynamicRange: availability unknown" in p for p in info.problems)
        choices = features.selector_choices("GainMode")
        assert choices.values == ["Linear"] and "HighDynamicRange, LowNoise" in choices.note


# --- Integer -----------------------------------------------------------------------------------


def test_64_bit_and_negative_integers() -> None:
    features, loaded = open_map("numbers_64bit_negative")
    features["Int64Extremes"] = -(2**63)
    assert features["Int64Extremes"] == -(2**63)
    with pytest.raises(FeatureValueError, match="does not fit a 64-bit integer"):
        features["Int64Extremes"] = 2**63
    loaded.port.poke(0x02000008, b"\xff" * 8)  # an unsigned 64-bit counter at its top
    assert features["DeviceUptimeTicks"] == -1  # GenApi is int64 throughout
    assert features.describe("PayloadSize").value == 6442450944
    features["BlackLevelOffset"] = -60
    assert loaded.port.peek(0x0200001A, 1) == b"\xc4"
    with pytest.raises(FeatureValueError,
                       match=r"-62 is off increment 4 \(min -64, max 64\); nearest valid -64 or -60"):
        features["BlackLevelOffset"] = -62
    with pytest.raises(FeatureValueError, match=r"0 is out of range \(min -1000, max -10, increment 10\)"):
        features["TapBalance"] = features["TapBalance"]  # the zero register is outside the range
    assert featuretext.typed(features, "BlackLevelOffset", "-0x10") == -16
    features["BlackLevelOffset"] = np.int8(-8)  # values straight from numpy arrays
    features["Gain"] = np.float32(1.5)
    assert (features["BlackLevelOffset"], features["Gain"]) == (-8, 1.5)
    with pytest.raises(FeatureTypeError, match="expects an int, got bool"):
        features["BlackLevelOffset"] = np.bool_(True)


def test_integer_representations_are_described() -> None:
    features, _ = open_map("numbers_64bit_negative")
    shown = {name: features.describe(name).representation for name in
             ("GevCurrentIPAddress", "GevMACAddress", "DeviceErrorFlags", "PtpOffsetFromMaster")}
    assert shown == {"GevCurrentIPAddress": "IPV4Address", "GevMACAddress": "MACAddress",
                     "DeviceErrorFlags": "HexNumber", "PtpOffsetFromMaster": "PureNumber"}


def test_a_maximum_that_cannot_be_evaluated_is_a_problem_not_an_exception() -> None:
    features, _ = open_map("formula_division_by_zero")
    info = features.describe("Width")
    assert info.value == 0 and info.max is None and info.min == 0
    assert info.problems == ("max: the formula 'SW / BIN' of WidthMax cannot be evaluated now (#Infinity somewhere!: "
                             "a division by zero or an overflow in the current state)",)
    with pytest.raises(FeatureError, match="the formula 'SW / BIN' of WidthMax cannot be evaluated now"):
        features["Width"] = 64
    features["BinningHorizontal"] = 2
    features["Width"] = 64
    assert features.describe("Width").max == 2048 and features["WidthMax"] == 2048


# --- Float -------------------------------------------------------------------------------------


def test_floats_with_representation_and_notation() -> None:
    features, _ = open_map("numbers_64bit_negative")
    gain = features.describe("Gain")
    assert (gain.representation, gain.display_notation, gain.display_precision, gain.increment) == \
        ("Logarithmic", "Fixed", 1, 0.5)
    assert features.describe("PixelClockFrequency").display_notation == "Scientific"
    with pytest.raises(FeatureValueError,
                       match=r"0.25 is off increment 0.5 \(min -6, max 36\); nearest valid 0 or 0.5"):
        features["Gain"] = 0.25
    with pytest.raises(FeatureValueError, match="out of range"):
        features["Gain"] = math.nan


def test_a_float_register_holding_nan_reads_nan_with_a_note_and_snapshots_stay_equal() -> None:
    features, loaded = open_map("numbers_64bit_negative")
    loaded.port.poke(0x02000058, struct.pack("<d", math.nan))
    reading = features.reading("ColorMatrixCoefficient")
    assert math.isnan(reading.value) and "no finite number" in reading.note
    first, second = snapshot.capture(features), snapshot.capture(features)
    assert math.isnan(first["features"]["ColorMatrixCoefficient"]) and snapshot.diff(first, second) == {}


# --- Boolean -----------------------------------------------------------------------------------


def test_a_boolean_register_holding_neither_on_nor_off() -> None:
    features, loaded = open_map("access_raises")
    with pytest.raises(FeatureError, match=r"DeviceReady: Value '0' is neither true \(85\) nor false \(170\)"):
        features["DeviceReady"]
    info = features.describe("DeviceReady")
    assert info.value is None and "neither true" in info.why_not_readable
    features["DeviceReady"] = True
    assert features["DeviceReady"] is True and loaded.port.peek(0x02000000, 1) == b"\x55"
    with pytest.raises(FeatureTypeError, match="expects a bool, got int 1"):
        features["DeviceReady"] = 1


# --- String ------------------------------------------------------------------------------------


def test_a_string_register_with_bytes_that_are_not_utf8() -> None:
    features, loaded = open_map("strings_registers")
    features["DeviceUserIDRaw"] = b"Lab \xb5scope\xff\xff" + bytes(4)
    reading = features.reading("DeviceUserID")
    assert reading.value == "Lab \\xb5scope\\xff\\xff" and "not UTF-8" in reading.note
    assert features.describe("DeviceUserID").value_note == reading.note
    features["DeviceUserID"] = reading.value  # writing back what was read keeps the bytes
    assert loaded.port.peek(0x02000000, 16) == b"Lab \xb5scope\xff\xff" + bytes(4)
    features["DeviceUserID"] = "Labµ"
    assert loaded.port.peek(0x02000000, 6) == b"Lab\xc2\xb5\x00" and features["DeviceUserID"] == "Labµ"
    with pytest.raises(FeatureValueError, match="is 17 bytes in UTF-8, longer than 16"):
        features["DeviceUserID"] = "µ" * 8 + "x"


def test_strings_at_full_length_write_only_and_constant() -> None:
    features, _ = open_map("strings_registers")
    features["DeviceSerialNumber"] = "12345678"
    assert features["DeviceSerialNumber"] == "12345678"
    assert features["DeviceVendorName"] == "Corpus Optik GmbH – Å/µ"
    features["DeviceAccessPassword"] = "secret"
    with pytest.raises(FeatureAccessError, match="DeviceAccessPassword: not readable now \\(write-only feature\\)"):
        features["DeviceAccessPassword"]


# --- Register ----------------------------------------------------------------------------------


def test_registers_are_bytes_of_their_length() -> None:
    features, loaded = open_map("strings_registers")
    assert "FileAccessBuffer" not in list(features)  # bytes stay out of the listing and of snapshots
    info = features.describe("FileAccessBuffer")
    assert (info.type, info.length, info.value) == ("Register", 256, None)
    features["FileAccessBuffer"] = bytes(range(256))
    assert features["FileAccessBuffer"] == bytes(range(256))
    with pytest.raises(FeatureValueError, match="3 bytes given; the register is 256 bytes"):
        features["FileAccessBuffer"] = b"abc"
    with pytest.raises(FeatureTypeError, match="expects bytes, got str"):
        features["FileAccessBuffer"] = "abc"
    with pytest.raises(FeatureAccessError, match="read-only feature"):
        features["CalibrationBlock"] = bytes(24)
    assert featuretext.typed(features, "DeviceUnlockKey", "0x0102 0304 0506 0708") == bytes(range(1, 9))
    features["DeviceUnlockKey"] = bytes(range(1, 9))
    assert loaded.port.peek(0x02001200, 8) == bytes(range(1, 9))


# --- Command -----------------------------------------------------------------------------------


def test_commands_execute_and_have_no_value() -> None:
    features, loaded = open_map("legacy_names")
    features.execute("TimestampLatch")  # GevTimestampControlLatch
    assert loaded.port.peek(0x02000078, 4) == (2).to_bytes(4, "big")
    with pytest.raises(FeatureTypeError, match="is a Command, which has no value; use execute"):
        features["DeviceReset"]
    with pytest.raises(FeatureTypeError, match="is a Command and cannot be set; use execute"):
        features["DeviceReset"] = 1
    failing, _ = open_map("access_raises")
    with pytest.raises(FeatureError, match="DeviceReset: the formula '125000000 / CLK'"):
        failing.execute("DeviceReset")


# --- bitfields and converters ------------------------------------------------------------------


def test_bitfields_keep_their_neighbours() -> None:
    features, loaded = open_map("bitfields_structreg")
    features["ReverseX"] = True
    features["TestPatternId"] = 0xAB
    assert loaded.port.peek(0x02000004, 4) == bytes.fromhex("ab000001")  # big-endian bit numbering
    assert (features["ReverseX"], features["ReverseY"]) == (True, False)
    features["AdcOffset"] = -5
    features["AdcGainCode"] = 3
    assert loaded.port.peek(0x02000008, 2) == bytes.fromhex("b3ff")
    assert (features["AdcOffset"], features["AdcGainCode"]) == (-5, 3)
    assert (features.describe("AdcOffset").min, features.describe("AdcOffset").max) == (-2048, 2047)
    with pytest.raises(FeatureAccessError, match="StatusFirmwareBit: not writable now: read-only feature"):
        features["StatusFirmwareBit"] = 1


def test_converters_and_swissknives_compute_through_chains() -> None:
    features, _ = open_map("swissknife_converters")
    features["Width"], features["Height"], features["PixelSize"] = 640, 480, 12
    assert (features["PayloadSize"], features["ImageDiagonal"]) == (460800, 800.0)
    features["Gain"] = 6.0
    assert (features["GainRaw"], features["Attenuation"], features["GainPercent"]) == (120, 18.0, 25.0)
    features["Attenuation"] = 20.0  # decreasing slope
    assert (features["GainRaw"], features["Gain"]) == (80, 4.0)
    features["ExposureLines"] = 10
    # An IntConverter evaluates in integers (GenApi): the 14.8 us line period counts as 15 us.
    assert features["ExposureTime"] == 150.0 and features["ExposureLines"] == 10


def test_non_feature_nodes_are_refused_by_kind() -> None:
    features, _ = open_map("namespaces_std_cust")
    with pytest.raises(FeatureTypeError, match="Root: is a Category node, not a feature"):
        features.describe("Root")
    with pytest.raises(FeatureTypeError, match="is an EnumEntry node"):
        features["EnumEntry_PixelFormat_Mono8"]
    with pytest.raises(FeatureTypeError, match="Device: is a Port node"):
        features.describe("Device")
    assert "Root" not in features and "Device" not in features
