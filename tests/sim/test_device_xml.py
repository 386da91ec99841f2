"""The simulated camera serving another camera's description file, seen by GenTL consumers:
Harvesters (per open through SimDeviceXml, and plain Harvesters through ACE_SIM_DEVICE_XML in a
fresh process), raw genicam.gentl for every node map of the corpus, and two cameras in one
process, one with and one without a foreign XML."""

from __future__ import annotations

import json
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from genicam import genapi, gentl

from devicexml_helpers import CORPUS, SHAPES, TINY, acquirer_serving, fetch_viky_xml, local_file, zipped
from gentl_consumer import GentlPort
from sim_controls import new_harvester, run_child, sim_env  # noqa: F401 (pytest fixture)

pytestmark = pytest.mark.usefixtures("sim_env")

GENAPI_NS = "{http://www.genicam.org/GenApi/Version_1_1}"
XML_ADDRESS = 0x7FFF000000000000


@pytest.fixture(scope="module")
def viky_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fetch_viky_xml(tmp_path_factory.mktemp("viky"))


def _frames(ia, count: int) -> list[tuple[int, int, str]]:
    ia.start()
    shapes = []
    for _ in range(count):
        with ia.fetch(timeout=5) as buffer:
            component = buffer.payload.components[0]
            shapes.append((component.width, component.height, component.data_format))
    ia.stop()
    return shapes


@pytest.mark.parametrize("which", ["tiny", "tiny.zip", "shapes", "viky"])
def test_harvesters_builds_the_served_node_map_and_grabs(which: str, tmp_path: Path, viky_xml: Path) -> None:
    xml = {"tiny": TINY, "tiny.zip": None, "shapes": SHAPES, "viky": viky_xml}[which] or zipped(TINY, tmp_path)
    h = new_harvester()
    try:
        with acquirer_serving(h, 0, xml) as ia:
            name, served = local_file(ia.remote_device.port)
            assert served == xml.read_bytes() and name == xml.name
            assert ia.remote_device.port.url_info_list[0].url.split(";")[1] == f"{XML_ADDRESS:x}"
            nm = ia.remote_device.node_map
            reference = genapi.NodeMap()
            (reference.load_xml_from_zip_file if xml.suffix == ".zip" else reference.load_xml_from_file)(str(xml))
            assert sorted(n.node.name for n in nm.nodes) == sorted(n.node.name for n in reference.nodes)
            device = ia.device.node_map
            assert device.SimRegisterSpace.value == "Memory" and device.SimDeviceXml.value == str(xml)
            device.SimImageWidth.value, device.SimImageHeight.value = 320, 40
            device.SimImagePixelFormat.value = "Mono12"
            # register_shapes has no PayloadSize node: Harvesters sizes its buffers from the DataStream
            assert ia.data_streams[0].defines_payload_size() and ia.data_streams[0].payload_size == 320 * 40 * 2
            assert _frames(ia, 3) == [(320, 40, "Mono12")] * 3
    finally:
        h.reset()


def _raw(port, address: int, length: int) -> bytes:
    return bytes(port.read(address, length)[1])


def test_register_forms_read_back_at_the_xml_addresses() -> None:
    h = new_harvester()
    try:
        with acquirer_serving(h, 0, SHAPES) as ia:
            nm, port = ia.remote_device.node_map, ia.remote_device.port
            assert _raw(port, 0x1000, 64) == bytes(64), "fresh memory is zero-filled"
            nm.Nibble.value = 0xA
            assert _raw(port, 0x1000, 4) == bytes([0xA0, 0, 0, 0]) and nm.Nibble.value == 0xA
            nm.FlagA.value = 1
            nm.FieldB.value = 0x5C
            assert _raw(port, 0x1004, 4) == bytes([0x01, 0x5C, 0, 0])
            assert (nm.FlagA.value, nm.FieldB.value) == (1, 0x5C)
            nm.BigEndianWord.value = 0x1234
            assert _raw(port, 0x2000, 2) == b"\x12\x34"
            nm.OddAddress.value = -2  # 8 bytes from an odd address, across a 4 KiB page
            assert _raw(port, 0x2FFF, 8) == struct.pack("<q", -2) and nm.OddAddress.value == -2
            nm.Temperature.value = 36.5
            assert _raw(port, 0x3010, 4) == struct.pack("<f", 36.5)
            blob = bytes(range(200, 216))
            nm.Blob.set(blob)
            assert _raw(port, 0x3FF8, 16) == blob and bytes(nm.Blob.get(16)) == blob
            for line, mode in (("Line2", 5), ("Line3", 7)):
                nm.LineSelector.value = line
                nm.LineMode.value = mode
            assert [_raw(port, 0x6100 + 8 * k, 4) for k in range(3)] == [bytes(4), struct.pack("<I", 5),
                                                                        struct.pack("<I", 7)]
            nm.LineSelector.value = "Line2"
            assert nm.LineMode.value == 5
            nm.ExposureTimeAbs.value = 1234.5
            assert _raw(port, 0x7000, 4) == struct.pack("<I", 12345) and nm.ExposureTimeAbs.value == 1234.5
            nm.Label.value = "hello"
            assert _raw(port, 0x8000, 24) == b"hello" + bytes(19) and nm.Label.value == "hello"
            nm.Reset.execute()
            assert _raw(port, 0x9000, 4) == struct.pack("<I", 7), "a command's value reads back, like any register"
    finally:
        h.reset()


