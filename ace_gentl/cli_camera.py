"""``ace-gentl list | info | features | get | set | snapshot``: looking at and setting up a camera."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.tree import Tree

import ace_gentl
from ace_gentl import featuretext
from ace_gentl.cli_common import (
    Cti,
    Index,
    Model,
    Module,
    Serial,
    Sim,
    SimXml,
    UserId,
    assignment,
    choice,
    console,
    module_map,
    reference,
    show,
)
from ace_gentl.errors import FeatureError
from ace_gentl.features import FeatureInfo, FeatureMap
from ace_gentl.producers import find_producers

#: Settings ``info`` shows when the camera has them.
KEY_SETTINGS = ("PixelFormat", "Width", "Height", "OffsetX", "OffsetY", "BinningHorizontal", "BinningVertical",
                "ExposureAuto", "ExposureTime", "GainAuto", "Gain", "BlackLevel", "AcquisitionMode",
                "AcquisitionFrameRateEnable", "AcquisitionFrameRate", "ResultingFrameRate", "TriggerSelector",
                "TriggerMode", "TriggerSource", "ChunkModeActive", "TestImageSelector", "DeviceTemperature")
_VISIBILITY = ("beginner", "expert", "guru", "all")


def register(app: typer.Typer) -> None:
    app.command("list")(list_command)
    app.command("info")(info_command)
    app.command("features")(features_command)
    app.command("get")(get_command)
    app.command("set")(set_command)
    app.command("snapshot")(snapshot_command)


def _open(serial: str | None, model: str | None, user_id: str | None, index: int | None, cti: list[str] | None,
          sim: bool, sim_xml: str | None) -> ace_gentl.Session:
    return ace_gentl.open(**choice(serial, model, user_id, index, cti, sim, sim_xml).open_kwargs())


def list_command(cti: Cti = None, sim: Sim = False,
                 as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
                 ) -> None:
    """List the GenTL producers found and the cameras they report (nothing is opened)."""
    env = not cti and not sim
    search = find_producers(cti, sim=sim, env=env)
    records = ace_gentl.list_devices(cti, sim=sim, env=env)
    problems = {str(error.path): error.reason for error in [*search.errors, *records.errors]}
    if as_json:
        typer.echo(json.dumps({
            "producers": [{"path": str(p), "error": problems.get(str(p))} for p in search.paths]
            + [{"path": path, "error": why} for path, why in problems.items()
               if path not in {str(p) for p in search.paths}],
            "cameras": [{k: str(v) for k, v in vars(r).items()} for r in records]}, indent=1))
        return
    out = console()
    # No rules, two spaces between columns: 80 columns hold every model and file name of the camera table whole.
    producers = Table(title="Producers", title_justify="left", box=None, pad_edge=False,
                      header_style="bold underline")
    producers.add_column("producer", overflow="fold")
    producers.add_column("cameras", no_wrap=True)
    producers.add_column("status", overflow="fold")
    shown = set()
    for path in search.paths:
        count = sum(1 for r in records if r.producer == path)
        producers.add_row(str(path), str(count), f"error: {problems[str(path)]}" if str(path) in problems else "ok")
        shown.add(str(path))
    for problem_path, why in problems.items():
        if problem_path not in shown:
            producers.add_row(problem_path, "0", f"error: {why}")
    if not search.paths and not problems:
        where = "the folders of GENICAM_GENTL64_PATH" if env else "the producers given"
        out.print(f"No GenTL producer found in {where}; try --sim or --cti FILE.")
    else:
        out.print(producers)
    cameras = Table(title="Cameras", title_justify="left", box=None, pad_edge=False, header_style="bold underline")
    for column in ("#", "vendor", "model", "serial", "user id", "TL", "access", "producer"):
        # names are never split; the vendor and user id wrap at spaces if the table must shrink
        cameras.add_column(column, overflow="fold", no_wrap=column not in ("vendor", "user id"))
    for number, record in enumerate(records):
        cameras.add_row(str(number), record.vendor, record.model, record.serial, record.user_id, record.tl_type,
                        record.access_status, record.producer.name)
    if records:
        out.print(cameras)
    elif search.paths:
        out.print("No camera found.")


def _maybe(features: FeatureMap, name: str) -> Any:
    """The value, or None when the feature is missing or cannot be read now (shown as '-')."""
    return features.value_or(name)


def _plain(value: Any) -> Any:
    """A value JSON and people can read: Register bytes as 0x-hex."""
    return "0x" + value.hex() if isinstance(value, (bytes, bytearray)) else value


def info_command(serial: Serial = None, model: Model = None, user_id: UserId = None, index: Index = None,
                 cti: Cti = None, sim: Sim = False, sim_xml: SimXml = None,
                 as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show a camera's identity, its producer and its key settings."""
    with _open(serial, model, user_id, index, cti, sim, sim_xml) as session:
        record = session.device
        system = session.system_features
        identity = {"vendor": record.vendor, "model": record.model, "serial": record.serial,
                    "user id": record.user_id, "device id": record.id, "TL type": record.tl_type,
                    "firmware": _maybe(session.features, "DeviceFirmwareVersion") or record.version}
        producer = {"path": str(record.producer), "TL vendor": _maybe(system, "TLVendorName"),
                    "TL model": _maybe(system, "TLModelName"), "TL version": _maybe(system, "TLVersion"),
                    "GenTL version": f"{_maybe(system, 'GenTLVersionMajor')}.{_maybe(system, 'GenTLVersionMinor')}"}
        settings = {name: _maybe(session.features, name) for name in KEY_SETTINGS if name in session.features}
        names_used = session.names_used
    if as_json:
        typer.echo(json.dumps({"camera": identity, "producer": producer, "settings": settings,
                               "names_used": names_used}, indent=1))
        return
    out = console()
    for title, section in (("Camera", identity), ("Producer", producer), ("Settings", settings)):
        out.print(f"[bold]{title}[/bold]")
        width = max(len(key) for key in section)
        for key, value in section.items():
            out.print(f"  {key:<{width}}  {show(value) if value is not None else '-'}", markup=False)
    if names_used:
        out.print("[bold]Older feature names used[/bold]")
        for neutral, node in names_used.items():
            out.print(f"  {neutral} -> {node}", markup=False)


