"""Reading a recording back: ``ace_gentl.open_recording(path)``.

Opens read-only in SWMR mode, which works on a finished file, on one being written (call
:meth:`Recording.refresh` to see new frames) and on one whose writer died (no repair needed to
read). The number of frames is the length of the per-frame datasets: frames whose metadata
reached the disk.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from ace_gentl.errors import RecordingFileError
from ace_gentl.recording import metadata
from ace_gentl.recording.writer import find_detector


class LazyFrames:
    """The frames as a lazy array: indexing reads only what is asked (``frames[10]``, ``frames[::5]``)."""

    def __init__(self, dataset: h5py.Dataset, count: int) -> None:
        self._dataset = dataset
        self._count = count

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

    def __getitem__(self, key: Any) -> np.ndarray:
        if key is Ellipsis or (isinstance(key, tuple) and Ellipsis in key):
            return self._dataset[:self._count][key]  # reads every frame: numpy resolves the Ellipsis
        first = key[0] if isinstance(key, tuple) else key
        rest = key[1:] if isinstance(key, tuple) else ()
        if isinstance(first, (int, np.integer)):
            index = int(first) + self._count if first < 0 else int(first)
            if not 0 <= index < self._count:
                raise IndexError(f"frame {first} out of range for {self._count} frames")
            return self._dataset[(index, *rest)]
        if isinstance(first, slice):
            return self._dataset[(slice(*first.indices(self._count)), *rest)]
        indices = np.asarray(first)
        if indices.dtype == bool:
            indices = np.flatnonzero(indices)
        indices = np.where(indices < 0, indices + self._count, indices)
        if indices.size and (indices.min() < 0 or indices.max() >= self._count):
            raise IndexError(f"frame index out of range for {self._count} frames")
        return np.stack([self._dataset[(int(i), *rest)] for i in indices]) if indices.size else \
            np.empty((0, *self.shape[1:]), self.dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self[:]
        return data if dtype is None else data.astype(dtype)

    def __iter__(self) -> Any:
        for index in range(self._count):
            yield self._dataset[index]

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
    id_gaps: int  # frames missing from the frame_id sequence (should equal frames_lost)
    duration_s: float  # first to last device timestamp
    fps: float
    status: str
    error: str
    compression: str
    file_bytes: int
    raw_bytes: int
    start_time: str
    end_time: str

    @property
    def ratio(self) -> float:
        return self.raw_bytes / self.file_bytes if self.file_bytes else 0.0

    def __str__(self) -> str:
        lines = [
            f"{self.path}",
            f"  camera      {self.camera} serial {self.serial}",
            f"  frames      {self.frames} x {self.frame_shape} {self.pixel_format}, lost {self.frames_lost}, "
            f"incomplete {self.frames_incomplete}, gaps in frame IDs {self.id_gaps}",
            f"  time        {self.start_time} .. {self.end_time or '(not finished)'}, {self.duration_s:.3f} s, "
            f"{self.fps:.2f} fps",
            f"  storage     {self.compression}, {self.file_bytes / 1e6:.1f} MB on disk, ratio {self.ratio:.2f}",
            f"  status      {self.status}" + (f": {self.error}" if self.error else ""),
        ]
        return "\n".join(lines)


def _str(value: Any) -> str:
    if isinstance(value, np.ndarray):
        value = value[()]
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class Recording:
    """An opened recording. Close it (or use ``with``)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RecordingFileError(f"{self.path}: no such file")
        try:
            self._file = h5py.File(self.path, "r", libver="latest", swmr=True)
        except OSError as error:
            raise RecordingFileError(f"{self.path}: cannot open as HDF5: {error}") from error
        try:
            schema = self._file.get("entry/ace_gentl_schema")
            if schema is None:
                raise RecordingFileError(f"{self.path}: not an ace_gentl recording (no /entry/ace_gentl_schema)")
            version = int(schema.attrs.get("version", 0))
            if version > metadata.SCHEMA_VERSION:
                raise RecordingFileError(f"{self.path}: recording schema version {version}; this ace_gentl reads "
                                         f"up to {metadata.SCHEMA_VERSION}")
            self.detector = find_detector(self._file)
        except BaseException:
            self._file.close()
            raise

    # --- life cycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def refresh(self) -> None:
        """See frames a running writer flushed since the last look."""
        for dataset in self.detector.values():
            if isinstance(dataset, h5py.Dataset):
                dataset.id.refresh()
        for dataset in self._file["entry/recording"].values():
            dataset.id.refresh()

    @property
    def file(self) -> h5py.File:
        return self._file

    # --- content -------------------------------------------------------------------------------

    def __len__(self) -> int:
        data = self.detector["data"]
        return min(data.shape[0], self.detector["frame_id"].shape[0])

    @property
    def frames(self) -> LazyFrames:
        return LazyFrames(self.detector["data"], len(self))

    @property
    def field_names(self) -> list[str]:
        count = self.detector["frame_id"].shape[0]
        return [name for name, item in self.detector.items()
                if isinstance(item, h5py.Dataset) and name != "data" and item.ndim == 1 and item.maxshape == (None,)
                and item.shape[0] == count]

    @property
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
        return self.detector[name][:len(self)]

    def units(self, name: str) -> str:
        return _str(self.detector[name].attrs.get("units", ""))

    def _json(self, path: str) -> Any:
        item = self._file.get(path)
        return None if item is None else json.loads(_str(item[()]))

    @property
    def settings(self) -> dict[str, Any]:
        """The camera's settings snapshot at the start (``session.apply(rec.settings)`` repeats them)."""
        return self._json(f"{self.detector.name}/genicam/settings_start")

    @property
    def settings_end(self) -> dict[str, Any] | None:
        return self._json(f"{self.detector.name}/genicam/settings_end")

    @property
    def config(self) -> dict[str, Any]:
        """The run configuration (``session.record(path, **recording.record_options)`` repeats the run)."""
        return self._json("entry/run_configuration/data")

    @property
    def record_options(self) -> dict[str, Any]:
        from ace_gentl.recording.recorder import options_of

        return options_of(self.config)

    @property
    def device_xml(self) -> bytes:
        return bytes(self.detector["genicam/device_xml"][()].tobytes()).rstrip(b"\0")

    @property
    def producer(self) -> dict[str, str]:
        group = self.detector["genicam/producer"]
        return {name: _str(group[name][()]) for name in group}

    @property
    def versions(self) -> dict[str, str]:
        group = self._file["entry/software"]
        return {name: _str(group[name][()]) for name in group}

    @property
    def status(self) -> str:
        return _str(self._file["entry/recording/status"][()])

    @property
    def error(self) -> str:
        item = self._file.get("entry/recording/error")
        return "" if item is None else _str(item[()])

    def summary(self) -> Summary:
        count = len(self)
        ids = self.column("frame_id")
        stamps = self.column("device_timestamp")
        recording = self._file["entry/recording"]
        gaps = int(np.sum(np.diff(ids.astype(np.int64)) - 1)) if count > 1 else 0
        duration = float(stamps[-1] - stamps[0]) * 1e-9 if count > 1 else 0.0
        lost = int(np.sum(self.column("lost_before"))) if count else 0
        data = self.detector["data"]
        return Summary(
            path=self.path, camera=_str(self.detector["description"][()]),
            serial=_str(self.detector["serial_number"][()]), pixel_format=_str(self.detector["pixel_format"][()]),
            frame_shape=tuple(data.shape[1:]), frames=count, frames_lost=lost,
            frames_incomplete=int(np.sum(self.column("incomplete"))) if count else 0, id_gaps=gaps,
            duration_s=duration, fps=(count - 1) / duration if duration > 0 else 0.0, status=self.status,
            error=self.error, compression=_str(recording["compression"][()]),
            file_bytes=self.path.stat().st_size, raw_bytes=count * int(np.prod(data.shape[1:])) * data.dtype.itemsize,
            start_time=_str(self._file["entry/start_time"][()]), end_time=_str(self._file["entry/end_time"][()]))

    def __repr__(self) -> str:
        return f"<Recording {self.path} {len(self)} frames, {self.status}>"


def open_recording(path: str | os.PathLike[str]) -> Recording:
    """Open a recording for reading (works while it is being written, and after a crash)."""
    return Recording(path)


def summary(path: str | os.PathLike[str]) -> Summary:
    """The summary of a recording file (for ``ace-gentl inspect``)."""
    with Recording(path) as recording:
        return recording.summary()


__all__ = ["LazyFrames", "Recording", "Summary", "open_recording", "summary"]
