"""Capture every readable feature, apply settings in a safe order, and compare captures.

A snapshot is plain JSON-serialisable data::

    {"format": "ace_gentl.snapshot", "version": 1,
     "device": {"vendor": ..., "model": ..., "serial": ...},
     "features": {"Width": 4096, "PixelFormat": "Mono8", ...},            # unselected features
     "selected": {"UserDefinedValue": [{"selectors": {"UserDefinedValueSelector": "Value1"},
                                         "value": 0}, ...]},             # every selector combination
     "writable": ["Width", ...],                                         # writable when captured
     "unreadable": {"Name": "why"}}                                       # implemented but unreadable now
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ace_gentl.errors import ApplyError, FeatureError, SnapshotFormatError
from ace_gentl.features import FeatureMap, FeatureValue

FORMAT = "ace_gentl.snapshot"
VERSION = 1
#: Features never applied: streaming handshake and values only the device may change.
NEVER_APPLY = frozenset({"TLParamsLocked", "TestImageResetAndHold"})
#: Rounds of "set everything that differs" before giving up on features that keep changing.
MAX_ROUNDS = 4
_FLOAT_RTOL = 1e-6


def _selector_combinations(features: FeatureMap, selectors: list[str]) -> Iterable[dict[str, FeatureValue]]:
    choices = [features.selector_values(s) for s in selectors]
    for values in itertools.product(*choices):
        yield dict(zip(selectors, values))


def capture(features: FeatureMap, device: Any = None) -> dict[str, Any]:
    """Every readable value feature; selected features once per selector combination."""
    plain: dict[str, FeatureValue] = {}
    selected: dict[str, list[dict[str, Any]]] = {}
    unreadable: dict[str, str] = {}
    writable: list[str] = []
    for name in features:
        selectors = features.selectors_of(name)
        if not selectors:
            if not features.is_readable(name):
                unreadable[name] = features.why_not_readable(name)
                continue
            plain[name] = features.read(name)
            if features.is_writable(name):
                writable.append(name)
            continue
        variants = []
        for combination in _selector_combinations(features, selectors):
            with features.selected(name, combination):
                if features.is_readable(name):
                    variants.append({"selectors": combination, "value": features.read(name)})
                    if features.is_writable(name) and name not in writable:
                        writable.append(name)
        selected[name] = variants
    record = asdict(device) if device is not None and hasattr(device, "__dataclass_fields__") else {}
    if "producer" in record:
        record["producer"] = str(record["producer"])
    return {"format": FORMAT, "version": VERSION, "device": record, "features": plain, "selected": selected,
            "writable": sorted(writable), "unreadable": unreadable}


def _check(settings: Mapping[str, Any]) -> None:
    if settings.get("format") != FORMAT:
        raise SnapshotFormatError("not an ace_gentl snapshot (no 'format': 'ace_gentl.snapshot')")
    if settings.get("version") != VERSION:
        raise SnapshotFormatError(f"snapshot version {settings.get('version')!r}; this ace_gentl reads {VERSION}")


# --- ordering ----------------------------------------------------------------------------------

_EARLY = ("Auto", "Enable", "Mode")  # ExposureAuto, AcquisitionFrameRateEnable, ExposureMode, ...
_FORMAT_FEATURES = ("PixelFormat", "BinningHorizontal", "BinningVertical", "BinningHorizontalMode",
                    "BinningVerticalMode", "DecimationHorizontal", "DecimationVertical", "ReverseX", "ReverseY")


def _rank(name: str, value: Any) -> int:
    """Lower ranks are set first."""
    if name in ("CenterX", "CenterY"):
        return 0 if value is False else 5  # unlock offsets early; centre only once the size is final
    if name.endswith(_EARLY) or name.endswith("Selector"):
        return 1
    if name in _FORMAT_FEATURES:
        return 2
    if name in ("Width", "Height"):
        return 3
    if name in ("OffsetX", "OffsetY"):
        return 4
    return 6


@dataclass
class _Target:
    name: str
    value: FeatureValue
    selectors: dict[str, FeatureValue]

    @property
    def label(self) -> str:
        if not self.selectors:
            return self.name
        return f"{self.name}[{', '.join(f'{k}={v}' for k, v in self.selectors.items())}]"


def _targets(features: FeatureMap, settings: Mapping[str, Any]) -> list[_Target]:
    if "format" in settings:
        _check(settings)
        writable = set(settings.get("writable", ()))
        plain = {k: v for k, v in settings["features"].items() if k in writable}
        targets = [_Target(k, v, {}) for k, v in plain.items()]
        for name, variants in settings.get("selected", {}).items():
            if name in writable:
                targets += [_Target(name, v["value"], dict(v["selectors"])) for v in variants]
    else:
        targets = [_Target(k, v, {}) for k, v in settings.items()]
    targets = [t for t in targets if t.name not in NEVER_APPLY]
    # Selected variants go last, then the selectors' own values, so the selectors end as captured.
    selector_names = {s for t in targets for s in t.selectors}
    return sorted(targets, key=lambda t: (2 if t.name in selector_names else (1 if t.selectors else 0),
                                          _rank(t.name, t.value)))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=_FLOAT_RTOL, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def apply(features: FeatureMap, settings: Mapping[str, Any]) -> None:
    """Set every target, repeating until nothing changes; ApplyError lists what could not be set."""
    targets = _targets(features, settings)
    failures: dict[str, str] = {}
    for _round in range(MAX_ROUNDS):
        changed = False
        for target in targets:
            try:
                with features.selected(target.name, target.selectors):
                    if same(features.read(target.name), target.value):
                        failures.pop(target.label, None)
                        continue
                    features.write(target.name, target.value)
                changed = True
                failures.pop(target.label, None)
            except FeatureError as error:
                failures[target.label] = str(error)
        if not changed:
            break
    for target in targets:  # read every value back: a later write may have changed an earlier one
        if target.label in failures:
            continue
        try:
            with features.selected(target.name, target.selectors):
                actual = features.read(target.name)
        except FeatureError as error:
            failures[target.label] = f"cannot read back: {error}"
            continue
        if not same(actual, target.value):
            failures[target.label] = f"reads back {actual!r} after setting {target.value!r}"
    if failures:
        raise ApplyError(failures)


def _flatten(snap: Mapping[str, Any]) -> dict[str, Any]:
    _check(snap)
    flat: dict[str, Any] = dict(snap["features"])
    for name, variants in snap.get("selected", {}).items():
        for variant in variants:
            label = f"{name}[{', '.join(f'{k}={v}' for k, v in variant['selectors'].items())}]"
            flat[label] = variant["value"]
    return flat


_MISSING = "<missing>"


def diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Features whose values differ between two snapshots: label -> (value in a, value in b)."""
    left, right = _flatten(a), _flatten(b)
    out: dict[str, tuple[Any, Any]] = {}
    for label in sorted(set(left) | set(right)):
        x, y = left.get(label, _MISSING), right.get(label, _MISSING)
        if not same(x, y):
            out[label] = (x, y)
    return out


__all__ = ["FORMAT", "VERSION", "apply", "capture", "diff"]
