"""Make a recording whose writer died (``kill -9``, power loss) open normally again, losing nothing.

An HDF5 file written with ``libver="latest"`` marks itself "open for writing" (and "SWMR writer")
in its superblock; a writer that dies leaves the marks, and a plain open then fails with "file is
already open for write". Like ``h5clear -s``, :func:`repair` clears them. It is all or nothing:

1. the superblock is read and its checksum checked; a file that was closed normally and has
   nothing to mend is left untouched (not one byte written);
2. a file whose writer still runs is refused, naming the process (:mod:`writerlock`);
3. a dry run opens the file read-only as it will look once the marks are cleared
   (:func:`fileaccess.open_flags_cleared`) and reads everything repair touches. A file whose
   writer died before the recording's structure was complete holds no frames and is reported as
   such; a damaged one is reported; neither is touched;
4. holding ``NAME.lock``, the marks are cleared (one write of the 48-byte superblock, synced) and a
   status of ``running`` becomes ``aborted`` with an error text. If that fails, the original
   superblock is written back.

Pixel data is never removed: frames in ``data`` without per-frame metadata (written after the last
flush) are kept and reported. A SWMR read-only open (``open_recording`` does that) works even
without repair.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from ace_gentl.errors import AceGentlError, RecordingFileError
from ace_gentl.recording import layout, schema
from ace_gentl.recording.fileaccess import H5PY_ERRORS, damaged_objects, open_flags_cleared, reason
from ace_gentl.recording.superblock import (
    SIGNATURE,
    Superblock,
    checked_superblock,
    lookup3,
    read_superblock,
    write_superblock,
)
from ace_gentl.recording.layout import detector_groups
from ace_gentl.recording.writer import find_detector, now_iso
from ace_gentl.recording.reader import too_young, young_file_error
from ace_gentl.recording.writerlock import WriterInfo, WriterLock, writer_state

_RESERVE_SUFFIX = ".reserve"  # the recorder's disk-space reserve, left behind by a dead writer


def clear_status_flags(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Clear the superblock's file-consistency flags; returns (flags before, flags after)."""
    block = checked_superblock(path)
    if block.flags == 0:
        return 0, 0
    write_superblock(path, block, block.with_flags_cleared())
    return block.flags, 0


def needs_repair(path: str | os.PathLike[str]) -> bool:
    """True if the file is still marked open by a writer (one that is running, or one that died)."""
    return read_superblock(path).flags != 0


@dataclass(frozen=True)
class _Content:
    """What the dry run read."""

    status: str
    frames_in_data: int
    frames_paired: int  # frames with per-frame metadata
    frames_written: int | None
    has_error_text: bool
    writer: WriterInfo | None


@dataclass(frozen=True)
class RepairReport:
    path: Path
    flags_before: int
    frames_in_data: int  # length of ``data``: every one of them is still there
    frames_kept: int  # frames with flushed per-frame values: what ``open_recording`` counts
    status_before: str
    reserve_removed: bool
    changed: bool = True  # False: the file was left untouched (nothing to repair)
    writer: str = ""  # who had left the file open

    @property
    def frames_unpaired(self) -> int:
        return self.frames_in_data - self.frames_kept

    def __str__(self) -> str:
        unpaired = (f"; {self.frames_unpaired} frames in data have no per-frame metadata: kept (data["
                    f"{self.frames_kept}:]), not counted" if self.frames_unpaired else "")
        if not self.changed:
            return (f"{self.path}: nothing to repair (status flags were clean, status {self.status_before!r}); "
                    f"{self.frames_kept} frames kept, file untouched{unpaired}")
        cleared = (f"cleared status flags 0x{self.flags_before:02x}" if self.flags_before
                   else "status flags were clean")
        who = f" left by {self.writer}" if self.writer else ""
        status = ("status was 'running', now 'aborted'" if self.status_before == "running"
                  else f"status {self.status_before!r}")
        return f"{self.path}: {cleared}{who}; {self.frames_kept} frames kept; {status}{unpaired}"


def _dry_run(path: Path, block: Superblock) -> _Content:
    """Read what repair needs, through a read-only view with the marks cleared; h5py errors pass."""
    file, view = open_flags_cleared(path, block)
    try:
        if schema.SCHEMA not in file or schema.STATUS not in file:
            missing = schema.SCHEMA if schema.SCHEMA not in file else schema.STATUS
            raise _Incomplete(f"no /{missing}")
        _check_metadata(file)
        recording = file[schema.RECORDING]
        find_detector(file)  # at least one camera
        in_data = paired = 0
        for detector in detector_groups(file):  # a rig: every camera's frames
            data, frame_id = detector["data"], detector["frame_id"]
            in_data += int(data.shape[0])
            paired += min(int(data.shape[0]), int(frame_id.shape[0]))
        written = recording.get("frames_written")
        return _Content(status=bytes(recording["status"][()]).decode(errors="replace").rstrip("\0"),
                        frames_in_data=in_data, frames_paired=paired,
                        frames_written=None if written is None else int(written[()]),
                        has_error_text="error" in recording,
                        writer=WriterInfo.from_attrs(recording.attrs, file.get(schema.HOST)))
    finally:
        file.close()
        view.close()


