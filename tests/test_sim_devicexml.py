"""``ace_gentl.open(sim=True, device_xml=PATH)``: the simulated camera serves another camera's node map
(ace_gentl/sim/devicexml.py and its plumbing in session.py): features over register memory, frames
from the model shaped like the node map says, a recording of 10 frames, bad files, two cameras."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

import ace_gentl
from ace_gentl import transport
from ace_gentl.errors import DeviceXmlError
from ace_gentl.sim import cti_path
from devicexml_helpers import SHAPES, TINY, fetch_viky_xml, local_file, viky_cti, zipped


@pytest.fixture(scope="module")
def viky_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fetch_viky_xml(tmp_path_factory.mktemp("viky"))


def test_the_session_sees_the_served_node_map_over_memory() -> None:
    loaded = transport.acquire(cti_path())  # the producer stays loaded between the opens, as in a long session
    try:
        _served_node_map_over_memory()
    finally:
        transport.release(loaded)


def _served_node_map_over_memory() -> None:
    with ace_gentl.open(sim=True, device_xml=TINY) as s:
        assert {"Width", "Height", "PixelFormat", "DeviceUserID", "ExposureTime", "Gain"} <= set(s.features)
        assert "BinningHorizontal" not in s.features  # the simulator's own features are gone
        assert s.device_features["SimRegisterSpace"] == "Memory"
        assert s.device_features["SimDeviceXml"] == str(TINY)
        assert s.DeviceVendorName == "" and s.Width == 0, "fresh register memory reads as zeros"
        s.DeviceUserID = "lab 3"
        s.ExposureTime = 1234.5
        s.Gain = 3.25
        s.Width = 1000
        assert (s.DeviceUserID, s.ExposureTime, s.Gain, s.Width) == ("lab 3", 1234.5, 3.25, 1000)
        name, served = local_file(s.raw.remote_device.port)
        assert (name, served) == ("tiny_camera.xml", TINY.read_bytes())
    with ace_gentl.open(sim=True, device_xml=TINY) as s:  # the same file again: its memory, like a powered camera
        assert (s.DeviceUserID, s.Width) == ("lab 3", 1000)
    with ace_gentl.open(sim=True) as s:  # without device_xml: the simulator's own XML and registers
        assert "BinningHorizontal" in s.features and s.device_features["SimRegisterSpace"] == "Model"


def test_frames_follow_the_node_maps_width_height_and_pixel_format() -> None:
    with ace_gentl.open(sim=True, device_xml=TINY) as s:
        s.Width, s.Height, s.PixelFormat = 512, 64, "Mono12"
        frames = s.grab(3)
        assert [f.data.shape for f in frames] == [(64, 512)] * 3
        assert {f.pixel_format for f in frames} == {"Mono12"} and frames[0].data.dtype == np.uint16
        assert [f.frame_id for f in frames] == [1, 2, 3]
        s.Width, s.PixelFormat = 256, "Mono8"
        assert s.grab(1)[0].data.shape == (64, 256)
        s.PixelFormat = "RGB8"  # the model renders Mono8/12/12p only: the frames keep its last format
        frame = s.grab(1)[0]
        assert frame.pixel_format == "Mono8" and frame.data.shape == (64, 256)
        assert s.device_features["SimImagePixelFormat"] == "Mono8"


def test_fresh_memory_does_not_stop_the_frames() -> None:
    """Width 0 and a PixelFormat no entry names (zeros): the frames keep the model's shape."""
    with ace_gentl.open(sim=True, device_xml=TINY) as s:
        s.device_features["SimImageHeight"] = 16
        frame = s.grab(1)[0]
        assert frame.data.shape == (16, s.device_features["SimImageWidth"]) and frame.pixel_format == "Mono8"


def test_ten_frames_recorded_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "tiny.h5"
    with ace_gentl.open(sim=True, device_xml=TINY) as s:
        s.Width, s.Height, s.PixelFormat, s.ExposureTime = 320, 40, "Mono8", 2000.0
        result = s.record(path, frames=10)
    assert result.frames_written == 10 and result.frames_lost == 0
    with ace_gentl.open_recording(path) as recording:
        assert len(recording) == 10 and recording.frames.shape == (10, 40, 320)
        assert list(recording.column("frame_id")) == list(range(1, 11))
        assert recording.device_xml == TINY.read_bytes().rstrip(b"\0")
        assert recording.settings["features"]["ExposureTime"] == 2000.0
        assert recording.settings["features"]["Width"] == 320
        assert recording.frames[9].std() > 0


