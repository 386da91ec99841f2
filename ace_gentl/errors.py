"""One exception hierarchy for ace_gentl, rooted in :class:`AceGentlError`."""

from __future__ import annotations


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
