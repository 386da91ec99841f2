"""Find GenTL producers (.cti files) and check them before anything loads them.

Discovery follows the GenTL standard: every ``*.cti`` file in the folders of
``GENICAM_GENTL64_PATH`` (``GENICAM_GENTL32_PATH`` for a 32-bit Python), plus paths
the caller names, plus the simulated camera. Validation reads the ELF header and
dynamic symbol table in Python, then loads the file in a child process: a broken
file becomes a :class:`ProducerError` with the reason instead of a crash of this
process or genicam's vague "LoadLibraryException".
"""

from __future__ import annotations

import os
import platform
import struct
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ace_gentl.errors import ProducerError

#: Functions every GenTL consumer needs (GenTL 1.5, chapter 6). A file lacking one is no producer.
REQUIRED_SYMBOLS: tuple[str, ...] = (
    "GCInitLib", "GCCloseLib", "GCGetInfo", "GCGetPortURLInfo", "GCReadPort", "GCWritePort",
    "GCRegisterEvent", "GCUnregisterEvent", "EventGetData", "EventFlush",
    "TLOpen", "TLClose", "TLUpdateInterfaceList", "TLGetNumInterfaces", "TLGetInterfaceID",
    "TLOpenInterface",
    "IFClose", "IFUpdateDeviceList", "IFGetNumDevices", "IFGetDeviceID", "IFGetDeviceInfo",
    "IFOpenDevice",
    "DevClose", "DevGetPort", "DevGetNumDataStreams", "DevGetDataStreamID", "DevOpenDataStream",
    "DSClose", "DSAnnounceBuffer", "DSRevokeBuffer", "DSQueueBuffer", "DSFlushQueue",
    "DSStartAcquisition", "DSStopAcquisition", "DSGetBufferInfo",
)

# e_machine of this interpreter's platform (ELF spec / glibc elf.h).
_MACHINES = {"x86_64": 62, "amd64": 62, "i386": 3, "i686": 3, "aarch64": 183, "arm64": 183,
             "armv7l": 40, "armv6l": 40, "ppc64le": 21, "ppc64": 21, "riscv64": 243, "s390x": 22}
_MACHINE_NAMES = {62: "x86-64", 3: "x86 (32-bit)", 183: "AArch64", 40: "ARM (32-bit)", 21: "PowerPC64",
                  243: "RISC-V", 22: "s390", 8: "MIPS", 20: "PowerPC"}
_ET_DYN = 3
_SHT_DYNSYM = 11
_SHN_UNDEF = 0

_LOAD_CHECK = (
    "import ctypes, sys\n"
    "try:\n"
    "    ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_LOCAL)\n"
    "except OSError as error:\n"
    "    sys.stderr.write(str(error)); sys.exit(3)\n"
)
_LOAD_TIMEOUT_S = 20.0


def gentl_path_variable() -> str:
    """The environment variable that lists producer folders for this interpreter's bitness."""
    return "GENICAM_GENTL64_PATH" if struct.calcsize("P") == 8 else "GENICAM_GENTL32_PATH"


@dataclass
class ProducerSearch:
    """Producer files found, in search order, and the problems met on the way."""

    paths: list[Path] = field(default_factory=list)
    errors: list[ProducerError] = field(default_factory=list)


def find_producers(cti: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
                   *, sim: bool = False, env: bool = True) -> ProducerSearch:
    """Producer files to try: ``cti`` (one path or several), the simulator, then the env folders.

    Paths are made absolute and deduplicated; nothing is loaded. A named file that does not
    exist and an env folder that does not exist are reported in ``errors``.
    """
    search = ProducerSearch()
    seen: set[Path] = set()

    def add(path: Path) -> None:
        resolved = path.expanduser().resolve()
        if resolved not in seen:
            seen.add(resolved)
            search.paths.append(resolved)

    named: list[str | os.PathLike[str]] = []
    if isinstance(cti, (str, os.PathLike)):
        named = [cti]
    elif cti is not None:
        named = list(cti)
    for item in named:
        path = Path(item).expanduser()
        if path.is_dir():
            search.errors.append(ProducerError(str(path), folder_instead_of_file(path)))
        elif not path.is_file():
            search.errors.append(ProducerError(str(path), "file does not exist"))
        else:
            add(path)
    if sim:
        from ace_gentl.sim import cti_path  # the sim package raises SimulatorNotBuiltError itself

        add(cti_path())
    if env:
        variable = gentl_path_variable()
        for folder in filter(None, os.environ.get(variable, "").split(os.pathsep)):
            directory = Path(folder).expanduser()
            if not directory.is_dir():
                search.errors.append(ProducerError(folder, f"folder named on {variable} does not exist"))
                continue
            for entry in sorted(directory.iterdir()):
                if entry.suffix.lower() == ".cti" and entry.is_file():
                    add(entry)
    return search


def folder_instead_of_file(folder: Path) -> str:
    """What to say when a folder is given where a producer file (.cti) is expected."""
    try:
        found = sorted(entry.name for entry in folder.iterdir() if entry.suffix.lower() == ".cti")
    except OSError as error:
        return f"is a folder, not a .cti file (and cannot be listed: {error.strerror or error})"
    if not found:
        return "is a folder, not a .cti file, and holds no .cti file"
    shown = ", ".join(found[:8]) + (f" and {len(found) - 8} more" if len(found) > 8 else "")
    return f"is a folder, not a .cti file; the .cti files in it: {shown} (give one, e.g. --cti {folder / found[0]})"


