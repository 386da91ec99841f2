"""One view of a multi-camera run: a NeXus master file joining the per-camera files.

Each camera (each host, with Tango) writes its own ace_gentl file. The master file holds no
frames: ``/entry/instrument/<key>`` is an HDF5 external link to each file's NXdetector, and
``/entry/data`` holds virtual datasets that stack the cameras: ``data`` is (cameras, frames, H, W)
where every camera's frames have the same shape and type, and each per-frame dataset
(``frame_id``, ``device_timestamp``, ...) is (cameras, frames). ``frames`` is the count every
camera has (the shortest file); ``frames_per_camera`` says how many each file holds, so a file
that is longer (or shorter, after a failure) is visible, never hidden.

Links and virtual sources are stored as paths relative to the master file, so the folder of a
run can be moved or mounted elsewhere (a shared mount seen at different paths by the camera
hosts and by Tiled) and still resolves: h5py and HDF5 look for relative sources next to the
file that names them. Any HDF5 reader follows them, Tiled's HDF5 adapter included.

Only h5py is needed here (no ophyd-async): :class:`MasterFileWriter` is a plain RunEngine
callback that learns the files from the StreamResource documents.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import h5py
import numpy as np

from ace_gentl.errors import RecordingFileError
from ace_gentl.recording import layout
from ace_gentl.recording.writer import find_detector, now_iso

MASTER_SCHEMA = "ace_gentl-master"


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start.resolve())


@dataclass(frozen=True)
class CameraFile:
    """One camera's part of a run: its file, its NXdetector group and what the master file stacks."""

    key: str  # name under /entry/instrument (a NeXus name)
    path: Path
    group: str  # HDF5 path of the NXdetector in the file
    frames: int
    frame_shape: tuple[int, ...]
    dtype: str
    fields: dict[str, tuple[int, str]] = field(default_factory=dict)  # per-frame dataset -> (length, dtype)


def camera_file(key: str, path: str | os.PathLike[str]) -> CameraFile:
    """A finished per-camera file, read for its shapes."""
    source = Path(path)
    try:
        with h5py.File(source, "r") as handle:
            detector = find_detector(handle)
            data = detector["data"]
            fields = {name: (dataset.shape[0], dataset.dtype.str) for name, dataset in detector.items()
                      if isinstance(dataset, h5py.Dataset) and dataset.ndim == 1}
            return CameraFile(key, source, detector.name, data.shape[0], tuple(data.shape[1:]), data.dtype.str, fields)
    except (OSError, KeyError, RecordingFileError) as error:
        raise RecordingFileError(f"{source}: cannot read it as an ace_gentl recording ({error}); a file left "
                                 f"open by a killed writer needs 'ace-gentl repair' first") from error


def write_master_file(path: str | os.PathLike[str], files: Mapping[str, str | os.PathLike[str]], *,
                      title: str = "", overwrite: bool = False) -> Path:
    """Write ``path`` joining finished files ({key: per-camera file}, e.g. {"cam1": ".../a.h5"}); returns it."""
    if not files:
        raise RecordingFileError("a master file needs at least one per-camera file")
    _check_keys(list(files))
    return write_master(path, [camera_file(key, name) for key, name in files.items()], title=title,
                        overwrite=overwrite)


def _check_keys(keys: list[str]) -> None:
    bad = [key for key in keys if layout.nexus_name(key) != key]
    if bad:
        raise RecordingFileError(f"camera keys must be NeXus names ([A-Za-z0-9_], not starting with a digit): {bad}")


def write_master(path: str | os.PathLike[str], cameras: list[CameraFile], *, title: str = "",
                 overwrite: bool = False) -> Path:
    """Write the master file for ``cameras`` (the files need not exist yet: links resolve when read)."""
    master = Path(path)
    if not cameras:
        raise RecordingFileError("a master file needs at least one per-camera file")
    _check_keys([camera.key for camera in cameras])
    if master.exists() and not overwrite:
        raise FileExistsError(f"{master} exists; pass overwrite=True to replace it")
    folder = master.parent
    keys = [camera.key for camera in cameras]
    with h5py.File(master, "w", libver="latest") as handle:
        handle.attrs.update({"NX_class": "NXroot", "default": "entry", "file_time": now_iso(),
                             "creator": "ace_gentl.bluesky.write_master"})
        entry = handle.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        entry.create_dataset("title", data=title or f"{len(keys)} cameras: {', '.join(keys)}")
        entry.create_dataset("ace_gentl_schema", data=MASTER_SCHEMA)
        instrument = entry.create_group("instrument")
        instrument.attrs["NX_class"] = "NXinstrument"
        for camera in cameras:
            instrument[camera.key] = h5py.ExternalLink(_relative(camera.path, folder), camera.group)
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "camera_names": keys})
        data.create_dataset("camera", data=np.asarray(keys, dtype=h5py.string_dtype()))
        data.create_dataset("frames_per_camera", data=np.asarray([c.frames for c in cameras], dtype=np.int64))
        frames = min(camera.frames for camera in cameras)
        data.create_dataset("frames", data=np.int64(frames))
        shapes = {(camera.frame_shape, camera.dtype) for camera in cameras}
        if len(shapes) == 1:
            frame_shape, dtype = shapes.pop()
            _stack(data, "data", [(c, c.frames) for c in cameras], frames, frame_shape, dtype, folder)
            data.attrs.update({"signal": "data", "axes": ["camera", "frame_id", ".", "."][:2 + len(frame_shape)]})
        else:
            data.attrs["note"] = (f"no stacked 'data': frame shapes or types differ "
                                  f"({sorted(str(shape) for shape in shapes)}); see /entry/instrument/<camera>/data")
        common = set.intersection(*(set(camera.fields) for camera in cameras))
        for name in sorted(common):
            dtypes = {camera.fields[name][1] for camera in cameras}
            if len(dtypes) == 1:
                _stack(data, name, [(c, c.fields[name][0]) for c in cameras], frames, (), dtypes.pop(), folder)
    return master