def _int_registers(xml: Path) -> list[tuple[str, int, int]]:
    """(name, address, length) of the XML's IntReg nodes with a fixed address on the Device port."""
    found = []
    for element in ET.parse(xml).getroot().iter(f"{GENAPI_NS}IntReg"):
        address, length = element.find(f"{GENAPI_NS}Address"), element.find(f"{GENAPI_NS}Length")
        port = element.find(f"{GENAPI_NS}pPort")
        if address is None or length is None or element.find(f"{GENAPI_NS}pIndex") is not None:
            continue
        if port is not None and port.text.strip() != "Device":
            continue
        try:
            found.append((element.get("Name"), int(address.text, 0), int(length.text, 0)))
        except (TypeError, ValueError):
            continue
    return found


def _corpus() -> list[Path]:
    return [*CORPUS, TINY, SHAPES]


@pytest.mark.parametrize("xml", _corpus(), ids=lambda p: p.name)
def test_every_corpus_node_map_is_served_over_memory_and_frames_come(xml: Path) -> None:
    producer = gentl.GenTLProducer.create_producer()
    from ace_gentl.sim import cti_path

    producer.open(str(cti_path()))
    system = producer.create_system()
    system.open()
    keep: list[object] = []
    try:
        system.update_interface_info_list(1000)
        interface = system.interface_info_list[0].create_interface()
        interface.open()
        interface.update_device_info_list(1000)
        device = interface.device_info_list[0].create_device()
        device.open(gentl.DEVICE_ACCESS_FLAGS_LIST.DEVICE_ACCESS_EXCLUSIVE)
        local = genapi.NodeMap()
        local.load_xml_from_string(local_file(device.local_port)[1].rstrip(b"\0").decode())
        keep.append(GentlPort(device.local_port))
        local.connect(keep[-1], device.local_port.name)
        local.get_node("SimDeviceXml").value = str(xml)
        local.get_node("SimImageWidth").value = 256
        local.get_node("SimImageHeight").value = 32
        name, served = local_file(device.remote_port)
        assert served == xml.read_bytes()
        remote = genapi.NodeMap()
        remote.load_xml_from_file(str(xml))  # the same bytes (asserted above), whatever their encoding
        keep.append(GentlPort(device.remote_port))
        assert remote.connect(keep[-1], device.remote_port.name)
        # GenApi reads every node it can over the register memory: errors are GenApi's, never a crash
        read = 0
        for node in remote.nodes:
            try:
                if hasattr(node, "to_string") and genapi.is_readable(node.node):
                    node.to_string()
                    read += 1
            except genapi.GenericException:
                pass
        assert read > 0
        port = device.remote_port
        for index, (reg, address, length) in enumerate(_int_registers(xml)[:200]):
            pattern = bytes((index + k + 1) & 0xFF or 1 for k in range(length))
            port.write(address, pattern)
            assert _raw(port, address, length) == pattern, f"{reg} at {address:#x}"
        # frames without any remote register: the DataStream starts the camera model
        ds = device.create_data_stream()
        ds.open(device.data_stream_ids[0])
        event = gentl.EventManagerNewBuffer(ds.register_event(gentl.EVENT_TYPE_LIST.EVENT_NEW_BUFFER))
        size = ds.payload_size
        assert size == 256 * 32
        raw = [bytes(size) for _ in range(3)]
        buffers = [ds.announce_buffer(gentl.BufferToken(r, i)) for i, r in enumerate(raw)]
        for buffer in buffers:
            ds.queue_buffer(buffer)
        ds.start_acquisition(gentl.ACQ_START_FLAGS_LIST.ACQ_START_FLAGS_DEFAULT, -1)
        ids = []
        for _ in range(3):
            event.update_event_data(5000)
            ids.append(event.buffer.frame_id)
            assert (event.buffer.width, event.buffer.height) == (256, 32)
            ds.queue_buffer(event.buffer)
        ds.stop_acquisition(gentl.ACQ_STOP_FLAGS_LIST.ACQ_STOP_FLAGS_KILL)
        ds.flush_buffer_queue(gentl.ACQ_QUEUE_TYPE_LIST.ACQ_QUEUE_ALL_DISCARD)
        event.flush_event_queue()
        for buffer in buffers:
            ds.revoke_buffer(buffer)
        ds.close()
        assert ids == sorted(ids) and len(set(ids)) == 3
        device.close()
        interface.close()
    finally:
        system.close()
        producer.close()


