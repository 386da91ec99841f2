"""One exception hierarchy for ace_gentl, rooted in :class:`AceGentlError`.

Exceptions of genicam and Harvesters are translated into these in one place,
:mod:`ace_gentl.errormap`; the original exception is kept as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Sequence


class AceGentlError(Exception):
    """Base class of every error ace_gentl raises on purpose."""


class ProducerError(AceGentlError):
    """A GenTL producer (.cti) could not be found or loaded."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"GenTL producer {path!r}: {reason}")
        self.path = path
        self.reason = reason


class SimulatorNotBuiltError(ProducerError):
    """The simulated camera's producer is not part of this installation."""


# --- devices -----------------------------------------------------------------------------------


class DeviceError(AceGentlError):
    """A camera could not be found, opened or talked to."""


class DeviceNotFoundError(DeviceError):
    """No camera matches the search; the message lists the cameras that exist."""


class AmbiguousDeviceError(DeviceError):
    """Several cameras match the search; the message lists them."""


class DeviceBusyError(DeviceError):
    """The camera is held by another process or another open Session."""


class DeviceLostError(DeviceError):
    """The camera went away (unplugged, powered off) while it was open; close the Session and open it again."""


class SessionClosedError(DeviceError):
    """The Session was closed; open a new one."""


class DeviceXmlError(DeviceError):
    """A device description file (GenICam XML, .xml or .zip) that cannot be used: missing, not XML, or GenApi
    cannot load it."""


# --- features ----------------------------------------------------------------------------------


class FeatureError(AceGentlError):
    """A feature could not be read or written.

    ``feature`` is the name the caller used; ``node`` the node that was really touched
    (differs when a vendor-neutral name maps onto an older one).
    """

    def __init__(self, feature: str, message: str, *, node: str | None = None) -> None:
        super().__init__(f"{feature}: {message}")
        self.feature = feature
        self.node = node or feature


class UnknownFeatureError(FeatureError, KeyError):
    """No feature of that name; ``suggestions`` holds the closest existing names."""

    def __init__(self, feature: str, suggestions: Sequence[str], where: str = "camera") -> None:
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        FeatureError.__init__(self, feature, f"no such feature on this {where}{hint}")
        self.suggestions = list(suggestions)

    def __str__(self) -> str:  # KeyError would quote the message
        return Exception.__str__(self)


class FeatureValueError(FeatureError, ValueError):
    """The value is outside the range, off the increment or not an entry."""


class FeatureAccessError(FeatureError):
    """The feature is not readable or not writable now; the message says why."""


class FeatureTypeError(FeatureError, TypeError):
    """The value has the wrong type for the feature."""


class ApplyError(FeatureError):
    """:meth:`Session.apply` could not set some features; ``failures`` maps name to reason."""

    def __init__(self, failures: dict[str, str]) -> None:
        lines = "\n".join(f"  {name}: {why}" for name, why in failures.items())
        AceGentlError.__init__(self, f"could not set {len(failures)} feature(s):\n{lines}")
        self.feature = ", ".join(failures)
        self.node = self.feature
        self.failures = dict(failures)


class SnapshotFormatError(AceGentlError, ValueError):
    """A settings structure is not a snapshot this version understands."""


# --- acquisition -------------------------------------------------------------------------------


class AcquisitionError(AceGentlError):
    """Streaming failed (the producer refused to start, a buffer could not be returned, ...)."""


class AcquisitionTimeout(AcquisitionError, TimeoutError):
    """No frame arrived within the timeout."""


class PixelFormatError(AceGentlError, ValueError):
    """A pixel format that ace_gentl cannot decode (or a buffer that does not fit it)."""


# --- recording ---------------------------------------------------------------------------------


class RecordingError(AceGentlError):
    """A recording stopped on an error; the file was closed and stays readable.

    ``result`` is the :class:`~ace_gentl.recording.RecordingResult` of what was written
    (None when the run failed before the file existed).
    """

    def __init__(self, message: str, result: object | None = None) -> None:
        super().__init__(message)
        self.result = result


class DiskFullError(RecordingError):
    """The disk (or quota) ran out during a recording; frames flushed before it are in the file."""


class CameraLostError(RecordingError):
    """The camera stopped delivering (disconnect, producer failure) during a recording."""


class RecordingConfigError(AceGentlError, ValueError):
    """Recording arguments that cannot work (unknown compression, bad chunk shape, ...)."""


class OutputExistsError(RecordingConfigError, FileExistsError):
    """The output file exists and ``overwrite`` was not given."""


class RecordingFileError(AceGentlError):
    """A file is not an ace_gentl recording, or cannot be opened as one."""



# --- run files and reproduction ----------------------------------------------------------------


class RunFileError(AceGentlError, ValueError):
    """A run file (TOML) that cannot be used: bad syntax, an unknown key, a wrong type or a bad value.

    The message names the file and the key (``[acquisition] frames``) and, for an unknown key,
    the closest valid one.
    """


class ReproduceMismatchError(AceGentlError):
    """The camera, producer or software differs from the recording's; ``differences`` lists them."""

    def __init__(self, message: str, differences: list[str]) -> None:
        super().__init__(message)
        self.differences = list(differences)


class OptionalDependencyError(AceGentlError, ImportError):
    """A feature needs a package of an optional extra that is not installed; the message names the extra."""


def add_note(error: BaseException, text: str) -> None:
    """Attach a second failure to the first (``add_note`` is Python 3.11+; 3.10 keeps it in ``__notes__``)."""
    if hasattr(error, "add_note"):
        error.add_note(text)
    else:
        error.__notes__ = [*getattr(error, "__notes__", []), text]  # type: ignore[attr-defined]
