"""Opening a recording for reading so that a damaged file fails at once, and HDF5's errors as one line.

Why reads of a damaged file hung: a SWMR reader (``h5py.File(..., swmr=True)``) retries every
metadata read whose checksum does not match, because a live writer may be halfway through
rewriting that block. HDF5 makes 100 attempts (``H5F_SWMR_METADATA_READ_ATTEMPTS``) and sleeps
1 ns, 2 ns, 4 ns, ... between them (H5Centry.c), so one damaged block costs up to 2^100 ns: for
ever. h5py has no call for ``H5Pset_metadata_read_attempts``, so it is made through ctypes in the
libhdf5 that h5py itself loaded (the same library instance, so h5py's property-list id is valid
in it). :data:`READ_ATTEMPTS` = 28 bounds one damaged block to 2^28 ns = 0.27 s and still leaves
a live reader 27 retries: following a writer that flushed 200 times a second, 1,460 opens and
275,000 frame reads never needed more than 3.

Where that library cannot be found (a platform without ``/proc/self/maps`` or dyld), a child
process opens the file and reads all its metadata first, with a timeout; that costs about 0.4 s
per open, so it is only the fallback.

A file whose writer died before it turned SWMR on (or while it finished the file) is marked open
for writing without SWMR: HDF5 refuses it in every read mode. :func:`open_flags_cleared` reads it
through a view that presents the superblock as a closed file would have it, without writing a byte.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin  # noqa: F401  (registers the compression filters recordings use)

from ace_gentl.errors import AceGentlError, RecordingFileError
from ace_gentl.recording.superblock import Superblock

log = logging.getLogger(__name__)

#: Metadata read attempts of a SWMR reader: at most 2^28 ns (0.27 s) of retries per damaged block.
READ_ATTEMPTS = 28
#: Seconds the fallback's child process may take to read a file's metadata.
PROBE_TIMEOUT_S = 10.0

_LIBRARY_NAME = re.compile(r"(^|/)libhdf5([-.][^/_]*)?\.(so|dylib)[^/]*$")


def _loaded_images() -> list[str]:
    """Paths of the shared libraries loaded into this process."""
    maps = Path("/proc/self/maps")
    if maps.exists():
        return list(dict.fromkeys(line.split(None, 5)[-1].strip() for line in maps.read_text().splitlines()
                                  if "/" in line))
    if sys.platform == "darwin":
        dyld = ctypes.CDLL(None)
        dyld._dyld_get_image_name.restype = ctypes.c_char_p
        return [os.fsdecode(dyld._dyld_get_image_name(index)) for index in range(dyld._dyld_image_count())]
    return []


@functools.lru_cache(maxsize=1)
def hdf5_library() -> ctypes.CDLL | None:
    """The libhdf5 h5py uses, or None if it cannot be found with certainty."""
    wanted = h5py.version.hdf5_version_tuple[:3]
    for image in _loaded_images():
        if not _LIBRARY_NAME.search(image):
            continue
        try:
            # RTLD_NOLOAD: the library already in the process, never a second copy of it
            mode = getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_NOW", 0) | ctypes.RTLD_LOCAL
            library = ctypes.CDLL(image, mode=mode)
            version = (ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint())
            if library.H5get_libversion(*(ctypes.byref(part) for part in version)) < 0:
                continue
            if tuple(part.value for part in version) != wanted:
                continue  # another HDF5 in the process: h5py's ids mean nothing there
            library.H5Pset_metadata_read_attempts.argtypes = [ctypes.c_int64, ctypes.c_uint]
            library.H5Pget_metadata_read_attempts.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_uint)]
            return library
        except (OSError, AttributeError):
            continue
    log.warning("the HDF5 library h5py uses was not found; damaged files are checked in a child process first")
    return None


def swmr_read_access() -> h5py.h5p.PropFAID | None:
    """A file-access property list for SWMR reading with :data:`READ_ATTEMPTS`, or None without the library."""
    library = hdf5_library()
    if library is None:
        return None
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    attempts = ctypes.c_uint()
    if (library.H5Pset_metadata_read_attempts(fapl.id, READ_ATTEMPTS) < 0
            or library.H5Pget_metadata_read_attempts(fapl.id, ctypes.byref(attempts)) < 0
            or attempts.value != READ_ATTEMPTS):
        return None
    return fapl


_PROBE = """
import sys, h5py, hdf5plugin
with h5py.File(sys.argv[1], "r", libver="latest", swmr=True) as f:
    def touch(name, item):
        if isinstance(item, h5py.Dataset):
            item.shape, item.dtype
            if item.chunks is not None:
                item.id.get_num_chunks()
            elif item.size <= 1 << 20:
                item[()]
        dict(item.attrs)
    f.visititems(touch)
