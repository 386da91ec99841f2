"""Every feature of the camera's XML is readable, and every writable one takes its minimum,
maximum and one increment step (and every enum entry); bad values are refused by GenApi AND by
the C register map itself (raw port writes that bypass GenApi)."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest
from genicam import gentl
from genicam.genapi import EAccessMode, EInterfaceType, OutOfRangeException

from gentl_consumer import gentl_rig, read_port_xml

NS = {"g": "http://www.genicam.org/GenApi/Version_1_1"}
READABLE = (EAccessMode.RO, EAccessMode.RW)
VALUE_TYPES = {
    EInterfaceType.intfIInteger, EInterfaceType.intfIFloat, EInterfaceType.intfIBoolean,
    EInterfaceType.intfIEnumeration, EInterfaceType.intfIString,
}
# Commands with effects beyond the feature itself (start/stop streaming, reload settings, ...)
# are exercised by their own tests; the walk only checks that they are write-only.
SIDE_EFFECT_COMMANDS = {"AcquisitionStart", "AcquisitionStop", "UserSetLoad", "UserSetSave", "DeviceReset",
                        "TriggerSoftware", "SoftwareSignalPulse", "CounterReset"}


def _features(node_map):
    for node in node_map.nodes:
        inner = node.node
        if not inner.is_feature():
            continue
        yield inner.name, inner.principal_interface_type, node


def _restore(node, kind, value) -> None:
    if kind == EInterfaceType.intfIEnumeration:
        node.value = value
    else:
        node.value = value


def test_every_feature_reads_and_writable_ones_take_min_max_and_increment() -> None:
    problems: list[str] = []
    counted = {"read": 0, "written": 0}
    with gentl_rig() as rig:
        nm = rig.remote
        for name, kind, node in _features(nm):
            if kind == EInterfaceType.intfICommand:
                mode = node.get_access_mode()
                if mode not in (EAccessMode.WO, EAccessMode.RW, EAccessMode.NA, EAccessMode.NI):
                    problems.append(f"{name}: a command with access mode {mode}")
                if name == "TimestampLatch":
                    node.execute()
                    first = nm.get_node("TimestampLatchValue").value
                    node.execute()
                    if not nm.get_node("TimestampLatchValue").value > first:
                        problems.append("TimestampLatch: TimestampLatchValue did not advance")
                continue
            if kind not in VALUE_TYPES:
                continue
            mode = node.get_access_mode()
            if mode in (EAccessMode.NI, EAccessMode.NA):
                continue  # not available in the current state (e.g. a selector that disables it)
            try:
                original = node.value
                counted["read"] += 1
            except Exception as error:  # noqa: BLE001 - collect every failure, report them all
                problems.append(f"{name}: read failed: {error}")
                continue
            if mode != EAccessMode.RW:
                continue
            try:
                if kind == EInterfaceType.intfIInteger:
                    candidates = [node.min, node.max]
                    if node.min + node.inc <= node.max:
                        candidates.append(node.min + node.inc)
                    for value in candidates:
                        node.value = value
                        if node.value != value:
                            problems.append(f"{name}: wrote {value}, read {node.value}")
                elif kind == EInterfaceType.intfIFloat:
                    for value in (node.min, node.max):
                        node.value = value
                        if node.value != pytest.approx(value, rel=1e-6, abs=1e-9):
                            problems.append(f"{name}: wrote {value}, read {node.value}")
                elif kind == EInterfaceType.intfIBoolean:
                    for value in (not original, original):
                        node.value = value
                        if node.value != value:
                            problems.append(f"{name}: wrote {value}, read {node.value}")
                elif kind == EInterfaceType.intfIEnumeration:
                    for entry in node.entries:
                        if entry.node.get_access_mode() in (EAccessMode.NI, EAccessMode.NA):
                            continue
                        symbolic = entry.symbolic
                        node.value = symbolic
                        if node.value != symbolic:
                            problems.append(f"{name}: wrote {symbolic}, read {node.value}")
                elif kind == EInterfaceType.intfIString:
                    node.value = "ace"
                    if node.value != "ace":
                        problems.append(f"{name}: wrote 'ace', read {node.value!r}")
                _restore(node, kind, original)
                counted["written"] += 1
            except Exception as error:  # noqa: BLE001 - collect every failure, report them all
                problems.append(f"{name}: write failed: {type(error).__name__}: {error}")
    assert not problems, "\n".join(problems)
    assert counted["read"] > 100 and counted["written"] > 60, counted


def test_genapi_refuses_out_of_range_and_off_increment() -> None:
    with gentl_rig() as rig:
        nm = rig.remote
        width = nm.get_node("Width")
        for bad in (width.max + width.inc, width.min - width.inc, 4097):
            with pytest.raises(OutOfRangeException):
                width.value = bad
        exposure = nm.get_node("ExposureTime")
        with pytest.raises(OutOfRangeException):
            exposure.value = exposure.max * 2
        with pytest.raises(OutOfRangeException):
            nm.get_node("Gain").value = -1.0
        assert width.value == 4096


def _register(xml: bytes, feature: str) -> tuple[int, int]:
    """Address and length of the register behind a feature, read from the camera's own XML."""
    root = ET.fromstring(xml)
    # EnumEntry names (ChunkSelector has an entry "ExposureTime") are not node names
    by_name = {el.get("Name"): el for el in root.iter() if el.get("Name") and not el.tag.endswith("EnumEntry")}
    node = by_name[feature]
    while node.find("g:Address", NS) is None:
        node = by_name[node.find("g:pValue", NS).text]
    return int(node.find("g:Address", NS).text, 0), int(node.find("g:Length", NS).text, 0)


@pytest.mark.parametrize("feature,raw,error", [
    ("Width", 4097, gentl.InvalidValueException),         # off the increment of 4
    ("Width", 8, gentl.InvalidValueException),            # below the minimum
    ("Height", 5000, gentl.InvalidValueException),        # above the maximum
    ("PixelFormat", 0x01100003, gentl.InvalidValueException),  # Mono10: not offered by this camera
    ("SensorWidth", 100, gentl.AccessDeniedException),    # read-only
])
def test_the_register_map_itself_refuses_bad_raw_writes(feature: str, raw: int, error: type) -> None:
    with gentl_rig() as rig:
        port = rig.device.remote_port
        address, length = _register(read_port_xml(port), feature)
        before = port.read(address, length)[1]
        with pytest.raises(error):
            port.write(address, raw.to_bytes(length, "little"))
        assert port.read(address, length)[1] == before


def test_raw_register_read_matches_genapi_and_bad_addresses_fail() -> None:
    with gentl_rig() as rig:
        port = rig.device.remote_port
        address, length = _register(read_port_xml(port), "Width")
        assert int.from_bytes(port.read(address, length)[1], "little") == rig.remote.get_node("Width").value
        exposure_addr, exposure_len = _register(read_port_xml(port), "ExposureTime")
        assert exposure_len == 8
        (value,) = struct.unpack("<d", port.read(exposure_addr, 8)[1])
        assert value == rig.remote.get_node("ExposureTime").value
        with pytest.raises(gentl.InvalidAddressException):
            port.read(address + 1, length)  # not the start of a register
        with pytest.raises(gentl.InvalidAddressException):
            port.read(0x7FFF_0000, 4)
