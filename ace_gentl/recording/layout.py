"""The NeXus structure of a recording: every group and dataset, created before SWMR starts.

In SWMR mode no new object or attribute may be created, so everything a run writes into —
per-frame datasets, tables, counters, status, end time — exists (empty or with a placeholder)
before ``swmr_mode = True``. Values known only after the run (the end snapshots, the error text,
the rig's matching table, clock fits) are added when the file is reopened normally after the SWMR
writer has closed it. The paths themselves are in :mod:`schema`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from ace_gentl.recording import chunkio, description, metadata, schema
from ace_gentl.recording.compression import Compression
from ace_gentl.recording.schema import (  # noqa: F401 (re-exported: the writer's vocabulary)
    BASE_FIELDS,
    CHECKSUM,
    CHECKSUM_ALGORITHM,
    CHUNK_PREFIX,
    COUNTERS,
    PER_FRAME_CHUNK,
    STATUS_LENGTH,
    TIME_LENGTH,
    Field,
    chunk_field,
)

STR = h5py.string_dtype("utf-8")


def frame_rate(count: int, first_timestamp_ns: int | None, last_timestamp_ns: int | None) -> float:
    """Frames per second of ``count`` frames by their timestamps: (count - 1) / (last - first).

    The one definition of a recording's rate (the recorder's result and ``inspect`` use it, with
    the clock :func:`rate_clock` picks); 0.0 when there are fewer than two frames or no usable
    timestamps.
    """
    if count < 2 or first_timestamp_ns is None or last_timestamp_ns is None:
        return 0.0
    span = (int(last_timestamp_ns) - int(first_timestamp_ns)) * 1e-9
    return (count - 1) / span if span > 0 else 0.0


def rate_clock(first_device_ns: int | None, last_device_ns: int | None) -> str:
    """``"device"`` if the camera's timestamps advance from the first frame to the last, else ``"host"``.

    Why: some producers leave every frame's device timestamp at 0 (viky.cti in the genicam wheel
    does); their rate and frame intervals then come from the host's receive times, said so,
    instead of a rate of 0 fps.
    """
    if first_device_ns is None or last_device_ns is None or int(last_device_ns) <= int(first_device_ns):
        return "host"
    return "device"


def nexus_name(text: str) -> str:
    """A NeXus-valid group name ([A-Za-z0-9_], not starting with a digit)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "camera"
    return name if not name[0].isdigit() else f"camera_{name}"


def _group(parent: h5py.Group, name: str, nx_class: str, *, track_order: bool = False, **attrs: Any) -> h5py.Group:
    group = parent.create_group(name, track_order=track_order or None)
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


write_json = _json


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


def _column(parent: h5py.Group, column: Field) -> h5py.Dataset:
    """An empty, growable per-frame or table column."""
    dataset = parent.create_dataset(column.name, shape=(0,), maxshape=(None,), dtype=column.dtype,
                                    chunks=(PER_FRAME_CHUNK,), fillvalue=column.fill)
    if column.units:
        dataset.attrs["units"] = column.units
    if column.description:
        dataset.attrs["long_name"] = column.description
    for key, value in column.attrs:
        dataset.attrs[key] = value
    return dataset


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
class DetectorSpec:
    """What one camera's NXdetector group holds."""

    name: str  # the group name (unique in the file)
    geometry: Geometry
    fields: list[Field]  # per-frame fields, BASE_FIELDS first
    static: metadata.StaticMetadata
    chunks: tuple[int, ...]
    role: str = ""  # "leader" / "follower" in a rig
    tables: tuple[str, ...] = ("events", "clock", "reconnects")


@dataclass
class DetectorHandles:
    """Handles to what the writer touches in one camera's group during the run."""

    group: h5py.Group
    data: h5py.Dataset
    fields: dict[str, h5py.Dataset]
    counters: dict[str, h5py.Dataset]
    tables: dict[str, dict[str, h5py.Dataset]] = field(default_factory=dict)


