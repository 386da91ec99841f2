"""Typed access to the features of one GenApi node map, with errors that say what is allowed.

:class:`FeatureMap` is a mutable mapping from feature name to a plain Python value
(int, float, bool, str, or the enumeration entry's name). Writes are checked before
they reach the device, so an error names the range, the increment and the nearest
valid values, the entries, or why the feature is not writable now.
"""

from __future__ import annotations

import contextlib
import difflib
import math
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Union

from genicam import genapi

from ace_gentl import naming
from ace_gentl.errormap import feature_errors
from ace_gentl.errors import (
    FeatureAccessError,
    FeatureError,
    FeatureTypeError,
    FeatureValueError,
    UnknownFeatureError,
)

FeatureValue = Union[int, float, bool, str]

_T = genapi.EInterfaceType
_TYPE_NAMES = {
    _T.intfIInteger: "Integer", _T.intfIFloat: "Float", _T.intfIBoolean: "Boolean", _T.intfIString: "String",
    _T.intfIEnumeration: "Enumeration", _T.intfICommand: "Command", _T.intfICategory: "Category",
    _T.intfIRegister: "Register", _T.intfIPort: "Port", _T.intfIEnumEntry: "EnumEntry", _T.intfIValue: "Value",
    _T.intfIBase: "Base",
}
VALUE_TYPES = frozenset({"Integer", "Float", "Boolean", "String", "Enumeration"})
_ACCESS_NAMES = {genapi.EAccessMode.NI: "NI", genapi.EAccessMode.NA: "NA", genapi.EAccessMode.WO: "WO",
                 genapi.EAccessMode.RO: "RO", genapi.EAccessMode.RW: "RW"}
_VISIBILITY_NAMES = {genapi.EVisibility.Beginner: "Beginner", genapi.EVisibility.Expert: "Expert",
                     genapi.EVisibility.Guru: "Guru", genapi.EVisibility.Invisible: "Invisible"}
#: A value feature that an "auto" feature overrides while the auto is not Off (SFNC).
AUTO_OF = {"ExposureTime": "ExposureAuto", "Gain": "GainAuto", "BlackLevel": "BlackLevelAuto",
           "BalanceRatio": "BalanceWhiteAuto"}
#: Integer selectors with more values than this are not expanded (snapshots would explode).
MAX_SELECTOR_VALUES = 64


@dataclass(frozen=True)
class FeatureInfo:
    """Everything the node map says about a feature (``session.describe``)."""

    name: str
    node: str  # the node really used (differs from name for an older alias)
    type: str
    access: str  # RW, RO, WO, NA (not available now) or NI (not implemented)
    visibility: str
    category: tuple[str, ...]
    description: str
    unit: str = ""
    min: float | int | None = None
    max: float | int | None = None
    increment: float | int | None = None
    entries: tuple[str, ...] = ()  # available enumeration entries
    selectors: tuple[str, ...] = ()  # features that select this one
    selects: tuple[str, ...] = ()  # features this one selects
    value: FeatureValue | None = None  # the current value if readable
    note: str = ""  # how a neutral name maps onto an older one
    why_not_writable: str = ""


@dataclass
class _Entry:
    node: Any  # the typed genapi interface (IInteger, IFloat, ...)
    type: str
    resolution: naming.Resolution


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _num(text: str) -> str:
    return f"{text:g}" if isinstance(text, float) else str(text)


