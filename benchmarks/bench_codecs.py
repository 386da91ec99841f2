"""What each compression sustains on this machine: full-frame recordings from the simulated camera, unthrottled.

For every compression choice and pixel format, records --frames full frames (4112 x 3008) with
SimUnthrottled on (frames as fast as the recorder takes them), so the rate is the recorder's
own limit: decoding, compressing (in --workers threads), checksumming and writing. Prints the
sustained rate over the run, the estimate the recorder makes from its first frames (what its
warning uses), and the compression ratio; the camera's real rates are 23.4 fps (Mono8), 14.6
(Mono12) and 19.5 (Mono12p). Files are deleted.

    python benchmarks/bench_codecs.py
    python benchmarks/bench_codecs.py --formats Mono12p --frames 60
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import h5py

import ace_gentl
from ace_gentl.recording import compression

REAL_RATE = {"Mono8": 23.4, "Mono12": 14.6, "Mono12p": 19.5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", nargs="+", default=["Mono8", "Mono12p"], choices=list(REAL_RATE))
    parser.add_argument("--codecs", nargs="+", default=list(compression.NAMES))
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--image", default="Off", help="TestImageSelector (Off: the noisy scene)")
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    rows = []
    with ace_gentl.open(sim=True) as session:
        session.device_features["SimUnthrottled"] = True
        session.features["TestImageSelector"] = args.image
        for pixel_format in args.formats:
            session.features["PixelFormat"] = pixel_format
            session.features["OffsetX"], session.features["OffsetY"] = 0, 0
            session.features["Width"] = int(session.describe("Width").max)
            session.features["Height"] = int(session.describe("Height").max)
            for codec in args.codecs:
                path = Path(args.dir) / f"bench_codecs_{pixel_format}_{codec}.h5"
                result = session.record(path, frames=args.frames, compression=codec, overwrite=True)
                with h5py.File(path, "r") as file:
                    details = json.loads(file["entry/recording/result"][()])
                speed = details.get("first_frames_speed") or {}
                ratio = result.file_bytes / max(1, result.frames_written * int(result.mb_per_s and 1) *
                                                session.features["PayloadSize"] * (2 if pixel_format == "Mono12p"
                                                                                   else 1) * 3 // 3 // 3 * 3)
                raw = result.frames_written * 4104 * 3008 * (1 if pixel_format == "Mono8" else 2)
                sustained = result.frames_written / result.duration_s
                rows.append((pixel_format, codec, result.frames_written, sustained,
                             speed.get("sustained_fps", float("nan")), result.file_bytes / raw, result.frames_lost))
                path.unlink()
                print(f"{pixel_format} {codec}: {sustained:.1f} fps", flush=True)
    print("\n| pixel format | compression | frames | sustained fps (whole run) | estimate from first frames | "
          "stored / raw | keeps up with the camera |")
    print("|---|---|---|---|---|---|---|")
    for pixel_format, codec, frames, sustained, estimate, ratio, lost in rows:
        keeps = "yes" if sustained >= REAL_RATE[pixel_format] else "no"
        print(f"| {pixel_format} | {codec} | {frames} | {sustained:.1f} | {estimate:.1f} | {ratio:.2f} | {keeps} |")


if __name__ == "__main__":
    main()
