"""What every ``ace-gentl`` command shares: camera-choice options, the console, value parsing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console

from ace_gentl.featuretext import FeatureRef, parse_ref, split_assignment

CAMERA_PANEL = "Camera"

Serial = Annotated[str | None, typer.Option("--serial", help="Serial number of the camera.",
                                               rich_help_panel=CAMERA_PANEL)]
Model = Annotated[str | None, typer.Option("--model", help="Model name of the camera.",
                                              rich_help_panel=CAMERA_PANEL)]
UserId = Annotated[str | None, typer.Option("--user-id", help="User-defined name (DeviceUserID) of the camera.",
                                               rich_help_panel=CAMERA_PANEL)]
Index = Annotated[int | None, typer.Option("--index", min=0, help="Which of several matching cameras (0 first).",
                                              rich_help_panel=CAMERA_PANEL)]
Cti = Annotated[list[str] | None, typer.Option(
    "--cti", metavar="FILE.cti",
    help="A GenTL producer (.cti) to load; repeat for several. Without --cti and --sim the folders of "
         "GENICAM_GENTL64_PATH are searched.", rich_help_panel=CAMERA_PANEL)]
Sim = Annotated[bool, typer.Option("--sim", help="Use the simulated Basler acA4112-20um.",
                                   rich_help_panel=CAMERA_PANEL)]
SimXml = Annotated[str | None, typer.Option(
    "--sim-xml", metavar="FILE", help="The simulated camera serves this GenICam XML (.xml or .zip) as its own: any "
                                      "camera's node map over a register memory, frames from the simulator. Implies "
                                      "--sim.", rich_help_panel=CAMERA_PANEL)]
Module = Annotated[str, typer.Option(
    "--module", "-m", help="Node map: camera (default), device, stream, system or interface (GenTL modules; the "
                           "simulator's Sim* controls are in 'device').")]

MODULES = {"camera": "features", "device": "device_features", "stream": "stream_features",
           "system": "system_features", "interface": "interface_features"}


@dataclass(frozen=True)
class CameraChoice:
    """The camera-choice options of a command, as :func:`ace_gentl.open` keywords."""

    serial: str | None = None
    model: str | None = None
    user_id: str | None = None
    index: int | None = None
    cti: tuple[str, ...] = ()
    sim: bool = False
    sim_xml: str | None = None

    def open_kwargs(self) -> dict[str, Any]:
        return {"serial": self.serial, "model": self.model, "user_id": self.user_id, "index": self.index,
                "cti": list(self.cti) or None, "sim": self.sim or self.sim_xml is not None,
                "device_xml": self.sim_xml}


def choice(serial: str | None, model: str | None, user_id: str | None, index: int | None,
           cti: list[str] | None, sim: bool, sim_xml: str | None = None) -> CameraChoice:
    if sim_xml is not None and cti:
        raise typer.BadParameter("the simulated camera serves the XML; give --sim-xml without --cti",
                                 param_hint="--sim-xml")
    return CameraChoice(serial, model, user_id, index, tuple(cti or ()), sim, sim_xml)


def console(stderr: bool = False) -> Console:
    """A console on the current stdout/stderr (tests swap them); COLUMNS sets its width."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def module_map(session: Any, module: str) -> Any:
    attribute = MODULES.get(module.lower())
    if attribute is None:
        raise typer.BadParameter(f"{module!r} is not a module; choose one of {', '.join(MODULES)}",
                                 param_hint="--module")
    return getattr(session, attribute)


def reference(text: str, param: str = "NAME") -> FeatureRef:
    try:
        return parse_ref(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=param) from None


def assignment(text: str, param: str = "NAME=VALUE") -> tuple[FeatureRef, str]:
    try:
        return split_assignment(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=param) from None


def metadata_value(text: str) -> Any:
    """``--meta KEY=VALUE`` values: JSON numbers and booleans become numbers and booleans, the rest text."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return value if isinstance(value, (int, float, bool)) else text


def show(value: Any) -> str:
    """A feature value for people: floats without noise digits, strings bare."""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


__all__ = ["CAMERA_PANEL", "CameraChoice", "Cti", "Index", "MODULES", "Model", "Module", "Serial", "Sim", "SimXml",
           "UserId",
           "assignment", "choice", "console", "metadata_value", "module_map", "reference", "show"]
