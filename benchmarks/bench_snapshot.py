"""Snapshot time on the simulated camera, on viky.cti and on every node map of the corpus.

Run: python3 benchmarks/bench_snapshot.py [--repeat N]
Prints, per node map, the nodes, the values captured (plain + selected variants), what was
unreadable, and min / median milliseconds of ``snapshot.capture`` over N runs. The corpus maps
(tests/data/nodemaps) are loaded into GenApi over a zero-filled RAM port (tests/ram_nodemap.py).
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time
from typing import Any

import genicam

import ace_gentl
from ace_gentl import snapshot
from ace_gentl.features import FeatureMap

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
import ram_nodemap  # noqa: E402 (a tests helper: the corpus loader)


def measure(label: str, features: FeatureMap, nodes: int, repeat: int) -> None:
    times: list[float] = []
    snap: dict[str, Any] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        snap = snapshot.capture(features)
        times.append((time.perf_counter() - started) * 1e3)
    values = len(snap["features"]) + sum(len(v) for v in snap["selected"].values())
    print(f"{label:34s} {nodes:6d} {len(features):8d} {values:7d} {len(snap['unreadable']):10d} "
          f"{min(times):8.1f} {statistics.median(times):8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'node map':34s} {'nodes':>6s} {'features':>8s} {'values':>7s} {'unreadable':>10s} "
          f"{'min ms':>8s} {'median':>8s}")
    with ace_gentl.open(sim=True) as session:
        measure("simulator (acA4112-20um)", session.features, len(list(session.raw.remote_device.node_map.nodes)),
                args.repeat)
    viky = next(pathlib.Path(genicam.__file__).parent.rglob("viky.cti"))
    with ace_gentl.open(cti=str(viky), index=0) as session:
        measure("viky.cti index 0", session.features, len(list(session.raw.remote_device.node_map.nodes)),
                args.repeat)
    for path in ram_nodemap.corpus_paths():
        loaded = ram_nodemap.load(path)
        measure(path.name, FeatureMap(loaded.node_map, neutral=True), len(list(loaded.node_map.nodes)), args.repeat)


if __name__ == "__main__":
    main()
