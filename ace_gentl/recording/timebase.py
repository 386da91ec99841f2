"""Device time against host time: a straight-line fit of TimestampLatch readings.

Each reading is (host clock before the latch, device clock latched, host clock after reading it
back); the latch happened somewhere in between, so the midpoint is taken and half the span is its
uncertainty. A least-squares line device = offset + slope * host over all readings gives the
device clock's drift (slope - 1, in ppm) and maps every frame's device timestamp to an estimated
host time. Integers are shifted to the first reading before any floating point: ns since 1970
are ~1.8e18, beyond a double's 53 bits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ClockFit:
    """device_ns = device_ref + slope * (host_ns - host_ref); ``host_ref`` is ns since 1970."""

    host_ref: int
    device_ref: int
    slope: float
    samples: int
    span_s: float  # host time between the first and the last reading
    residual_rms_ns: float
    latch_uncertainty_ns: float  # the largest half-span of a reading

    @property
    def drift_ppm(self) -> float:
        return (self.slope - 1.0) * 1e6

    @property
    def offset_ns(self) -> int:
        """Device time minus host time (ns since 1970) at the first reading."""
        return self.device_ref - self.host_ref

    def host_time(self, device_ns: np.ndarray) -> np.ndarray:
        """Estimated host times (int64 ns since 1970) of device timestamps."""
        device = np.asarray(device_ns).astype(np.int64) - np.int64(self.device_ref)
        return np.int64(self.host_ref) + np.round(device.astype(np.float64) / self.slope).astype(np.int64)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "drift_ppm": self.drift_ppm, "offset_ns": self.offset_ns}


#: A device clock further from the host's than this is not a clock that counts ns (a latch that
#: does not move, another unit): no fit is made. Real oscillators are within ~100 ppm.
MAX_DRIFT_PPM = 10_000.0


def fit(host_before: np.ndarray, host_after: np.ndarray, device: np.ndarray) -> ClockFit | None:
    """The line through the readings; None without any, or when the device clock does not count ns.

    One reading gives slope 1 (no drift known).
    """
    before = np.asarray(host_before, dtype=np.int64)
    after = np.asarray(host_after, dtype=np.int64)
    dev = np.asarray(device, dtype=np.int64)
    if before.size == 0:
        return None
    host_ref, device_ref = int(before[0]), int(dev[0])
    host = (before - host_ref).astype(np.float64) + (after - before).astype(np.float64) / 2
    dev_rel = (dev - device_ref).astype(np.float64)
    uncertainty = float(np.max(after - before)) / 2
    if before.size == 1 or float(host.max() - host.min()) <= 0:
        return ClockFit(host_ref=host_ref, device_ref=device_ref + int(round(-host[0])), slope=1.0, samples=int(before.size),
                        span_s=0.0, residual_rms_ns=0.0, latch_uncertainty_ns=uncertainty)
    weights = 1.0 / np.maximum(1.0, (after - before).astype(np.float64)) ** 2  # tight readings count more
    # Weighted least squares in closed form, about the weighted means: np.polyfit would call LAPACK,
    # whose OpenBLAS threads then spin on the other core (5 % of a recording's start-up CPU, measured).
    host_mean = float(np.average(host, weights=weights))
    dev_mean = float(np.average(dev_rel, weights=weights))
    slope = float(np.sum(weights * (host - host_mean) * (dev_rel - dev_mean)) / np.sum(weights * (host - host_mean) ** 2))
    intercept = dev_mean - slope * host_mean
    if not abs(slope - 1.0) * 1e6 <= MAX_DRIFT_PPM:
        return None
    residual = dev_rel - (intercept + slope * host)
    return ClockFit(host_ref=host_ref, device_ref=device_ref + int(round(intercept)), slope=float(slope),
                    samples=int(before.size), span_s=float(host.max() - host.min()) * 1e-9,
                    residual_rms_ns=float(np.sqrt(np.mean(residual ** 2))), latch_uncertainty_ns=uncertainty)


__all__ = ["ClockFit", "MAX_DRIFT_PPM", "fit"]
