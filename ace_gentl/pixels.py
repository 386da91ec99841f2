"""Decode PFNC pixel formats into numpy arrays.

Unpacked formats (Mono8/10/12/14/16, RGB8, Bayer*8/16, ...) are returned as views on the
buffer (no copy). Packed formats (Mono10p, Mono12p, Mono10Packed, Mono12Packed) are unpacked
in one pass by a small C kernel that releases the GIL (``csrc/unpack.c``;
``benchmarks/bench_pixels.py`` measures it against plain numpy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ace_gentl._native import unpack_module
from ace_gentl.errors import PixelFormatError

_unpack = unpack_module()

Buffer = bytes | bytearray | memoryview | np.ndarray


@dataclass(frozen=True)
class PixelFormat:
    """A PFNC pixel format and how it is laid out in memory."""

    name: str
    code: int
    bits: int  # bits per pixel in the buffer
    channels: int  # samples per output pixel
    dtype: type[np.generic]  # dtype of the decoded array
    packing: str = "none"  # none, lsb (PFNC "p" formats), gige (Mono10Packed/Mono12Packed), yuv422
    bayer: str | None = None  # the colour filter pattern of a raw Bayer format (RG, GR, GB, BG)
    order: str = ""  # channel order of multi-channel formats (RGB, BGR, RGBa, YCbCr, ...)

    @property
    def bytes_per_pixel(self) -> float:
        return self.bits / 8


def _f(name: str, code: int, bits: int, channels: int = 1, dtype: type[np.generic] = np.uint8,
       packing: str = "none", bayer: str | None = None, order: str = "") -> PixelFormat:
    return PixelFormat(name, code, bits, channels, dtype, packing, bayer, order)


_TABLE = [
    _f("Mono8", 0x01080001, 8), _f("Mono10", 0x01100003, 16, dtype=np.uint16),
    _f("Mono12", 0x01100005, 16, dtype=np.uint16), _f("Mono14", 0x01100025, 16, dtype=np.uint16),
    _f("Mono16", 0x01100007, 16, dtype=np.uint16),
    _f("Mono10p", 0x010A0046, 10, dtype=np.uint16, packing="lsb"),
    _f("Mono12p", 0x010C0047, 12, dtype=np.uint16, packing="lsb"),
    _f("Mono10Packed", 0x010C0004, 12, dtype=np.uint16, packing="gige"),
    _f("Mono12Packed", 0x010C0006, 12, dtype=np.uint16, packing="gige"),
    _f("RGB8", 0x02180014, 24, 3, order="RGB"), _f("BGR8", 0x02180015, 24, 3, order="BGR"),
    _f("RGBa8", 0x02200016, 32, 4, order="RGBa"), _f("BGRa8", 0x02200017, 32, 4, order="BGRa"),
    _f("YUV422_8", 0x02100032, 16, 3, packing="yuv422", order="YUYV"),
    _f("YUV422_8_UYVY", 0x0210001F, 16, 3, packing="yuv422", order="UYVY"),
    _f("YCbCr422_8", 0x0210003B, 16, 3, packing="yuv422", order="YUYV"),
    _f("YCbCr422_8_CbYCrY", 0x02100043, 16, 3, packing="yuv422", order="UYVY"),
]
for _pattern, _c8, _c10, _c12, _c16 in (("GR", 0x01080008, 0x0110000C, 0x01100010, 0x0110002E),
                                        ("RG", 0x01080009, 0x0110000D, 0x01100011, 0x0110002F),
                                        ("GB", 0x0108000A, 0x0110000E, 0x01100012, 0x01100030),
                                        ("BG", 0x0108000B, 0x0110000F, 0x01100013, 0x01100031)):
    _TABLE += [_f(f"Bayer{_pattern}8", _c8, 8, bayer=_pattern),
               _f(f"Bayer{_pattern}10", _c10, 16, dtype=np.uint16, bayer=_pattern),
               _f(f"Bayer{_pattern}12", _c12, 16, dtype=np.uint16, bayer=_pattern),
               _f(f"Bayer{_pattern}16", _c16, 16, dtype=np.uint16, bayer=_pattern)]

FORMATS: dict[str, PixelFormat] = {f.name: f for f in _TABLE}
BY_CODE: dict[int, PixelFormat] = {f.code: f for f in _TABLE}


def lookup(pixel_format: str | int) -> PixelFormat:
    """The format for a PFNC name or code; PixelFormatError naming it if it is not supported."""
    found = FORMATS.get(pixel_format) if isinstance(pixel_format, str) else BY_CODE.get(int(pixel_format))
    if found is None:
        shown = pixel_format if isinstance(pixel_format, str) else f"PFNC code 0x{int(pixel_format):08X}"
        raise PixelFormatError(f"pixel format {shown} is not supported; supported: {', '.join(FORMATS)}")
    return found


def frame_bytes(pixel_format: str | int, width: int, height: int) -> int:
    """Bytes of one unpadded image."""
    fmt = lookup(pixel_format)
    return (width * height * fmt.bits + 7) // 8


# --- packed formats: unpacked in one pass by the C kernel (csrc/unpack.c), without the GIL -------

_KERNELS = {"Mono12p": 0, "Mono12Packed": 1, "Mono10p": 2, "Mono10Packed": 3}


def decode_capacity(pixel_format: str | int, width: int, height: int) -> int:
    """Elements an ``out`` array for :func:`decode` needs (``width * height * channels``)."""
    fmt = lookup(pixel_format)
    return width * height * fmt.channels


def _decode_packed(data: np.ndarray, fmt: PixelFormat, pixels: int, out: np.ndarray | None = None) -> np.ndarray:
    """Unpack ``pixels`` pixels of a packed format into a flat uint16 array (``out``, or a new one)."""
    if out is None:
        out = np.empty(pixels, dtype=np.uint16)
    _unpack.unpack(_KERNELS[fmt.name], data, out[:pixels], pixels)
    return out[:pixels]


def _decode_yuv422(data: np.ndarray, fmt: PixelFormat, width: int, height: int) -> np.ndarray:
    if width % 2:
        raise PixelFormatError(f"{fmt.name}: width {width} is odd; 4:2:2 needs pairs of pixels")
    quads = data[: width * height * 2].reshape(height, width // 2, 4)
    y0, c0, y1, c1 = (0, 1, 2, 3) if fmt.order == "YUYV" else (1, 0, 3, 2)
    out = np.empty((height, width // 2, 2, 3), dtype=np.uint8)
    out[:, :, 0, 0] = quads[:, :, y0]
    out[:, :, 1, 0] = quads[:, :, y1]
    out[:, :, :, 1] = quads[:, :, c0, None]  # chroma is shared by the two pixels of a pair
    out[:, :, :, 2] = quads[:, :, c1, None]
    return out.reshape(height, width, 3)


def decode(data: Buffer, pixel_format: str | int, width: int, height: int, *, copy: bool = False,
           out: np.ndarray | None = None) -> np.ndarray:
    """The image in ``data`` as an array of shape (height, width) or (height, width, channels).

    Unpacked formats give a view on ``data`` unless ``copy``; packed and 4:2:2 formats
    always give a new array. Mono/Bayer >8 bit come as uint16 with the values as
    delivered (not shifted); Bayer stays raw (the pattern is ``lookup(fmt).bayer``);
    4:2:2 gives Y, Cb, Cr planes with each chroma sample repeated for its two pixels.

    ``out``: a flat, C-contiguous array of the decoded dtype with at least
    :func:`decode_capacity` elements, reused instead of a new array (a recording decodes into
    memory touched before the run: a fresh 25 MB array costs up to 100 ms of page faults on a
    VM). The result is then a view on ``out``.
    """
    fmt = lookup(pixel_format)
    if width <= 0 or height <= 0:
        raise PixelFormatError(f"{fmt.name}: image size {width}x{height} is empty")
    raw = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data.reshape(-1).view(np.uint8)
    needed = frame_bytes(fmt.name, width, height)
    if raw.size < needed:
        raise PixelFormatError(
            f"{fmt.name} {width}x{height} needs {needed} bytes, the buffer holds {raw.size}")
    pixels = width * height
    if out is not None:
        capacity = decode_capacity(fmt.name, width, height)
        if out.dtype != fmt.dtype or out.ndim != 1 or not out.flags.c_contiguous or out.size < capacity:
            raise PixelFormatError(f"{fmt.name} {width}x{height}: out must be a flat contiguous {np.dtype(fmt.dtype)} "
                                   f"array of at least {capacity} elements, not {out.dtype} {out.shape}")
    if fmt.packing in ("lsb", "gige"):
        return _decode_packed(raw, fmt, pixels, out).reshape(height, width)
    if fmt.packing == "yuv422":
        decoded = _decode_yuv422(raw, fmt, width, height)
        if out is None:
            return decoded
        target = out[:decoded.size].reshape(decoded.shape)
        np.copyto(target, decoded)
        return target
    shape = (height, width, fmt.channels) if fmt.channels > 1 else (height, width)
    array = raw[:needed].view(np.dtype(fmt.dtype).newbyteorder("<")).reshape(shape)
    if out is not None:
        target = out[:array.size].reshape(shape)
        np.copyto(target, array)  # also converts from little endian on big-endian hosts
        return target
    if not np.little_endian:  # PFNC data is little endian; give native values
        return array.astype(fmt.dtype)
    return array.copy() if copy else array

__all__ = ["BY_CODE", "FORMATS", "PixelFormat", "decode", "decode_capacity", "frame_bytes", "lookup"]
