"""Issue point 8: ExposureAuto / GainAuto Once and Continuous converge on AutoTargetBrightness
within the Auto limits.  The brightness is checked on the delivered image; the values per frame
come from the chunks (ChunkExposureTime, ChunkGain)."""

from __future__ import annotations

import numpy as np
import pytest
from sim_controls import REFUSED, sim_camera, sim_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("sim_env")

CHUNKS = ("ChunkExposureTime", "ChunkGain")


def _brightness(frame) -> float:
    return float(np.asarray(frame.image, dtype=np.float64).mean() / 255.0)


def _frames(cam, n: int):
    return [cam.fetch(timeout=5, chunks=CHUNKS) for _ in range(n)]


def _setup(cam, target: float) -> None:
    cam.set(AutoTargetBrightness=target, ExposureTime=1000.0, Gain=0.0,
            AcquisitionFrameRateEnable=True, AcquisitionFrameRate=60.0)
    cam.enable_chunks("ExposureTime", "Gain")


@pytest.mark.parametrize("target", [0.25, 0.5, 0.7])
def test_exposure_auto_once_converges_and_returns_to_off(target: float) -> None:
    with sim_camera(width=1024, height=480) as cam:
        _setup(cam, target)
        cam.set(ExposureAuto="Once")
        cam.start()
        frames = _frames(cam, 8)
        assert cam.get("ExposureAuto") == "Off", "Once returns to Off when done"
        settled = _frames(cam, 3)
        cam.stop()
    assert abs(_brightness(settled[-1]) - target) <= 0.03, (_brightness(settled[-1]), target)
    assert all(f.chunks["ChunkGain"] == 0.0 for f in frames + settled), "ExposureAuto alone leaves Gain"
    exps = [f.chunks["ChunkExposureTime"] for f in settled]
    assert len(set(exps)) == 1, "nothing changes after Once finished"
    assert all(100.0 <= f.chunks["ChunkExposureTime"] <= 100_000.0 for f in frames + settled)


def test_continuous_exposure_and_gain_follow_a_target_change() -> None:
    with sim_camera(width=1024, height=480) as cam:
        _setup(cam, 0.3)
        cam.set(ExposureAuto="Continuous", GainAuto="Continuous")
        cam.start()
        _frames(cam, 10)
        b1 = _brightness(_frames(cam, 1)[0])
        cam.set(AutoTargetBrightness=0.6)
        frames = _frames(cam, 12)
        assert cam.get("ExposureAuto") == "Continuous" and cam.get("GainAuto") == "Continuous"
        cam.stop()
    assert abs(b1 - 0.3) <= 0.03
    assert abs(_brightness(frames[-1]) - 0.6) <= 0.03
    # MinimizeGain (default): exposure does the work, gain stays at its lower limit
    assert frames[-1].chunks["ChunkGain"] <= 0.01, "only the exposure's rounding residue may go to gain"


def test_limits_are_respected_and_gain_takes_the_rest_with_minimize_gain() -> None:
    with sim_camera(width=1024, height=480) as cam:
        _setup(cam, 0.6)
        cam.set(AutoExposureTimeLowerLimit=200.0, AutoExposureTimeUpperLimit=300.0,
                AutoGainLowerLimit=1.0, AutoGainUpperLimit=30.0, AutoFunctionProfile="MinimizeGain")
        cam.set(ExposureAuto="Continuous", GainAuto="Continuous")
        cam.start()
        frames = _frames(cam, 15)
        cam.stop()
    for f in frames[3:]:  # frames 1-2 started exposing before the first measurement
        assert 200.0 <= f.chunks["ChunkExposureTime"] <= 300.0, f.chunks
        assert 1.0 <= f.chunks["ChunkGain"] <= 30.0, f.chunks
    last = frames[-1]
    assert last.chunks["ChunkExposureTime"] == 300.0, "exposure first, up to its upper limit"
    assert last.chunks["ChunkGain"] > 1.0
    assert abs(_brightness(last) - 0.6) <= 0.03


