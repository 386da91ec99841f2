"""One adapter per GenApi node type: how a feature of that type is read, checked, written and described.

GenApi has seven interfaces that carry a value or an action (Integer, Float, Boolean, String,
Enumeration, Command, Register). Each adapter is the only place that knows its type's calls
and quirks, as seen on real node maps (``tests/data/nodemaps/`` reproduces them):

* Integer: 64-bit signed (an unsigned 64-bit register above 2**63-1 reads negative); ranges and
  increments below zero; older integer nodes behind SFNC float names.
* Float: NaN and infinities from float registers and formulas; Representation, DisplayNotation.
* Boolean: GenApi raises when the register holds neither OnValue nor OffValue.
* String: genicam refuses register bytes that are not UTF-8; they read with ``\\x`` escapes.
* Enumeration: a register holding a value no entry names reads as that integer, with a note;
  entries whose availability cannot be evaluated count as unavailable.
* Command: no value, only ``execute``.
* Register: raw bytes of a fixed length (not listed with the features, not in snapshots).

Adapters call genicam directly; the :class:`~ace_gentl.features.FeatureMap` wraps every call in
:func:`~ace_gentl.errormap.feature_errors`, so GenApi's exceptions become FeatureErrors there.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, Union

import numpy as np
from genicam import genapi

from ace_gentl import naming
from ace_gentl.errormap import GENICAM_ERRORS, genicam_reason
from ace_gentl.errors import FeatureTypeError, FeatureValueError

FeatureValue = Union[int, float, bool, str, bytes]
_T = TypeVar("_T")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_REPRESENTATIONS = {genapi.ERepresentation.Linear: "Linear", genapi.ERepresentation.Logarithmic: "Logarithmic",
                    genapi.ERepresentation.Boolean: "Boolean", genapi.ERepresentation.PureNumber: "PureNumber",
                    genapi.ERepresentation.HexNumber: "HexNumber", genapi.ERepresentation.IPV4Address: "IPV4Address",
                    genapi.ERepresentation.MACAddress: "MACAddress"}
_NOTATIONS = {genapi.EDisplayNotation.fnAutomatic: "Automatic", genapi.EDisplayNotation.fnFixed: "Fixed",
              genapi.EDisplayNotation.fnScientific: "Scientific"}


@dataclass(frozen=True)
class Reading:
    """A value as read, with a note when it is not what the node type promises (a raw enumeration value...)."""

    value: FeatureValue
    note: str = ""


@dataclass
class Details:
    """What the node map says about a node's values; ``problems`` lists what could not be evaluated now."""

    unit: str = ""
    min: float | int | None = None
    max: float | int | None = None
    increment: float | int | None = None
    entries: tuple[str, ...] = ()
    representation: str = ""
    display_notation: str = ""
    display_precision: int | None = None
    length: int | None = None  # bytes: a String's maximum, a Register's size
    problems: list[str] = field(default_factory=list)

    def attempt(self, what: str, call: Callable[[], _T]) -> _T | None:
        """``call()``, or None with the reason noted (a pMax formula dividing by zero, ...)."""
        try:
            return call()
        except GENICAM_ERRORS as error:
            self.problems.append(f"{what}: {genicam_reason(error)}")
            return None


@dataclass(frozen=True)
class Choices:
    """The values a selector can take now, and a note when some were left out."""

    values: list[FeatureValue]
    note: str = ""


def _is_int(value: object) -> bool:
    """An integer, also numpy's (numbers.Integral), but not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    """A number: int, float, or numpy's; not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _shown(given: FeatureValue, raw: FeatureValue, node_name: str) -> str:
    return f"{given!r}" + (f" ({node_name} {raw!r})" if raw is not given else "")