@dataclass
class FeatureMap(MutableMapping[str, FeatureValue]):
    """Feature name -> typed value over one GenApi node map.

    ``where`` names the module in messages ("camera", "GenTL Device module", ...);
    ``neutral`` enables SFNC names on cameras with older names (remote device only);
    ``streaming`` tells whether acquisition runs, to explain locked features.
    """

    node_map: genapi.NodeMap
    where: str = "camera"
    neutral: bool = False
    streaming: Callable[[], bool] = field(default=lambda: False)
    _names: list[str] | None = field(default=None, init=False, repr=False)
    _categories: dict[str, tuple[str, ...]] | None = field(default=None, init=False, repr=False)
    _entries: dict[str, _Entry] = field(default_factory=dict, init=False, repr=False)
    #: SFNC name -> node actually used, for every neutral name resolved so far.
    used_names: dict[str, str] = field(default_factory=dict, init=False)

    # --- lookup --------------------------------------------------------------------------------

    def _all_feature_names(self) -> list[str]:
        if self._names is None:
            names = []
            for node in self.node_map.nodes:
                inner = node.node
                if inner.is_feature() and _TYPE_NAMES.get(inner.principal_interface_type) in VALUE_TYPES:
                    names.append(inner.name)
            self._names = sorted(names)
        return self._names

    def _has(self, name: str) -> bool:
        return bool(self.node_map.has_node(name))

    def _raw(self, name: str) -> Any:
        return self.node_map.get_node(name)

    def entry(self, name: str) -> _Entry:
        """The node behind ``name`` (resolving older aliases), or UnknownFeatureError with suggestions."""
        cached = self._entries.get(name)
        if cached is not None:
            return cached
        resolution: naming.Resolution | None
        if self.neutral:
            resolution = naming.resolve(name, self._has_feature, self._has, self._read_number, self._unit_of)
        else:
            resolution = naming.Resolution(name, name) if self._has_feature(name) else None
        if resolution is None:
            raise UnknownFeatureError(name, self.closest(name), self.where)
        node = self._raw(resolution.node)
        kind = _TYPE_NAMES.get(node.node.principal_interface_type, "Unknown")
        found = _Entry(node, kind, resolution)
        self._entries[name] = found
        if resolution.is_alias:
            self.used_names[name] = resolution.node
        return found

    def _has_feature(self, name: str) -> bool:
        if not self._has(name):
            return False
        node = self._raw(name).node
        return bool(node.is_feature()) and node.principal_interface_type != _T.intfICategory

    def _read_number(self, name: str) -> float:
        with feature_errors(name):
            return float(self._raw(name).value)

    def _unit_of(self, name: str) -> str:
        node = self._raw(name)
        return str(getattr(node, "unit", "") or "")

    def closest(self, name: str, count: int = 3) -> list[str]:
        """Existing feature names closest to ``name`` (case-insensitive)."""
        names = self._all_feature_names()
        by_lower = {n.lower(): n for n in names}
        hits = difflib.get_close_matches(name.lower(), list(by_lower), n=count, cutoff=0.5)
        return [by_lower[h] for h in hits]

    def resolution(self, name: str) -> naming.Resolution:
        """Which node serves ``name`` and how values convert."""
        return self.entry(name).resolution

    # --- mapping protocol ----------------------------------------------------------------------

    def __iter__(self) -> Iterator[str]:
        return iter(self._all_feature_names())

    def __len__(self) -> int:
        return len(self._all_feature_names())

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.entry(name)
        except UnknownFeatureError:
            return False
        return True

    def __getitem__(self, name: str) -> FeatureValue:
        return self.read(name)

    def __setitem__(self, name: str, value: FeatureValue) -> None:
        self.write(name, value)

    def __delitem__(self, name: str) -> None:
        raise TypeError("features cannot be deleted")

    # --- reading -------------------------------------------------------------------------------

    def read(self, name: str, **selectors: FeatureValue) -> FeatureValue:
        """The typed value of ``name``, optionally under ``selectors`` (restored afterwards)."""
        with self.selected(name, selectors):
            entry = self.entry(name)
            if entry.type not in VALUE_TYPES:
                raise FeatureTypeError(name, f"is a {entry.type}, which has no value", node=entry.resolution.node)
            if not genapi.is_readable(entry.node):
                raise FeatureAccessError(name, f"not readable now ({self.why_not_readable(name)})",
                                         node=entry.resolution.node)
            with feature_errors(name, entry.resolution.node):
                value = self._typed_value(entry)
            convert = entry.resolution.to_user
            return convert(float(value)) if convert is not None else value

    @staticmethod
    def _typed_value(entry: _Entry) -> FeatureValue:
        node = entry.node
        if entry.type == "Integer":
            return int(node.value)
        if entry.type == "Float":
            return float(node.value)
        if entry.type == "Boolean":
            return bool(node.value)
        if entry.type == "Enumeration":
            return str(node.get_current_entry().symbolic)
        return str(node.value)

    # --- writing -------------------------------------------------------------------------------

    def write(self, name: str, value: FeatureValue, **selectors: FeatureValue) -> None:
        """Set ``name`` to ``value`` after checking type, range, increment, entries and access."""
        with self.selected(name, selectors):
            entry = self.entry(name)
            node_name = entry.resolution.node
            self._check_type(name, entry, value)
            if not genapi.is_writable(entry.node):
                raise FeatureAccessError(name, f"not writable now: {self.why_not_writable(name)}", node=node_name)
            to_node = entry.resolution.to_node
            raw = to_node(float(value)) if to_node is not None else value
            if entry.type == "Integer" and isinstance(raw, float):
                if to_node is not None and entry.resolution.to_user is not None and \
                        abs(raw - round(raw)) > 1e-6 * max(1.0, abs(raw)):
                    below, above = (entry.resolution.to_user(float(math.floor(raw))),
                                    entry.resolution.to_user(float(math.ceil(raw))))
                    raise FeatureValueError(name, f"{value!r} is off increment {above - below:g} "
                                                  f"({entry.resolution.note}); nearest valid {below:g} or {above:g}",
                                            node=node_name)
                raw = int(round(raw))
            self._check_value(name, entry, raw, value)
            with feature_errors(name, node_name):
                if entry.type == "Enumeration":
                    entry.node.from_string(str(raw))
                elif entry.type == "Float":
                    entry.node.value = float(raw)
                else:
                    entry.node.value = raw

    def execute(self, name: str, **selectors: FeatureValue) -> None:
        """Execute a Command feature (AcquisitionStart, TriggerSoftware, UserSetSave, ...)."""
        with self.selected(name, selectors):
            entry = self.entry(name)
            if entry.type != "Command":
                raise FeatureTypeError(name, f"is a {entry.type}, not a Command", node=entry.resolution.node)
            if not genapi.is_writable(entry.node):
                raise FeatureAccessError(name, f"cannot be executed now: {self.why_not_writable(name)}",
                                         node=entry.resolution.node)
            with feature_errors(name, entry.resolution.node):
                entry.node.execute()

    def _check_type(self, name: str, entry: _Entry, value: object) -> None:
        kind, node_name = entry.type, entry.resolution.node
        ok = {
            "Integer": _is_int(value) or (entry.resolution.to_node is not None and isinstance(value, float))
            or (isinstance(value, float) and value.is_integer()),
            "Float": (_is_int(value) or isinstance(value, float)),
            "Boolean": isinstance(value, bool),
            "String": isinstance(value, str),
            "Enumeration": isinstance(value, str),
        }.get(kind)
        if ok is None:
            hint = "; use execute()" if kind == "Command" else ""
            raise FeatureTypeError(name, f"is a {kind} and cannot be set{hint}", node=node_name)
        if not ok:
            expected = {"Integer": "an int", "Float": "a float", "Boolean": "a bool", "String": "a str"}.get(kind) \
                or f"an entry name (one of {', '.join(self.available_entries(entry))})"
            raise FeatureTypeError(name, f"expects {expected}, got {type(value).__name__} {value!r}", node=node_name)

    def _check_value(self, name: str, entry: _Entry, raw: FeatureValue, given: FeatureValue) -> None:
        node, node_name = entry.node, entry.resolution.node
        shown = f"{given!r}" + (f" ({node_name} {raw!r})" if raw is not given else "")
        if entry.type == "Enumeration":
            allowed = self.available_entries(entry)
            if raw not in allowed:
                raise FeatureValueError(name, f"{shown} is not an available entry; allowed: {', '.join(allowed)}",
                                        node=node_name)
        elif entry.type == "Integer":
            value = int(raw)
            lo, hi, inc = int(node.min), int(node.max), int(node.inc) or 1
            if value < lo or value > hi:
                raise FeatureValueError(name, f"{shown} is out of range (min {lo}, max {hi}, increment {inc})",
                                        node=node_name)
            if (value - lo) % inc:
                below = lo + (value - lo) // inc * inc
                above = below + inc
                nearest = " or ".join(str(v) for v in (below, above) if lo <= v <= hi)
                raise FeatureValueError(
                    name, f"{shown} is off increment {inc} (min {lo}, max {hi}); nearest valid {nearest}",
                    node=node_name)
        elif entry.type == "Float":
            number = float(raw)
            low, high = float(node.min), float(node.max)
            if not math.isfinite(number) or number < low or number > high:
                raise FeatureValueError(name, f"{shown} is out of range (min {low:g}, max {high:g})", node=node_name)
            if node.has_inc():
                step = float(node.inc)
                steps = (number - low) / step
                if abs(steps - round(steps)) > 1e-9 * max(1.0, abs(steps)):
                    floor = low + math.floor(steps) * step
                    raise FeatureValueError(
                        name, f"{shown} is off increment {step:g} (min {low:g}, max {high:g}); nearest valid "
                              f"{floor:g} or {floor + step:g}", node=node_name)
        elif entry.type == "String":
            limit = int(node.max_length)
            if len(str(raw)) > limit:
                raise FeatureValueError(name, f"{shown} is longer than {limit} characters", node=node_name)

    # --- explanations --------------------------------------------------------------------------

    @staticmethod
    def available_entries(entry: _Entry) -> list[str]:
        return [e.symbolic for e in entry.node.entries if genapi.is_available(e)]

    def _property(self, node: Any, key: str) -> str:
        if key not in node.node.property_names:
            return ""
        return str(node.node.get_property(key)[0])

    def _lock_source(self, reference: str) -> str:
        # pIsLocked often points at a register (CenterXReg); users know the feature (CenterX).
        for candidate in (reference, reference.removesuffix("Reg")):
            if candidate and self._has_feature(candidate):
                return candidate
        return reference

    def why_not_writable(self, name: str) -> str:
        """A sentence saying why ``name`` cannot be written now (best effort, from the node map)."""
        entry = self.entry(name)
        node = entry.node
        access = _ACCESS_NAMES.get(node.node.get_access_mode(), "?")
        reasons = []
        auto = AUTO_OF.get(name)
        if auto and self._has_feature(auto):
            state = self._safe_read(auto)
            if state != "Off":
                reasons.append(f"{auto} is {state}")
        locked_by = self._property(node, "pIsLocked")
        if locked_by:
            source = self._lock_source(locked_by)
            if self._has(locked_by):
                try:
                    locked = bool(int(self._raw(locked_by).value))
                except genapi.GenericException as error:  # explain, but keep the real error in front
                    reasons.append(f"locked by {source} (unreadable: {error})")
                    locked = False
                if locked:
                    if source == "TLParamsLocked":
                        reasons.append("locked while streaming (TLParamsLocked = 1, acquisition is running)")
                    else:
                        reasons.append(f"locked by {source}")
        available_if = self._property(node, "pIsAvailable")
        if available_if and access in ("NA", "NI"):
            reasons.append(f"not available while {self._lock_source(available_if)} is false")
        if not reasons and self.streaming():
            reasons.append("acquisition is running")
        selectors = self.selectors_of(name)
        if selectors:
            state = ", ".join(f"{s}={self._safe_read(s)}" for s in selectors)
            reasons.append(f"with {state}")
        if access == "RO" and not locked_by and not reasons:
            reasons.append("read-only feature")
        return "; ".join(reasons) or f"access mode is {access}"

    def why_not_readable(self, name: str) -> str:
        entry = self.entry(name)
        access = _ACCESS_NAMES.get(entry.node.node.get_access_mode(), "?")
        if access == "WO":
            return "write-only feature"
        available_if = self._property(entry.node, "pIsAvailable")
        if available_if:
            return f"not available while {self._lock_source(available_if)} is false"
        return f"access mode is {access}"

    def _safe_read(self, name: str) -> str:
        try:
            return str(self.read(name))
        except FeatureError as error:
            return f"<unreadable: {error}>"

    # --- selectors -----------------------------------------------------------------------------

    def selectors_of(self, name: str) -> list[str]:
        """Features that select ``name`` (LineSelector for LineMode, ...)."""
        entry = self.entry(name)
        return [s.node.name for s in entry.node.node.selecting_features]

    def selector_values(self, selector: str) -> list[FeatureValue]:
        """Every value a selector can take now (entries, or an integer range up to MAX_SELECTOR_VALUES)."""
        entry = self.entry(selector)
        if entry.type == "Enumeration":
            return list(self.available_entries(entry))
        if entry.type == "Integer":
            lo, hi, inc = int(entry.node.min), int(entry.node.max), int(entry.node.inc) or 1
            values: list[FeatureValue] = list(range(lo, hi + 1, inc))
            return values[:MAX_SELECTOR_VALUES]
        if entry.type == "Boolean":
            return [False, True]
        return [self.read(selector)]

    @contextlib.contextmanager
    def selected(self, name: str, selectors: Mapping[str, FeatureValue]) -> Iterator[None]:
        """Set ``selectors`` for the duration of the block, then put them back as they were."""
        if not selectors:
            yield
            return
        allowed = set(self.selectors_of(name))
        unknown = [s for s in selectors if s not in allowed]
        if unknown:
            raise FeatureValueError(name, f"is not selected by {', '.join(unknown)}; its selectors: "
                                          f"{', '.join(sorted(allowed)) or 'none'}")
        previous = {s: self.read(s) for s in selectors}
        try:
            for selector, value in selectors.items():
                self.write(selector, value)
            yield
        finally:
            for selector, value in previous.items():
                self.write(selector, value)

    # --- description ---------------------------------------------------------------------------

    def category_of(self, name: str) -> tuple[str, ...]:
        if self._categories is None:
            paths: dict[str, tuple[str, ...]] = {}

            def walk(category: Any, path: tuple[str, ...]) -> None:
                for child in category.features:
                    child_name = child.node.name
                    if child.node.principal_interface_type == _T.intfICategory:
                        if child_name not in path:  # guard against cyclic XMLs
                            walk(child, path + (child_name,))
                    else:
                        paths.setdefault(child_name, path)

            if self._has("Root"):
                walk(self._raw("Root"), ())
            self._categories = paths
        return self._categories.get(name, ())

    def describe(self, name: str) -> FeatureInfo:
        entry = self.entry(name)
        node, inner = entry.node, entry.node.node
        resolution = entry.resolution
        kind = entry.type
        unit = str(getattr(node, "unit", "") or "") if kind in ("Integer", "Float") else ""
        lo = hi = inc = None
        to_user = resolution.to_user
        if kind in ("Integer", "Float") and genapi.is_readable(node):
            with feature_errors(name, resolution.node):
                lo, hi = node.min, node.max
                if kind == "Integer":
                    inc = node.inc
                elif node.has_inc():
                    inc = node.inc
            if to_user is not None:
                lo, hi = to_user(float(lo)), to_user(float(hi))
                inc = to_user(float(inc)) if inc is not None else None
                unit = "us" if name in naming.ALIASES else unit
        if resolution.is_alias and "raw device units" in resolution.note:
            unit = "raw device units"
        value: FeatureValue | None = None
        if kind in VALUE_TYPES and genapi.is_readable(node):
            value = self.read(name)
        writable = bool(genapi.is_writable(node))
        return FeatureInfo(
            name=name, node=resolution.node, type=kind,
            access=_ACCESS_NAMES.get(inner.get_access_mode(), "?"),
            visibility=_VISIBILITY_NAMES.get(inner.visibility, "?"),
            category=self.category_of(resolution.node),
            description=str(inner.description or inner.tooltip or ""),
            unit=unit, min=lo, max=hi, increment=inc,
            entries=tuple(self.available_entries(entry)) if kind == "Enumeration" else (),
            selectors=tuple(self.selectors_of(name)),
            selects=tuple(s.node.name for s in inner.selected_features),
            value=value, note=resolution.note,
            why_not_writable="" if writable or kind not in VALUE_TYPES | {"Command"} else self.why_not_writable(name),
        )

    def type_of(self, name: str) -> str:
        return self.entry(name).type

    def is_writable(self, name: str) -> bool:
        return bool(genapi.is_writable(self.entry(name).node))

    def is_readable(self, name: str) -> bool:
        return bool(genapi.is_readable(self.entry(name).node))


__all__ = ["AUTO_OF", "FeatureInfo", "FeatureMap", "FeatureValue", "VALUE_TYPES"]
