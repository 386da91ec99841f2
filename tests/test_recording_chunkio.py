"""Uncompressed full frames written at their chunk's address around the page cache (O_DIRECT), and the fallbacks."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from ace_gentl.recording import chunkio, compression, layout, metadata
from ace_gentl.recording.writer import FrameWriter, chunk_checksum, find_detector
from test_recording_writer import filesystem_type, resident_fraction

# 1000 x 1100 uint16: 2,200,000 bytes, not a multiple of 4096, so every chunk also has a tail.
SHAPE = (1000, 1100)


def frames(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    return [rng.integers(0, 4096, size=SHAPE, dtype=np.uint16) for _ in range(count)]


def record(path: Path, images: list[np.ndarray], *, drop_page_cache: bool = True, name: str = "none") -> FrameWriter:
    geometry = layout.Geometry(shape=SHAPE, dtype=np.dtype(np.uint16), pixel_format="Mono12", bits=12)
    writer = FrameWriter(path, geometry=geometry, compression=compression.parse(name), chunks=None,
                         fields=list(layout.BASE_FIELDS), static=metadata.StaticMetadata.without_camera("chunkio test"),
                         config={}, overwrite=True, drop_page_cache=drop_page_cache)
    writer.open()
    try:
        for index, image in enumerate(images):
            writer.write(image, {"frame_id": index + 1})
    except BaseException:
        writer.abandon()
        raise
    return writer


def read_back(path: Path) -> tuple[np.ndarray, np.ndarray, h5py.Dataset]:
    with h5py.File(path, "r") as file:
        detector = find_detector(file)
        data = detector["data"]
        offsets = [data.id.get_chunk_info(i).byte_offset for i in range(data.id.get_num_chunks())]
        return data[...], detector[layout.CHECKSUM][...], np.array(offsets)


def test_uncompressed_frames_are_stored_exactly_at_aligned_chunks(tmp_path: Path) -> None:
    images = frames(12)
    path = tmp_path / "direct.h5"
    writer = record(path, images)
    writer.close("complete", {"frames_written": len(images)})
    data, checksums, offsets = read_back(path)
    assert data.shape == (12, *SHAPE)
    assert all(np.array_equal(stored, image) for stored, image in zip(data, images))
    assert list(checksums) == [chunk_checksum(image) for image in images]
    assert all(offset % chunkio.ALIGNMENT == 0 for offset in offsets), offsets


def test_small_or_compressed_chunks_go_through_hdf5(tmp_path: Path) -> None:
    assert chunkio.suits((1, *SHAPE), SHAPE, np.uint16, "none")
    assert not chunkio.suits((1, 64, 64), (64, 64), np.uint16, "none")  # 8 KiB: nothing to gain
    assert not chunkio.suits((1, *SHAPE), SHAPE, np.uint16, "blosc-lz4")
    assert not chunkio.suits((1, 500, 1100), SHAPE, np.uint16, "none")  # not one frame per chunk
    writer = record(tmp_path / "lz4.h5", frames(3), name="blosc-lz4")
    assert all(stream.chunk_file is None for stream in writer.streams)
    writer.close("complete", {"frames_written": 3})


def test_direct_frames_do_not_fill_the_page_cache(tmp_path: Path) -> None:
    kind = filesystem_type(tmp_path)
    if kind not in ("ext4", "xfs", "btrfs"):
        pytest.skip(f"{tmp_path} is on {kind or 'an unknown filesystem'}: O_DIRECT not checked there")
    path = tmp_path / "kept.h5"
    writer = record(path, frames(30), drop_page_cache=False)  # no advice: only O_DIRECT keeps pages out
    try:
        assert writer.streams[0].chunk_file is not None and writer.streams[0].chunk_file.direct
        fraction = resident_fraction(path)
    finally:
        writer.close("complete", {"frames_written": 30})
    # What may stay: each frame's 464-byte tail page and HDF5's metadata, a few percent at most.
    assert fraction < 0.05, f"{fraction:.0%} of the file in the page cache although its chunks went around it"


def test_without_o_direct_the_same_bytes_go_through_the_page_cache(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    opened = os.open

    def refuse_direct(path: str, flags: int, *args: object) -> int:
        if flags & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return opened(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse_direct)
    images = frames(5)
    path = tmp_path / "buffered.h5"
    writer = record(path, images)
    chunk_file = writer.streams[0].chunk_file
    assert chunk_file is not None and not chunk_file.direct
    writer.close("complete", {"frames_written": 5})
    data, _, _ = read_back(path)
    assert all(np.array_equal(stored, image) for stored, image in zip(data, images))


def test_a_refused_direct_write_falls_back_and_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "chunks.bin"
    chunk_bytes = 3 * chunkio.ALIGNMENT + 100
    path.write_bytes(b"")
    chunk_file = chunkio.ChunkFile(path, chunk_bytes)
    if not chunk_file.direct:
        pytest.skip("no O_DIRECT on this file system")
    written = os.pwrite
    direct_fd = chunk_file._direct_fd

    def refuse(fd: int, data: object, offset: int) -> int:
        if fd == direct_fd:
            raise OSError(errno.EINVAL, "Invalid argument")
        return written(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", refuse)
    payload = np.arange(chunk_bytes, dtype=np.uint64).astype(np.uint8)
    assert chunk_file.write(chunkio.ALIGNMENT, payload) == chunk_bytes  # all of it through the page cache
    assert not chunk_file.direct
    chunk_file.close()
    assert path.read_bytes()[chunkio.ALIGNMENT:] == payload.tobytes()


def test_chunk_file_copies_only_unaligned_frames_and_checks_sizes(tmp_path: Path) -> None:
    path = tmp_path / "chunks.bin"
    path.write_bytes(b"")
    chunk_bytes = 2 * chunkio.ALIGNMENT
    chunk_file = chunkio.ChunkFile(path, chunk_bytes)
    if not chunk_file.direct:
        pytest.skip("no O_DIRECT on this file system")
    aligned = chunkio.aligned_empty(chunk_bytes)
    aligned[:] = 7
    assert chunk_file.write(0, aligned) == 0
    assert chunk_file._staging is None  # written from the caller's memory
    unaligned = np.full(chunk_bytes + 1, 9, np.uint8)[1:]
    assert chunk_file.write(chunk_bytes, unaligned) == 0
    assert chunk_file._staging is not None
    with pytest.raises(ValueError, match="8192 bytes was expected, not 100"):
        chunk_file.write(0, b"x" * 100)
    chunk_file.close()
    assert path.read_bytes() == bytes([7] * chunk_bytes + [9] * chunk_bytes)


def test_a_failed_chunk_write_leaves_no_frame_that_is_not_on_disk(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = chunkio.ChunkFile.write

    def full_at_fourth(self: chunkio.ChunkFile, address: int, payload: np.ndarray) -> int:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, address, payload)

    monkeypatch.setattr(chunkio.ChunkFile, "write", full_at_fourth)
    images = frames(6)
    path = tmp_path / "full.h5"
    geometry = layout.Geometry(shape=SHAPE, dtype=np.dtype(np.uint16), pixel_format="Mono12", bits=12)
    writer = FrameWriter(path, geometry=geometry, compression=compression.parse("none"), chunks=None,
                         fields=list(layout.BASE_FIELDS), static=metadata.StaticMetadata.without_camera("chunkio test"),
                         config={}, overwrite=True)
    writer.open()
    for index in range(3):
        writer.write(images[index], {"frame_id": index + 1})
    with pytest.raises(OSError, match="No space left"):
        writer.write(images[3], {"frame_id": 4})
    writer.close("disk full", {"frames_written": 3})
    data, _, _ = read_back(path)
    assert data.shape == (3, *SHAPE)
    assert all(np.array_equal(stored, image) for stored, image in zip(data, images[:3]))
