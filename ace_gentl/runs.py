"""Carrying out a run file: open the camera it names, set it up, record, and store the run file.

The run file goes into the recording twice: inside the recorder's run configuration
(``/entry/run_configuration/data``, key ``run_file``), written before the first frame so it
survives a crash, and as ``/entry/run_file`` (NXnote: the TOML text, its SHA-256 and the
effective configuration) plus NeXus ``user``/``sample`` groups once the file is closed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py

import ace_gentl
from ace_gentl import featuretext, runfile
from ace_gentl.errors import FeatureError, RecordingConfigError, RunFileError
from ace_gentl.features import FeatureMap, FeatureValue
from ace_gentl.recording.recorder import Recorder, RecordingResult
from ace_gentl.runfile import FREE_RUN, RunConfig
from ace_gentl.rig import CameraChoice, Rig, open_rig
from ace_gentl.session import Session

#: Key of the run file inside the recorder's run configuration JSON.
CONFIG_KEY = "run_file"
STR = h5py.string_dtype("utf-8")


def open_camera(config: RunConfig) -> Session | Rig:
    """The camera a run file names (or the rig of its ``[[cameras]]``), opened; a rig is not synchronised yet."""
    camera, producer = config.camera, config.producer
    if config.is_rig:
        assert config.rig is not None
        choices = [CameraChoice(serial=entry.camera.serial, model=entry.camera.model, user_id=entry.camera.user_id,
                                index=entry.camera.index, role=entry.role, name=entry.name,
                                events=entry.camera.events, device_xml=producer.sim_device_xml)
                   for entry in config.cameras]
        return open_rig(choices, sync=None, cti=list(producer.cti) or None, sim=producer.sim, env=producer.env,
                        reconnect=config.rig.reconnect or config.acquisition.reconnect)
    return ace_gentl.open(serial=camera.serial, model=camera.model, user_id=camera.user_id, index=camera.index,
                          cti=list(producer.cti) or None, sim=producer.sim, env=producer.env,
                          device_xml=producer.sim_device_xml)


#: What a run file must write for a feature of each GenApi type that is not text ("Height = 512", not "512").
_WRITTEN_AS = {"Integer": "an integer", "Float": "a number", "Boolean": "true or false"}


def _written_in_file(config: RunConfig, section: str) -> dict[str, Any]:
    """The table ``section`` as the run file itself wrote it (not the command line's additions)."""
    if not config.text:
        return {}
    try:
        table = runfile.tomllib.loads(config.text).get(section, {})
    except (runfile.tomllib.TOMLDecodeError, RecursionError):  # the run file was checked when it was read
        return {}
    return table if isinstance(table, dict) else {}


def _apply_table(features: FeatureMap, table: dict[str, Any], *, source: str = "",
                 section: str = "features", written: dict[str, Any] | None = None) -> dict[str, FeatureValue]:
    """Set each feature in order (text converted to the feature's type); the typed values set.

    A value the run file wrote itself (``written``) must have the feature's type (a quoted number
    for an Integer feature is refused, so a typo cannot pass for a value), and its errors name the
    file and section; values from the command line are text, converted to the feature's type.
    """
    typed: dict[str, FeatureValue] = {}
    for key, value in table.items():
        from_file = written is not None and key in written and written[key] == value
        try:
            ref = featuretext.typed_ref(features, featuretext.parse_ref(key))
            if from_file and isinstance(value, str):
                kind = features.entry(ref.name).type
                if kind in _WRITTEN_AS:
                    article = "an" if kind[0] in "AEIOU" else "a"
                    raise RunFileError(f"{source}: [{section}] {key}: must be {_WRITTEN_AS[kind]} ({ref.name} is "
                                       f"{article} {kind} feature), not the string {value!r}; write it without "
                                       f"quotes")
            converted = featuretext.typed(features, ref.name, value)
            features.write(ref.name, converted, **ref.selectors)
        except FeatureError as error:
            if not from_file:
                raise
            detail = str(error) if str(error).startswith(f"{key}: ") else f"{key}: {error}"
            raise RunFileError(f"{source}: [{section}] {detail}") from error
        typed[key] = converted
    return typed


def _set_if_present(features: FeatureMap, name: str, value: FeatureValue) -> None:
    if name in features:
        features.write(name, value)


def configure(target: Session | Rig, config: RunConfig) -> RunConfig:
    """Set the run's features (in order), its trigger, then the producer's Device-module features.

    A rig: the top-level features on every camera, then each camera's own, then the rig's sync
    (triggers, lines, the simulator's wiring), then the Device-module features. Returns the
    configuration with feature values in the types the camera took (so ``--set Width=512`` is
    stored as the integer 512).
    """
    source = config.source.removesuffix(" (with command-line options)")
    if isinstance(target, Rig):
        return _configure_rig(target, config, source)
    session = target
    features = _apply_table(session.features, config.features, source=source,
                            written=_written_in_file(config, "features"))
    plan = config.acquisition
    if plan.trigger is not None:
        _set_if_present(session.features, "TriggerSelector", "FrameStart")
        if plan.trigger == FREE_RUN:
            session.features["TriggerMode"] = "Off"
        else:
            session.features["TriggerMode"] = "On"
            session.features["TriggerSource"] = plan.trigger
            if plan.trigger_activation is not None:
                session.features["TriggerActivation"] = plan.trigger_activation
    device = _apply_table(session.device_features, config.device_features, source=source, section="device_features",
                          written=_written_in_file(config, "device_features"))
    return config.replace(features=features, device_features=device)


def _configure_rig(rig: Rig, config: RunConfig, source: str) -> RunConfig:
    assert config.rig is not None
    # open_rig opened the cameras in the run file's order and put the leader first.
    followers = iter(range(1, len(rig.sessions)))
    sessions = [rig.sessions[0] if entry.role == "leader" else rig.sessions[next(followers)]
                for entry in config.cameras]
    features: dict[str, FeatureValue] = {}
    own_features = []
    for number, (session, entry) in enumerate(zip(sessions, config.cameras), start=1):
        features = _apply_table(session.features, config.features, source=source,
                                written=_written_in_file(config, "features"))
        own_features.append(_apply_table(session.features, entry.features, source=source,
                                         section=f"cameras {number}.features",
                                         written=dict(entry.features) if config.text else None))
    sync = config.rig
    rig.configure_sync(sync.sync, leader_line=sync.leader_line, follower_line=sync.follower_line,
                       trigger_rate_hz=sync.trigger_rate)
    entries = []
    for number, (session, entry, own) in enumerate(zip(sessions, config.cameras, own_features), start=1):
        _apply_table(session.device_features, config.device_features, source=source, section="device_features",
                     written=_written_in_file(config, "device_features"))
        device = _apply_table(session.device_features, entry.device_features, source=source,
                              section=f"cameras {number}.device_features",
                              written=dict(entry.device_features) if config.text else None)
        entries.append(dataclasses.replace(entry, features=own, device_features=device))
    return config.replace(features=features, cameras=tuple(entries))


def output_path(config: RunConfig, target: Session | Rig, output: str | None = None, *,
                now: datetime | None = None, overwrite: bool = False) -> Path:
    """The file to write: ``output`` (or the run file's template) rendered; an existing file only if ``overwrite``.

    ``{serial}`` and ``{model}`` are the camera's (a rig's leader's).
    """
    template = output if output is not None else config.output.path
    runfile.check_template(template)
    session = target.leader if isinstance(target, Rig) else target
    path = runfile.render(template, serial=session.device.serial, model=session.device.model, now=now)
    if path.is_dir():
        raise RecordingConfigError(f"output {str(path)!r} is a folder; give a file name (such as "
                                   f"{str(path / 'run_{run:03d}.h5')!r})")
    if path.exists() and not overwrite:
        raise RecordingConfigError(f"output file {str(path)!r} exists; choose another output, put {{run}} "
                                   f"(or {{time}}) in the path template, or replace it with --overwrite")
    return path


def stored_form(config: RunConfig, **extra: Any) -> dict[str, Any]:
    """What the recording stores about the run file (JSON-serialisable)."""
    effective = config.dumps()
    return {"source": config.source, "text": config.text or effective, "sha256": config.sha256,
            "effective": effective, "effective_sha256": runfile.hash_text(effective), **extra}


@dataclass(frozen=True)
class RunOutcome:
    config: RunConfig  # as carried out (typed feature values, CLI overrides applied)
    result: RecordingResult
    notes: tuple[str, ...] = ()  # what the recorder did on the user's behalf ("created the folder runs")


def record(target: Session | Rig, config: RunConfig, path: Path, *, progress: bool = False,
           extra: dict[str, Any] | None = None, overwrite: bool = False) -> RunOutcome:
    """Record ``config``'s acquisition plan from an opened, configured Session (or rig) into ``path``."""
    plan = config.acquisition
    if plan.frames is None and plan.duration is None:
        raise RunFileError(f"{config.source or 'run'}: [acquisition] needs frames or duration")
    options: dict[str, Any] = {}
    if not isinstance(target, Rig):
        options = {"events": config.camera.events, "reconnect": plan.reconnect}
    recorder = Recorder(target, path, frames=plan.frames, duration=plan.duration,
                        compression=config.output.compression, title=config.title, timeout=plan.timeout,
                        overwrite=overwrite, **options)
    stored = stored_form(config, **(extra or {}))
    # The recorder writes its config dict into the file before the first frame: crash-safe.
    recorder.config[CONFIG_KEY] = stored
    recorder.start()
    try:
        result = recorder.wait(progress=progress)
    except KeyboardInterrupt:  # the recorder closed the file cleanly before re-raising
        annotate(path, config, stored)
        raise
    annotate(path, config, stored)
    return RunOutcome(config=config, result=result, notes=tuple(recorder.notes))


def annotate(path: Path, config: RunConfig, stored: dict[str, Any]) -> None:
    """Add ``/entry/run_file`` (NXnote) and NeXus user/sample groups to a closed recording."""
    with h5py.File(path, "r+") as file:
        entry = file["entry"]
        note = entry.create_group("run_file")
        note.attrs["NX_class"] = "NXnote"
        note.attrs["description"] = "the run file this recording was made from (ace-gentl reproduce repeats it)"
        note.create_dataset("type", data="application/toml", dtype=STR)
        note.create_dataset("data", data=stored["text"], dtype=STR)
        note.create_dataset("sha256", data=stored["sha256"], dtype=STR)
        note.create_dataset("file_name", data=stored["source"], dtype=STR)
        note.create_dataset("effective", data=stored["effective"], dtype=STR)
        meta = config.metadata
        if "operator" in meta:
            user = entry.create_group("user")
            user.attrs["NX_class"] = "NXuser"
            user.create_dataset("name", data=str(meta["operator"]), dtype=STR)
        if "sample" in meta:
            sample = entry.create_group("sample")
            sample.attrs["NX_class"] = "NXsample"
            sample.create_dataset("name", data=str(meta["sample"]), dtype=STR)
        if "notes" in meta:
            notes = entry.create_group("notes")
            notes.attrs["NX_class"] = "NXnote"
            notes.create_dataset("type", data="text/plain", dtype=STR)
            notes.create_dataset("data", data=str(meta["notes"]), dtype=STR)


def run(config: RunConfig, *, output: str | None = None, progress: bool = False,
        overwrite: bool = False) -> RunOutcome:
    """Open the camera, set it up, record, store the run file: ``ace-gentl record run.toml``."""
    with open_camera(config) as target:
        effective = configure(target, config)
        path = output_path(effective, target, output, overwrite=overwrite)
        return record(target, effective, path, progress=progress, overwrite=overwrite)


def stored_config(recording: Any) -> tuple[RunConfig, dict[str, Any]]:
    """The effective RunConfig a recording was made from, and what was stored about it."""
    config = recording.config or {}
    stored = config.get(CONFIG_KEY)
    if not isinstance(stored, dict) or "effective" not in stored:
        raise RunFileError(f"{recording.path}: holds no run file (recorded with the Python API without one?); "
                           f"its recorder options are in /entry/run_configuration")
    if not isinstance(stored["effective"], str):
        raise RunFileError(f"{recording.path}: the stored run file (/entry/run_configuration, run_file.effective) "
                           f"is {type(stored['effective']).__name__}, not TOML text: the file is damaged")
    source = f"{recording.path}:/entry/run_configuration"
    loaded = runfile.loads(stored["effective"], source=source)
    return loaded, stored


__all__ = ["CONFIG_KEY", "RunOutcome", "annotate", "configure", "open_camera", "output_path", "record", "run",
           "stored_config", "stored_form"]