class NodeType:
    """The behaviour shared by every node type; subclasses override what differs."""

    kind: ClassVar[str] = ""
    #: Read gives a value (every type but Command).
    has_value: ClassVar[bool] = True
    #: Listed with the features and captured in snapshots (plain JSON values; not Register or Command).
    listed: ClassVar[bool] = True
    #: ``write`` takes a value (every type but Command).
    settable: ClassVar[bool] = True
    expects: ClassVar[str] = ""

    def read(self, node: Any) -> Reading:
        return Reading(node.value)

    def accepts(self, value: object, converted: bool) -> bool:
        """Whether ``value`` has a type this node takes (``converted``: an SFNC name over an older node)."""
        return False

    def expected(self, node: Any) -> str:
        return self.expects

    def to_raw(self, name: str, value: FeatureValue, resolution: naming.Resolution) -> FeatureValue:
        """The value in the node's own units (SFNC names over older nodes convert)."""
        return value

    def check(self, name: str, node_name: str, node: Any, raw: FeatureValue, given: FeatureValue) -> None:
        """Raise FeatureValueError when ``raw`` is outside what the node takes now."""

    def write(self, node: Any, raw: FeatureValue) -> None:
        node.value = raw

    def write_raw(self, target: Any, value: FeatureValue) -> None:
        """Put back a value the node itself refuses (outside its range now, an integer no entry names) by
        writing it to ``target``, the node behind it (pValue), as it was read. Used to restore selectors."""
        target.value = value

    def details(self, node: Any) -> Details:
        return Details()

    def choices(self, node: Any, limit: int) -> Choices:
        """The values this node can take as a selector (at most ``limit``)."""
        return Choices([self.read(node).value])

    def parse(self, name: str, text: str) -> FeatureValue:
        """A value of this type from text (command lines, run files)."""
        return text

    def unavailable_reason(self, node: Any) -> str:
        """Why the node is not available when no pIsAvailable says so ("" if the type cannot tell)."""
        return ""


class IntegerType(NodeType):
    kind = "Integer"
    expects = "an int"

    def read(self, node: Any) -> Reading:
        return Reading(int(node.value))

    def accepts(self, value: object, converted: bool) -> bool:
        return _is_int(value) or (_is_real(value) and (converted or float(value).is_integer()))  # type: ignore[arg-type]

    def to_raw(self, name: str, value: FeatureValue, resolution: naming.Resolution) -> FeatureValue:
        to_node, to_user = resolution.to_node, resolution.to_user
        raw = to_node(float(value)) if to_node is not None else value  # type: ignore[arg-type]
        if _is_int(raw):
            return int(raw)  # type: ignore[arg-type]
        number = float(raw)  # type: ignore[arg-type]
        if not math.isfinite(number):
            raise FeatureValueError(name, f"{value!r} is not a finite number", node=resolution.node)
        if to_node is not None and to_user is not None and abs(number - round(number)) > 1e-6 * max(1.0, abs(number)):
            below, above = to_user(float(math.floor(number))), to_user(float(math.ceil(number)))
            raise FeatureValueError(name, f"{value!r} is off increment {above - below:g} ({resolution.note}); "
                                          f"nearest valid {below:g} or {above:g}", node=resolution.node)
        return int(round(number))

    def check(self, name: str, node_name: str, node: Any, raw: FeatureValue, given: FeatureValue) -> None:
        value, shown = int(raw), _shown(given, raw, node_name)
        if not INT64_MIN <= value <= INT64_MAX:
            raise FeatureValueError(name, f"{shown} does not fit a 64-bit integer", node=node_name)
        lo, hi, inc = int(node.min), int(node.max), int(node.inc) or 1
        if value < lo or value > hi:
            raise FeatureValueError(name, f"{shown} is out of range (min {lo}, max {hi}, increment {inc})",
                                    node=node_name)
        if (value - lo) % inc:
            below = lo + (value - lo) // inc * inc
            nearest = " or ".join(str(v) for v in (below, below + inc) if lo <= v <= hi)
            raise FeatureValueError(name, f"{shown} is off increment {inc} (min {lo}, max {hi}); nearest valid "
                                          f"{nearest}", node=node_name)

    def write(self, node: Any, raw: FeatureValue) -> None:
        node.value = int(raw)

    def details(self, node: Any) -> Details:
        found = Details()
        found.unit = str(found.attempt("unit", lambda: node.unit) or "")
        found.min = found.attempt("min", lambda: int(node.min))
        found.max = found.attempt("max", lambda: int(node.max))
        found.increment = found.attempt("increment", lambda: int(node.inc))
        found.representation = _REPRESENTATIONS.get(found.attempt("representation", lambda: node.representation), "")
        return found

    def choices(self, node: Any, limit: int) -> Choices:
        lo, hi, inc = int(node.min), int(node.max), int(node.inc) or 1
        count = (hi - lo) // inc + 1 if hi >= lo else 0
        if count > limit:
            return Choices(list(range(lo, lo + limit * inc, inc)),
                           f"{count} values ({lo}..{hi} step {inc}); only the first {limit} captured")
        return Choices(list(range(lo, hi + 1, inc)))

    def parse(self, name: str, text: str) -> FeatureValue:
        try:
            return int(text.strip(), 0)
        except ValueError:
            pass
        try:
            return float(text.strip())  # SFNC names in other units (ExposureTime on ExposureTimeRaw) take floats
        except ValueError:
            raise FeatureTypeError(name, f"expects an integer, got {text!r}") from None


