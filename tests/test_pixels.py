"""Pixel decoding against byte strings built here, bit by bit, from the PFNC / GigE Vision text.

The packers below are deliberately naive (Python loops over bits) and share no code with
ace_gentl.pixels, so a wrong shift or mask in the vectorised decoder shows up.
"""

from __future__ import annotations

import numpy as np
import pytest

from ace_gentl import pixels
from ace_gentl.errors import AceGentlError, PixelFormatError

RNG = np.random.default_rng(1234)


def pack_lsb(values: list[int], bits: int) -> bytes:
    """PFNC 'p' formats: pixels back to back, least significant bit first, no padding between pixels."""
    out = bytearray()
    accumulator = filled = 0
    for value in values:
        accumulator |= value << filled
        filled += bits
        while filled >= 8:
            out.append(accumulator & 0xFF)
            accumulator >>= 8
            filled -= 8
    if filled:
        out.append(accumulator)
    return bytes(out)


def pack_gige(values: list[int], bits: int) -> bytes:
    """GigE Vision Mono10Packed / Mono12Packed: 2 pixels in 3 bytes, high bits in bytes 0 and 2."""
    low = bits - 8
    out = bytearray()
    padded = values + [0] * (len(values) % 2)
    for p0, p1 in zip(padded[0::2], padded[1::2]):
        mask = (1 << low) - 1
        unused = 0xCC if low == 2 else 0  # Mono10Packed: bits 2-3 and 6-7 of byte 1 are unused; set them
        out += bytes([p0 >> low, (p0 & mask) | ((p1 & mask) << 4) | unused, p1 >> low])  # to catch missing masks
    return bytes(out[: (len(values) * 12 + 7) // 8])


def image(width: int, height: int, bits: int) -> np.ndarray:
    return RNG.integers(0, 1 << bits, size=(height, width), dtype=np.uint16)


# Odd sizes on purpose: the last group of a packed row is incomplete.
SIZES = [(1, 1), (3, 1), (5, 3), (17, 9), (64, 4), (333, 7)]


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("name,bits", [("Mono10p", 10), ("Mono12p", 12)])
def test_lsb_packed(name: str, bits: int, width: int, height: int) -> None:
    expected = image(width, height, bits)
    data = pack_lsb(expected.ravel().tolist(), bits)
    assert len(data) == pixels.frame_bytes(name, width, height)
    decoded = pixels.decode(data, name, width, height)
    assert decoded.dtype == np.uint16 and decoded.shape == (height, width)
    np.testing.assert_array_equal(decoded, expected)


@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("name,bits", [("Mono10Packed", 10), ("Mono12Packed", 12)])
def test_gige_packed(name: str, bits: int, width: int, height: int) -> None:
    expected = image(width, height, bits)
    data = pack_gige(expected.ravel().tolist(), bits)
    np.testing.assert_array_equal(pixels.decode(data, name, width, height), expected)


def test_gige_layout_by_hand() -> None:
    # GigE Vision 2.0, Mono12Packed: 0xABC, 0x123 -> AB, 3C, 12; Mono10Packed: 0x2AB, 0x1CD -> AA, 13, 73
    assert pixels.decode(bytes([0xAB, 0x3C, 0x12]), "Mono12Packed", 2, 1).tolist() == [[0xABC, 0x123]]
    assert pixels.decode(bytes([0xAA, 0x13, 0x73]), "Mono10Packed", 2, 1).tolist() == [[0x2AB, 0x1CD]]
    # PFNC Mono12p: 0xABC, 0x123 -> BC, 3A, 12
    assert pixels.decode(bytes([0xBC, 0x3A, 0x12]), "Mono12p", 2, 1).tolist() == [[0xABC, 0x123]]


def test_large_packed_crosses_blocks() -> None:
    width, height = 1030, 300  # more pixels than one block, rows not a multiple of the group
    expected = image(width, height, 12)
    data = pack_lsb(expected.ravel().tolist(), 12)
    np.testing.assert_array_equal(pixels.decode(data, "Mono12p", width, height), expected)
    expected10 = image(width, height, 10)
    np.testing.assert_array_equal(
        pixels.decode(pack_lsb(expected10.ravel().tolist(), 10), "Mono10p", width, height), expected10)


@pytest.mark.parametrize("name,bits", [("Mono10", 10), ("Mono12", 12), ("Mono14", 14), ("Mono16", 16),
                                       ("BayerRG10", 10), ("BayerBG12", 12), ("BayerGB16", 16)])
def test_unpacked_16bit_little_endian(name: str, bits: int) -> None:
    expected = image(7, 5, bits)
    data = b"".join(int(v).to_bytes(2, "little") for v in expected.ravel())
    decoded = pixels.decode(data, name, 7, 5)
    assert decoded.dtype == np.uint16
    np.testing.assert_array_equal(decoded, expected)


@pytest.mark.parametrize("name,pattern", [("BayerGR8", "GR"), ("BayerRG8", "RG"), ("BayerGB8", "GB"),
                                          ("BayerBG8", "BG"), ("BayerRG12", "RG")])
def test_bayer_is_raw_with_pattern(name: str, pattern: str) -> None:
    assert pixels.lookup(name).bayer == pattern
    if name.endswith("8"):
        data = bytes(range(12))
        np.testing.assert_array_equal(pixels.decode(data, name, 4, 3), np.arange(12, dtype=np.uint8).reshape(3, 4))


def test_unpacked_is_a_view_unless_copied() -> None:
    data = bytearray(range(6))
    view = pixels.decode(data, "Mono8", 3, 2)
    data[0] = 99
    assert view[0, 0] == 99
    copied = pixels.decode(data, "Mono8", 3, 2, copy=True)
    data[0] = 1
    assert copied[0, 0] == 99


@pytest.mark.parametrize("name,order", [("RGB8", [0, 1, 2]), ("BGR8", [0, 1, 2]), ("RGBa8", [0, 1, 2, 3]),
                                        ("BGRa8", [0, 1, 2, 3])])
def test_colour_channels_in_delivered_order(name: str, order: list[int]) -> None:
    channels = len(order)
    data = bytes(range(2 * 3 * channels))
    decoded = pixels.decode(data, name, 3, 2)
    assert decoded.shape == (2, 3, channels) and decoded.dtype == np.uint8
    # pixel (1, 2) starts at byte (1*3+2)*channels; channel c is the c-th byte of the pixel
    assert decoded[1, 2].tolist() == [(5 * channels) + c for c in order]
    assert pixels.lookup(name).order == name[:-1]


@pytest.mark.parametrize("name,layout", [("YUV422_8", "Y0 U Y1 V"), ("YCbCr422_8", "Y0 U Y1 V"),
                                         ("YUV422_8_UYVY", "U Y0 V Y1"), ("YCbCr422_8_CbYCrY", "U Y0 V Y1")])
def test_yuv422(name: str, layout: str) -> None:
    samples = {"Y0": 10, "Y1": 20, "U": 128, "V": 200}
    quad = bytes(samples[s] for s in layout.split())
    data = quad + bytes(samples[s] + 1 for s in layout.split())  # second pair: every sample + 1
    decoded = pixels.decode(data, name, 4, 1)
    assert decoded.shape == (1, 4, 3)
    assert decoded[0].tolist() == [[10, 128, 200], [20, 128, 200], [11, 129, 201], [21, 129, 201]]
    with pytest.raises(PixelFormatError, match="odd"):
        pixels.decode(data[:6], name, 3, 1)


def test_lookup_by_code_and_unknown_format_named() -> None:
    assert pixels.lookup(0x010C0047).name == "Mono12p"
    with pytest.raises(PixelFormatError, match="Mono10s|YCbCr411_8|not supported") as info:
        pixels.decode(b"\0" * 100, "YCbCr411_8", 4, 4)
    assert "YCbCr411_8" in str(info.value)
    assert isinstance(info.value, AceGentlError)
    with pytest.raises(PixelFormatError, match="0x0110FFFF"):
        pixels.lookup(0x0110FFFF)


def test_short_buffer_is_an_error_not_garbage() -> None:
    with pytest.raises(PixelFormatError, match="needs 6 bytes, the buffer holds 5"):
        pixels.decode(b"\0" * 5, "Mono12p", 2, 2)


@pytest.mark.parametrize("name,bits", [("Mono10p", 10), ("Mono12p", 12), ("Mono10Packed", 10), ("Mono12Packed", 12)])
@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 8, 9, 13, 1001])
def test_packed_decoding_never_reads_past_the_source(name: str, bits: int, count: int) -> None:
    """The source ends right before a page the process may not read: an overread would crash the test."""
    import ctypes
    import mmap

    values = RNG.integers(0, 1 << bits, size=count, dtype=np.uint16)
    data = (pack_lsb if name.endswith("p") else pack_gige)(values.tolist(), bits)
    page = mmap.PAGESIZE
    area = mmap.mmap(-1, 2 * page, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(area))
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.mprotect(ctypes.c_void_p(base + page), ctypes.c_size_t(page), 0) == 0  # PROT_NONE
    try:
        start = page - len(data)
        area[start:page] = data
        source = np.frombuffer(area, np.uint8, count=len(data), offset=start)
        decoded = pixels.decode(source, name, count, 1)
        np.testing.assert_array_equal(decoded.ravel(), values)
        del source, decoded
    finally:
        libc.mprotect(ctypes.c_void_p(base + page), ctypes.c_size_t(page), mmap.PROT_READ | mmap.PROT_WRITE)
        area.close()
