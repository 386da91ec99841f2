"""The camera's GenICam description file in a recording: ``<detector>/genicam/device_xml``.

Stored so NeXus tools read it (nexusformat, silx, h5web) and the exact bytes come back: XML text
as a UTF-8 string; a zip archive (or bytes that are not UTF-8 text) as a uint8 array of every
byte, never stripped (a zip's end record ends in zero bytes when it has no comment). Attributes:
``url`` (as the device gave it), ``file_name``, ``encoding`` (:data:`TEXT`, :data:`ZIP` or
:data:`BYTES`) and ``content_type``. Files of earlier versions hold an opaque value (``V<n>``)
of the bytes with trailing zeros stripped; :func:`read` gives those bytes back too.
"""

from __future__ import annotations

import h5py
import numpy as np

#: ``encoding`` attribute values: how the dataset holds the file.
TEXT = "utf-8"  # a UTF-8 string: the XML text
ZIP = "zip"  # uint8: the zip archive's exact bytes
BYTES = "bytes"  # uint8: bytes that are not UTF-8 text, kept exactly
ZIP_MAGIC = b"PK\x03\x04"
#: The fixed part of a zip end-of-central-directory record: signature ... comment length.
_ZIP_END = b"PK\x05\x06"
_ZIP_END_SIZE = 22


def file_name(url: str, data: bytes) -> str:
    """The file name a ``Local:name;address;size`` or ``file:`` URL gives, else one made from the content."""
    scheme, _, rest = url.partition(":")
    if scheme.lower() == "local":
        name = rest.split(";")[0].lstrip("/")
        if name:
            return name
    if scheme.lower() == "file":
        name = rest.split("?")[0].replace("\\", "/").rsplit("/", 1)[-1]
        if name:
            return name
    return "device.zip" if data.startswith(ZIP_MAGIC) else "device.xml"


def write(genicam: h5py.Group, data: bytes, url: str) -> h5py.Dataset:
    """Create ``genicam/device_xml`` from the bytes the device served (before SWMR mode)."""
    text: str | None = None
    if not data.startswith(ZIP_MAGIC) and b"\0" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is not None:
        dataset = genicam.create_dataset("device_xml", data=text, dtype=h5py.string_dtype("utf-8"))
        encoding, content_type = TEXT, "text/xml"
    else:
        zipped = data.startswith(ZIP_MAGIC)
        dataset = genicam.create_dataset("device_xml", data=np.frombuffer(data, np.uint8))
        encoding = ZIP if zipped else BYTES
        content_type = "application/zip" if zipped else "application/octet-stream"
    dataset.attrs["url"] = url
    dataset.attrs["file_name"] = file_name(url, data)
    dataset.attrs["encoding"] = encoding
    dataset.attrs["content_type"] = content_type
    dataset.attrs["description"] = ("the GenICam description file exactly as the device served it"
                                    + ("" if data else " (none could be read: see url)"))
    return dataset


def read(dataset: h5py.Dataset) -> bytes:
    """The description file's bytes, from any layout recordings have used."""
    if dataset.dtype.kind == "V":  # earlier versions: opaque bytes without their trailing zeros
        return complete_zip_end(bytes(dataset[()].tobytes()).rstrip(b"\0"))
    if dataset.dtype.kind in ("u", "i"):
        return bytes(np.asarray(dataset[()], np.uint8).tobytes())
    value = dataset[()]
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def complete_zip_end(data: bytes) -> bytes:
    """A zip archive whose trailing zero bytes were stripped, with its end record completed; other data unchanged."""
    if not data.startswith(ZIP_MAGIC):
        return data
    end = data.rfind(_ZIP_END)
    if end < 0:
        return data
    fixed = data + b"\0" * max(0, end + _ZIP_END_SIZE - len(data))
    comment = int.from_bytes(fixed[end + 20:end + _ZIP_END_SIZE], "little")
    return fixed + b"\0" * max(0, end + _ZIP_END_SIZE + comment - len(fixed))


def trim_padding(data: bytes) -> bytes:
    """A description file read from a register space of the URL's size, without the padding after it.

    XML text ends at its last non-zero byte. A zip archive ends with its end-of-central-directory
    record, whose last bytes (the comment length) are zeros when there is no comment: stripping
    zeros would cut it, so the archive is cut after that record (the last one, as zip readers find it).
    """
    if not data.startswith(ZIP_MAGIC):
        return data.rstrip(b"\0")
    end = data.rfind(_ZIP_END)
    if end < 0 or end + _ZIP_END_SIZE > len(data):
        return data  # no complete end record: keep every byte
    comment = int.from_bytes(data[end + 20:end + _ZIP_END_SIZE], "little")
    return data[:min(len(data), end + _ZIP_END_SIZE + comment)]


__all__ = ["BYTES", "TEXT", "ZIP", "complete_zip_end", "file_name", "read", "trim_padding", "write"]
