"""A stand-in for a function generator wired to the simulated cameras' trigger inputs."""

from __future__ import annotations

from collections.abc import Iterable

from ophyd_async.core import Device, soft_signal_rw

from ace_gentl.bluesky.detector import GenTLDetector


class SimLinePulser(Device):
    """Pulse trains on one input line of simulated cameras: ``bps.mv(pulser.frequency, 100)``; 0 stops.

    Each simulated camera has its own input (Device-module SimLineSelector/SimLinePulseFrequency):
    the trains are started one camera after the other, within a few milliseconds, not on one wire.
    """

    def __init__(self, detectors: Iterable[GenTLDetector], line: str = "Line1", name: str = "") -> None:
        self._detectors = list(detectors)
        self._line = line
        self.frequency = soft_signal_rw(float, 0.0, units="Hz", setter=self._start)  # type: ignore[arg-type]
        super().__init__(name=name)

    async def _start(self, frequency_hz: float) -> None:
        for detector in self._detectors:
            await detector.worker.run(detector.controller.sim_pulses, self._line, frequency_hz)


__all__ = ["SimLinePulser"]
