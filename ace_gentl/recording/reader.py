"""Reading a recording back: ``ace_gentl.open_recording(path)``.

Opens read-only in SWMR mode, which works on a finished file, on one being written (call
:meth:`Recording.refresh` to see new frames) and on one whose writer died (no repair needed to
read). The number of frames is the length of the per-frame datasets: frames whose metadata
reached the disk (frames in ``data`` beyond them are counted in :attr:`Recording.unpaired_frames`).

Every read of a damaged file ends at once with a one-line :class:`RecordingFileError`: HDF5's
metadata retries are bounded (:mod:`fileaccess`), and h5py's exceptions are translated.
:meth:`Recording.verify` checks every frame's stored bytes against its checksum.
"""

from __future__ import annotations

import functools
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from xml.etree import ElementTree

import h5py
import numpy as np

from ace_gentl.errors import AceGentlError, RecordingFileError
from ace_gentl.recording import description, layout, schema
from ace_gentl.recording.fileaccess import (
    H5PY_ERRORS,
    damaged_objects,
    file_errors,
    open_flags_cleared,
    open_swmr,
    reason,
)
from ace_gentl.recording.superblock import checked_superblock, read_superblock
from ace_gentl.recording.writer import find_detector
from ace_gentl.recording.writerlock import LOCK_SUFFIX, WriterInfo, WriterState, lock_file_state, writer_state

#: Errors of reading pixel data (a chunk that does not decode, an I/O error); others are the caller's.
_DATA_ERRORS = (OSError, RuntimeError)
#: Name and algorithm of the per-frame checksums of the stored chunks.
CHECKSUM_FIELD = "frame_checksum"
CHECKSUM_ALGORITHM = "xxh3_64"

_T = TypeVar("_T")