def _matches(name: str, info: FeatureInfo, pattern: str | None) -> bool:
    if not pattern:
        return True
    wanted = pattern.lower()
    haystack = [name.lower(), *(c.lower() for c in info.category)]
    if any(c in wanted for c in "*?["):
        return any(fnmatch.fnmatchcase(text, wanted) for text in haystack)
    return any(wanted in text for text in haystack)


def _describe_line(info: FeatureInfo) -> str:
    value = "" if info.value is None else f" = {show(info.value)}"
    unit = f" {info.unit}" if info.unit and info.value is not None else ""
    details = [info.type, info.access]
    if info.min is not None and info.max is not None and info.access in ("RW", "WO"):
        step = f" step {show(info.increment)}" if info.increment not in (None, 1) else ""
        details.append(f"{show(info.min)}..{show(info.max)}{step}")
    if info.entries:
        details.append("{" + ", ".join(info.entries) + "}")
    if info.selectors:
        details.append(f"selected by {', '.join(info.selectors)}")
    if info.why_not_writable and info.access not in ("RO", "NA", "NI"):
        details.append(f"not writable: {info.why_not_writable}")
    if info.note:
        details.append(info.note)
    if info.value_note:
        details.append(info.value_note)
    return f"{info.name}{value}{unit}  ({'; '.join(details)})"


def features_command(pattern: Annotated[str | None, typer.Argument(
                         help="Show only features whose name or category contains this text, or matches this "
                              "glob (Exposure*, *Trigger*).")] = None,
                     module: Module = "camera",
                     visibility: Annotated[str, typer.Option(
                         help="Deepest visibility shown: beginner, expert, guru or all.")] = "guru",
                     serial: Serial = None, model: Model = None, user_id: UserId = None, index: Index = None,
                     cti: Cti = None, sim: Sim = False, sim_xml: SimXml = None) -> None:
    """Show the feature tree with values, ranges, entries and access."""
    level = visibility.lower()
    if level not in _VISIBILITY:
        raise typer.BadParameter(f"{visibility!r}: choose one of {', '.join(_VISIBILITY)}", param_hint="--visibility")
    allowed = {"beginner": {"Beginner"}, "expert": {"Beginner", "Expert"},
               "guru": {"Beginner", "Expert", "Guru"}}.get(level)
    with _open(serial, model, user_id, index, cti, sim, sim_xml) as session:
        features = module_map(session, module)
        tree = Tree(f"[bold]{session.device.vendor} {session.device.model}[/bold] ({module})")
        branches: dict[tuple[str, ...], Tree] = {(): tree}
        shown = 0
        for name in features:
            info = features.describe(name)
            if allowed is not None and info.visibility not in allowed:
                continue
            if not _matches(name, info, pattern):
                continue
            path: tuple[str, ...] = ()
            for category in info.category:
                parent, path = branches[path], (*path, category)
                if path not in branches:
                    branches[path] = parent.add(f"[bold]{category}[/bold]")
            branches[path].add(_describe_line(info), style="" if info.access != "NA" else "dim")
            shown += 1
    out = console()
    if shown == 0:
        out.print(f"No feature matches {pattern!r}." if pattern else "No feature.", markup=False)
        return
    out.print(tree, soft_wrap=False)  # wrap long lines rather than cut them


