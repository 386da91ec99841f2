"""Fly-scan frames per second through Bluesky (GenTLDetector), against ``session.record`` alone, in one run.

Full frame 4112x3008 Mono8, SimUnthrottled (frames as fast as buffers come back), no compression.
(1) ``session.record(frames=N)``: its own rate (frames written / time from the stream's start to the
last frame written). (2) A RunEngine fly scan of one GenTLDetector, ``TriggerInfo(number_of_events=N)``:
the clock runs in the plan from just before ``kickoff`` to the end of ``collect_while_completing``
(every frame collected, its StreamDatum emitted); the Recorder's own rate for the same file is shown
too. Rounds are interleaved, in ABBA order (the load of a shared machine and the disk drift), and
the cost is also given as the median of each round's own ratio; files are deleted afterwards. The
Bluesky path must cost less than 10 %.

    PYTHONPATH=. python3 benchmarks/bench_bluesky.py [--frames 300] [--repeat 3] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import bluesky.plan_stubs as bps
import bluesky.preprocessors as bpp
import numpy as np
from bluesky import RunEngine
from bluesky.run_engine import call_in_bluesky_event_loop
from ophyd_async.core import StaticFilenameProvider, StaticPathProvider, TriggerInfo

import ace_gentl
from ace_gentl.bluesky import GenTLDetector


def full_frame_unthrottled(session: ace_gentl.Session) -> int:
    features = session.features
    features["OffsetX"], features["OffsetY"] = 0, 0
    features["Width"], features["Height"] = int(features["WidthMax"]), int(features["HeightMax"])
    features["PixelFormat"] = "Mono8"
    session.device_features["SimUnthrottled"] = True
    return int(features["Width"]) * int(features["Height"])


def record_alone(path: Path, frames: int) -> tuple[float, int]:
    with ace_gentl.open(sim=True) as session:
        full_frame_unthrottled(session)
        result = session.record(path, frames=frames, compression="none", overwrite=True)
    return result.mean_fps, result.frames_lost


def fly_scan(engine: RunEngine, folder: Path, name: str, frames: int) -> tuple[float, float, int]:
    provider = StaticPathProvider(StaticFilenameProvider(name), folder)
    det = GenTLDetector(provider, name="cam", sim=True, recorder_options={"compression": "none"})
    call_in_bluesky_event_loop(det.connect())
    clock: dict[str, float] = {}
    try:
        full_frame_unthrottled(det.controller.camera)

        @bpp.stage_decorator([det])
        @bpp.run_decorator()
        def plan():
            yield from bps.prepare(det, TriggerInfo(number_of_events=frames), wait=True)
            yield from bps.declare_stream(det, name="primary", collect=True)
            clock["start"] = time.perf_counter()
            yield from bps.kickoff(det, wait=True)
            yield from bps.collect_while_completing([det], [det], flush_period=0.5)
            clock["end"] = time.perf_counter()

        engine(plan())
        result = det.controller.last_result
        assert result is not None and result.frames_written == frames, result
        return frames / (clock["end"] - clock["start"]), result.mean_fps, result.frames_lost
    finally:
        call_in_bluesky_event_loop(det.disconnect())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the median is shown")
    args = parser.parse_args()
    folder = Path(args.dir)
    engine = RunEngine()
    alone: list[tuple[float, int]] = []
    flown: list[tuple[float, float, int]] = []
    name = f"bench_bluesky_{os.getpid()}"
    path = folder / f"{name}.h5"
    try:
        for round_ in range(args.repeat):
            for method in (("alone", "fly") if round_ % 2 == 0 else ("fly", "alone")):
                if method == "alone":
                    alone.append(record_alone(path, args.frames))
                else:
                    flown.append(fly_scan(engine, folder, name, args.frames))
                path.unlink()
    finally:
        path.unlink(missing_ok=True)
    frame_mb = 4112 * 3008 / 1e6
    load = os.getloadavg()
    print(f"{args.frames} frames of 4112x3008 Mono8 ({frame_mb:.1f} MB), SimUnthrottled, no compression, "
          f"{os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f}\n")
    print("| method | frames/s (median) | MB/s | vs session.record | lost (each round) | each round (fps) |")
    print("|---|---|---|---|---|---|")
    base = float(np.median([fps for fps, _ in alone]))
    table = [("`session.record`", [fps for fps, _ in alone], [lost for _, lost in alone]),
             ("Bluesky fly scan, kickoff to last frame collected", [fps for fps, _, _ in flown],
              [lost for _, _, lost in flown]),
             ("  the same runs, the Recorder's own rate", [fps for _, fps, _ in flown], [lost for _, _, lost in flown])]
    for method, rates, lost in table:
        median = float(np.median(rates))
        print(f"| {method} | {median:.1f} | {median * frame_mb:.0f} | {median / base:.3f}x | "
              f"{' '.join(map(str, lost))} | {' '.join(f'{r:.0f}' for r in rates)} |")
    cost = 1 - float(np.median([fps for fps, _, _ in flown])) / base
    paired = 1 - float(np.median([fly[0] / own[0] for fly, own in zip(flown, alone)]))
    print(f"\nBluesky path cost: {cost:+.1%} of session.record's median rate; median of the rounds' own "
          f"costs {paired:+.1%} (limit 10 %)")


if __name__ == "__main__":
    main()
