"""Fixtures shared by the Session tests (import them into a test module to use them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import ace_gentl
from legacy_camera import write_legacy_xml


@pytest.fixture
def session() -> Iterator[ace_gentl.Session]:
    with ace_gentl.open(sim=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def legacy_xml_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("legacy")
    with ace_gentl.open(sim=True) as opened:
        return {variant: write_legacy_xml(opened.raw, folder, variant) for variant in ("abs", "raw")}
