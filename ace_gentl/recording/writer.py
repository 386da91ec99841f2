"""The HDF5 side of a recording: one file, frames appended as chunks, SWMR, periodic flushes.

Follows ophyd-async's HDF writer: ``libver="latest"``, ``chunks=(1, H, W)``, ``maxshape=(None, H, W)``,
then SWMR on. Frames whose chunk bytes were made beforehand (see :mod:`compression`) go in with
``write_direct_chunk``; the rest through ``dset[i] = frame``. Per-frame values are buffered and
written at each flush, so after a crash the per-frame datasets give the number of frames that are
complete on disk (``data`` may be longer by the frames written since the last flush).

Every 8 MiB of frames (and at close) the kernel is asked to write the file out and to drop what
is already on disk from the page cache, so a long recording does not fill the machine's memory
with its own file, and new writes reuse pages just freed (on a VM that returns free memory to its
host, 5x faster: see ``_drop_written_pages``). This is advice only: if the kernel refuses it, the
recording goes on without it.

Only one thread may use a writer (h5py serialises calls anyway).
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xxhash

from ace_gentl.errors import OutputExistsError, RecordingError
from ace_gentl.recording import chunkio, layout, metadata, schema
from ace_gentl.recording.compression import Compression
from ace_gentl.recording.writerlock import WriterLock


log = logging.getLogger(__name__)


def chunk_checksum(payload: bytes | np.ndarray) -> int:
    """xxh3_64 of a chunk's stored bytes (``layout.CHECKSUM``, attribute ``algorithm``)."""
    return int(xxhash.xxh3_64_intdigest(payload if isinstance(payload, bytes) else payload.data))

#: Room kept below a file-size limit for what closing and finishing the file write (metadata, end snapshot).
SIZE_LIMIT_MARGIN = 16 << 20
#: Pages are dropped after this many bytes of frames: every full frame, but small frames at high
#: rates in batches (each drop also starts writing out HDF5's metadata pages, rewritten often).
DROP_EVERY_BYTES = 8 << 20


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="microseconds")


