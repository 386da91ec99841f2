"""Several simulated acA4112-20um at their full rate, synchronised, into one file: how many, and at what CPU.

For each compression (none, blosc-lz4) it records N cameras (full frame Mono8, 23.4 fps each,
Testimage1, the leader free-running and driving the followers, hardware sync) for --duration
seconds, N = 1, 2, ... until a run loses a frame or --max-cameras is reached, and reports the
largest N with zero lost frames and the CPU time per recorded frame (the whole process: the
simulated cameras' rendering included). Where the disk cannot hold a run of that length
(uncompressed full frames are 290 MB/s per camera), the run is shortened to what fits, and the
table says so. Then it measures one camera the way the issue did, with the command line:
``/usr/bin/time ace-gentl record -q --sim --duration 15`` (child CPU time / frames).

    python benchmarks/bench_rig.py                      # 2-minute runs
    python benchmarks/bench_rig.py --duration 20 --max-cameras 4
    python benchmarks/bench_rig.py --compressions none --min-cameras 3 --skip-cli
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_cpu

FRAME_BYTES = 4112 * 3008
RATE = 23.4


def run_rig(count: int, compression: str, duration: float, folder: Path, sync: str) -> dict[str, float]:
    """One recording in a fresh process (its own simulated cameras); the figures as JSON."""
    code = f"""
import json, os, sys, time
os.environ["ACE_SIM_CAMERAS"] = "{max(count, 1)}"
import ace_gentl
serials = [f"4000000{{i + 1}}" for i in range({count})]
path = {str(folder / "rig.h5")!r}
def configure(session):
    session.device_features["SimUnthrottled"] = False
    session.features["PixelFormat"] = "Mono8"
    session.features["OffsetX"], session.features["OffsetY"] = 0, 0
    session.features["Width"] = int(session.describe("Width").max)
    session.features["Height"] = int(session.describe("Height").max)
    session.features["TestImageSelector"] = "Testimage1"
t0 = os.times()
if {count} == 1:
    with ace_gentl.open(sim=True, serial=serials[0]) as session:
        configure(session)
        result = session.record(path, duration={duration}, compression={compression!r}, overwrite=True)
else:
    cameras = [{{"serial": serial, "role": "leader" if i == 0 else "follower"}} for i, serial in enumerate(serials)]
    with ace_gentl.open_rig(cameras, sim=True, sync={sync!r}) as rig:
        for session in rig.sessions:
            configure(session)
        rig.configure_sync({sync!r})
        result = rig.record(path, duration={duration}, compression={compression!r}, overwrite=True)
t1 = os.times()
cpu = (t1.user + t1.system) - (t0.user + t0.system)
print(json.dumps({{"frames": result.frames_written, "lost": result.frames_lost, "cpu_s": cpu,
                  "stall_s": result.max_stall_s, "bytes": result.file_bytes,
                  "complete": (result.matching or {{}}).get("complete_triggers")}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=duration * 4 + 300)
    (folder / "rig.h5").unlink(missing_ok=True)
    if done.returncode != 0:
        return {"frames": 0, "lost": -1, "cpu_s": 0.0, "error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def fitting_duration(count: int, compression: str, duration: float, folder: Path) -> float:
    if compression != "none":
        return duration
    free = shutil.disk_usage(folder).free - (2 << 30)  # 2 GB left for everything else
    needed_per_s = count * RATE * FRAME_BYTES * 1.02
    return max(5.0, min(duration, free / needed_per_s))


def one_camera_cli(compression: str, folder: Path) -> dict[str, float]:
    """The issue's measurement: ace-gentl record -q --sim --duration 15, child CPU per frame (bench_cpu.py)."""
    path = folder / "cli.h5"
    cpu, _, text = bench_cpu.run([sys.executable, "-m", "ace_gentl.cli", "record", "-q", "--sim", "--duration", "15",
                                  "--compression", compression, "-o", str(path)])
    path.unlink(missing_ok=True)
    frames = bench_cpu.frames_in(text)
    return {"frames": frames, "cpu_s": cpu, "ms_per_frame": cpu / frames * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--min-cameras", type=int, default=1, help="start the search at this N")
    parser.add_argument("--max-cameras", type=int, default=8)
    parser.add_argument("--compressions", nargs="+", default=["none", "blosc-lz4"])
    parser.add_argument("--sync", default="hardware", choices=["hardware", "software", "free-run"])
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()
    folder = Path(args.dir)
    rows = []
    best: dict[str, int] = {}
    for compression in args.compressions:
        best[compression] = 0
        for count in range(args.min_cameras, args.max_cameras + 1):
            duration = fitting_duration(count, compression, args.duration, folder)
            started = time.perf_counter()
            figures = run_rig(count, compression, duration, folder, args.sync)
            figures.update(count=count, compression=compression, duration=duration,
                           wall_s=time.perf_counter() - started)
            rows.append(figures)
            per_frame = figures["cpu_s"] / figures["frames"] * 1e3 if figures["frames"] else float("nan")
            print(f"{compression} N={count}: {figures['frames']} frames in {duration:.0f} s, lost {figures['lost']}, "
                  f"CPU {per_frame:.2f} ms/frame {figures.get('error', '')}", flush=True)
            if figures["lost"] != 0:
                break
            best[compression] = count
    print("\n| compression | cameras | seconds | frames | lost | CPU ms per frame | worst stall ms |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        per_frame = row["cpu_s"] / row["frames"] * 1e3 if row["frames"] else float("nan")
        note = " (shortened: disk)" if row["duration"] < args.duration else ""
        print(f"| {row['compression']} | {row['count']} | {row['duration']:.0f}{note} | {row['frames']} | "
              f"{row['lost']} | {per_frame:.2f} | {row.get('stall_s', 0) * 1e3:.0f} |")
    for compression, count in best.items():
        print(f"largest N with zero lost frames, {compression}: {count}")
    if not args.skip_cli:
        for compression in args.compressions:
            figures = one_camera_cli(compression, folder)
            print(f"one camera, ace-gentl record -q --sim --duration 15 --compression {compression}: "
                  f"{figures['frames']} frames, {figures['ms_per_frame']:.2f} ms CPU per frame")


if __name__ == "__main__":
    main()