@dataclass
class Layout:
    """Handles to what the writer touches during the run."""

    detectors: list[DetectorHandles]
    counters: dict[str, h5py.Dataset]
    status: h5py.Dataset
    end_time: h5py.Dataset

    @property
    def detector(self) -> h5py.Group:
        return self.detectors[0].group

    @property
    def data(self) -> h5py.Dataset:
        return self.detectors[0].data

    @property
    def fields(self) -> dict[str, h5py.Dataset]:
        return self.detectors[0].fields


def _detector(instrument: h5py.Group, spec: DetectorSpec, compression: Compression) -> DetectorHandles:
    static, geometry = spec.static, spec.geometry
    detector = _group(instrument, spec.name, "NXdetector")
    if spec.role:
        detector.attrs["role"] = spec.role
    frame_shape = geometry.shape
    options = compression.dataset_options()
    if chunkio.suits(spec.chunks, frame_shape, geometry.dtype, compression.name):
        # Chunks allocated as the dataset grows, no fill value written: the writer puts each
        # frame at its chunk's address itself (chunkio: around the page cache).
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        options.update(dcpl=dcpl, fill_time="never")
    data = detector.create_dataset(
        schema.DATA, shape=(0, *frame_shape), maxshape=(None, *frame_shape), dtype=geometry.dtype,
        chunks=spec.chunks, **options)
    data.attrs["interpretation"] = "image" if len(frame_shape) == 2 else "rgba-image"
    data.attrs["units"] = "counts"
    data.attrs["pixel_format"] = geometry.pixel_format
    data.attrs["significant_bits"] = geometry.bits
    handles = {column.name: _column(detector, column) for column in spec.fields}
    handles["host_timestamp"].attrs["start"] = "1970-01-01T00:00:00Z"
    counters_group = _group(detector, schema.COUNTERS_GROUP, "NXcollection")
    counters = {name: counters_group.create_dataset(name, data=np.int64(0)) for name in COUNTERS}
    tables: dict[str, dict[str, h5py.Dataset]] = {}
    for table in spec.tables:
        group = _group(detector, table, "NXcollection", description=f"one row per {table[:-1]}")
        tables[table] = {column.name: _column(group, column) for column in schema.TABLES[table]}
    _text(detector, "description", static.description)
    _text(detector, "type", "CMOS")
    _text(detector, "serial_number", static.serial)
    _text(detector, "local_name", static.user_id or static.model)
    _text(detector, "pixel_format", geometry.pixel_format)
    detector.create_dataset("bit_depth_readout", data=np.int32(geometry.bits))
    for axis, size in zip(("x", "y"), static.pixel_size_m):
        if size is not None:
            detector.create_dataset(f"{axis}_pixel_size", data=float(size)).attrs["units"] = "m"

    genicam = _group(detector, schema.GENICAM, "NXcollection")
    _json(genicam, "settings_start", static.settings_start)
    description.write(genicam, static.xml, static.xml_url)
    _collection(genicam, "producer", vars(static.producer))
    _json(genicam, "interface", static.interface)
    _json(genicam, "device_module", static.device_module)
    _json(genicam, "stream_module_start", static.stream_module)
    return DetectorHandles(group=detector, data=data, fields=handles, counters=counters, tables=tables)


