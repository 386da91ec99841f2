"""Whole uncompressed chunks written straight to disk (``O_DIRECT``), around the page cache.

Why: an uncompressed full frame (12.4 MB) written through the page cache cost the writer thread
6.8 ms of CPU (copy into the page cache, ext4's per-page bookkeeping, then dropping the pages
again: see ``FrameWriter._drop_written_pages``); written with ``O_DIRECT`` from an aligned buffer
it costs 0.2 ms, plus 0.5-1.5 ms for copying the frame into that buffer (measured on this
project's VMs, 100 frames; ``benchmarks/bench_cpu.py`` has the whole-process figures).

How: the dataset's chunks are allocated by HDF5 when the dataset grows (``ALLOC_TIME_EARLY``, no
fill value written), in a file whose large objects HDF5 aligns to :data:`ALIGNMENT`. Each frame's
bytes then go to its chunk's address with ``pwrite`` on a descriptor opened with ``O_DIRECT``;
HDF5 only writes metadata. ``O_DIRECT`` wants the memory, the file offset and the length aligned:
the frame is copied into an aligned buffer unless it already is aligned, and the last partial
block of a frame whose size is not a multiple of :data:`ALIGNMENT` goes through the page cache.

Where ``O_DIRECT`` is refused (tmpfs, some network file systems, other systems than Linux) the
same chunks are written with plain ``pwrite``: still without HDF5's per-chunk work, through the
page cache.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Address, memory and length alignment for O_DIRECT: the page size covers every Linux block device's.
ALIGNMENT = 4096

#: Chunks at least this large are written here; smaller ones gain nothing from it and go through HDF5.
MIN_CHUNK_BYTES = 1 << 20


def suits(chunks: tuple[int, ...], frame_shape: tuple[int, ...], dtype: np.dtype | str, compression: str) -> bool:
    """True if a dataset's chunks are written here: whole uncompressed frames of at least MIN_CHUNK_BYTES."""
    if compression != "none" or tuple(chunks) != (1, *frame_shape):
        return False
    return int(np.prod(frame_shape)) * np.dtype(dtype).itemsize >= MIN_CHUNK_BYTES


def aligned_empty(nbytes: int) -> np.ndarray:
    """A 1-d uint8 array of ``nbytes`` whose first byte is on an :data:`ALIGNMENT` boundary."""
    block = np.empty(nbytes + ALIGNMENT, np.uint8)
    start = -block.ctypes.data % ALIGNMENT
    return block[start:start + nbytes]


def is_aligned(array: np.ndarray) -> bool:
    """True if ``array``'s first byte is on an :data:`ALIGNMENT` boundary (O_DIRECT can write from it)."""
    return array.ctypes.data % ALIGNMENT == 0


def _flat_bytes(payload: bytes | np.ndarray) -> np.ndarray:
    if isinstance(payload, np.ndarray):
        return payload.reshape(-1).view(np.uint8)
    return np.frombuffer(payload, np.uint8)


class ChunkFile:
    """Writes whole chunks of one size at addresses HDF5 allocated in ``path``. One thread only."""

    def __init__(self, path: str | Path, chunk_bytes: int) -> None:
        self.path = Path(path)
        self.chunk_bytes = int(chunk_bytes)
        self.head = self.chunk_bytes - self.chunk_bytes % ALIGNMENT  # the part O_DIRECT can take
        self._fd = os.open(self.path, os.O_WRONLY)
        self._direct_fd: int | None = None
        self._staging: np.ndarray | None = None
        flag = getattr(os, "O_DIRECT", 0)
        if flag and self.head:
            try:
                self._direct_fd = os.open(self.path, os.O_WRONLY | flag)
            except OSError as error:  # e.g. EINVAL on a file system without direct I/O
                log.info("%s: no O_DIRECT here (%s); chunks go through the page cache", self.path, error)

    @property
    def direct(self) -> bool:
        """True while chunks go around the page cache."""
        return self._direct_fd is not None

    def write(self, address: int, payload: bytes | np.ndarray) -> int:
        """Write one chunk's bytes (exactly ``chunk_bytes``) at file offset ``address``.

        Returns how many of them went through the page cache (a tail, or all without O_DIRECT).
        """
        data = _flat_bytes(payload)
        if data.nbytes != self.chunk_bytes:
            raise ValueError(f"a chunk of {self.chunk_bytes} bytes was expected, not {data.nbytes}")
        done = 0
        if self._direct_fd is not None and address % ALIGNMENT == 0:
            done = self._write_direct(address, data)
        if done < data.nbytes:
            _write_all(self._fd, data[done:], address + done)
        return data.nbytes - done

    def _write_direct(self, address: int, data: np.ndarray) -> int:
        """Write the aligned head of ``data`` with O_DIRECT; the bytes written (0 if it was refused)."""
        head = data[:self.head]
        if not is_aligned(head):
            if self._staging is None:
                self._staging = aligned_empty(self.head)
            np.copyto(self._staging, head)
            head = self._staging
        assert self._direct_fd is not None
        try:
            return _write_all(self._direct_fd, head, address)
        except OSError as error:
            if error.errno != errno.EINVAL:
                raise
            # Opened, but refused at the first write (some file systems): the page cache from now on.
            log.info("%s: O_DIRECT write refused (%s); chunks go through the page cache", self.path, error)
            self._close_direct()
            return 0

    def close(self) -> None:
        self._close_direct()
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def _close_direct(self) -> None:
        fd, self._direct_fd = self._direct_fd, None
        if fd is not None:
            os.close(fd)


def _write_all(fd: int, data: np.ndarray, address: int) -> int:
    """``pwrite`` until all of ``data`` is written (a regular file may take less than asked)."""
    view = memoryview(data)
    done = 0
    while done < len(view):
        written = os.pwrite(fd, view[done:], address + done)
        if written <= 0:
            raise OSError(errno.EIO, f"pwrite wrote {written} bytes at offset {address + done}")
        done += written
    return done
