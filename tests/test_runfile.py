"""Run files: parsing, the validation messages, the canonical TOML, the output path template."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from ace_gentl import runfile
from ace_gentl.errors import AceGentlError, RunFileError
from ace_gentl.runfile import FREE_RUN, RunConfig

FULL = """\
version = 1
title = "dark frames"

[producer]
sim = true

[camera]
serial = "40000001"
index = 0

[features]
PixelFormat = "Mono12"
Height = 512
ExposureTime = 2000.0
"LineMode[LineSelector=Line3]" = "Output"

[device_features]
SimLinePulseFrequency = 20.0

[acquisition]
frames = 100
trigger = "Line1"
trigger_activation = "RisingEdge"
timeout = 2.5

[output]
path = "runs/{date}_{time}_{serial}_{run:03d}.h5"
compression = "zstd:5"

[metadata]
operator = "A. Scientist"
sample = "S-17"
notes = "first light"
temperatures = [20.5, 21.0]
"""


def test_a_full_run_file_reads_into_typed_fields() -> None:
    config = runfile.loads(FULL, "run.toml")
    assert config.title == "dark frames"
    assert config.producer.sim and config.producer.cti == ()
    assert (config.camera.serial, config.camera.index, config.camera.model) == ("40000001", 0, None)
    assert list(config.features) == ["PixelFormat", "Height", "ExposureTime", "LineMode[LineSelector=Line3]"]
    assert config.features["Height"] == 512 and config.device_features == {"SimLinePulseFrequency": 20.0}
    plan = config.acquisition
    assert (plan.frames, plan.duration, plan.trigger, plan.trigger_activation, plan.timeout) == \
        (100, None, "Line1", "RisingEdge", 2.5)
    assert config.output.compression == "zstd:5"
    assert config.metadata["temperatures"] == [20.5, 21.0]
    assert config.source == "run.toml" and config.text == FULL


def test_hash_is_of_the_text_as_written() -> None:
    config = runfile.loads(FULL)
    assert config.sha256 == hashlib.sha256(FULL.encode()).hexdigest()
    built = RunConfig(title="x")  # not read from a file: the hash of its canonical TOML
    assert built.sha256 == hashlib.sha256(built.dumps().encode()).hexdigest()


def test_canonical_toml_reads_back_equal() -> None:
    config = runfile.loads(FULL)
    again = runfile.loads(config.dumps())
    assert again == config
    assert list(again.features) == list(config.features)  # order is part of the run


def test_dump_escapes_awkward_strings() -> None:
    config = RunConfig(title='quote " backslash \\ tab \t newline \n del \x7f ü', metadata={"key with space": 1})
    assert runfile.loads(config.dumps()) == config


def test_defaults_when_sections_are_missing() -> None:
    config = runfile.loads("[acquisition]\nduration = 2\n")
    assert config.acquisition.duration == 2.0 and isinstance(config.acquisition.duration, float)
    assert config.output.path == runfile.DEFAULT_OUTPUT and config.output.compression.startswith("blosc-lz4")
    assert config.producer.env is None and config.features == {}


def test_free_run_spellings() -> None:
    for spelling in ("free-run", "off", "Off", "freerun"):
        assert runfile.loads(f'[acquisition]\nframes = 1\ntrigger = "{spelling}"\n').acquisition.trigger == FREE_RUN


def test_cti_may_be_one_path_or_a_list() -> None:
    assert runfile.loads('[producer]\ncti = "/a.cti"\n').producer.cti == ("/a.cti",)
    assert runfile.loads('[producer]\ncti = ["/a.cti", "/b.cti"]\n').producer.cti == ("/a.cti", "/b.cti")


def test_sim_device_xml_implies_the_simulator_and_reads_back() -> None:
    config = runfile.loads('[producer]\nsim_device_xml = "lab/camera.zip"\n')
    assert (config.producer.sim, config.producer.sim_device_xml) == (True, "lab/camera.zip")
    assert runfile.loads(config.dumps()) == config
    assert 'sim_device_xml = "lab/camera.zip"' in config.dumps()


@pytest.mark.parametrize(("text", "message"), [
    # unknown keys, with the closest valid key
    ("acquisiton = 1", "run.toml: unknown key 'acquisiton'; did you mean 'acquisition'?"),
    ("[acquisition]\nframe = 3", "run.toml: [acquisition] unknown key 'frame'; did you mean 'frames'?"),
    ("[camera]\nserail = '1'", "[camera] unknown key 'serail'; did you mean 'serial'?"),
    ("[output]\ncompresion = 'none'", "[output] unknown key 'compresion'; did you mean 'compression'?"),
    ("[camera]\nxyz = 1", "[camera] unknown key 'xyz'; valid keys: serial, model, user_id, index"),
    # wrong types
    ("[camera]\nserial = 40000001", "[camera] serial: must be a string (put it in quotes), not integer 40000001"),
    ("[acquisition]\nframes = '100'", "[acquisition] frames: must be an integer, not string '100'"),
    ("[acquisition]\nframes = 10.0", "[acquisition] frames: must be an integer, not float 10.0"),
    ("[acquisition]\nframes = true", "[acquisition] frames: must be an integer, not boolean True"),
    ("[acquisition]\nduration = 'long'", "[acquisition] duration: must be a number, not string 'long'"),
    ("[producer]\nsim = 'yes'", "[producer] sim: must be true or false, not string 'yes'"),
    ("[producer]\ncti = 3", "[producer] cti: must be a path or a list of paths, not 3"),
    ("[producer]\nsim_device_xml = 3", "[producer] sim_device_xml: must be a string (put it in quotes), not integer"),
    ("[producer]\nsim_device_xml = ' '", "[producer] sim_device_xml: must be the path of a GenICam XML"),
    ("[producer]\nsim = false\nsim_device_xml = 'a.xml'", "the simulated camera serves it; remove sim = false"),
    ("[producer]\ncti = '/a.cti'\nsim_device_xml = 'a.xml'", "the simulated camera serves it; remove cti"),
    ("[producer]\nsim_xml = 'a.xml'", "[producer] unknown key 'sim_xml'; did you mean 'sim_device_xml'?"),
    ("camera = 'x'", "camera: must be a table ([camera]), not string 'x'"),
    ("title = 3", "title: must be a string (put it in quotes), not integer 3"),
    ("[features]\nWidth = [1, 2]", "[features] Width: must be a string, number or boolean, not list [1, 2]"),
    ("[features.LineMode]\nLineSelector = 'Line3'",
     "[features] LineMode: must be a value; for a feature under a selector write \"LineMode[Selector=Value]\""),
    ("[metadata]\nnested = {a = 1}", "[metadata] nested: must be a string, number, boolean or a list of them"),
    # bad values
    ("version = 2", "version: this ace_gentl reads run files of version 1, not 2"),
    ("[acquisition]\nframes = 0", "[acquisition] frames: must be at least 1, not 0"),
    ("[acquisition]\nduration = -1", "[acquisition] duration: must be a positive number of seconds, not -1.0"),
    ("[acquisition]\nduration = nan", "[acquisition] duration: must be a positive number of seconds, not nan"),
    ("[acquisition]\nframes = 1\nduration = 1", "[acquisition]: give frames or duration, not both"),
    ("[acquisition]\ntrigger = 'software'", "'software' needs a program that fires the triggers"),
    ("[acquisition]\ntrigger = 'Line 1'", "must be 'free-run' or a TriggerSource entry such as 'Line1', not 'Line 1'"),
    ("[acquisition]\ntrigger_activation = 'RisingEdge'", "trigger_activation: needs a trigger source"),
    ("[camera]\nindex = -1", "[camera] index: must be 0 or more, not -1"),
    ("[features]\n'Line Mode' = 1", "[features] 'Line Mode': 'Line Mode' is not a feature name"),
    ("[features]\n'LineMode[LineSelector]' = 1", "selector 'LineSelector' must be Selector=Value"),
    ("[output]\ncompression = 'zip'", "[output] compression: unknown compression 'zip'; choose one of none"),
    ("[output]\ncompression = 'gzip:12'", "[output] compression: gzip level must be 0..9, not 12"),
    ("[output]\npath = '{dat}_{run}.h5'", "[output] path: unknown placeholder {dat} in '{dat}_{run}.h5'; did you "
                                          "mean {date}?"),
    ("[output]\npath = '{serial:>9}.h5'", "only {run} takes a format spec"),
    ("[output]\npath = '{run.h5'", "[output] path: '{run.h5': "),
    ("[output]\npath = '{run:q}.h5'", "[output] path: {run:q} in '{run:q}.h5': {run} takes a zero-padded width"),
    ("[output]\npath = '{run:099999d}.h5'", "{run} takes a zero-padded width of at most 12 digits"),
    ("[output]\npath = '{run:999999999d}.h5'", "{run} takes a zero-padded width of at most 12 digits"),
    ("[output]\npath = '" + "a" * 300 + "_{run}.h5'", "a file or folder name would be 305 bytes; file systems allow "
                                                       "at most 255"),
    ("[output]\npath = \"a\\u0000.h5\"", "[output] path: contains a NUL character"),
    # text HDF5 cannot hold, nesting no run file needs
    ('title = "a\\u0000b"', "run.toml: title: contains a NUL character (\\u0000), which HDF5 text cannot hold"),
    ('[metadata]\noperator = "me\\u0000"', "run.toml: [metadata] operator: contains a NUL character"),
    ('[metadata]\n"k\\u0000" = 1', "run.toml: [metadata]: the key 'k\\x00' contains a NUL character"),
    ('[metadata]\nnotes = ["a", "b\\u0000"]', "run.toml: [metadata] notes: contains a NUL character"),
    ("[metadata]\nx = " + "[" * 5000 + "]" * 5000, "run.toml: nested too deeply to read"),
    ("[metadata]\nx = " + "[" * 12 + "]" * 12, "run.toml: [metadata] x: nested more than 8 levels deep"),
    # syntax
    ("frames = ", "run.toml: not valid TOML: Invalid value (at end of document)"),
    ("[acquisition]\nframes = 1\nframes = 2", "run.toml: not valid TOML: "),
])
def test_validation_messages(text: str, message: str) -> None:
    with pytest.raises(RunFileError) as info:
        runfile.loads(text, "run.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("run.toml")
    assert isinstance(info.value, AceGentlError) and isinstance(info.value, ValueError)


def test_load_names_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RunFileError, match=r"run file '.*nope.toml' does not exist"):
        runfile.load(tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(RunFileError, match="cannot be read"):
        runfile.load(binary)
    good = tmp_path / "good.toml"
    good.write_text("[acquisition]\nframes = 5\n")
    assert runfile.load(good).source == str(good)


def test_render_fills_placeholders_and_numbers_runs(tmp_path: Path) -> None:
    moment = datetime(2025, 3, 4, 5, 6, 7)
    template = str(tmp_path / "{date}_{time}_{model}_{serial}_{run:03d}.h5")
    first = runfile.render(template, serial="40000001", model="acA4112-20um", now=moment)
    assert first.name == "2025-03-04_050607_acA4112-20um_40000001_001.h5"
    first.touch()
    second = runfile.render(template, serial="40000001", model="acA4112-20um", now=moment)
    assert second.name.endswith("_002.h5")
    plain = runfile.render(str(tmp_path / "run{run}.h5"), serial="s", model="m", exists=lambda p: p.name == "run1.h5")
    assert plain.name == "run2.h5"


def test_render_keeps_serials_to_one_path_component() -> None:
    path = runfile.render("{serial}.h5", serial="../etc/x y", model="m", now=datetime(2025, 1, 1))
    assert path == Path(".._etc_x_y.h5")


def test_render_without_run_returns_the_path_even_if_it_exists(tmp_path: Path) -> None:
    fixed = tmp_path / "fixed.h5"
    fixed.touch()
    assert runfile.render(str(fixed), serial="s", model="m") == fixed