def test_minimize_exposure_time_profile_uses_gain_first() -> None:
    with sim_camera(width=1024, height=480) as cam:
        _setup(cam, 0.5)
        cam.set(AutoExposureTimeLowerLimit=100.0, AutoExposureTimeUpperLimit=50_000.0,
                AutoGainLowerLimit=0.0, AutoGainUpperLimit=48.0, AutoFunctionProfile="MinimizeExposureTime")
        cam.set(ExposureAuto="Continuous", GainAuto="Continuous")
        cam.start()
        frames = _frames(cam, 15)
        cam.stop()
    last = frames[-1]
    assert abs(_brightness(last) - 0.5) <= 0.03
    assert last.chunks["ChunkExposureTime"] == 100.0 or last.chunks["ChunkGain"] == 48.0, \
        f"MinimizeExposureTime keeps exposure at its lower limit while gain has room: {last.chunks}"


def test_unreachable_target_stops_once_at_the_limit() -> None:
    with sim_camera(width=1024, height=480) as cam:
        _setup(cam, 0.8)
        cam.set(AutoExposureTimeLowerLimit=19.0, AutoExposureTimeUpperLimit=50.0)
        cam.set(ExposureAuto="Once")
        cam.start()
        frames = _frames(cam, 35)
        assert cam.get("ExposureAuto") == "Off"
        cam.stop()
    assert frames[-1].chunks["ChunkExposureTime"] == 50.0
    assert _brightness(frames[-1]) < 0.8 - 0.02


def test_auto_roi_selects_the_measured_region() -> None:
    """A dark region (left edge of the scene vs. the whole image) changes where the auto settles."""
    with sim_camera(width=1024, height=480) as cam:
        cam.set(OffsetX=0, OffsetY=0)
        _setup(cam, 0.4)
        cam.sel("AutoFunctionROISelector", "ROI1")
        cam.set(AutoFunctionROIUseBrightness=True, AutoFunctionROIOffsetX=0, AutoFunctionROIOffsetY=0,
                AutoFunctionROIWidth=256, AutoFunctionROIHeight=240)
        cam.set(ExposureAuto="Once")
        cam.start()
        frames = _frames(cam, 10)
        cam.stop()
    img = np.asarray(frames[-1].image, dtype=np.float64).reshape(480, 1024)
    assert abs(img[:240:4, :256:4].mean() / 255 - 0.4) <= 0.03


def test_chunk_exposure_and_gain_describe_the_image_they_come_with() -> None:
    """The sensor is linear in ExposureTime x 10^(Gain/20): brightness / that product is the same for
    every frame while the auto function changes the settings, if the chunk values belong to the image."""
    with sim_camera(width=1024, height=480) as cam:
        _setup(cam, 0.6)
        cam.set(AutoExposureTimeLowerLimit=200.0, AutoExposureTimeUpperLimit=300.0,
                AutoGainLowerLimit=1.0, AutoGainUpperLimit=30.0)
        cam.set(ExposureAuto="Continuous", GainAuto="Continuous")
        cam.start()
        frames = _frames(cam, 6)
        cam.stop()
    ratios = [_brightness(f) / (f.chunks["ChunkExposureTime"] * 10 ** (f.chunks["ChunkGain"] / 20)) for f in frames]
    detail = [(f.frame_id, round(_brightness(f), 3), f.chunks["ChunkExposureTime"], round(f.chunks["ChunkGain"], 2))
              for f in frames]
    assert max(ratios) / min(ratios) < 1.1, f"(frame, brightness, ChunkExposureTime, ChunkGain): {detail}"


def test_limit_writes_lower_above_upper_are_refused() -> None:
    with sim_camera() as cam:
        cam.set(AutoExposureTimeUpperLimit=1000.0)
        with pytest.raises(REFUSED):
            cam.nm.AutoExposureTimeLowerLimit.value = 2000.0
        cam.set(AutoGainUpperLimit=10.0)
        with pytest.raises(REFUSED):
            cam.nm.AutoGainLowerLimit.value = 12.0
        with pytest.raises(REFUSED):
            cam.nm.AutoTargetBrightness.value = 0.9
