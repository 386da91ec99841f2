"""CPU time per recorded frame: one simulated camera at its real rate, full frame, and where it goes.

The issue's measure is ``/usr/bin/time ace-gentl record -q --sim --duration 15``: the whole
process's user + system time over the frames written (start-up and the simulator's rendering
included). This runs exactly that command for each codec, takes the child's CPU time from the
kernel (``wait4``), and splits it by OS thread, sampling ``/proc/<pid>/task/*/stat`` every 50 ms:
the recorder names its threads (``ace-acquire``, ``ace-writer``, ``ace-compress_N``) and the
simulated camera its frame thread (``ace-sim-stream``: rendering each frame into a GenTL buffer);
the main thread does start-up, setup and the end; the unnamed rest are the producer's and the
libraries' own threads (c-blosc, OpenBLAS). A 3 s run of the same command gives the
fixed start-up cost, so the steady cost per frame is the slope between the two runs.

The package is byte-compiled first: an editable checkout under ``PYTHONDONTWRITEBYTECODE=1`` (as
on this project's machines) would compile every module of ace_gentl again in each run, 0.25 s of
CPU (imports 0.84 s against 0.59 s, measured), which an installed package (``pip install .``
writes the bytecode) never pays.

Side by side, in the same run: the naive way, a Harvesters ``fetch()`` loop with
``dset[i] = frame`` (no checksums, no per-frame metadata, no compression) for the same time.

    python benchmarks/bench_cpu.py [--duration 15] [--repeat 2]
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import ace_gentl

TICK = os.sysconf("SC_CLK_TCK")

NAIVE = textwrap.dedent("""
    import sys, time
    import h5py, numpy as np
    import ace_gentl
    path, duration = sys.argv[1], float(sys.argv[2])
    with ace_gentl.open(sim=True) as session:
        ia = session.raw
        height, width = int(session.features["Height"]), int(session.features["Width"])
        ia.num_buffers = 8
        with h5py.File(path, "w", libver="latest") as file:
            data = file.create_dataset("data", shape=(0, height, width), maxshape=(None, height, width),
                                       dtype=np.uint8, chunks=(1, height, width))
            ia.start()
            end, index = time.monotonic() + duration, 0
            while time.monotonic() < end:
                with ia.fetch(timeout=5) as buffer:
                    component = buffer.payload.components[0]
                    data.resize(index + 1, axis=0)
                    data[index] = component.data.reshape(height, width)
                index += 1
            ia.stop()
    print(index)
""")


def thread_times(pid: int, into: dict[int, tuple[str, float]]) -> None:
    """Add the CPU seconds of every thread of ``pid`` now (the last sample of a thread is kept)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        into[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / TICK)


def group(pid: int, tid: int, name: str) -> str:
    if tid == pid:
        return "main thread (start-up, setup, end)"
    if name.startswith("ace-compress"):
        return "ace-compress (workers)"
    if name.startswith("ace-"):
        return name
    return "producer and library threads"


def run(command: list[str]) -> tuple[float, dict[str, float], str]:
    """CPU seconds of the whole child (user + system), split by thread group, and its stdout."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    threads: dict[int, tuple[str, float]] = {}
    while True:  # wait4 ourselves: the kernel's count of the child's CPU time comes with its exit
        thread_times(child.pid, threads)
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.05)
    out, err = child.communicate()
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {err.strip()}")
    total = usage.ru_utime + usage.ru_stime
    groups: dict[str, float] = defaultdict(float)
    for tid, (name, seconds) in threads.items():
        groups[group(child.pid, tid, name)] += seconds
    return total, dict(groups), out + err


def frames_in(text: str) -> int:
    for line in text.splitlines():
        words = line.split()
        if len(words) > 1 and words[1] == "frames,":
            return int(words[0])
    raise SystemExit(f"no frame count in {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "ace_gentl.cli"]
    compileall.compile_dir(Path(ace_gentl.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench_cpu_", dir=os.environ.get("BENCH_DIR")) as folder:
        target = Path(folder) / "run.h5"
        results: dict[str, list[tuple[int, float, dict[str, float]]]] = defaultdict(list)
        for round_ in range(args.repeat):
            for codec in ("none", "blosc-lz4"):
                for duration in (3.0, args.duration):
                    total, groups, text = run(cli + ["record", "-q", "--sim", "--duration", str(duration),
                                                     "--compression", codec, "--overwrite", "-o", str(target)])
                    results[f"{codec} {duration:g}"].append((frames_in(text), total, groups))
                    target.unlink(missing_ok=True)
            total, groups, text = run([sys.executable, "-c", NAIVE, str(target), str(args.duration)])
            results["naive"].append((int(text.split()[-1]), total, groups))
            target.unlink(missing_ok=True)
    print(f"CPU time per frame written, full frame Mono8 at the camera's rate, {args.repeat} round(s)\n")
    print(f"{'run':>22} {'frames':>7} {'CPU s':>7} {'ms/frame':>9}")
    for key, rows in results.items():
        for frames, total, _ in rows:
            print(f"{key:>22} {frames:>7} {total:7.2f} {1000 * total / frames:9.2f}")
    print()
    for codec in ("none", "blosc-lz4"):
        short, long = results[f"{codec} 3"], results[f"{codec} {args.duration:g}"]
        slope = [1000 * (b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(short, long)]
        startup = [a[1] - (a[0] * s / 1000) for a, s in zip(short, slope)]
        per_frame = [1000 * b[1] / b[0] for b in long]
        print(f"{codec}: {min(per_frame):.2f}-{max(per_frame):.2f} ms/frame over {args.duration:g} s "
              f"(steady {min(slope):.2f}-{max(slope):.2f} ms/frame + start-up {min(startup):.2f}-"
              f"{max(startup):.2f} s)")
        frames = sum(b[0] for b in long)
        groups: dict[str, float] = defaultdict(float)
        for _, _, split in long:
            for name, seconds in split.items():
                groups[name] += seconds
        for name, seconds in sorted(groups.items(), key=lambda item: -item[1]):
            print(f"    {name:<40} {1000 * seconds / frames:6.2f} ms/frame")
    naive = results["naive"]
    print(f"naive Harvesters loop: {min(1000 * t / f for f, t, _ in naive):.2f}-"
          f"{max(1000 * t / f for f, t, _ in naive):.2f} ms/frame over {args.duration:g} s")


if __name__ == "__main__":
    main()
