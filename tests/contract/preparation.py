"""Put a camera in free run with a small ROI before the suite grabs or records (2 cores in CI).

Only what the node map allows now is changed, each setting checked against its range; what is
set is returned as :class:`Setting` values so the command-line test passes the same ones
(``--set`` / ``--device-set``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ace_gentl
from ace_gentl.errors import AceGentlError
from ace_gentl.features import FeatureMap
from ace_gentl.snapshot import label_of

#: Rows of the small ROI: enough for a real image, 1/47 of the simulator's full frame (12.4 MB -> 262 kB).
SMALL_HEIGHT = 64


@dataclass(frozen=True)
class Setting:
    name: str
    value: Any
    selectors: dict[str, Any] = field(default_factory=dict)
    module: str = "camera"  # or "device": the producer's GenTL Device module

    def apply(self, session: ace_gentl.Session) -> None:
        features = session.features if self.module == "camera" else session.device_features
        features.write(self.name, self.value, **self.selectors)

    def cli(self) -> list[str]:
        option = "--set" if self.module == "camera" else "--device-set"
        return [option, f"{label_of(self.name, self.selectors)}={self.value}"]


def _grid(lo: int, hi: int, inc: int, wanted: int) -> int:
    """The smallest value >= ``wanted`` on lo + k * inc within [lo, hi] (hi when none is)."""
    if wanted <= lo:
        return lo
    steps = -(-(wanted - lo) // inc)
    return min(lo + steps * inc, hi - (hi - lo) % inc)


def _integer_target(features: FeatureMap, name: str, wanted: int | None) -> int | None:
    """A valid value for ``name``: ``wanted`` on its grid, or its maximum when ``wanted`` is None."""
    if name not in features or not features.is_writable(name):
        return None
    info = features.describe(name)
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (info.min, info.max, info.increment)):
        return None
    lo, hi, inc = int(info.min), int(info.max), max(int(info.increment), 1)  # type: ignore[arg-type]
    if hi < lo or hi <= 0:
        return None
    return _grid(lo, hi, inc, hi if wanted is None else wanted)


def plan(session: ace_gentl.Session) -> list[Setting]:
    """What to set for free run and a small ROI on this camera now (nothing is written)."""
    features = session.features
    out: list[Setting] = []

    def entry_setting(name: str, wanted: str, only_if: Any = None, **selectors: Any) -> None:
        if name not in features or not features.is_writable(name):
            return
        try:
            current = features.read(name, **selectors)
        except AceGentlError:
            return
        if current != wanted and (only_if is None or current == only_if) and \
                wanted in features.describe(name).entries:
            out.append(Setting(name, wanted, dict(selectors)))

    entry_setting("AcquisitionMode", "Continuous")
    if "TriggerSelector" in features and "TriggerMode" in features and \
            "TriggerSelector" in features.selectors_of("TriggerMode"):
        for trigger in features.describe("TriggerSelector").entries:  # every trigger Off: frames come by themselves
            entry_setting("TriggerMode", "Off", "On", TriggerSelector=trigger)
    else:
        entry_setting("TriggerMode", "Off", "On")
    if "PixelFormat" in features and features.is_writable("PixelFormat") and \
            not isinstance(features.value_or("PixelFormat", ""), str):
        # The register holds a value no entry names (fresh register memory): the format is unknown.
        entries = features.describe("PixelFormat").entries
        if entries:
            out.append(Setting("PixelFormat", "Mono8" if "Mono8" in entries else entries[0]))
    width = features.value_or("Width")
    if isinstance(width, int) and width <= 0:  # fresh register memory: a width no image has
        target = _integer_target(features, "Width", None)
        if target is not None:
            out.append(Setting("Width", target))
    height = _integer_target(features, "Height", SMALL_HEIGHT)
    if height is not None and height != features.value_or("Height"):
        out.append(Setting("Height", height))
    if session.device_features.value_or("SimRegisterSpace") == "Memory" and height is None:
        # The simulator serving a node map without a usable Height: its own frame height, in its Device module.
        out.append(Setting("SimImageHeight", SMALL_HEIGHT, module="device"))
    return out


def prepare(session: ace_gentl.Session) -> list[Setting]:
    """Apply :func:`plan` in order; return what was set."""
    settings = plan(session)
    for setting in settings:
        setting.apply(session)
    return settings


__all__ = ["SMALL_HEIGHT", "Setting", "plan", "prepare"]