def test_register_forms_through_the_session() -> None:
    with ace_gentl.open(sim=True, device_xml=SHAPES) as s:
        s.set("LineMode", 5, LineSelector="Line2")
        s.set("LineMode", 9, LineSelector="Line3")
        assert [s.get("LineMode", LineSelector=f"Line{k}") for k in (1, 2, 3)] == [0, 5, 9]
        s.ExposureTimeAbs = 1234.5
        s.Label = "sample A"
        s.features["Nibble"] = 0xA
        assert (s.ExposureTimeAbs, s.Label, s.features["Nibble"]) == (1234.5, "sample A", 0xA)
        assert s.grab(1)[0].data.size > 0  # no Width/Height/PayloadSize here: the frames keep the model's shape


def test_viky_node_map_served_by_the_simulator(viky_xml: Path) -> None:
    with ace_gentl.open(sim=True, device_xml=viky_xml) as s:
        assert s.device.model == "acA4112-20um"  # the simulator's identity, viky's node map
        assert "BouncingBallSize" in s.features
        s.Width, s.Height, s.PixelFormat = 400, 300, "Mono8"
        s.features["BouncingBallSize"] = 7
        assert s.features["BouncingBallSize"] == 7
        frames = s.grab(2)
        assert [f.data.shape for f in frames] == [(300, 400)] * 2


def test_a_zipped_description_file(tmp_path: Path) -> None:
    archive = zipped(TINY, tmp_path)
    with ace_gentl.open(sim=True, device_xml=archive) as s:
        name, served = local_file(s.raw.remote_device.port)
        assert name == "tiny_camera.zip" and served == archive.read_bytes()
        s.DeviceUserID = "zipped"
        assert s.DeviceUserID == "zipped" and "ExposureTime" in s.features


def _bad(tmp_path: Path, kind: str) -> tuple[Path, str]:
    path = tmp_path / f"{kind}.xml"
    if kind == "missing":
        return path, "does not exist"
    if kind == "folder":
        path.mkdir()
        return path, "is not a file"
    if kind == "empty":
        path.write_bytes(b"")
        return path, "is empty"
    if kind == "binary":
        path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(100))
        return path, "neither XML nor a zip archive"
    if kind == "html":
        path.write_text("<html><body>a web page</body></html>")
        return path, "GenApi cannot load it"
    if kind == "dangling":  # a node that points to a node that does not exist
        path.write_text(TINY.read_text().replace("<pValue>GainReg</pValue>", "<pValue>NoSuchReg</pValue>"))
        return path, "GenApi cannot load it"
    if kind == "truncated":
        path.write_bytes(TINY.read_bytes()[:2000])
        return path, "GenApi cannot load it"
    if kind == "damaged zip":
        path = tmp_path / "damaged.zip"
        path.write_bytes(zipped(TINY, tmp_path).read_bytes()[:300])
        return path, "damaged zip archive"
    if kind == "zip without xml":
        path = tmp_path / "notes.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "no node map here")
        return path, "without an .xml file"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "binary", "html", "dangling", "truncated",
                                  "damaged zip", "zip without xml"])
def test_a_bad_description_file_is_one_clear_error(tmp_path: Path, kind: str) -> None:
    path, reason = _bad(tmp_path, kind)
    with pytest.raises(DeviceXmlError, match=reason) as error:
        ace_gentl.open(sim=True, device_xml=path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)
    assert transport.loaded_paths() == [], "nothing stays loaded after the refusal"
    with ace_gentl.open(sim=True) as s:  # the camera is fine afterwards
        assert s.device_features["SimRegisterSpace"] == "Model"


def test_other_cameras_get_the_file_checked_too(tmp_path: Path) -> None:
    with pytest.raises(DeviceXmlError, match="does not exist"):
        ace_gentl.open(cti=viky_cti(), index=0, device_xml=tmp_path / "none.xml")
    assert transport.loaded_paths() == []


def test_two_simulated_cameras_one_serving_a_foreign_xml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "2")
    with ace_gentl.open(sim=True, serial="40000001", device_xml=TINY) as foreign, \
            ace_gentl.open(sim=True, serial="40000002") as own:
        foreign.Width, foreign.Height, foreign.PixelFormat = 128, 32, "Mono8"
        own.Width, own.Height = 640, 48
        assert foreign.Width == 128 and own.Width == 640
        assert own.device_features["SimRegisterSpace"] == "Model"
        assert foreign.grab(2)[1].data.shape == (32, 128)
        assert own.grab(2)[1].data.shape == (48, 640)
    # a producer already loaded: a later open still chooses per open
    with ace_gentl.open(sim=True, serial="40000002") as own:
        with ace_gentl.open(sim=True, serial="40000001", device_xml=SHAPES) as foreign:
            assert "Nibble" in foreign.features and "BinningHorizontal" in own.features


def test_the_producer_refuses_a_second_choice_after_the_node_map_is_made() -> None:
    with ace_gentl.open(sim=True, device_xml=TINY) as s:
        with pytest.raises(ace_gentl.FeatureError, match="already read in this open"):
            s.device_features["SimDeviceXml"] = str(SHAPES)
        assert s.device_features["SimDeviceXml"] == str(TINY)
