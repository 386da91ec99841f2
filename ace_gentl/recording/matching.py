"""Which frame of each camera belongs to which trigger: the rig's matching table.

For every trigger (a leader frame in hardware sync and free run, a broadcast in software sync)
the table holds, per camera, the index of its frame in that camera's ``data``, or -1 where it
has none. Frames are matched by time: each camera's frame times on the host time base (from
its clock fit, else the host clock at which the frame was taken) against the trigger times, after
removing the camera's constant latency (the median of the first pairings), within a tolerance of
a quarter of the trigger period. Where both sides carry trigger counters in their chunk data
(leader: frames started, follower: triggers received), the counters must tell the same: a frame
whose counter says another trigger than its time is *doubtful*. A camera that missed a trigger
therefore shows -1 there, never a shifted match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class CameraTimes:
    """One camera's frames as the matching sees them."""

    name: str
    times_ns: np.ndarray  # host time base, int64, one per frame in data order
    counters: np.ndarray | None = None  # a trigger counter per frame (chunk data), or None


@dataclass
class Matching:
    table: np.ndarray  # (triggers, cameras) int64: frame index or -1
    doubtful: np.ndarray  # (triggers,) bool: some camera's frame for it is uncertain
    summary: dict[str, Any] = field(default_factory=dict)


def _period(times: np.ndarray) -> float:
    if times.size < 2:
        return 0.0
    return float(np.median(np.diff(times.astype(np.int64))))


def _pair(triggers: np.ndarray, frames: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """For each trigger the nearest frame within ``tolerance`` (each frame used once), and the doubtful ones."""
    result = np.full(triggers.size, -1, dtype=np.int64)
    doubtful = np.zeros(triggers.size, dtype=bool)
    if frames.size == 0 or triggers.size == 0:
        return result, doubtful
    order = np.searchsorted(frames, triggers)
    used = np.zeros(frames.size, dtype=bool)
    for k, position in enumerate(order):
        best, best_distance, candidates = -1, tolerance, 0
        for j in (position - 1, position):
            if 0 <= j < frames.size:
                distance = abs(float(frames[j]) - float(triggers[k]))
                if distance <= tolerance:
                    candidates += 1
                    if distance < best_distance or best < 0:
                        best, best_distance = j, distance
        if best >= 0 and not used[best]:
            result[k] = best
            used[best] = True
            doubtful[k] = candidates > 1
    return result, doubtful


def match(trigger_times_ns: np.ndarray, cameras: list[CameraTimes], *, mode: str,
          trigger_counters: np.ndarray | None = None, leader: int | None = 0) -> Matching:
    """The matching table for ``cameras`` against the triggers (host time base, ns)."""
    triggers = np.asarray(trigger_times_ns, dtype=np.int64)
    period = _period(triggers)
    tolerance = period / 4 if period > 0 else 1e9
    if mode == "free-run":
        tolerance = period / 2 if period > 0 else 1e9  # unsynchronised: the nearest frame, said to be so
    table = np.full((triggers.size, len(cameras)), -1, dtype=np.int64)
    doubtful = np.zeros(triggers.size, dtype=bool)
    summary: dict[str, Any] = {"mode": mode, "triggers": int(triggers.size), "tolerance_ns": tolerance,
                               "cameras": {}}
    for index, camera in enumerate(cameras):
        times = np.asarray(camera.times_ns, dtype=np.int64)
        if index == leader and mode != "software" and times.size == triggers.size:
            table[:, index] = np.arange(times.size)  # the leader's frames are the triggers
            summary["cameras"][camera.name] = {"frames": int(times.size), "matched": int(times.size), "missing": 0,
                                               "extra": 0, "doubtful": 0, "latency_ns": 0.0, "by": "leader"}
            continue
        # The camera's constant latency (cable, exposure start, residual clock offset): the median
        # distance of each frame to its nearest trigger, over the frames.
        if times.size and triggers.size:
            nearest = triggers[np.clip(np.searchsorted(triggers, times), 0, triggers.size - 1)]
            previous = triggers[np.clip(np.searchsorted(triggers, times) - 1, 0, triggers.size - 1)]
            closest = np.where(np.abs(times - nearest) < np.abs(times - previous), nearest, previous)
            latency = float(np.median(times - closest))
        else:
            latency = 0.0
        paired, uncertain = _pair(triggers + int(round(latency)), times, tolerance)
        by = "time"
        if camera.counters is not None and trigger_counters is not None and paired.size:
            # Counters, where both sides have them, must agree with the times: the offset between the
            # camera's counter and the trigger's stays as it was, except that it may fall behind by
            # the triggers without a frame since the last matched one (an edge the cable lost was
            # counted by nobody; a trigger the camera missed was counted and shows no step).
            matched = paired >= 0
            if matched.any():
                offsets = camera.counters[paired[matched]].astype(np.int64) - trigger_counters[matched].astype(np.int64)
                usual = int(np.median(offsets))
                disagree = np.zeros_like(matched)
                agreed = np.zeros(offsets.size, dtype=bool)
                where = np.flatnonzero(matched)
                gaps = np.diff(where, prepend=where[0]) - 1  # triggers without a frame before each one
                gaps[0] = 0
                # the first frame's offset is the reference if the next frame agrees with it, else the usual one
                first_ok = offsets.size == 1 or offsets[0] - gaps[1] <= offsets[1] <= offsets[0]
                expected = int(offsets[0]) if first_ok else usual
                for n in range(offsets.size):
                    if expected - gaps[n] <= offsets[n] <= expected:
                        expected = int(offsets[n])
                        agreed[n] = True
                disagree[matched] = ~agreed
                uncertain |= disagree
                by = "time, checked by counters"
        table[:, index] = paired
        doubtful |= uncertain
        matched_count = int(np.sum(paired >= 0))
        summary["cameras"][camera.name] = {
            "frames": int(times.size), "matched": matched_count, "missing": int(np.sum(paired < 0)),
            "extra": int(times.size - matched_count), "doubtful": int(np.sum(uncertain)), "latency_ns": latency,
            "by": by}
    # Triggers after the run had all its frames (sent while the cameras were being stopped) hold no frame.
    keep = table.shape[0]
    while keep and np.all(table[keep - 1] < 0):
        keep -= 1
    if keep < table.shape[0]:
        summary["triggers_after_the_last_frame"] = int(table.shape[0] - keep)
        table, doubtful = table[:keep], doubtful[:keep]
        for camera_summary in summary["cameras"].values():
            camera_summary["missing"] = int(camera_summary["missing"]) - summary["triggers_after_the_last_frame"]
        summary["triggers"] = keep
    if mode == "free-run":
        summary["note"] = "free run: the cameras were not synchronised; frames are paired by nearest time only"
    summary["doubtful_triggers"] = int(np.sum(doubtful))
    summary["complete_triggers"] = int(np.sum(np.all(table >= 0, axis=1)))
    return Matching(table=table, doubtful=doubtful, summary=summary)


__all__ = ["CameraTimes", "Matching", "match"]
