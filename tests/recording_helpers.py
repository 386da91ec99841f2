"""Helpers shared by the recording tests: camera set-up and the exact test-image formulas (cti/TEST_IMAGES.md)."""

from __future__ import annotations

import numpy as np

import ace_gentl

#: A small ROI keeps the many format x compression recordings fast; offsets make the formula non-trivial.
ROI = {"Width": 256, "Height": 64, "OffsetX": 16, "OffsetY": 8}
BITS = {"Mono8": 8, "Mono12": 12, "Mono12p": 12}
CHUNKS = ("Timestamp", "ExposureTime", "Gain", "LineStatusAll", "CounterValue", "PayloadCRC16")


def configure(session: ace_gentl.Session, *, pixel_format: str = "Mono8", image: str = "Testimage1",
              roi: dict[str, int] | None = None, unthrottled: bool = True, chunks: bool = False) -> None:
    features = session.features
    features["PixelFormat"] = pixel_format
    for name in ("OffsetX", "OffsetY"):
        features[name] = 0
    for name, value in (roi or ROI).items():
        if name.startswith("Offset"):
            continue
        features[name] = value
    for name, value in (roi or ROI).items():
        if name.startswith("Offset"):
            features[name] = value
    features["TestImageSelector"] = image
    features["ChunkModeActive"] = chunks
    if chunks:
        for selector in CHUNKS:
            session.set("ChunkEnable", True, ChunkSelector=selector)
    session.device_features["SimUnthrottled"] = unthrottled


def expected_frame(image: str, frame_id: int, shape: tuple[int, int], offset: tuple[int, int], bits: int,
                   ) -> np.ndarray:
    """The exact pixels of a test image (TEST_IMAGES.md section 2), no reverse, binning 1."""
    y = np.arange(shape[0], dtype=np.uint64)[:, None] + np.uint64(offset[1])
    x = np.arange(shape[1], dtype=np.uint64)[None, :] + np.uint64(offset[0])
    f = np.uint64(frame_id)
    top = np.uint64((1 << bits) - 1)
    if image == "Testimage1":
        value = (x + y + f) & top
    elif image == "Testimage3":
        value = np.broadcast_to((y + f) & top, (shape[0], shape[1]))
    elif image == "Testimage5":
        value = np.full(shape, f & top, dtype=np.uint64)
    else:
        raise ValueError(f"no formula here for {image}")
    return value

