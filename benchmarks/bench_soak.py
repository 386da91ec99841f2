"""Lose nothing at the camera's real rate: soaks of the simulated camera at full frame, paced.

Three soaks, each reporting frames lost and the worst stall (the longest time the producer was
not asked for a buffer, against the slack its free buffers give):

  idle     the first run in a fresh process, after the camera was opened, set up and left idle
           for --idle seconds (default 60), --tries times (default 5) per pixel format;
  repeat   --runs short runs (default 100) back to back in one process, per pixel format x
           compression (none, blosc-lz4);
  hogs     --hog-seconds (default 120) of recording per pixel format with blosc-lz4 while two CPU
           hogs (one per core, same priority) run beside it.

Every file is deleted. Full frame is 4112 x 3008: Mono8 23.4 fps, Mono12 14.6 fps (USB link),
Mono12p 19.5 fps.

    python benchmarks/bench_soak.py                  # all three (about 45 minutes)
    python benchmarks/bench_soak.py repeat --runs 10 # one soak, shorter
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMATS = ("Mono8", "Mono12", "Mono12p")


@dataclass
class Case:
    soak: str
    pixel_format: str
    compression: str
    runs: int = 0
    frames: int = 0
    lost: int = 0
    runs_with_loss: int = 0
    worst_stall_s: float = 0.0
    slack_s: float = 0.0  # the producer's free buffers, in seconds of frames
    copied: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, run: dict[str, float]) -> None:
        self.runs += 1
        self.frames += int(run["frames"])
        self.lost += int(run["lost"])
        self.runs_with_loss += int(run["lost"] > 0)
        self.worst_stall_s = max(self.worst_stall_s, run["stall"])
        self.slack_s = run["slack"]
        self.copied += int(run["copied"])
        self.seconds += run["seconds"]


def record_once(session: object, path: Path, *, frames: int | None = None, duration: float | None = None,
                compression: str = "blosc-lz4") -> dict[str, float]:
    import json as _json

    import h5py

    t0 = time.perf_counter()
    result = session.record(path, frames=frames, duration=duration, compression=compression,  # type: ignore[attr-defined]
                            overwrite=True)
    seconds = time.perf_counter() - t0
    with h5py.File(path, "r") as file:
        details = _json.loads(file["entry/recording/result"][()])
        config = _json.loads(file["entry/run_configuration/data"][()])
    rate = float(session.features["ResultingFrameRate"])  # type: ignore[attr-defined]
    buffers = int(config["buffers"])
    free = buffers - int(details["buffers_held_at_most"])
    path.unlink()
    return {"frames": result.frames_written, "lost": result.frames_lost, "stall": result.max_stall_s,
            "slack": free / rate, "copied": details["frames_copied_from_buffers"], "seconds": seconds}


def configure(session: object, pixel_format: str) -> None:
    features = session.features  # type: ignore[attr-defined]
    session.device_features["SimUnthrottled"] = False  # type: ignore[attr-defined]
    features["PixelFormat"] = pixel_format
    features["OffsetX"], features["OffsetY"] = 0, 0
    features["Width"], features["Height"] = int(features.describe("Width").max), int(features.describe("Height").max)


def idle_child(pixel_format: str, idle_s: float, frames: int, folder: str) -> None:
    """One try of the idle soak, in this (fresh) process: prints the run as JSON."""
    import ace_gentl

    with ace_gentl.open(sim=True) as session:
        configure(session, pixel_format)
        time.sleep(idle_s)
        run = record_once(session, Path(folder) / f"idle-{os.getpid()}.h5", frames=frames)
    print(json.dumps(run))


def soak_idle(args: argparse.Namespace) -> list[Case]:
    cases = []
    for pixel_format in FORMATS:
        case = Case("idle", pixel_format, "blosc-lz4")
        for _ in range(args.tries):
            out = subprocess.run([sys.executable, __file__, "idle-child", pixel_format, str(args.idle),
                                  str(args.frames), args.dir], capture_output=True, text=True, check=True)
            case.add(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  idle {pixel_format}: {case.runs} tries, lost {case.lost}, worst stall "
                  f"{case.worst_stall_s * 1e3:.0f} ms", flush=True)
        cases.append(case)
    return cases


def soak_repeat(args: argparse.Namespace) -> list[Case]:
    import ace_gentl

    cases = []
    with ace_gentl.open(sim=True) as session:
        for pixel_format in FORMATS:
            configure(session, pixel_format)
            for compression in ("none", "blosc-lz4"):
                case = Case("repeat", pixel_format, compression)
                for index in range(args.runs):
                    case.add(record_once(session, Path(args.dir) / "repeat.h5", frames=args.frames,
                                         compression=compression))
                print(f"  repeat {pixel_format} {compression}: {case.runs} runs, lost {case.lost} in "
                      f"{case.runs_with_loss} runs, worst stall {case.worst_stall_s * 1e3:.0f} ms", flush=True)
                cases.append(case)
    return cases


def hog() -> None:
    while True:
        pass


def soak_hogs(args: argparse.Namespace) -> list[Case]:
    import ace_gentl

    cases = []
    hogs = [multiprocessing.Process(target=hog, daemon=True) for _ in range(os.cpu_count() or 2)]
    for process in hogs:
        process.start()
    try:
        with ace_gentl.open(sim=True) as session:
            for pixel_format in FORMATS:
                configure(session, pixel_format)
                case = Case("hogs", pixel_format, "blosc-lz4")
                case.add(record_once(session, Path(args.dir) / "hogs.h5", duration=args.hog_seconds))
                print(f"  hogs {pixel_format}: {case.frames} frames, lost {case.lost}, worst stall "
                      f"{case.worst_stall_s * 1e3:.0f} ms", flush=True)
                cases.append(case)
    finally:
        for process in hogs:
            process.terminate()
            process.join()
    return cases


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "idle-child":
        idle_child(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("soaks", nargs="*", choices=["idle", "repeat", "hogs"], default=[], help="which soaks (default: all)")
    parser.add_argument("--tries", type=int, default=5, help="idle: tries per pixel format")
    parser.add_argument("--idle", type=float, default=60.0, help="idle: seconds idle before recording")
    parser.add_argument("--runs", type=int, default=100, help="repeat: runs per pixel format and compression")
    parser.add_argument("--frames", type=int, default=30, help="idle, repeat: frames per run")
    parser.add_argument("--hog-seconds", type=float, default=120.0, help="hogs: seconds per pixel format")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where files go (deleted at once)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    soaks = args.soaks or ["idle", "repeat", "hogs"]
    started = time.perf_counter()
    cases: list[Case] = []
    for soak in soaks:
        print(f"{soak} ...", flush=True)
        cases += {"idle": soak_idle, "repeat": soak_repeat, "hogs": soak_hogs}[soak](args)
    print("\n| soak | pixel format | compression | runs | frames | lost | runs with loss | worst stall ms | "
          "slack ms | frames copied |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        print(f"| {case.soak} | {case.pixel_format} | {case.compression} | {case.runs} | {case.frames} | {case.lost} | "
              f"{case.runs_with_loss} | {case.worst_stall_s * 1e3:.0f} | {case.slack_s * 1e3:.0f} | {case.copied} |")
    total_lost = sum(case.lost for case in cases)
    print(f"\n{sum(c.frames for c in cases)} frames, {total_lost} lost, worst stall "
          f"{max(c.worst_stall_s for c in cases) * 1e3:.0f} ms, {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([asdict(case) for case in cases], indent=1))


if __name__ == "__main__":
    main()
