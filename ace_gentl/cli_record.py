"""``ace-gentl record`` and ``ace-gentl reproduce``: recording from a run file and/or flags."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from ace_gentl import runfile, runs
from ace_gentl.cli_common import (
    Cti,
    Index,
    Model,
    Serial,
    Sim,
    SimXml,
    UserId,
    assignment,
    console,
    metadata_value,
)
from ace_gentl.recording.recorder import RecordingResult

PLAN_PANEL = "Acquisition and output"
#: Exit code after Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def register(app: typer.Typer) -> None:
    app.command("record")(record_command)
    app.command("reproduce")(reproduce_command)


def build_config(run_file: Path | None, *, frames: int | None = None, duration: float | None = None,
                 timeout: float | None = None, output: str | None = None, sets: list[str] | None = None, device_sets: list[str] | None = None,
                 trigger: str | None = None, compression: str | None = None, title: str | None = None,
                 meta: list[str] | None = None, serial: str | None = None, model: str | None = None,
                 user_id: str | None = None, index: int | None = None, cti: list[str] | None = None,
                 sim: bool = False, sim_xml: str | None = None) -> runfile.RunConfig:
    """The run file (if any) with the command-line options laid over it, validated as one run file."""
    base = runfile.load(run_file) if run_file is not None else runfile.RunConfig()
    data: dict[str, Any] = base.to_dict() if run_file is not None else {}
    overridden = False

    def section(name: str) -> dict[str, Any]:
        return data.setdefault(name, {})

    for key, value in (("serial", serial), ("model", model), ("user_id", user_id), ("index", index)):
        if value is not None:
            section("camera")[key] = value
            overridden = True
    if sim_xml is not None and cti:
        raise typer.BadParameter("the simulated camera serves the XML; give --sim-xml without --cti",
                                 param_hint="--sim-xml")
    if sim or cti or sim_xml is not None:
        data["producer"] = {"sim": True} if sim or sim_xml is not None else {}
        if cti:
            data["producer"]["cti"] = list(cti)
        if sim_xml is not None:
            data["producer"]["sim_device_xml"] = sim_xml
        overridden = True
    if frames is not None and duration is not None:
        raise typer.BadParameter("give --frames or --duration, not both", param_hint="--frames/--duration")
    if frames is not None or duration is not None:
        plan = section("acquisition")
        plan.pop("frames", None)
        plan.pop("duration", None)
        plan["frames" if frames is not None else "duration"] = frames if frames is not None else duration
        overridden = True
    if trigger is not None:
        section("acquisition")["trigger"] = trigger
        overridden = True
    if timeout is not None:
        section("acquisition")["timeout"] = timeout
        overridden = True
    for option, name, texts in (("--set", "features", sets), ("--device-set", "device_features", device_sets)):
        for text in texts or ():
            ref, value = assignment(text, option)
            table = section(name)
            table.pop(str(ref), None)  # a later setting goes last: features are set in order
            table[str(ref)] = value
            overridden = True
    for text in meta or ():
        key, equals, value = text.partition("=")
        if not equals or not key.strip():
            raise typer.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="--meta")
        section("metadata")[key.strip()] = metadata_value(value)
        overridden = True
    for key, value in (("path", output), ("compression", compression)):
        if value is not None:
            section("output")[key] = value
            overridden = True
    if title is not None:
        data["title"] = title
        overridden = True
    if run_file is None:
        source = "command line"
    else:
        source = f"{run_file} (with command-line options)" if overridden else str(run_file)
    return runfile.from_dict(data, source=source, text=base.text)


def _positive_seconds(value: float | None) -> float | None:
    """A duration or timeout option: a positive, finite number of seconds (a usage error otherwise, exit 2)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"must be a positive number of seconds, not {value:g}")
    return value


def _print_result(result: RecordingResult, notes: tuple[str, ...] = ()) -> None:
    out = console()
    for note in notes:
        out.print(note, markup=False)
    out.print(f"wrote {result.path}", markup=False)
    out.print(f"  {result.frames_written} frames, {result.frames_lost} lost, {result.frames_incomplete} incomplete, "
              f"{result.mean_fps:.1f} fps, {result.mb_per_s:.1f} MB/s, {result.file_bytes / 1e6:.1f} MB, "
              f"{result.status}", markup=False)
    if result.frames_lost or result.frames_incomplete:
        console(stderr=True).print(f"warning: {result.frames_lost} frames lost and {result.frames_incomplete} "
                                   f"incomplete; they are recorded in the file (lost_before, incomplete)",
                                   markup=False)


