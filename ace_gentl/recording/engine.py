"""The hardware side of a recording: what the camera will deliver, and the frames themselves.

Kept apart from the :class:`~ace_gentl.recording.recorder.Recorder` (which owns the threads,
the stop conditions and the file), like pymmcore-plus keeps its engine apart from its runner:
tests and other front ends can drive a Recorder with another engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from ace_gentl import pixels
from ace_gentl.errors import FeatureError
from ace_gentl.frames import Frame
from ace_gentl.recording import layout
from ace_gentl.session import Session

_CHUNK_CONTROLS = frozenset({"ChunkModeActive", "ChunkSelector", "ChunkEnable"})
DEFAULT_BUFFERS = 8


class Engine(Protocol):
    """What a Recorder needs from the thing that delivers frames."""

    session: Session

    def geometry(self) -> layout.Geometry: ...
    def chunk_fields(self) -> tuple[list[layout.Field], dict[str, Any]]: ...
    def frames(self) -> Iterator[Frame]: ...
    def stop(self) -> None: ...


def significant_bits(pixel_format: str, container_bits: int) -> int:
    """12 for Mono12/Mono12p/BayerRG12, 8 for RGB8, ...: the number in the PFNC name."""
    match = re.search(r"(\d+)", pixel_format)
    return int(match.group(1)) if match else container_bits


class CameraEngine:
    """Frames from a :class:`Session`, zero-copy: the caller copies ``frame.data`` and releases it."""

    def __init__(self, session: Session, *, num_buffers: int = DEFAULT_BUFFERS, timeout: float | None = None) -> None:
        self.session = session
        self.num_buffers = num_buffers
        self.timeout = timeout
        self._started_here = False

    def geometry(self) -> layout.Geometry:
        features = self.session.features
        fmt = pixels.lookup(str(features["PixelFormat"]))
        height, width = int(features["Height"]), int(features["Width"])
        shape = (height, width) if fmt.channels == 1 else (height, width, fmt.channels)
        return layout.Geometry(shape=shape, dtype=np.dtype(fmt.dtype), pixel_format=fmt.name,
                               bits=significant_bits(fmt.name, fmt.bits))

    def chunk_fields(self) -> tuple[list[layout.Field], dict[str, Any]]:
        """Per-frame datasets for every enabled numeric chunk, and the chunk selectors' values.

        Decided before the run starts: the SWMR file cannot get new datasets later.
        """
        features = self.session.features
        if "ChunkModeActive" not in features or not features["ChunkModeActive"]:
            return [], {}
        enabled: set[str] | None = None
        if "ChunkSelector" in features and "ChunkEnable" in features:
            enabled = {str(entry) for entry in features.selector_values("ChunkSelector")
                       if features.read("ChunkEnable", ChunkSelector=entry)}
        fields: list[layout.Field] = []
        selectors: dict[str, Any] = {}
        for name in features:
            if not name.startswith("Chunk") or name in _CHUNK_CONTROLS:
                continue
            info = features.describe(name)
            short = name.removeprefix("Chunk")
            if name.endswith("Selector"):
                try:
                    selectors[short] = features[name]
                except FeatureError as error:  # kept in the file as the reason
                    selectors[short] = f"<unreadable: {error}>"
                continue
            if info.type not in ("Integer", "Float", "Boolean"):
                continue
            if enabled is not None and short not in enabled:
                continue
            fields.append(layout.chunk_field(short, info.type, info.unit or ""))
        return fields, selectors

    def frames(self) -> Iterator[Frame]:
        """Start acquisition with enough buffers and yield frames that still hold their buffer."""
        if not self.session.streaming:
            self.session.start(self.num_buffers)
            self._started_here = True
        timeout = self.session.default_timeout() if self.timeout is None else self.timeout
        # The Session does not stop a stream it did not start; stop() below does.
        return self.session.frames(timeout, copy=False)

    def stop(self) -> None:
        if self._started_here and self.session.streaming:
            self.session.stop()
        self._started_here = False


__all__ = ["CameraEngine", "DEFAULT_BUFFERS", "Engine", "significant_bits"]