class FloatType(NodeType):
    kind = "Float"
    expects = "a float"

    def read(self, node: Any) -> Reading:
        value = float(node.value)
        return Reading(value, "" if math.isfinite(value) else f"reads {value} (the register or formula gives no "
                                                                 f"finite number)")

    def accepts(self, value: object, converted: bool) -> bool:
        return _is_real(value)

    def to_raw(self, name: str, value: FeatureValue, resolution: naming.Resolution) -> FeatureValue:
        to_node = resolution.to_node
        return to_node(float(value)) if to_node is not None else float(value)  # type: ignore[arg-type]

    def check(self, name: str, node_name: str, node: Any, raw: FeatureValue, given: FeatureValue) -> None:
        number, shown = float(raw), _shown(given, raw, node_name)
        low, high = float(node.min), float(node.max)
        if not math.isfinite(number) or number < low or number > high:
            raise FeatureValueError(name, f"{shown} is out of range (min {low:g}, max {high:g})", node=node_name)
        if node.has_inc():
            step = float(node.inc)
            steps = (number - low) / step if step > 0 else 0.0
            if abs(steps - round(steps)) > 1e-9 * max(1.0, abs(steps)):
                floor = low + math.floor(steps) * step
                raise FeatureValueError(name, f"{shown} is off increment {step:g} (min {low:g}, max {high:g}); "
                                              f"nearest valid {floor:g} or {floor + step:g}", node=node_name)

    def write(self, node: Any, raw: FeatureValue) -> None:
        node.value = float(raw)

    def details(self, node: Any) -> Details:
        found = Details()
        found.unit = str(found.attempt("unit", lambda: node.unit) or "")
        found.min = found.attempt("min", lambda: float(node.min))
        found.max = found.attempt("max", lambda: float(node.max))
        if found.attempt("increment", node.has_inc):
            found.increment = found.attempt("increment", lambda: float(node.inc))
        found.representation = _REPRESENTATIONS.get(found.attempt("representation", lambda: node.representation), "")
        found.display_notation = _NOTATIONS.get(found.attempt("display notation", lambda: node.display_notation), "")
        found.display_precision = found.attempt("display precision", lambda: int(node.display_precision))
        return found

    def parse(self, name: str, text: str) -> FeatureValue:
        try:
            return float(text.strip())
        except ValueError:
            raise FeatureTypeError(name, f"expects a number, got {text!r}") from None


_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no"})


class BooleanType(NodeType):
    kind = "Boolean"
    expects = "a bool"

    def read(self, node: Any) -> Reading:
        return Reading(bool(node.value))

    def accepts(self, value: object, converted: bool) -> bool:
        return isinstance(value, bool)

    def write(self, node: Any, raw: FeatureValue) -> None:
        node.value = bool(raw)

    def choices(self, node: Any, limit: int) -> Choices:
        return Choices(list[FeatureValue]([False, True])[:limit])

    def parse(self, name: str, text: str) -> FeatureValue:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise FeatureTypeError(name, f"expects true or false (also on/off, yes/no, 1/0), got {text!r}")


