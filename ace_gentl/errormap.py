"""The one place where genicam / Harvesters exceptions become :mod:`ace_gentl.errors`.

Callers wrap a GenTL or GenApi call in :func:`gentl_errors` or :func:`feature_errors`; the
original exception stays attached as ``__cause__`` so nothing is lost.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

from genicam import genapi, gentl

from ace_gentl.errors import (
    AceGentlError,
    AcquisitionError,
    AcquisitionTimeout,
    DeviceBusyError,
    DeviceError,
    FeatureAccessError,
    FeatureError,
    FeatureTypeError,
    FeatureValueError,
)

# genicam appends where in its C++ sources the exception was thrown; users need only the reason.
_GENICAM_TAIL = re.compile(r"\s*:\s*\w+Exception thrown.*$", re.DOTALL)
_GENTL_BUSY = (gentl.AccessDeniedException, gentl.ResourceInUseException, gentl.BusyException)


def genicam_reason(error: BaseException) -> str:
    """The human part of a genicam exception's message (without file and line)."""
    text = str(error.args[0]) if error.args else str(error)
    text = _GENICAM_TAIL.sub("", text).strip()
    return text or type(error).__name__


def translate_feature_error(error: Exception, feature: str, node: str | None = None) -> FeatureError:
    """A FeatureError subclass for a GenApi exception raised while touching ``feature``."""
    reason = genicam_reason(error)
    if isinstance(error, genapi.AccessException):
        return FeatureAccessError(feature, reason, node=node)
    if isinstance(error, (genapi.OutOfRangeException, genapi.InvalidArgumentException)):
        return FeatureValueError(feature, reason, node=node)
    if isinstance(error, genapi.DynamicCastException):
        return FeatureTypeError(feature, reason, node=node)
    return FeatureError(feature, f"{type(error).__name__}: {reason}", node=node)


@contextlib.contextmanager
def feature_errors(feature: str, node: str | None = None) -> Iterator[None]:
    """Translate GenApi (and GenTL port) exceptions raised inside the block for ``feature``."""
    try:
        yield
    except AceGentlError:
        raise
    except (genapi.GenericException, gentl.GenericException) as error:
        raise translate_feature_error(error, feature, node) from error


def translate_gentl_error(error: Exception, what: str) -> AceGentlError:
    """A DeviceError / AcquisitionError for a GenTL exception raised while doing ``what``."""
    reason = genicam_reason(error)
    if isinstance(error, gentl.TimeoutException):
        return AcquisitionTimeout(f"{what}: timed out ({reason})")
    if isinstance(error, _GENTL_BUSY):
        return DeviceBusyError(f"{what}: the camera is in use by another process or Session ({reason})")
    return DeviceError(f"{what}: {type(error).__name__}: {reason}")


@contextlib.contextmanager
def gentl_errors(what: str, kind: Callable[[str], AceGentlError] | None = None) -> Iterator[None]:
    """Translate GenTL / GenApi exceptions raised while doing ``what``.

    ``kind`` builds the error for anything that is not a timeout or a busy device
    (defaults to :class:`DeviceError`).
    """
    try:
        yield
    except AceGentlError:
        raise
    except (gentl.GenericException, genapi.GenericException) as error:
        translated = translate_gentl_error(error, what) if isinstance(error, gentl.GenericException) else None
        if translated is None or (kind is not None and type(translated) is DeviceError):
            reason = f"{what}: {type(error).__name__}: {genicam_reason(error)}"
            translated = kind(reason) if kind is not None else DeviceError(reason)
        raise translated from error


def acquisition_errors(what: str) -> contextlib.AbstractContextManager[None]:
    """:func:`gentl_errors` for streaming: anything but a timeout/busy is an AcquisitionError."""
    return gentl_errors(what, AcquisitionError)
