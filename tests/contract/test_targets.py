"""How the contract suite chooses its cameras (targets.py): CI's list, a lab's one camera, bad variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.targets import CORPUS, ci_targets, lab_target, targets, viky_cti


def test_without_lab_variables_ci_runs_the_simulator_the_corpus_and_viky() -> None:
    ids = [t.id for t in targets({})]
    assert ids == ["sim", *(f"sim-{p.stem}" for p in CORPUS), "viky-0", "viky-1", "viky-2"]
    assert ids == [t.id for t in ci_targets()]


def test_a_lab_camera_replaces_every_other_target(tmp_path: Path) -> None:
    cti = tmp_path / "vendor.cti"
    cti.write_bytes(b"")
    chosen = targets({"ACE_GENTL_TEST_CTI": str(cti), "ACE_GENTL_TEST_SERIAL": "22345678"})
    assert len(chosen) == 1
    lab = chosen[0]
    assert lab.lab and lab.cti == cti.resolve() and lab.serial == "22345678" and not lab.sim
    assert lab.id == "lab[vendor.cti, serial=22345678]"
    assert lab.open_kwargs() == {"cti": str(cti.resolve()), "serial": "22345678"}
    assert lab.cli_args() == ["--cti", str(cti.resolve()), "--serial", "22345678"]


def test_a_lab_camera_from_the_gentl_path_by_model_and_index() -> None:
    lab = lab_target({"ACE_GENTL_TEST_MODEL": "acA1920-40um", "ACE_GENTL_TEST_INDEX": "1"})
    assert lab is not None and lab.cti is None
    assert lab.open_kwargs() == {"model": "acA1920-40um", "index": 1}  # ace_gentl.open searches GENICAM_GENTL64_PATH
    assert lab.cli_args() == ["--model", "acA1920-40um", "--index", "1"]
    assert lab_target({"ACE_GENTL_TEST_SERIAL": ""}) is None, "an empty variable names nothing"


@pytest.mark.parametrize(("variables", "message"), [
    ({"ACE_GENTL_TEST_CTI": "/no/such/x.cti"}, "ACE_GENTL_TEST_CTI=/no/such/x.cti: no such file"),
    ({"ACE_GENTL_TEST_INDEX": "first"}, "ACE_GENTL_TEST_INDEX=first: must be a whole number"),
    ({"ACE_GENTL_TEST_INDEX": "-1"}, "ACE_GENTL_TEST_INDEX=-1: must be a whole number"),
])
def test_a_bad_lab_variable_is_one_clear_usage_error(variables: dict[str, str], message: str) -> None:
    with pytest.raises(pytest.UsageError, match=message) as error:
        lab_target(variables)
    assert "\n" not in str(error.value)


def test_simulator_targets_on_the_command_line() -> None:
    own, served = ci_targets()[:2]
    assert own.cli_args() == ["--sim"] and own.open_kwargs() == {"sim": True}
    assert served.cli_args() == ["--sim-xml", str(CORPUS[0])]
    assert served.open_kwargs() == {"sim": True, "device_xml": CORPUS[0]} and served.serves_foreign_xml
    viky = ci_targets()[-1]
    assert viky.cli_args() == ["--cti", str(viky_cti()), "--index", "2"]