def _lossy(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


class StringType(NodeType):
    kind = "String"
    expects = "a str"

    def read(self, node: Any) -> Reading:
        try:
            return Reading(str(node.value))
        except UnicodeDecodeError as error:  # genicam decodes strictly; the bytes are in the error
            data = bytes(error.object)
            return Reading(_lossy(data), f"holds bytes that are not UTF-8 ({data[:64]!r}); shown with \\x escapes")

    def accepts(self, value: object, converted: bool) -> bool:
        return isinstance(value, str)

    @staticmethod
    def _escaped_bytes_unchanged(node: Any, raw: FeatureValue) -> bool:
        """Whether ``raw`` is what :meth:`read` shows for a register holding bytes that are not UTF-8."""
        try:
            node.value  # noqa: B018 (only to learn whether the register holds bytes that are not UTF-8)
        except UnicodeDecodeError as error:
            return raw == _lossy(bytes(error.object))
        except GENICAM_ERRORS:
            pass  # write-only or unreadable now: nothing to compare with
        return False

    def check(self, name: str, node_name: str, node: Any, raw: FeatureValue, given: FeatureValue) -> None:
        try:
            size = len(str(raw).encode("utf-8"))
        except UnicodeEncodeError:
            raise FeatureValueError(name, f"{given!r} is not valid text (lone surrogates)", node=node_name) from None
        limit = int(node.max_length)
        if size > limit and not self._escaped_bytes_unchanged(node, raw):
            raise FeatureValueError(name, f"{given!r} is {size} bytes in UTF-8, longer than {limit}", node=node_name)

    def write(self, node: Any, raw: FeatureValue) -> None:
        if self._escaped_bytes_unchanged(node, raw):
            return  # writing back what was read: the bytes stay as they are (genicam cannot write them)
        node.value = str(raw)

    def details(self, node: Any) -> Details:
        found = Details()
        found.length = found.attempt("maximum length", lambda: int(node.max_length))
        return found


@dataclass(frozen=True)
class EntryState:
    name: str
    value: int
    available: bool
    problem: str = ""  # why availability is unknown


class EnumerationType(NodeType):
    kind = "Enumeration"

    def __init__(self) -> None:
        self._conditional: dict[str, bool] = {}  # entry node -> has pIsAvailable / pIsImplemented

    def _is_conditional(self, entry: Any) -> bool:
        name = str(entry.node.name)
        known = self._conditional.get(name)
        if known is None:
            known = bool({"pIsAvailable", "pIsImplemented"} & set(entry.node.property_names))
            self._conditional[name] = known
        return known

    def entries(self, node: Any) -> list[EntryState]:
        """Every entry with its value and availability (an entry whose pIsAvailable raises is unavailable)."""
        states = []
        for entry in node.entries:
            name, value = str(entry.symbolic), int(entry.value)
            try:
                if self._is_conditional(entry):
                    # GenApi caches "available" after the condition raised once (genicam 1.6); a fresh
                    # evaluation gives the same answer every time.
                    entry.node.invalidate_node()
                states.append(EntryState(name, value, bool(genapi.is_available(entry))))
            except GENICAM_ERRORS as error:
                states.append(EntryState(name, value, False, genicam_reason(error)))
        return states

    def available(self, node: Any) -> list[str]:
        return [state.name for state in self.entries(node) if state.available]

    def read(self, node: Any) -> Reading:
        current = node.get_current_entry()
        if current is None:
            raw = int(node.get_int_value())
            named = ", ".join(f"{state.name}={state.value}" for state in self.entries(node)) or "none"
            return Reading(raw, f"the register holds {raw}, which no entry names (entries: {named}); read as the "
                                f"raw integer")
        try:
            available = bool(genapi.is_available(current))
        except GENICAM_ERRORS:
            available = True  # unknown: say nothing rather than something wrong
        return Reading(str(current.symbolic), "" if available else "the current entry is not available now")

    def accepts(self, value: object, converted: bool) -> bool:
        return isinstance(value, str)

    def expected(self, node: Any) -> str:
        try:
            names = ", ".join(self.available(node)) or "none available now"
        except GENICAM_ERRORS as error:
            names = f"entries unknown: {genicam_reason(error)}"
        return f"an entry name (one of {names})"

    def check(self, name: str, node_name: str, node: Any, raw: FeatureValue, given: FeatureValue) -> None:
        states = self.entries(node)
        allowed = [state.name for state in states if state.available]
        if raw not in allowed:
            why = next((" (an entry, but not available now)" for state in states if state.name == raw), "")
            raise FeatureValueError(name, f"{_shown(given, raw, node_name)} is not an available entry{why}; "
                                          f"allowed: {', '.join(allowed) or 'none'}", node=node_name)

    def write(self, node: Any, raw: FeatureValue) -> None:
        node.from_string(str(raw))

    def details(self, node: Any) -> Details:
        found = Details()
        states = found.attempt("entries", lambda: self.entries(node)) or []
        found.entries = tuple(state.name for state in states if state.available)
        found.problems += [f"entry {state.name}: availability unknown ({state.problem})"
                           for state in states if state.problem]
        return found

    def unavailable_reason(self, node: Any) -> str:
        states = self.entries(node)
        if states and not any(state.available for state in states):
            return f"none of its entries ({', '.join(state.name for state in states)}) is available now"
        return ""

    def choices(self, node: Any, limit: int) -> Choices:
        states = self.entries(node)
        names = [state.name for state in states if state.available]
        unknown = [state.name for state in states if state.problem]
        notes = [f"left out entries whose availability cannot be evaluated: {', '.join(unknown)}"] if unknown else []
        if len(names) > limit:
            notes.append(f"{len(names)} entries; only the first {limit} captured")
        return Choices(list(names[:limit]), "; ".join(notes))


class CommandType(NodeType):
    kind = "Command"
    has_value = False
    listed = False
    settable = False

    def read(self, node: Any) -> Reading:
        raise TypeError("a Command has no value")  # FeatureMap refuses before calling this

    @staticmethod
    def execute(node: Any) -> None:
        node.execute()


class RegisterType(NodeType):
    kind = "Register"
    listed = False
    expects = "bytes"

    def read(self, node: Any) -> Reading:
        return Reading(bytes(node.get(int(node.length))))

    def accepts(self, value: object, converted: bool) -> bool:
        return isinstance(value, (bytes, bytearray, memoryview))

    def check(self, name: str, node_name: str, node: Any, raw: FeatureValue, given: FeatureValue) -> None:
        size, length = len(bytes(raw)), int(node.length)  # type: ignore[arg-type]
        if size != length:
            raise FeatureValueError(name, f"{size} bytes given; the register is {length} bytes", node=node_name)

    def write(self, node: Any, raw: FeatureValue) -> None:
        node.set(bytes(raw))  # type: ignore[arg-type]

    def details(self, node: Any) -> Details:
        found = Details()
        found.length = found.attempt("length", lambda: int(node.length))
        return found

    def parse(self, name: str, text: str) -> FeatureValue:
        digits = text.strip().removeprefix("0x").removeprefix("0X").replace(" ", "").replace(":", "")
        try:
            return bytes.fromhex(digits)
        except ValueError:
            raise FeatureTypeError(name, f"expects hexadecimal bytes (e.g. 0x0a0b or 0a 0b), got {text!r}") from None


_I = genapi.EInterfaceType
#: The adapter type of each GenApi interface that carries a value or an action.
ADAPTER_TYPES: dict[Any, type[NodeType]] = {
    _I.intfIInteger: IntegerType, _I.intfIFloat: FloatType, _I.intfIBoolean: BooleanType,
    _I.intfIString: StringType, _I.intfIEnumeration: EnumerationType, _I.intfICommand: CommandType,
    _I.intfIRegister: RegisterType,
}
#: Names of the interfaces without an adapter, for messages ("is a Category node").
OTHER_KINDS = {_I.intfICategory: "Category", _I.intfIPort: "Port", _I.intfIEnumEntry: "EnumEntry",
               _I.intfIValue: "Value", _I.intfIBase: "Base"}
VALUE_TYPES = frozenset(adapter.kind for adapter in ADAPTER_TYPES.values() if adapter.listed)


class Adapters:
    """One adapter of each type for one node map: adapters remember what the XML says about its nodes."""

    def __init__(self) -> None:
        self._by_interface = {interface: kind() for interface, kind in ADAPTER_TYPES.items()}

    def of(self, node: Any) -> NodeType | None:
        """The adapter of a genicam node (its principal interface), or None for categories, ports, entries."""
        return self._by_interface.get(node.node.principal_interface_type)


def kind_of(node: Any) -> str:
    """The name of a node's principal interface ("Integer", "Category", ...)."""
    interface = node.node.principal_interface_type
    adapter = ADAPTER_TYPES.get(interface)
    return adapter.kind if adapter is not None else OTHER_KINDS.get(interface, "Unknown")


__all__ = ["ADAPTER_TYPES", "Adapters", "Choices", "Details", "EntryState", "FeatureValue", "NodeType", "Reading",
           "VALUE_TYPES", "kind_of"]
