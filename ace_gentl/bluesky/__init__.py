"""ace_gentl cameras in Bluesky plans (extra ``[bluesky]``; Tango across hosts: extra ``[tango]``).

- :class:`GenTLDetector`: an ophyd-async StandardDetector for a camera of this process.
- :class:`GenTLTangoDetector`: the same detector for a camera served by ``ace-gentl serve --tango``.
- :func:`write_master_file`: one NeXus file joining the per-camera files of a run.

The core package never imports this one (nor ophyd-async, bluesky or tango).
"""

from __future__ import annotations

from ace_gentl.bluesky.controller import CameraController, FileInfo, TriggerMode, TriggerSetup
from ace_gentl.bluesky.detector import CONFIG_FEATURES, GenTLDetector
from ace_gentl.bluesky.master import MasterFileWriter, write_master_file
from ace_gentl.bluesky.simulation import SimLinePulser



def __getattr__(name: str) -> object:
    # The Tango detector needs pytango (extra [tango]); GenTLDetector alone does not.
    if name == "GenTLTangoDetector":
        from ace_gentl.bluesky.tango_detector import GenTLTangoDetector

        return GenTLTangoDetector
    raise AttributeError(f"module 'ace_gentl.bluesky' has no attribute {name!r}")


__all__ = ["CONFIG_FEATURES", "CameraController", "FileInfo", "GenTLDetector", "GenTLTangoDetector",
           "MasterFileWriter", "SimLinePulser", "TriggerMode", "TriggerSetup", "write_master_file"]