class LazyFrames:
    """The frames as a lazy array: indexing reads only what is asked (``frames[10]``, ``frames[::5]``)."""

    def __init__(self, dataset: h5py.Dataset, count: int, path: Path | str = "") -> None:
        self._dataset = dataset
        self._count = count
        self._path = path or dataset.file.filename

    @property
    def shape(self) -> tuple[int, ...]:
        return (self._count, *self._dataset.shape[1:])

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dataset.dtype

    @property
    def ndim(self) -> int:
        return self._dataset.ndim

    def __len__(self) -> int:
        return self._count

    def _read(self, key: Any, what: str) -> np.ndarray:
        with file_errors(self._path, what, kinds=_DATA_ERRORS):
            return self._dataset[key]

    def __getitem__(self, key: Any) -> np.ndarray:
        if key is Ellipsis or (isinstance(key, tuple) and Ellipsis in key):
            return self._read(slice(0, self._count), "frames")[key]  # every frame: numpy resolves the Ellipsis
        first = key[0] if isinstance(key, tuple) else key
        rest = key[1:] if isinstance(key, tuple) else ()
        if isinstance(first, (int, np.integer)):
            index = int(first) + self._count if first < 0 else int(first)
            if not 0 <= index < self._count:
                raise IndexError(f"frame {first} out of range for {self._count} frames")
            return self._read((index, *rest), f"frame {index}")
        if isinstance(first, slice):
            return self._read((slice(*first.indices(self._count)), *rest), f"frames {first.start}:{first.stop}")
        indices = np.asarray(first)
        if indices.dtype == bool:
            indices = np.flatnonzero(indices)
        indices = np.where(indices < 0, indices + self._count, indices)
        if indices.size and (indices.min() < 0 or indices.max() >= self._count):
            raise IndexError(f"frame index out of range for {self._count} frames")
        return np.stack([self._read((int(i), *rest), f"frame {int(i)}") for i in indices]) if indices.size else \
            np.empty((0, *self.shape[1:]), self.dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self[:]
        return data if dtype is None else data.astype(dtype)

    def __iter__(self) -> Any:
        for index in range(self._count):
            yield self._read(index, f"frame {index}")

    def __repr__(self) -> str:
        return f"<LazyFrames shape={self.shape} dtype={self.dtype}>"


@dataclass(frozen=True)
class Summary:
    path: Path
    camera: str
    serial: str
    pixel_format: str
    frame_shape: tuple[int, ...]
    frames: int
    frames_lost: int
    frames_incomplete: int
    id_gaps: int  # frames missing from the frame_id sequence (lost between two recorded frames)
    duration_s: float  # first to last frame, by ``clock``
    fps: float
    status: str
    error: str
    compression: str
    file_bytes: int
    raw_bytes: int
    start_time: str
    end_time: str
    frames_unpaired: int = 0  # frames in ``data`` without per-frame metadata (kept, not counted in ``frames``)
    writer: str = "closed"  # WriterState.state: closed, running, dead, unknown
    writer_detail: str = ""
    title: str = ""  # /entry/title
    operator: str = ""  # /entry/user/name (a run file's [metadata] operator)
    sample: str = ""  # /entry/sample/name (a run file's [metadata] sample)
    clock: str = "device"  # what duration_s and fps are measured by: "device" timestamps, or "host" (layout.rate_clock)

    @property
    def ratio(self) -> float:
        return self.raw_bytes / self.file_bytes if self.file_bytes else 0.0

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) pairs, each short enough to wrap well (``inspect`` wraps them to the terminal)."""
        rows = [(label, value) for label, value in (("title", self.title), ("operator", self.operator),
                                                     ("sample", self.sample)) if value]
        rows += [
            ("camera", f"{self.camera} serial {self.serial}"),
            ("frames", f"{self.frames} x {tuple(self.frame_shape)} {self.pixel_format}, lost {self.frames_lost}, "
                       f"incomplete {self.frames_incomplete}, gaps in frame IDs {self.id_gaps}"
                       + (f", {self.frames_unpaired} more in data without metadata" if self.frames_unpaired else "")),
            ("started", self.start_time),
            ("ended", self.end_time or "(not finished)"),
            ("rate", f"{self.fps:.2f} fps over {self.duration_s:.3f} s of {self.clock} time (first to last frame)"
                     + ("; the camera's timestamps do not advance" if self.clock == "host" else "")),
            ("storage", f"{self.compression}, {self.file_bytes / 1e6:.1f} MB on disk, ratio {self.ratio:.2f}"),
            ("status", self.status + (f": {self.error}" if self.error else "")),
        ]
        if self.writer != "closed":
            rows.append(("writer", self.writer_detail))
        return rows

    def __str__(self) -> str:
        return "\n".join([f"{self.path}", *(f"  {label:<10}  {text}" for label, text in self.rows())])


@dataclass(frozen=True)
class Verification:
    """What :meth:`Recording.verify` found. ``bad`` and ``unreadable`` hold frame indices."""

    path: Path
    frames: int  # frames checked
    checksums: bool  # False: the file stores no checksums; frames were only decoded
    bad: list[int] = field(default_factory=list)  # stored bytes differ from the checksum (or do not decode)
    unreadable: list[int] = field(default_factory=list)  # chunk missing or not readable
    frame_ids: dict[int, int] = field(default_factory=dict)  # index -> frame ID of the frames named above
    damaged_objects: list[str] = field(default_factory=list)  # metadata that cannot be read ("/path: why")

    @property
    def ok(self) -> bool:
        return not self.bad and not self.unreadable and not self.damaged_objects

    def _named(self, indices: list[int], limit: int = 20) -> str:
        shown = ", ".join(f"{i} (ID {self.frame_ids[i]})" if i in self.frame_ids else str(i) for i in indices[:limit])
        return shown + (f" and {len(indices) - limit} more" if len(indices) > limit else "")

    def __str__(self) -> str:
        if self.checksums:
            head = f"{self.frames} frames checked against their {CHECKSUM_ALGORITHM} checksums"
            problem = "do not match their checksum"
        else:
            head = f"no checksums stored; {self.frames} frames decoded"
            problem = "do not decode"
        if self.ok:
            return f"{head}: all {'match' if self.checksums else 'decode'}; all metadata readable"
        parts = []
        if self.damaged_objects:
            parts.append(f"{len(self.damaged_objects)} objects unreadable: " + "; ".join(self.damaged_objects[:3]))
        if self.bad:
            parts.append(f"{len(self.bad)} {problem}: frames {self._named(self.bad)}")
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} cannot be read: frames {self._named(self.unreadable)}")
        return f"{head}: " + "; ".join(parts)


def _str(value: Any) -> str:
    if isinstance(value, np.ndarray):
        value = value[()]
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def too_young(path: Path, writer: WriterInfo | None) -> str:
    """The message for a file whose writer died before the recording's structure was complete."""
    who = f" (PID {writer.pid})" if writer else ""
    side = [p.name for p in (path.with_name(path.name + suffix) for suffix in (".reserve", LOCK_SUFFIX)) if p.exists()]
    also = f" (and {', '.join(side)})" if side else ""
    return (f"{path}: holds no frames: its writer{who} ended before the recording's structure was complete (frames "
            f"start only after that); nothing to repair: delete it{also}")


