"""The HDF5 superblock of a recording: read, checked and its status flags cleared, without HDF5.

A file written with ``libver="latest"`` has a version 3 superblock (48 bytes with 8-byte
addresses) holding the file's end-of-file address and status flags, protected by a lookup3
checksum. A writer marks the file open (flag 0x01, plus 0x04 once SWMR is on) and clears the
marks when it closes; a writer that dies leaves them, and HDF5 then refuses a plain open. Reading
the superblock ourselves tells a damaged start of file, a truncated file and a dead writer's marks
apart before HDF5 is asked to open anything.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ace_gentl.errors import RecordingFileError

SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Status flags (HDF5 file format spec, superblock version 3).
WRITE_ACCESS = 0x01
SWMR_WRITE_ACCESS = 0x04
_MASK = 0xFFFFFFFF


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
    flags: int  # 0 for versions 0/1, which keep no status flags
    size: int  # bytes covered by the checksum, plus the checksum (0 for versions 0/1)
    raw: bytes  # the ``size`` bytes as stored (empty for versions 0/1)
    end_of_file: int | None  # the file's end as HDF5 last wrote it (versions 2/3)
    checksum_ok: bool

    @property
    def open_for_write(self) -> bool:
        return bool(self.flags & WRITE_ACCESS)

    @property
    def swmr(self) -> bool:
        return bool(self.flags & SWMR_WRITE_ACCESS)

    def with_flags_cleared(self) -> bytes:
        """The superblock bytes as a writer that closed properly would have left them."""
        raw = bytearray(self.raw)
        raw[11] = 0
        raw[-4:] = struct.pack("<I", lookup3(bytes(raw[:-4])))
        return bytes(raw)


def read_superblock(path: str | os.PathLike[str]) -> Superblock:
    """Find and parse the superblock; RecordingFileError if there is none."""
    with Path(path).open("rb") as handle:
        offset = 0
        while True:
            handle.seek(offset)
            head = handle.read(12)
            if len(head) < 12:
                raise RecordingFileError(f"{path}: cannot open as HDF5: no HDF5 superblock found (not an HDF5 file?)")
            if head[:8] == SIGNATURE:
                break
            offset = 512 if offset == 0 else offset * 2
        version, size_of_offsets = head[8], head[9]
        if version < 2:
            return Superblock(offset=offset, version=version, flags=0, size=0, raw=b"", end_of_file=None,
                              checksum_ok=True)
        if size_of_offsets not in (2, 4, 8, 16):
            raise RecordingFileError(f"{path}: damaged: the superblock gives {size_of_offsets}-byte addresses "
                                     f"(the file's first bytes are corrupt)")
        size = 12 + 4 * size_of_offsets + 4
        handle.seek(offset)
        raw = handle.read(size)
    if len(raw) < size:
        raise RecordingFileError(f"{path}: truncated: the file ends inside its superblock ({len(raw)} bytes)")
    eof_at = 12 + 2 * size_of_offsets
    end_of_file = int.from_bytes(raw[eof_at:eof_at + size_of_offsets], "little")
    checksum_ok = lookup3(raw[:-4]) == struct.unpack("<I", raw[-4:])[0]
    return Superblock(offset=offset, version=version, flags=head[11], size=size, raw=raw, end_of_file=end_of_file,
                      checksum_ok=checksum_ok)


def checked_superblock(path: str | os.PathLike[str]) -> Superblock:
    """:func:`read_superblock`, plus RecordingFileError for a damaged or truncated file."""
    block = read_superblock(path)
    if not block.checksum_ok:
        raise RecordingFileError(f"{path}: damaged: the superblock's checksum does not match (the file's first "
                                 f"bytes are corrupt)")
    size = os.stat(path).st_size
    if block.end_of_file is not None and not block.open_for_write and block.offset + block.end_of_file > size:
        # A closed file is never shorter than its end-of-file address (a dead writer's may be: it had
        # reserved space it had not written yet, so only a closed file is judged by it).
        raise RecordingFileError(f"{path}: truncated: {size} bytes, but it was {block.offset + block.end_of_file} "
                                 f"bytes when it was closed (an incomplete copy or download?)")
    return block


def write_superblock(path: str | os.PathLike[str], block: Superblock, raw: bytes) -> None:
    """Put ``raw`` where ``block`` is, and wait until it is on disk."""
    with Path(path).open("r+b") as handle:
        handle.seek(block.offset)
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())


__all__ = ["SIGNATURE", "SWMR_WRITE_ACCESS", "Superblock", "WRITE_ACCESS", "checked_superblock", "lookup3",
           "read_superblock", "write_superblock"]
