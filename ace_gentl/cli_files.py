"""``ace-gentl inspect`` and ``ace-gentl repair``: looking at and mending recordings."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from ace_gentl import runfile
from ace_gentl.cli_common import console, show
from ace_gentl.errors import RecordingFileError
from ace_gentl.recording import schema
from ace_gentl.recording.fileaccess import file_errors
from ace_gentl.recording.reader import Recording, open_recording

#: Settings ``inspect`` shows from the start snapshot, when present.
SHOWN_SETTINGS = ("PixelFormat", "Width", "Height", "OffsetX", "OffsetY", "ExposureTime", "Gain",
                  "AcquisitionFrameRateEnable", "AcquisitionFrameRate", "ResultingFrameRate", "TriggerMode",
                  "TriggerSource", "ChunkModeActive", "TestImageSelector")


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect_command)
    app.command("repair")(repair_command)


@dataclass
class Report:
    """What ``inspect`` found: figures, and integrity problems (empty when the file is sound)."""

    summary: dict[str, Any]
    rates: dict[str, float]
    settings: dict[str, Any]
    run_file: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    verification: dict[str, Any] | None = None  # inspect --verify
    units: dict[str, str] = field(default_factory=dict)  # of the settings shown, as the device XML gives them
    cameras: list[dict[str, Any]] = field(default_factory=list)  # a rig: each camera's summary
    matching: dict[str, Any] | None = None  # a rig: the matching summary


#: Width of the label column of ``inspect`` ("  integrity   ").
LABEL_WIDTH = 14


def labelled_lines(rows: list[tuple[str, str]], width: int) -> list[str]:
    """``  label       text`` lines, the text wrapped at spaces to ``width`` under its first character."""
    room = max(20, width - LABEL_WIDTH)
    lines: list[str] = []
    for label, text in rows:
        pieces = textwrap.wrap(text, room, break_long_words=False, break_on_hyphens=False) or [""]
        lines.append(f"  {label:<{LABEL_WIDTH - 2}}{pieces[0]}")
        lines.extend(" " * LABEL_WIDTH + piece for piece in pieces[1:])
    return lines


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""


def _intervals(stamps: np.ndarray) -> dict[str, float]:
    if stamps.size < 2:
        return {}
    steps = np.diff(stamps.astype(np.int64)) * 1e-6  # ms
    return {"interval_mean_ms": float(steps.mean()), "interval_min_ms": float(steps.min()),
            "interval_max_ms": float(steps.max()), "interval_std_ms": float(steps.std())}


def examine(recording: Recording) -> Report:
    """Summary, frame intervals, key settings and integrity checks of an opened recording."""
    summary = recording.summary()
    problems: list[str] = []
    ids = recording.column("frame_id").astype(np.int64)
    stamps = recording.column("device_timestamp").astype(np.int64)
    if ids.size > 1 and np.any(np.diff(ids) <= 0):
        problems.append("frame IDs are not increasing")
    if summary.clock == "host":  # the camera gives no advancing timestamps: intervals by the host's clock
        stamps = recording.column("host_timestamp").astype(np.int64)
    elif stamps.size > 1 and np.any(np.diff(stamps) <= 0):
        problems.append("device timestamps are not increasing")
    between = int(np.sum(recording.column("lost_before")[1:])) if len(recording) > 1 else 0
    if summary.id_gaps != between:
        problems.append(f"{summary.id_gaps} frames missing from the frame-ID sequence but {between} counted as lost "
                        f"between recorded frames")
    if summary.frames_lost:
        problems.append(f"{summary.frames_lost} frames lost")
    if summary.frames_incomplete:
        problems.append(f"{summary.frames_incomplete} incomplete frames")
    if summary.frames_unpaired:
        problems.append(f"{summary.frames_unpaired} frames in data have no per-frame metadata (kept: "
                        f"recording.detector['data'][{summary.frames}:])")
    if summary.writer == "running":
        problems.append("still being written (refresh to follow it)")
    elif summary.status != "complete":
        problems.append(f"status {summary.status!r}" + (f": {summary.error}" if summary.error else ""))
    if summary.writer == "dead":
        problems.append(f"its writer died without closing the file: run `ace-gentl repair {recording.path}`")
    elif summary.writer == "unknown":
        problems.append(f"marked open for writing by a writer that cannot be checked from here; if it is gone, run "
                        f"`ace-gentl repair --force {recording.path}`")
    written = recording.file.get(f"{schema.RECORDING}/frames_written")
    held = sum(len(recording.camera(name)) for name in recording.cameras)
    if summary.writer == "closed" and written is not None and int(written[()]) != held:
        problems.append(f"frames_written says {int(written[()])}, the per-frame data holds {held}")
    try:
        stored = recording.config.get("run_file")
    except RecordingFileError as error:  # the rest of the file can still be shown
        problems.append(str(error).removeprefix(f"{recording.path}: "))
        stored = None
    run_info: dict[str, Any] = {}
    if isinstance(stored, dict):
        text = str(stored.get("text", ""))
        actual = runfile.hash_text(text)
        run_info = {"source": stored.get("source", ""), "sha256": stored.get("sha256", ""),
                    "hash_ok": actual == stored.get("sha256")}
        if not stored.get("sha256"):
            problems.append("the stored run file has no SHA-256 (the run configuration is damaged)")
        elif not run_info["hash_ok"]:
            problems.append(f"the stored run file's SHA-256 is {actual}, not the {stored.get('sha256')} recorded")
        if isinstance(stored.get("reproduces"), dict):
            run_info["reproduces"] = stored["reproduces"].get("path", "")
    try:
        settings_start = recording.settings
    except RecordingFileError as error:
        problems.append(str(error).removeprefix(f"{recording.path}: "))
        settings_start = {}
    else:
        if not isinstance(settings_start.get("features"), dict) or not isinstance(settings_start.get("device"), dict):
            problems.append("the settings snapshot (settings_start) lacks its camera record or feature values")
    settings = {name: value for name in SHOWN_SETTINGS
                if (value := current_value(settings_start, name)) is not None}
    rates = {"fps": summary.fps, **_intervals(stamps)}
    return Report(summary=summary_dict(summary), rates=rates, settings=settings, run_file=run_info,
                  problems=problems, units=recording.feature_units(settings))


def current_value(snapshot: dict[str, Any], name: str) -> Any:
    """A feature's value in a snapshot; for a selected feature, under the selectors' values at the time."""
    plain = snapshot.get("features", {})
    plain = plain if isinstance(plain, dict) else {}
    if name in plain:
        return plain[name]
    selected = snapshot.get("selected", {})
    variants = selected.get(name, ()) if isinstance(selected, dict) else ()
    for variant in variants if isinstance(variants, list) else ():
        selectors = variant.get("selectors") if isinstance(variant, dict) else None
        if isinstance(selectors, dict) and all(plain.get(key) == value for key, value in selectors.items()):
            return variant.get("value")
    return None


def summary_dict(summary: Any) -> dict[str, Any]:
    data = dict(vars(summary))
    data["path"] = str(data["path"])
    data["frame_shape"] = list(data["frame_shape"])
    return data


def inspect_command(
        path: Annotated[Path, typer.Argument(help="A recording (.h5).", show_default=False)],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        run_file: Annotated[bool, typer.Option("--run-file", help="Print the stored run file (TOML) only.")] = False,
        strict: Annotated[bool, typer.Option(
            "--strict", help="Exit with code 1 if any integrity check fails (lost or incomplete frames, "
                             "unfinished file, ...).")] = False,
        verify: Annotated[bool, typer.Option(
            "--verify", help="Check every frame's stored bytes against its checksum (files without checksums: "
                             "that every frame decodes); exit 1 if one fails.")] = False,
        plot: Annotated[Path | None, typer.Option(
            "--plot", metavar="IMAGE.png",
            help="Also draw the first and last frame, a histogram, the frame intervals with lost and incomplete "
                 "frames marked, and events if any, into this image (needs the [plot] extra: matplotlib).",
            show_default=False)] = None) -> None:
    """Show a recording's frames, losses, rates, settings and integrity checks.

    The rate (fps) is (frames - 1) / (device timestamp of the last frame - that of the first), the same
    definition `ace-gentl record` prints.
    """
    with open_recording(path) as recording:
        if run_file:
            stored = (recording.config or {}).get("run_file")
            if not isinstance(stored, dict):
                typer.echo(f"{path}: holds no run file", err=True)
                raise typer.Exit(1)
            typer.echo(str(stored.get("effective", stored.get("text", ""))), nl=False)
            return
        with file_errors(path, "inspecting"):
            report = examine(recording)
            rows_of_summary = recording.summary().rows()
            if recording.is_rig:
                rows_of_summary = _rig_rows(recording, report) + rows_of_summary
        checked = recording.verify() if verify else None
        if plot is not None:
            recording.plot(plot)
    if checked is not None:
        report.verification = {"frames": checked.frames, "checksums": checked.checksums, "bad": checked.bad,
                               "unreadable": checked.unreadable, "ok": checked.ok, "text": str(checked)}
        if not checked.ok:  # integrity cannot be "ok" while frames fail their check
            report.problems.append(f"{len(checked.bad) + len(checked.unreadable)} frames failed --verify")
    if as_json:
        typer.echo(json.dumps(vars(report), indent=1, default=str))
    else:
        rows = list(rows_of_summary)
        rates = report.rates
        if "interval_mean_ms" in rates:
            rows.append(("intervals", f"mean {rates['interval_mean_ms']:.3f} ms, min {rates['interval_min_ms']:.3f} "
                                      f"ms, max {rates['interval_max_ms']:.3f} ms, std {rates['interval_std_ms']:.3f} "
                                      f"ms" + (" (host clock)" if report.summary.get("clock") == "host" else "")))
        if report.settings:
            rows.append(("settings", ", ".join(f"{name}={show(value)}{_unit(report.units.get(name, ''))}"
                                               for name, value in report.settings.items())))
        if report.run_file:
            state = "hash ok" if report.run_file["hash_ok"] else "HASH MISMATCH"
            rows.append(("run file", f"{report.run_file['source'] or '-'} sha256 {report.run_file['sha256'][:16]}... "
                                     f"({state})"))
        else:
            rows.append(("run file", "none (recorded through the Python API)"))
        if checked is not None:
            rows.append(("verify", str(checked)))
        rows.append(("integrity", "; ".join(report.problems) if report.problems else "ok"))
        if plot is not None:
            rows.append(("plot", str(plot)))
        out = console()
        out.print(str(path), markup=False)
        for line in labelled_lines(rows, out.width):
            out.print(line, markup=False)
    if (strict and report.problems) or (checked is not None and not checked.ok):
        raise typer.Exit(1)


def _rig_rows(recording: Recording, report: Report) -> list[tuple[str, str]]:
    """A rig: one row per camera, the sync mode and the matching summary (the rows after are the leader's)."""
    rows: list[tuple[str, str]] = []
    matching = recording.matching
    for name in recording.cameras:
        camera = recording.camera(name)
        summary = camera.summary()
        role = str(camera.detector.attrs.get("role", ""))
        fitted = camera.clock_fit
        clock = f", clock drift {fitted['drift_ppm']:+.2f} ppm over {fitted['span_s']:.1f} s" if fitted else ""
        line = (f"{name}{f' ({role})' if role else ''}: {summary.frames} frames, lost {summary.frames_lost}, "
                f"incomplete {summary.frames_incomplete}, {summary.fps:.2f} fps{clock}")
        rows.append(("camera", line))
        report.cameras.append({"name": name, "role": role, "frames": summary.frames, "lost": summary.frames_lost,
                               "incomplete": summary.frames_incomplete, "fps": summary.fps, "clock_fit": fitted})
    if matching is not None:
        found = matching["summary"]
        report.matching = found
        per_camera = "; ".join(f"{name}: {c.get('missing', 0)} missing, {c.get('extra', 0)} extra, "
                               f"{c.get('doubtful', 0)} doubtful" for name, c in found.get("cameras", {}).items()
                               if c.get("by") != "leader")
        rows.append(("sync", matching["sync"] or "-"))
        rows.append(("matching", f"{found.get('triggers', 0)} triggers, {found.get('complete_triggers', 0)} with a "
                                 f"frame from every camera, {found.get('doubtful_triggers', 0)} doubtful"
                                 + (f"; {per_camera}" if per_camera else "")))
        if found.get("note"):
            rows.append(("note", str(found["note"])))
        incomplete = found.get("triggers", 0) - found.get("complete_triggers", 0)
        if incomplete:
            report.problems.append(f"{incomplete} triggers lack a frame from some camera")
        if found.get("doubtful_triggers"):
            report.problems.append(f"{found['doubtful_triggers']} triggers are matched with doubt")
    rows.append(("leader", "the rows below are the leader's"))
    return rows


def repair_command(
        path: Annotated[Path, typer.Argument(help="A recording whose writer died (kill -9, power loss).",
                                             show_default=False)],
        force: Annotated[bool, typer.Option(
            "--force", help="Repair also when it cannot be told whether the writer still runs (a file from "
                            "another host without its .lock file).")] = False) -> None:
    """Make a recording whose writer died open normally again, keeping every frame; a healthy file is untouched.

    Refuses a file that a live process is writing.
    """
    from ace_gentl.recording.repair import repair

    report = repair(path, force=force)
    typer.echo(str(report))


__all__ = ["Report", "current_value", "examine", "register"]
