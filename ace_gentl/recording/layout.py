"""The NeXus structure of a recording: every group and dataset, created before SWMR starts.

In SWMR mode no new object or attribute may be created, so everything a run writes into —
per-frame datasets, counters, status, end time — exists (empty or with a placeholder) before
``swmr_mode = True``. Values known only after the run (the end snapshot, the error text) are
added when the file is reopened normally after the SWMR writer has closed it.

::

    /entry                              NXentry   title, start_time, end_time, program_name@version
      run_configuration                 NXnote    JSON of the record() arguments (to repeat the run)
      recording                         NXcollection  status, frames_written/lost/incomplete, error
      software, host                    NXcollection  versions of every package, HDF5, Python; the machine
      instrument                        NXinstrument
        <camera>                        NXdetector
          data                          (N, H, W[, C]) one frame per chunk
          frame_id, device_timestamp, host_timestamp, incomplete, lost_before, count_time, chunk_<Name>
          x_pixel_size, y_pixel_size, description, serial_number, local_name, pixel_format
          genicam                       NXcollection  settings_start/_end, device_xml, producer, modules
      data                              NXdata    signal=data, links to the detector's data and frame_id
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from ace_gentl.recording import description, metadata
from ace_gentl.recording.compression import Compression

#: Per-frame dataset chunk length: large enough for few chunks, small enough for prompt SWMR reads.
PER_FRAME_CHUNK = 4096
STATUS_LENGTH = 16
TIME_LENGTH = 40
STR = h5py.string_dtype("utf-8")


@dataclass(frozen=True)
class Field:
    """One per-frame dataset parallel to ``data``."""

    name: str
    dtype: str
    fill: float | int
    units: str = ""
    description: str = ""
    attrs: tuple[tuple[str, str], ...] = ()


#: The per-frame checksum: xxh3_64 of the frame's chunk exactly as stored (``read_direct_chunk``).
CHECKSUM = "frame_checksum"
CHECKSUM_ALGORITHM = "xxh3_64"


#: Fields every recording has, in this order.
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
CHUNK_PREFIX = "chunk_"


def chunk_field(name: str, kind: str, units: str) -> Field:
    """The per-frame dataset for chunk value ``name`` (without the "Chunk" prefix) of GenApi type ``kind``."""
    if kind == "Float":
        return Field(CHUNK_PREFIX + name, "f8", np.nan, units, f"chunk data: Chunk{name}")
    if kind == "Boolean":
        return Field(CHUNK_PREFIX + name, "i1", -1, units, f"chunk data: Chunk{name} (-1: not delivered)")
    return Field(CHUNK_PREFIX + name, "i8", -1, units, f"chunk data: Chunk{name} (-1: not delivered)")


def frame_rate(count: int, first_timestamp_ns: int | None, last_timestamp_ns: int | None) -> float:
    """Frames per second of ``count`` frames by their device timestamps: (count - 1) / (last - first).

    The one definition of a recording's rate (the recorder's result and ``inspect`` use it); 0.0
    when there are fewer than two frames or no usable timestamps.
    """
    if count < 2 or first_timestamp_ns is None or last_timestamp_ns is None:
        return 0.0
    span = (int(last_timestamp_ns) - int(first_timestamp_ns)) * 1e-9
    return (count - 1) / span if span > 0 else 0.0


def nexus_name(text: str) -> str:
    """A NeXus-valid group name ([A-Za-z0-9_], not starting with a digit)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "camera"
    return name if not name[0].isdigit() else f"camera_{name}"


def _group(parent: h5py.Group, name: str, nx_class: str, **attrs: Any) -> h5py.Group:
    group = parent.create_group(name)
    group.attrs["NX_class"] = nx_class
    for key, value in attrs.items():
        group.attrs[key] = value
    return group


def _text(parent: h5py.Group, name: str, value: str, **attrs: Any) -> h5py.Dataset:
    dataset = parent.create_dataset(name, data=value, dtype=STR)
    for key, attr in attrs.items():
        dataset.attrs[key] = attr
    return dataset


write_text = _text


def _json(parent: h5py.Group, name: str, value: Any) -> h5py.Dataset:
    return _text(parent, name, json.dumps(metadata.to_json_safe(value), indent=1, allow_nan=True),
                 content_type="application/json")


def _fixed_text(parent: h5py.Group, name: str, value: str, length: int) -> h5py.Dataset:
    # Fixed length, so it can be overwritten in SWMR mode (variable-length data would need new heap objects).
    return parent.create_dataset(name, data=np.bytes_(value.encode()[:length]), dtype=f"S{length}")


def _collection(parent: h5py.Group, name: str, values: dict[str, Any]) -> h5py.Group:
    group = _group(parent, name, "NXcollection")
    for key, value in values.items():
        if isinstance(value, (dict, list)):
            _json(group, key, value)
        elif isinstance(value, str):
            _text(group, key, value)
        elif value is None:
            _text(group, key, "")
        else:
            group.create_dataset(key, data=value)
    return group


@dataclass
class Geometry:
    """Shape and type of one decoded frame."""

    shape: tuple[int, ...]  # (H, W) or (H, W, C)
    dtype: np.dtype[Any]
    pixel_format: str
    bits: int  # significant bits per sample (12 for Mono12 stored in uint16)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * self.dtype.itemsize


@dataclass
class Layout:
    """Handles to what the writer touches during the run."""

    detector: h5py.Group
    data: h5py.Dataset
    fields: dict[str, h5py.Dataset]
    counters: dict[str, h5py.Dataset]
    status: h5py.Dataset
    end_time: h5py.Dataset


