"""Vendor-neutral (SFNC) feature names on cameras that only have older names.

Each SFNC name lists the older names that mean the same thing, in order of preference,
with how to convert. :func:`resolve` picks the first one a node map really has; the
:class:`Resolution` says which node is used, so the Session can tell the user.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

#: Microseconds per unit of the time units GenICam XMLs use (exact factors: 12.5 ms is 12500.0 us, not
#: 12500.000000000002 as seconds / 1e-6 would give).
_TIME_UNITS_US = {"s": 1e6, "ms": 1e3, "us": 1.0, "µs": 1.0, "μs": 1.0, "ns": 1e-3}


@dataclass(frozen=True)
class Alias:
    """An older name for an SFNC feature; ``scale_node`` names a node whose value multiplies the raw value."""

    node: str
    scale_node: str | None = None
    raw_units: bool = False  # the value is in device units with no standard conversion (GainRaw)
    time: bool = False  # convert between the SFNC unit (µs) and the node's declared time unit


#: SFNC name -> older names, best first. The SFNC name itself is always tried first.
ALIASES: dict[str, tuple[Alias, ...]] = {
    "ExposureTime": (Alias("ExposureTimeAbs", time=True), Alias("ExposureTimeRaw", scale_node="ExposureTimeBaseAbs")),
    "Gain": (Alias("GainAbs"), Alias("GainRaw", raw_units=True)),
    "BlackLevel": (Alias("BlackLevelAbs"), Alias("BlackLevelRaw", raw_units=True)),
    "AcquisitionFrameRate": (Alias("AcquisitionFrameRateAbs"),),
    "ResultingFrameRate": (Alias("ResultingFrameRateAbs"),),
    "AcquisitionFrameRateEnable": (Alias("AcquisitionFrameRateEnabled"),),
    "Gamma": (Alias("GammaAbs"),),
    "SensorReadoutTime": (Alias("ReadoutTimeAbs", time=True),),
    "DeviceVendorName": (Alias("VendorName"),),
    "DeviceModelName": (Alias("ModelName"),),
    "DeviceSerialNumber": (Alias("DeviceID"),),
    "DeviceFirmwareVersion": (Alias("FirmwareVersion"),),
    "DeviceUserID": (Alias("UserDefinedName"),),
    "DeviceTemperature": (Alias("TemperatureAbs"),),
    "TriggerDelay": (Alias("TriggerDelayAbs", time=True),),
    "LineDebouncerTime": (Alias("LineDebouncerTimeAbs", time=True),),
    "BalanceRatio": (Alias("BalanceRatioAbs"),),
    "DeviceReset": (Alias("DeviceRst"),),
    # GigE Vision cameras before SFNC 2.0: the same counter, in the same ticks.
    "TimestampLatch": (Alias("GevTimestampControlLatch"),),
    "TimestampReset": (Alias("GevTimestampControlReset"),),
    "TimestampLatchValue": (Alias("GevTimestampValue"),),
}

#: The unit the SFNC name is expressed in, where the alias may use another one.
SFNC_TIME_UNIT = "us"


@dataclass(frozen=True)
class Resolution:
    """How a requested name maps onto the node map."""

    requested: str
    node: str
    to_user: Callable[[float], float] | None = None  # node value -> SFNC value
    to_node: Callable[[float], float] | None = None  # SFNC value -> node value
    note: str = ""

    @property
    def is_alias(self) -> bool:
        return self.node != self.requested


def _divided_by(divisor: float, value: float) -> float:
    return value / divisor


def time_factor(unit: str) -> float | None:
    """Node-unit to microseconds factor for a declared time unit, or None if not a time unit."""
    return _TIME_UNITS_US.get(unit.strip())


def resolve(requested: str, has_node: Callable[[str], bool], has_any_node: Callable[[str], bool],
            read_number: Callable[[str], float], unit_of: Callable[[str], str]) -> Resolution | None:
    """The node that serves ``requested`` (itself or an older alias), or None if there is none.

    ``has_node`` says whether a feature exists, ``has_any_node`` whether any node of that
    name exists (scale nodes are often hidden, outside every category), ``read_number``
    reads a scale node and ``unit_of`` returns a node's declared unit.
    """
    if has_node(requested):
        return Resolution(requested, requested)
    for alias in ALIASES.get(requested, ()):
        if not has_node(alias.node):
            continue
        if alias.scale_node is not None:
            if has_any_node(alias.scale_node):
                scale_node = alias.scale_node

                def to_user(raw: float, _n: str = scale_node) -> float:
                    return raw * read_number(_n)

                def to_node(value: float, _n: str = scale_node) -> float:
                    return value / read_number(_n)

                return Resolution(requested, alias.node, to_user, to_node,
                                  f"{requested} = {alias.node} x {scale_node}")
            return Resolution(requested, alias.node, None, None,
                              f"{alias.node} is in time-base units; {alias.scale_node} is missing, so no conversion")
        if alias.time:
            factor = time_factor(unit_of(alias.node) or SFNC_TIME_UNIT)
            if factor is not None and factor != 1.0:
                return Resolution(requested, alias.node, functools.partial(operator.mul, factor),
                                  functools.partial(_divided_by, factor),
                                  f"{requested} [us] = {alias.node} [{unit_of(alias.node)}] x {factor:g}")
        note = (f"{alias.node} is in raw device units (no standard conversion to {requested}'s unit)"
                if alias.raw_units else f"{requested} is served by {alias.node}")
        return Resolution(requested, alias.node, note=note)
    return None


__all__ = ["ALIASES", "Alias", "Resolution", "resolve", "time_factor"]