def is_disk_full(error: BaseException) -> bool:
    """True for ENOSPC/EDQUOT/EFBIG (no room, also when HDF5 only reports it in its message)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return True
        text = str(seen).lower()
        if "no space left" in text or "disk quota" in text or "file too large" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class FileSizeLimitError(RecordingError):
    """The file reached the largest size this process may write (``ulimit -f``, FAT32's 4 GiB)."""


class _Stream:
    """One camera's part of the file: its data, pending per-frame values and counts."""

    def __init__(self, spec: layout.DetectorSpec, compression: Compression) -> None:
        geometry = spec.geometry
        if len(spec.chunks) != 1 + len(geometry.shape) or any(c < 1 for c in spec.chunks):
            raise ValueError(f"chunks must be {1 + len(geometry.shape)} positive sizes, not {spec.chunks!r}")
        self.spec = spec
        self.direct = compression.direct and spec.chunks == (1, *geometry.shape)
        # Uncompressed full frames: written at their chunk's address by chunkio (set by FrameWriter.open)
        self.unbuffered = chunkio.suits(spec.chunks, geometry.shape, geometry.dtype, compression.name)
        self.chunk_file: chunkio.ChunkFile | None = None
        self.written = 0  # frames in ``data``
        self.flushed = 0  # frames whose per-frame values are on disk
        self.pending: dict[str, list[Any]] = {f.name: [] for f in spec.fields}
        self.rows: dict[str, list[Mapping[str, Any]]] = {table: [] for table in spec.tables}


class FrameWriter:
    """Creates the file and its layout, then appends frames. Use :meth:`open`, then :meth:`write`.

    One camera (``geometry``, ``fields``, ``static``, ``chunks``) or several (``detectors``, one
    :class:`~ace_gentl.recording.layout.DetectorSpec` each; ``rig`` for /entry/rig). Frames,
    table rows and flushes come from one thread.
    """

    def __init__(self, path: str | Path, *, compression: Compression, config: dict[str, Any],
                 geometry: layout.Geometry | None = None, chunks: tuple[int, ...] | None = None,
                 fields: list[layout.Field] | None = None, static: metadata.StaticMetadata | None = None,
                 detectors: list[layout.DetectorSpec] | None = None, rig: dict[str, Any] | None = None,
                 title: str = "", overwrite: bool = False, flush_interval_s: float = 0.5,
                 drop_page_cache: bool = True, size_limit: int | None = None) -> None:
        self.path = Path(path)
        if detectors is None:
            if geometry is None or static is None:
                raise ValueError("give detectors, or geometry and static for one camera")
            detectors = [layout.DetectorSpec(name=layout.nexus_name(static.model), geometry=geometry,
                                             fields=list(fields or layout.BASE_FIELDS), static=static,
                                             chunks=tuple(chunks) if chunks is not None else (1, *geometry.shape))]
        self.compression = compression
        self.streams = [_Stream(spec, compression) for spec in detectors]
        self.rig = rig
        self.config = config
        self.title = title
        self.overwrite = overwrite
        self.flush_interval_s = flush_interval_s
        self.size_limit = size_limit  # the largest file allowed here (ulimit -f, the file system's limit)
        self.drop_page_cache = drop_page_cache and hasattr(os, "posix_fadvise")
        self._cache_fd: int | None = None  # the file opened once more, only to advise the kernel about it
        self._since_drop = 0  # bytes written since the last _drop_written_pages
        self.last_flush = 0.0
        self.start_time = ""
        self._file: h5py.File | None = None
        self._layout: layout.Layout | None = None
        self._lock = WriterLock(self.path)  # NAME.lock: tells a live writer from a dead one (writerlock)

    # --- one camera's view (the first) ---------------------------------------------------------

    @property
    def geometry(self) -> layout.Geometry:
        return self.streams[0].spec.geometry

    @property
    def written(self) -> int:
        """Frames in ``data``, all cameras."""
        return sum(stream.written for stream in self.streams)

    @property
    def flushed(self) -> int:
        """Frames whose per-frame values are on disk, all cameras."""
        return sum(stream.flushed for stream in self.streams)

    @property
    def needs_encoded(self) -> bool:
        """True if :meth:`write` expects the chunk bytes from ``compression.encode`` (first camera)."""
        return self.streams[0].direct

    def needs_aligned_for(self, index: int) -> bool:
        """True if camera ``index``'s frames are best given in aligned memory (chunkio writes them with O_DIRECT)."""
        return self.streams[index].unbuffered

    def needs_encoded_for(self, index: int) -> bool:
        """True if camera ``index``'s frames go in as chunk bytes from ``compression.encode``."""
        return self.streams[index].direct

    # --- life --------------------------------------------------------------------------------------

    def open(self) -> None:
        if self.path.exists() and not self.overwrite:
            raise OutputExistsError(f"{self.path} exists; pass overwrite=True to replace it")
        self.start_time = now_iso()
        identity = self._lock.acquire()  # before "w": refuses a file another live process writes
        try:
            # Large objects (the chunks) start on a page boundary, as O_DIRECT wants (chunkio).
            self._file = h5py.File(self.path, "w", libver="latest", alignment_threshold=chunkio.MIN_CHUNK_BYTES,
                                   alignment_interval=chunkio.ALIGNMENT)
        except BaseException:
            self._lock.release()
            raise
        try:
            self._layout = layout.create(self._file, detectors=[stream.spec for stream in self.streams],
                                         compression=self.compression, config=self.config, title=self.title,
                                         start_time=self.start_time, rig=self.rig)
            self._file[schema.RECORDING].attrs.update(identity.as_attrs())  # before SWMR: no attributes after
            self._file.flush()
            self._file.swmr_mode = True
            for stream in self.streams:
                if stream.unbuffered:
                    stream.chunk_file = chunkio.ChunkFile(self.path, stream.spec.geometry.nbytes)
            if self.drop_page_cache:
                try:
                    self._cache_fd = os.open(self.path, os.O_RDONLY)
                except OSError as error:  # e.g. a file we may write but not read: no advice, same recording
                    log.warning("%s: cannot open it for page-cache advice (%s); the page cache is kept",
                                self.path, error)
        except BaseException:
            try:
                self._close_chunk_files()
                self._file.close()
            finally:
                self._file = None
                self.path.unlink(missing_ok=True)  # a file without its layout holds nothing: leave no stub
                self._lock.release()
            raise
        self.last_flush = time.monotonic()

    def _handles(self) -> layout.Layout:
        if self._layout is None:
            raise RecordingError(f"{self.path}: the writer is not open")
        return self._layout

    def write(self, payload: bytes | np.ndarray, values: Mapping[str, Any], *, checksum: int | None = None,
              stream: int = 0) -> int:
        """Append one frame of camera ``stream``: the encoded chunk if it needs encoded frames, else the array.

        ``checksum`` is the stored chunk's checksum when the caller made the chunk bytes; frames
        that go through HDF5's filter pipeline are read back as stored and checksummed here.
        Returns the bytes handed to HDF5 (the chunk's size when it was encoded beforehand).
        """
        handles = self._handles().detectors[stream]
        state = self.streams[stream]
        index = state.written
        nbytes = payload.nbytes if isinstance(payload, np.ndarray) else len(payload)
        if self.size_limit is not None:
            self._check_size(nbytes)
        handles.data.resize(index + 1, axis=0)
        offset = (index,) + (0,) * len(state.spec.geometry.shape)
        cached = nbytes  # bytes that went through the page cache
        if state.chunk_file is not None:
            try:  # the chunk was allocated by the resize (ALLOC_TIME_EARLY)
                address = handles.data.id.get_chunk_info_by_coord(offset).byte_offset
                cached = state.chunk_file.write(address, payload)
            except BaseException:
                handles.data.resize(index, axis=0)  # no frame in data that is not on disk
                raise
        elif state.direct:
            handles.data.id.write_direct_chunk(offset, payload)
        else:
            handles.data[index] = payload
        if checksum is None and layout.CHECKSUM in state.pending:  # no filter for chunkio: stored as given
            checksum = chunk_checksum(payload if state.chunk_file is not None
                                      else handles.data.id.read_direct_chunk(offset)[1])
        state.written = index + 1
        for field in state.spec.fields:
            state.pending[field.name].append(values.get(field.name, field.fill))
        if checksum is not None and layout.CHECKSUM in state.pending:
            state.pending[layout.CHECKSUM][-1] = checksum
        self._since_drop += cached
        if self._since_drop >= DROP_EVERY_BYTES:
            self._drop_written_pages()
        return nbytes

    def append(self, stream: int, table: str, rows: list[Mapping[str, Any]]) -> None:
        """Add rows to a table of camera ``stream`` (written at the next flush)."""
        self.streams[stream].rows[table].extend(rows)

    def _check_size(self, nbytes: int) -> None:
        """Stop before the file outgrows what this process may write (writing past it leaves a broken file)."""
        assert self._file is not None and self.size_limit is not None
        size = self._file.id.get_filesize()
        if size + nbytes + SIZE_LIMIT_MARGIN > self.size_limit:
            raise FileSizeLimitError(f"{self.path}: the file would outgrow the largest file allowed here "
                                     f"({self.size_limit / 1e6:.1f} MB: ulimit -f or the file system's limit); "
                                     f"recording stopped at {size / 1e6:.1f} MB")

    def _drop_written_pages(self) -> None:
        """Ask the kernel to write the file's dirty pages out and drop those already on disk.

        Without this every new page of the file is a page the kernel has not used for a while; on
        this project's VMs (virtio-balloon free page reporting) such pages are handed back to the
        host after ~2 s and cost a host fault each: writes ran at 0.5 GB/s instead of 2.4-2.7 GB/s
        (13.4 MB chunks, measured with and without). Pages still being written are kept until a
        later call, so a SWMR reader following the run finds the newest frame in memory.
        """
        self._since_drop = 0
        if self._cache_fd is None:
            return
        try:
            os.posix_fadvise(self._cache_fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError as error:  # advice only: never a reason to stop a recording
            log.warning("%s: page-cache advice refused (%s); the page cache is kept from now on", self.path, error)
            self._close_cache_fd()

    def due(self) -> bool:
        return time.monotonic() - self.last_flush >= self.flush_interval_s

    def flush(self, counters: Mapping[str, int], camera_counters: Sequence[Mapping[str, int]] | None = None) -> None:
        """Write the buffered per-frame values, table rows and counters, then flush HDF5 (readers see it all)."""
        handles = self._handles()
        for state, detector in zip(self.streams, handles.detectors):
            count = state.written
            if count > state.flushed:
                for field in state.spec.fields:
                    dataset = detector.fields[field.name]
                    dataset.resize(count, axis=0)
                    dataset[state.flushed:count] = np.asarray(state.pending[field.name], dtype=field.dtype)
                    state.pending[field.name].clear()
                state.flushed = count
            for table, rows in state.rows.items():
                if not rows:
                    continue
                columns = detector.tables[table]
                for column in schema.TABLES[table]:
                    dataset = columns[column.name]
                    start = dataset.shape[0]
                    dataset.resize(start + len(rows), axis=0)
                    dataset[start:] = np.asarray([_cell(row.get(column.name, column.fill), column) for row in rows],
                                                 dtype=column.dtype)
                rows.clear()
        for name, value in counters.items():
            handles.counters[name][()] = np.int64(value)
        for detector, values in zip(handles.detectors, camera_counters or []):
            for name, value in values.items():
                if name in detector.counters:
                    detector.counters[name][()] = np.int64(value)
        assert self._file is not None
        self._file.flush()
        self.last_flush = time.monotonic()

    def close(self, status: str, counters: Mapping[str, int],
              camera_counters: Sequence[Mapping[str, int]] | None = None) -> None:
        """Final flush, status and end time, and close the SWMR file. Closes also if that fails."""
        if self._file is None:
            return
        try:
            handles = self._handles()
            handles.status[()] = np.bytes_(status.encode()[:layout.STATUS_LENGTH])
            handles.end_time[()] = np.bytes_(now_iso().encode()[:layout.TIME_LENGTH])
            self.flush(counters, camera_counters)
        finally:
            file, self._file, self._layout = self._file, None, None
            try:
                self._close_chunk_files()
                file.close()
            finally:
                self._lock.release()
                self._drop_written_pages()
                self._close_cache_fd()

    def _close_cache_fd(self) -> None:
        if self._cache_fd is not None:
            fd, self._cache_fd = self._cache_fd, None
            try:
                os.close(fd)
            except OSError as error:  # a read-only descriptor: nothing of the recording depends on it
                log.warning("%s: closing the page-cache descriptor failed (%s)", self.path, error)

    def abandon(self) -> None:
        """Close without writing anything more (after a write error: the file keeps its last flush)."""
        if self._file is None:
            return
        file, self._file, self._layout = self._file, None, None
        try:
            self._close_chunk_files()
            file.close()
        finally:
            self._lock.release()
            self._close_cache_fd()

    def _close_chunk_files(self) -> None:
        for stream in self.streams:
            chunk_file, stream.chunk_file = stream.chunk_file, None
            if chunk_file is not None:
                chunk_file.close()

    def finish(self, *, status: str, error: str | None, result: dict[str, Any], warnings: list[str] | None = None,
               detectors: list[layout.DetectorEnd] | None = None, rig: dict[str, Any] | None = None) -> None:
        """Add end-of-run metadata by reopening the closed file normally (SWMR forbids new objects)."""
        with h5py.File(self.path, "r+", libver="latest") as file:
            layout.finish(file, status=status, error=error, result=result, warnings=warnings or [],
                          detectors=detectors or [], rig=rig)


def _cell(value: Any, column: layout.Field) -> Any:
    """A table cell in its column's type (text to bytes, cut to the column's width)."""
    if column.dtype.startswith("S"):
        text = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        return text[:int(column.dtype[1:])]
    return value


def find_detector(file: h5py.File) -> h5py.Group:
    instrument = file[schema.INSTRUMENT]
    for group in instrument.values():
        if isinstance(group, h5py.Group) and group.attrs.get("NX_class") in ("NXdetector", b"NXdetector"):
            return group
    raise RecordingError(f"{file.filename}: no NXdetector under /entry/instrument")


__all__ = ["DROP_EVERY_BYTES", "FileSizeLimitError", "FrameWriter", "chunk_checksum", "find_detector", "is_disk_full", "now_iso"]
