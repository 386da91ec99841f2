"""Discovery: a consumer finds one Basler acA4112-20um on a U3V interface, by either path."""

from __future__ import annotations

import re

from genicam import gentl

from ace_gentl.sim import cti_path
from gentl_consumer import gentl_rig, harvester, read_port_xml


def test_system_info_through_genicam() -> None:
    with gentl_rig() as rig:
        system = rig.system
        assert system.tl_type == "U3V"
        assert system.gentl_ver_major == 1 and system.gentl_ver_minor == 6
        assert system.path_name == str(cti_path())
        assert system.vendor and system.model and system.version


def test_device_info_through_genicam() -> None:
    with gentl_rig() as rig:
        infos = rig.interface.device_info_list
        assert len(infos) == 1
        dev = rig.device
        assert dev.vendor == "Basler"
        assert dev.model == "acA4112-20um"
        assert re.fullmatch(r"\d{8}", dev.serial_number)
        assert dev.tl_type == "U3V"
        assert dev.timestamp_frequency == 1_000_000_000
        assert rig.interface.tl_type == "U3V"
        # the remote node map agrees with the device info
        assert rig.remote.get_node("DeviceVendorName").value == "Basler"
        assert rig.remote.get_node("DeviceModelName").value == "acA4112-20um"
        assert rig.remote.get_node("DeviceSerialNumber").value == dev.serial_number


def test_device_access_status_changes_when_opened() -> None:
    with gentl_rig() as rig:
        rig.interface.update_device_info_list(100)
        status = rig.interface.device_info_list[0].access_status
        assert status in (gentl.DEVICE_ACCESS_STATUS_LIST.DEVICE_ACCESS_STATUS_OPEN_READWRITE,
                          gentl.DEVICE_ACCESS_STATUS_LIST.DEVICE_ACCESS_STATUS_BUSY)


def test_discovery_through_harvesters() -> None:
    with harvester() as h:
        assert len(h.device_info_list) == 1
        info = h.device_info_list[0]
        assert info.vendor == "Basler"
        assert info.model == "acA4112-20um"
        assert info.tl_type == "U3V"
        assert re.fullmatch(r"\d{8}", info.serial_number)
        ia = h.create(0)
        try:
            nm = ia.remote_device.node_map
            assert nm.DeviceModelName.value == "acA4112-20um"
            assert nm.DeviceSerialNumber.value == info.serial_number
        finally:
            ia.destroy()


def test_every_module_has_a_loadable_node_map() -> None:
    with gentl_rig() as rig:
        ds = rig.device.create_data_stream()
        ds.open(rig.device.data_stream_ids[0])
        try:
            ports = {
                "system": rig.system.port,
                "interface": rig.interface.port,
                "device": rig.device.local_port,
                "stream": ds.port,
                "remote": rig.device.remote_port,
            }
            for module, port in ports.items():
                assert read_port_xml(port).startswith(b"<?xml"), module
                node_map = rig.node_map(port)
                assert node_map.nodes, module
            sys_nm = rig.node_map(rig.system.port)
            assert sys_nm.get_node("TLType").value == "U3V"
            assert sys_nm.get_node("TLVendorName").value
            if_nm = rig.node_map(rig.interface.port)
            assert if_nm.get_node("InterfaceID").value == rig.interface.id_
            dev_nm = rig.node_map(rig.device.local_port)
            assert dev_nm.get_node("DeviceSerialNumber").value == rig.device.serial_number
            assert dev_nm.get_node("DeviceVendorName").value == "Basler"
            assert dev_nm.get_node("SimUnthrottled").value is False
            ds_nm = rig.node_map(ds.port)
            assert ds_nm.get_node("StreamID").value == ds.id_
            assert ds_nm.get_node("StreamAnnouncedBufferCount").value == 0
        finally:
            ds.close()


def test_simulation_controls_are_not_in_the_camera_xml() -> None:
    with gentl_rig() as rig:
        xml = read_port_xml(rig.device.remote_port)
        assert b"SimUnthrottled" not in xml
        assert b"Simulation" not in xml
