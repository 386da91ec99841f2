"""The HDF5 writer on its own: frames it wrote leave the page cache once on disk (unless asked to keep them)."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
from pathlib import Path

import numpy as np
import pytest

from ace_gentl.recording import compression, layout, metadata
from ace_gentl.recording.writer import DROP_EVERY_BYTES, FrameWriter, find_detector

SHAPE = (512, 1000)  # 1,024,000-byte frames in uint16: below chunkio.MIN_CHUNK_BYTES, so through HDF5 and the page cache


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding ``path`` (longest matching mount point in /proc/self/mounts)."""
    best, kind = "", ""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        mount = fields[1].replace("\\040", " ")
        if str(path.resolve()).startswith(mount.rstrip("/") + "/") and len(mount) > len(best):
            best, kind = mount, fields[2]
    return kind


def resident_fraction(path: Path) -> float:
    """Share of the file's pages in the page cache, from mincore(2) on a read-only mapping."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap failed")
        try:
            vector = ctypes.create_string_buffer(pages)
            if libc.mincore(address, size, vector) != 0:
                raise OSError(ctypes.get_errno(), "mincore failed")
            return sum(byte & 1 for byte in vector.raw) / pages
        finally:
            libc.munmap(address, size)
    finally:
        os.close(fd)


def write_frames(path: Path, *, drop_page_cache: bool, count: int = 60) -> float:
    geometry = layout.Geometry(shape=SHAPE, dtype=np.dtype(np.uint16), pixel_format="Mono12", bits=12)
    writer = FrameWriter(path, geometry=geometry, compression=compression.parse("none"), chunks=None,
                         fields=list(layout.BASE_FIELDS), static=metadata.StaticMetadata.without_camera("writer test"),
                         config={}, overwrite=True, drop_page_cache=drop_page_cache)
    rng = np.random.default_rng(5)
    writer.open()
    try:
        for index in range(count):
            writer.write(rng.integers(0, 4096, size=SHAPE, dtype=np.uint16), {"frame_id": index + 1})
        return resident_fraction(path)  # while the run goes on: what the writer has left in memory
    finally:
        writer.close("complete", {"frames_written": count})


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise on this platform")
def test_written_frames_leave_the_page_cache_unless_kept(tmp_path: Path) -> None:
    kind = filesystem_type(tmp_path)
    if kind not in ("ext4", "xfs", "btrfs"):  # tmpfs pages are the file; overlay, ZFS, NFS cache elsewhere
        pytest.skip(f"{tmp_path} is on {kind or 'an unknown filesystem'}: page-cache dropping not checked there")
    dropped = write_frames(tmp_path / "dropped.h5", drop_page_cache=True)
    kept = write_frames(tmp_path / "kept.h5", drop_page_cache=False)
    assert kept > 0.9, f"{kept:.0%} of a just-written file in memory: the measurement itself is off"
    # 60 frames of 1 MB: only those since the last drop, and those the last drop found still being
    # written out, may stay.
    allowed = (2 * DROP_EVERY_BYTES + SHAPE[0] * SHAPE[1] * 2) / (tmp_path / "dropped.h5").stat().st_size
    assert dropped < allowed < 0.5, f"{dropped:.0%} of the file still in the page cache (allowed {allowed:.0%})"


def test_refused_page_cache_advice_does_not_stop_the_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    def refuse(*args: object) -> None:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "posix_fadvise", refuse, raising=False)
    path = tmp_path / "refused.h5"
    write_frames(path, drop_page_cache=True, count=20)
    assert "page-cache advice refused" in caplog.text
    import h5py

    with h5py.File(path, "r") as file:
        detector = find_detector(file)
        assert detector["data"].shape == (20, *SHAPE)
        assert list(detector["frame_id"][:]) == list(range(1, 21))
        assert file["entry/recording/status"][()].rstrip(b"\0 ") == b"complete"
