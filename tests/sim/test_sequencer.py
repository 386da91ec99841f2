"""The sequencer (cti/README.md "Sequencer"): sets saved in SequencerConfigurationMode, stepped through
with SequencerMode On; every frame carries its set in ChunkSequencerSetActive and is exposed with the
set's ExposureTime."""

from __future__ import annotations

import struct

import pytest
from genicam import gentl
from gentl_consumer import gentl_rig, read_port_xml
from sim_controls import CHUNK_IDS, REFUSED, parse_u3v_chunks, sim_camera, sim_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("sim_env")

CHUNKS = ("ChunkSequencerSetActive", "ChunkExposureTime")


def _save_sets(cam, sets: list[dict]) -> None:
    """sets[k] = {"ExposureTime": ..., "paths": {path: (next, source)}}"""
    cam.nm.SequencerMode.value = "Off"
    cam.nm.SequencerConfigurationMode.value = "On"
    for k, values in enumerate(sets):
        cam.nm.SequencerSetSelector.value = k
        cam.nm.ExposureTime.value = values["ExposureTime"]
        for path, (nxt, source) in values["paths"].items():
            cam.nm.SequencerPathSelector.value = path
            cam.nm.SequencerSetNext.value = nxt
            cam.nm.SequencerTriggerSource.value = source
        cam.nm.SequencerSetSave.execute()
    cam.nm.SequencerConfigurationMode.value = "Off"


def test_three_sets_cycle_on_frame_start() -> None:
    with sim_camera(width=256, height=64) as cam:
        exposures = [1000.0, 2000.0, 3000.0]
        _save_sets(cam, [{"ExposureTime": e, "paths": {0: ((k + 1) % 3, "FrameStart")}}
                         for k, e in enumerate(exposures)])
        cam.enable_chunks("SequencerSetActive", "ExposureTime")
        assert cam.get("PayloadSize") == 256 * 64 + 8 + (4 + 8) + (8 + 8)
        cam.nm.SequencerMode.value = "On"
        assert cam.get("SequencerSetActive") == 0
        cam.start()
        frames = [cam.fetch(chunks=CHUNKS) for _ in range(6)]
        with pytest.raises(REFUSED):
            cam.nm.SequencerMode.value = "Off"  # locked while streaming
        cam.stop()
    sets = [f.chunks["ChunkSequencerSetActive"] for f in frames]
    assert [(f.frame_id - 1) % 3 for f in frames] == sets
    if [f.frame_id for f in frames] == [1, 2, 3, 4, 5, 6]:
        assert sets == [0, 1, 2, 0, 1, 2]
    for f in frames:
        k = f.chunks["ChunkSequencerSetActive"]
        assert f.chunks["ChunkExposureTime"] == exposures[k]
        layout = {cid: (off, ln) for cid, off, ln in parse_u3v_chunks(f.raw, f.size_filled)}
        off, ln = layout[CHUNK_IDS["SequencerSetActive"]]
        assert ln == 4 and struct.unpack("<I", f.raw[off:off + 4])[0] == k


def test_line1_advances_a_path() -> None:
    with sim_camera(width=256, height=64) as cam:
        # set 0 --Line1--> set 1 --Line1--> set 0
        _save_sets(cam, [{"ExposureTime": 700.0, "paths": {0: (1, "Line1"), 1: (0, "SoftwareSignal3")}},
                         {"ExposureTime": 900.0, "paths": {0: (0, "Line1"), 1: (1, "SoftwareSignal3")}}])
        cam.enable_chunks("SequencerSetActive", "ExposureTime")
        cam.nm.SequencerMode.value = "On"
        cam.trigger(source="Software")
        cam.start()
        got = []
        for pulse in (False, False, True, False, True, True):
            if pulse:
                cam.line_pulse(1)
            cam.software_trigger()
            frame = cam.fetch(chunks=CHUNKS)
            got.append((frame.chunks["ChunkSequencerSetActive"], frame.chunks["ChunkExposureTime"]))
        cam.stop()
    assert got == [(0, 700.0), (0, 700.0), (1, 900.0), (1, 900.0), (0, 700.0), (1, 900.0)]


def test_sequencer_mode_on_is_refused_in_configuration_mode() -> None:
    from genicam.genapi import EAccessMode

    with sim_camera() as cam:
        cam.nm.SequencerConfigurationMode.value = "On"
        on = cam.nm.SequencerMode.get_entry_by_name("On")
        assert on.get_access_mode() in (EAccessMode.NA, EAccessMode.NI), "GenApi does not offer On while configuring"
        with pytest.raises(REFUSED):
            cam.nm.SequencerMode.value = "On"
        assert cam.get("SequencerMode") == "Off"
        cam.nm.SequencerConfigurationMode.value = "Off"
        cam.nm.SequencerMode.value = "On"
        assert cam.nm.SequencerConfigurationMode.get_access_mode() == EAccessMode.RO, "locked while the sequencer is On"
        with pytest.raises(REFUSED):
            cam.nm.SequencerConfigurationMode.value = "On"
        cam.nm.SequencerMode.value = "Off"


def test_raw_write_gives_the_reason() -> None:
    with gentl_rig() as rig:
        port = rig.device.remote_port
        rig.remote.get_node("SequencerConfigurationMode").value = "On"
        address = _address(read_port_xml(port), "SequencerModeReg")
        with pytest.raises(gentl.InvalidValueException) as info:
            port.write(address, (1).to_bytes(4, "little"))
        assert "SequencerConfigurationMode is On" in str(info.value)
        assert int.from_bytes(port.read(address, 4)[1], "little") == 0
        cmd = _address(read_port_xml(port), "SequencerSetSaveReg")
        rig.remote.get_node("SequencerConfigurationMode").value = "Off"
        with pytest.raises(gentl.AccessDeniedException) as info:
            port.write(cmd, (1).to_bytes(4, "little"))
        assert "only while SequencerConfigurationMode is On" in str(info.value)


def _address(xml: bytes, reg: str) -> int:
    import xml.etree.ElementTree as ET

    ns = {"g": "http://www.genicam.org/GenApi/Version_1_1"}
    for el in ET.fromstring(xml).iter():
        if el.get("Name") == reg and el.find("g:Address", ns) is not None:
            return int(el.find("g:Address", ns).text, 0)
    raise KeyError(reg)
