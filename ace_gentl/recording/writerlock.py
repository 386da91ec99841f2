"""Who writes a recording, and whether that process is still alive.

A SWMR writer gives up HDF5's own file lock when it turns SWMR on (so readers can open the file),
and its superblock says "open for writing" whether the writer runs or was killed. So the writer
leaves two traces of its own:

- ``NAME.h5.lock`` beside the file, holding the writer's PID, host, start time and process token
  (JSON), with an ``flock`` on it for as long as the file is open. The operating system drops the
  lock when the process dies, however it dies, and ``flock`` works across machines on NFS;
- the same identity as attributes of ``/entry/recording`` (``writer_pid``, ``writer_host``,
  ``writer_started``, ``writer_token``), written before SWMR starts, so it stays with the file
  when the lock file is gone (a copied or moved file).

:func:`writer_state` combines them with HDF5's own lock (held by a writer that has not turned SWMR
on yet, or is adding the end-of-run metadata) into "running", "dead", "closed" or "unknown".
The process token is ``<boot id>:<start time in clock ticks>`` on Linux, so a PID reused by
another process after a crash is not taken for the writer.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ace_gentl.errors import RecordingFileError

try:
    import fcntl
except ImportError:  # Windows: no flock; the identity stored in the file is all there is
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
#: errno values of a file system that has no flock (then the traces in the file are all there is).
_NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)
_BUSY = (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)


def lock_path(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    return target.with_name(target.name + LOCK_SUFFIX)


def process_token(pid: int) -> str:
    """``<boot id>:<start ticks>`` of a running process on Linux; "" where that is not known."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": field 3 (state) is fields[0]
    return f"{boot}:{fields[19]}" if len(fields) > 19 else ""


@dataclass(frozen=True)
class WriterInfo:
    """The process that writes (or wrote) a file."""

    pid: int
    host: str
    started: str  # ISO time it opened the file
    token: str = ""  # see process_token

    @classmethod
    def current(cls) -> WriterInfo:
        started = dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="milliseconds")
        return cls(pid=os.getpid(), host=socket.gethostname(), started=started, token=process_token(os.getpid()))

    @classmethod
    def from_json(cls, text: str) -> WriterInfo | None:
        try:
            data = json.loads(text)
            return cls(pid=int(data["pid"]), host=str(data["host"]), started=str(data.get("started", "")),
                       token=str(data.get("token", "")))
        except (ValueError, TypeError, KeyError):
            return None

    @classmethod
    def from_attrs(cls, attrs: Any, host_group: Any = None) -> WriterInfo | None:
        """From ``/entry/recording``'s attributes, or else from ``/entry/host`` (files written before them)."""
        def text(value: Any) -> str:
            return value.decode(errors="replace") if isinstance(value, bytes) else str(value)

        try:
            if "writer_pid" in attrs:
                return cls(pid=int(attrs["writer_pid"]), host=text(attrs.get("writer_host", "")),
                           started=text(attrs.get("writer_started", "")), token=text(attrs.get("writer_token", "")))
            if host_group is not None and "pid" in host_group and "hostname" in host_group:
                return cls(pid=int(host_group["pid"][()]), host=text(host_group["hostname"][()]), started="")
        except (ValueError, TypeError, KeyError, OSError):
            return None
        return None

    def as_attrs(self) -> dict[str, Any]:
        return {"writer_pid": self.pid, "writer_host": self.host, "writer_started": self.started,
                "writer_token": self.token}

    def __str__(self) -> str:
        since = f", since {self.started}" if self.started else ""
        return f"PID {self.pid} on host {self.host}{since}"

    def alive(self) -> bool | None:
        """True/False for a process on this host; None for one on another host."""
        if self.host != socket.gethostname():
            return None
        if self.token:
            now = process_token(self.pid)
            if now or Path("/proc").is_dir():
                return now == self.token
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class WriterLock:
    """The lock a process holds on ``NAME.lock`` while it writes (or repairs) ``NAME``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = lock_path(path)
        self.target = Path(path)
        self.info: WriterInfo | None = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, what: str = "written") -> WriterInfo:
        """Take the lock and write our identity into it; RecordingFileError if a live process holds it.

        Where the lock cannot be made (no flock on this file system, a folder we may not write),
        the identity stored in the recording is all there is: a warning, and no error.
        """
        info = WriterInfo.current()
        self.info = info
        if fcntl is None:
            return info
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as error:
            log.warning("%s: cannot create the lock file (%s); liveness is judged from the file alone", self.path,
                        error)
            return info
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = _read_info(fd)
            os.close(fd)
            if error.errno in _BUSY:
                who = f" by {holder}" if holder else " by another process"
                raise RecordingFileError(f"{self.target}: is being {what}{who} (it holds {self.path.name}); wait "
                                         f"until it is done") from None
            log.warning("%s: no file locks here (%s); liveness is judged from the file alone", self.path, error)
            return info
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(asdict(info)).encode())
        self._fd = fd
        return info

    def release(self) -> None:
        """Remove the lock file (if it is still ours) and drop the lock."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                os.unlink(self.path)
        except OSError as error:  # already gone, or a folder we may no longer write: the lock goes anyway
            log.debug("%s: not removed (%s)", self.path, error)
        finally:
            os.close(fd)


