"""End to end from the simulated camera, against a naive Harvesters loop, in one run.

Full frame 4112x3008 Mono8, SimUnthrottled (frames as fast as buffers come back), no compression.
(1) naive: Harvesters ``ia.fetch()`` and ``dset[i] = frame``; (2) ``session.record``. Reports frames/s,
lost frames (gaps in frame IDs) and MB/s. Both times run from before the stream starts to after it
stopped and the last frame was written (the file's close and metadata are outside both). Files are
deleted afterwards.

    ACE_GENTL_SIM_CTI=/tmp/build-perf/ace_gentl_sim.cti PYTHONPATH=. python3 benchmarks/bench_record.py [--frames 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

import ace_gentl


def naive(session: ace_gentl.Session, path: Path, count: int) -> tuple[float, int]:
    ia = session.raw
    height, width = int(session.features["Height"]), int(session.features["Width"])
    ia.num_buffers = 8
    ids = []
    with h5py.File(path, "w", libver="latest") as file:
        data = file.create_dataset("data", shape=(0, height, width), maxshape=(None, height, width), dtype=np.uint8,
                                   chunks=(1, height, width))
        t0 = time.perf_counter()  # before start(), as session.record's duration (buffer allocation, AcquisitionStart)
        ia.start()
        try:
            for index in range(count):
                with ia.fetch(timeout=5) as buffer:
                    component = buffer.payload.components[0]
                    data.resize(index + 1, axis=0)
                    data[index] = component.data.reshape(height, width)
                    ids.append(int(buffer.frame_id))
        finally:
            ia.stop()
        elapsed = time.perf_counter() - t0
    return elapsed, int(np.sum(np.diff(ids) - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the median is shown")
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, int]]] = {"naive Harvesters fetch + dset[i] = frame": [],
                                                "session.record (compression none)": []}
    path = Path(args.dir) / f"bench_record_{os.getpid()}.h5"
    with ace_gentl.open(sim=True) as session:
        session.features["OffsetX"] = 0
        session.features["OffsetY"] = 0
        session.features["Width"] = int(session.features["WidthMax"])
        session.features["Height"] = int(session.features["HeightMax"])
        session.features["PixelFormat"] = "Mono8"
        session.device_features["SimUnthrottled"] = True
        frame_bytes = int(session.features["Width"]) * int(session.features["Height"])
        try:
            for _ in range(args.repeat):  # interleaved: the shared disk drifts between rounds
                rows["naive Harvesters fetch + dset[i] = frame"].append(naive(session, path, args.frames))
                path.unlink()
                result = session.record(path, frames=args.frames, compression="none", overwrite=True)
                rows["session.record (compression none)"].append((result.frames_written / result.mean_fps,
                                                                 result.frames_lost))
                path.unlink()
        finally:
            path.unlink(missing_ok=True)
    load = os.getloadavg()
    print(f"{args.frames} frames of 4112x3008 Mono8 ({frame_bytes / 1e6:.1f} MB), SimUnthrottled, {os.cpu_count()} cores, "
          f"load {load[0]:.2f} {load[1]:.2f}\n")
    print("| method | frames/s (median) | MB/s | vs naive | lost (each round) | each round (fps) |")
    print("|---|---|---|---|---|---|")
    base = args.frames / float(np.median([t for t, _ in rows["naive Harvesters fetch + dset[i] = frame"]]))
    for method, runs in rows.items():
        fps = args.frames / float(np.median([t for t, _ in runs]))
        print(f"| {method} | {fps:.1f} | {fps * frame_bytes / 1e6:.0f} | {fps / base:.2f}x | "
              f"{' '.join(str(lost) for _, lost in runs)} | {' '.join(f'{args.frames / t:.0f}' for t, _ in runs)} |")


if __name__ == "__main__":
    main()
