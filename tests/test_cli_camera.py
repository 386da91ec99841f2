"""``ace-gentl info / features / get / snapshot`` on a node map we did not write (viky.cti in the genicam wheel)."""

from __future__ import annotations

import json
import pathlib

import genicam

from cli_helpers import invoke

VIKY = str(next(pathlib.Path(genicam.__file__).parent.rglob("viky.cti")))
CAMERA = ("--cti", VIKY, "--index", "0")


def test_info_and_features_on_viky() -> None:
    info = invoke("info", "--json", *CAMERA)
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["settings"]["Width"] == 400
    tree = invoke("features", "--visibility", "all", *CAMERA)
    assert tree.exit_code == 0, tree.output
    assert "ChunkComponentSelector" in tree.stdout and "Scan3dCoordinateSelector" in tree.stdout


def test_get_reports_each_unreadable_feature_and_prints_the_others() -> None:
    result = invoke("get", "Width", "ChunkComponentSelector", "AcquisitionFrameRate", *CAMERA)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["Width = 400", "AcquisitionFrameRate = 20"]
    assert result.stderr.startswith("error: ChunkComponentSelector: not readable now (not available: its condition "
                                    "ChunkScan3dFeatures_AvailCalc")
    assert "Traceback" not in result.output
    selected = invoke("get", "ChunkComponentIDValue[ChunkComponentSelector=Intensity]", *CAMERA)
    assert selected.exit_code == 1 and selected.stderr.startswith("error: ChunkComponentSelector: not readable now")


def test_snapshot_of_viky_lists_the_unreadable(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "viky.json"
    result = invoke("snapshot", "-o", out, *CAMERA)
    assert result.exit_code == 0, result.output
    snap = json.loads(out.read_text())
    assert snap["features"]["Width"] == 400 and "ChunkComponentSelector" in snap["unreadable"]
