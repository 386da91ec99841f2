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
# GenApi's math parser: "Ratio : Failed to evaluate formula '1/D' : error message is '#Infinity somewhere!'".
_FORMULA = re.compile(r"^(?P<node>\S+) : Failed to evaluate formula '(?P<formula>.*)' : "
                      r"error message is '(?P<why>.*)'$", re.DOTALL)
_GENTL_BUSY = (gentl.AccessDeniedException, gentl.ResourceInUseException, gentl.BusyException)
#: Plain Python errors genicam's SWIG layer raises from GenApi calls: UnicodeDecodeError for string
#: registers holding bytes that are not UTF-8, TypeError/OverflowError for values outside int64 or of a
#: type no C++ overload takes, AttributeError when a call returns NULL. Measured on genicam 1.6.
SWIG_ERRORS: tuple[type[Exception], ...] = (TypeError, ValueError, OverflowError, AttributeError, RuntimeError)
#: Everything a GenApi call on a node can raise.
GENICAM_ERRORS: tuple[type[Exception], ...] = (genapi.GenericException, gentl.GenericException, *SWIG_ERRORS)


def genicam_reason(error: BaseException) -> str:
    """The human part of a genicam exception's message (without file and line)."""
    if isinstance(error, UnicodeDecodeError):
        return f"holds bytes that are not UTF-8 ({bytes(error.object)[:64]!r})"
    text = str(error.args[0]) if error.args else str(error)
    text = _GENICAM_TAIL.sub("", text).strip()
    formula = _FORMULA.match(text)
    if formula is not None:
        why = formula["why"]
        if "Infinity" in why:
            why += ": a division by zero or an overflow in the current state"
        return f"the formula {formula['formula']!r} of {formula['node']} cannot be evaluated now ({why})"
    return text or type(error).__name__


def translate_feature_error(error: Exception, feature: str, node: str | None = None) -> FeatureError:
    """A FeatureError subclass for a GenApi (or genicam SWIG) exception raised while touching ``feature``."""
    reason = genicam_reason(error)
    if isinstance(error, genapi.AccessException):
        return FeatureAccessError(feature, reason, node=node)
    if isinstance(error, (genapi.OutOfRangeException, genapi.InvalidArgumentException, OverflowError)):
        return FeatureValueError(feature, reason, node=node)
    if isinstance(error, (genapi.DynamicCastException, TypeError)):
        return FeatureTypeError(feature, reason, node=node)
    if isinstance(error, (genapi.LogicalErrorException, UnicodeDecodeError)):
        return FeatureError(feature, reason, node=node)  # the reason already says what went wrong
    return FeatureError(feature, f"{type(error).__name__}: {reason}", node=node)


@contextlib.contextmanager
def feature_errors(feature: str, node: str | None = None) -> Iterator[None]:
    """Translate GenApi (and GenTL port) exceptions raised inside the block for ``feature``.

    Keep the block to the genicam calls themselves: plain Python errors of genicam's SWIG
    layer (:data:`SWIG_ERRORS`) are translated too, so they must not come from our own code.
    """
    try:
        yield
    except AceGentlError:
        raise
    except GENICAM_ERRORS as error:
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
