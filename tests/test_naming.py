"""SFNC names on a camera with older names: the tests-only legacy XML over the simulator's registers, and the
corpus' legacy map (tests/data/nodemaps/legacy_names.xml)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ace_gentl
from ace_gentl.errors import FeatureValueError, UnknownFeatureError
from ace_gentl.features import FeatureMap
from ace_gentl.naming import time_factor
from genicam.genapi import NodeMap

from legacy_camera import EXPOSURE_BASE_US, LEGACY_VENDOR
from ram_nodemap import CORPUS, load
from session_fixtures import legacy_xml_paths  # noqa: F401 (pytest fixture)
from gentl_consumer import GentlPort


def original_view(s: ace_gentl.Session) -> NodeMap:
    """The simulator's own XML on the same device port: what the registers really hold.

    The simulator serves the legacy copy (it has the simulator's ProductGuid, so its registers are
    the camera model's) and offers its own XML as the port's second URL.
    """
    port = s.raw.remote_device.port
    _name, address, size = port.url_info_list[1].url.split(":", 1)[1].split(";")
    node_map = NodeMap()
    node_map.load_xml_from_string(port.read(int(address, 16), int(size.split("?")[0], 16))[1].decode("utf-8"))
    concrete = GentlPort(port)
    assert node_map.connect(concrete, port.name)
    _keep_alive.append(concrete)
    return node_map


_keep_alive: list[object] = []


def test_legacy_camera_has_only_old_names(legacy_xml_paths: dict[str, Path]) -> None:
    with ace_gentl.open(sim=True, device_xml=legacy_xml_paths["abs"]) as s:
        names = set(s.features)
        assert {"ExposureTimeAbs", "GainRaw", "AcquisitionFrameRateAbs", "ResultingFrameRateAbs", "VendorName"} <= names
        assert not {"ExposureTime", "Gain", "AcquisitionFrameRate", "DeviceVendorName"} & names


def test_abs_names_serve_sfnc_names_and_say_so(legacy_xml_paths: dict[str, Path]) -> None:
    with ace_gentl.open(sim=True, device_xml=legacy_xml_paths["abs"]) as s:
        assert s.DeviceVendorName == LEGACY_VENDOR
        s.ExposureTime = 2500.0
        s.AcquisitionFrameRateEnable = True
        s.AcquisitionFrameRate = 12.5
        assert s.ExposureTime == 2500.0 and s.features["ExposureTimeAbs"] == 2500.0
        assert 0 < s.ResultingFrameRate <= 12.5
        assert s.resolve("ExposureTime").node == "ExposureTimeAbs"
        assert s.names_used == {"DeviceVendorName": "VendorName", "ExposureTime": "ExposureTimeAbs",
                                "AcquisitionFrameRate": "AcquisitionFrameRateAbs",
                                "ResultingFrameRate": "ResultingFrameRateAbs"}
        info = s.describe("ExposureTime")
        assert (info.node, info.unit, info.min) == ("ExposureTimeAbs", "us", 19.0)
        assert "ExposureTimeAbs" in info.note
        with pytest.raises(FeatureValueError, match=r"ExposureTime: .* out of range") as error:
            s.ExposureTime = 2e7
        assert error.value.node == "ExposureTimeAbs"
        original = original_view(s)  # the device really stored the values
        assert original.ExposureTime.value == 2500.0 and original.AcquisitionFrameRate.value == 12.5


def test_raw_exposure_is_converted_with_the_time_base(legacy_xml_paths: dict[str, Path]) -> None:
    with ace_gentl.open(sim=True, device_xml=legacy_xml_paths["raw"]) as s:
        assert s.resolve("ExposureTime").node == "ExposureTimeRaw"
        assert s.ExposureTime == 5000.0 and s.features["ExposureTimeRaw"] == 5000 / EXPOSURE_BASE_US
        s.ExposureTime = 3000.0
        assert s.features["ExposureTimeRaw"] == 300 and s.ExposureTime == 3000.0
        info = s.describe("ExposureTime")
        assert info.unit == "us" and info.increment == EXPOSURE_BASE_US
        assert info.note == "ExposureTime = ExposureTimeRaw x ExposureTimeBaseAbs"
        with pytest.raises(FeatureValueError, match=r"3005.0 is off increment 10 .*nearest valid 3000 or 3010"):
            s.ExposureTime = 3005.0
        assert original_view(s).ExposureTime.value == 3000.0


def test_raw_gain_is_served_in_device_units_and_labelled(legacy_xml_paths: dict[str, Path]) -> None:
    with ace_gentl.open(sim=True, device_xml=legacy_xml_paths["abs"]) as s:
        s.Gain = 60  # GainRaw has no standard dB conversion: device units, and the Session says so
        info = s.describe("Gain")
        assert (info.node, info.type, info.unit) == ("GainRaw", "Integer", "raw device units")
        assert "no standard conversion" in info.note
        assert s.get("Gain", GainSelector="All") == 60
        assert original_view(s).Gain.value == 6.0  # 0.1 dB per raw step in this legacy XML


def test_names_that_do_not_exist_anywhere(legacy_xml_paths: dict[str, Path]) -> None:
    with ace_gentl.open(sim=True, device_xml=legacy_xml_paths["abs"]) as s:
        with pytest.raises(UnknownFeatureError, match="BalanceRatio: no such feature"):
            s.features["BalanceRatio"]
        with pytest.raises(AttributeError, match="BalanceRatio: no such feature"):
            s.BalanceRatio  # noqa: B018


# --- the corpus' legacy camera (tests/data/nodemaps/legacy_names.xml), no simulator needed -------



def test_every_older_name_of_the_corpus_serves_its_sfnc_name() -> None:
    loaded = load(CORPUS / "legacy_names.xml")
    features = FeatureMap(loaded.node_map, neutral=True)
    served = {name: features.resolution(name).node for name in (
        "ExposureTime", "Gain", "BlackLevel", "AcquisitionFrameRate", "AcquisitionFrameRateEnable",
        "ResultingFrameRate", "SensorReadoutTime", "DeviceVendorName", "DeviceModelName", "DeviceSerialNumber",
        "DeviceFirmwareVersion", "DeviceUserID", "DeviceTemperature", "TriggerDelay", "LineDebouncerTime",
        "BalanceRatio", "TimestampLatch", "TimestampReset", "TimestampLatchValue", "DeviceReset")}
    assert served == {
        "ExposureTime": "ExposureTimeAbs", "Gain": "GainAbs", "BlackLevel": "BlackLevelRaw",
        "AcquisitionFrameRate": "AcquisitionFrameRateAbs", "AcquisitionFrameRateEnable": "AcquisitionFrameRateEnabled",
        "ResultingFrameRate": "ResultingFrameRateAbs", "SensorReadoutTime": "ReadoutTimeAbs",
        "DeviceVendorName": "VendorName", "DeviceModelName": "ModelName", "DeviceSerialNumber": "DeviceID",
        "DeviceFirmwareVersion": "FirmwareVersion", "DeviceUserID": "UserDefinedName",
        "DeviceTemperature": "TemperatureAbs", "TriggerDelay": "TriggerDelayAbs",
        "LineDebouncerTime": "LineDebouncerTimeAbs", "BalanceRatio": "BalanceRatioAbs",
        "TimestampLatch": "GevTimestampControlLatch", "TimestampReset": "GevTimestampControlReset",
        "TimestampLatchValue": "GevTimestampValue", "DeviceReset": "DeviceRst"}
    assert features["SensorReadoutTime"] == 12500.0  # 12.5 ms, exactly
    assert features.describe("SensorReadoutTime").note == "SensorReadoutTime [us] = ReadoutTimeAbs [ms] x 1000"
    features.write("Gain", 3.59, GainSelector="AnalogAll")
    assert features.read("GainRaw", GainSelector="AnalogAll") == 100
    assert "no standard conversion" in features.describe("BlackLevel").note


def test_time_factors_are_exact() -> None:
    assert (time_factor("s"), time_factor("ms"), time_factor(" us "), time_factor("µs"), time_factor("ns")) == \
        (1e6, 1e3, 1.0, 1.0, 1e-3)
    assert time_factor("Hz") is None
