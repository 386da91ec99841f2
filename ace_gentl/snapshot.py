"""Capture every readable feature, apply settings in a safe order, and compare captures.

A snapshot is plain JSON-serialisable data::

    {"format": "ace_gentl.snapshot", "version": 1,
     "device": {"vendor": ..., "model": ..., "serial": ...},
     "features": {"Width": 4096, "PixelFormat": "Mono8", ...},            # unselected features
     "selected": {"UserDefinedValue": [{"selectors": {"UserDefinedValueSelector": "Value1"},
                                         "value": 0}, ...]},             # every selector combination
     "writable": ["Width", ...],                                         # writable when captured
     "unreadable": {"Name": "why", "Name[Selector=Value]": "why"},        # implemented but unreadable now
     "notes": {"Name": "what to know"}}                                   # raw values, skipped selector values

Capturing never fails because of one feature: what cannot be read goes under ``unreadable``
with GenApi's reason, a selector value that cannot be selected is skipped and noted, an
enumeration whose register holds a value no entry names is stored as that integer (noted).
It stays bounded on huge node maps (:class:`Limits`): features that share their selectors
are read together under each combination, each selector contributes at most
``Limits.selector_values`` values and each group at most ``Limits.combinations``
combinations; what was left out is noted. Selectors are put back as they were.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ace_gentl.errors import ApplyError, FeatureError, SnapshotFormatError
from ace_gentl.features import MAX_SELECTOR_VALUES, FeatureMap, FeatureValue, reason_of

FORMAT = "ace_gentl.snapshot"
VERSION = 1
#: Features never applied: streaming handshake and values only the device may change.
NEVER_APPLY = frozenset({"TLParamsLocked", "TestImageResetAndHold"})
#: Rounds of "set everything that differs" before giving up on features that keep changing.
MAX_ROUNDS = 4
_FLOAT_RTOL = 1e-6


@dataclass(frozen=True)
class Limits:
    """What keeps a snapshot of a huge node map finite (a 4096-entry LUT index, sequencer sets x paths)."""

    #: Values taken from one selector (an integer range is cut after this many, entries likewise).
    selector_values: int = MAX_SELECTOR_VALUES
    #: Selector combinations read for one group of features that share the same selectors.
    combinations: int = 512


def label_of(name: str, selectors: Mapping[str, Any]) -> str:
    """``LineMode[LineSelector=Line3]``: how snapshots, diffs and errors name a selected variant."""
    if not selectors:
        return name
    return f"{name}[{', '.join(f'{k}={v}' for k, v in selectors.items())}]"


@dataclass
class _Capture:
    features: FeatureMap
    limits: Limits

    def __post_init__(self) -> None:
        self.plain: dict[str, FeatureValue] = {}
        self.selected: dict[str, list[dict[str, Any]]] = {}
        self.unreadable: dict[str, str] = {}
        self.notes: dict[str, list[str]] = {}
        self.writable: set[str] = set()

    def note(self, key: str, text: str) -> None:
        known = self.notes.setdefault(key, [])
        if text not in known:
            known.append(text)

    def read(self, name: str, label: str) -> tuple[bool, FeatureValue | None]:
        try:
            reading = self.features.reading(name)
        except FeatureError as error:
            self.unreadable[label] = reason_of(error)
            return False, None
        if reading.note:
            self.note(label, reading.note)
        if self.features.is_writable(name):
            self.writable.add(name)
        return True, reading.value

    def plain_feature(self, name: str) -> None:
        ok, value = self.read(name, name)
        if ok:
            self.plain[name] = value  # type: ignore[assignment]

    def group(self, selectors: list[str], members: list[str]) -> None:
        """Read ``members`` under every combination of ``selectors`` (outer first), then restore them."""
        features = self.features
        original: dict[str, FeatureValue] = {}
        for selector in selectors:
            try:
                original[selector] = features.read(selector)
            except FeatureError as error:
                for member in members:
                    self.unreadable[member] = f"its selector {selector}: {reason_of(error)}"
                return
        for member in members:
            self.selected[member] = []
        count = 0
        try:
            for combination in self._combinations(selectors, 0, {}):
                if count == self.limits.combinations:
                    for member in members:
                        self.note(member, f"only the first {count} combinations of {', '.join(selectors)} captured")
                    break
                count += 1
                for member in members:
                    ok, value = self.read(member, label_of(member, combination))
                    if ok:
                        self.selected[member].append({"selectors": dict(combination), "value": value})
        finally:
            self._restore(original)

    def _combinations(self, selectors: list[str], index: int,
                      chosen: dict[str, FeatureValue]) -> Iterator[dict[str, FeatureValue]]:
        if index == len(selectors):
            yield chosen
            return
        features, selector = self.features, selectors[index]
        if not features.is_writable(selector):  # read-only (ActionSelector) or locked now: the current value only
            try:
                current = features.read(selector)
            except FeatureError as error:
                self.note(selector, f"cannot be read under {label_of('', chosen) or 'the current state'}: "
                                    f"{reason_of(error)}")
                return
            self.note(selector, f"not writable now ({features.why_not_writable(selector)}); only its current "
                                f"value was captured")
            yield from self._combinations(selectors, index + 1, {**chosen, selector: current})
            return
        try:
            before = features.read(selector)
            choices = features.selector_choices(selector, self.limits.selector_values)
        except FeatureError as error:
            self.note(selector, f"its values cannot be listed now: {reason_of(error)}")
            return
        if choices.note:
            self.note(selector, choices.note)
        try:
            for value in choices.values:
                if self._select(selector, value):
                    yield from self._combinations(selectors, index + 1, {**chosen, selector: value})
        finally:
            # An inner selector is itself selected (LUTIndex per LUTSelector): put it back under each outer value.
            self._restore({selector: before})

    def _select(self, selector: str, value: FeatureValue) -> bool:
        features = self.features
        try:
            if not same(features.read(selector), value):
                features.write(selector, value)
            actual = features.read(selector)
        except FeatureError as error:
            self.note(selector, f"{selector}={value!s} skipped: cannot be selected ({reason_of(error)})")  # noqa: B907
            return False
        if not same(actual, value):
            self.note(selector, f"{selector}={value!s} skipped: reads back {actual!r}")  # noqa: B907
            return False
        return True

    def _restore(self, original: Mapping[str, FeatureValue]) -> None:
        for selector, value in original.items():  # outer first: inner values are put back under them
            try:
                if not same(self.features.read(selector), value):
                    self.features.put_back(selector, value)
            except FeatureError as error:
                self.note(selector, f"could not be put back to {value!r}: {reason_of(error)}")


def capture(features: FeatureMap, device: Any = None, limits: Limits | None = None) -> dict[str, Any]:
    """Every readable value feature; selected features once per selector combination (see module doc)."""
    state = _Capture(features, limits or Limits())
    groups: dict[tuple[str, ...], list[str]] = {}
    for name in features:
        selected = [s for s in features.selectors_of(name) if s != name]
        if selected:
            groups.setdefault(tuple(features.outer_first(selected)), []).append(name)
        else:
            state.plain_feature(name)
    for selectors, members in groups.items():
        state.group(list(selectors), members)
    record = asdict(device) if device is not None and hasattr(device, "__dataclass_fields__") else {}
    if "producer" in record:
        record["producer"] = str(record["producer"])
    return {"format": FORMAT, "version": VERSION, "device": record, "features": state.plain,
            "selected": state.selected, "writable": sorted(state.writable), "unreadable": state.unreadable,
            "notes": {key: "; ".join(texts) for key, texts in state.notes.items()}}


def _check(settings: Mapping[str, Any]) -> None:
    """SnapshotFormatError unless ``settings`` is a snapshot this version reads, with the expected structure."""
    if not isinstance(settings, Mapping) or settings.get("format") != FORMAT:
        raise SnapshotFormatError("not an ace_gentl snapshot (no 'format': 'ace_gentl.snapshot')")
    if settings.get("version") != VERSION:
        raise SnapshotFormatError(f"snapshot version {settings.get('version')!r}; this ace_gentl reads {VERSION}")
    if not isinstance(settings.get("features"), Mapping):
        raise SnapshotFormatError("snapshot without a 'features' mapping")
    selected = settings.get("selected", {})
    if not isinstance(selected, Mapping):
        raise SnapshotFormatError("snapshot 'selected' must map feature names to lists of variants")
    for name, variants in selected.items():
        if not isinstance(variants, list) or not all(
                isinstance(v, Mapping) and isinstance(v.get("selectors"), Mapping) and "value" in v for v in variants):
            raise SnapshotFormatError(f"snapshot 'selected' {name!r}: each variant needs 'selectors' (a mapping) "
                                      f"and 'value'")
    if not isinstance(settings.get("writable", []), list):
        raise SnapshotFormatError("snapshot 'writable' must be a list of names")


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
        return label_of(self.name, self.selectors)


def _targets(features: FeatureMap, settings: Mapping[str, Any]) -> list[_Target]:
    if "format" in settings:
        _check(settings)
        writable = set(settings.get("writable", ()))
        plain = {k: v for k, v in settings["features"].items() if k in writable}
        targets = [_Target(k, v, {}) for k, v in plain.items()]
        for name, variants in settings.get("selected", {}).items():
            if name in writable:
                targets += [_Target(name, v["value"], dict(v["selectors"])) for v in variants]
    elif isinstance(settings, Mapping):
        targets = [_Target(str(k), v, {}) for k, v in settings.items()]
    else:
        raise SnapshotFormatError(f"settings must be a snapshot or a mapping of names to values, not "
                                  f"{type(settings).__name__}")
    targets = [t for t in targets if t.name not in NEVER_APPLY]
    # Selected variants go last, then the selectors' own values, so the selectors end as captured.
    selector_names = {s for t in targets for s in t.selectors}
    return sorted(targets, key=lambda t: (2 if t.name in selector_names else (1 if t.selectors else 0),
                                          _rank(t.name, t.value)))


def same(a: Any, b: Any) -> bool:
    """Equal values, floats within a relative 1e-6 (NaN equals NaN: a register that reads NaN did not change)."""
    if isinstance(a, float) or isinstance(b, float):
        try:
            x, y = float(a), float(b)
        except (TypeError, ValueError):
            return False
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return math.isclose(x, y, rel_tol=_FLOAT_RTOL, abs_tol=1e-9)
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
            flat[label_of(name, variant["selectors"])] = variant["value"]
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


__all__ = ["FORMAT", "Limits", "VERSION", "apply", "capture", "diff", "label_of", "same"]
