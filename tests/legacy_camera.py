"""A tests-only "legacy" camera: the simulator's own XML rewritten to pre-SFNC-2 feature names.

The rewritten XML drives the SAME registers of the simulated camera (Harvesters loads it
through ParameterKey.REMOTE_DEVICE_SOURCE_XML_FILE_PATH), so a value written through an
old name is really stored by the device and can be checked through the original XML.

Variants:
  "abs": ExposureTimeAbs (float µs), GainRaw (integer, 0.1 dB per step), AcquisitionFrameRateAbs,
         ResultingFrameRateAbs, VendorName = "Legacy Imaging GmbH", ModelName.
  "raw": like "abs" but exposure only as ExposureTimeRaw (integer) x ExposureTimeBaseAbs (10 µs).
"""

from __future__ import annotations

import re
from pathlib import Path

LEGACY_VENDOR = "Legacy Imaging GmbH"
EXPOSURE_BASE_US = 10.0
GAIN_RAW_PER_DB = 10


def device_xml(session_raw) -> str:  # noqa: ANN001 (a harvesters ImageAcquirer)
    """The remote device's XML, read from its port the way every GenTL consumer does."""
    port = session_raw.remote_device.port
    url = port.url_info_list[0].url
    _scheme, rest = url.split(":", 1)
    _name, address, size = rest.split(";")
    return port.read(int(address, 16), int(size.split("?")[0], 16))[1].rstrip(b"\0").decode("utf-8")


def _rename(xml: str, old: str, new: str, *, namespace: str = "Custom") -> str:
    """Rename node ``old`` (its declaration and every reference to it) to ``new``."""
    # EnumEntry names (e.g. ChunkSelector's "ExposureTime" entry) are not nodes of that name.
    xml, count = re.subn(rf'(<(?!EnumEntry)\w+ Name="){old}" NameSpace="\w+"', rf'\g<1>{new}" NameSpace="{namespace}"', xml)
    assert count == 1, f"node {old} declared {count} times"
    return re.sub(rf">{old}<", f">{new}<", xml)


def _insert(xml: str, text: str) -> str:
    # New nodes go right before the closing root tag; GenApi does not care about node order.
    closing = xml.rindex("</RegisterDescription>")
    return xml[:closing] + text + xml[closing:]


def legacy_xml(xml: str, variant: str = "abs") -> str:
    if variant not in ("abs", "raw"):
        raise ValueError(variant)
    # Exposure: the float µs node under an old name, or hidden behind an integer converter.
    if variant == "abs":
        xml = _rename(xml, "ExposureTime", "ExposureTimeAbs")
    else:
        xml = _rename(xml, "ExposureTime", "ExposureTimeRaw")  # references (category) -> the converter
        xml = re.sub(r'<Float Name="ExposureTimeRaw"', '<Float Name="LegacyExposureUs"', xml, count=1)
        xml = _insert(xml, f"""
  <IntConverter Name="ExposureTimeRaw" NameSpace="Custom">
    <Visibility>Beginner</Visibility>
    <pVariable Name="BASE">ExposureTimeBaseAbs</pVariable>
    <FormulaTo>FROM*BASE</FormulaTo>
    <FormulaFrom>TO/BASE</FormulaFrom>
    <pValue>LegacyExposureUs</pValue>
    <Slope>Increasing</Slope>
  </IntConverter>
  <Float Name="ExposureTimeBaseAbs" NameSpace="Custom">
    <Visibility>Expert</Visibility>
    <ImposedAccessMode>RO</ImposedAccessMode>
    <Value>{EXPOSURE_BASE_US}</Value>
    <Unit>us</Unit>
  </Float>
""")
    # Gain: only an integer in device units (here 0.1 dB per step) over the dB register.
    xml = _rename(xml, "Gain", "GainRaw")
    xml = re.sub(r'<Float Name="GainRaw"', '<Float Name="LegacyGainDb"', xml, count=1)
    xml = _insert(xml, f"""
  <IntConverter Name="GainRaw" NameSpace="Custom">
    <Visibility>Beginner</Visibility>
    <FormulaTo>FROM/{GAIN_RAW_PER_DB}</FormulaTo>
    <FormulaFrom>TO*{GAIN_RAW_PER_DB}</FormulaFrom>
    <pValue>LegacyGainDb</pValue>
    <Slope>Increasing</Slope>
  </IntConverter>
""")
    xml = _rename(xml, "AcquisitionFrameRate", "AcquisitionFrameRateAbs")
    xml = _rename(xml, "ResultingFrameRate", "ResultingFrameRateAbs")
    xml = _rename(xml, "DeviceModelName", "ModelName")
    # A different vendor: the old VendorName, a constant instead of the register.
    xml = re.sub(r'<StringReg Name="DeviceVendorName".*?</StringReg>', "", xml, count=1, flags=re.DOTALL)
    xml = xml.replace(">DeviceVendorName<", ">VendorName<")
    xml = _insert(xml, f"""
  <String Name="VendorName" NameSpace="Custom">
    <Visibility>Beginner</Visibility>
    <ImposedAccessMode>RO</ImposedAccessMode>
    <Value>{LEGACY_VENDOR}</Value>
  </String>
""")
    return xml


def write_legacy_xml(session_raw, folder: Path, variant: str = "abs") -> Path:  # noqa: ANN001
    path = folder / f"legacy_{variant}.xml"
    path.write_text(legacy_xml(device_xml(session_raw), variant), encoding="utf-8")
    return path
