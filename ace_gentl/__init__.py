"""ace_gentl: put every frame of a GenICam camera on disk, with everything needed to trust and repeat the run."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ace_gentl.errors import AceGentlError, ProducerError, SimulatorNotBuiltError

try:
    __version__ = version("ace-gentl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["AceGentlError", "ProducerError", "SimulatorNotBuiltError", "__version__"]
