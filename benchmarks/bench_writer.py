"""The writer alone, against the naive ``dset[i] = frame``, in one run.

Full 4112x3008 frames grabbed from the simulated camera (its noisy scene: Mono12 as uint16, and
Mono8), cycled, go through
(1) the naive loop — ``dset[i] = frame`` through hdf5plugin's Blosc filter, exactly as a user gets
    it: the filter's own c-blosc runs one thread (it only reads BLOSC_NTHREADS, unset here);
(2) for reference, the same naive loop in a child process with ``BLOSC_NTHREADS=2`` (the filter's
    c-blosc is a separate copy whose thread count cannot be reset once set, hence the child);
(3) ace_gentl's pipeline — compression in worker threads that release the GIL, ``write_direct_chunk``
    from one writer thread, SWMR, flushes twice a second, written frames dropped from the page cache;
(4) for reference, (3) with the page cache kept (as (1) and (2) do).
Same filter, codec (lz4), shuffle (bit), clevel (5) and typesize (2) in all; rounds interleaved.
Each is timed twice over: until the frames are on disk (fsync of the file included: what a
recording must reach) and until the last write returns (the frames may still be only in memory).
Also the compressor alone on one frame (python-blosc, 1 and 2 threads), the ceiling for (3).
The time includes creating and closing the file. Files are deleted afterwards.

    ACE_GENTL_SIM_CTI=/tmp/build-perf/ace_gentl_sim.cti PYTHONPATH=. \
        python3 benchmarks/bench_writer.py [--frames 120] [--repeat 3] [--dir /tmp] [--sync both|fsync|none]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401 (registers the filters the naive loop uses)
import numpy as np

import ace_gentl
from ace_gentl.recording import compression as compression_mod
from ace_gentl.recording import layout, metadata
from ace_gentl.frames import Frame
from ace_gentl.recording.pipeline import ByteBudget, Pipeline, Stats
from ace_gentl.recording.writer import FrameWriter, find_detector

SHAPE = (3008, 4112)


def scene(count: int, pixel_format: str, distinct: int = 8) -> list[np.ndarray]:
    """``count`` frames cycling through ``distinct`` full frames grabbed from the simulated camera."""
    with ace_gentl.open(sim=True) as session:
        session.features["OffsetX"] = 0
        session.features["OffsetY"] = 0
        session.features["Width"] = int(session.features["WidthMax"])
        session.features["Height"] = int(session.features["HeightMax"])
        session.features["PixelFormat"] = pixel_format
        grabbed = [frame.data for frame in session.grab(distinct)]
    if grabbed[0].shape != SHAPE:
        raise RuntimeError(f"the simulator delivered {grabbed[0].shape}, not {SHAPE}")
    return [grabbed[i % distinct] for i in range(count)]


def compressor_alone(frames: list[np.ndarray], threads: int) -> float:
    """GB/s of python-blosc on single frames (lz4, bitshuffle, clevel 5), median of the frames."""
    previous = compression_mod.configure_threads(threads)
    choice = compression_mod.parse("blosc-lz4")
    try:
        times = []
        for frame in frames[:8]:
            t0 = time.perf_counter()
            choice.encode(frame)
            times.append(time.perf_counter() - t0)
    finally:
        compression_mod.restore_threads(previous)
    return frames[0].nbytes / float(np.median(times)) / 1e9


def sync(path: Path, enabled: bool) -> None:
    if enabled:
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


def naive(path: Path, frames: list[np.ndarray], spec: str, fsync: bool) -> float:
    options = compression_mod.parse(spec).dataset_options()
    t0 = time.perf_counter()
    with h5py.File(path, "w", libver="latest") as file:
        data = file.create_dataset("data", shape=(0, *SHAPE), maxshape=(None, *SHAPE), dtype=frames[0].dtype,
                                   chunks=(1, *SHAPE), **options)
        for index, frame in enumerate(frames):
            data.resize(index + 1, axis=0)
            data[index] = frame
    sync(path, fsync)
    return time.perf_counter() - t0


def ours(path: Path, frames: list[np.ndarray], spec: str, fsync: bool, drop_page_cache: bool = True) -> float:
    choice = compression_mod.parse(spec)
    geometry = layout.Geometry(shape=SHAPE, dtype=frames[0].dtype,
                               pixel_format="Mono8" if frames[0].dtype == np.uint8 else "Mono16", bits=12)
    writer = FrameWriter(path, geometry=geometry, compression=choice, chunks=None, fields=list(layout.BASE_FIELDS),
                         static=metadata.StaticMetadata.without_camera("benchmark"), config={}, overwrite=True,
                         drop_page_cache=drop_page_cache)
    workers = os.cpu_count() or 2  # as the Recorder: one frame per worker, blosc threads share the other cores
    threads = max(1, (os.cpu_count() or 2) // workers)
    previous = compression_mod.configure_threads(threads) if choice.in_workers else None
    budget, stats = ByteBudget(512 << 20), Stats()
    t0 = time.perf_counter()
    writer.open()
    pipeline = Pipeline(writer, budget=budget, stats=stats, workers=workers)
    pipeline.start()
    pixel_format = "Mono8" if frames[0].dtype == np.uint8 else "Mono16"
    for index, frame in enumerate(frames):
        budget.reserve(frame.nbytes, lambda: False)
        # The writer alone: frames are handed over as a camera's unpacked frames (no buffer to give back).
        pipeline.submit(Frame(raw=frame.reshape(-1).view(np.uint8), frame_id=index + 1, timestamp_ns=0,
                              host_time_ns=0, pixel_format=pixel_format, width=SHAPE[1], height=SHAPE[0]),
                        {"frame_id": index + 1}, frame.nbytes)
    pipeline.close()
    if pipeline.error is not None:
        raise pipeline.error
    writer.close("complete", stats.counters())
    sync(path, fsync)
    elapsed = time.perf_counter() - t0
    if previous is not None:
        compression_mod.restore_threads(previous)
    return elapsed


def ours_keeping_page_cache(path: Path, frames: list[np.ndarray], spec: str, fsync: bool) -> float:
    return ours(path, frames, spec, fsync, drop_page_cache=False)


def naive_threaded(path: Path, frames_file: Path, spec: str, fsync: bool, count: int) -> float:
    """The naive loop in a child process whose environment has BLOSC_NTHREADS=2."""
    env = {**os.environ, "BLOSC_NTHREADS": "2"}
    command = [sys.executable, __file__, "--child", str(frames_file), str(path), spec, str(count)]
    if fsync:
        command.append("--fsync")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["elapsed"])


def child(args: argparse.Namespace) -> None:
    frames_file, path, spec, count = args.child
    distinct = np.load(frames_file)
    frames = [distinct[i % len(distinct)] for i in range(int(count))]
    print(json.dumps({"elapsed": naive(Path(path), frames, spec, args.fsync)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--sync", choices=("both", "fsync", "none"), default="both",
                        help="stop the clock after fsync, after the last write, or show both")
    parser.add_argument("--fsync", action="store_true", help=argparse.SUPPRESS)  # for the child
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the median is shown")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    syncs = {"both": (True, False), "fsync": (True,), "none": (False,)}[args.sync]
    cases = [("Mono12 in uint16", "Mono12", "blosc-lz4"), ("Mono8 in uint8", "Mono8", "none")]
    naive_label, threaded_label, ours_label, kept_label = (
        "naive dset[i] = frame", "naive, BLOSC_NTHREADS=2 (reference)", "ace_gentl pipeline",
        "ace_gentl pipeline, page cache kept (reference)")
    rows, ceilings = [], []
    for label, pixel_format, spec in cases:
        frames = scene(args.frames, pixel_format)
        raw = sum(frame.nbytes for frame in frames)
        methods = [(naive_label, naive), (ours_label, ours), (kept_label, ours_keeping_page_cache)]
        frames_file = Path(args.dir) / f"bench_writer_{os.getpid()}_frames.npy"
        if spec != "none":
            methods.insert(1, (threaded_label, None))
            np.save(frames_file, np.stack(frames[:8]))
            ceilings.append((label, compressor_alone(frames, 1), compressor_alone(frames, 2)))
        times: dict[tuple[bool, str], list[float]] = {(sync, method): [] for sync in syncs for method, _ in methods}
        sizes: dict[str, int] = {}
        try:
            for _ in range(args.repeat):  # interleaved: the shared machine drifts between rounds
                for sync in syncs:
                    for method, run in methods:
                        path = Path(args.dir) / f"bench_writer_{os.getpid()}.h5"
                        try:
                            if run is None:
                                elapsed = naive_threaded(path, frames_file, spec, sync, len(frames))
                            else:
                                elapsed = run(path, frames, spec, sync)
                            times[(sync, method)].append(elapsed)
                            check(path, frames)
                            sizes[method] = path.stat().st_size
                        finally:
                            path.unlink(missing_ok=True)
        finally:
            frames_file.unlink(missing_ok=True)
        for sync in syncs:
            base = len(frames) / float(np.median(times[(sync, naive_label)]))
            for method, _ in methods:
                measured = times[(sync, method)]
                fps = len(frames) / float(np.median(measured))
                rows.append((label, spec, "on disk (fsync)" if sync else "last write returned", method, fps,
                             fps * raw / len(frames) / 1e9, raw / sizes[method], fps / base,
                             " ".join(f"{len(frames) / t:.1f}" for t in measured)))
    print(f"{args.frames} frames of {SHAPE[1]}x{SHAPE[0]} from the simulator, {args.repeat} rounds, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}\n")
    print("| frames | filter | clock stops | method | frames/s (median) | GB/s raw | ratio | vs naive "
          "| each round (fps) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, spec, until, method, fps, gbps, ratio, speedup, each in rows:
        print(f"| {label} | {spec} | {until} | {method} | {fps:.1f} | {gbps:.2f} | {ratio:.2f} | {speedup:.2f}x "
              f"| {each} |")
    for label, one, two in ceilings:
        print(f"\ncompressor alone, {label}, one frame at a time: {one:.2f} GB/s with 1 thread, {two:.2f} GB/s with 2")


def check(path: Path, frames: list[np.ndarray]) -> None:
    """Plain h5py + hdf5plugin read the file back: frame count and one frame's pixels."""
    with h5py.File(path, "r") as file:
        data = file["data"] if "data" in file else find_detector(file)["data"]
        if data.shape[0] != len(frames):
            raise AssertionError(f"{path}: {data.shape[0]} frames, expected {len(frames)}")
        np.testing.assert_array_equal(data[len(frames) // 2], frames[len(frames) // 2])


if __name__ == "__main__":
    main()
