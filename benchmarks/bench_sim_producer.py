"""How fast the simulated acA4112-20um fills frames when unthrottled (SimUnthrottled = True).

The producer must never be the bottleneck of a recording benchmark: full-resolution Mono8
frames at >= 230 fps (10x the real camera) on one core.  Measured through the raw GenTL path
(genicam.gentl: wait for the new-buffer event, requeue, no copy) and through Harvesters'
fetch loop, for each pixel format, with the synthetic scene and with a test image.

    python benchmarks/bench_sim_producer.py [--frames N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gentl_consumer import gentl_rig, gentl_stream, harvester  # noqa: E402


def raw_gentl_fps(fmt: str, test_image: str, frames: int) -> tuple[float, float]:
    with gentl_rig() as rig:
        rig.node_map(rig.device.local_port).get_node("SimUnthrottled").value = True
        nm = rig.remote
        nm.get_node("PixelFormat").value = fmt
        nm.get_node("OffsetX").value = 0
        nm.get_node("OffsetY").value = 0
        nm.get_node("Width").value = nm.get_node("WidthMax").value
        nm.get_node("Height").value = nm.get_node("HeightMax").value
        nm.get_node("TestImageSelector").value = test_image
        payload = nm.get_node("PayloadSize").value
        with gentl_stream(rig, num_buffers=4) as stream:
            stream.start()
            for _ in range(10):  # the first frames build the renderer's cache
                stream.next(copy=False)
            t0 = time.perf_counter()
            for _ in range(frames):
                stream.next(copy=False)
            elapsed = time.perf_counter() - t0
            assert stream.ds.num_underrun == 0
    fps = frames / elapsed
    return fps, fps * payload / 1e6


def harvesters_fps(frames: int) -> float:
    with harvester() as h:
        ia = h.create(0)
        try:
            ia.device.node_map.SimUnthrottled.value = True
            nm = ia.remote_device.node_map
            nm.OffsetX.value = 0
            nm.OffsetY.value = 0
            nm.Width.value = nm.WidthMax.value
            nm.Height.value = nm.HeightMax.value
            ia.start()
            for _ in range(10):
                with ia.fetch(timeout=5):
                    pass
            t0 = time.perf_counter()
            for _ in range(frames):
                with ia.fetch(timeout=5):
                    pass
            elapsed = time.perf_counter() - t0
            ia.stop()
        finally:
            ia.destroy()
    return frames / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=500)
    args = parser.parse_args()
    print("| path | pixel format | image | frames/s | MB/s |")
    print("|---|---|---|---|---|")
    for fmt in ("Mono8", "Mono12", "Mono12p"):
        for image in ("Off", "Testimage1"):
            fps, mbps = raw_gentl_fps(fmt, image, args.frames)
            label = "scene" if image == "Off" else image
            print(f"| genicam.gentl | {fmt} | {label} | {fps:.0f} | {mbps:.0f} |", flush=True)
    print(f"| Harvesters fetch | Mono8 | scene | {harvesters_fps(args.frames):.0f} | |", flush=True)


if __name__ == "__main__":
    main()
