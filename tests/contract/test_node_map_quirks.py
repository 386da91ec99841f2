"""Node maps that once stopped acquisition or recording, each in its smallest form.

Variants of tests/data/sim_xml/tiny_camera.xml (a camera that records fine) isolate each cause:
no AcquisitionStart/AcquisitionStop (ace_gentl.backend.start/stop), a read-only AcquisitionMode
holding a value no entry names (the same), Width and Height reading 0 (the recorder takes the
frames' shape from the first frame).
"""

from __future__ import annotations

from pathlib import Path

import ace_gentl
from ace_gentl import transport
from contract.targets import needs_ci_producers
from devicexml_helpers import TINY

pytestmark = needs_ci_producers


def _variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = TINY.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.xml"
    path.write_text(text)
    return path


def _small(session: ace_gentl.Session) -> None:
    session.Width, session.Height, session.PixelFormat = 256, 16, "Mono8"


def test_tiny_camera_itself_streams_and_records(tmp_path: Path) -> None:
    """The base of the variants below: what they break is all that differs."""
    with ace_gentl.open(sim=True, device_xml=TINY) as session:
        _small(session)
        assert len(session.grab(2)) == 2
        assert session.record(tmp_path / "tiny.h5", frames=3).frames_written == 3


def test_a_node_map_without_acquisition_start_streams(tmp_path: Path) -> None:
    # Frames need no AcquisitionStart on this producer (DSStartAcquisition starts the model): a GenTL
    # device may stream without one, and nothing but an AceGentlError may come out in any case.
    xml = _variant(tmp_path, "no_acquisition_start",
                   ("<pFeature>AcquisitionStart</pFeature>", ""), ("<pFeature>AcquisitionStop</pFeature>", ""),
                   ('<Command Name="AcquisitionStart"', '<Command Name="StartRemoved"'),
                   ('<Command Name="AcquisitionStop"', '<Command Name="StopRemoved"'))
    try:
        with ace_gentl.open(sim=True, device_xml=xml) as session:
            assert "AcquisitionStart" not in session.features
            _small(session)
            assert len(session.grab(2)) == 2
    finally:
        assert transport.loaded_paths() == [], "even a failing close releases the producer"


def test_a_read_only_acquisition_mode_holding_an_unnamed_value_streams(tmp_path: Path) -> None:
    # Fresh register memory holds 0; the entries start at 1 and the register is read-only.
    xml = _variant(tmp_path, "unnamed_acquisition_mode",
                   ('<EnumEntry Name="Continuous" NameSpace="Standard"><Value>0</Value>',
                    '<EnumEntry Name="Continuous" NameSpace="Standard"><Value>1</Value>'),
                   ('<EnumEntry Name="SingleFrame" NameSpace="Standard"><Value>1</Value>',
                    '<EnumEntry Name="SingleFrame" NameSpace="Standard"><Value>2</Value>'),
                   ("<Address>0x40010</Address><Length>4</Length><AccessMode>RW</AccessMode>",
                    "<Address>0x40010</Address><Length>4</Length><AccessMode>RO</AccessMode>"))
    with ace_gentl.open(sim=True, device_xml=xml) as session:
        assert session.AcquisitionMode == 0 and not session.features.is_writable("AcquisitionMode")
        _small(session)
        assert len(session.grab(2)) == 2


def test_recording_a_node_map_whose_width_reads_zero(tmp_path: Path) -> None:
    # Fresh register memory: Width and Height read 0; the frames are the simulator's (here 4096 x 16).
    with ace_gentl.open(sim=True, device_xml=TINY) as session:
        session.PixelFormat = "Mono8"
        session.device_features["SimImageHeight"] = 16
        assert (session.Width, session.Height) == (0, 0)
        frame = session.grab(1)[0]
        result = session.record(tmp_path / "zero_width.h5", frames=3)
    assert result.frames_written == 3
    with ace_gentl.open_recording(tmp_path / "zero_width.h5") as recording:
        assert recording.frames.shape == (3, frame.height, frame.width)
