"""Make a recording whose writer died (``kill -9``, power loss) open normally again.

An HDF5 file written with ``libver="latest"`` marks itself "open for writing" (and "SWMR
writer") in its superblock; a writer that dies leaves the marks, and a plain open then fails
with "file is already open for write". Like ``h5clear -s``, :func:`repair` clears the marks
(recomputing the superblock checksum), then trims ``data`` to the frames whose per-frame values
were flushed and records in the file that it was repaired. Frames flushed before the crash are
kept; a SWMR read-only open (``open_recording`` does that) works even without repair.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from ace_gentl.errors import RecordingFileError
from ace_gentl.recording import layout
from ace_gentl.recording.writer import now_iso, trim

SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MASK = 0xFFFFFFFF
_RESERVE_SUFFIX = ".reserve"


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _MASK


def lookup3(data: bytes, initval: int = 0) -> int:
    """Bob Jenkins' lookup3 ``hashlittle``: the checksum HDF5 puts on superblocks v2/v3."""
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & _MASK
    i = 0
    while length > 12:
        a = (a + int.from_bytes(data[i:i + 4], "little")) & _MASK
        b = (b + int.from_bytes(data[i + 4:i + 8], "little")) & _MASK
        c = (c + int.from_bytes(data[i + 8:i + 12], "little")) & _MASK
        a = (a - c) & _MASK; a ^= _rot(c, 4); c = (c + b) & _MASK  # noqa: E702 (the reference's layout)
        b = (b - a) & _MASK; b ^= _rot(a, 6); a = (a + c) & _MASK  # noqa: E702
        c = (c - b) & _MASK; c ^= _rot(b, 8); b = (b + a) & _MASK  # noqa: E702
        a = (a - c) & _MASK; a ^= _rot(c, 16); c = (c + b) & _MASK  # noqa: E702
        b = (b - a) & _MASK; b ^= _rot(a, 19); a = (a + c) & _MASK  # noqa: E702
        c = (c - b) & _MASK; c ^= _rot(b, 4); b = (b + a) & _MASK  # noqa: E702
        length -= 12
        i += 12
    if length == 0:
        return c
    tail = data[i:i + length] + bytes(12 - length)
    a = (a + int.from_bytes(tail[0:4], "little")) & _MASK
    b = (b + int.from_bytes(tail[4:8], "little")) & _MASK
    c = (c + int.from_bytes(tail[8:12], "little")) & _MASK
    c ^= b; c = (c - _rot(b, 14)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rot(c, 11)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rot(a, 25)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rot(b, 16)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rot(c, 4)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rot(a, 14)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rot(b, 24)) & _MASK  # noqa: E702
    return c


@dataclass(frozen=True)
class Superblock:
    offset: int  # where the signature is (0 unless the file has a user block)
    version: int
    flags: int
    size: int  # bytes covered by the checksum, plus the checksum


def read_superblock(path: str | os.PathLike[str]) -> Superblock:
    """Find and parse a version 2/3 superblock (the kind ``libver="latest"`` writes)."""
    with Path(path).open("rb") as handle:
        offset = 0
        while True:
            handle.seek(offset)
            head = handle.read(12)
            if len(head) < 12:
                raise RecordingFileError(f"{path}: no HDF5 superblock found (not an HDF5 file?)")
            if head[:8] == SIGNATURE:
                break
            offset = 512 if offset == 0 else offset * 2
        version, size_of_offsets, _lengths, flags = head[8], head[9], head[10], head[11]
    if version < 2:
        raise RecordingFileError(f"{path}: superblock version {version}; only versions 2 and 3 carry the "
                                 f"status flags repair clears (files written by ace_gentl use 3)")
    return Superblock(offset=offset, version=version, flags=flags, size=12 + 4 * size_of_offsets + 4)


def clear_status_flags(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Clear the superblock's file-consistency flags; returns (flags before, flags after)."""
    block = read_superblock(path)
    if block.flags == 0:
        return 0, 0
    with Path(path).open("r+b") as handle:
        handle.seek(block.offset)
        raw = bytearray(handle.read(block.size))
        stored = struct.unpack("<I", raw[-4:])[0]
        if lookup3(bytes(raw[:-4])) != stored:
            raise RecordingFileError(f"{path}: the superblock checksum does not match; refusing to touch it")
        raw[11] = 0
        raw[-4:] = struct.pack("<I", lookup3(bytes(raw[:-4])))
        handle.seek(block.offset)
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    return block.flags, 0


def needs_repair(path: str | os.PathLike[str]) -> bool:
    """True if the file is still marked open by a writer (one that is running, or one that died)."""
    return read_superblock(path).flags != 0


@dataclass(frozen=True)
class RepairReport:
    path: Path
    flags_before: int
    frames_in_data: int  # length of ``data`` before trimming
    frames_kept: int  # frames with flushed per-frame values: what the file now holds
    status_before: str
    reserve_removed: bool

    def __str__(self) -> str:
        cleared = f"cleared status flags 0x{self.flags_before:02x}" if self.flags_before else "status flags were clean"
        return (f"{self.path}: {cleared}; {self.frames_kept} frames kept ({self.frames_in_data} in data); "
                f"status was {self.status_before!r}")


def repair(path: str | os.PathLike[str]) -> RepairReport:
    """Repair a recording left open by a dead writer. Do not run it while the writer is alive."""
    target = Path(path)
    if not target.is_file():
        raise RecordingFileError(f"{target}: no such file")
    flags, _ = clear_status_flags(target)
    with h5py.File(target, "r+", libver="latest") as file:
        if "entry/recording/status" not in file:
            raise RecordingFileError(f"{target}: not an ace_gentl recording (no /entry/recording/status)")
        recording = file["entry/recording"]
        status = bytes(recording["status"][()]).decode(errors="replace")
        before, after = trim(file)
        if status == "running":
            recording["status"][()] = np.bytes_(b"aborted")
            recording["frames_written"][()] = np.int64(after)
            if "error" not in recording:
                layout.write_text(recording, "error", f"the recording process ended without closing the file; "
                                                 f"repaired {now_iso()} keeping {after} flushed frames")
        recording.attrs["repaired"] = now_iso()
    reserve = target.with_name(target.name + _RESERVE_SUFFIX)
    removed = reserve.exists()
    reserve.unlink(missing_ok=True)
    return RepairReport(path=target, flags_before=flags, frames_in_data=before, frames_kept=after,
                        status_before=status, reserve_removed=removed)


__all__ = ["RepairReport", "clear_status_flags", "lookup3", "needs_repair", "read_superblock", "repair"]
