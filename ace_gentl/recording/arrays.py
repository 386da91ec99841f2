"""A recording as labelled, lazy arrays: ``Recording.to_xarray()`` and ``Recording.to_dask()``.

Nothing is read when the array is made: frames come from the file when a computation asks for
them, a chunk of frames at a time (a chunk is at most :data:`CHUNK_BYTES` of decoded pixels, at
least one frame), so a run far larger than memory can be reduced (``ds.frames.mean("frame")``).
With dask installed (``pip install 'ace-gentl[xarray]'``) ``to_xarray()`` gives dask-backed
frames; without it, xarray's own lazy indexing (reads happen on indexing or ``.values``).
The recording must stay open while the arrays are used, and they are computed in this process
(dask's default threaded scheduler: an open HDF5 file cannot be sent to other processes).
"""

from __future__ import annotations

import hashlib
import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np

from ace_gentl.errors import OptionalDependencyError, RecordingFileError

if TYPE_CHECKING:
    from ace_gentl.recording.reader import LazyFrames, Recording

#: Decoded bytes per dask chunk of frames (64 MiB: 5 full Mono12 frames, 4096 frames of 64 x 256 Mono8).
CHUNK_BYTES = 64 << 20
#: Per-frame columns that become coordinates under their own names; the rest keep the file's names.
COORDINATE_NAMES = {"device_timestamp": "device_time", "host_timestamp": "host_time"}


def frames_per_chunk(frame_shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    """How many frames one chunk holds: CHUNK_BYTES of decoded pixels, at least one frame."""
    frame_bytes = int(np.prod(frame_shape)) * np.dtype(dtype).itemsize
    return max(1, CHUNK_BYTES // max(1, frame_bytes))


def _token(recording: Recording) -> str:
    """A name for the dask graph: the same file in the same state gives the same name (dask caches by it)."""
    stat = recording.path.stat()
    key = f"{recording.path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{len(recording)}"
    return "ace-gentl-frames-" + hashlib.sha1(key.encode()).hexdigest()[:16]


def to_dask(recording: Recording, frames_per_chunk_: int | None = None) -> Any:
    """The frames as a dask array of shape (frames, height, width[, channels]), read chunk by chunk."""
    try:
        import dask.array as da
    except ImportError as error:
        raise OptionalDependencyError("dask arrays need dask: pip install 'ace-gentl[xarray]'") from error
    frames = recording.frames
    per_chunk = frames_per_chunk_ or frames_per_chunk(frames.shape[1:], frames.dtype)
    chunks = (min(per_chunk, max(1, len(frames))), *frames.shape[1:])
    return da.from_array(frames, chunks=chunks, name=_token(recording), asarray=True,
                         meta=np.empty((0,) * frames.ndim, frames.dtype))


def _attribute(value: Any) -> Any:
    """A settings value as an attribute xarray (and netCDF writers) keep: bytes as hex, None as ""."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return [_attribute(item) for item in value]
    return value


def _lazy_backend(frames: LazyFrames) -> Any:
    """xarray's lazy indexing over the file, for when dask is not installed."""
    from xarray.backends import BackendArray
    from xarray.core import indexing

    class FramesBackend(BackendArray):  # type: ignore[misc]  # xarray's base class is untyped
        def __init__(self) -> None:
            self.shape = frames.shape
            self.dtype = frames.dtype

        def __getitem__(self, key: Any) -> np.ndarray:
            return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.BASIC,
                                                      self._raw)

        def _raw(self, key: tuple[Any, ...]) -> np.ndarray:
            return np.asarray(frames[key])

    return indexing.LazilyIndexedArray(FramesBackend())


def to_xarray(recording: Recording, *, use_dask: bool | None = None) -> Any:
    """An ``xarray.Dataset``: ``frames`` (frame, y, x[, channel]), per-frame coordinates, settings as attributes.

    Coordinates along ``frame``: ``frame_id``, ``device_time`` (the device clock, ns),
    ``host_time`` (datetime64, UTC), and every other per-frame column (``incomplete``,
    ``lost_before``, ``count_time``, ``chunk_*``, ...). Attributes: the camera, the file and every
    feature value of the start settings snapshot. ``use_dask`` None: dask when it is installed.
    """
    try:
        import xarray as xr
    except ImportError as error:
        raise OptionalDependencyError("to_xarray needs xarray: pip install 'ace-gentl[xarray]'") from error
    if use_dask is None:
        use_dask = importlib.util.find_spec("dask") is not None
    frames = recording.frames
    dims = ("frame", "y", "x", "channel")[:frames.ndim]
    data = to_dask(recording) if use_dask else _lazy_backend(frames)
    summary = recording.summary()
    frame_attrs = {"units": "counts", "pixel_format": summary.pixel_format,
                   "significant_bits": recording.significant_bits}
    coords: dict[str, Any] = {}
    for name in recording.field_names:
        column = recording.column(name)
        units = {"units": recording.units(name)} if recording.units(name) else {}
        if name == "host_timestamp":
            coords["host_time"] = ("frame", column.astype("datetime64[ns]"), {"timezone": "UTC"})
            continue
        coords[COORDINATE_NAMES.get(name, name)] = ("frame", column, units)
    try:
        settings = recording.settings.get("features", {})
    except RecordingFileError:  # a damaged or missing snapshot: no settings attributes, the frames stay usable
        settings = {}
    settings = settings if isinstance(settings, dict) else {}
    attrs: dict[str, Any] = {"source": str(recording.path), "camera": summary.camera, "serial": summary.serial,
                             "title": summary.title, "start_time": summary.start_time, "end_time": summary.end_time,
                             "status": summary.status, "fps": summary.fps}
    attrs.update({name: _attribute(value) for name, value in settings.items() if name not in attrs})
    variable = xr.Variable(dims, data, frame_attrs)
    return xr.Dataset({"frames": variable}, coords=coords, attrs=attrs)


__all__ = ["CHUNK_BYTES", "COORDINATE_NAMES", "frames_per_chunk", "to_dask", "to_xarray"]
