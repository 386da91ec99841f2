"""Run files: a recording's whole configuration in TOML, validated with messages that say where.

A run file names the camera and its producer, the features to set (in the order written), the
acquisition plan, the output path template, the compression and free metadata::

    version = 1
    title = "dark frames, 20 C"

    [producer]
    sim = true                      # the simulated camera; or cti = "/opt/vendor/lib/x.cti"
    # sim_device_xml = "lab_camera.xml"  # the simulated camera serves this GenICam XML (implies sim)

    [camera]
    serial = "40000001"             # optional: also model, user_id, index

    [features]                      # set in this order; "Name[Selector=Value]" keys for selected features
    PixelFormat = "Mono12"
    Height = 512
    ExposureTime = 2000.0

    [device_features]               # the producer's GenTL Device module (the simulator's Sim* controls)

    [acquisition]
    frames = 100                    # or duration = 10.0 (seconds)
    trigger = "free-run"            # or a TriggerSource entry: "Line1", ...
    trigger_activation = "RisingEdge"
    timeout = 30.0                  # seconds without a frame before giving up (default: a few frame
                                    # periods in free run, no limit when frames wait for a trigger)

    [output]
    path = "runs/{date}_{time}_{serial}_{run:03d}.h5"
    compression = "blosc-lz4"

    [metadata]                      # free: strings, numbers, booleans or lists of them
    operator = "A. Scientist"
    sample = "S-17"
    notes = "..."

Several cameras as one instrument (a rig): ``[[cameras]]`` tables instead of ``[camera]``, the
first with ``role = "leader"``, each with its own ``features`` and ``device_features`` tables and
``events``; top-level ``[features]`` go to every camera first; ``[rig]`` says how they are kept
together::

    [rig]
    sync = "hardware"               # or "software" (the recorder triggers), "free-run" (no sync)
    leader_line = "Line2"           # hardware: the leader's output ...
    follower_line = "Line1"         # ... into the followers' trigger input
    trigger_rate = 20.0             # software: triggers per second (default half the slowest camera)
    reconnect = 10.0                # seconds a lost camera is waited for (also [acquisition] reconnect)

    [[cameras]]
    serial = "40000001"
    role = "leader"
    events = ["ExposureEnd"]
    [cameras.features]
    ExposureTime = 2000.0

    [[cameras]]
    serial = "40000002"
    role = "follower"

:func:`load` and :func:`loads` give a :class:`RunConfig`; :meth:`RunConfig.dumps` writes the
canonical TOML of it (what a recording stores, so the run can be repeated from the file alone).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import string
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ace_gentl.errors import AceGentlError, RunFileError
from ace_gentl.featuretext import parse_ref
from ace_gentl.recording.compression import DEFAULT as RECORDER_DEFAULT_COMPRESSION
from ace_gentl.recording.compression import parse as parse_compression

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FORMAT_VERSION = 1
#: Placeholders of the output path template.
PLACEHOLDERS = ("date", "time", "serial", "model", "run")
DEFAULT_OUTPUT = "{date}_{time}_{serial}_{run:03d}.h5"
DEFAULT_COMPRESSION = parse_compression(RECORDER_DEFAULT_COMPRESSION).spec  # with its level: "blosc-lz4:5"
#: ``acquisition.trigger`` value for a free-running camera (TriggerMode Off).
FREE_RUN = "free-run"

Scalar = str | int | float | bool
MetaValue = Scalar | list[Scalar]


@dataclass(frozen=True)
class CameraSpec:
    serial: str | None = None
    model: str | None = None
    user_id: str | None = None
    index: int | None = None
    events: tuple[str, ...] = ()  # event names stored in the camera's events table


@dataclass(frozen=True)
class RigCamera:
    """One ``[[cameras]]`` table of a rig."""

    camera: CameraSpec
    role: str = "follower"
    name: str | None = None
    features: dict[str, Any] = field(default_factory=dict)
    device_features: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RigSpec:
    """``[rig]``: how the cameras are kept together."""

    sync: str = "hardware"
    leader_line: str = "Line2"
    follower_line: str = "Line1"
    trigger_rate: float | None = None
    reconnect: float | None = None


@dataclass(frozen=True)
class ProducerSpec:
    sim: bool = False
    cti: tuple[str, ...] = ()
    env: bool | None = None  # None: GENICAM_GENTL64_PATH only when neither sim nor cti is given
    sim_device_xml: str | None = None  # the simulated camera serves this description file (.xml or .zip)


@dataclass(frozen=True)
class AcquisitionPlan:
    frames: int | None = None
    duration: float | None = None  # seconds
    trigger: str | None = None  # None: leave the camera's trigger settings as the features leave them
    trigger_activation: str | None = None
    timeout: float | None = None  # seconds to wait for each frame; None: the recorder's default (no limit if triggered)
    reconnect: float | None = None  # seconds a lost camera is waited for and reopened; None: the run ends


@dataclass(frozen=True)
class OutputSpec:
    path: str = DEFAULT_OUTPUT
    compression: str = DEFAULT_COMPRESSION


@dataclass(frozen=True)
class RunConfig:
    """One run, as a run file describes it. ``source`` and ``text`` are where it came from."""

    title: str = ""
    camera: CameraSpec = field(default_factory=CameraSpec)
    producer: ProducerSpec = field(default_factory=ProducerSpec)
    features: dict[str, Scalar] = field(default_factory=dict)
    device_features: dict[str, Scalar] = field(default_factory=dict)
    acquisition: AcquisitionPlan = field(default_factory=AcquisitionPlan)
    output: OutputSpec = field(default_factory=OutputSpec)
    metadata: dict[str, MetaValue] = field(default_factory=dict)
    cameras: tuple[RigCamera, ...] = ()  # a rig: several cameras (then ``camera`` is unused)
    rig: RigSpec | None = None
    source: str = field(default="", compare=False)
    text: str = field(default="", compare=False)

    @property
    def is_rig(self) -> bool:
        return bool(self.cameras)

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with top-level fields changed (``source``/``text`` are kept)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The run file as plain data, without unset values (what :meth:`dumps` writes)."""
        data: dict[str, Any] = {"version": FORMAT_VERSION}
        if self.title:
            data["title"] = self.title
        producer: dict[str, Any] = {}
        if self.producer.sim:
            producer["sim"] = True
        if self.producer.cti:
            producer["cti"] = list(self.producer.cti)
        if self.producer.env is not None:
            producer["env"] = self.producer.env
        if self.producer.sim_device_xml is not None:
            producer["sim_device_xml"] = self.producer.sim_device_xml
        camera = _without_none(dataclasses.asdict(self.camera))
        if not camera.get("events"):
            camera.pop("events", None)
        else:
            camera["events"] = list(camera["events"])
        sections: dict[str, Any] = {
            "producer": producer,
            "camera": camera,
            "features": dict(self.features),
            "device_features": dict(self.device_features),
            "acquisition": _without_none(dataclasses.asdict(self.acquisition)),
            "output": dataclasses.asdict(self.output),
            "metadata": dict(self.metadata),
        }
        if self.rig is not None:
            rig = _without_none(dataclasses.asdict(self.rig))
            sections["rig"] = rig
        data.update({name: table for name, table in sections.items() if table})
        if self.cameras:
            data.pop("camera", None)
            data["cameras"] = [_rig_camera_dict(camera) for camera in self.cameras]
        return data

    def dumps(self) -> str:
        """Canonical TOML of this configuration; :func:`loads` of it gives an equal RunConfig."""
        return dump_toml(self.to_dict())

    @property
    def sha256(self) -> str:
        """SHA-256 of the run file as written (the canonical TOML when it was not read from a file)."""
        return hash_text(self.text or self.dumps())


