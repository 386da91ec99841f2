"""The contract suite's one fixture: ``target``, parameterised by camera targets (targets.py).

Every test of tests/contract runs once per target. The target's settings as found are put back
after its last test (the suite sets a small ROI and free run on the way), so a lab camera ends
the run as it started; what cannot be put back is a warning in pytest's summary.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest

import ace_gentl
from contract.targets import CameraTarget, targets


def pytest_configure(config: pytest.Config) -> None:
    targets(os.environ)  # a bad ACE_GENTL_TEST_* value stops the run here with its one-line UsageError


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", targets(os.environ), ids=str, indirect=True, scope="session")


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[CameraTarget]:
    camera: CameraTarget = request.param
    problem = ""
    try:
        with camera.open() as session:
            as_found = session.snapshot()
    except ace_gentl.AceGentlError as error:  # not found, several match, busy: say so once, for every test
        problem = f"{camera}: cannot open it: {error}"
    if problem:
        pytest.fail(problem, pytrace=False)
    yield camera
    try:
        with camera.open() as session:
            session.apply(as_found)
    except ace_gentl.ApplyError as error:
        warnings.warn(f"{camera}: settings as found not all put back: {error}", stacklevel=1)
    except Exception as error:  # noqa: BLE001 (a known limit may leave the camera refusing; say so, go on)
        warnings.warn(f"{camera}: could not reopen to put the settings back: {type(error).__name__}: {error}",
                      stacklevel=1)
