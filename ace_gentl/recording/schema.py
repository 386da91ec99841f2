"""The recording file's schema: every HDF5 path and name, the per-frame fields and tables, the run configuration.

One module, typed and versioned, used by the writer (:mod:`layout`, :mod:`writer`), the reader
(:mod:`reader`) and the repair tool (:mod:`repair`), so the three agree by construction.

::

    /entry                              NXentry   title, start_time, end_time, program_name@version,
                                                  ace_gentl_schema@version
      run_configuration                 NXnote    the run as carried out (RunConfiguration, JSON)
      run_file                          NXnote    the run file as written and its SHA-256 (run files only)
      recording                         NXcollection  status, counters, compression; at the end: error,
                                                  result, warnings
      software, host                    NXcollection
      rig                               NXcollection  (several cameras) sync mode, cameras and roles,
                                                  triggers, matching table and its summary
      instrument                        NXinstrument
        <camera>                        NXdetector  one per camera
          data                          (N, H, W[, C]) one frame per chunk
          frame_id, device_timestamp, host_timestamp, incomplete, lost_before, count_time,
          frame_checksum, chunk_<Name>  per-frame fields, parallel to data
          counters                      NXcollection  this camera's frames_written / lost / ...
          events, clock, reconnects     NXcollection  tables (one dataset per column, same length)
          genicam                       NXcollection  settings_start/_end, device_xml, producer, modules
      data                              NXdata    signal=data of the first camera
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

#: Name and version of the layout ace_gentl writes (``/entry/ace_gentl_schema``). Version 2: several
#: cameras, per-frame checksums, per-camera counters and tables, the rig group.
SCHEMA_NAME = "ace_gentl.recording"
SCHEMA_VERSION = 2

# --- paths ---------------------------------------------------------------------------------------
ENTRY = "entry"
TITLE = "entry/title"
START_TIME = "entry/start_time"
END_TIME = "entry/end_time"
PROGRAM = "entry/program_name"
SCHEMA = "entry/ace_gentl_schema"
RUN_CONFIGURATION = "entry/run_configuration"
RUN_CONFIGURATION_DATA = "entry/run_configuration/data"
RUN_FILE = "entry/run_file"
RECORDING = "entry/recording"
STATUS = "entry/recording/status"
ERROR = "entry/recording/error"
RESULT = "entry/recording/result"
WARNINGS = "entry/recording/warnings"
COMPRESSION = "entry/recording/compression"
SOFTWARE = "entry/software"
HOST = "entry/host"
USER_NAME = "entry/user/name"
SAMPLE_NAME = "entry/sample/name"
RIG = "entry/rig"
RIG_MATCHING = "entry/rig/matching"
RIG_MATCHING_SUMMARY = "entry/rig/matching_summary"
RIG_TRIGGERS = "entry/rig/triggers"
INSTRUMENT = "entry/instrument"
NXDATA = "entry/data"

# --- names inside a detector group ----------------------------------------------------------------
DATA = "data"
COUNTERS_GROUP = "counters"
GENICAM = "genicam"
SETTINGS_START = "genicam/settings_start"
SETTINGS_END = "genicam/settings_end"
DEVICE_XML = "genicam/device_xml"
PRODUCER = "genicam/producer"
STREAM_MODULE_START = "genicam/stream_module_start"
STREAM_MODULE_END = "genicam/stream_module_end"
HOST_TIME_ESTIMATED = "host_time_estimated"
CLOCK_FIT = "clock/fit"

STATUS_LENGTH = 16
TIME_LENGTH = 40
#: Per-frame dataset chunk length: large enough for few chunks, small enough for prompt SWMR reads.
PER_FRAME_CHUNK = 4096
CHUNK_PREFIX = "chunk_"
#: Counters of the whole run (under /entry/recording) and of each camera (under <camera>/counters).
COUNTERS = ("frames_written", "frames_lost", "frames_incomplete", "frames_acquired", "bytes_raw")

#: Statuses a recording can have.
STATUSES = ("running", "complete", "stopped", "interrupted", "error", "aborted")


@dataclass(frozen=True)
class Field:
    """One column: a per-frame dataset parallel to ``data``, or a column of a table."""

    name: str
    dtype: str
    fill: float | int | bytes
    units: str = ""
    description: str = ""
    attrs: tuple[tuple[str, str], ...] = ()


#: The per-frame checksum: xxh3_64 of the frame's chunk exactly as stored (``read_direct_chunk``).
CHECKSUM = "frame_checksum"
CHECKSUM_ALGORITHM = "xxh3_64"

#: Fields every recording has for every camera, in this order.
BASE_FIELDS = (
    Field("frame_id", "u8", 0, "", "frame ID the camera gave (gaps = frames lost before this one)"),
    Field("device_timestamp", "u8", 0, "ns", "device clock at exposure start"),
    Field("host_timestamp", "i8", 0, "ns",
          "host clock (ns since 1970-01-01T00:00:00Z) when ace_gentl took the buffer (up to a few ms after it arrived)"),
    Field("incomplete", "u1", 0, "", "1 if the producer delivered the frame incomplete (missing bytes are 0)"),
    Field("lost_before", "u4", 0, "", "frames lost between the previous frame and this one"),
    Field("count_time", "f8", np.nan, "s", "exposure time of the frame"),
    Field(CHECKSUM, "u8", 0, "", f"{CHECKSUM_ALGORITHM} of the frame's chunk bytes as stored (read_direct_chunk)",
          (("algorithm", CHECKSUM_ALGORITHM),)),
)


def chunk_field(name: str, kind: str, units: str) -> Field:
    """The per-frame dataset for chunk value ``name`` (without the "Chunk" prefix) of GenApi type ``kind``."""
    if kind == "Float":
        return Field(CHUNK_PREFIX + name, "f8", np.nan, units, f"chunk data: Chunk{name}")
    if kind == "Boolean":
        return Field(CHUNK_PREFIX + name, "i1", -1, units, f"chunk data: Chunk{name} (-1: not delivered)")
    return Field(CHUNK_PREFIX + name, "i8", -1, units, f"chunk data: Chunk{name} (-1: not delivered)")


#: Tables each camera's group has (appended during the run; all columns of a table have one length).
TABLES: dict[str, tuple[Field, ...]] = {
    "events": (
        Field("name", "S48", b"", "", "event name (EventSelector entry)"),
        Field("event_id", "i8", -1, "", "the event's ID as the camera sends it"),
        Field("device_timestamp", "u8", 0, "ns", "device time of the event"),
        Field("frame_id", "i8", -1, "", "frame ID the event refers to (-1: none)"),
        Field("host_timestamp", "i8", 0, "ns", "host clock when ace_gentl took the event"),
        Field("data", "S256", b"", "", "other values the event carries (JSON)"),
    ),
    "clock": (
        Field("host_before", "i8", 0, "ns", "host clock (since 1970) just before TimestampLatch"),
        Field("host_after", "i8", 0, "ns", "host clock just after TimestampLatchValue was read"),
        Field("device", "i8", 0, "ns", "TimestampLatchValue: the device clock at the latch"),
    ),
    "reconnects": (
        Field("lost_host_timestamp", "i8", 0, "ns", "host clock when the camera was found lost"),
        Field("back_host_timestamp", "i8", 0, "ns", "host clock when it delivered again (0: never)"),
        Field("frames_before", "i8", 0, "", "frames of this camera in data before the gap"),
        Field("reason", "S256", b"", "", "why it was lost"),
    ),
}


@dataclass
class RunConfiguration:
    """The recorder's options as carried out: stored as JSON in ``/entry/run_configuration/data``.

    Unknown keys (written by a newer version, or added by a front end such as the run file's
    ``run_file``) are kept in ``extra``; :meth:`from_dict` never fails on a well-formed mapping.
    """

    frames: int | None = None
    duration: float | None = None
    compression: str = "blosc-lz4"
    chunks: list[int] | None = None
    queue_bytes: int = 512 * 1024 * 1024
    workers: int = 2
    num_buffers: int | None = None
    timeout: float | None = None
    flush_interval: float = 0.5
    title: str = ""
    pixel_format: str | None = None  # of the first camera
    frame_shape: list[int] | None = None
    cameras: list[dict[str, Any]] = field(default_factory=list)  # per camera: name, serial, role, buffers, ...
    extra: dict[str, Any] = field(default_factory=dict)

    _OPTIONS = ("frames", "duration", "compression", "chunks", "queue_bytes", "workers", "num_buffers", "timeout",
                "flush_interval", "title")
    _EXTRA_OPTIONS = ("events", "reconnect")  # recorder options kept in ``extra`` (older files lack them)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {**extra, **data}

    @classmethod
    def from_dict(cls, mapping: dict[str, Any]) -> RunConfiguration:
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {key: mapping[key] for key in known if key in mapping}
        extra = {key: value for key, value in mapping.items() if key not in known}
        return cls(**values, extra=extra)

    def recorder_options(self) -> dict[str, Any]:
        """Recorder options to repeat the run."""
        options = {key: getattr(self, key) for key in self._OPTIONS if getattr(self, key) is not None}
        options.update({key: self.extra[key] for key in self._EXTRA_OPTIONS if self.extra.get(key)})
        if "chunks" in options:
            options["chunks"] = tuple(options["chunks"])
        return options


__all__ = ["BASE_FIELDS", "CHECKSUM", "CHECKSUM_ALGORITHM", "CHUNK_PREFIX", "COUNTERS", "DATA", "ENTRY", "ERROR",
           "Field", "GENICAM", "HOST", "INSTRUMENT", "PER_FRAME_CHUNK", "RECORDING", "RESULT", "RIG",
           "RIG_MATCHING", "RIG_MATCHING_SUMMARY", "RUN_CONFIGURATION", "RUN_CONFIGURATION_DATA", "RUN_FILE",
           "RunConfiguration", "SAMPLE_NAME", "SCHEMA", "SCHEMA_NAME", "SCHEMA_VERSION", "SETTINGS_END",
           "SETTINGS_START", "SOFTWARE", "STATUS", "STATUS_LENGTH", "TABLES", "TIME_LENGTH", "TITLE", "USER_NAME",
           "WARNINGS", "chunk_field"]
