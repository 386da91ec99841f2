"""The node-map corpus (tests/data/nodemaps): what it holds, and that the feature layer is total on it.

Every node of every map is described, read, read as text and written back with its own
value (commands executed); snapshot -> apply -> snapshot leaves the device as it was. Only
AceGentlError may come out, on a zero-filled register space and on seeded pseudo-random ones.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ace_gentl
from ace_gentl import featuretext, snapshot
from ace_gentl.errors import AceGentlError, ApplyError
from ace_gentl.features import FeatureMap
from ram_nodemap import CORPUS, corpus_paths, load

PATHS = corpus_paths()
IDS = [p.stem for p in PATHS]
#: Zero-filled (the simulator's RAM space starts so) and two pseudo-random register spaces.
SEEDS = [None, 7, 2024]


def test_the_corpus_has_what_real_cameras_do() -> None:
    assert len(PATHS) >= 12
    listed = set(re.findall(r"^\| `([\w.]+\.xml)` \|", (CORPUS / "README.md").read_text(), re.MULTILINE))
    assert listed == {p.name for p in PATHS}, "README.md must list every corpus file, and only those"
    for path in PATHS:
        head = path.read_text(encoding="utf-8")[:600]
        assert head.startswith("<!--") and "Reproduces:" in head, f"{path.name}: no leading 'Reproduces:' comment"
        assert "no vendor XML copied" in path.read_text(encoding="utf-8")[:1500], path.name
    sizes = {p.name: len(list(load(p).node_map.nodes)) for p in PATHS}
    assert max(sizes.values()) >= 1000, sizes


def test_the_large_map_is_what_its_script_writes() -> None:
    script = CORPUS / "make_large_map.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _walk(features: FeatureMap, node_names: list[str]) -> dict[str, int]:
    """Describe, read, read as text and write back every node; count what worked. Only AceGentlError may escape."""
    counts = {"described": 0, "read": 0, "written": 0, "executed": 0}
    for name in node_names:
        try:
            info = features.describe(name)
        except AceGentlError:
            continue  # a category, a port, an enumeration entry: not a feature
        counts["described"] += 1
        assert info.value is not None or info.why_not_readable or info.type in ("Command", "Register"), name
        if info.type == "Command":
            try:
                features.execute(name)
                counts["executed"] += 1
            except AceGentlError:
                pass
            continue
        try:
            value = features.read(name)
        except AceGentlError:
            continue
        counts["read"] += 1
        try:
            featuretext.typed(features, name, value.hex() if isinstance(value, bytes) else str(value))
        except AceGentlError:
            pass  # e.g. a raw enumeration integer is not an entry name
        try:
            features.write(name, value)
            counts["written"] += 1
        except AceGentlError:
            pass
    return counts


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_node_is_read_described_and_written_back(path: Path, seed: int | None) -> None:
    loaded = load(path, seed)
    features = FeatureMap(loaded.node_map, neutral=True)
    names = sorted(str(node.node.name) for node in loaded.node_map.nodes)
    counts = _walk(features, names)
    assert counts["described"] >= len(features) > 0
    assert counts["read"] > 0 and counts["written"] > 0, counts
    for name in features:  # the listed features again, through the mapping protocol
        try:
            features[name] = features[name]
        except AceGentlError:
            pass


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_snapshot_apply_snapshot_leaves_the_device_as_it_was(path: Path, seed: int | None) -> None:
    loaded = load(path, seed)
    features = FeatureMap(loaded.node_map, neutral=True)
    before = {number: bytes(page) for number, page in loaded.port.pages.items()}
    first = snapshot.capture(features)
    touched = {number: bytes(page) for number, page in loaded.port.pages.items() if number in before}
    assert touched == before, "capturing changed registers (selectors not put back)"
    json.loads(json.dumps(first, allow_nan=True))  # JSON round trip (NaN stays NaN)
    snapshot.apply(features, first)  # the device already holds every value: nothing may fail
    second = snapshot.capture(features)
    assert snapshot.diff(first, second) == {}
    assert set(first["unreadable"]) == set(second["unreadable"])


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_apply_onto_another_state_reports_every_difference_it_leaves(path: Path) -> None:
    wanted = snapshot.capture(FeatureMap(load(path).node_map, neutral=True))
    other = load(path, seed=99)
    features = FeatureMap(other.node_map, neutral=True)
    differed = snapshot.diff(wanted, snapshot.capture(features))
    writes = other.port.writes
    try:
        snapshot.apply(features, wanted)
        failures: dict[str, str] = {}
    except ApplyError as error:
        failures = error.failures
        assert all(why for why in failures.values())
    assert other.port.writes > writes or failures or not differed, "apply neither wrote nor reported anything"
    after = snapshot.capture(features)
    # Targets are the writable values of the snapshot (labels under other selector values, e.g. of a
    # read-only selector elsewhere on this device, are no target); each must be set or reported.
    targets = set(wanted["writable"]) - snapshot.NEVER_APPLY
    unexplained = [label for label, (value, _) in snapshot.diff(wanted, after).items()
                   if label.split("[")[0] in targets and value != "<missing>" and label not in failures]
    assert unexplained == [], f"differences apply neither removed nor reported: {unexplained[:5]}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_corpus_xml_over_the_simulators_port_is_total(path: Path) -> None:
    """The XML replaces the simulator's own (device_xml): a real GenTL port under it, whose reads of
    addresses the simulator does not serve fail (until it serves any XML over a RAM space)."""
    with ace_gentl.open(sim=True, device_xml=path) as session:
        snap = session.snapshot()
        assert set(snap["features"]) | {label.split("[")[0] for label in snap["unreadable"]} | set(snap["selected"]) \
            >= set(session.features)
        for name in session.features:
            info = session.describe(name)
            assert info.value is not None or info.why_not_readable, name
        try:
            session.apply(snap)
        except ApplyError as error:
            assert error.failures
