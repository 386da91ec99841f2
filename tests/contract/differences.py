"""Explaining the differences between two snapshots of one camera.

A difference is explained when the feature changes by itself (seen changing between two
captures with nothing written in between, or named like a clock, a temperature or a counter),
or when it is read-only (a value the device derives, e.g. ResultingFrameRate). Anything else
is a setting that snapshot -> apply -> snapshot did not give back: the contract fails on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ace_gentl

#: Parts of SFNC names of values that move by themselves, writable ones included (CounterValue, TimerValue).
DRIFTING_NAMES = ("Timestamp", "Temperature", "Uptime", "CounterValue", "TimerValue", "Throughput", "Chunk",
                  "Event")


@dataclass(frozen=True)
class Difference:
    label: str
    before: Any
    after: Any
    explanation: str  # "" when nothing explains it

    def __str__(self) -> str:
        why = self.explanation or "UNEXPLAINED"
        return f"{self.label}: {self.before!r} -> {self.after!r} ({why})"


def drifting(session: ace_gentl.Session) -> tuple[dict[str, Any], set[str]]:
    """A snapshot, and the labels that changed between it and a second one taken right after (nothing written)."""
    first = session.snapshot()
    second = session.snapshot()
    return second, set(ace_gentl.diff(first, second))


def base_name(label: str) -> str:
    return label.split("[", 1)[0]


def explain(label: str, moved: set[str], writable: set[str]) -> str:
    name = base_name(label)
    if label in moved or name in moved:
        return "changed by itself between two captures"
    if any(part in name for part in DRIFTING_NAMES):
        return "changes by itself (a clock, temperature, counter, chunk or event value)"
    if name not in writable:
        return "read-only: a value the device derives"
    return ""


def explained_diff(before: Mapping[str, Any], after: Mapping[str, Any], moved: set[str]) -> list[Difference]:
    """Every difference between two snapshots, each with its explanation ("" when there is none)."""
    writable = set(before.get("writable", ())) | set(after.get("writable", ()))
    return [Difference(label, a, b, explain(label, moved, writable))
            for label, (a, b) in ace_gentl.diff(before, after).items()]


__all__ = ["DRIFTING_NAMES", "Difference", "base_name", "drifting", "explain", "explained_diff"]
