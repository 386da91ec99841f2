"""Device time against host time: the fit of TimestampLatch readings (ace_gentl.recording.timebase)."""

from __future__ import annotations

import numpy as np
import pytest

from ace_gentl.recording import timebase

HOST0 = 1_790_000_000_000_000_000  # ns since 1970: beyond a double's integers, as real host times are


def readings(drift_ppm: float, offset_ns: int, *, count: int = 13, span_s: float = 60.0, latency_ns: int = 40_000,
             seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latch readings of a clock with ``drift_ppm`` and ``offset_ns``; each latch happens at a random moment
    between its two host readings, ``latency_ns`` apart."""
    rng = np.random.default_rng(seed)
    before = HOST0 + np.linspace(0, span_s * 1e9, count).astype(np.int64)
    after = before + latency_ns
    at = before + rng.integers(0, latency_ns, count)
    device = offset_ns + ((at - HOST0).astype(np.float64) * (1 + drift_ppm * 1e-6)).astype(np.int64)
    return before, after, device


@pytest.mark.parametrize("drift_ppm", [-47.3, 0.0, 12.5, 250.0])
def test_the_drift_is_recovered_within_a_ppm_over_a_minute(drift_ppm: float) -> None:
    fitted = timebase.fit(*readings(drift_ppm, 5_000_000_000))
    assert fitted is not None and fitted.samples == 13 and fitted.span_s == pytest.approx(60.0)
    assert abs(fitted.drift_ppm - drift_ppm) < 1.0, fitted
    assert fitted.latch_uncertainty_ns == 20_000


def test_device_times_map_back_to_host_times_within_the_latch_uncertainty() -> None:
    before, after, device = readings(31.0, -2_000_000_000)
    fitted = timebase.fit(before, after, device)
    assert fitted is not None
    # a frame exposed 30 s in: its device time, then back to the host time base
    true_host = HOST0 + 30_000_000_000
    frame_device = -2_000_000_000 + int(30_000_000_000 * (1 + 31e-6))
    estimate = fitted.host_time(np.array([frame_device], dtype=np.int64))[0]
    assert abs(int(estimate) - true_host) < 40_000


def test_one_reading_gives_an_offset_without_drift_and_none_gives_nothing() -> None:
    before, after, device = readings(10.0, 7, count=1)
    fitted = timebase.fit(before, after, device)
    assert fitted is not None and fitted.slope == 1.0 and fitted.span_s == 0.0
    assert timebase.fit(np.array([], np.int64), np.array([], np.int64), np.array([], np.int64)) is None


def test_a_latch_that_does_not_move_is_no_clock() -> None:
    before, after, _ = readings(0.0, 0)
    assert timebase.fit(before, after, np.full(before.size, 5, np.int64)) is None
