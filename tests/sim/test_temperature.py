"""Issue point 7: DeviceTemperature follows a first-order model of the data rate; TemperatureState and
the temperature events follow it.  ACE_SIM_THERMAL_TAU_S / ACE_SIM_THERMAL_RISE_C (read when the
producer creates its cameras) make it fast enough to watch."""

from __future__ import annotations

import math
import time

import pytest
from sim_controls import EventRecorder, sim_camera, sim_env  # noqa: F401
import itertools

pytestmark = pytest.mark.usefixtures("sim_env")

T_IDLE = 41.5
T_CRIT = 72.0
T_ERROR = 80.0
USB_CEILING = 380e6


def _temp_at(cam) -> tuple[float, int, int]:
    """DeviceTemperature and the device-time bracket of the read."""
    t0 = cam.now_ns()
    temp = cam.get("DeviceTemperature")
    t1 = cam.now_ns()
    return temp, t0, t1


def test_idle_camera_stays_at_the_idle_temperature(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_THERMAL_TAU_S", "0.2")
    monkeypatch.setenv("ACE_SIM_THERMAL_RISE_C", "60")
    with sim_camera() as cam:
        cam.nm.DeviceTemperatureSelector.value = "Coreboard"
        assert cam.get("DeviceTemperature") == pytest.approx(T_IDLE, abs=1e-6)
        time.sleep(0.3)
        assert cam.get("DeviceTemperature") == pytest.approx(T_IDLE, abs=1e-6)
        assert cam.get("TemperatureState") == "Ok"


def test_default_time_constant_is_slow() -> None:
    with sim_camera(width=4096, height=480) as cam:
        cam.start()
        for _ in range(20):
            cam.fetch()
        # tau 600 s: after ~0.2 s of streaming the rise is well below 0.1 C
        assert T_IDLE <= cam.get("DeviceTemperature") < T_IDLE + 0.1
        assert cam.get("TemperatureState") == "Ok"


def test_temperature_rises_first_order_settles_and_raises_events(monkeypatch: pytest.MonkeyPatch) -> None:
    tau, rise = 0.5, 60.0
    monkeypatch.setenv("ACE_SIM_THERMAL_TAU_S", str(tau))
    monkeypatch.setenv("ACE_SIM_THERMAL_RISE_C", str(rise))
    with sim_camera(events=True, width=4096, height=480, num_buffers=8) as cam:
        cam.set(ExposureTime=1000.0)
        cam.enable_events("CriticalTemperature", "OverTemperature")
        rec = EventRecorder(cam, ["CriticalTemperature", "OverTemperature"])
        assert cam.get("TemperatureState") == "Ok"
        a0 = cam.now_ns()
        cam.start()
        a1 = cam.now_ns()
        rate = cam.get("DeviceLinkCurrentThroughput")
        t_ss = T_IDLE + rise * rate / USB_CEILING
        assert t_ss > T_ERROR + 1, "this setting must heat the camera into Error"

        def model(t_ns: int, start_ns: int) -> float:
            return t_ss + (T_IDLE - t_ss) * math.exp(-(t_ns - start_ns) / 1e9 / tau)

        samples = []
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            cam.try_fetch(timeout=0.05)
            samples.append(_temp_at(cam))
        # first-order: every sample lies between the model at the read's bracket, started at a1 / a0
        for temp, t0, t1 in samples:
            lo, hi = model(t0, a1), model(t1, a0)
            assert lo - 0.01 <= temp <= hi + 0.01, (temp, lo, hi, (t0 - a0) / 1e9)
        temps = [tp for tp, _, _ in samples]
        assert all(b >= a for a, b in itertools.pairwise(temps)), "monotonic while heating"
        while time.monotonic() < deadline + 2.4:  # ~6 tau in all
            cam.try_fetch(timeout=0.05)
        settled = cam.get("DeviceTemperature")
        assert settled == pytest.approx(t_ss, abs=0.02 * (t_ss - T_IDLE))
        assert cam.get("TemperatureState") == "Error"
        crit = rec.wait_for("CriticalTemperature", 1)
        over = rec.wait_for("OverTemperature", 1)
        assert len(crit) == 1 and len(over) == 1, "one event per upward crossing"

        def crossing(threshold: float, start: int) -> float:
            return start + tau * 1e9 * math.log((t_ss - T_IDLE) / (t_ss - threshold))

        assert crossing(T_CRIT, a0) - 1e3 <= crit[0][0] <= crossing(T_CRIT, a1) + 1e3
        assert crossing(T_ERROR, a0) - 1e3 <= over[0][0] <= crossing(T_ERROR, a1) + 1e3
        # cooling after the stop
        cam.stop()
        time.sleep(4 * tau)
        cooled = cam.get("DeviceTemperature")
        assert T_IDLE < cooled < T_IDLE + 0.05 * (t_ss - T_IDLE)
        assert cam.get("TemperatureState") == "Ok"


def test_steady_state_grows_with_the_data_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_THERMAL_TAU_S", "0.1")
    monkeypatch.setenv("ACE_SIM_THERMAL_RISE_C", "20")
    results = []
    with sim_camera(width=4096, height=480, num_buffers=8) as cam:
        cam.set(ExposureTime=1000.0, AcquisitionFrameRateEnable=True)
        for fps in (20.0, 80.0):
            cam.set(AcquisitionFrameRate=fps)
            rate = cam.get("DeviceLinkCurrentThroughput")
            cam.start()
            t_end = time.monotonic() + 1.0  # 10 tau
            while time.monotonic() < t_end:
                cam.try_fetch(timeout=0.05)
            results.append((rate, cam.get("DeviceTemperature")))
            cam.stop()
            time.sleep(1.0)
    for rate, temp in results:
        assert temp == pytest.approx(T_IDLE + 20 * rate / USB_CEILING, abs=0.05)
    assert results[1][1] > results[0][1] + 2