def get_command(names: Annotated[list[str], typer.Argument(
                    help="Feature names; Name[Selector=Value] reads a selected feature (LineMode[LineSelector=Line3]).",
                    show_default=False)],
                module: Module = "camera",
                as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
                serial: Serial = None, model: Model = None, user_id: UserId = None, index: Index = None,
                cti: Cti = None, sim: Sim = False, sim_xml: SimXml = None) -> None:
    """Print the values of features (each one that cannot be read is reported, and the exit code is 1)."""
    refs = [reference(name) for name in names]
    values: dict[str, Any] = {}
    failures: list[FeatureError] = []
    with _open(serial, model, user_id, index, cti, sim, sim_xml) as session:
        features = module_map(session, module)
        for ref in refs:
            try:
                values[str(ref)] = _plain(featuretext.read(features, ref))
            except FeatureError as error:
                failures.append(error)
    if as_json:
        typer.echo(json.dumps(values, indent=1))
    else:
        for label, value in values.items():
            typer.echo(f"{label} = {show(value)}")
    if len(failures) == 1 and not values:
        raise failures[0]
    for failure in failures:
        typer.echo(f"error: {failure}", err=True)
    if failures:
        raise typer.Exit(1)


def set_command(assignments: Annotated[list[str], typer.Argument(
                    help="NAME=VALUE pairs, set in the order given; Name[Selector=Value]=VALUE for a selected "
                         "feature.", show_default=False)],
                module: Module = "camera",
                save: Annotated[str | None, typer.Option(
                    "--save-user-set", help="Afterwards store the settings in this user set (UserSet1, ...), "
                                            "so they survive closing the camera. What the camera loads at "
                                            "power-up is the user set UserSetDefault names.")] = None,
                serial: Serial = None, model: Model = None, user_id: UserId = None, index: Index = None,
                cti: Cti = None, sim: Sim = False, sim_xml: SimXml = None) -> None:
    """Set features (in order) and print the values they read back.

    A camera keeps settings only while it stays powered and open elsewhere is not resetting it;
    use --save-user-set to store them, or a run file to apply them before each recording.
    """
    pairs = [assignment(text) for text in assignments]
    with _open(serial, model, user_id, index, cti, sim, sim_xml) as session:
        features = module_map(session, module)
        for ref, text in pairs:
            value = featuretext.write(features, ref, text)
            typer.echo(f"{ref} = {show(_plain(value))}")
        if save:
            session.save_user_set(save)
            typer.echo(f"saved to {save}")
            try:
                default = session.default_user_set
            except FeatureError:  # a camera without UserSetDefault: nothing more to say
                default = None
            if default is not None and default != save:
                typer.echo(f"note: at power-up the camera loads UserSetDefault, now {default}; to start with these "
                           f"settings, also set UserSetDefault={save}")
            elif default == save:
                typer.echo(f"note: UserSetDefault is {save}: the camera starts with these settings at power-up")


def snapshot_command(output: Annotated[Path, typer.Option(
                         "--output", "-o", help="JSON file to write ('-' for standard output).",
                         show_default=False)],
                     serial: Serial = None, model: Model = None, user_id: UserId = None, index: Index = None,
                     cti: Cti = None, sim: Sim = False, sim_xml: SimXml = None) -> None:
    """Save every readable feature (each selected variant too) as a JSON snapshot."""
    with _open(serial, model, user_id, index, cti, sim, sim_xml) as session:
        snap = session.snapshot()
    text = json.dumps(snap, indent=1, sort_keys=False) + "\n"
    if str(output) == "-":
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.echo(f"error: cannot write {str(output)!r}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from error
    count = len(snap["features"]) + sum(len(v) for v in snap["selected"].values())
    console(stderr=True).print(f"wrote {count} values to {output}", markup=False)


__all__ = ["KEY_SETTINGS", "register"]
