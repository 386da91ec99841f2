"""Known limits of ace_gentl that the contract suite meets, each detected on the camera itself.

A test that meets one is marked xfail (strict, with the exceptions the limit raises): it still
runs, it must fail the known way, and it fails loudly (XPASS strict) once the limit is fixed,
which is the signal to delete that limit here. Nothing is listed by target name: each limit is
a condition on the node map or on the frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import ace_gentl
from ace_gentl.errors import AceGentlError


@dataclass(frozen=True)
class KnownLimit:
    reason: str
    raises: tuple[type[BaseException], ...]


#: frames.py / backend.py: Harvesters' ImageAcquirer.start() executes node_map.AcquisitionStart unconditionally.
NO_ACQUISITION_START = KnownLimit(
    "frames.py/backend.py bug: the node map has no AcquisitionStart; Harvesters 1.4.3 ImageAcquirer.start() "
    "runs DSStartAcquisition, then remote_device.node_map.AcquisitionStart.execute() and raises a bare "
    "AttributeError ('Node not existing') that Stream.start does not translate; ImageAcquirer.stop() does the "
    "same with AcquisitionStop, so Session.close() raises AttributeError too (the CLI prints a traceback)",
    (AttributeError,))
#: frames.py / backend.py: Harvesters' start() reads AcquisitionMode and catches only GenTL errors.
UNREADABLE_ACQUISITION_MODE = KnownLimit(
    "frames.py/backend.py: AcquisitionMode holds a value no entry names and is read-only; Harvesters 1.4.3 "
    "ImageAcquirer.start() reads AcquisitionMode.value, gets GenApi's PropertyException (it catches only GenTL "
    "errors and AttributeError) and acquisition cannot start (AcquisitionError)",
    (ace_gentl.AcquisitionError,))
#: recording/: the lead is changing the recorder to take the geometry from the first delivered frame.
RECORDER_GEOMETRY = KnownLimit(
    "recording/ (being changed by the lead): the recorder takes the frame shape from the node map's "
    "Width/Height/PixelFormat, which here are missing or differ from the delivered frames (a foreign XML over "
    "fresh register memory); when Width reads 0 a ValueError ('chunks must be 3 positive sizes') escapes",
    (AceGentlError, ValueError))


def stream_limits(session: ace_gentl.Session) -> list[KnownLimit]:
    """Limits that stop acquisition from starting at all on this camera."""
    features = session.features
    found = []
    if "AcquisitionStart" not in features:
        found.append(NO_ACQUISITION_START)
    if "AcquisitionMode" in features and not isinstance(features.value_or("AcquisitionMode", ""), str):
        found.append(UNREADABLE_ACQUISITION_MODE)
    return found


def node_map_geometry(session: ace_gentl.Session) -> tuple[object, object, object]:
    """(Width, Height, PixelFormat) as the node map says now (None where it cannot say)."""
    features = session.features
    return tuple(features.value_or(name) for name in ("Width", "Height", "PixelFormat"))  # type: ignore[return-value]


def recording_limits(session: ace_gentl.Session, frame: ace_gentl.Frame | None) -> list[KnownLimit]:
    """Limits a recording meets: the node map's geometry is not the delivered frame's (or, with no frame to
    compare, is not a whole geometry: a Width, Height or PixelFormat missing, zero or unnamed)."""
    width, height, pixel_format = geometry = node_map_geometry(session)
    if frame is not None:
        differs = geometry != (frame.width, frame.height, frame.pixel_format)
    else:
        differs = not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0
                       and isinstance(pixel_format, str))
    return [RECORDER_GEOMETRY] if differs else []


def expect(request: pytest.FixtureRequest, limits: list[KnownLimit], *, cli: bool = False) -> None:
    """Mark the running test xfail (strict) for ``limits``; a command-line test fails by its assertions."""
    if not limits:
        return
    raises: tuple[type[BaseException], ...] = (AssertionError,) if cli else \
        tuple(kind for limit in limits for kind in limit.raises)
    request.applymarker(pytest.mark.xfail(reason=" | ".join(limit.reason for limit in limits), raises=raises,
                                          strict=True))


__all__ = ["KnownLimit", "NO_ACQUISITION_START", "RECORDER_GEOMETRY", "UNREADABLE_ACQUISITION_MODE", "expect",
           "node_map_geometry", "recording_limits", "stream_limits"]