COUNTERS = ("frames_written", "frames_lost", "frames_incomplete", "frames_acquired", "bytes_raw")


def create(file: h5py.File, *, geometry: Geometry, compression: Compression, chunks: tuple[int, ...],
           fields: list[Field], static: metadata.StaticMetadata, config: dict[str, Any], title: str,
           start_time: str) -> Layout:
    """Create the whole structure in a file opened for writing (before SWMR mode)."""
    versions = static.versions
    file.attrs.update({"NX_class": "NXroot", "default": "entry", "file_name": str(file.filename),
                       "file_time": start_time, "creator": f"ace_gentl {versions.get('ace-gentl', '')}",
                       "HDF5_Version": versions["hdf5"], "h5py_version": versions.get("h5py", "")})
    entry = _group(file, "entry", "NXentry", default="data")
    _text(entry, "title", title)
    _text(entry, "start_time", start_time)
    entry_end = _fixed_text(entry, "end_time", "", TIME_LENGTH)
    _text(entry, "program_name", "ace_gentl", version=versions.get("ace-gentl", ""),
          configuration=json.dumps(metadata.to_json_safe(config)))
    _text(entry, "ace_gentl_schema", metadata.SCHEMA_NAME, version=metadata.SCHEMA_VERSION)
    note = _group(entry, "run_configuration", "NXnote", description="arguments of the run, to repeat it")
    _text(note, "type", "application/json")
    _json(note, "data", config)
    recording = _group(entry, "recording", "NXcollection")
    status = _fixed_text(recording, "status", "running", STATUS_LENGTH)
    counters = {name: recording.create_dataset(name, data=np.int64(0)) for name in COUNTERS}
    _text(recording, "compression", compression.spec)
    _collection(entry, "software", dict(versions))
    _collection(entry, "host", static.host)

    instrument = _group(entry, "instrument", "NXinstrument")
    detector = _group(instrument, nexus_name(static.model), "NXdetector")
    frame_shape = geometry.shape
    data = detector.create_dataset(
        "data", shape=(0, *frame_shape), maxshape=(None, *frame_shape), dtype=geometry.dtype,
        chunks=chunks, **compression.dataset_options())
    data.attrs["interpretation"] = "image" if len(frame_shape) == 2 else "rgba-image"
    data.attrs["units"] = "counts"
    data.attrs["pixel_format"] = geometry.pixel_format
    data.attrs["significant_bits"] = geometry.bits
    handles: dict[str, h5py.Dataset] = {}
    for field in fields:
        dataset = detector.create_dataset(field.name, shape=(0,), maxshape=(None,), dtype=field.dtype,
                                          chunks=(PER_FRAME_CHUNK,), fillvalue=field.fill)
        if field.units:
            dataset.attrs["units"] = field.units
        if field.description:
            dataset.attrs["long_name"] = field.description
        for key, value in field.attrs:
            dataset.attrs[key] = value
        handles[field.name] = dataset
    handles["host_timestamp"].attrs["start"] = "1970-01-01T00:00:00Z"
    _text(detector, "description", static.description)
    _text(detector, "type", "CMOS")
    _text(detector, "serial_number", static.serial)
    _text(detector, "local_name", static.user_id or static.model)
    _text(detector, "pixel_format", geometry.pixel_format)
    detector.create_dataset("bit_depth_readout", data=np.int32(geometry.bits))
    for axis, size in zip(("x", "y"), static.pixel_size_m):
        if size is not None:
            detector.create_dataset(f"{axis}_pixel_size", data=float(size)).attrs["units"] = "m"

    genicam = _group(detector, "genicam", "NXcollection")
    _json(genicam, "settings_start", static.settings_start)
    description.write(genicam, static.xml, static.xml_url)
    _collection(genicam, "producer", vars(static.producer))
    _json(genicam, "interface", static.interface)
    _json(genicam, "device_module", static.device_module)
    _json(genicam, "stream_module_start", static.stream_module)

    nxdata = _group(entry, "data", "NXdata", signal="data", axes=["frame_id", ".", "."][:1 + len(frame_shape)],
                    frame_id_indices=0)
    nxdata["data"] = data
    nxdata["frame_id"] = handles["frame_id"]
    return Layout(detector=detector, data=data, fields=handles, counters=counters, status=status, end_time=entry_end)


def finish(file: h5py.File, *, status: str, settings_end: dict[str, Any] | None,
           stream_module_end: dict[str, Any] | None, error: str | None, result: dict[str, Any],
           warnings: list[str] | None = None) -> None:
    """Add what only the end of a run knows (the file is open normally, after the SWMR writer closed it)."""
    entry = file["entry"]
    recording = entry["recording"]
    recording["status"][()] = np.bytes_(status.encode()[:STATUS_LENGTH])
    for name in COUNTERS:
        if name in result:
            recording[name][()] = np.int64(result[name])
    _text(recording, "error", error or "")
    _json(recording, "result", result)
    _json(recording, "warnings", list(warnings or []))
    detector = next(iter(group for group in entry["instrument"].values()
                         if isinstance(group, h5py.Group) and group.attrs.get("NX_class") == "NXdetector"))
    if settings_end is not None:
        _json(detector["genicam"], "settings_end", settings_end)
    if stream_module_end is not None:
        _json(detector["genicam"], "stream_module_end", stream_module_end)


__all__ = ["BASE_FIELDS", "CHECKSUM", "CHECKSUM_ALGORITHM", "COUNTERS", "Field", "Geometry", "Layout", "chunk_field", "create", "finish", "frame_rate",
           "nexus_name", "write_text"]