def create(file: h5py.File, *, detectors: list[DetectorSpec], compression: Compression, config: dict[str, Any],
           title: str, start_time: str, rig: dict[str, Any] | None = None) -> Layout:
    """Create the whole structure in a file opened for writing (before SWMR mode)."""
    first = detectors[0].static
    versions = first.versions
    file.attrs.update({"NX_class": "NXroot", "default": schema.ENTRY, "file_name": str(file.filename),
                       "file_time": start_time, "creator": f"ace_gentl {versions.get('ace-gentl', '')}",
                       "HDF5_Version": versions["hdf5"], "h5py_version": versions.get("h5py", "")})
    entry = _group(file, schema.ENTRY, "NXentry", default="data")
    _text(entry, "title", title)
    _text(entry, "start_time", start_time)
    entry_end = _fixed_text(entry, "end_time", "", TIME_LENGTH)
    _text(entry, "program_name", "ace_gentl", version=versions.get("ace-gentl", ""),
          configuration=json.dumps(metadata.to_json_safe(config)))
    _text(entry, "ace_gentl_schema", schema.SCHEMA_NAME, version=schema.SCHEMA_VERSION)
    note = _group(entry, "run_configuration", "NXnote", description="arguments of the run, to repeat it")
    _text(note, "type", "application/json")
    _json(note, "data", config)
    recording = _group(entry, "recording", "NXcollection")
    status = _fixed_text(recording, "status", "running", STATUS_LENGTH)
    counters = {name: recording.create_dataset(name, data=np.int64(0)) for name in COUNTERS}
    _text(recording, "compression", compression.spec)
    _collection(entry, "software", dict(versions))
    _collection(entry, "host", first.host)
    if rig is not None:
        group = _group(entry, "rig", "NXcollection", description="several cameras recorded as one instrument")
        for key, value in rig.items():
            if isinstance(value, (dict, list)):
                _json(group, key, value)
            else:
                _text(group, key, str(value))

    instrument = _group(entry, "instrument", "NXinstrument", track_order=True)  # cameras in their order
    handles = [_detector(instrument, spec, compression) for spec in detectors]
    for index, detector in enumerate(handles):
        name = "data" if index == 0 else f"data_{detectors[index].name}"
        frame_shape = detectors[index].geometry.shape
        nxdata = _group(entry, name, "NXdata", signal="data", axes=["frame_id", ".", "."][:1 + len(frame_shape)],
                        frame_id_indices=0)
        nxdata["data"] = detector.data
        nxdata["frame_id"] = detector.fields["frame_id"]
    return Layout(detectors=handles, counters=counters, status=status, end_time=entry_end)


@dataclass
class DetectorEnd:
    """What only the end of a run knows about one camera."""

    settings_end: dict[str, Any] | None = None
    stream_module_end: dict[str, Any] | None = None
    counters: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # JSON documents added to the detector group


def detector_groups(file: h5py.File) -> list[h5py.Group]:
    """Every NXdetector under /entry/instrument, in the order they were created."""
    instrument = file[schema.INSTRUMENT]  # created with track_order: iterated in creation order
    return [group for group in instrument.values()
            if isinstance(group, h5py.Group) and group.attrs.get("NX_class") in ("NXdetector", b"NXdetector")]


def finish(file: h5py.File, *, status: str, error: str | None, result: dict[str, Any], warnings: list[str],
           detectors: list[DetectorEnd], rig: dict[str, Any] | None = None) -> None:
    """Add what only the end of a run knows (the file is open normally, after the SWMR writer closed it)."""
    recording = file[schema.RECORDING]
    recording["status"][()] = np.bytes_(status.encode()[:STATUS_LENGTH])
    for name in COUNTERS:
        if name in result:
            recording[name][()] = np.int64(result[name])
    _text(recording, "error", error or "")
    _json(recording, "result", result)
    _json(recording, "warnings", list(warnings))
    for group, end in zip(detector_groups(file), detectors):
        genicam = group[schema.GENICAM]
        if end.settings_end is not None:
            _json(genicam, "settings_end", end.settings_end)
        if end.stream_module_end is not None:
            _json(genicam, "stream_module_end", end.stream_module_end)
        for name, value in end.counters.items():
            if name in group[schema.COUNTERS_GROUP]:
                group[schema.COUNTERS_GROUP][name][()] = np.int64(value)
        for name, value in end.extra.items():
            if isinstance(value, np.ndarray):
                group.create_dataset(name, data=value)
            else:
                _json(group, name, value)
    if rig:
        target = file[schema.RIG] if schema.RIG in file else _group(file[schema.ENTRY], "rig", "NXcollection")
        for name, value in rig.items():
            if name in target:
                del target[name]
            if isinstance(value, np.ndarray):
                target.create_dataset(name, data=value)
            else:
                _json(target, name, value)


__all__ = ["BASE_FIELDS", "CHECKSUM", "CHECKSUM_ALGORITHM", "COUNTERS", "DetectorEnd", "DetectorHandles",
           "DetectorSpec", "Field", "Geometry", "Layout", "chunk_field", "create", "detector_groups", "finish",
           "frame_rate", "nexus_name", "write_json", "write_text"]