def test_two_cameras_in_one_harvester_one_with_a_foreign_xml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "2")
    h = new_harvester()
    try:
        with acquirer_serving(h, 0, TINY) as foreign, acquirer_serving(h, 1, None) as own:
            foreign.remote_device.node_map.Width.value = 1000  # memory at 0x20020 (8 bytes)
            own.remote_device.node_map.Width.value = 640        # the model's Width at 0x20020 (4 bytes)
            own.remote_device.node_map.Height.value = 48
            assert foreign.remote_device.node_map.Width.value == 1000
            assert own.remote_device.node_map.Width.value == 640
            assert own.device.node_map.SimRegisterSpace.value == "Model"
            assert "Basler_acA4112-20um_sim.xml" in own.remote_device.port.url_info_list[0].url
            foreign.device.node_map.SimImageHeight.value = 40
            foreign.device.node_map.SimImageWidth.value = 200
            foreign.start()
            own.start()
            for _ in range(3):
                with foreign.fetch(timeout=5) as a, own.fetch(timeout=5) as b:
                    assert (a.payload.components[0].width, a.payload.components[0].height) == (200, 40)
                    assert (b.payload.components[0].width, b.payload.components[0].height) == (640, 48)
    finally:
        h.reset()


def test_plain_harvesters_serves_the_environment_variable_file() -> None:
    proc = run_child("""
        h = new_harvester()
        ia = h.create(0)
        nm = ia.remote_device.node_map
        nm.DeviceUserID.value = "rehearsal"
        nm.Width.value, nm.Height.value = 512, 64
        dn = ia.device.node_map
        dn.SimImageWidth.value, dn.SimImageHeight.value = 512, 64
        ia.start()
        shapes = []
        for _ in range(3):
            with ia.fetch(timeout=5) as b:
                shapes.append([b.payload.components[0].width, b.payload.components[0].height])
        ia.stop()
        result = dict(url=ia.remote_device.port.url_info_list[0].url, user=nm.DeviceUserID.value,
                      width=nm.Width.value, shapes=shapes, space=dn.SimRegisterSpace.value,
                      source=h.device_info_list[0].parent.node_map.SimDeviceXmlSource.value)
        ia.destroy()
        h.reset()
        print("RESULT " + json.dumps(result))
    """, ACE_SIM_DEVICE_XML=str(TINY))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert result["url"].startswith("local:tiny_camera.xml;7fff000000000000;")
    assert (result["user"], result["width"], result["space"]) == ("rehearsal", 512, "Memory")
    assert result["shapes"] == [[512, 64]] * 3
    assert f"from ACE_SIM_DEVICE_XML={TINY}" in result["source"]


def test_plain_harvesters_with_a_bad_environment_variable_gets_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone.xml"
    proc = run_child("""
        h = new_harvester()
        try:
            h.create(0)
            print("RESULT opened")
        except Exception as error:
            print("RESULT " + type(error).__name__ + ": " + str(error).splitlines()[0])
        h.reset()
    """, ACE_SIM_DEVICE_XML=str(missing))
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    assert f"ACE_SIM_DEVICE_XML={missing}: no such file" in line, line
    assert f"ace_gentl_sim: U3V-SIM-40000001: ACE_SIM_DEVICE_XML={missing}: no such file" in proc.stderr


def test_a_copy_of_the_own_xml_drives_the_camera_model(tmp_path: Path) -> None:
    h = new_harvester()
    try:
        with acquirer_serving(h, 0, None) as ia:
            _, own = local_file(ia.remote_device.port)
        copy = tmp_path / "renamed.xml"
        copy.write_bytes(own.rstrip(b"\0"))
        with acquirer_serving(h, 0, copy) as ia:
            assert ia.device.node_map.SimRegisterSpace.value == "Model"
            urls = [info.url for info in ia.remote_device.port.url_info_list]
            assert urls[0].startswith("local:renamed.xml;7fff000000000000;")
            assert urls[1].startswith("local:Basler_acA4112-20um_sim.xml;10000000;")
            nm = ia.remote_device.node_map
            nm.Width.value, nm.Height.value = 256, 32
            assert ia.device.node_map.SimImageWidth.value == 256  # the same register
            assert _frames(ia, 2) == [(256, 32, "Mono8")] * 2
    finally:
        h.reset()


def test_frames_are_the_model_images() -> None:
    """The served XML changes the node map, not the pictures: the model's test image comes through."""
    h = new_harvester()
    try:
        with acquirer_serving(h, 0, TINY) as ia:
            dn = ia.device.node_map
            dn.SimImageWidth.value, dn.SimImageHeight.value = 256, 32
            ia.start()
            with ia.fetch(timeout=5) as buffer:
                image = np.array(buffer.payload.components[0].data, copy=True)
            ia.stop()
        assert image.size == 32 * 256
        assert image.std() > 0, "a rendered scene, not an empty buffer"
    finally:
        h.reset()
