"""The simulated Basler acA4112-20um: a real GenTL producer built with the package.

Any GenTL consumer can load it: put the folder of :func:`cti_path` on
``GENICAM_GENTL64_PATH``, or give the path to ``Harvester.add_file``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ace_gentl._native import installed_file
from ace_gentl.errors import SimulatorNotBuiltError

CTI_NAME = "ace_gentl_sim.cti"
#: Environment variable that points to another build of the producer (a developer's cmake build).
CTI_OVERRIDE_ENV = "ACE_GENTL_SIM_CTI"


def cti_path() -> Path:
    """Absolute path of the simulated camera's producer (.cti).

    ``ACE_GENTL_SIM_CTI`` overrides the installed file, so a developer can test a
    ``cmake`` build without reinstalling.
    """
    override = os.environ.get(CTI_OVERRIDE_ENV)
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_file():
            raise SimulatorNotBuiltError(str(path), f"{CTI_OVERRIDE_ENV} names a file that does not exist")
        return path
    for folder in __path__:  # the package folder(s); the build installs the .cti here
        candidate = Path(folder) / CTI_NAME
        if candidate.is_file():
            return candidate.resolve()
    installed = installed_file("sim", CTI_NAME, ("",))
    if installed is not None:  # imported from a source tree that shadows the installed package
        return installed
    raise SimulatorNotBuiltError(
        str(Path(__path__[0]) / CTI_NAME),
        "not installed; install the package with `pip install .` so the C producer is built, "
        f"or set {CTI_OVERRIDE_ENV} to a cmake build of cti/",
    )


__all__ = ["CTI_NAME", "CTI_OVERRIDE_ENV", "cti_path"]