def _rig_camera_dict(entry: RigCamera) -> dict[str, Any]:
    data: dict[str, Any] = _without_none({key: value for key, value in dataclasses.asdict(entry.camera).items()
                                          if key != "events"})
    data["role"] = entry.role
    if entry.name:
        data["name"] = entry.name
    if entry.camera.events:
        data["events"] = list(entry.camera.events)
    if entry.features:
        data["features"] = dict(entry.features)
    if entry.device_features:
        data["device_features"] = dict(entry.device_features)
    return data


def hash_text(text: str) -> str:
    """SHA-256 (hex) of a run file's UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _without_none(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


# --- reading and validating ----------------------------------------------------------------------

_SCALARS = (str, int, float, bool)
_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list",
               dict: "a table"}


def _type_word(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "float", list: "list", dict: "table"}.get(type(value),
                                                                                         type(value).__name__)


class _Checker:
    """Checks one parsed run file; each problem raises RunFileError naming the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> RunFileError:
        return RunFileError(f"{self.source}: {where}: {message}" if where else f"{self.source}: {message}")

    def unknown_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(allowed)}"
                place = f"[{where}] " if where else ""
                raise self.fail("", f"{place}unknown key {key!r}{hint}")

    def typed(self, table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
        if key not in table:
            return None
        value = table[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            hint = " (put it in quotes)" if kind is str and isinstance(value, (int, float)) else ""
            raise self.fail(f"{_label(where, key)}",
                            f"must be {_TYPE_WORDS[kind]}{hint}, not {_type_word(value)} {value!r}")
        return float(value) if kind is float else value

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table ([{key}]), not {_type_word(value)} {value!r}")
        return value


def _label(where: str, key: str) -> str:
    return f"[{where}] {key}" if where else key


_TOP = ("version", "title", "producer", "camera", "features", "device_features", "acquisition", "output",
        "metadata", "cameras", "rig")
_CAMERA = ("serial", "model", "user_id", "index", "events")
_RIG_CAMERA = ("serial", "model", "user_id", "index", "events", "role", "name", "features", "device_features")
_RIG = ("sync", "leader_line", "follower_line", "trigger_rate", "reconnect")
_SYNC_MODES = ("hardware", "software", "free-run")
_PRODUCER = ("sim", "cti", "env", "sim_device_xml")
_ACQUISITION = ("frames", "duration", "trigger", "trigger_activation", "timeout", "reconnect")
_OUTPUT = ("path", "compression")


def loads(text: str, source: str = "<run file>") -> RunConfig:
    """A RunConfig from TOML text; RunFileError for bad syntax, unknown keys, wrong types, bad values."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RunFileError(f"{source}: not valid TOML: {error}") from error
    except RecursionError:  # tomllib recurses per nesting level: thousands of [[[... exhaust the stack
        raise RunFileError(f"{source}: nested too deeply to read (a run file holds tables of values and lists of "
                           f"values, at most {MAX_DEPTH} levels)") from None
    return from_dict(data, source=source, text=text)


def load(path: str | Path) -> RunConfig:
    """Read and validate a run file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunFileError(f"run file {str(file)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunFileError(f"run file {str(file)!r} cannot be read: {error}") from error
    return loads(text, source=str(file))


#: Deepest nesting a run file needs is 3 (top level, a table, a list of values); more is refused.
MAX_DEPTH = 8


def _check_text(check: _Checker, data: Mapping[str, Any]) -> None:
    """Refuse nesting deeper than MAX_DEPTH and NUL characters in any key or string (HDF5 text cannot hold them).

    Iterative, so no depth of nesting can exhaust Python's stack here.
    """
    pending: list[tuple[Any, tuple[str, ...], int]] = [(data, (), 0)]
    while pending:
        value, where, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise check.fail(_where(where), f"nested more than {MAX_DEPTH} levels deep (a run file holds tables of "
                                            f"values and lists of values)")
        if isinstance(value, Mapping):
            for key, item in value.items():
                if "\0" in key:
                    table = f"[{'.'.join(where)}]" if where else ""
                    raise check.fail(table, f"the key {key!r} contains a NUL character (\\u0000), which HDF5 text "
                                            f"cannot hold")
                pending.append((item, (*where, key), depth + 1))
        elif isinstance(value, list):
            pending.extend((item, where, depth + 1) for item in value)
        elif isinstance(value, str) and "\0" in value:
            raise check.fail(_where(where), "contains a NUL character (\\u0000), which HDF5 text cannot hold")


def _where(keys: tuple[str, ...]) -> str:
    if not keys:
        return ""
    if len(keys) == 1:
        return keys[0]
    return f"[{'.'.join(keys[:-1])}] {keys[-1]}"


def from_dict(data: Mapping[str, Any], *, source: str = "<run file>", text: str = "") -> RunConfig:
    check = _Checker(source)
    _check_text(check, data)
    check.unknown_keys(data, _TOP, "")
    version = check.typed(data, "version", int, "")
    if version is not None and version != FORMAT_VERSION:
        raise check.fail("version", f"this ace_gentl reads run files of version {FORMAT_VERSION}, not {version}")
    title = check.typed(data, "title", str, "") or ""

    camera_table = check.table(data, "camera")
    check.unknown_keys(camera_table, _CAMERA, "camera")
    camera = _camera_spec(check, camera_table, "camera")
    cameras, rig = _rig(check, data)
    if cameras and camera_table:
        raise check.fail("[camera]", "a run file with [[cameras]] (a rig) names each camera there, not in [camera]")

    producer_table = check.table(data, "producer")
    check.unknown_keys(producer_table, _PRODUCER, "producer")
    cti = producer_table.get("cti", [])
    if isinstance(cti, str):
        cti = [cti]
    if not isinstance(cti, list) or not all(isinstance(item, str) and item for item in cti):
        raise check.fail("[producer] cti", f"must be a path or a list of paths, not {cti!r}")
    sim = check.typed(producer_table, "sim", bool, "producer")
    sim_xml = check.typed(producer_table, "sim_device_xml", str, "producer")
    if sim_xml is not None:
        if not sim_xml.strip():
            raise check.fail("[producer] sim_device_xml", "must be the path of a GenICam XML (.xml or .zip)")
        if sim is False:
            raise check.fail("[producer] sim_device_xml", "the simulated camera serves it; remove sim = false")
        if cti:
            raise check.fail("[producer] sim_device_xml", "the simulated camera serves it; remove cti (another "
                                                          "producer's camera cannot serve a different XML)")
        sim = True
    producer = ProducerSpec(sim=bool(sim), cti=tuple(cti), env=check.typed(producer_table, "env", bool, "producer"),
                            sim_device_xml=sim_xml)

    features = _feature_table(check, check.table(data, "features"), "features")
    device_features = _feature_table(check, check.table(data, "device_features"), "device_features")

    plan_table = check.table(data, "acquisition")
    check.unknown_keys(plan_table, _ACQUISITION, "acquisition")
    frames = check.typed(plan_table, "frames", int, "acquisition")
    duration = check.typed(plan_table, "duration", float, "acquisition")
    timeout = check.typed(plan_table, "timeout", float, "acquisition")
    reconnect = check.typed(plan_table, "reconnect", float, "acquisition")
    if frames is not None and frames < 1:
        raise check.fail("[acquisition] frames", f"must be at least 1, not {frames}")
    for key, value in (("duration", duration), ("timeout", timeout), ("reconnect", reconnect)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise check.fail(f"[acquisition] {key}", f"must be a positive number of seconds, not {value!r}")
    if frames is not None and duration is not None:
        raise check.fail("[acquisition]", "give frames or duration, not both")
    trigger = check.typed(plan_table, "trigger", str, "acquisition")
    if trigger is not None:
        trigger = _trigger(check, trigger)
    activation = check.typed(plan_table, "trigger_activation", str, "acquisition")
    if activation is not None and trigger in (None, FREE_RUN):
        raise check.fail("[acquisition] trigger_activation", "needs a trigger source (trigger = \"Line1\", ...)")
    if cameras and trigger is not None:
        raise check.fail("[acquisition] trigger", "a rig's triggers are set by [rig] sync (hardware, software or "
                                                   "free-run), not by [acquisition] trigger")
    plan = AcquisitionPlan(frames=frames, duration=duration, trigger=trigger, trigger_activation=activation,
                           timeout=timeout, reconnect=reconnect)

    output_table = check.table(data, "output")
    check.unknown_keys(output_table, _OUTPUT, "output")
    path = check.typed(output_table, "path", str, "output") or DEFAULT_OUTPUT
    check_template(path, check)
    compression = check.typed(output_table, "compression", str, "output") or DEFAULT_COMPRESSION
    try:
        compression = parse_compression(compression).spec
    except AceGentlError as error:
        raise check.fail("[output] compression", str(error)) from error
    output = OutputSpec(path=path, compression=compression)

    metadata = {key: _meta_value(check, key, value) for key, value in check.table(data, "metadata").items()}
    return RunConfig(title=title, camera=camera, producer=producer, features=features,
                     device_features=device_features, acquisition=plan, output=output, metadata=metadata,
                     cameras=cameras, rig=rig, source=source, text=text)


def _camera_spec(check: _Checker, table: Mapping[str, Any], where: str) -> CameraSpec:
    index = check.typed(table, "index", int, where)
    if index is not None and index < 0:
        raise check.fail(f"[{where}] index", f"must be 0 or more, not {index}")
    events = table.get("events", [])
    if not isinstance(events, list) or not all(isinstance(name, str) and name.isidentifier() for name in events):
        raise check.fail(f"[{where}] events", f"must be a list of event names (EventSelector entries such as "
                                              f"\"ExposureEnd\"), not {events!r}")
    return CameraSpec(serial=check.typed(table, "serial", str, where), model=check.typed(table, "model", str, where),
                      user_id=check.typed(table, "user_id", str, where), index=index, events=tuple(events))


def _rig(check: _Checker, data: Mapping[str, Any]) -> tuple[tuple[RigCamera, ...], RigSpec | None]:
    """The ``[[cameras]]`` tables and ``[rig]`` of a rig's run file (both empty for one camera)."""
    entries = data.get("cameras", [])
    rig_table = check.table(data, "rig")
    if not entries:
        if rig_table:
            raise check.fail("[rig]", "needs the cameras of the rig: [[cameras]] tables, one per camera")
        return (), None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise check.fail("cameras", "must be [[cameras]] tables, one per camera")
    if len(entries) < 2:
        raise check.fail("[[cameras]]", f"a rig needs at least two cameras, not {len(entries)} (one camera: use "
                                        f"[camera])")
    cameras = []
    for number, entry in enumerate(entries, start=1):
        where = f"cameras {number}"
        check.unknown_keys(entry, _RIG_CAMERA, where)
        role = check.typed(entry, "role", str, where) or "follower"
        if role not in ("leader", "follower"):
            raise check.fail(f"[{where}] role", f"must be \"leader\" or \"follower\", not {role!r}")
        name = check.typed(entry, "name", str, where)
        if name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise check.fail(f"[{where}] name", f"must be a NeXus group name (letters, digits, _), not {name!r}")
        cameras.append(RigCamera(camera=_camera_spec(check, entry, where), role=role, name=name,
                                 features=_feature_table(check, check.table(entry, "features"), f"{where}.features"),
                                 device_features=_feature_table(check, check.table(entry, "device_features"),
                                                                f"{where}.device_features")))
    leaders = [entry for entry in cameras if entry.role == "leader"]
    if len(leaders) != 1:
        raise check.fail("[[cameras]]", f"a rig needs exactly one camera with role = \"leader\", not {len(leaders)}")
    check.unknown_keys(rig_table, _RIG, "rig")
    sync = check.typed(rig_table, "sync", str, "rig") or "hardware"
    if sync not in _SYNC_MODES:
        raise check.fail("[rig] sync", f"must be one of {', '.join(_SYNC_MODES)}, not {sync!r}")
    rate = check.typed(rig_table, "trigger_rate", float, "rig")
    reconnect = check.typed(rig_table, "reconnect", float, "rig")
    for key, value in (("trigger_rate", rate), ("reconnect", reconnect)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise check.fail(f"[rig] {key}", f"must be a positive number, not {value!r}")
    rig = RigSpec(sync=sync, leader_line=check.typed(rig_table, "leader_line", str, "rig") or "Line2",
                  follower_line=check.typed(rig_table, "follower_line", str, "rig") or "Line1",
                  trigger_rate=rate, reconnect=reconnect)
    return tuple(cameras), rig


def _trigger(check: _Checker, value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("free-run", "freerun", "free_run", "off", "none"):
        return FREE_RUN
    if lowered == "software":
        raise check.fail("[acquisition] trigger", "'software' needs a program that fires the triggers; use "
                                                   "the Python API (session.trigger()) or a hardware source")
    if not value.isidentifier():
        raise check.fail("[acquisition] trigger", f"must be 'free-run' or a TriggerSource entry such as "
                                                   f"'Line1', not {value!r}")
    return value


def _feature_table(check: _Checker, table: Mapping[str, Any], where: str) -> dict[str, Scalar]:
    out: dict[str, Scalar] = {}
    for key, value in table.items():
        try:
            parse_ref(key)
        except ValueError as error:
            raise check.fail(f"[{where}] {key!r}", str(error)) from None
        if isinstance(value, dict):
            raise check.fail(f"[{where}] {key}", "must be a value; for a feature under a selector write "
                                                  f"\"{key}[Selector=Value]\" = value")
        if not isinstance(value, _SCALARS):
            raise check.fail(f"[{where}] {key}", f"must be a string, number or boolean, not "
                                                  f"{_type_word(value)} {value!r}")
        out[key] = value
    return out


def _meta_value(check: _Checker, key: str, value: Any) -> MetaValue:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value):
        return list(value)
    raise check.fail(f"[metadata] {key}", f"must be a string, number, boolean or a list of them, not "
                                           f"{_type_word(value)}")


# --- the output path -------------------------------------------------------------------------------


#: ``{run}``'s format spec: an optional zero fill, a width, an optional ``d``.
_RUN_SPEC = re.compile(r"0?(\d{0,3})d?")
MAX_RUN_WIDTH = 12
MAX_NAME_BYTES = 255  # NAME_MAX of Linux and macOS file systems


def check_template(template: str, check: _Checker | None = None) -> None:
    """RunFileError if the template has an unknown placeholder or bad braces."""
    fail = (check or _Checker("output path")).fail
    try:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise fail("[output] path", f"{template!r}: {error}") from None
    for name, spec in fields:
        if name not in PLACEHOLDERS:
            close = difflib.get_close_matches(name, PLACEHOLDERS, n=1, cutoff=0.4)
            hint = f"; did you mean {{{close[0]}}}?" if close else ""
            raise fail("[output] path", f"unknown placeholder {{{name}}} in {template!r}{hint} (placeholders: "
                                        f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
        if spec and name != "run":
            raise fail("[output] path", f"only {{run}} takes a format spec ({{run:03d}}), not {{{name}:{spec}}}")
        width = _RUN_SPEC.fullmatch(spec or "")
        if name == "run" and (width is None or int(width[1] or 0) > MAX_RUN_WIDTH):
            raise fail("[output] path", f"{{run:{spec}}} in {template!r}: {{run}} takes a zero-padded width of at "
                                        f"most {MAX_RUN_WIDTH} digits, such as {{run:03d}}")
    if "\0" in template:
        raise fail("[output] path", "contains a NUL character (\\u0000), which no file name can hold")
    try:
        sample = render(template, serial="0", model="m", now=datetime(2000, 1, 1), exists=lambda _p: False)
    except (ValueError, KeyError) as error:
        raise fail("[output] path", f"{template!r}: {error}") from None
    for part in sample.parts:
        if len(os.fsencode(part)) > MAX_NAME_BYTES:
            raise fail("[output] path", f"{template!r}: a file or folder name would be {len(os.fsencode(part))} "
                                        f"bytes; file systems allow at most {MAX_NAME_BYTES}")


def render(template: str, *, serial: str, model: str, now: datetime | None = None,
           exists: Callable[[Path], bool] = Path.exists, max_runs: int = 100_000) -> Path:
    """The output path: placeholders filled, ``{run}`` the smallest number >= 1 whose file does not exist.

    ``{date}`` is YYYY-MM-DD, ``{time}`` HHMMSS (local time). Without ``{run}`` the path is returned
    as is, even if it exists (the caller decides whether that is an error).
    """
    moment = now or datetime.now()
    values: dict[str, Any] = {"date": moment.strftime("%Y-%m-%d"), "time": moment.strftime("%H%M%S"),
                              "serial": _safe(serial), "model": _safe(model)}
    if "{run" not in template:
        return Path(template.format(**values, run=1)).expanduser()
    for run in range(1, max_runs + 1):
        path = Path(template.format(**values, run=run)).expanduser()
        if not exists(path):
            return path
    raise RunFileError(f"output path {template!r}: runs 1..{max_runs} all exist")


def _safe(text: str) -> str:
    # Serials and models become file names: keep them to one path component.
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "unknown"


# --- writing TOML ----------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON escapes are TOML basic-string escapes; DEL must be escaped too in TOML.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to TOML")


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else json.dumps(key, ensure_ascii=False)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def dump_toml(data: Mapping[str, Any]) -> str:
    """TOML for a mapping of scalars, lists of scalars, tables, and arrays of tables with sub-tables."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items()
             if not isinstance(v, Mapping) and not _is_table_list(v)]
    for name, table in data.items():
        if isinstance(table, Mapping):
            lines += ["", f"[{_toml_key(name)}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
    for name, tables in data.items():
        if not _is_table_list(tables):
            continue
        for table in tables:
            lines += ["", f"[[{_toml_key(name)}]]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
            for sub, values in table.items():
                if isinstance(values, Mapping):
                    lines += [f"[{_toml_key(name)}.{_toml_key(sub)}]"]
                    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


__all__ = ["AcquisitionPlan", "CameraSpec", "RigCamera", "RigSpec", "DEFAULT_COMPRESSION", "DEFAULT_OUTPUT", "FORMAT_VERSION", "FREE_RUN",
           "OutputSpec", "PLACEHOLDERS", "ProducerSpec", "RunConfig", "check_template", "dump_toml", "from_dict",
           "hash_text", "load", "loads", "render"]
