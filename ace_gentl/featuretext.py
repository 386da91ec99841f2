"""Features written as text, as on a command line or in a run file.

``LineMode[LineSelector=Line3]`` names a feature under selectors; ``NAME=VALUE`` is an
assignment; :func:`typed` turns the text of a value into the type the feature expects
(the camera's node map decides, so ``Width=512`` becomes an int and ``ReverseX=on`` a bool).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ace_gentl.features import FeatureMap, FeatureValue

_NAME = r"(?:(?:Std|Cust)::)?[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(rf"^\s*({_NAME})\s*(?:\[(.*)\])?\s*$")


@dataclass(frozen=True)
class FeatureRef:
    """A feature name plus the selector values it is read or written under (as text until typed)."""

    name: str
    selectors: dict[str, FeatureValue] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.selectors:
            return self.name
        return f"{self.name}[{', '.join(f'{k}={v!s}' for k, v in self.selectors.items())}]"  # noqa: B907


def parse_ref(text: str) -> FeatureRef:
    """``Name`` or ``Name[Selector=Value, ...]``; ValueError says what is wrong."""
    match = _REFERENCE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a feature name (expected Name or Name[Selector=Value])")
    name, inside = match.group(1), match.group(2)
    selectors: dict[str, FeatureValue] = {}
    if inside is not None:
        for part in inside.split(","):
            key, equals, value = part.partition("=")
            if not equals or not re.fullmatch(_NAME, key.strip()) or not value.strip():
                raise ValueError(f"{text!r}: selector {part.strip()!r} must be Selector=Value")
            selectors[key.strip()] = value.strip()
    return FeatureRef(name, selectors)


def split_assignment(text: str) -> tuple[FeatureRef, str]:
    """``Name=Value`` or ``Name[Selector=Value]=Value`` into the reference and the value text."""
    depth = 0
    for position, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "=" and depth == 0:
            ref, value = text[:position], text[position + 1:]
            if not value.strip():
                raise ValueError(f"{text!r}: no value after '='")
            return parse_ref(ref), value.strip()
    raise ValueError(f"{text!r} is not NAME=VALUE")


def typed(features: FeatureMap, name: str, value: FeatureValue) -> FeatureValue:
    """``value`` converted to the type of feature ``name`` when it is text; other values pass unchanged."""
    if not isinstance(value, str):
        return value
    return features.entry(name).adapter.parse(name, value)


def typed_ref(features: FeatureMap, ref: FeatureRef) -> FeatureRef:
    """``ref`` with its selector values converted to their selectors' types."""
    return FeatureRef(ref.name, {key: typed(features, key, value) for key, value in ref.selectors.items()})


def read(features: FeatureMap, ref: FeatureRef) -> FeatureValue:
    ref = typed_ref(features, ref)
    return features.read(ref.name, **ref.selectors)


def write(features: FeatureMap, ref: FeatureRef, value: FeatureValue) -> FeatureValue:
    """Set the feature (text converted to its type) and return the value it reads back."""
    ref = typed_ref(features, ref)
    with features.selected(ref.name, ref.selectors):
        features.write(ref.name, typed(features, ref.name, value))
        return features.value_or(ref.name, value)  # write-only, or unreadable now: what was written


__all__ = ["FeatureRef", "parse_ref", "read", "split_assignment", "typed", "typed_ref", "write"]
