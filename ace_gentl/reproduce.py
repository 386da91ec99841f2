"""Repeating a recording from the file alone: same run file, same camera settings, a new file.

Before recording, the camera, producer and software are compared with the ones the file
was made with; any difference stops the run (:class:`ReproduceMismatchError` lists them)
unless ``force`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ace_gentl import runs
from ace_gentl.errors import RecordingFileError, ReproduceMismatchError
from ace_gentl.recording.metadata import producer_info, software_versions
from ace_gentl.recording.reader import open_recording
from ace_gentl.rig import Rig
from ace_gentl.session import Session

#: Camera fields compared (keys of the snapshot's "device" record).
CAMERA_FIELDS = ("vendor", "model", "serial", "version", "tl_type")
#: Producer fields compared; the path only matters when the file's content differs.
PRODUCER_FIELDS = ("sha256", "tl_vendor", "tl_model", "tl_version", "tl_type", "gentl_version")


def differences(recorded_device: dict[str, Any], recorded_producer: dict[str, str],
                recorded_software: dict[str, str], session: Session) -> list[str]:
    """Human-readable lines, one per difference: ``what: recorded -> now``."""
    lines: list[str] = []
    now_device = {key: str(getattr(session.device, key, "")) for key in CAMERA_FIELDS}
    for key in CAMERA_FIELDS:
        before, after = str(recorded_device.get(key, "")), now_device[key]
        if before != after:
            lines.append(f"camera {key}: {before or '-'} -> {after or '-'}")
    producer = vars(producer_info(session))
    for key in PRODUCER_FIELDS:
        before, after = str(recorded_producer.get(key, "")), str(producer.get(key, ""))
        if before != after:
            lines.append(f"producer {key}: {before or '-'} -> {after or '-'}")
    if any(line.startswith("producer sha256") for line in lines):
        before, after = str(recorded_producer.get("path", "") or "-"), str(producer.get("path", "") or "-")
        lines.append(f"producer path: {before} -> {after}" if before != after else
                     f"producer path: {after} (the same path; the file there has changed)")
    software = software_versions()
    for key in sorted(set(recorded_software) | set(software)):
        before, after = recorded_software.get(key, "-"), software.get(key, "-")
        if before != after:
            lines.append(f"software {key}: {before} -> {after}")
    return lines


def default_output(original: Path) -> str:
    """``NAME-reproduce-{run}.h5`` beside the original."""
    return str(original.with_name(f"{original.stem}-reproduce-{{run}}{original.suffix or '.h5'}"))


def reproduce(path: str | Path, *, output: str | None = None, force: bool = False, progress: bool = False,
              report: Callable[[list[str]], None] | None = None) -> runs.RunOutcome:
    """Record again what ``path`` recorded, into a new file (``output`` may be a path template).

    A rig's recording is repeated with the same cameras, each given its own start settings.
    ``report`` receives the differences found (also when ``force`` lets the run go on).
    """
    original = Path(path)
    with open_recording(original) as recording:
        config, stored = runs.stored_config(recording)
        names = recording.cameras
        recorded = [(name, recording.camera(name).settings, recording.camera(name).producer) for name in names]
        software = recording.versions
    for name, settings, _producer in recorded:
        if not isinstance(settings.get("device"), dict):
            camera = f" (camera {name})" if len(recorded) > 1 else ""
            raise RecordingFileError(f"{original}: the settings snapshot holds no camera record (\"device\"){camera}: "
                                     f"the file is damaged or not made by ace_gentl")
    with runs.open_camera(config) as target:
        sessions = target.sessions if isinstance(target, Rig) else [target]
        if len(sessions) != len(recorded):
            raise ReproduceMismatchError(f"{original} recorded {len(recorded)} cameras; its run file opens "
                                         f"{len(sessions)}", [])
        found: list[str] = []
        now_software = software_versions()
        for number, ((name, settings, producer), session) in enumerate(zip(recorded, sessions)):
            # software once (it is the process's), camera and producer per camera
            lines = differences(settings["device"], producer, software if number == 0 else now_software, session)
            found += [f"{name}: {line}" if not line.startswith("software") else line for line in lines] \
                if len(sessions) > 1 else lines
        if report is not None:
            report(found)
        if found and not force:
            raise ReproduceMismatchError(
                f"{original} was recorded with a different camera, producer or software: "
                + "; ".join(found) + "; use --force (force=True) to record anyway",
                found)
        for (_name, settings, _producer), session in zip(recorded, sessions):
            session.apply(settings)  # each camera exactly as it was at the start of the original run
        effective = runs.configure(target, config)
        destination = runs.output_path(effective, target, output or default_output(original))
        extra = {"reproduces": {"path": str(original), "run_file_sha256": stored.get("sha256", ""),
                                "differences": found}}
        return runs.record(target, effective, destination, progress=progress, extra=extra)


__all__ = ["CAMERA_FIELDS", "PRODUCER_FIELDS", "default_output", "differences", "reproduce"]
