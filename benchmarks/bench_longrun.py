"""Record the simulated camera at its real rate for a long time.

Full frame (4112x3008), a test image (so every frame can be checked and the file stays a few GB
with compression), paced at the camera's own rate (SimUnthrottled off). Reports frames, lost,
incomplete, the mean rate, and the process RSS sampled every second (must stay within 1.5 GB and
flat). Checks a sample of frames against the test-image formula, then deletes the file.

    ACE_GENTL_SIM_CTI=/tmp/build-rec/ace_gentl_sim.cti PYTHONPATH=. python3 benchmarks/bench_longrun.py
    ... --duration 60     # a shorter look
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import ace_gentl


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def expected_testimage1(frame_id: int, shape: tuple[int, int], offset: tuple[int, int], bits: int) -> np.ndarray:
    y = np.arange(shape[0], dtype=np.uint64)[:, None] + offset[1]
    x = np.arange(shape[1], dtype=np.uint64)[None, :] + offset[0]
    return ((x + y + np.uint64(frame_id)) & np.uint64((1 << bits) - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--pixel-format", default="Mono8", choices=["Mono8", "Mono12", "Mono12p"])
    parser.add_argument("--compression", default="blosc-lz4")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the file goes (deleted at the end)")
    parser.add_argument("--keep", action="store_true", help="do not delete the file")
    args = parser.parse_args()

    path = Path(args.dir) / f"ace_gentl_longrun_{os.getpid()}.h5"
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        t0 = time.monotonic()
        while not done.wait(1.0):
            samples.append((time.monotonic() - t0, rss_bytes()))

    with ace_gentl.open(sim=True) as session:
        session.features["OffsetX"] = 0
        session.features["OffsetY"] = 0
        session.features["Width"] = int(session.features["WidthMax"])
        session.features["Height"] = int(session.features["HeightMax"])
        session.features["PixelFormat"] = args.pixel_format
        session.features["TestImageSelector"] = "Testimage1"
        rate = float(session.features["ResultingFrameRate"])
        print(f"recording {args.duration:.0f} s of {session.features['Width']}x{session.features['Height']} "
              f"{args.pixel_format} at the camera's rate ({rate:.2f} fps), {args.compression} -> {path}")
        rss_start = rss_bytes()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            result = session.record(path, duration=args.duration, compression=args.compression, progress=True)
        finally:
            done.set()
            sampler.join()
    try:
        with ace_gentl.open_recording(path) as recording:
            summary = recording.summary()
            ids = recording.column("frame_id")
            bits = 8 if args.pixel_format == "Mono8" else 12
            checked = 0
            for index in np.linspace(0, len(recording) - 1, 20).astype(int):
                frame = recording.frames[int(index)]
                expected = expected_testimage1(int(ids[index]), frame.shape, (0, 0), bits)
                if not np.array_equal(frame, expected.astype(frame.dtype)):
                    raise SystemExit(f"frame {index} (ID {ids[index]}) differs from the test image formula")
                checked += 1
            stamps = recording.column("device_timestamp")
            monotonic = bool(np.all(np.diff(stamps.astype(np.int64)) > 0))
    finally:
        size = path.stat().st_size if path.exists() else 0
        if not args.keep:
            path.unlink(missing_ok=True)
    rss = np.array([value for _, value in samples], dtype=np.float64)
    quarter = max(1, len(rss) // 4)
    print()
    print(summary)
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| frames written | {result.frames_written} |")
    print(f"| frames lost / incomplete | {result.frames_lost} / {result.frames_incomplete} |")
    print(f"| gaps in frame IDs | {summary.id_gaps} |")
    print(f"| mean rate | {result.mean_fps:.2f} fps (camera {rate:.2f}) |")
    print(f"| file size | {size / 1e9:.2f} GB (raw {summary.raw_bytes / 1e9:.1f} GB) |")
    print(f"| RSS at start / max / last | {rss_start / 1e6:.0f} / {rss.max() / 1e6:.0f} / {rss[-1] / 1e6:.0f} MB |")
    print(f"| RSS mean first / last quarter | {rss[:quarter].mean() / 1e6:.0f} / {rss[-quarter:].mean() / 1e6:.0f} MB |")
    tenths = " ".join(f"{part.mean() / 1e6:.0f}" for part in np.array_split(rss, 10) if len(part))
    print(f"| RSS mean by tenth of the run | {tenths} MB |")
    print(f"| frames checked against formula | {checked} (all equal) |")
    print(f"| device timestamps strictly increasing | {monotonic} |")
    ok = (result.frames_lost == 0 and summary.id_gaps == 0 and rss.max() < 1.5e9 and monotonic)
    print(f"\n5(c) {'PASS' if ok else 'FAIL'}: zero lost frames and RSS within 1.5 GB")


if __name__ == "__main__":
    main()