"""


def _probe(path: Path) -> None:
    """Read every object's metadata in a child process: a damaged file fails there, with a timeout."""
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, os.fspath(path)], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RecordingFileError(f"{path}: damaged: reading its metadata did not end within "
                                 f"{PROBE_TIMEOUT_S:.0f} s (HDF5 kept retrying a block whose checksum fails)") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise RecordingFileError(f"{path}: {reason(lines[-1] if lines else 'the metadata cannot be read')}")


def open_swmr(path: Path) -> h5py.File:
    """Open read-only in SWMR mode with bounded metadata retries (h5py's errors are left to the caller)."""
    fapl = swmr_read_access()
    if fapl is None:
        _probe(path)
        return h5py.File(path, "r", libver="latest", swmr=True)
    fid = h5py.h5f.open(os.fsencode(path), h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl)
    return h5py.File(fid)


class _FlagsClearedView(io.RawIOBase):
    """A read-only view of a file in which the superblock reads as cleared (h5py reads file objects)."""

    def __init__(self, path: Path, block: Superblock) -> None:
        super().__init__()
        self._fd = os.open(path, os.O_RDONLY)
        self._size = os.fstat(self._fd).st_size
        self._patch_at = block.offset
        self._patch = block.with_flags_cleared()
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = os.pread(self._fd, len(view), self._position)
        count = len(data)
        view[:count] = data
        start, end = self._position, self._position + count
        patch_end = self._patch_at + len(self._patch)
        if start < patch_end and end > self._patch_at:
            lo, hi = max(start, self._patch_at), min(end, patch_end)
            view[lo - start:hi - start] = self._patch[lo - self._patch_at:hi - self._patch_at]
        self._position = end
        return count

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def open_flags_cleared(path: Path, block: Superblock) -> tuple[h5py.File, io.RawIOBase]:
    """Open read-only as if the superblock's status flags were cleared; close both when done.

    Not SWMR, so HDF5 makes one attempt per metadata block: a damaged file fails at once.
    """
    view = _FlagsClearedView(path, block)
    try:
        return h5py.File(view, "r"), view
    except BaseException:
        view.close()
        raise


def damaged_objects(file: h5py.File) -> list[str]:
    """``"/path: reason"`` for every object whose header, attributes or chunk index cannot be read.

    Reads metadata only (a recording has about 80 objects: a few ms), never pixel data.
    """
    found: list[str] = []

    def touch(name: str, item: Any) -> None:
        try:
            dict(item.attrs)
            if isinstance(item, h5py.Dataset):
                if item.chunks is not None:
                    item.id.get_num_chunks()
                elif item.size * item.dtype.itemsize <= 1 << 20:
                    item[()]
        except H5PY_ERRORS as error:
            found.append(f"/{name}: {reason(error)}")

    try:
        file.visititems(touch)
    except H5PY_ERRORS as error:  # a group's links cannot be listed: what is below it is out of reach
        found.append(f"the object tree: {reason(error)}")
    return found


#: HDF5's words for the kinds of damage, and ours.
_REASONS = (
    ("incorrect metadata checksum", "damaged: a metadata checksum does not match"),
    ("truncated file", "truncated"),
    ("filter returned failure", "a compressed chunk cannot be decoded (damaged data)"),
    ("unable to lock file", "another process holds HDF5's lock on it (it is being written or finished now); "
                            "try again when that process is done"),
    ("bad object header", "damaged: an object header is corrupt"),
    ("signature", "damaged: a metadata block has a wrong signature"),
    ("addr overflow", "damaged or truncated: a metadata address points past the end of the file"),
    ("address of object past end", "damaged or truncated: a metadata address points past the end of the file"),
)


def reason(error: BaseException | str) -> str:
    """One line saying what HDF5 found, in plain words, with HDF5's own words in brackets."""
    text = error if isinstance(error, str) else (str(error.args[0]) if error.args else str(error))
    text = " ".join(text.split())
    lowered = text.lower()
    for key, plain in _REASONS:
        if key in lowered:
            return f"{plain} ({text})"
    return text or type(error).__name__


#: What h5py raises for a file's fault: OSError (I/O and most HDF5 errors), KeyError (a missing or
#: unreadable object), RuntimeError (visits, link checks), ValueError/TypeError (unexpected contents).
H5PY_ERRORS = (OSError, KeyError, RuntimeError, ValueError, TypeError)


@contextlib.contextmanager
def file_errors(path: Path | str, what: str = "",
                kinds: tuple[type[BaseException], ...] = H5PY_ERRORS) -> Iterator[None]:
    """Turn h5py's exceptions (of ``kinds``) inside the block into one-line RecordingFileErrors."""
    try:
        yield
    except AceGentlError:
        raise
    except kinds as error:
        where = f"{what}: " if what else ""
        raise RecordingFileError(f"{path}: {where}{reason(error)}") from error


__all__ = ["H5PY_ERRORS", "PROBE_TIMEOUT_S", "READ_ATTEMPTS", "damaged_objects", "file_errors", "hdf5_library",
           "open_flags_cleared", "open_swmr", "reason", "swmr_read_access"]
