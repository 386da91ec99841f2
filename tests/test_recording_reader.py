"""Reading recordings back: the device XML as NeXus tools read it (and as older files stored it),
bit depth, units, the summary's rows; nexusformat and silx open a whole recording."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import ace_gentl
from ace_gentl import backend
from ace_gentl.recording import description, layout
from devicexml_helpers import TINY, zipped


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "own.h5"
    with ace_gentl.open(sim=True) as cam:
        cam.Width, cam.Height, cam.PixelFormat = 256, 32, "Mono12"
        cam.record(path, frames=4)
    return path


@pytest.fixture(scope="module")
def zipped_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    folder = tmp_path_factory.mktemp("reader_zip")
    archive = zipped(TINY, folder)
    path = folder / "zipped.h5"
    with ace_gentl.open(sim=True, device_xml=archive) as cam:
        cam.Width, cam.Height, cam.PixelFormat = 512, 64, "Mono8"
        cam.record(path, frames=3)
    return path, archive.read_bytes()


def _xml_dataset(file: h5py.File) -> h5py.Dataset:
    detector = next(g for g in file["entry/instrument"].values() if g.attrs.get("NX_class") == "NXdetector")
    return detector["genicam/device_xml"]


def test_the_device_xml_is_a_utf8_string(recording: Path) -> None:
    with h5py.File(recording, "r") as file:
        dataset = _xml_dataset(file)
        assert h5py.check_string_dtype(dataset.dtype).encoding == "utf-8"
        text = dataset.asstr()[()]
        assert text.startswith("<?xml") and "acA4112-20um" in text and text.rstrip().endswith(">")
        assert dataset.attrs["encoding"] == "utf-8" and dataset.attrs["content_type"] == "text/xml"
        assert dataset.attrs["file_name"].endswith(".xml") and dataset.attrs["url"].lower().startswith("local:")
    with ace_gentl.open_recording(recording) as reading:
        assert reading.device_xml == text.encode()
        assert reading.device_xml_name == dataset_name(recording)


def dataset_name(path: Path) -> str:
    with h5py.File(path, "r") as file:
        return str(_xml_dataset(file).attrs["file_name"])


def test_a_zipped_device_xml_keeps_every_byte(zipped_recording: tuple[Path, bytes]) -> None:
    path, archive = zipped_recording
    assert archive.endswith(b"\0\0")  # the end record's comment length: what stripping NULs cut
    assert description.complete_zip_end(archive.rstrip(b"\0")) == archive
    assert description.complete_zip_end(TINY.read_bytes()) == TINY.read_bytes()  # XML: unchanged
    with h5py.File(path, "r") as file:
        dataset = _xml_dataset(file)
        assert dataset.dtype == np.uint8 and dataset.shape == (len(archive),)
        assert dict(dataset.attrs) | {"url": ""} == {"url": "", "file_name": "tiny_camera.zip", "encoding": "zip",
                                                     "content_type": "application/zip",
                                                     "description": dataset.attrs["description"]}
        assert dataset[()].tobytes() == archive
    with ace_gentl.open_recording(path) as reading:
        assert reading.device_xml == archive and reading.device_xml_name == "tiny_camera.zip"
        with zipfile.ZipFile(io.BytesIO(reading.device_xml)) as unpacked:
            assert unpacked.testzip() is None
            assert unpacked.read(unpacked.namelist()[0]) == TINY.read_bytes()


@pytest.mark.parametrize("kind", ["xml", "zip"])
def test_older_files_with_an_opaque_device_xml_still_read(kind: str, recording: Path,
                                                          zipped_recording: tuple[Path, bytes],
                                                          tmp_path: Path) -> None:
    """Before: ``np.void`` of the bytes with trailing NULs stripped (a zip lost its end record's last bytes)."""
    source = recording if kind == "xml" else zipped_recording[0]
    old = tmp_path / f"old_{kind}.h5"
    shutil.copy(source, old)
    with ace_gentl.open_recording(source) as reading:
        exact = reading.device_xml
    with h5py.File(old, "r+") as file:
        dataset = _xml_dataset(file)
        url = dataset.attrs["url"]
        group = dataset.parent
        del group["device_xml"]
        stored = group.create_dataset("device_xml", data=np.void(exact.rstrip(b"\0")))
        stored.attrs["url"] = url
        stored.attrs["content"] = "bytes exactly as served by the device (opaque); decode as UTF-8 or unzip per url"
    with ace_gentl.open_recording(old) as reading:
        assert reading.device_xml == exact
        assert reading.device_xml_name == ("tiny_camera.zip" if kind == "zip" else dataset_name(recording))


def test_nexusformat_reads_the_whole_tree(recording: Path, zipped_recording: tuple[Path, bytes]) -> None:
    from nexusformat import nexus  # in the test extra: CI checks with it
    for path in (recording, zipped_recording[0]):
        root = nexus.nxload(str(path), "r")
        tree = root.tree  # raised NeXusError on the opaque V153079 device_xml
        assert "device_xml" in tree and "@file_name" in tree
        entry = root["entry"]
        assert entry.nxclass == "NXentry" and entry["data"].nxclass == "NXdata"
        detector = next(item for item in entry["instrument"].values() if item.nxclass == "NXdetector")
        assert detector["data"].shape[0] >= 3
        xml = detector["genicam/device_xml"]
        value = xml.nxvalue
        if path == recording:
            assert isinstance(value, str) and value.startswith("<?xml")
        else:
            assert np.asarray(value, np.uint8).tobytes() == zipped_recording[1]
        root.nxfile.close()


def test_silx_reads_every_dataset(recording: Path) -> None:
    import silx.io as silx_io  # in the test extra: CI checks with it
    from silx.io import nxdata
    read = []
    with silx_io.open(str(recording)) as file:
        def visit(name: str, item: object) -> None:
            if silx_io.is_dataset(item):
                item[()]  # type: ignore[index]
                read.append(name)
        file.visititems(visit)
        assert silx_io.is_group(file["entry/instrument"])
        default = nxdata.get_default(file)  # the NXdata plot silx shows first
        assert default is not None and default.is_valid and default.signal.shape[0] == 4
    assert any(name.endswith("genicam/device_xml") for name in read) and len(read) > 40


def test_significant_bits_and_feature_units(recording: Path) -> None:
    with ace_gentl.open_recording(recording) as reading:
        assert reading.significant_bits == 12 and reading.frames.dtype == np.uint16
        units = reading.feature_units(["ExposureTime", "Gain", "Width", "PixelFormat", "NoSuchFeature"])
    assert units == {"ExposureTime": "us", "Gain": "dB", "Width": "px"}


def test_summary_rows_name_title_times_and_rate(recording: Path) -> None:
    with ace_gentl.open_recording(recording) as reading:
        summary = reading.summary()
        stamps = reading.column("device_timestamp").astype(np.int64)
    labels = [label for label, _ in summary.rows()]
    assert labels[:2] == ["title", "camera"] and "started" in labels and "ended" in labels
    assert summary.fps == pytest.approx(layout.frame_rate(4, stamps[0], stamps[-1]))
    assert summary.fps == pytest.approx(3 / ((stamps[-1] - stamps[0]) * 1e-9))
    assert summary.operator == "" and summary.sample == ""  # recorded from Python: no run-file metadata


@pytest.mark.parametrize(("data", "kept"), [
    (b"<?xml ?><a/>\0\0\0\0", b"<?xml ?><a/>"),
    (b"PK\x03\x04body" + b"PK\x05\x06" + bytes(16) + b"\0\0" + bytes(10), b"PK\x03\x04body" + b"PK\x05\x06"
     + bytes(18)),  # padding after the end record goes, the end record's own zeros stay
    (b"PK\x03\x04body" + b"PK\x05\x06" + bytes(16) + b"\x03\0abc" + bytes(4), b"PK\x03\x04body" + b"PK\x05\x06"
     + bytes(16) + b"\x03\0abc"),  # a 3-byte comment
    (b"PK\x03\x04no end record\0\0", b"PK\x03\x04no end record\0\0"),  # nothing to go by: every byte kept
])
def test_description_file_cuts_padding_but_never_a_zip_end_record(data: bytes, kept: bytes) -> None:
    assert description.trim_padding(data) == kept


def test_the_served_zip_is_read_whole_from_the_port(tmp_path: Path) -> None:
    archive = zipped(TINY, tmp_path)
    with ace_gentl.open(sim=True, device_xml=archive) as cam:
        url, data = backend.read_port_url(cam.raw.remote_device.port)
    assert url.lower().startswith("local:tiny_camera.zip;") and data == archive.read_bytes()
