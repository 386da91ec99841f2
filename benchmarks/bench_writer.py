"""Issue 5, point 5(a): the writer alone, against the naive ``dset[i] = frame``, in one run.

Full 4112x3008 frames of a noisy 12-bit scene in uint16 (and Mono8 in uint8), the same frames
through (1) the naive loop — h5py's filter pipeline, one thread — and (2) ace_gentl's pipeline —
compression in worker threads, ``write_direct_chunk``, SWMR, flushes twice a second. The time
includes closing the file. Files are deleted afterwards.

    PYTHONPATH=. python3 benchmarks/bench_writer.py [--frames 60] [--dir /tmp] [--fsync]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401 (registers the filters the naive loop uses)
import numpy as np

from ace_gentl.recording import compression as compression_mod
from ace_gentl.recording import layout, metadata
from ace_gentl.recording.pipeline import ByteBudget, FramePool, Pipeline, Stats
from ace_gentl.recording.writer import FrameWriter

SHAPE = (3008, 4112)


def scene(count: int, bits: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    base = 1000 + 1500 * x / SHAPE[1] + 800 * ((x // 64 + y // 64) % 2)
    frames = []
    for _ in range(4):
        value = np.clip(base + rng.normal(0, 27, size=SHAPE), 0, 4095).astype(np.uint16)
        frames.append(value if bits == 12 else (value >> 4).astype(np.uint8))
    return [frames[i % 4] for i in range(count)]


def static() -> metadata.StaticMetadata:
    return metadata.StaticMetadata(
        vendor="bench", model="bench", serial="0", user_id="", description="benchmark", versions=metadata.software_versions(),
        host=metadata.host_info(), producer=metadata.ProducerInfo(path="", sha256=""), xml_url="", xml=b"",
        interface={}, device_module={}, stream_module={}, settings_start={}, pixel_size_m=(None, None),
        exposure_time_s=None)


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


def ours(path: Path, frames: list[np.ndarray], spec: str, fsync: bool) -> float:
    choice = compression_mod.parse(spec)
    geometry = layout.Geometry(shape=SHAPE, dtype=frames[0].dtype, pixel_format="bench", bits=12)
    writer = FrameWriter(path, geometry=geometry, compression=choice, chunks=None, fields=list(layout.BASE_FIELDS),
                         static=static(), config={}, overwrite=True)
    previous = compression_mod.configure_threads() if choice.in_workers else None
    budget, stats = ByteBudget(512 << 20), Stats()
    t0 = time.perf_counter()
    writer.open()
    pipeline = Pipeline(writer, budget=budget, pool=FramePool(SHAPE, frames[0].dtype), stats=stats,
                        workers=os.cpu_count() or 2)
    pipeline.start()
    for index, frame in enumerate(frames):
        budget.reserve(frame.nbytes, lambda: False)
        # The writer alone: frames are handed over as they are (the recorder's copy out of the GenTL
        # buffer is acquisition's cost, measured by bench_record.py).
        pipeline.submit(frame, {"frame_id": index + 1}, frame.nbytes)
    pipeline.close()
    pipeline.pool.clear()  # it collected the caller's frames; they are not the pool's to reuse
    if pipeline.error is not None:
        raise pipeline.error
    writer.close("complete", stats.counters())
    sync(path, fsync)
    elapsed = time.perf_counter() - t0
    if previous is not None:
        compression_mod.configure_threads(previous)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--fsync", action="store_true", help="include fsync of the file in the time")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the median is shown")
    args = parser.parse_args()
    cases = [("Mono12 in uint16", 12, "blosc-lz4"), ("Mono8 in uint8", 8, "none")]
    rows = []
    for label, bits, spec in cases:
        frames = scene(args.frames, bits)
        raw = sum(frame.nbytes for frame in frames)
        times: dict[str, list[float]] = {"naive dset[i] = frame": [], "ace_gentl pipeline": []}
        sizes: dict[str, int] = {}
        for _ in range(args.repeat):  # interleaved: the shared disk drifts between rounds
            for method, run in (("naive dset[i] = frame", naive), ("ace_gentl pipeline", ours)):
                path = Path(args.dir) / f"bench_writer_{os.getpid()}.h5"
                try:
                    times[method].append(run(path, frames, spec, args.fsync))
                    with h5py.File(path, "r") as file:
                        data = file["data"] if "data" in file else file["entry/instrument/bench/data"]
                        assert data.shape[0] == len(frames)
                        np.testing.assert_array_equal(data[len(frames) // 2], frames[len(frames) // 2])
                    sizes[method] = path.stat().st_size
                finally:
                    path.unlink(missing_ok=True)
        for method, measured in times.items():
            elapsed = float(np.median(measured))
            rows.append((label, spec, method, len(frames) / elapsed, raw / elapsed / 1e9, raw / sizes[method],
                         " ".join(f"{len(frames) / t:.0f}" for t in measured)))
    print(f"{args.frames} frames of {SHAPE[1]}x{SHAPE[0]}, fsync={args.fsync}, {os.cpu_count()} cores\n")
    print("| frames | filter | method | frames/s (median) | GB/s raw | ratio | each round (fps) |")
    print("|---|---|---|---|---|---|---|")
    for label, spec, method, fps, gbps, ratio, each in rows:
        print(f"| {label} | {spec} | {method} | {fps:.1f} | {gbps:.2f} | {ratio:.2f} | {each} |")
    for index in range(0, len(rows), 2):
        print(f"speed-up {rows[index][0]} {rows[index][1]}: {rows[index + 1][3] / rows[index][3]:.2f}x")


if __name__ == "__main__":
    main()