def _read_info(fd: int) -> WriterInfo | None:
    try:
        return WriterInfo.from_json(os.pread(fd, 4096, 0).decode(errors="replace"))
    except OSError:
        return None


def lock_file_state(path: Path) -> tuple[bool | None, WriterInfo | None]:
    """(held?, identity) of ``NAME.lock``: None for no lock file or no locks on this file system."""
    if fcntl is None:
        return None, None
    try:
        fd = os.open(lock_path(path), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None, None
    try:
        info = _read_info(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as error:
            return (True, info) if error.errno in _BUSY else (None, info)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, info
    finally:
        os.close(fd)


def hdf5_lock_held(path: Path) -> bool:
    """True if a process holds HDF5's exclusive lock on the file (a writer without SWMR).

    The shared lock taken here for a moment is the one every SWMR reader takes when it opens.
    """
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        return error.errno in _BUSY
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@dataclass(frozen=True)
class WriterState:
    """Whether the process that marked a file open for writing still runs."""

    state: str  # "closed" (not marked open), "running", "dead" or "unknown"
    info: WriterInfo | None  # who, when known
    how: str  # what told us

    @property
    def running(self) -> bool:
        return self.state == "running"

    def __str__(self) -> str:
        who = f" ({self.info})" if self.info else ""
        return {"closed": "closed", "running": f"running{who}: {self.how}",
                "dead": f"gone{who}: {self.how}", "unknown": f"unknown{who}: {self.how}"}[self.state]


def writer_state(path: str | os.PathLike[str], open_for_write: bool,
                 stored: WriterInfo | None = None) -> WriterState:
    """Whether a file's writer is alive; ``stored`` is the identity read from the file, if it could be."""
    target = Path(path)
    if not open_for_write:
        return WriterState("closed", stored, "the file is not marked open")
    held, info = lock_file_state(target)
    info = info or stored
    if hdf5_lock_held(target):
        return WriterState("running", info, "a process holds HDF5's lock on it")
    if held is True:
        return WriterState("running", info, f"it holds {lock_path(target).name}")
    if held is False:
        return WriterState("dead", info, f"the process that made {lock_path(target).name} ended without closing "
                                         f"the file")
    if stored is None:
        return WriterState("unknown", None, "no lock file and no writer identity in the file (written by an older "
                                            "ace_gentl or another program?)")
    alive = stored.alive()
    if alive is None:
        return WriterState("unknown", stored, f"written from another host and no {lock_path(target).name} to ask")
    if alive:
        return WriterState("running", stored, "that process still runs")
    return WriterState("dead", stored, "that process no longer runs")


__all__ = ["LOCK_SUFFIX", "WriterInfo", "WriterLock", "WriterState", "hdf5_lock_held", "lock_file_state", "lock_path",
           "process_token", "writer_state"]