class _Incomplete(Exception):
    """The file opens but lacks the recording's structure."""


class _Damaged(Exception):
    """An object of the file cannot be read."""


def _check_metadata(file: h5py.File) -> None:
    damaged = damaged_objects(file)
    if damaged:
        raise _Damaged("; ".join(damaged[:3]) + (f" and {len(damaged) - 3} more" if len(damaged) > 3 else ""))


def repair(path: str | os.PathLike[str], *, force: bool = False) -> RepairReport:
    """Repair a recording left open by a dead writer; a healthy file is left untouched.

    Refuses a file whose writer still runs. ``force`` repairs also when that cannot be told (a
    file written on another host without its lock file, or by a program that leaves no trace).
    """
    target = Path(path)
    if not target.is_file():
        raise RecordingFileError(f"{target}: no such file")
    try:
        block = checked_superblock(target)
    except RecordingFileError:
        young = young_file_error(target)
        if young is not None:
            raise young from None
        raise
    if block.version < 2:
        raise RecordingFileError(f"{target}: superblock version {block.version}; only versions 2 and 3 carry the "
                                 f"status flags repair clears (files written by ace_gentl use 3)")
    content: _Content | None = None
    failure: BaseException | None = None
    try:
        content = _dry_run(target, block)
    except (_Incomplete, _Damaged, AceGentlError, *H5PY_ERRORS) as error:
        failure = error
    state = writer_state(target, block.open_for_write, content.writer if content else None)
    if state.running:
        raise RecordingFileError(f"{target}: is being written by {state.info or 'another process'} ({state.how}); "
                                 f"repair is for a file whose writer died: stop that recording first")
    if state.state == "unknown" and not force:
        raise RecordingFileError(f"{target}: is marked open for writing and it cannot be told whether its writer "
                                 f"still runs ({state.how}); if no process writes it, use --force (force=True)")
    if failure is not None:
        raise _explain(target, block, state.info, failure) from failure
    assert content is not None
    if not block.open_for_write and content.status != "running":
        return RepairReport(path=target, flags_before=0, frames_in_data=content.frames_in_data,
                            frames_kept=content.frames_paired, status_before=content.status, reserve_removed=False,
                            changed=False)
    lock = WriterLock(target)
    lock.acquire("repaired")
    try:
        if read_superblock(target).raw != block.raw:
            raise RecordingFileError(f"{target}: changed while repair was reading it; try again")
        _apply(target, block, content)
    finally:
        lock.release()
    reserve = target.with_name(target.name + _RESERVE_SUFFIX)
    removed = reserve.exists()
    reserve.unlink(missing_ok=True)
    return RepairReport(path=target, flags_before=block.flags, frames_in_data=content.frames_in_data,
                        frames_kept=content.frames_paired, status_before=content.status, reserve_removed=removed,
                        writer=str(state.info) if state.info else "")


def _explain(target: Path, block: Superblock, writer: WriterInfo | None, failure: BaseException) -> RecordingFileError:
    """The one-line error for a file the dry run could not read (nothing was written)."""
    if isinstance(failure, RecordingFileError):
        return failure
    if block.open_for_write and not block.swmr and not isinstance(failure, _Damaged):
        return RecordingFileError(too_young(target, writer))
    if isinstance(failure, _Incomplete):
        return RecordingFileError(f"{target}: not an ace_gentl recording ({failure}); not touched")
    if isinstance(failure, _Damaged):
        return RecordingFileError(f"{target}: damaged beyond what repair mends (it clears a dead writer's marks), "
                                  f"not touched: {failure}")
    return RecordingFileError(f"{target}: cannot be repaired, not touched: {reason(failure)}")


def _apply(target: Path, block: Superblock, content: _Content) -> None:
    """Clear the marks and record the abort; on failure put the original superblock back."""
    if block.flags:
        write_superblock(target, block, block.with_flags_cleared())
    try:
        if content.status == "running":
            with h5py.File(target, "r+", libver="latest") as file:
                recording = file[schema.RECORDING]
                recording["status"][()] = np.bytes_(b"aborted")
                recording["frames_written"][()] = np.int64(content.frames_paired)
                if not content.has_error_text:
                    layout.write_text(recording, "error", f"the recording process ended without closing the file; "
                                                     f"repaired {now_iso()} keeping {content.frames_paired} "
                                                     f"flushed frames")
                recording.attrs["repaired"] = now_iso()
    except (*H5PY_ERRORS, AceGentlError) as error:
        if block.flags:
            write_superblock(target, block, block.raw)
        raise RecordingFileError(f"{target}: repair failed and was undone (the file is as it was): "
                                 f"{reason(error)}") from error


__all__ = ["SIGNATURE", "RepairReport", "clear_status_flags", "lookup3", "needs_repair", "read_superblock", "repair"]
