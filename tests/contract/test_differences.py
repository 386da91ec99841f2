"""What explains a difference between two snapshots (differences.py), and that an unexplained one is caught."""

from __future__ import annotations

from typing import Any

import ace_gentl
from contract.differences import explain, explained_diff
from contract.targets import needs_ci_producers


def _snapshot(features: dict[str, Any], writable: list[str], selected: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"format": "ace_gentl.snapshot", "version": 1, "device": {}, "features": features,
            "selected": selected or {}, "writable": writable, "unreadable": {}, "notes": {}}


def test_each_kind_of_explanation() -> None:
    writable = {"ExposureTime", "CounterValue", "Gain"}
    assert explain("Gain", {"Gain"}, writable) == "changed by itself between two captures"
    assert explain("CounterValue[CounterSelector=Counter1]", set(), writable).startswith("changes by itself")
    assert explain("DeviceTemperature", set(), writable).startswith("changes by itself")
    assert explain("ResultingFrameRate", set(), writable) == "read-only: a value the device derives"
    assert explain("ExposureTime", set(), writable) == ""


def test_a_changed_setting_is_unexplained_and_the_rest_explained() -> None:
    before = _snapshot({"ExposureTime": 1000.0, "ResultingFrameRate": 20.0, "Gain": 0.0}, ["ExposureTime", "Gain"],
                       {"CounterValue": [{"selectors": {"CounterSelector": "Counter1"}, "value": 5}]})
    after = _snapshot({"ExposureTime": 2000.0, "ResultingFrameRate": 19.0, "Gain": 0.0}, ["ExposureTime", "Gain"],
                      {"CounterValue": [{"selectors": {"CounterSelector": "Counter1"}, "value": 9}]})
    found = {d.label: d for d in explained_diff(before, after, set())}
    assert set(found) == {"ExposureTime", "ResultingFrameRate", "CounterValue[CounterSelector=Counter1]"}
    assert found["ExposureTime"].explanation == "" and "UNEXPLAINED" in str(found["ExposureTime"])
    assert found["ResultingFrameRate"].explanation and found["CounterValue[CounterSelector=Counter1]"].explanation


@needs_ci_producers
def test_a_setting_changed_on_the_simulator_is_caught() -> None:
    """The check the contract makes can fail: a real change of a setting between two snapshots is unexplained."""
    with ace_gentl.open(sim=True) as session:
        first = session.snapshot()
        session.ExposureTime = first["features"]["ExposureTime"] * 2
        second = session.snapshot()
    unexplained = [d.label for d in explained_diff(first, second, set()) if not d.explanation]
    assert unexplained == ["ExposureTime"]
