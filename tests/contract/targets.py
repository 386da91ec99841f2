"""Camera targets of the contract suite: which cameras it runs against, and how each is opened.

Without ACE_GENTL_TEST_* variables (CI): the simulator with its own XML, the simulator serving
every corpus XML (tests/data/nodemaps), and the three cameras of viky.cti (the genicam wheel).
With any of them set (a lab): that one camera only.

    ACE_GENTL_TEST_CTI     the producer (.cti); without it the folders of GENICAM_GENTL64_PATH
    ACE_GENTL_TEST_SERIAL  the camera's serial number
    ACE_GENTL_TEST_MODEL   its model name
    ACE_GENTL_TEST_INDEX   which of several matching cameras (0 first)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genicam
import pytest

import ace_gentl

CORPUS = sorted((Path(__file__).resolve().parents[1] / "data" / "nodemaps").glob("*.xml"))
ENV_CTI, ENV_SERIAL, ENV_MODEL, ENV_INDEX = ("ACE_GENTL_TEST_CTI", "ACE_GENTL_TEST_SERIAL", "ACE_GENTL_TEST_MODEL",
                                             "ACE_GENTL_TEST_INDEX")
LAB_VARIABLES = (ENV_CTI, ENV_SERIAL, ENV_MODEL, ENV_INDEX)
#: viky.cti reports three cameras (serials 0, 1, 2); each one is a target.
VIKY_CAMERAS = 3


@dataclass(frozen=True)
class CameraTarget:
    """One camera the suite runs against: how to find it, open it and name it on the command line."""

    id: str
    cti: Path | None = None
    sim: bool = False
    device_xml: Path | None = None  # the simulator serves this XML as its own (register memory)
    serial: str | None = None
    model: str | None = None
    index: int | None = None
    lab: bool = False  # named by ACE_GENTL_TEST_* variables

    @property
    def serves_foreign_xml(self) -> bool:
        return self.sim and self.device_xml is not None

    def list_kwargs(self) -> dict[str, Any]:
        if self.sim:
            return {"sim": True}
        return {"cti": str(self.cti)} if self.cti is not None else {}

    def open_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = self.list_kwargs()
        for key in ("serial", "model", "index"):
            if getattr(self, key) is not None:
                kwargs[key] = getattr(self, key)
        if self.device_xml is not None:
            kwargs["device_xml"] = self.device_xml
        return kwargs

    def open(self) -> ace_gentl.Session:
        return ace_gentl.open(**self.open_kwargs())

    def cli_args(self) -> list[str]:
        """The same camera for ``ace-gentl`` (``--cti X --index 0``, ``--sim-xml PATH``, ...)."""
        args: list[str] = []
        if self.device_xml is not None:
            args += ["--sim-xml", str(self.device_xml)]
        elif self.sim:
            args.append("--sim")
        if self.cti is not None:
            args += ["--cti", str(self.cti)]
        for key in ("serial", "model", "index"):
            if getattr(self, key) is not None:
                args += [f"--{key}", str(getattr(self, key))]
        return args

    def __str__(self) -> str:
        return self.id


#: A lab run (any ACE_GENTL_TEST_* variable set) covers its own camera only.
LAB = any(os.environ.get(name) for name in LAB_VARIABLES)
#: For tests that need the simulator or viky.cti (CI's targets), skipped in a lab run.
needs_ci_producers = pytest.mark.skipif(
    LAB, reason="needs the simulator or viky.cti; a lab run (ACE_GENTL_TEST_*) covers its own camera only")


def viky_cti() -> Path:
    found = sorted(Path(genicam.__file__).parent.rglob("viky.cti"))
    if not found:
        raise pytest.UsageError(f"viky.cti is not in the genicam wheel at {Path(genicam.__file__).parent}; "
                                f"the contract suite runs against it")
    return found[0]


def lab_target(environ: Mapping[str, str]) -> CameraTarget | None:
    """The camera named by ACE_GENTL_TEST_* (None when none is set); a bad value is a one-line UsageError."""
    if not any(environ.get(name) for name in LAB_VARIABLES):
        return None
    cti_text = environ.get(ENV_CTI) or None
    cti = Path(cti_text).expanduser() if cti_text else None
    if cti is not None and not cti.is_file():
        raise pytest.UsageError(f"{ENV_CTI}={cti_text}: no such file (give the path of the camera's GenTL producer, "
                                f"a .cti file)")
    index_text = environ.get(ENV_INDEX) or None
    index = None
    if index_text is not None:
        if not index_text.isdigit():
            raise pytest.UsageError(f"{ENV_INDEX}={index_text}: must be a whole number, 0 or more")
        index = int(index_text)
    serial, model = environ.get(ENV_SERIAL) or None, environ.get(ENV_MODEL) or None
    named = ", ".join(f"{key}={value}" for key, value in (("serial", serial), ("model", model), ("index", index))
                      if value is not None)
    where = cti.name if cti is not None else "GENICAM_GENTL64_PATH"
    return CameraTarget(id=f"lab[{where}{', ' + named if named else ''}]", cti=cti.resolve() if cti else None,
                        serial=serial, model=model, index=index, lab=True)


def ci_targets() -> list[CameraTarget]:
    """The simulator (own XML and every corpus XML) and every camera of viky.cti."""
    targets = [CameraTarget(id="sim", sim=True)]
    targets += [CameraTarget(id=f"sim-{path.stem}", sim=True, device_xml=path) for path in CORPUS]
    viky = viky_cti()
    targets += [CameraTarget(id=f"viky-{index}", cti=viky, index=index) for index in range(VIKY_CAMERAS)]
    return targets


def targets(environ: Mapping[str, str] | None = None) -> list[CameraTarget]:
    lab = lab_target(os.environ if environ is None else environ)
    return [lab] if lab is not None else ci_targets()


__all__ = ["CORPUS", "CameraTarget", "LAB", "LAB_VARIABLES", "ci_targets", "lab_target", "needs_ci_producers",
           "targets", "viky_cti"]