def record_command(
        run_file: Annotated[Path | None, typer.Argument(
            help="A run file (TOML). Options given below override what it says.", show_default=False)] = None,
        frames: Annotated[int | None, typer.Option(
            "--frames", "-n", min=1, help="Record this many frames.", rich_help_panel=PLAN_PANEL)] = None,
        duration: Annotated[float | None, typer.Option(
            "--duration", "-d", callback=_positive_seconds, metavar="SECONDS",
            help="Record for this many seconds, counted from the first frame.", rich_help_panel=PLAN_PANEL)] = None,
        timeout: Annotated[float | None, typer.Option(
            "--timeout", callback=_positive_seconds, metavar="SECONDS",
            help="Give up when no frame came for this long. Default: a few frame periods in free run; no limit "
                 "with --trigger (the run waits for its triggers until Ctrl-C).", rich_help_panel=PLAN_PANEL)] = None,
        output: Annotated[str | None, typer.Option(
            "--output", "-o", metavar="PATH",
            help="Output file; may use {date}, {time}, {serial}, {model} and {run} (the first free number); "
                 "default: see above. A missing folder is created.", rich_help_panel=PLAN_PANEL)] = None,
        overwrite: Annotated[bool, typer.Option(
            "--overwrite", help="Replace the output file if it exists (never one another process is writing).",
            rich_help_panel=PLAN_PANEL)] = False,
        sets: Annotated[list[str] | None, typer.Option(
            "--set", metavar="NAME=VALUE", help="Set a camera feature before recording; repeat, applied in order "
                          "after the run file's features.", rich_help_panel=PLAN_PANEL)] = None,
        device_sets: Annotated[list[str] | None, typer.Option(
            "--device-set", metavar="NAME=VALUE",
            help="Set a feature of the producer's GenTL Device module (the simulator's SimLinePulseFrequency, "
                 "...); repeat.", rich_help_panel=PLAN_PANEL)] = None,
        trigger: Annotated[str | None, typer.Option(
            help="'free-run', or the TriggerSource that starts each frame (Line1, ...).",
            rich_help_panel=PLAN_PANEL)] = None,
        compression: Annotated[str | None, typer.Option(
            help="none, blosc-lz4 (default), blosc-zstd, lz4, zstd or gzip; ':LEVEL' may follow.",
            rich_help_panel=PLAN_PANEL)] = None,
        title: Annotated[str | None, typer.Option(help="Title of the run.", rich_help_panel=PLAN_PANEL)] = None,
        meta: Annotated[list[str] | None, typer.Option(
            "--meta", metavar="KEY=VALUE", help="Free metadata (operator=..., sample=..., notes=...); repeat.",
            rich_help_panel=PLAN_PANEL)] = None,
        serial: Serial = None, model: Model = None, user_id: UserId = None, index: Index = None, cti: Cti = None,
        sim: Sim = False, sim_xml: SimXml = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Open and set up the camera, print the run file and the output path; record "
                              "nothing.")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
    """Record frames to NeXus/HDF5, from a run file and/or options; the run file is stored in the file.

    The default output file is DEFAULT_OUTPUT in the current folder.

    The frame rate printed at the end (fps) is the one `ace-gentl inspect` shows: (frames - 1) / (device
    timestamp of the last frame - that of the first).
    """
    config = build_config(run_file, frames=frames, duration=duration, timeout=timeout, output=output, sets=sets,
                          device_sets=device_sets, trigger=trigger, compression=compression, title=title,
                          meta=meta, serial=serial, model=model, user_id=user_id, index=index, cti=cti, sim=sim,
                          sim_xml=sim_xml)
    if dry_run:
        with runs.open_camera(config) as target:
            effective = runs.configure(target, config)
            path = runs.output_path(effective, target, overwrite=overwrite)
            typer.echo(effective.dumps(), nl=False)
            for session in getattr(target, "sessions", [target]):
                typer.echo(f"# camera: {session.device}")
            typer.echo(f"# would write: {path}")
        return
    if config.acquisition.frames is None and config.acquisition.duration is None:
        raise typer.BadParameter("say how long to record: --frames N or --duration SECONDS (or [acquisition] "
                                 "frames/duration in the run file)", param_hint="--frames/--duration")
    try:
        outcome = runs.run(config, progress=not quiet, overwrite=overwrite)
    except KeyboardInterrupt:
        _interrupted()
    _print_result(outcome.result, outcome.notes)


# The default name is one word too long for an option's help column at 80 columns: it goes in the description.
record_command.__doc__ = (record_command.__doc__ or "").replace("DEFAULT_OUTPUT", runfile.DEFAULT_OUTPUT)


def _interrupted() -> NoReturn:
    typer.echo("interrupted: the recording was finished cleanly; the file holds every frame up to Ctrl-C", err=True)
    raise typer.Exit(INTERRUPTED)


def reproduce_command(
        recording: Annotated[Path, typer.Argument(help="A recording made by ace-gentl record.", show_default=False)],
        output: Annotated[str | None, typer.Option(
            "--output", "-o", metavar="PATH",
            help="New file (template placeholders allowed); default NAME-reproduce-{run}.h5 beside the "
                 "original.")] = None,
        force: Annotated[bool, typer.Option(
            "--force", help="Record even if the camera, producer or software differ from the recording's.")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
    """Record again with the same run file and camera settings as RECORDING, into a new file."""
    from ace_gentl.reproduce import reproduce

    def report(found: list[str]) -> None:
        if found and force:
            err = console(stderr=True)
            err.print("warning: recording anyway (--force) although these differ:", markup=False)
            for line in found:
                err.print(f"  {line}", markup=False)

    try:
        outcome = reproduce(recording, output=output, force=force, progress=not quiet, report=report)
    except KeyboardInterrupt:
        _interrupted()
    _print_result(outcome.result, outcome.notes)


__all__ = ["build_config", "register"]
