"""Mono12p -> uint16 for a full 4112x3008 frame: ace_gentl.pixels against a naive numpy way.

Run: PYTHONPATH=. python3 benchmarks/bench_pixels.py [--repeat N]
Prints min and median milliseconds per frame and checks every variant gives the same pixels.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from ace_gentl import pixels

WIDTH, HEIGHT = 4112, 3008
TARGET_MS = 15.0


def pack_mono12p(values: np.ndarray) -> bytes:
    """PFNC Mono12p: two pixels in three bytes, LSB first."""
    pairs = values.reshape(-1, 2).astype(np.uint32)
    out = np.empty((pairs.shape[0], 3), dtype=np.uint8)
    out[:, 0] = pairs[:, 0] & 0xFF
    out[:, 1] = (pairs[:, 0] >> 8) | ((pairs[:, 1] & 0xF) << 4)
    out[:, 2] = pairs[:, 1] >> 4
    return out.tobytes()


def naive(data: bytes) -> np.ndarray:
    """The usual way: strided byte slices widened to uint16, interleaved into the output."""
    raw = np.frombuffer(data, dtype=np.uint8).astype(np.uint16)
    b0, b1, b2 = raw[0::3], raw[1::3], raw[2::3]
    out = np.empty(WIDTH * HEIGHT, dtype=np.uint16)
    out[0::2] = b0 | ((b1 & 0x0F) << 8)
    out[1::2] = (b1 >> 4) | (b2 << 4)
    return out.reshape(HEIGHT, WIDTH)


def timed(function: Callable[[], np.ndarray], repeat: int) -> tuple[list[float], np.ndarray]:
    result = function()  # warm-up (page faults of the output, thread start)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1e3)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    values = np.random.default_rng(0).integers(0, 4096, WIDTH * HEIGHT, dtype=np.uint16)
    data = pack_mono12p(values)
    expected = values.reshape(HEIGHT, WIDTH)
    reused = np.empty(pixels.decode_capacity("Mono12p", WIDTH, HEIGHT), np.uint16)
    variants: dict[str, Callable[[], np.ndarray]] = {
        "naive numpy (strided slices)": lambda: naive(data),
        "ace_gentl.pixels.decode (new array)": lambda: pixels.decode(data, "Mono12p", WIDTH, HEIGHT),
        "ace_gentl.pixels.decode (into a reused array)": lambda: pixels.decode(data, "Mono12p", WIDTH, HEIGHT,
                                                                               out=reused),
    }
    print(f"Mono12p {WIDTH}x{HEIGHT} ({len(data) / 1e6:.1f} MB in, {expected.nbytes / 1e6:.1f} MB out), "
          f"{args.repeat} runs, numpy {np.__version__}")
    print(f"{'variant':<46} {'min ms':>8} {'median ms':>10}  ok")
    for label, function in variants.items():
        times, result = timed(function, args.repeat)
        ok = np.array_equal(result, expected)
        print(f"{label:<46} {min(times):8.2f} {statistics.median(times):10.2f}  {'yes' if ok else 'NO'}")
    print(f"target: under {TARGET_MS:g} ms")


if __name__ == "__main__":
    main()
