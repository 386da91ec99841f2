"""Which frame of each camera belongs to which trigger (ace_gentl.recording.matching)."""

from __future__ import annotations

import numpy as np

from ace_gentl.recording.matching import CameraTimes, match

PERIOD = 42_700_000  # ns: 23.4 fps


def leader(count: int = 50) -> np.ndarray:
    return 1_000_000_000 + np.arange(count, dtype=np.int64) * PERIOD


def follower(triggers: np.ndarray, latency_ns: int, missed: set[int] = frozenset(), jitter_ns: int = 30_000,
             seed: int = 1) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    kept = [k for k in range(triggers.size) if k not in missed]
    times = triggers[kept] + latency_ns + rng.integers(-jitter_ns, jitter_ns, len(kept))
    return times.astype(np.int64), kept


def test_every_leader_frame_finds_its_follower_frame() -> None:
    triggers = leader()
    times, _ = follower(triggers, 150_000)
    result = match(triggers, [CameraTimes("leader", triggers), CameraTimes("f1", times)], mode="hardware")
    assert (result.table[:, 0] == np.arange(50)).all() and (result.table[:, 1] == np.arange(50)).all()
    assert result.summary["cameras"]["f1"]["missing"] == 0 and not result.doubtful.any()
    assert abs(result.summary["cameras"]["f1"]["latency_ns"] - 150_000) < 30_000


def test_a_missed_trigger_is_minus_one_never_a_shifted_match() -> None:
    triggers = leader()
    times, kept = follower(triggers, 150_000, missed={7, 8, 30})
    result = match(triggers, [CameraTimes("leader", triggers), CameraTimes("f1", times)], mode="hardware")
    column = result.table[:, 1]
    assert [k for k in range(50) if column[k] < 0] == [7, 8, 30]
    assert [int(column[k]) for k in kept] == list(range(len(kept)))  # every other frame on its own trigger
    assert result.summary["cameras"]["f1"]["missing"] == 3 and result.summary["complete_triggers"] == 47


def test_counters_that_disagree_with_the_times_mark_the_trigger_doubtful() -> None:
    triggers = leader(20)
    times, kept = follower(triggers, 150_000, missed={5})
    leader_counters = np.arange(1, 21)
    # The follower's counter missed the trigger's count too, but says it counted one more at frame 12.
    follower_counters = np.array([k + 1 for k in kept])
    follower_counters[12:] += 1
    result = match(triggers, [CameraTimes("leader", triggers, leader_counters),
                              CameraTimes("f1", times, follower_counters)], mode="hardware",
                   trigger_counters=leader_counters)
    assert result.summary["cameras"]["f1"]["by"] == "time, checked by counters"
    doubtful = [k for k in range(20) if result.doubtful[k]]
    assert doubtful and all(k >= 13 for k in doubtful)  # from where the counter disagrees
    assert result.table[5, 1] == -1


def test_a_counter_that_falls_behind_where_a_frame_is_missing_agrees_elsewhere_it_does_not() -> None:
    triggers = leader(20)
    times, kept = follower(triggers, 150_000, missed={5})
    leader_counters = np.arange(1, 21)
    # An edge the cable lost: the follower neither exposed nor counted trigger 5, so from there on its
    # counter is one behind the leader's; that agrees with the times.
    dropped = np.array([k + 1 if k < 5 else k for k in kept])
    result = match(triggers, [CameraTimes("leader", triggers, leader_counters), CameraTimes("f1", times, dropped)],
                   mode="hardware", trigger_counters=leader_counters)
    assert not result.doubtful.any() and result.table[5, 1] == -1
    # One behind from frame 12, where nothing is missing: a counter that contradicts the times.
    late = np.array([k + 1 for k in kept])
    late[12:] -= 1
    result = match(triggers, [CameraTimes("leader", triggers, leader_counters), CameraTimes("f1", times, late)],
                   mode="hardware", trigger_counters=leader_counters)
    doubtful = [k for k in range(20) if result.doubtful[k]]
    assert doubtful == list(range(13, 20)), doubtful  # from where the counter disagrees


def test_extra_frames_are_counted_and_triggers_after_the_last_frame_dropped() -> None:
    triggers = np.concatenate([leader(10), leader(12)[10:] + 5 * PERIOD])  # two triggers sent while stopping
    times, _ = follower(leader(10), 150_000)
    extra = np.concatenate([times, [times[-1] + PERIOD // 2]])  # a frame between triggers: no trigger's
    result = match(triggers, [CameraTimes("f1", extra)], mode="software", leader=None)
    assert result.table.shape == (10, 1) and result.summary["triggers_after_the_last_frame"] == 2
    assert result.summary["cameras"]["f1"]["extra"] == 1 and result.summary["cameras"]["f1"]["missing"] == 0


def test_free_run_pairs_by_nearest_time_and_says_so() -> None:
    triggers = leader(10)
    result = match(triggers, [CameraTimes("leader", triggers), CameraTimes("f1", triggers + PERIOD // 3)],
                   mode="free-run")
    assert (result.table[:, 1] == np.arange(10)).all() and "not synchronised" in result.summary["note"]
