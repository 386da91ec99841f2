"""Description files for the tests of the simulator serving another camera's XML.

Our own node maps (tests/data/sim_xml), the corpus (tests/data/nodemaps/*.xml, whatever exists),
and viky.cti's remote-device XML fetched at test time (a vendor's file: never committed).
"""

from __future__ import annotations

import contextlib
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import genicam

DATA = Path(__file__).resolve().parent / "data"
OWN_XML = DATA / "sim_xml"
TINY = OWN_XML / "tiny_camera.xml"
SHAPES = OWN_XML / "register_shapes.xml"
CORPUS = sorted((DATA / "nodemaps").glob("*.xml"))


def viky_cti() -> Path:
    return next(Path(genicam.__file__).parent.rglob("viky.cti"))


def local_file(port: Any) -> tuple[str, bytes]:
    """(file name, bytes) behind a port's first URL (local: scheme)."""
    url = port.url_info_list[0].url
    scheme, rest = url.split(":", 1)
    assert scheme.lower() == "local", url
    name, address, size = rest.split(";")
    return name, bytes(port.read(int(address, 16), int(size.split("?")[0], 16))[1])


def fetch_viky_xml(folder: Path) -> Path:
    """viky.cti's first camera's remote XML, saved in ``folder``."""
    from harvesters.core import Harvester

    sigint = signal.getsignal(signal.SIGINT)
    h = Harvester()
    h.add_file(str(viky_cti()))
    h.update()
    try:
        ia = h.create(0)
        try:
            name, data = local_file(ia.remote_device.port)
        finally:
            ia.destroy()
    finally:
        h.reset()
        signal.signal(signal.SIGINT, sigint)
    path = folder / Path(name).name
    path.write_bytes(data.rstrip(b"\0"))
    return path


def zipped(xml: Path, folder: Path) -> Path:
    """``xml`` in a zip archive, as cameras serve large description files."""
    path = folder / (xml.stem + ".zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(xml, xml.name)
    return path


@contextlib.contextmanager
def acquirer_serving(h: Any, index: int, xml: Path | None) -> Iterator[Any]:
    """A Harvesters ImageAcquirer for camera ``index`` of Harvester ``h``, serving ``xml`` (None: own).

    Opens the device, writes SimDeviceXml through its Device-module node map, then lets the
    ImageAcquirer build the remote node map: the per-open choice, with Harvesters' own classes.
    """
    from genicam.gentl import DEVICE_ACCESS_FLAGS_LIST
    from harvesters.core import Device, ImageAcquirer

    info = h.device_info_list[index]
    raw = info.create_device()
    raw.open(DEVICE_ACCESS_FLAGS_LIST.DEVICE_ACCESS_EXCLUSIVE)
    sigint = signal.getsignal(signal.SIGINT)
    ia = None
    try:
        device = Device(module=raw, parent=info.parent)
        if xml is not None:
            device.node_map.SimDeviceXml.value = str(xml)
        ia = ImageAcquirer(device_proxy=device, parent=None)
        signal.signal(signal.SIGINT, sigint)
        yield ia
    finally:
        signal.signal(signal.SIGINT, sigint)
        if ia is not None:
            if ia.is_acquiring():
                ia.stop()
            ia.destroy()
        elif raw.is_open():
            raw.close()
