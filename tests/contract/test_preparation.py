"""Free run and a small ROI before frames (preparation.py)."""

from __future__ import annotations

import ace_gentl
from contract.preparation import SMALL_HEIGHT, Setting, _grid, plan, prepare
from contract.targets import CORPUS, needs_ci_producers

MAPS = {path.stem: path for path in CORPUS}


def test_grid_values() -> None:
    assert _grid(1, 3000, 1, 64) == 64
    assert _grid(2, 3000, 4, 64) == 66  # 2 + 16 * 4
    assert _grid(16, 1200, 16, 64) == 64
    assert _grid(100, 3000, 2, 64) == 100  # the minimum is above the wish
    assert _grid(0, 50, 2, 64) == 50
    assert _grid(1, 50, 4, 64) == 49  # the largest value on the grid, not the maximum
    assert _grid(0, 5120, 16, 5120) == 5120


@needs_ci_producers
def test_the_simulator_gets_a_small_height_in_free_run() -> None:
    with ace_gentl.open(sim=True) as session:
        session.TriggerMode = "On"
        settings = prepare(session)
        assert Setting("Height", SMALL_HEIGHT) in settings
        assert Setting("TriggerMode", "Off", {"TriggerSelector": "FrameStart"}) in settings
        assert session.Height == SMALL_HEIGHT and session.get("TriggerMode", TriggerSelector="FrameStart") == "Off"
        assert plan(session) == [], "nothing left to do"
        assert session.grab(1)[0].data.shape == (SMALL_HEIGHT, session.Width)
    assert Setting("TriggerMode", "Off", {"TriggerSelector": "FrameStart"}).cli() == \
        ["--set", "TriggerMode[TriggerSelector=FrameStart]=Off"]


@needs_ci_producers
def test_a_served_map_over_fresh_memory_gets_a_whole_geometry() -> None:
    with ace_gentl.open(sim=True, device_xml=MAPS["large_map"]) as session:
        assert (session.Width, session.Height, session.PixelFormat) == (0, 0, 0)  # zeros: no image has this shape
        prepare(session)
        assert (session.Width, session.Height, session.PixelFormat) == (5120, SMALL_HEIGHT, "Mono8")


@needs_ci_producers
def test_a_served_map_without_height_makes_the_simulator_frames_small() -> None:
    with ace_gentl.open(sim=True, device_xml=MAPS["legacy_names"]) as session:
        settings = prepare(session)
        assert Setting("Height", SMALL_HEIGHT) in settings and Setting("Width", 1280) in settings
    with ace_gentl.open(sim=True, device_xml=MAPS["bitfields_structreg"]) as session:
        assert "Height" not in session.features
        assert prepare(session) == [Setting("SimImageHeight", SMALL_HEIGHT, module="device")]
        assert session.device_features["SimImageHeight"] == SMALL_HEIGHT
    assert Setting("SimImageHeight", 64, module="device").cli() == ["--device-set", "SimImageHeight=64"]