#: A file smaller than this without a readable superblock, beside a stale lock file, was killed as it was made.
_YOUNG_BYTES = 1 << 16


def young_file_error(path: Path) -> RecordingFileError | None:
    """For a file without a readable superblock: being created now, or killed as it was being created."""
    held, info = lock_file_state(path)
    if held is True:
        return RecordingFileError(f"{path}: is being created by {info or 'another process'}; try again in a moment")
    if held is False and path.stat().st_size < _YOUNG_BYTES:
        return RecordingFileError(too_young(path, info))
    return None


def _lookup(group: h5py.Group, path: str) -> Any:
    """``group[path]``, or None if it does not exist (``group.get`` also hides a damaged object's error)."""
    try:
        return group[path]
    except KeyError as error:
        if any(words in str(error) for words in ("doesn't exist", "does not exist", "component not found")):
            return None
        raise


def _reads(what: str) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Run a Recording method under :func:`file_errors` (a damaged file: one-line RecordingFileError)."""
    def wrap(method: Callable[..., _T]) -> Callable[..., _T]:
        @functools.wraps(method)
        def wrapped(self: Recording, *args: Any, **kwargs: Any) -> _T:
            with file_errors(self.path, what):
                return method(self, *args, **kwargs)
        return wrapped
    return wrap


class Recording:
    """An opened recording. Close it (or use ``with``)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._owner = True  # False for a camera view (Recording.camera): the file is the owner's
        if not self.path.is_file():
            raise RecordingFileError(f"{self.path}: no such file")
        self._view: Any = None  # the file object under a file opened with its flags cleared
        try:
            try:
                block = checked_superblock(self.path)
            except RecordingFileError:
                young = young_file_error(self.path)
                if young is not None:
                    raise young from None
                raise
            self._open_for_write = block.open_for_write
            if block.open_for_write and not block.swmr:
                self._file = self._open_without_swmr(block)
            else:
                with file_errors(self.path, "cannot open as HDF5"):
                    self._file = open_swmr(self.path)
        except OSError as error:  # the file itself cannot be read (permissions, I/O)
            raise RecordingFileError(f"{self.path}: cannot be read: {error.strerror or error}") from error
        try:
            with file_errors(self.path, "not a readable ace_gentl recording"):
                marker = _lookup(self._file, schema.SCHEMA)
                if marker is None:
                    raise RecordingFileError(f"{self.path}: not an ace_gentl recording (no /entry/ace_gentl_schema)")
                version = int(marker.attrs.get("version", 0))
                if version > schema.SCHEMA_VERSION:
                    raise RecordingFileError(f"{self.path}: recording schema version {version}; this ace_gentl "
                                             f"reads up to {schema.SCHEMA_VERSION}")
                self.detector = find_detector(self._file)
                for name in ("data", "frame_id"):
                    if not isinstance(self.detector.get(name), h5py.Dataset):
                        raise RecordingFileError(f"{self.path}: not a complete recording (no {name} in "
                                                 f"{self.detector.name})")
        except BaseException:
            self.close()
            raise

    def _open_without_swmr(self, block: Any) -> h5py.File:
        """A file marked open by a writer that had not turned SWMR on (or was finishing the file)."""
        state = writer_state(self.path, True, None)
        if state.running:
            raise RecordingFileError(f"{self.path}: is being created or finished by {state.info or 'another process'}"
                                     f" right now ({state.how}); try again in a moment")
        file = None
        try:
            file, self._view = open_flags_cleared(self.path, block)
            if schema.SCHEMA in file and schema.STATUS in file:
                return file
            hdf5_says = "its layout is missing"
        except H5PY_ERRORS as error:
            hdf5_says = reason(error)
        if file is not None:
            file.close()
        raise RecordingFileError(f"{too_young(self.path, state.info)} [{hdf5_says}]")

    # --- life cycle ----------------------------------------------------------------------------

    def close(self) -> None:
        if not getattr(self, "_owner", True):
            return  # a camera view: the recording it came from closes the file
        file = getattr(self, "_file", None)
        try:
            if file is not None:
                file.close()
        finally:
            if self._view is not None:
                self._view.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    @_reads("refreshing")
    def refresh(self) -> None:
        """See frames a running writer flushed since the last look."""
        if self._view is not None:
            return  # not a SWMR file: nothing new can arrive
        for dataset in self.detector.values():
            if isinstance(dataset, h5py.Dataset):
                dataset.id.refresh()
        for dataset in self._file[schema.RECORDING].values():
            dataset.id.refresh()

    @property
    def file(self) -> h5py.File:
        return self._file

    # --- several cameras -------------------------------------------------------------------------

    @property
    @_reads("listing the cameras")
    def cameras(self) -> list[str]:
        """The NXdetector groups of the file, the leader first (one for a one-camera recording)."""
        return [group.name.rsplit("/", 1)[-1] for group in layout.detector_groups(self._file)]

    @property
    def is_rig(self) -> bool:
        return len(self.cameras) > 1

    @property
    def camera_name(self) -> str:
        return self.detector.name.rsplit("/", 1)[-1]

    def camera(self, which: str | int) -> Recording:
        """The same recording seen through another camera (by name or position): its frames, columns,
        settings and summary. It shares this recording's open file."""
        names = self.cameras
        name = names[which] if isinstance(which, int) and -len(names) <= which < len(names) else which
        if name not in names:
            raise KeyError(f"no camera {which!r} in {self.path}; there are {', '.join(names)}")
        view = object.__new__(Recording)
        view.__dict__.update(self.__dict__)
        view._owner = False
        with file_errors(self.path, f"reading camera {name}"):
            view.detector = self._file[f"{schema.INSTRUMENT}/{name}"]
        return view

    @property
    def matching(self) -> dict[str, Any] | None:
        """A rig: the matching table (triggers x cameras: frame index or -1), the doubtful triggers and
        the summary; None for one camera (or a rig file finished before the matching was stored)."""
        with file_errors(self.path, "reading the matching table"):
            table = _lookup(self._file, schema.RIG_MATCHING)
            if not isinstance(table, h5py.Dataset):
                return None
            doubtful = _lookup(self._file, f"{schema.RIG}/matching_doubtful")
            result = {"table": table[()], "cameras": self.cameras,
                      "doubtful": doubtful[()].astype(bool) if isinstance(doubtful, h5py.Dataset) else None}
        result["summary"] = self._json_object(schema.RIG_MATCHING_SUMMARY) or {}
        sync = self._text_or_empty(f"{schema.RIG}/sync")
        result["sync"] = sync
        return result

    def events(self) -> dict[str, np.ndarray]:
        """This camera's events table (name, event_id, device_timestamp, frame_id, host_timestamp, data)."""
        with file_errors(self.path, "reading the events"):
            group = self.detector.get("events")
            if not isinstance(group, h5py.Group):
                return {}
            return {name: item[()] for name, item in group.items() if isinstance(item, h5py.Dataset)}

    @property
    def clock_fit(self) -> dict[str, Any] | None:
        """This camera's device clock against the host clock (offset, drift_ppm, samples, ...), if fitted."""
        return self._json_object(f"{self.detector.name}/clock_fit")

    # --- content -------------------------------------------------------------------------------

    @_reads("reading the number of frames")
    def __len__(self) -> int:
        data = self.detector["data"]
        return min(data.shape[0], self.detector["frame_id"].shape[0])

    @property
    @_reads("reading the number of frames")
    def unpaired_frames(self) -> int:
        """Frames in ``data`` beyond the per-frame metadata (written since the last flush of a dead
        writer, or metadata lost): kept in the file, readable as ``detector["data"][len(rec):]``."""
        return max(0, self.detector["data"].shape[0] - self.detector["frame_id"].shape[0])

    @property
    def frames(self) -> LazyFrames:
        return LazyFrames(self.detector["data"], len(self), self.path)

    @property
    @_reads("reading the bit depth")
    def significant_bits(self) -> int:
        """Significant bits per pixel value (12 for Mono12 in uint16): what the frames' full scale is."""
        data = self.detector["data"]
        bits = data.attrs.get("significant_bits")
        if bits is None and isinstance(self.detector.get("bit_depth_readout"), h5py.Dataset):
            bits = self.detector["bit_depth_readout"][()]
        container = data.dtype.itemsize * 8
        return int(bits) if bits is not None and 0 < int(bits) <= container else container

    def plot(self, path: str | os.PathLike[str] | None = None, *, dpi: int = 100) -> Any:
        """One matplotlib figure: first and last frame, histogram, frame intervals with lost and
        incomplete frames marked, and the event timeline when the file has events. Saved to ``path``
        (PNG, or another format by its suffix) when given. Needs ``pip install 'ace-gentl[plot]'``."""
        from ace_gentl.recording import plotting

        with file_errors(self.path, "plotting"):
            figure = plotting.figure(self)
            if path is not None:
                plotting.write(figure, path, dpi=dpi)
        return figure

    def to_xarray(self, *, use_dask: bool | None = None) -> Any:
        """The frames as a lazy ``xarray.Dataset`` with per-frame coordinates (frame_id, device_time,
        host_time, ...) and the start settings as attributes; dask-backed when dask is installed.
        The recording must stay open while it is used. Needs ``pip install 'ace-gentl[xarray]'``."""
        from ace_gentl.recording import arrays

        with file_errors(self.path, "reading the per-frame columns"):
            return arrays.to_xarray(self, use_dask=use_dask)

    def to_dask(self, frames_per_chunk: int | None = None) -> Any:
        """The frames as a lazy dask array, read a chunk of frames at a time (64 MiB by default)."""
        from ace_gentl.recording import arrays

        return arrays.to_dask(self, frames_per_chunk)

    @property
    @_reads("reading the per-frame columns")
    def field_names(self) -> list[str]:
        count = self.detector["frame_id"].shape[0]
        return [name for name, item in self.detector.items()
                if isinstance(item, h5py.Dataset) and name != "data" and item.ndim == 1 and item.maxshape == (None,)
                and item.shape[0] == count]

    @property
    @_reads("reading the per-frame columns")
    def table(self) -> np.ndarray:
        """Per-frame metadata as a structured array (one row per frame; ``table["frame_id"]`` ...)."""
        count = len(self)
        names = self.field_names
        columns = [self.detector[name][:count] for name in names]
        table = np.empty(count, dtype=[(name, column.dtype) for name, column in zip(names, columns)])
        for name, column in zip(names, columns):
            table[name] = column
        return table

    def column(self, name: str) -> np.ndarray:
        if name not in self.detector:
            raise KeyError(f"no per-frame column {name!r}; there are {', '.join(self.field_names)}")
        with file_errors(self.path, f"reading {name}"):
            return self.detector[name][:len(self)]

    @_reads("reading units")
    def units(self, name: str) -> str:
        return _str(self.detector[name].attrs.get("units", ""))

    def _json(self, path: str) -> Any:
        with file_errors(self.path, f"reading {path}"):
            item = _lookup(self._file, path)
            if item is None:
                return None
            text = _str(item[()])
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            raise RecordingFileError(f"{self.path}: {path} is not valid JSON ({error})") from None

    def _json_object(self, path: str) -> dict[str, Any] | None:
        value = self._json(path)
        if value is not None and not isinstance(value, dict):
            raise RecordingFileError(f"{self.path}: {path} must hold a JSON object, not {type(value).__name__}")
        return value

    @property
    def settings(self) -> dict[str, Any]:
        """The camera's settings snapshot at the start (``session.apply(rec.settings)`` repeats them)."""
        value = self._json_object(f"{self.detector.name}/genicam/settings_start")
        if value is None:
            raise RecordingFileError(f"{self.path}: has no settings snapshot ({self.detector.name}/genicam/"
                                     f"settings_start)")
        return value

    @property
    def settings_end(self) -> dict[str, Any] | None:
        return self._json_object(f"{self.detector.name}/genicam/settings_end")

    @property
    def config(self) -> dict[str, Any]:
        """The run configuration (``session.record(path, **recording.record_options)`` repeats the run)."""
        return self._json_object(schema.RUN_CONFIGURATION_DATA) or {}

    @property
    def record_options(self) -> dict[str, Any]:
        try:
            return schema.RunConfiguration.from_dict(self.config).recorder_options()
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RecordingFileError(f"{self.path}: the run configuration cannot be used ({error!r})") from None

    @property
    @_reads("reading the device XML")
    def device_xml(self) -> bytes:
        """The device's description file (XML text or a zip archive) with the bytes the device served.

        Reads the UTF-8 string or the uint8 bytes this version stores, and the opaque value older
        recordings hold (whose trailing zero bytes were stripped: a zip gets its end record back).
        """
        return description.read(self.detector["genicam/device_xml"])

    @property
    @_reads("reading the device XML")
    def device_xml_name(self) -> str:
        """The description file's name (from the device's URL: ``Local:name;...``), e.g. for saving it."""
        dataset = self.detector["genicam/device_xml"]
        name = _str(dataset.attrs.get("file_name", ""))
        return name or description.file_name(_str(dataset.attrs.get("url", "")), self.device_xml)

    def feature_units(self, names: Iterable[str]) -> dict[str, str]:
        """The units the device XML gives features (``<Unit>`` of the node named so): {"ExposureTime": "us"}.

        Features without a ``<Unit>`` are left out, except the SFNC image-format features measured in
        pixels (Width, Height, OffsetX, OffsetY). A description file that cannot be read gives none.
        """
        wanted = set(names)
        units = {name: "px" for name in wanted & set(PIXEL_FEATURES)}
        try:
            root = _parse_description(self.device_xml)
        except (RecordingFileError, ValueError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
            return units
        for node in root.iter():
            name = node.get("Name")
            if name in wanted:
                unit = next((child.text for child in node if child.tag.rsplit("}", 1)[-1] == "Unit"), None)
                if unit and unit.strip():
                    units[name] = unit.strip()
        return units

    @property
    @_reads("reading the producer record")
    def producer(self) -> dict[str, str]:
        group = self.detector["genicam/producer"]
        return {name: _str(group[name][()]) for name in group}

    @property
    @_reads("reading the software versions")
    def versions(self) -> dict[str, str]:
        group = self._file[schema.SOFTWARE]
        return {name: _str(group[name][()]) for name in group}

    @property
    @_reads("reading the status")
    def status(self) -> str:
        return _str(self._file[schema.STATUS][()])

    @property
    @_reads("reading the error text")
    def error(self) -> str:
        item = _lookup(self._file, schema.ERROR)
        return "" if item is None else _str(item[()])

    @property
    def writer(self) -> WriterState:
        """Whether the process that writes this file still runs ("closed" once the file was closed)."""
        try:
            open_for_write = read_superblock(self.path).open_for_write
        except (AceGentlError, OSError):
            open_for_write = self._open_for_write
        stored = None
        try:
            recording = self._file.get(schema.RECORDING)
            stored = WriterInfo.from_attrs(recording.attrs, self._file.get(schema.HOST)) if recording else None
        except H5PY_ERRORS:
            pass  # a damaged group: judged from the lock files alone
        return writer_state(self.path, open_for_write, stored)

    @_reads("reading the summary")
    def summary(self) -> Summary:
        count = len(self)
        ids = self.column("frame_id")
        stamps = self.column("device_timestamp")
        recording = self._file[schema.RECORDING]
        gaps = int(np.sum(np.diff(ids.astype(np.int64)) - 1)) if count > 1 else 0
        clock = layout.rate_clock(int(stamps[0]), int(stamps[-1])) if count > 1 else "device"
        if clock == "host":
            stamps = self.column("host_timestamp")
        duration = float(int(stamps[-1]) - int(stamps[0])) * 1e-9 if count > 1 else 0.0
        fps = layout.frame_rate(count, int(stamps[0]), int(stamps[-1])) if count else 0.0
        lost_before = self.column("lost_before") if count else np.zeros(0)
        lost = int(np.sum(lost_before))
        # The camera's own count (schema 2) also has what the producer lost before its first frame and
        # after its last: what the run file says was lost, not only the gaps.
        counted = _lookup(self.detector, f"{schema.COUNTERS_GROUP}/frames_lost")
        if isinstance(counted, h5py.Dataset) and self.writer.state == "closed":
            lost = max(lost, int(counted[()]))
        data = self.detector["data"]
        writer = self.writer
        return Summary(
            path=self.path, camera=_str(self.detector["description"][()]),
            serial=_str(self.detector["serial_number"][()]), pixel_format=_str(self.detector["pixel_format"][()]),
            frame_shape=tuple(data.shape[1:]), frames=count, frames_lost=lost,
            frames_incomplete=int(np.sum(self.column("incomplete"))) if count else 0, id_gaps=gaps,
            duration_s=duration, fps=fps, clock=clock, status=self.status,
            error=self.error, compression=_str(recording["compression"][()]),
            file_bytes=self.path.stat().st_size, raw_bytes=count * int(np.prod(data.shape[1:])) * data.dtype.itemsize,
            start_time=_str(self._file[schema.START_TIME][()]), end_time=_str(self._file[schema.END_TIME][()]),
            frames_unpaired=self.unpaired_frames, writer=writer.state, writer_detail=str(writer),
            title=self._text_or_empty(schema.TITLE), operator=self._text_or_empty(schema.USER_NAME),
            sample=self._text_or_empty(schema.SAMPLE_NAME))

    def _text_or_empty(self, path: str) -> str:
        item = _lookup(self._file, path)
        return _str(item[()]) if isinstance(item, h5py.Dataset) else ""

    # --- integrity -----------------------------------------------------------------------------

    def verify(self, progress: Callable[[int, int], None] | None = None) -> Verification:
        """Check every frame: its stored chunk against its checksum, or (no checksums) that it decodes;
        and that every object's metadata can be read.

        Reads one chunk at a time (memory: one frame). ``progress(done, total)`` is called now and then.
        """
        count = len(self)
        data = self.detector["data"]
        ids = self.column("frame_id")
        with file_errors(self.path, f"reading {CHECKSUM_FIELD}"):
            stored = self.detector.get(CHECKSUM_FIELD)
            sums = None
            if isinstance(stored, h5py.Dataset):
                algorithm = _str(stored.attrs.get("algorithm", ""))
                if algorithm != CHECKSUM_ALGORITHM:
                    raise RecordingFileError(f"{self.path}: {CHECKSUM_FIELD} uses {algorithm or 'no named'} "
                                             f"algorithm; this ace_gentl checks {CHECKSUM_ALGORITHM}")
                sums = stored[:min(count, stored.shape[0])]
        bad: list[int] = []
        unreadable: list[int] = []
        if sums is not None:
            if data.chunks is None or tuple(data.chunks) != (1, *data.shape[1:]):
                raise RecordingFileError(f"{self.path}: checksums cover one frame per chunk; data is chunked "
                                         f"{data.chunks}")
            checks: Iterator[tuple[int, bool | None]] = _checked_chunks(data, sums, count)
        else:
            checks = _decoded_frames(data, count)
        for index, ok in checks:
            if ok is None:
                unreadable.append(index)
            elif not ok:
                bad.append(index)
            if progress is not None and (index % 64 == 0 or index == count - 1):
                progress(index + 1, count)
        named = {int(i): int(ids[i]) for i in [*bad, *unreadable]}
        return Verification(path=self.path, frames=count, checksums=sums is not None, bad=bad, unreadable=unreadable,
                            frame_ids=named, damaged_objects=damaged_objects(self._file))

    def __repr__(self) -> str:
        cameras = self.cameras
        if len(cameras) > 1:
            return f"<Recording {self.path} camera {self.camera_name} of {len(cameras)}, {len(self)} frames, {self.status}>"
        return f"<Recording {self.path} {len(self)} frames, {self.status}>"


#: SFNC features whose unit is the pixel (their nodes carry no ``<Unit>``).
PIXEL_FEATURES = ("Width", "Height", "OffsetX", "OffsetY", "WidthMax", "HeightMax", "SensorWidth", "SensorHeight")


def _parse_description(data: bytes) -> ElementTree.Element:
    """The root of a GenICam description file: XML text, or the first .xml in a zip archive."""
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [name for name in archive.namelist() if name.lower().endswith(".xml")]
            if not members:
                raise ValueError("the zip archive holds no .xml file")
            data = archive.read(members[0])
    return ElementTree.fromstring(data)


def _checked_chunks(data: h5py.Dataset, sums: np.ndarray, count: int) -> Iterator[tuple[int, bool | None]]:
    """(index, matches?) per frame; None when the chunk is missing, cannot be read or has no checksum."""
    import xxhash

    zeros = (0,) * (data.ndim - 1)
    for index in range(count):
        if index >= sums.shape[0]:
            yield index, None
            continue
        try:
            _mask, chunk = data.id.read_direct_chunk((index, *zeros))
        except (OSError, RuntimeError, ValueError, KeyError):
            yield index, None
            continue
        yield index, xxhash.xxh3_64_intdigest(chunk) == int(sums[index])


def _decoded_frames(data: h5py.Dataset, count: int) -> Iterator[tuple[int, bool | None]]:
    """(index, decodes?) per frame, for files without checksums."""
    buffer = np.empty(data.shape[1:], data.dtype)
    for index in range(count):
        try:
            data.read_direct(buffer, np.s_[index], np.s_[...])
        except (OSError, RuntimeError):
            yield index, False
            continue
        yield index, True


def open_recording(path: str | os.PathLike[str]) -> Recording:
    """Open a recording for reading (works while it is being written, and after a crash)."""
    return Recording(path)


def summary(path: str | os.PathLike[str]) -> Summary:
    """The summary of a recording file (for ``ace-gentl inspect``)."""
    with Recording(path) as recording:
        return recording.summary()


__all__ = ["CHECKSUM_ALGORITHM", "CHECKSUM_FIELD", "LazyFrames", "Recording", "Summary", "Verification",
           "open_recording", "summary", "too_young", "young_file_error"]
