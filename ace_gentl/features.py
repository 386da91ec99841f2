"""Typed access to the features of one GenApi node map, with errors that say what is allowed.

:class:`FeatureMap` is a mutable mapping from feature name to a plain Python value
(int, float, bool, str, or the enumeration entry's name). Writes are checked before
they reach the device, so an error names the range, the increment and the nearest
valid values, the entries, or why the feature is not writable now.

Every operation is total on any node map GenApi loads: what GenApi (or genicam's SWIG
layer) raises becomes a :class:`~ace_gentl.errors.FeatureError`, and ``describe``,
``is_readable``, ``why_not_readable`` and the selector helpers never raise for a node's
state. What each node type does differently lives in :mod:`ace_gentl.featuretypes`.
The node map may come from Harvesters, from genicam directly or from a test port: only
``nodes``, ``has_node`` and ``get_node`` are used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from genicam import genapi

from ace_gentl import naming
from ace_gentl.errormap import GENICAM_ERRORS, feature_errors, genicam_reason
from ace_gentl.errors import (
    FeatureAccessError,
    FeatureError,
    FeatureTypeError,
    FeatureValueError,
    UnknownFeatureError,
    add_note,
)
from ace_gentl.featuretypes import (
    VALUE_TYPES,
    Adapters,
    Choices,
    CommandType,
    EnumerationType,
    FeatureValue,
    NodeType,
    Reading,
    kind_of,
)

_ACCESS_NAMES = {genapi.EAccessMode.NI: "NI", genapi.EAccessMode.NA: "NA", genapi.EAccessMode.WO: "WO",
                 genapi.EAccessMode.RO: "RO", genapi.EAccessMode.RW: "RW"}
_VISIBILITY_NAMES = {genapi.EVisibility.Beginner: "Beginner", genapi.EVisibility.Expert: "Expert",
                     genapi.EVisibility.Guru: "Guru", genapi.EVisibility.Invisible: "Invisible"}
_READABLE = frozenset({"RO", "RW"})
_WRITABLE = frozenset({"WO", "RW"})
#: Prefixes GenApi accepts before a node name to say its namespace (Std::Width, Cust::VendorThing).
_NAMESPACE_PREFIXES = ("Std::", "Cust::")
#: A value feature that an "auto" feature overrides while the auto is not Off (SFNC).
AUTO_OF = {"ExposureTime": "ExposureAuto", "Gain": "GainAuto", "BlackLevel": "BlackLevelAuto",
           "BalanceRatio": "BalanceWhiteAuto"}
#: Integer selectors with more values than this are not expanded (snapshots would explode).
MAX_SELECTOR_VALUES = 64


@dataclass(frozen=True)
class FeatureInfo:
    """Everything the node map says about a feature (``session.describe``).

    ``value`` is None when it cannot be read now; ``why_not_readable`` then says why.
    ``problems`` lists properties GenApi could not evaluate in the current state (a
    maximum computed by a formula that divides by zero, ...).
    """

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
    why_not_readable: str = ""
    value_note: str = ""  # the value is not what the type promises (a raw enumeration value, escaped bytes)
    representation: str = ""  # Linear, Logarithmic, HexNumber, IPV4Address, ... (Integer and Float)
    display_notation: str = ""  # Automatic, Fixed, Scientific (Float)
    display_precision: int | None = None
    length: int | None = None  # bytes: a String's maximum, a Register's size
    problems: tuple[str, ...] = ()


@dataclass
class _Entry:
    node: Any  # the typed genapi interface (IInteger, IFloat, ...)
    adapter: NodeType
    resolution: naming.Resolution

    @property
    def type(self) -> str:
        return self.adapter.kind


def reason_of(error: FeatureError) -> str:
    """The message of a FeatureError without the leading "Name: "."""
    return str(error).removeprefix(f"{error.feature}: ")


@dataclass
class FeatureMap(MutableMapping[str, FeatureValue]):
    """Feature name -> typed value over one GenApi node map.

    ``where`` names the module in messages ("camera", "GenTL Device module", ...);
    ``neutral`` enables SFNC names on cameras with older names (remote device only);
    ``streaming`` tells whether acquisition runs, to explain locked features.

    Iterating gives the features with a plain value (Integer, Float, Boolean, String,
    Enumeration); any node with a value, a command or a register can be addressed by its
    exact name, hidden helper nodes too, and with a namespace prefix (``Std::Width``).
    """

    node_map: Any  # genapi.NodeMap, or anything with nodes / has_node / get_node
    where: str = "camera"
    neutral: bool = False
    streaming: Callable[[], bool] = field(default=lambda: False)
    #: Held around every use of the node map (shared by a Session's maps and its stream): see _serialise.
    lock: Any = field(default_factory=threading.RLock, repr=False, compare=False)
    _names: list[str] | None = field(default=None, init=False, repr=False)
    _categories: dict[str, tuple[str, ...]] | None = field(default=None, init=False, repr=False)
    _entries: dict[str, _Entry] = field(default_factory=dict, init=False, repr=False)
    _access_failed: set[str] = field(default_factory=set, init=False, repr=False)
    _properties: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)
    _adapters: Adapters = field(default_factory=Adapters, init=False, repr=False)
    #: SFNC name -> node actually used, for every neutral name resolved so far.
    used_names: dict[str, str] = field(default_factory=dict, init=False)

    # --- lookup --------------------------------------------------------------------------------

    def _all_feature_names(self) -> list[str]:
        if self._names is None:
            names = []
            for node in self.node_map.nodes:
                try:
                    inner = node.node
                    adapter = self._adapters.of(node)
                    if adapter is not None and adapter.listed and inner.is_feature():
                        names.append(str(inner.name))
                except GENICAM_ERRORS:  # a node GenApi cannot describe is no feature to list
                    continue
            self._names = sorted(names)
        return self._names

    def _has(self, name: str) -> bool:
        try:
            return bool(self.node_map.has_node(name))
        except GENICAM_ERRORS:
            return False

    def _raw(self, name: str) -> Any:
        return self.node_map.get_node(name)

    def entry(self, name: str) -> _Entry:
        """The node behind ``name`` (resolving older aliases), or UnknownFeatureError with suggestions."""
        cached = self._entries.get(name)
        if cached is not None:
            return cached
        if name.startswith(_NAMESPACE_PREFIXES):
            found = self._qualified_entry(name)
        else:
            found = self._plain_entry(name)
        self._entries[name] = found
        return found

    def _qualified_entry(self, name: str) -> _Entry:
        plain = name.split("::", 1)[1]
        if not self._has(name):  # GenApi checks that the node is in that namespace
            raise UnknownFeatureError(name, self.closest(plain), self.where)
        inner = self._plain_entry(plain)
        return _Entry(inner.node, inner.adapter, naming.Resolution(plain, plain))

    def _plain_entry(self, name: str) -> _Entry:
        resolution: naming.Resolution | None
        if self.neutral:
            resolution = naming.resolve(name, self._has_feature, self._has, self._read_number, self._unit_of)
        else:
            resolution = naming.Resolution(name, name) if self._has_feature(name) else None
        if resolution is None and self._has(name):
            resolution = naming.Resolution(name, name)  # a hidden node (no category), by its exact name
        if resolution is None:
            raise UnknownFeatureError(name, self.closest(name), self.where)
        node = self._raw(resolution.node)
        adapter = self._adapters.of(node)
        if adapter is None:
            kind = kind_of(node)
            article = "an" if kind[:1] in "AEIOU" else "a"
            raise FeatureTypeError(name, f"is {article} {kind} node, not a feature with a value or a command",
                                   node=resolution.node)
        if resolution.is_alias:
            self.used_names[name] = resolution.node
        return _Entry(node, adapter, resolution)

    def _has_feature(self, name: str) -> bool:
        if not self._has(name):
            return False
        try:
            node = self._raw(name)
            return self._adapters.of(node) is not None and bool(node.node.is_feature())
        except GENICAM_ERRORS:
            return False

    def _read_number(self, name: str) -> float:
        with feature_errors(name):
            return float(self._raw(name).value)

    def _unit_of(self, name: str) -> str:
        try:
            return str(getattr(self._raw(name), "unit", "") or "")
        except GENICAM_ERRORS:
            return ""

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
        except FeatureError:
            return False
        return True

    def __getitem__(self, name: str) -> FeatureValue:
        return self.read(name)

    def __setitem__(self, name: str, value: FeatureValue) -> None:
        self.write(name, value)

    def __delitem__(self, name: str) -> None:
        raise TypeError("features cannot be deleted")

    # --- access --------------------------------------------------------------------------------

    def _access(self, entry: _Entry) -> tuple[str, str]:
        """(RW/RO/WO/NA/NI, problem): NA with the reason when GenApi cannot evaluate the access mode."""
        inner, node_name = entry.node.node, entry.resolution.node
        try:
            if node_name in self._access_failed:
                # GenApi caches RW after GetAccessMode() raised once (genicam 1.6): only a fresh evaluation
                # tells whether pIsAvailable / pIsImplemented / pIsLocked can be evaluated now.
                inner.invalidate_node()
            mode = inner.get_access_mode()
        except GENICAM_ERRORS as error:
            self._access_failed.add(node_name)
            return "NA", f"its availability cannot be evaluated now: {genicam_reason(error)}"
        self._access_failed.discard(node_name)
        return _ACCESS_NAMES.get(mode, "NA"), ""

    def access_of(self, name: str) -> str:
        """RW, RO, WO, NA or NI (NA also when GenApi cannot evaluate it now)."""
        return self._access(self.entry(name))[0]

    def is_writable(self, name: str) -> bool:
        return self._access(self.entry(name))[0] in _WRITABLE

    def is_readable(self, name: str) -> bool:
        return self._access(self.entry(name))[0] in _READABLE

    def type_of(self, name: str) -> str:
        return self.entry(name).type

    # --- reading -------------------------------------------------------------------------------

    def read(self, name: str, **selectors: FeatureValue) -> FeatureValue:
        """The typed value of ``name``, optionally under ``selectors`` (restored afterwards)."""
        return self.reading(name, **selectors).value

    def reading(self, name: str, **selectors: FeatureValue) -> Reading:
        """Like :meth:`read`, with the note that says when the value is not what the type promises."""
        with self.selected(name, selectors):
            return self._reading(name, self.entry(name))

    def value_or(self, name: str, default: Any = None, **selectors: FeatureValue) -> Any:
        """The value of ``name``, or ``default`` when it does not exist or cannot be read now."""
        try:
            return self.read(name, **selectors)
        except FeatureError:
            return default

    def _reading(self, name: str, entry: _Entry) -> Reading:
        node_name = entry.resolution.node
        if not entry.adapter.has_value:
            hint = "; use execute()" if isinstance(entry.adapter, CommandType) else ""
            raise FeatureTypeError(name, f"is a {entry.type}, which has no value{hint}", node=node_name)
        access, problem = self._access(entry)
        if access not in _READABLE:
            raise FeatureAccessError(name, f"not readable now ({self._why_not_readable(entry, access, problem)})",
                                     node=node_name)
        with feature_errors(name, node_name):
            reading = entry.adapter.read(entry.node)
        convert = entry.resolution.to_user
        if convert is None or reading.note:
            return reading
        with feature_errors(name, node_name):
            return Reading(convert(float(reading.value)))  # type: ignore[arg-type]

    # --- writing -------------------------------------------------------------------------------

    def write(self, name: str, value: FeatureValue, **selectors: FeatureValue) -> None:
        """Set ``name`` to ``value`` after checking type, range, increment, entries and access."""
        with self.selected(name, selectors):
            entry = self.entry(name)
            adapter, node_name = entry.adapter, entry.resolution.node
            if not adapter.settable:
                hint = "; use execute()" if isinstance(adapter, CommandType) else ""
                raise FeatureTypeError(name, f"is a {entry.type} and cannot be set{hint}", node=node_name)
            if not adapter.accepts(value, entry.resolution.to_node is not None):
                with feature_errors(name, node_name):
                    expected = adapter.expected(entry.node)
                raise FeatureTypeError(name, f"expects {expected}, got {type(value).__name__} {value!r}",
                                       node=node_name)
            if self._access(entry)[0] not in _WRITABLE:
                raise FeatureAccessError(name, f"not writable now: {self.why_not_writable(name)}", node=node_name)
            with feature_errors(name, node_name):
                raw = adapter.to_raw(name, value, entry.resolution)
                adapter.check(name, node_name, entry.node, raw, value)
                adapter.write(entry.node, raw)

    def execute(self, name: str, **selectors: FeatureValue) -> None:
        """Execute a Command feature (AcquisitionStart, TriggerSoftware, UserSetSave, ...)."""
        with self.selected(name, selectors):
            entry = self.entry(name)
            if not isinstance(entry.adapter, CommandType):
                raise FeatureTypeError(name, f"is a {entry.type}, not a Command", node=entry.resolution.node)
            if self._access(entry)[0] not in _WRITABLE:
                raise FeatureAccessError(name, f"cannot be executed now: {self.why_not_writable(name)}",
                                         node=entry.resolution.node)
            with feature_errors(name, entry.resolution.node):
                entry.adapter.execute(entry.node)

    def put_back(self, name: str, value: FeatureValue) -> None:
        """Write back a value read earlier, even one the node refuses now (a selector at an index outside its
        range, an enumeration holding an integer no entry names): those go to the node behind it (pValue)."""
        entry = self.entry(name)
        refused: FeatureError
        if isinstance(entry.adapter, EnumerationType) and not isinstance(value, str):
            refused = FeatureValueError(name, f"{value!r} names no entry")
        else:
            try:
                self.write(name, value)
                return
            except (FeatureValueError, FeatureTypeError) as error:
                refused = error
        behind = self._property(entry.node, "pValue")
        if not behind or not self._has(behind):
            raise FeatureValueError(name, f"{reason_of(refused)}; no pValue node behind it to write it to",
                                    node=entry.resolution.node) from refused
        try:
            with feature_errors(name, entry.resolution.node):
                entry.adapter.write_raw(self._raw(behind), value)
        except FeatureError as error:
            raise FeatureValueError(name, f"{reason_of(refused)}; writing it behind the node failed too: "
                                          f"{reason_of(error)}", node=entry.resolution.node) from error

    # --- explanations --------------------------------------------------------------------------

    def _property(self, node: Any, key: str) -> str:
        """A property of the XML (pValue, pIsAvailable, Formula, ...); cached: GenApi takes ~2 ms per lookup."""
        try:
            cache_key = (str(node.node.name), key)
            known = self._properties.get(cache_key)
            if known is None:
                known = str(node.node.get_property(key)[0]) if key in node.node.property_names else ""
                self._properties[cache_key] = known
            return known
        except GENICAM_ERRORS:
            return ""

    def _lock_source(self, reference: str) -> str:
        # pIsLocked often points at a register (CenterXReg); users know the feature (CenterX).
        for candidate in (reference, reference.removesuffix("Reg")):
            if candidate and self._has_feature(candidate):
                return candidate
        return reference

    def _references(self, node: Any, key: str) -> list[str]:
        """Node names a property points at (pVariable holds several, tab-separated)."""
        return [name for name in self._property(node, key).split("\t") if name]

    def _helper_readable(self, name: str) -> bool:
        try:
            return self._raw(name).node.get_access_mode() in (genapi.EAccessMode.RO, genapi.EAccessMode.RW)
        except GENICAM_ERRORS:
            return False

    def _blocker(self, name: str, depth: int = 0) -> str:
        """Why helper node ``name`` has no value now: the first unavailable node it depends on (or "")."""
        if depth > 4 or not self._has(name):
            return ""
        node = self._raw(name)
        port = self._property(node, "pPort")
        if port and self._has(port):
            if self._property(self._raw(port), "ChunkID"):
                return f"{name} is chunk data (port {port}): it has a value only while a frame's chunks are attached"
            if self._property(self._raw(port), "EventID"):
                return f"{name} is event data (port {port}): it has a value only once the event arrived"
        for key in ("pIsImplemented", "pIsAvailable", "pVariable", "pValue"):
            for reference in self._references(node, key):
                if self._has(reference) and not self._helper_readable(reference):
                    return self._blocker(reference, depth + 1) or f"{reference} is not available"
        return ""

    def _condition(self, reference: str) -> str:
        """A pIsAvailable / pIsImplemented reference for people: the feature, or the formula it computes."""
        source = self._lock_source(reference)
        if source != reference or not self._has(reference):
            return source
        formula = " ".join(self._property(self._raw(reference), "Formula").split())
        return f"{reference} (= {formula})" if formula else reference

    def _availability(self, entry: _Entry, access: str) -> list[str]:
        """Why a node is not available or not implemented: its conditions, or what it depends on."""
        reasons = []
        for key, word in (("pIsImplemented", "implemented"), ("pIsAvailable", "available")):
            reference = self._property(entry.node, key)
            if not reference or (key == "pIsImplemented" and access != "NI"):
                continue
            if self._has(reference) and not self._helper_readable(reference):
                blocker = self._blocker(reference)
                reasons.append(f"not {word}: its condition {self._condition(reference)} has no value now"
                               + (f" ({blocker})" if blocker else ""))
            else:
                reasons.append(f"not {word} while {self._condition(reference)} is false")
        if not reasons and access in ("NA", "NI"):
            try:
                blocker = entry.adapter.unavailable_reason(entry.node) or self._blocker(entry.resolution.node)
            except GENICAM_ERRORS as error:
                blocker = f"GenApi cannot say why: {genicam_reason(error)}"
            if blocker:
                reasons.append(blocker)
        return reasons

    def _selector_state(self, name: str) -> str:
        selectors = self.selectors_of(name)
        if not selectors:
            return ""
        return "with " + ", ".join(f"{s}={self.value_or(s, '<unreadable>')}" for s in selectors)

    def why_not_writable(self, name: str) -> str:
        """A sentence saying why ``name`` cannot be written now (best effort, from the node map)."""
        entry = self.entry(name)
        node = entry.node
        access, problem = self._access(entry)
        reasons = [problem] if problem else []
        auto = AUTO_OF.get(name)
        if auto and self._has_feature(auto):
            state = self._safe_read(auto)
            if state != "Off":
                reasons.append(f"{auto} is {state}")
        locked_by = self._property(node, "pIsLocked")
        if locked_by and self._has(locked_by):
            source = self._lock_source(locked_by)
            try:
                locked = bool(int(self._raw(locked_by).value))
            except GENICAM_ERRORS as error:  # explain, but keep the real error in front
                reasons.append(f"locked by {source} (unreadable: {genicam_reason(error)})")
                locked = False
            if locked:
                if source == "TLParamsLocked":
                    reasons.append("locked while streaming (TLParamsLocked = 1, acquisition is running)")
                else:
                    reasons.append(f"locked by {source}")
        if access in ("NA", "NI") and not problem:
            reasons += self._availability(entry, access)
        if not reasons and self.streaming():
            reasons.append("acquisition is running")
        state = self._selector_state(name)
        if state:
            reasons.append(state)
        if access == "RO" and not locked_by and not reasons:
            reasons.append("read-only feature")
        return "; ".join(reasons) or f"access mode is {access}"

    def why_not_readable(self, name: str) -> str:
        entry = self.entry(name)
        access, problem = self._access(entry)
        return self._why_not_readable(entry, access, problem)

    def _why_not_readable(self, entry: _Entry, access: str, problem: str) -> str:
        if problem:
            return problem
        if access == "WO":
            return "write-only feature"
        reasons = self._availability(entry, access) or [f"access mode is {access}"]
        state = self._selector_state(entry.resolution.requested)
        return "; ".join(reasons + ([state] if state else []))

    def _safe_read(self, name: str) -> str:
        try:
            return str(self.read(name))
        except FeatureError as error:
            return f"<unreadable: {reason_of(error)}>"

    # --- selectors -----------------------------------------------------------------------------

    def selectors_of(self, name: str) -> list[str]:
        """Features that select ``name`` (LineSelector for LineMode, ...)."""
        entry = self.entry(name)
        try:
            return [str(s.node.name) for s in entry.node.node.selecting_features]
        except GENICAM_ERRORS:
            return []

    def selected_by(self, name: str) -> list[str]:
        """Features that ``name`` selects (LineMode, LineSource, ... for LineSelector)."""
        entry = self.entry(name)
        try:
            return [str(s.node.name) for s in entry.node.node.selected_features]
        except GENICAM_ERRORS:
            return []

    def selector_choices(self, selector: str, limit: int = MAX_SELECTOR_VALUES) -> Choices:
        """Every value a selector can take now, at most ``limit``, with a note on what was left out."""
        entry = self.entry(selector)
        with feature_errors(selector, entry.resolution.node):
            return entry.adapter.choices(entry.node, limit)

    def selector_values(self, selector: str) -> list[FeatureValue]:
        """Every value a selector can take now (entries, or an integer range up to MAX_SELECTOR_VALUES)."""
        return self.selector_choices(selector).values

    def outer_first(self, selectors: list[str]) -> list[str]:
        """``selectors`` ordered so that a selector comes before the selectors it selects (LUTSelector, LUTIndex)."""
        remaining = list(selectors)
        ordered: list[str] = []
        while remaining:
            for candidate in remaining:
                others = set(remaining) - {candidate}
                if not any(candidate in self.selected_by(other) for other in others):
                    break
            else:  # a cycle: keep the node map's order
                candidate = remaining[0]
            ordered.append(candidate)
            remaining.remove(candidate)
        return ordered

    @contextlib.contextmanager
    def selected(self, name: str, selectors: Mapping[str, FeatureValue]) -> Iterator[None]:
        """Set ``selectors`` for the duration of the block, then put them back as they were.

        Only selectors whose value differs are written (a read-only selector at the wanted
        value is fine). If putting a selector back fails, the error says so. No other thread of
        the Session moves the selectors while the block runs (the node map's lock is held).
        """
        with self.lock:
            yield from self._selected(name, selectors)

    def _selected(self, name: str, selectors: Mapping[str, FeatureValue]) -> Iterator[None]:
        if not selectors:
            yield
            return
        allowed = set(self.selectors_of(name))
        unknown = [s for s in selectors if s not in allowed]
        if unknown:
            raise FeatureValueError(name, f"is not selected by {', '.join(unknown)}; its selectors: "
                                          f"{', '.join(sorted(allowed)) or 'none'}")
        changed: dict[str, FeatureValue] = {}
        try:
            for selector in self.outer_first(list(selectors)):
                previous = self.read(selector)
                if previous != selectors[selector]:
                    changed[selector] = previous
                    self.write(selector, selectors[selector])
            yield
        except BaseException as error:
            for problem in self._put_back_all(changed):
                add_note(error, problem)
            raise
        problems = self._put_back_all(changed)
        if problems:
            raise FeatureError(name, "; ".join(problems))

    def _put_back_all(self, previous: Mapping[str, FeatureValue]) -> list[str]:
        problems = []
        for selector, value in reversed(list(previous.items())):  # inner selectors first, under the outer values set
            try:
                self.put_back(selector, value)
            except FeatureError as error:
                problems.append(f"could not put {selector} back to {value!r}: {reason_of(error)}")
        return problems

    # --- description ---------------------------------------------------------------------------

    def category_of(self, name: str) -> tuple[str, ...]:
        if self._categories is None:
            paths: dict[str, tuple[str, ...]] = {}

            def walk(category: Any, path: tuple[str, ...]) -> None:
                try:
                    children = list(category.features)
                except GENICAM_ERRORS:
                    return
                for child in children:
                    child_name = str(child.node.name)
                    if child.node.principal_interface_type == genapi.EInterfaceType.intfICategory:
                        if child_name not in path:  # guard against cyclic XMLs
                            walk(child, path + (child_name,))
                    else:
                        paths.setdefault(child_name, path)

            if self._has("Root"):
                walk(self._raw("Root"), ())
            self._categories = paths
        return self._categories.get(name, ())

    def _text(self, inner: Any) -> str:
        for attribute in ("description", "tooltip"):
            try:
                text = str(getattr(inner, attribute) or "")
            except GENICAM_ERRORS:
                continue
            if text:
                return text
        return ""

    def _visibility(self, inner: Any) -> str:
        try:
            return _VISIBILITY_NAMES.get(inner.visibility, "?")
        except GENICAM_ERRORS:
            return "?"

    def describe(self, name: str) -> FeatureInfo:
        """What can be known about ``name`` now; never raises for the node's state (value None and why)."""
        entry = self.entry(name)
        node, inner, resolution, kind = entry.node, entry.node.node, entry.resolution, entry.type
        access, access_problem = self._access(entry)
        details = entry.adapter.details(node)
        if access in ("NA", "NI"):
            details.problems.clear()  # GenApi refuses ranges of unavailable nodes; why_not_readable says why
        lo, hi, inc, unit = details.min, details.max, details.increment, details.unit
        to_user = resolution.to_user
        if to_user is not None:  # only numeric nodes serve SFNC names with a conversion
            try:
                lo, hi, inc = (None if x is None else to_user(float(x)) for x in (lo, hi, inc))
            except FeatureError as error:
                details.problems.append(f"conversion: {reason_of(error)}")
                lo = hi = inc = None
            unit = "us" if name in naming.ALIASES else unit
        if resolution.is_alias and "raw device units" in resolution.note:
            unit = "raw device units"
        value: FeatureValue | None = None
        value_note = why_not_readable = ""
        if entry.adapter.has_value and entry.adapter.listed:  # Register bytes stay out of descriptions
            try:
                reading = self._reading(name, entry)
                value, value_note = reading.value, reading.note
            except FeatureError as error:
                why_not_readable = reason_of(error)
        why_not_writable = ""
        if access not in _WRITABLE and (entry.adapter.settable or isinstance(entry.adapter, CommandType)):
            why_not_writable = self.why_not_writable(name)
        return FeatureInfo(
            name=name, node=resolution.node, type=kind, access=access, visibility=self._visibility(inner),
            category=self.category_of(resolution.node), description=self._text(inner),
            unit=unit, min=lo, max=hi, increment=inc, entries=details.entries,
            selectors=tuple(self.selectors_of(name)), selects=tuple(self.selected_by(name)),
            value=value, note=resolution.note, why_not_writable=why_not_writable,
            why_not_readable=why_not_readable or (access_problem if value is None and entry.adapter.has_value
                                                  and entry.adapter.listed else ""),
            value_note=value_note, representation=details.representation,
            display_notation=details.display_notation, display_precision=details.display_precision,
            length=details.length, problems=tuple(details.problems))


def _serialise(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``method`` holding the map's lock.

    Why: two threads using one node map at once can deadlock. GenApi calls take the node map's
    mutex without releasing the GIL, while a thread inside the node map (a command, a register
    read) calls Harvesters' Python port and needs the GIL: seen as a hang of a Bluesky plan that
    read a feature while the recorder ran AcquisitionStart. A Python lock taken first (waiting
    for it releases the GIL) makes them take turns.
    """

    @functools.wraps(method)
    def serialised(self: FeatureMap, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return serialised


_FIELDS = {f.name for f in dataclasses.fields(FeatureMap)}
for _name, _member in list(vars(FeatureMap).items()):
    if callable(_member) and _name not in _FIELDS and _name != "selected" and (not _name.startswith("_") or _name in (
            "__iter__", "__len__", "__contains__", "__getitem__", "__setitem__", "__delitem__")):
        setattr(FeatureMap, _name, _serialise(_member))
del _name, _member


__all__ = ["AUTO_OF", "FeatureInfo", "FeatureMap", "FeatureValue", "MAX_SELECTOR_VALUES", "Reading", "VALUE_TYPES",
           "reason_of"]