def _stack(group: h5py.Group, name: str, sources: list[tuple[CameraFile, int]], frames: int,
           frame_shape: tuple[int, ...], dtype: str, folder: Path) -> None:
    vlayout = h5py.VirtualLayout(shape=(len(sources), frames, *frame_shape), dtype=np.dtype(dtype))
    for index, (camera, length) in enumerate(sources):
        source = h5py.VirtualSource(_relative(camera.path, folder), f"{camera.group}/{name}",
                                    shape=(length, *frame_shape), dtype=np.dtype(dtype))
        rows = min(frames, length)
        if rows:
            vlayout[index, :rows] = source[:rows]
    group.create_virtual_dataset(name, vlayout, fillvalue=0)


def file_uri_to_path(uri: str) -> Path:
    """``file://localhost/data/x.h5`` (or ``file:///data/x.h5``) -> /data/x.h5."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise RecordingFileError(f"{uri}: only file:// URIs name local files; give MasterFileWriter a uri_to_path")
    return Path(unquote(parsed.path))


class MasterFileWriter:
    """A RunEngine callback: at the end of each run, a master file joining its per-camera HDF5 files.

    Built from the documents alone (StreamResource: file and dataset paths; descriptor: shapes
    and types; StreamDatum: how many frames), so it is written at the run's stop document even
    though the detectors finish their files only at unstage, right after. ``uri_to_path`` maps a
    StreamResource URI (``directory_uri`` + file name, as Tiled reads it) to the path the links
    should name; by default ``file://`` URIs are used as they are. The master file is
    ``<directory>/<run start uid>.h5`` unless ``name`` says otherwise.
    """

    def __init__(self, directory: str | os.PathLike[str], *,
                 uri_to_path: Callable[[str], Path] = file_uri_to_path,
                 name: Callable[[dict[str, Any]], str] = lambda start: f"{start['uid']}.h5") -> None:
        self.directory = Path(directory)
        self.uri_to_path = uri_to_path
        self.name = name
        self.written: list[Path] = []
        self._start: dict[str, Any] | None = None
        self._resources: dict[str, dict[str, Any]] = {}  # stream resource uid -> document
        self._rows: dict[str, int] = {}  # stream resource uid -> rows announced
        self._keys: dict[str, dict[str, Any]] = {}  # data key -> descriptor data key

    def __call__(self, name: str, doc: dict[str, Any]) -> None:
        if name == "start":
            self._start, self._resources, self._rows, self._keys = doc, {}, {}, {}
        elif name == "descriptor":
            self._keys.update(doc["data_keys"])
        elif name == "stream_resource" and doc.get("mimetype") == "application/x-hdf5":
            self._resources[doc["uid"]] = doc
        elif name == "stream_datum" and doc["stream_resource"] in self._resources:
            self._rows[doc["stream_resource"]] = max(self._rows.get(doc["stream_resource"], 0),
                                                     doc["indices"]["stop"])
        elif name == "stop" and self._start is not None:
            cameras = self._cameras()
            if cameras:
                title = f"{self._start.get('plan_name', 'run')} {self._start['uid']} ({doc.get('exit_status')})"
                self.written.append(write_master(self.directory / self.name(self._start), cameras, title=title))
            self._start = None

    def _cameras(self) -> list[CameraFile]:
        by_key = {doc["data_key"]: doc for doc in self._resources.values()}
        cameras = []
        for key, resource in by_key.items():
            if "-" in key or key not in self._keys:  # per-frame datasets are found through their detector
                continue
            dataset = resource["parameters"]["dataset"]
            group = dataset.rsplit("/", 1)[0]
            shape = tuple(self._keys[key]["shape"][1:])
            fields = {}
            for other, extra in by_key.items():
                if other.startswith(f"{key}-") and extra["uri"] == resource["uri"] and other in self._keys:
                    fields[extra["parameters"]["dataset"].rsplit("/", 1)[1]] = (
                        self._rows.get(extra["uid"], 0), self._keys[other]["dtype_numpy"])
            cameras.append(CameraFile(layout.nexus_name(key), self.uri_to_path(resource["uri"]), group,
                                      self._rows.get(resource["uid"], 0), shape, self._keys[key]["dtype_numpy"],
                                      fields))
        return cameras


__all__ = ["CameraFile", "MASTER_SCHEMA", "MasterFileWriter", "camera_file", "file_uri_to_path", "write_master",
           "write_master_file"]