def _machine_name(code: int) -> str:
    return _MACHINE_NAMES.get(code, f"e_machine {code}")


def _elf_dynamic_symbols(path: Path) -> tuple[int, set[str]]:
    """(e_machine, names of the defined dynamic symbols) of a shared ELF object, or ProducerError."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProducerError(str(path), f"cannot read the file ({error.strerror})") from error
    if data[:4] != b"\x7fELF":
        raise ProducerError(str(path), "not a shared library (no ELF header)")
    elf_class, elf_data = data[4], data[5]
    if elf_class not in (1, 2) or elf_data not in (1, 2):
        raise ProducerError(str(path), "corrupt ELF header")
    is64 = elf_class == 2
    order = "<" if elf_data == 1 else ">"
    try:
        e_type, e_machine = struct.unpack_from(order + "HH", data, 16)
        if is64:
            e_shoff, = struct.unpack_from(order + "Q", data, 40)
            e_shentsize, e_shnum = struct.unpack_from(order + "HH", data, 58)
        else:
            e_shoff, = struct.unpack_from(order + "I", data, 32)
            e_shentsize, e_shnum = struct.unpack_from(order + "HH", data, 46)
        if e_type != _ET_DYN:
            raise ProducerError(str(path), f"ELF file of type {e_type}, not a shared library")
        bits = 64 if is64 else 32
        here = struct.calcsize("P") * 8
        expected = _MACHINES.get(platform.machine().lower())
        if bits != here or (expected is not None and e_machine != expected):
            raise ProducerError(
                str(path),
                f"built for {_machine_name(e_machine)} ({bits}-bit), this Python runs on "
                f"{platform.machine()} ({here}-bit)")
        sections = []
        for i in range(e_shnum):
            off = e_shoff + i * e_shentsize
            if is64:
                _name, sh_type, _flags, _addr, sh_offset, sh_size, sh_link, _info, _align, sh_entsize = \
                    struct.unpack_from(order + "IIQQQQIIQQ", data, off)
            else:
                _name, sh_type, _flags, _addr, sh_offset, sh_size, sh_link, _info, _align, sh_entsize = \
                    struct.unpack_from(order + "IIIIIIIIII", data, off)
            sections.append((sh_type, sh_offset, sh_size, sh_link, sh_entsize))
        names: set[str] = set()
        for sh_type, sh_offset, sh_size, sh_link, sh_entsize in sections:
            if sh_type != _SHT_DYNSYM or not sh_entsize:
                continue
            str_offset = sections[sh_link][1]
            for k in range(sh_size // sh_entsize):
                entry = sh_offset + k * sh_entsize
                if is64:
                    st_name, _st_info, _other, st_shndx = struct.unpack_from(order + "IBBH", data, entry)
                else:
                    st_name, = struct.unpack_from(order + "I", data, entry)
                    st_shndx, = struct.unpack_from(order + "H", data, entry + 14)
                if st_shndx == _SHN_UNDEF or st_name == 0:
                    continue
                end = data.index(b"\0", str_offset + st_name)
                names.add(data[str_offset + st_name:end].decode("ascii", "replace"))
    except (struct.error, IndexError, ValueError) as error:
        raise ProducerError(str(path), f"truncated or corrupt ELF file ({error})") from error
    return e_machine, names


def _check_loads(path: Path) -> None:
    """dlopen the file in a child process, so a crashing constructor cannot take us down."""
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _LOAD_CHECK, str(path)],
                              capture_output=True, text=True, timeout=_LOAD_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        raise ProducerError(str(path), f"loading it did not finish within {_LOAD_TIMEOUT_S:.0f} s") from error
    if done.returncode == 0:
        return
    if done.returncode < 0:
        raise ProducerError(str(path), f"the process crashed while loading it (signal {-done.returncode})")
    reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
    raise ProducerError(str(path), f"the dynamic loader refused it: {reason}")


# Validation costs a child process; remember files that passed, keyed by identity and mtime.
_validated: set[tuple[str, int, int, int]] = set()


def validate_producer(path: str | os.PathLike[str]) -> Path:
    """Return the absolute path of a usable producer, or raise :class:`ProducerError` saying why."""
    resolved = Path(path).expanduser().resolve()
    if not resolved.exists():
        raise ProducerError(str(resolved), "file does not exist")
    if not resolved.is_file():
        raise ProducerError(str(resolved), "not a regular file")
    stat = resolved.stat()
    key = (str(resolved), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key in _validated:
        return resolved
    if platform.system() == "Linux":
        _machine, symbols = _elf_dynamic_symbols(resolved)
        missing = [name for name in REQUIRED_SYMBOLS if name not in symbols]
        if missing:
            shown = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
            raise ProducerError(str(resolved), f"not a GenTL producer: lacks {len(missing)} GenTL "
                                               f"function(s): {shown}")
    _check_loads(resolved)
    _validated.add(key)
    return resolved


__all__ = ["REQUIRED_SYMBOLS", "ProducerSearch", "find_producers", "gentl_path_variable", "validate_producer"]
