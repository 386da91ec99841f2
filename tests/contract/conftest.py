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

TARGETS = targets(os.environ)


@pytest.fixture(scope="session", params=TARGETS, ids=str)
def target(request: pytest.FixtureRequest) -> Iterator[CameraTarget]:
    camera: CameraTarget = request.param
    with camera.open() as session:
        as_found = session.snapshot()
    yield camera
    try:
        with camera.open() as session:
            session.apply(as_found)
    except ace_gentl.ApplyError as error:
        warnings.warn(f"{camera}: settings as found not all put back: {error}", stacklevel=1)
    except Exception as error:  # noqa: BLE001 (a known limit may leave the camera refusing; say so, go on)
        warnings.warn(f"{camera}: could not reopen to put the settings back: {type(error).__name__}: {error}",
                      stacklevel=1)
